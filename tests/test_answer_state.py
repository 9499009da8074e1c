"""A young person can tell a checked answer from one nobody has checked yet.

Reviewed answers end with the editor's check and its date, in the reader's language;
drafts and machine translations say that no editor has checked them; a reviewed
translation whose German source changed since is no longer presented as checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.content.store import ContentStore
from bot.i18n import format_date, t
from bot.replies import compose
from tests.servers import ROOT

KEY = "training.apprenticeship"
CHECKED_ON = dt.date(2026, 3, 5)


@pytest.fixture(scope="module")
def shipped() -> ContentStore:
    return ContentStore.load(ROOT / "content")


def with_state(store: ContentStore, language: str, **changes: object) -> ContentStore:
    """The shipped content with one answer's front matter changed, as an editor would."""
    entries = [
        dataclasses.replace(e, **changes) if (e.key, e.language) == (KEY, language) else e  # type: ignore[arg-type]
        for e in store.entries()
    ]
    return ContentStore(store.catalog, entries)


def answer_text(store: ContentStore, language: str) -> str:
    reply = compose.answer(store, KEY, language)
    assert reply is not None
    return reply.text


@pytest.mark.parametrize("language", ["en", "ar", "de"])
def test_a_reviewed_answer_shows_the_editors_check_and_its_date(
    shipped: ContentStore, language: str
) -> None:
    store = with_state(shipped, language, status="reviewed", reviewed=CHECKED_ON)
    text = answer_text(store, language)
    date = format_date(CHECKED_ON, language)
    assert text.endswith(t("answer.reviewed_note", language, date=date))
    assert t("answer.draft_note", language) not in text
    if language == "en":
        assert text.endswith("<i>Checked by an editor on March 5, 2026.</i>")


def test_a_draft_says_no_editor_checked_it_and_shows_no_review_date(
    shipped: ContentStore,
) -> None:
    store = with_state(shipped, "en", status="draft", reviewed=CHECKED_ON)
    text = answer_text(store, "en")
    assert text.endswith("<i>Not yet checked by an editor.</i>")
    assert "March 5, 2026" not in text


def test_a_machine_translation_says_it_is_unchecked(shipped: ContentStore) -> None:
    text = answer_text(with_state(shipped, "so", status="machine"), "so")
    assert text.endswith(t("answer.machine_note", "so"))


def test_a_reviewed_translation_of_an_older_german_text_is_not_shown_as_checked(
    shipped: ContentStore,
) -> None:
    store = with_state(
        shipped, "fr", status="reviewed", reviewed=CHECKED_ON, source_hash="0123456789abcdef"
    )
    text = answer_text(store, "fr")
    assert text.endswith(t("answer.draft_note", "fr"))
    assert format_date(CHECKED_ON, "fr") not in text

    german = shipped.get(KEY, "de")
    assert german is not None
    current = with_state(store, "fr", source_hash=german.fingerprint)
    assert answer_text(current, "fr").endswith(
        t("answer.reviewed_note", "fr", date=format_date(CHECKED_ON, "fr"))
    )


def test_the_german_original_shows_the_state_of_the_german_text(shipped: ContentStore) -> None:
    store = with_state(shipped, "de", status="reviewed", reviewed=CHECKED_ON)
    original = compose.original(store, KEY)
    assert original is not None
    assert original.text.endswith("<i>Von der Redaktion geprüft am 5. März 2026.</i>")
