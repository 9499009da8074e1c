"""What the user is told about a case: honest times, office hours, status, contact, files."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.cases.office_hours import OfficeHours
from bot.conversation.attachments import checked, media_type_of, safe_file_name
from bot.conversation.contact import normalised_contact
from bot.conversation.model import FileRef, FileRejected
from bot.i18n import format_date
from bot.replies import callbacks
from bot.replies import cases as case_replies
from bot.telegram.files import file_ref_from_message

BERLIN = ZoneInfo("Europe/Berlin")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.mark.parametrize(
    ("seconds", "language", "words"),
    [(20, "en", "1 minute"), (25 * 60, "en", "25 minutes"), (3 * 3600, "de", "3 Stunden"),
     (3600, "en", "1 hour"), (47 * 3600, "en", "47 hours"), (5 * 86400, "de", "5 Tagen")],
)  # fmt: skip
def test_typical_waits_are_said_in_words_people_use(
    seconds: float, language: str, words: str
) -> None:
    assert case_replies.duration(dt.timedelta(seconds=seconds), language) == words


def test_a_case_opened_outside_office_hours_says_when_someone_looks_and_the_emergency_numbers() -> (
    None
):
    hours = OfficeHours.parse("Mon-Fri 09:00-16:00", "Europe/Berlin")
    saturday = dt.datetime(2026, 11, 28, 20, 0, tzinfo=BERLIN)
    info = case_replies.Opened(12, None, 2, hours.next_opening(saturday))
    german = case_replies.opened(info, "de")
    assert "GK-00012" in german.text
    monday = case_replies.moment(dt.datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN), "de")
    assert "Montag" in monday and "09:00" in monday
    assert format_date(dt.date(2026, 11, 30), "de") in monday
    assert f"Ab {monday}" in german.text
    assert "112" in german.text and "110" in german.text
    assert "innerhalb von 2 Werktagen" in german.text  # no data yet: the configured figure
    data = [b.data for row in german.buttons for b in row]
    assert data == [callbacks.contact(12), callbacks.cancel_case(12), callbacks.back_to_bot()]

    during = case_replies.Opened(12, dt.timedelta(hours=5), 2, None)
    english = case_replies.opened(during, "en")
    assert "Right now nobody" not in english.text and "112" in english.text
    assert "after about 5 hours" in english.text and "working days" not in english.text


def test_status_shows_each_case_with_its_place_and_the_measured_typical_wait() -> None:
    lines = [
        case_replies.CaseLine(3, "housing", "open", dt.date(2026, 11, 20), place=4),
        case_replies.CaseLine(9, "bureaucracy", "in_progress", dt.date(2026, 11, 25), None),
    ]
    reply = case_replies.status(lines, dt.timedelta(days=2), 2, "en")
    assert "GK-00003" in reply.text and "Place in the queue: 4" in reply.text
    assert reply.text.count("Place in the queue") == 1  # the claimed case has no place
    assert "after about 2 days" in reply.text
    unmeasured = case_replies.status(lines[:1], None, 3, "de")
    assert "innerhalb von 3 Werktagen" in unmeasured.text
    assert case_replies.status([], None, 2, "en").key == "meta.status_none"


@pytest.mark.parametrize(
    "text", ["+49 151 23456789", "0151/2345678", "amira.k@example.org", " 05971 123-456 "]
)
def test_a_phone_number_or_e_mail_is_taken(text: str) -> None:
    assert normalised_contact(text) is not None


@pytest.mark.parametrize(
    "text",
    ["Wie finde ich eine Wohnung?", "12345", "ja", "+49 151 2345 6789 0123 4567", "a@b",
     "call me maybe 0151 234567", "amira@example..org", ""],
)  # fmt: skip
def test_anything_else_is_refused_as_a_contact(text: str) -> None:
    assert normalised_contact(text) is None


def test_files_are_recognised_by_their_first_bytes_not_by_their_name() -> None:
    assert media_type_of(JPEG) == ("image/jpeg", ".jpg")
    assert media_type_of(b"\x89PNG\r\n\x1a\n....") == ("image/png", ".png")
    assert media_type_of(PDF) == ("application/pdf", ".pdf")
    ref = FileRef("f1", "document", "letter.pdf", "application/pdf", 10)
    with pytest.raises(FileRejected) as refused:
        checked(ref, b"MZ\x90\x00 an exe called letter.pdf", 10_000, 1)
    assert refused.value.reason == "type"
    with pytest.raises(FileRejected) as too_big:
        checked(ref, PDF, 50, 1)
    assert too_big.value.reason == "too_big"
    renamed = checked(FileRef("f2", "document", "../../Bescheid.docx"), JPEG, 10_000, 5)
    assert (renamed.file_name, renamed.media_type, renamed.update_id) == (
        "Bescheid.jpg",
        "image/jpeg",
        5,
    )
    assert safe_file_name('a<b>:"c".pdf', ".pdf") == "abc.pdf"


def test_of_a_photos_sizes_the_largest_that_fits_is_taken() -> None:
    message = {
        "photo": [
            {"file_id": "small", "file_size": 1_000},
            {"file_id": "medium", "file_size": 90_000},
            {"file_id": "huge", "file_size": 9_000_000},
        ],
        "caption": "page 1",
    }
    ref = file_ref_from_message(message, max_bytes=100_000)
    assert ref is not None and (ref.file_id, ref.kind, ref.caption) == ("medium", "photo", "page 1")
    document = {"document": {"file_id": "d", "file_name": "x.pdf", "file_size": 5}}
    found = file_ref_from_message(document, 100)
    assert found is not None and found.kind == "document"
    assert file_ref_from_message({"text": "hi"}, 100) is None
