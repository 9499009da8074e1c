"""Guessing the user's language from short, mixed, misspelled messages."""

import pytest

from bot.conversation.language import choose_language
from bot.languages import LANGUAGES, detect_language
from bot.rasa.evaluation import load_examples
from tests.servers import ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wie finde ich einen Ausbildungsplatz?", "de"),
        ("wo kan ich deutsch lernen bitte", "de"),
        ("How can I get an Ausbildungsduldung?", "en"),
        ("i have duldung can i do ausbildung", "en"),
        ("كيف أجد شقة في شتاينفورت؟", "ar"),
        ("چطور می توانم کار پیدا کنم", "fa"),
        ("زه څنګه کار پیدا کړم", "ps"),
        ("Де можна вивчати німецьку мову?", "uk"),
        ("Где можно учить немецкий язык?", "ru"),
        ("ኣበይ ክመሃር ይኽእል", "ti"),
        ("Nasıl iş bulabilirim lütfen", "tr"),
        ("Comment je peux trouver un appartement", "fr"),
    ],
)
def test_detects_the_language_of_typical_messages(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "ok", "123", "👍"])
def test_too_little_text_gives_no_guess(text: str) -> None:
    assert detect_language(text) is None


def test_a_chosen_language_is_kept_even_when_the_user_writes_another() -> None:
    choice = choose_language("How do I find a flat?", "de", True, "en", "de")
    assert choice.reply_language == "de" and not choice.changed


def test_every_one_of_the_twelve_languages_is_answered_in_itself() -> None:
    choice = choose_language("كيف أجد شقة؟", None, False, None, "de")
    assert choice.user_language == choice.reply_language == "ar"
    assert choice.changed


def test_short_messages_fall_back_to_what_we_knew() -> None:
    assert choose_language("ok", "en", False, "de", "de").reply_language == "en"
    assert choose_language("ok", None, False, "en-GB", "de").reply_language == "en"
    assert choose_language("ok", None, False, None, "de").reply_language == "de"


HELD_OUT = ROOT / "tests" / "nlu" / "heldout"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_whole_messages_are_recognised_in_their_language(language: str) -> None:
    """On the blind held-out messages of three words or more: mostly right, rarely wrong.

    No guess is fine (the stored language, then Telegram's language_code, then apply); a
    wrong guess switches the user's language, so it must stay rare.
    """
    messages = [t for t, _ in load_examples(HELD_OUT / f"{language}.yml") if len(t.split()) >= 3]
    guesses = [detect_language(text) for text in messages]
    right = sum(guess == language for guess in guesses) / len(messages)
    wrong = [(t, g) for t, g in zip(messages, guesses, strict=True) if g not in (None, language)]
    assert right >= 0.75, (language, right)
    assert len(wrong) / len(messages) <= 0.08, wrong


@pytest.mark.parametrize("term", ["Duldung", "Jobcenter", "Ausländerbehörde", "Ausbildung"])
def test_a_single_german_term_never_switches_the_language(term: str) -> None:
    for language in ("ar", "tr", "uk", "so"):
        choice = choose_language(term, language, False, None, "de")
        assert choice.user_language == language and not choice.changed


def test_a_whole_message_in_another_language_switches() -> None:
    choice = choose_language(
        "Nasıl Ausbildung bulabilirim, yardım eder misin?", "de", False, None, "de"
    )
    assert choice.user_language == "tr" and choice.changed
