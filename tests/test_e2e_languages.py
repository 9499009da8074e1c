"""Young people writing in their own language, end to end through the fake Bot API.

For each of the twelve languages: a first question is answered with the right content key,
in that language; a question about refugees' lives that we have no answer for gets the offer
of a person, never a content answer. Plus a language switch, the exact right-to-left text
Telegram receives, and the command menus registered per language.

The messages are taken from the training data on purpose: these tests are about the pipeline
in every language; how well unseen messages are understood is measured on the blind held-out
set (tests/test_nlu_evaluation.py).
"""

from __future__ import annotations

import html
from functools import cache

import pytest

from bot.app import Assistant
from bot.content.store import ContentStore
from bot.db.models import Chat
from bot.i18n import t
from bot.i18n.bidi import LRI, for_language
from bot.languages import LANGUAGES, detect_language
from bot.rasa.evaluation import load_examples
from bot.replies import compose
from tests.conftest import UserChat, out_keys
from tests.fake_telegram import FakeTelegram
from tests.servers import ROOT

pytestmark = pytest.mark.e2e
KEY = "housing.find_flat"


@cache
def store() -> ContentStore:
    return ContentStore.load(ROOT / "content")


def a_message(language: str, intent: str) -> str:
    """A whole message of this intent that is recognisably written in `language`."""
    for text, label in load_examples(ROOT / "nlu" / f"{language}.yml"):
        if label == intent and len(text.split()) >= 4 and detect_language(text) == language:
            return text
    raise AssertionError(f"no {intent} example in {language} with a clear language")


@pytest.mark.parametrize("language", sorted(LANGUAGES))
async def test_a_first_question_is_answered_in_the_users_language_and_gaps_get_a_person(
    assistant: Assistant, user: UserChat, language: str
) -> None:
    [answer] = await user.says(a_message(language, "ask_find_flat"))
    entry = store().get(KEY, language)
    assert entry is not None and entry.language == language
    assert for_language(html.escape(entry.title), language) in answer.text
    assert (await out_keys(assistant, user.chat_id)) == [KEY]

    [offer] = await user.says(a_message(language, "near_out_of_scope"))
    assert offer.text == for_language(t("handoff.offer_gap", language), language)
    assert [label for label, _ in offer.buttons] == [
        t("button.yes", language),
        t("button.no", language),
        t("button.notify_gap", language),  # no answer yet: "tell me when there is one"
    ]
    assert (await out_keys(assistant, user.chat_id))[-1] == "handoff.offer"


async def test_a_whole_message_in_another_language_switches_the_answers(
    assistant: Assistant, user: UserChat
) -> None:
    await user.says(a_message("tr", "ask_find_flat"))
    [answer] = await user.says(a_message("uk", "ask_find_flat"))
    entry = store().get(KEY, "uk")
    assert entry is not None and html.escape(entry.title) in answer.text
    async with assistant.sessions() as session:
        chat = await session.get(Chat, user.chat_id)
        assert chat is not None and chat.language == "uk"
    # A single German term does not switch back.
    [again] = await user.says("Wohnberechtigungsschein")
    assert again.text != ""
    async with assistant.sessions() as session:
        chat = await session.get(Chat, user.chat_id)
        assert chat is not None and chat.language == "uk"


async def test_an_arabic_answer_reaches_telegram_with_german_terms_and_numbers_isolated(
    user: UserChat, assistant: Assistant
) -> None:
    [answer] = await user.says(a_message("ar", "ask_apprenticeship_toleration"))
    expected = compose.answer(store(), "training.apprenticeship_toleration", "ar")
    assert expected is not None
    assert answer.text == for_language(expected.text, "ar")  # exactly what Telegram got
    assert f"{LRI}§ 60c AufenthG" in answer.text or f"{LRI}AufenthG" in answer.text


async def test_the_command_menu_is_registered_in_every_language(
    assistant: Assistant, telegram: FakeTelegram
) -> None:
    menus = telegram.commands_by_language
    assert set(menus) == {None, *(code for code in LANGUAGES if code != "en")}
    assert menus["ar"]["human"] == t("command.human", "ar")
    assert menus[None]["human"] == t("command.human", "en")
