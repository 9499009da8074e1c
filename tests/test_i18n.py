"""Bot strings: one function, every key in every language, user text always escaped."""

import datetime as dt
import re

from bot.content.store import ContentStore
from bot.i18n import _strings, available_languages, format_date, t
from bot.i18n.bidi import LRI, PDI, isolate_ltr_runs
from bot.languages import LANGUAGES
from tests.servers import ROOT

PLACEHOLDER = re.compile(r"{(\w+)}")
TAGS = ("<b>", "<i>", "<a ", "<blockquote")


def test_every_language_has_every_string_with_the_same_placeholders_and_tags() -> None:
    """The catalog is complete, or this names exactly what is missing where."""
    english = _strings("en")
    problems = []
    for language in LANGUAGES:
        strings = _strings(language)
        problems += [f"{language}: missing {key}" for key in english if key not in strings]
        problems += [f"{language}: unknown {key}" for key in strings if key not in english]
        for key in set(english) & set(strings):
            if set(PLACEHOLDER.findall(english[key])) != set(PLACEHOLDER.findall(strings[key])):
                problems.append(f"{language}: placeholders of {key}")
            for tag in TAGS:
                if english[key].count(tag) != strings[key].count(tag):
                    problems.append(f"{language}: {tag} in {key}")
    assert problems == []


def test_every_content_key_exists_in_every_language() -> None:
    store = ContentStore.load(ROOT / "content")
    missing = [
        f"{key}.{language}"
        for key in store.catalog.full_keys
        for language in LANGUAGES
        if language not in store.languages_of(key)
    ]
    assert missing == []


def test_the_twelve_languages_are_the_string_files() -> None:
    assert set(available_languages()) == set(LANGUAGES)


def test_parameters_are_escaped_so_user_text_cannot_inject_markup() -> None:
    text = t("meta.status_line", "en", case_number="<b>x</b>", topic="a&b", status="s", date="d")
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "a&amp;b" in text


def test_a_language_without_strings_falls_back_to_english() -> None:
    assert t("meta.empty", "xx") == t("meta.empty", "en")


def test_dates_are_written_with_the_month_names_of_each_language() -> None:
    day = dt.date(2026, 3, 5)
    assert format_date(day, "de") == "5. März 2026"
    assert "mars" in format_date(day, "fr")
    assert "марта" in format_date(day, "ru")
    assert "Mart" in format_date(day, "tr")
    assert "March" not in format_date(day, "uk") and "березня" in format_date(day, "uk")


def test_german_terms_numbers_and_links_keep_their_order_in_right_to_left_text() -> None:
    text = 'راجع الـ Ausländerbehörde حسب <b>§ 60c AufenthG</b> و <a href="https://bamf.de/?a=1&amp;b=2">bamf.de</a>'
    isolated = isolate_ltr_runs(text)
    assert f"{LRI}Ausländerbehörde{PDI}" in isolated
    assert f"<b>{LRI}§ 60c AufenthG{PDI}</b>" in isolated
    assert 'href="https://bamf.de/?a=1&amp;b=2"' in isolated  # markup untouched
    assert isolate_ltr_runs(isolated) == isolated  # idempotent
    assert isolate_ltr_runs("في البلدية (Rathaus).") == f"في البلدية ({LRI}Rathaus{PDI})."
    assert isolate_ltr_runs("عبر /status") == f"عبر {LRI}/status{PDI}"


def test_every_case_status_and_topic_has_words_for_users() -> None:
    from bot.replies.callbacks import HANDOFF_TOPICS
    from bot.storage.cases import STATUSES

    for language in LANGUAGES:
        for status in STATUSES:
            assert t(f"case.status.{status}", language)
        for topic in HANDOFF_TOPICS:
            assert t(f"topic.{topic}", language)
