"""Which turns are about a caseworker, decided without Rasa and without the database."""

from __future__ import annotations

from bot.conversation.case_router import CaseRouter
from bot.conversation.model import ChatState, FileRef, Incoming
from bot.replies import callbacks

ROUTER = CaseRouter()
IN_CASE = ChatState(case_mode=12)
PHOTO = FileRef("f1", "photo", "photo.jpg", "image/jpeg", 100)


def text(value: str) -> Incoming:
    return Incoming(1, 5, "text", value)


def test_human_opens_a_case_at_once_and_back_leaves_case_mode() -> None:
    human = ROUTER.route(Incoming(1, 5, "command", "human"), ChatState(), "en")
    assert human is not None and human.case_step is not None
    assert human.case_step.kind == "open" and human.case_step.request is not None
    assert human.case_step.request.reason == "request"
    back = ROUTER.route(Incoming(1, 5, "command", "back"), IN_CASE, "en")
    assert back is not None and back.case_step is not None and back.case_step.kind == "back"
    assert ROUTER.route(Incoming(1, 5, "command", "start"), IN_CASE, "en") is None


def test_in_case_mode_text_goes_to_the_case_and_outside_it_to_the_bot() -> None:
    outcome = ROUTER.route(text("Here is more about my letter"), IN_CASE, "en")
    assert outcome is not None and outcome.case_step is not None
    assert (outcome.case_step.kind, outcome.case_step.case_id) == ("message", 12)
    assert ROUTER.route(text("Wie finde ich eine Wohnung?"), ChatState(), "en") is None
    assert ROUTER.route(text("   "), IN_CASE, "en") is None  # empty: the bot says so


def test_a_contact_answer_is_checked_and_never_logged() -> None:
    waiting = ChatState(case_mode=12, awaiting_contact=12, awaiting="contact:12")
    good = ROUTER.route(text("+49 151 23456789"), waiting, "en")
    assert good is not None and good.case_step is not None
    assert (good.case_step.kind, good.case_step.text) == ("set_contact", "+49 151 23456789")
    assert good.logged_text == "[contact]"
    bad = ROUTER.route(text("Wie finde ich eine Wohnung?"), waiting, "en")
    assert bad is not None and bad.case_step is not None
    assert (bad.case_step.kind, bad.case_step.rejected) == ("ask_contact", "invalid")


def test_a_photo_goes_to_the_case_or_gets_an_offer_that_keeps_it() -> None:
    photo = Incoming(77, 5, "non_text", non_text_kind="photo", file=PHOTO)
    in_case = ROUTER.route(photo, IN_CASE, "en")
    assert in_case is not None and in_case.case_step is not None
    assert in_case.case_step.kind == "attachment" and in_case.case_step.file == PHOTO
    offer = ROUTER.route(photo, ChatState(), "en")
    assert offer is not None and offer.case_step is None
    assert offer.replies[0].buttons[0][0].data == callbacks.photo_case(77)


def test_an_offers_yes_opens_a_case_described_by_the_message_it_was_about() -> None:
    press = Incoming(3, 5, "callback", callbacks.handoff("urgent", "bureaucracy", 2))
    outcome = ROUTER.route(press, ChatState(), "de")
    assert outcome is not None and outcome.case_step is not None
    step = outcome.case_step
    assert step.request is not None and step.request.reason == "urgent"
    assert (step.description_ref, step.description_from_history) == (2, True)
    forged = ROUTER.route(Incoming(3, 5, "callback", "h:urgent:../../etc"), ChatState(), "de")
    assert forged is None  # not ours: the bot's normal router says the button expired
