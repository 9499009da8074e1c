"""Contact details are masked in exported text; dates, case numbers, § and postcodes are not."""

from __future__ import annotations

import pytest

from bot.redact import EMAIL_MARK, PHONE_MARK, mask_contacts


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Ruf mich an: +49 151 2345678 bitte", f"Ruf mich an: {PHONE_MARK} bitte"),
        ("+491512345678", PHONE_MARK),
        ("0049 (0)151/234 567 8", PHONE_MARK),
        ("0151-2345678", PHONE_MARK),
        ("01512345678.", f"{PHONE_MARK}."),
        ("Tel. (05971) 123456", f"Tel. {PHONE_MARK}"),
        ("Tel.:030/12345678", f"Tel.:{PHONE_MARK}"),
        ("mail: a.b-c+d@example.co.uk.", f"mail: {EMAIL_MARK}."),
        ("amal@example.org oder 0151 2345678", f"{EMAIL_MARK} oder {PHONE_MARK}"),
    ],
)
def test_phone_numbers_and_e_mail_addresses_are_masked(text: str, masked: str) -> None:
    assert mask_contacts(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Termin am 26.11.2026 um 10:30",
        "Frist bis 2026-12-01 oder 01-12-2026 oder 01/12/2026",
        "Mein Fall GK-00012",
        "§ 60a AufenthG, § 2 Abs. 1 Nr. 3",
        "48431 Rheine, 01067 Dresden",
        "Miete 1.200,50 €, 0,5 Zimmer",
        "Seit 2015 in Deutschland, 3 Kinder, 12 Jahre alt",
    ],
)
def test_dates_case_numbers_paragraphs_and_postcodes_stay_readable(text: str) -> None:
    assert mask_contacts(text) == text
