"""The content store: every key answered in German and English, sourced, safe to render."""

import datetime as dt
from pathlib import Path

import pytest

from bot.content.check import check_content
from bot.content.markup import TELEGRAM_LIMIT, split_message, to_telegram_html
from bot.content.store import ContentStore
from bot.i18n import t
from bot.replies import compose
from tests.servers import ROOT

CONTENT = ROOT / "content"
EXPECTED_KEYS = {
    "courses": {"integration_course", "job_language_course", "course_without_entitlement",
                "language_exam", "tutoring", "school_degree"},
    "training": {"apprenticeship", "apprenticeship_toleration", "internship", "work_permit",
                 "recognition", "employer_info", "job_search"},
    "housing": {"residence_obligation", "find_flat", "rent_costs", "shelter"},
    "bureaucracy": {"immigration_office", "permit_extension", "toleration", "jobcenter",
                    "official_letter", "health_insurance", "bank_account", "registration"},
    "everyday": {"ticket", "driving_licence", "counselling", "leisure", "legal_advice"},
}  # fmt: skip


@pytest.fixture(scope="module")
def store() -> ContentStore:
    return ContentStore.load(CONTENT)


def test_the_catalog_has_exactly_the_agreed_stable_keys(store: ContentStore) -> None:
    assert {t: set(keys) for t, keys in store.catalog.topics.items()} == EXPECTED_KEYS


def test_every_key_has_german_and_english_with_sources_and_review_date(store: ContentStore) -> None:
    for key in store.catalog.full_keys:
        assert {"de", "en"} <= store.languages_of(key), key
        for language in ("de", "en"):
            entry = store.get(key, language)
            assert entry is not None and entry.language == language
            assert entry.sources and all(s.startswith("https://") for s in entry.sources)
            assert entry.reviewed is not None and entry.status in {"reviewed", "machine", "draft"}


def test_the_shipped_content_passes_the_editors_check_without_errors() -> None:
    errors = [f for f in check_content(CONTENT) if f.level == "error"]
    assert errors == []


def test_answers_fit_a_phone_screen(store: ContentStore) -> None:
    for entry in store.entries():  # the general text and each residence-status variant
        for text in (entry.general_body, *entry.variants.values()):
            assert len(to_telegram_html(text)) < TELEGRAM_LIMIT
            assert len(text) <= 1200, entry.path


def test_missing_translation_falls_back_and_says_so(store: ContentStore) -> None:
    without_arabic = ContentStore(store.catalog, [e for e in store.entries() if e.language != "ar"])
    reply = compose.answer(without_arabic, "training.apprenticeship", "ar")
    assert reply is not None
    assert reply.key == "training.apprenticeship"
    assert reply.text.startswith(t("meta.not_translated", "ar"))


def test_a_machine_translation_says_so_and_offers_the_german_original(store: ContentStore) -> None:
    reply = compose.answer(store, "training.apprenticeship", "so")
    assert reply is not None
    assert t("answer.machine_note", "so") in reply.text
    assert "o:training.apprenticeship" in [b.data for row in reply.buttons for b in row]
    original = compose.original(store, "training.apprenticeship")
    german = store.get("training.apprenticeship", "de")
    assert original is not None and german is not None and german.title in original.text


def test_an_answer_offers_related_questions_a_person_and_feedback(store: ContentStore) -> None:
    reply = compose.answer(store, "training.apprenticeship_toleration", "en")
    assert reply is not None
    data = [b.data for row in reply.buttons for b in row]
    assert any(d.startswith("a:") for d in data)
    assert "h:request:training" in data  # talk to a person, about this topic
    assert "f:1:training.apprenticeship_toleration" in data
    assert all(len(d.encode()) <= 64 for d in data)
    assert "Sources:" in reply.text


def test_markdown_is_escaped_before_markup_is_added() -> None:
    html = to_telegram_html(
        '**Bold** <script>alert(1)</script> [BAMF](https://www.bamf.de/?a=1&b="2")'
    )
    assert "<b>Bold</b>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="https://www.bamf.de/?a=1&amp;b=&quot;2&quot;">BAMF</a>' in html


def test_long_text_is_split_at_line_borders_below_the_limit() -> None:
    text = "\n".join(f"<b>Zeile {i}</b> " + "x" * 90 for i in range(120))
    parts = split_message(text)
    assert len(parts) > 2
    assert all(len(p) <= TELEGRAM_LIMIT for p in parts)
    assert all(p.count("<b>") == p.count("</b>") for p in parts)
    assert "\n".join(parts) == text


def _write(path: Path, front: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front}\n---\n{body}\n", encoding="utf-8")


def test_the_check_catches_what_editors_must_fix(tmp_path: Path) -> None:
    (tmp_path / "catalog.yml").write_text("topics:\n  housing:\n    - shelter\n")
    _write(
        tmp_path / "housing" / "shelter.de.md",
        "key: housing.shelter\nlanguage: de\ntitle: Notunterkunft\nsources: []\n"
        "reviewed: 2999-01-01\nstatus: approved\nrelated: [housing.nowhere]",
        "Rufen Sie 02551 69-0 an, Mo-Fr 8-12 Uhr.",
    )
    findings = check_content(tmp_path, today=dt.date(2026, 11, 25))
    errors = " | ".join(f.message for f in findings if f.level == "error")
    for expected in ("no sources", "in the future", "status must be", "does not exist",
                     "phone number", "no 'en' file"):  # fmt: skip
        assert expected in errors
    warnings = " | ".join(f.message for f in findings if f.level == "warning")
    assert "opening hours" in warnings
