"""Guessing the user's language from short, mixed, misspelled messages."""

import pytest

from bot.conversation.language import choose_language
from bot.languages import detect_language


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


def test_unsupported_language_is_remembered_but_answered_in_english() -> None:
    choice = choose_language("كيف أجد شقة؟", None, False, None, "de")
    assert choice.user_language == "ar"
    assert choice.reply_language == "en"
    assert choice.changed


def test_short_messages_fall_back_to_what_we_knew() -> None:
    assert choose_language("ok", "en", False, "de", "de").reply_language == "en"
    assert choose_language("ok", None, False, "en-GB", "de").reply_language == "en"
    assert choose_language("ok", None, False, None, "de").reply_language == "de"
