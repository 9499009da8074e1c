"""Whole conversations, played the way Telegram delivers them.

Real trained Rasa server, real action server, the bot with its database (SQLite and
PostgreSQL), and a fake Telegram Bot API over HTTP. Each test is one young person's story.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import Assistant
from bot.db.models import Case, Chat, ConversationMessage, InboxUpdate
from bot.i18n import t
from tests.conftest import RasaServer, UserChat

pytestmark = pytest.mark.e2e


async def logged(assistant: Assistant, chat_id: int) -> list[ConversationMessage]:
    async with assistant.sessions() as session:
        rows = await session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.chat_id == chat_id)
            .order_by(ConversationMessage.id)
        )
        return list(rows)


async def test_a_first_question_in_german_is_answered_directly_with_its_source(
    assistant: Assistant, user: UserChat
) -> None:
    [answer] = await user.says("Wie finde ich einen Ausbildungsplatz?")
    assert "Quellen:" in answer.text and "arbeitsagentur.de" in answer.text
    assert answer.params["parse_mode"] == "HTML"
    labels = [label for label, _ in answer.buttons]
    assert "Mit einem Menschen sprechen" in labels and "👍 Hat geholfen" in labels
    log = await logged(assistant, user.chat_id)
    assert [(m.direction, m.content_key) for m in log] == [
        ("in", None),
        ("out", "training.apprenticeship"),
    ]
    assert log[0].intent == "ask_apprenticeship" and (log[0].confidence or 0) > 0.5
    assert log[0].language == "de"
    await user.hears_nothing_more()


async def test_an_english_question_with_german_words_is_answered_in_english(
    assistant: Assistant, user: UserChat
) -> None:
    [answer] = await user.says("how can i get Ausbildungsduldung?")
    assert "Sources:" in answer.text
    log = await logged(assistant, user.chat_id)
    assert log[-1].content_key == "training.apprenticeship_toleration"
    assert log[-1].language == "en"


async def test_start_shows_topics_and_the_menu_leads_to_an_answer(
    assistant: Assistant, user: UserChat
) -> None:
    [greeting] = await user.says("/start")
    assert "Gemeinsam klappt's" in greeting.text
    [topic_menu] = await user.presses(greeting.button("Wohnen"), on=greeting)
    assert topic_menu.method == "editMessageText" and topic_menu.message_id == greeting.message_id
    question = next(data for _, data in topic_menu.buttons if data == "a:housing.find_flat")
    [answer] = await user.presses(question, on=topic_menu)
    assert answer.method == "sendMessage" and "Quellen:" in answer.text
    [back] = await user.presses(topic_menu.button("Themen"), on=topic_menu)
    assert back.method == "editMessageText" and "t:courses" in [d for _, d in back.buttons]
    keys = [m.content_key for m in await logged(assistant, user.chat_id) if m.direction == "out"]
    assert keys == ["meta.greet", "meta.topic", "housing.find_flat", "meta.menu"]


async def test_out_of_scope_gets_a_friendly_scope_and_never_a_random_answer(
    assistant: Assistant, user: UserChat
) -> None:
    [reply] = await user.says("Wer hat gestern das Fußballspiel gewonnen?")
    assert "Dabei kann ich leider nicht helfen" in reply.text
    assert "t:housing" in [data for _, data in reply.buttons]
    log = await logged(assistant, user.chat_id)
    assert log[-1].content_key == "fallback.out_of_scope"


async def test_unclear_twice_first_offers_candidates_then_a_caseworker(
    assistant: Assistant, user: UserChat
) -> None:
    # Vague on purpose: no intent is sure about these (see tests/test_nlu_evaluation.py for
    # how well real questions are understood).
    [clarify] = await user.says("ich hab da so ein ding")
    assert clarify.text.startswith(t("fallback.clarify", "de")[:20])
    [offer] = await user.says("Problem")
    assert offer.text == t("handoff.offer_unclear", "de")
    keys = [m.content_key for m in await logged(assistant, user.chat_id) if m.direction == "out"]
    assert keys == ["fallback.clarify", "handoff.offer"]


async def test_a_did_you_mean_candidate_leads_to_its_answer(
    assistant: Assistant, user: UserChat
) -> None:
    [clarify] = await user.says("Papier")
    candidates = [data for _, data in clarify.buttons if data.startswith("r:/ask_")]
    assert candidates, "this vague word must produce candidates; pick another if the model changed"
    [answer] = await user.presses(candidates[0], on=clarify)
    key = candidates[0].removeprefix("r:/ask_")
    log = await logged(assistant, user.chat_id)
    assert log[-1].content_key is not None and log[-1].content_key.endswith("." + key)
    assert "Quellen:" in answer.text


async def test_an_urgent_letter_becomes_a_case_with_number_and_honest_expectation(
    assistant: Assistant, user: UserChat
) -> None:
    await user.says("Wie finde ich eine Wohnung?")
    letter = "Ich habe eine Ablehnung bekommen und die Frist endet morgen, was soll ich tun?"
    [offer] = await user.says(letter)
    assert "Frist" in offer.text and "Soll ich es weitergeben?" in offer.text
    [opened] = await user.presses(offer.button("Ja"), on=offer)
    assert "GK-" in opened.text and "112" in opened.text and "Foto" in opened.text

    async with assistant.sessions() as session:
        [case] = (await session.scalars(select(Case).where(Case.chat_id == user.chat_id))).all()
    assert (case.status, case.assignee, case.topic, case.language, case.contact) == (
        "open",
        None,
        "bureaucracy",
        "de",
        "telegram",
    )
    assert (case.description, case.reason, case.urgency) == (letter, "urgent", 2)
    transcript = [m["text"] for m in case.transcript["messages"]]
    assert "Wie finde ich eine Wohnung?" in transcript
    log = await logged(assistant, user.chat_id)
    assert log[-1].content_key == "handoff.opened" and log[-1].case_id == case.id
    assert log[-2].direction == "in" and log[-2].case_id == case.id

    [status] = await user.says("/status")
    assert f"GK-{case.id:05d}" in status.text and "wartet auf eine Beraterin" in status.text


async def test_an_offer_declined_keeps_the_conversation_and_opens_no_case(
    assistant: Assistant, user: UserChat
) -> None:
    [offer] = await user.says("Meine Duldung wurde heute nicht verlängert")
    [declined] = await user.presses(offer.button("Nein"), on=offer)
    assert "/human" in declined.text
    [status] = await user.says("/status")
    assert "keine offenen Anfragen" in status.text


async def test_user_text_is_stored_as_written_but_never_sent_back_as_markup(
    assistant: Assistant, user: UserChat
) -> None:
    await user.says("<b>hallo</b> <script>alert(1)</script> wo ist das Jobcenter?")
    log = await logged(assistant, user.chat_id)
    assert "<script>" in log[0].text
    assert all("<script>" not in m.text for m in user.telegram.messages_to(user.chat_id))


async def test_non_text_messages_get_a_helpful_reply(assistant: Assistant, user: UserChat) -> None:
    [voice] = await user.sends({"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 3}})
    assert "Sprachnachrichten" in voice.text
    [photo] = await user.sends(
        {"photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 10, "height": 10}]}
    )
    assert photo.buttons[0][1].startswith("p:")  # offers a caseworker
    [sticker] = await user.sends(
        {"sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 1, "height": 1,
                     "is_animated": False, "is_video": False, "type": "regular"}}
    )  # fmt: skip
    assert "Sticker" in sticker.text
    [location] = await user.sends({"location": {"latitude": 52.14, "longitude": 7.33}})
    assert "Standort" in location.text
    async with assistant.sessions() as session:
        payloads = (
            await session.scalars(
                select(InboxUpdate.payload).where(InboxUpdate.chat_id == user.chat_id)
            )
        ).all()
    assert all("52.14" not in str(p) and "Amira" not in str(p) for p in payloads)


async def test_empty_and_huge_messages_get_a_helpful_reply(
    assistant: Assistant, user: UserChat
) -> None:
    [empty] = await user.says("   ")
    assert "leer" in empty.text
    [huge] = await user.says("Ich habe ein Problem. " * 200)
    assert "lange Nachricht" in huge.text and "/human" in huge.text


async def test_language_can_be_chosen_and_is_kept(assistant: Assistant, user: UserChat) -> None:
    [menu] = await user.says("/language")
    [done] = await user.presses(menu.button("English"), on=menu)
    assert "English" in done.text
    [answer] = await user.says("Wie bekomme ich einen Integrationskurs?")
    assert "Sources:" in answer.text
    async with assistant.sessions() as session:
        chat = await session.get(Chat, user.chat_id)
    assert chat is not None and (chat.language, chat.language_chosen) == ("en", True)


async def test_feedback_that_did_not_help_offers_a_person(
    assistant: Assistant, user: UserChat
) -> None:
    [answer] = await user.says("Wie finde ich eine Wohnung?")
    [sorry] = await user.presses(answer.button("nicht geholfen"), on=answer)
    assert sorry.text == t("feedback.sorry", "de")
    log = await logged(assistant, user.chat_id)
    rating = log[-2]
    assert rating.intent == "feedback.not_helped" and rating.content_key == "housing.find_flat"


async def test_delete_erases_everything_after_confirmation(
    assistant: Assistant, user: UserChat, rasa_server: RasaServer
) -> None:
    await user.says("Wie finde ich eine Wohnung?")
    async with assistant.sessions() as session:
        pseudonym = await session.scalar(select(Chat.pseudonym).where(Chat.id == user.chat_id))
    [confirm] = await user.says("/delete")
    [kept] = await user.presses(confirm.button("behalten"), on=confirm)
    assert "nichts gelöscht" in kept.text
    [confirm] = await user.says("/delete")
    [deleted] = await user.presses(confirm.button("alles löschen"), on=confirm)
    assert "gelöscht" in deleted.text
    async with assistant.sessions() as session:
        assert await session.get(Chat, user.chat_id) is None
        left = (
            await session.scalars(select(InboxUpdate).where(InboxUpdate.chat_id == user.chat_id))
        ).all()
        assert [row.payload for row in left] == [{"erased": True}]  # only the /delete itself
    assert await logged(assistant, user.chat_id) == []
    import sqlite3

    with sqlite3.connect(rasa_server.data_dir / "rasa_tracker.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (pseudonym,)
        ).fetchone()
    assert count == 0


async def test_a_redelivered_update_is_answered_only_once(
    assistant: Assistant, user: UserChat
) -> None:
    update_id = await user.telegram.user_says(user.chat_id, "Was ist eine Duldung?")
    await user.telegram.wait_for(user.chat_id, 1)
    assert any(u["update_id"] == update_id for u in user.telegram.updates)
    user.telegram.replay_all_once()  # Telegram sends everything again, as after a lost ack
    user.seen = 1
    await user.hears_nothing_more(2.0)
