"""Bot strings: one function, every key in every language, user text always escaped."""

import re

from bot.i18n import _strings, available_languages, t

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_german_and_english_have_the_same_keys_and_placeholders() -> None:
    english, german = _strings("en"), _strings("de")
    assert set(english) == set(german)
    for key in english:
        assert set(PLACEHOLDER.findall(english[key])) == set(PLACEHOLDER.findall(german[key])), key


def test_available_languages_are_the_string_files() -> None:
    assert {"de", "en"} <= set(available_languages())


def test_parameters_are_escaped_so_user_text_cannot_inject_markup() -> None:
    text = t("meta.status_line", "en", case_number="<b>x</b>", topic="a&b", status="s", date="d")
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "a&amp;b" in text


def test_unknown_language_falls_back_to_english() -> None:
    assert t("meta.empty", "ti") == t("meta.empty", "en")


def test_every_case_status_and_topic_has_words_for_users() -> None:
    from bot.replies.callbacks import HANDOFF_TOPICS
    from bot.storage.cases import STATUSES

    for language in ("de", "en"):
        for status in STATUSES:
            assert t(f"case.status.{status}", language)
        for topic in HANDOFF_TOPICS:
            assert t(f"topic.{topic}", language)
