"""A young person and a caseworker: the handoff, the case thread, files, status, leaving.

Real trained Rasa and action server, the bot with its database (SQLite and PostgreSQL), a fake
Telegram Bot API over HTTP. Caseworkers act through `CaseDesk`, exactly as the dashboard does.
Assertions name content keys (what was said), not the wording.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Assistant
from bot.cases.desk import CaseDesk, Staff
from bot.cases.urgency import URGENT
from bot.db.models import Case, CaseAttachment, CaseEvent, Chat, ConversationMessage
from bot.i18n import t
from bot.replies import callbacks
from bot.replies import cases as case_replies
from bot.storage import case_queue, case_thread, cases
from tests.conftest import RasaServer, UserChat, bot_settings, out_keys, processed
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import RasaProxy

pytestmark = pytest.mark.e2e

ANNA = Staff("anna", "Anna")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n%letter\n" + b"0" * 500
STAFF_CHAT = -1001234567


async def the_case(assistant: Assistant, chat_id: int) -> Case:
    async with assistant.sessions() as session:
        [found] = (await session.scalars(select(Case).where(Case.chat_id == chat_id))).all()
        return found


async def chat_row(assistant: Assistant, chat_id: int) -> Chat:
    async with assistant.sessions() as session:
        found = await session.get(Chat, chat_id)
        assert found is not None
        return found


async def event_kinds(assistant: Assistant, case_id: int) -> list[str]:
    async with assistant.sessions() as session:
        return [e.kind for e in await case_thread.events(session, case_id)]


def data_of(message: Sent) -> list[str]:
    return [data for _, data in message.buttons]


async def test_a_person_is_asked_for_answers_in_the_chat_resolves_and_status_tells_the_truth(
    assistant: Assistant, user: UserChat
) -> None:
    await user.says("Wie finde ich eine Wohnung?")
    [opened] = await user.says("I want to talk to a real person")
    case = await the_case(assistant, user.chat_id)
    number = cases.case_number(case.id)
    assert number in opened.text and "112" in opened.text
    assert data_of(opened) == [
        callbacks.contact(case.id),
        callbacks.cancel_case(case.id),
        callbacks.back_to_bot(),
    ]
    assert (case.status, case.reason, case.contact) == ("open", "request", "telegram")
    assert case.description == "I want to talk to a real person"
    assert "Wie finde ich eine Wohnung?" in [m["text"] for m in case.transcript["messages"]]
    assert (await chat_row(assistant, user.chat_id)).case_mode_case_id == case.id

    # What the user writes now goes to the case, not to the bot; they are told once.
    [added] = await user.says("My landlord wants me out by 15 December, <b>what now</b>?")
    assert number in added.text and data_of(added) == [callbacks.back_to_bot()]
    await user.telegram.user_says(user.chat_id, "I have the letter here")
    await user.hears_nothing_more()

    # Before anyone claims it, /status tells the place in the queue.
    [status] = await user.says("/status")
    async with assistant.sessions() as session:
        current = await session.get(Case, case.id)
        assert current is not None
        place = await case_queue.place_in_queue(session, current)
    assert number in status.text and f": {place}" in status.text

    desk = CaseDesk(assistant.sessions)
    assert (await desk.claim(case.id, ANNA)).won
    [claimed] = await user._replies(1)
    assert "Anna" in claimed.text and number in claimed.text
    await desk.reply(case.id, ANNA, "Please send me a photo of the letter.")
    [answer] = await user._replies(1)
    assert "Please send me a photo of the letter." in answer.text
    assert callbacks.back_to_bot() in data_of(answer)

    # The caseworker sees everything the user wrote, as text, in order.
    thanks = await user.telegram.user_says(user.chat_id, "Thank you, I will send it tonight")
    await processed(assistant, thanks)
    await user.hears_nothing_more()
    async with assistant.sessions() as session:
        current = await session.get(Case, case.id)
        assert current is not None
        thread = [e for e in await case_thread.thread(session, current) if e.in_thread]
        assert current.status == "in_progress"  # the user answered the caseworker
        typical = await case_queue.median_first_response(session)
    assert [e.text for e in thread if e.direction == "in"] == [
        "I want to talk to a real person",
        "My landlord wants me out by 15 December, <b>what now</b>?",
        "I have the letter here",
        "Thank you, I will send it tonight",
    ]
    assert "Please send me a photo of the letter." in [e.text for e in thread]
    assert typical is not None
    [status] = await user.says("/status")
    assert number in status.text and "Place in the queue" not in status.text
    assert case_replies.duration(typical, "en") in status.text

    assert await desk.set_status(case.id, ANNA, "resolved")
    [resolved] = await user._replies(1)
    assert data_of(resolved) == [
        callbacks.case_feedback(case.id, True),
        callbacks.case_feedback(case.id, False),
    ]
    [_thanks] = await user.presses(callbacks.case_feedback(case.id, True), on=resolved)
    closed = await the_case(assistant, user.chat_id)
    assert closed.helped is True and closed.status == "resolved"
    assert "feedback" in await event_kinds(assistant, case.id)
    [_none] = await user.says("/status")
    keys = await out_keys(assistant, user.chat_id)
    assert keys[-3:] == ["meta.status", "case.feedback_thanks", "meta.status_none"]
    assert keys.count("case.added") == 1


async def test_human_works_while_rasa_is_down_and_the_thread_does_not_need_rasa(
    assistant: Assistant, user: UserChat, rasa_proxy: RasaProxy
) -> None:
    await rasa_proxy.down()
    [opened] = await user.says("/human")
    case = await the_case(assistant, user.chat_id)
    assert cases.case_number(case.id) in opened.text
    [added] = await user.says("Mein Brief vom Jobcenter hat eine Frist")
    assert cases.case_number(case.id) in added.text
    [again] = await user.says("/human")  # one open case at a time: back into its thread
    assert cases.case_number(case.id) in again.text
    [back] = await user.presses(callbacks.back_to_bot(), on=again)
    assert callbacks.topic("housing") in data_of(back)
    assert (await chat_row(assistant, user.chat_id)).case_mode_case_id is None
    assert await out_keys(assistant, user.chat_id) == [
        "handoff.opened",
        "case.added",
        "handoff.already_open",
        "case.back",
    ]
    assert not [path for path in rasa_proxy.forwarded if path.startswith("/webhooks")]


async def test_a_photo_of_the_letter_is_stored_with_the_case_and_wrong_files_are_refused(
    assistant: Assistant, user: UserChat, telegram: FakeTelegram
) -> None:
    await user.says("/human")
    case = await the_case(assistant, user.chat_id)
    photo_update = await telegram.user_sends_photo(user.chat_id, JPEG, caption="Seite 1")
    [stored] = await user._replies(1)
    assert cases.case_number(case.id) in stored.text

    await telegram.user_sends_document(
        user.chat_id, b"PK\x03\x04 a word file", "Bescheid.docx", "application/msword"
    )
    [_wrong_type] = await user._replies(1)
    huge = await telegram.user_sends_document(
        user.chat_id, PDF, "Bescheid.pdf", "application/pdf", size=50 * 1024 * 1024
    )
    [_too_big] = await user._replies(1)

    # Telegram unreachable for the download: the file waits and arrives, never dropped.
    telegram.fail_next("getFile", 502, "Bad Gateway")
    await telegram.user_sends_document(user.chat_id, PDF, "Bescheid.pdf", "application/pdf")
    [apology, pdf_stored] = await user._replies(2)
    assert apology.text == t("meta.unavailable", "de")

    keys = await out_keys(assistant, user.chat_id)
    assert keys[1:] == [
        "case.attachment_added",
        "case.attachment_type",
        "case.attachment_too_big",
        "case.attachment_added",
    ]
    assert "Bescheid.pdf" in pdf_stored.text
    async with assistant.sessions() as session:
        files = (
            await session.scalars(
                select(CaseAttachment)
                .where(CaseAttachment.case_id == case.id)
                .order_by(CaseAttachment.id)
            )
        ).all()
        current = await session.get(Case, case.id)
        assert current is not None
        thread = await case_thread.thread(session, current)
    assert [(f.media_type, f.data) for f in files] == [
        ("image/jpeg", JPEG),
        ("application/pdf", PDF),
    ]
    assert files[0].update_id == photo_update
    assert "Seite 1" in [e.text for e in thread if e.in_thread]
    assert not any(file_id in telegram.downloads for file_id in _file_ids(telegram, huge))


def _file_ids(telegram: FakeTelegram, update_id: int) -> list[str]:
    [update] = [u for u in telegram.updates if u["update_id"] == update_id]
    return [update["message"]["document"]["file_id"]]


async def test_a_photo_sent_outside_a_case_goes_to_a_new_case_with_one_tap(
    assistant: Assistant, user: UserChat, telegram: FakeTelegram
) -> None:
    photo_update = await telegram.user_sends_photo(user.chat_id, JPEG)
    [offer] = await user._replies(1)
    assert data_of(offer) == [callbacks.photo_case(photo_update), callbacks.decline()]
    [opened, stored] = await user.presses(callbacks.photo_case(photo_update), on=offer, replies=2)
    case = await the_case(assistant, user.chat_id)
    assert case.reason == "attachment" and cases.case_number(case.id) in opened.text
    async with assistant.sessions() as session:
        [attachment] = (
            await session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id))
        ).all()
    assert attachment.data == JPEG and attachment.update_id == photo_update
    assert cases.case_number(case.id) in stored.text


async def test_start_leaves_a_half_filled_contact_question_and_a_valid_contact_is_kept(
    assistant: Assistant, user: UserChat
) -> None:
    [opened] = await user.says("/human")
    case = await the_case(assistant, user.chat_id)
    [_question] = await user.presses(callbacks.contact(case.id), on=opened)
    assert (await chat_row(assistant, user.chat_id)).awaiting == f"contact:{case.id}"
    [asked_again] = await user.says("Wie finde ich eine Wohnung?")  # not a contact detail
    assert data_of(asked_again) == [callbacks.contact_cancel()]
    [greeting] = await user.says("/start")
    assert callbacks.back_to_bot() in data_of(greeting)  # still in the case, and says so
    assert (await chat_row(assistant, user.chat_id)).awaiting is None
    assert (await the_case(assistant, user.chat_id)).contact == "telegram"

    [_question] = await user.presses(callbacks.contact(case.id), on=opened)
    [_saved] = await user.says("+49 151 23456789")
    assert (await the_case(assistant, user.chat_id)).contact == "+49 151 23456789"
    assert (await chat_row(assistant, user.chat_id)).awaiting is None
    keys = await out_keys(assistant, user.chat_id)
    assert keys == [
        "handoff.opened",
        "handoff.ask_contact",
        "handoff.ask_contact",
        "meta.greet",
        "handoff.ask_contact",
        "handoff.contact_saved",
    ]
    async with assistant.sessions() as session:
        logged = (
            await session.scalars(
                select(ConversationMessage.text).where(
                    ConversationMessage.chat_id == user.chat_id,
                    ConversationMessage.direction == "in",
                )
            )
        ).all()
    assert "+49 151 23456789" not in logged  # the contact is on the case, not in the log


async def test_a_cancelled_case_is_closed_and_the_bot_answers_questions_again(
    assistant: Assistant, user: UserChat
) -> None:
    [opened] = await user.says("/human")
    case = await the_case(assistant, user.chat_id)
    [cancelled] = await user.presses(callbacks.cancel_case(case.id), on=opened)
    assert cases.case_number(case.id) in cancelled.text
    closed = await the_case(assistant, user.chat_id)
    assert closed.status == "resolved" and closed.closed_at is not None
    assert "cancelled" in await event_kinds(assistant, case.id)
    assert (await chat_row(assistant, user.chat_id)).case_mode_case_id is None
    [_again] = await user.presses(callbacks.cancel_case(case.id), on=opened)
    [_answer] = await user.says("Wie finde ich eine Wohnung?")
    assert (await out_keys(assistant, user.chat_id))[1:] == [
        "handoff.cancelled",
        "handoff.cancel_closed",
        "housing.find_flat",
    ]


async def test_an_urgent_deadline_gets_an_offer_and_one_tap_opens_the_case_with_that_message(
    assistant: Assistant, user: UserChat
) -> None:
    today = dt.datetime.now(ZoneInfo("Europe/Berlin")).date()
    deadline = today + dt.timedelta(days=5)
    message = f"Meine Duldung endet am {deadline.day}.{deadline.month}. und ich habe keinen Termin"
    [offer] = await user.says(message)
    await user.says("Und wie finde ich eine Wohnung?")  # something else in between
    [opened] = await user.presses(offer.button("Ja"), on=offer)
    case = await the_case(assistant, user.chat_id)
    assert cases.case_number(case.id) in opened.text
    assert (case.reason, case.topic, case.description) == ("urgent", "bureaucracy", message)
    assert (case.urgency, case.deadline) == (URGENT, deadline)


async def test_a_typed_yes_after_the_offer_opens_the_case_too(
    assistant: Assistant, user: UserChat
) -> None:
    message = "Ich habe eine Ablehnung vom BAMF bekommen, was soll ich tun?"
    [offer] = await user.says(message)
    assert callbacks.decline() in data_of(offer)
    await user.says("ja")
    case = await the_case(assistant, user.chat_id)
    assert (case.reason, case.description) == ("urgent", message)
    assert (await out_keys(assistant, user.chat_id)) == ["handoff.offer", "handoff.opened"]


async def test_unclear_twice_then_yes_opens_a_case_about_what_was_unclear(
    assistant: Assistant, user: UserChat
) -> None:
    await user.says("ich hab da so ein ding")
    [offer] = await user.says("Problem")
    [_opened] = await user.presses(offer.button("Ja"), on=offer)
    case = await the_case(assistant, user.chat_id)
    assert (case.reason, case.description) == ("unclear", "Problem")


async def test_an_answer_that_did_not_help_can_go_to_a_person_with_its_question(
    assistant: Assistant, user: UserChat
) -> None:
    [answer] = await user.says("Wie finde ich eine Wohnung?")
    [sorry] = await user.presses(answer.button("nicht geholfen"), on=answer)
    [_opened] = await user.presses(sorry.button("Ja"), on=sorry)
    case = await the_case(assistant, user.chat_id)
    assert (case.reason, case.topic) == ("feedback", "housing")
    assert case.description == "Wie finde ich eine Wohnung?"


@pytest.fixture
async def staffed_assistant(
    database_url: str, rasa_server: RasaServer, rasa_proxy: RasaProxy, telegram: FakeTelegram
) -> AsyncIterator[Assistant]:
    """Staff group configured, and office hours that are closed right now."""
    weekday = dt.datetime.now(ZoneInfo("Europe/Berlin")).weekday()
    other_day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(weekday + 3) % 7]
    settings = dataclasses.replace(
        bot_settings(database_url, telegram, rasa_proxy.url, rasa_server),
        staff_chat_id=STAFF_CHAT,
        office_hours=f"{other_day} 09:00-16:00",
    )
    bot = Assistant(settings)
    await bot.start()
    yield bot
    await bot.stop()


async def test_staff_hear_of_a_new_case_without_its_text_and_the_user_hears_when_someone_looks(
    staffed_assistant: Assistant, user: UserChat, telegram: FakeTelegram
) -> None:
    await user.says("Ich habe eine Ablehnung vom BAMF bekommen, was soll ich tun?")
    [offer] = user.telegram.messages_to(user.chat_id)
    [opened] = await user.presses(offer.button("Ja"), on=offer)
    case = await the_case(staffed_assistant, user.chat_id)
    assert "112" in opened.text
    next_opening = case_replies.moment(
        staffed_assistant.service.case_flow.office_hours.next_opening(dt.datetime.now(dt.UTC)),
        "de",
    )
    assert next_opening in opened.text
    [notice] = await telegram.wait_for(STAFF_CHAT, 1)
    assert cases.case_number(case.id) in notice.text and "Ämter" in notice.text
    assert "BAMF" not in notice.text and "Ablehnung" not in notice.text
    async with staffed_assistant.sessions() as session:
        kinds = (
            await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))
        ).all()
    assert kinds == ["opened"]
