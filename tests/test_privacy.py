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
