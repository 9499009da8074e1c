"""Replies about the user's own cases: opened, already open, status, files, contact.

Pure functions of what they show (no database): the conversation layer reads the figures and
passes them in, so the same words are used wherever a case is mentioned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.i18n import format_date, t
from bot.replies import Button, Reply, callbacks
from bot.storage.cases import case_number


def duration(value: dt.timedelta, language: str) -> str:
    """'about 3 hours' in words people use: minutes below an hour, hours below two days."""
    seconds = max(value.total_seconds(), 0)
    if seconds < 3600:
        unit, n = "minutes", max(1, round(seconds / 60))
    elif seconds < 48 * 3600:
        unit, n = "hours", max(1, round(seconds / 3600))
    else:
        unit, n = "days", max(2, round(seconds / 86400))
    return t(f"duration.{unit}.{'one' if n == 1 else 'other'}", language, n=n)


def moment(value: dt.datetime, language: str) -> str:
    """A local point in time: weekday, date and hour in the user's language."""
    return t(
        "handoff.when",
        language,
        weekday=t(f"weekday.{value.weekday()}", language),
        date=format_date(value.date(), language),
        time=value.strftime("%H:%M"),
    )


def expectation(typical: dt.timedelta | None, configured_days: int, language: str) -> str:
    """The measured typical wait; the configured expectation only while there is no data."""
    if typical is None:
        return t("handoff.expectation_configured", language, days=configured_days)
    return t("handoff.expectation_measured", language, duration=duration(typical, language))


def case_buttons(case_id: int, language: str) -> list[list[Button]]:
    """What the user can do with a case they just opened (or were sent back to)."""
    return [
        [Button(t("button.contact_other", language), callbacks.contact(case_id))],
        [
            Button(t("button.cancel_case", language), callbacks.cancel_case(case_id)),
            Button(t("button.back_to_bot", language), callbacks.back_to_bot()),
        ],
    ]


def back_row(language: str) -> list[Button]:
    return [Button(t("button.back_to_bot", language), callbacks.back_to_bot())]


@dataclass(frozen=True)
class Opened:
    """What the user is told about a new case."""

    case_id: int
    typical_first_answer: dt.timedelta | None
    configured_days: int
    next_opening: dt.datetime | None  # None: staff are at work right now


def opened(info: Opened, language: str) -> Reply:
    number = case_number(info.case_id)
    parts = [
        t("handoff.opened", language, case_number=number),
        expectation(info.typical_first_answer, info.configured_days, language),
    ]
    if info.next_opening is not None:
        parts.append(t("handoff.after_hours", language, when=moment(info.next_opening, language)))
    parts.append(t("handoff.emergency", language))
    return Reply(
        "handoff.opened",
        "\n\n".join(parts),
        language,
        case_buttons(info.case_id, language),
        case_id=info.case_id,
    )


def already_open(case_id: int, status: str, language: str) -> Reply:
    text = t(
        "handoff.already_open",
        language,
        case_number=case_number(case_id),
        status=t(f"case.status.{status}", language),
    )
    return Reply(
        "handoff.already_open", text, language, case_buttons(case_id, language), case_id=case_id
    )


def added(case_id: int, language: str) -> Reply:
    text = t("case.added", language, case_number=case_number(case_id))
    return Reply("case.added", text, language, [back_row(language)], case_id=case_id)


def attachment_added(case_id: int, file_name: str, language: str) -> Reply:
    text = t(
        "case.attachment_added", language, case_number=case_number(case_id), file_name=file_name
    )
    return Reply("case.attachment_added", text, language, case_id=case_id)


def attachment_refused(reason: str, max_bytes: int, language: str) -> Reply:
    """Why a file did not go to the case: too_big | type | gone | unavailable."""
    key = f"case.attachment_{reason}"
    return Reply(key, t(key, language, max_mb=max_bytes // (1024 * 1024)), language)


def ask_contact(language: str, invalid: bool = False) -> Reply:
    text = t("handoff.ask_contact", language)
    if invalid:
        text = f"{t('handoff.contact_invalid', language)}\n\n{text}"
    cancel = [Button(t("button.cancel", language), callbacks.contact_cancel())]
    return Reply("handoff.ask_contact", text, language, [cancel])


@dataclass(frozen=True)
class CaseLine:
    """What /status shows of one open case."""

    case_id: int
    topic: str
    status: str
    created: dt.date
    place: int | None  # in the queue; None once a caseworker has it


def status(
    lines: list[CaseLine],
    typical: dt.timedelta | None,
    configured_days: int,
    language: str,
) -> Reply:
    if not lines:
        return Reply("meta.status_none", t("meta.status_none", language), language)
    text = [t("meta.status_header", language)]
    for line in lines:
        text.append(
            t(
                "meta.status_line",
                language,
                case_number=case_number(line.case_id),
                topic=t(f"topic.{line.topic}", language),
                status=t(f"case.status.{line.status}", language),
                date=format_date(line.created, language),
            )
        )
        if line.place is not None:
            text.append(t("meta.status_place", language, place=line.place))
    if typical is None:
        text.append("\n" + t("meta.status_typical_configured", language, days=configured_days))
    else:
        text.append(
            "\n" + t("meta.status_typical_measured", language, duration=duration(typical, language))
        )
    return Reply("meta.status", "\n".join(text), language)
