"""Chat ids never appear in logs or exports: only stable, keyed pseudonyms."""

from bot.privacy import pseudonymise
from bot.telegram.sanitize import chat_id_of, sanitize_update


def test_pseudonym_is_stable_keyed_and_does_not_contain_the_id() -> None:
    first = pseudonymise(123456789, b"key-one-0123456789")
    assert first == pseudonymise(123456789, b"key-one-0123456789")
    assert first != pseudonymise(123456789, b"key-two-0123456789")
    assert first != pseudonymise(123456780, b"key-one-0123456789")
    assert "123456789" not in first and len(first) == 17


def test_stored_updates_lose_names_usernames_contacts_and_coordinates() -> None:
    raw = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 55, "type": "private", "first_name": "Amira", "username": "amira"},
            "from": {
                "id": 55,
                "is_bot": False,
                "first_name": "Amira",
                "last_name": "K",
                "language_code": "ar",
            },
            "location": {"latitude": 52.1, "longitude": 7.3},
            "contact": {"phone_number": "+49 170 0000000", "first_name": "Amira"},
        },
    }
    clean = sanitize_update(raw)
    text = str(clean)
    assert (
        "Amira" not in text and "amira" not in text and "0000000" not in text and "52.1" not in text
    )
    assert clean["message"]["from"]["language_code"] == "ar"
    assert chat_id_of(clean) == 55
    assert raw["message"]["chat"]["first_name"] == "Amira"  # the original is untouched


def test_a_letter_keeps_what_the_case_needs_but_not_who_it_was_forwarded_from() -> None:
    raw = {
        "update_id": 8,
        "message": {
            "message_id": 2,
            "date": 0,
            "chat": {"id": 56, "type": "private", "first_name": "Amira"},
            "from": {"id": 56, "is_bot": False, "first_name": "Amira"},
            "document": {
                "file_id": "doc-1",
                "file_unique_id": "u1",
                "file_name": "Bescheid.pdf",
                "mime_type": "application/pdf",
                "file_size": 12345,
            },
            "caption": "Brief vom Amt, siehe @karim",
            "caption_entities": [
                {"type": "text_mention", "offset": 22, "length": 6,
                 "user": {"id": 99, "is_bot": False, "first_name": "Karim", "last_name": "S"}},
            ],
            "forward_origin": {
                "type": "user",
                "date": 0,
                "sender_user": {"id": 99, "is_bot": False, "first_name": "Karim"},
            },
        },
    }  # fmt: skip
    clean = sanitize_update(raw)["message"]
    assert clean["document"] == raw["message"]["document"]
    assert clean["caption"] == "Brief vom Amt, siehe @karim"
    assert "Karim" not in str(clean) and "forward_origin" not in clean
