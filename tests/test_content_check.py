"""An editor runs `content check` before publishing: every kind of mistake is named with its
file and line, errors fail the run (and `make test`), warnings leave it green.

Each story starts from a small, clean content folder in all twelve languages and breaks
exactly one thing, the way an editor might.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings
from bot.content.store import text_fingerprint
from bot.languages import LANGUAGES
from tests.servers import ROOT

TODAY = dt.datetime.now(dt.UTC).date()
RECENTLY = TODAY - dt.timedelta(days=5)
TITLES = {"de": "Wo finde ich einen Schlafplatz?", "en": "Where can I sleep tonight?"}
BODIES = {
    "de": "Frag im **Rathaus** nach einem Platz.\n\n**Nächster Schritt:** Geh zum "
    "[Rathaus](https://www.kreis-steinfurt.de).",
    "en": "Ask at the **town hall** for a place.\n\n**Next step:** Go to the "
    "[town hall](https://www.kreis-steinfurt.de).",
}


def _front(key: str, language: str, **fields: object) -> str:
    title = TITLES.get(language, f"{TITLES['en']} ({language})")
    other = "housing.find_flat" if key == "housing.shelter" else "housing.shelter"
    meta = {
        "key": key,
        "language": language,
        "title": f'"{title}"',
        "sources": "\n  - https://www.kreis-steinfurt.de",
        "reviewed": RECENTLY.isoformat(),
        "status": "draft" if language in {"de", "en"} else "machine",
        "needs_local_review": "false",
        "related": f"\n  - {other}",
        **{name: str(value) for name, value in fields.items()},
    }
    return "\n".join(f"{name}: {value}" for name, value in meta.items())


def write_answer(
    content: Path, key: str, language: str, body: str | None = None, **fields: object
) -> Path:
    topic, short = key.split(".")
    body = body if body is not None else BODIES.get(language, BODIES["en"])
    if language not in {"de", "en"} and "source_hash" not in fields:
        fields["source_hash"] = text_fingerprint(TITLES["de"], BODIES["de"])
    path = content / topic / f"{short}.{language}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{_front(key, language, **fields)}\n---\n{body}\n", "utf-8")
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A clean content folder: two answers about housing in all twelve languages."""
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "catalog.yml").write_text("topics:\n  housing:\n    - shelter\n    - find_flat\n")
    for key in ("housing.shelter", "housing.find_flat"):
        for language in LANGUAGES:
            write_answer(folder, key, language)
    return folder


def run_content_check(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **env: str
) -> tuple[int, str]:
    """`python -m bot content check` as an editor runs it, on this folder."""
    monkeypatch.setenv("PROJECT_ROOT", str(content.parent))
    monkeypatch.setenv("DATA_DIR", str(content.parent / "data"))
    monkeypatch.setenv("REVIEW_MAX_AGE", env.get("REVIEW_MAX_AGE", "6 months"))
    code = main(["content", "check"])
    return code, capsys.readouterr().out


def findings_of(output: str, file: str) -> list[str]:
    """The indented finding lines printed under `file` (the report groups by file)."""
    lines = output.splitlines()
    if file not in lines:
        return []
    start = lines.index(file) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        block.append(line.strip())
    return block


def test_clean_content_passes_without_findings(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_content_check(content, monkeypatch, capsys)
    assert code == 0, out
    assert out.strip().endswith("0 errors, 0 warnings")
    assert "24 files checked (4 draft, 20 machine)" in out


def _mis_nested_markup(content: Path) -> Path:
    body = "**Frag im [Rathaus** nach](https://www.kreis-steinfurt.de) einem Platz.\n\n"
    body += "**Nächster Schritt:** Geh hin."
    return write_answer(content, "housing.shelter", "de", body)


def _over_the_limit(content: Path) -> Path:
    body = "\n".join(f"- Punkt {n}: " + "Frag im Rathaus nach einem Platz. " * 4 for n in range(40))
    return write_answer(content, "housing.shelter", "en", body + "\n\n**Next step:** Ask.")


def _raw_text_link(content: Path) -> Path:
    body = "Frag im [Rathaus](www.kreis-steinfurt.de) nach.\n\n**Nächster Schritt:** Geh hin."
    return write_answer(content, "housing.shelter", "de", body)


def _unknown_related(content: Path) -> Path:
    return write_answer(content, "housing.shelter", "en", related="\n  - housing.tent")


def _malformed_related(content: Path) -> Path:
    return write_answer(content, "housing.shelter", "ar", related="\n  - find flat")


def _source_without_https(content: Path) -> Path:
    return write_answer(content, "housing.find_flat", "fr", sources="\n  - www.kreis-steinfurt.de")


def _no_review_date(content: Path) -> Path:
    return write_answer(content, "housing.find_flat", "de", reviewed="")


def _missing_english(content: Path) -> Path:
    path = content / "housing" / "find_flat.en.md"
    path.unlink()
    return path


def _unreadable_front_matter(content: Path) -> Path:
    return write_answer(content, "housing.shelter", "tr", title='"unclosed')


def _machine_without_source_hash(content: Path) -> Path:
    path = write_answer(content, "housing.shelter", "so")
    path.write_text(re.sub(r"source_hash: \w+\n", "", path.read_text()))
    return path


ERRORS: dict[str, tuple[Callable[[Path], Path], str, bool]] = {
    # kind: (how the editor breaks it, what the report says, whether a line is named)
    "mis-nested markup": (_mis_nested_markup, "</b> closes <a>", True),
    "answer over Telegram's limit": (_over_the_limit, "split it into 2 messages", False),
    "link shown as raw text": (_raw_text_link, "is shown as raw text", True),
    "related key that does not exist": (_unknown_related, "'housing.tent' does not exist", True),
    "related that is not a key": (_malformed_related, "'find flat' is not a full key", True),
    "source that is not https": (_source_without_https, "not an https:// address", True),
    "no review date": (_no_review_date, "'reviewed' date is missing", True),
    "missing English": (
        _missing_english,
        "no 'en' file: every key needs German and English",
        False,
    ),
    "unreadable front matter": (_unreadable_front_matter, "not valid YAML", True),
    "machine text without source": (_machine_without_source_hash, "without 'source_hash'", True),
}


@pytest.mark.parametrize("kind", ERRORS)
def test_an_error_names_the_file_and_the_line_and_fails_the_check(
    kind: str,
    content: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    break_it, expected, with_line = ERRORS[kind]
    broken = break_it(content)
    code, out = run_content_check(content, monkeypatch, capsys)
    assert code == 1, out
    file = str(broken.relative_to(content.parent))
    reported = [f for f in findings_of(out, file) if f.startswith("error")]
    assert any(expected in f for f in reported), out
    assert all(re.match(r"error\s+line \d+ ", f) for f in reported if expected in f) == with_line
    assert out.splitlines()[0] == file  # files with errors come first
    assert re.search(r"^[1-9]\d* errors, \d+ warnings$", out, re.MULTILINE)


def test_mis_nested_markup_is_reported_on_its_line_in_the_file(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _mis_nested_markup(content)
    _, out = run_content_check(content, monkeypatch, capsys)
    line = next(
        n for n, text in enumerate(path.read_text().splitlines(), 1) if "[Rathaus**" in text
    )
    assert any(
        f.startswith(f"error   line {line} ")
        for f in findings_of(out, "content/housing/shelter.de.md")
    )


def test_an_outdated_translation_is_a_warning_with_the_hash_to_confirm_it(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_answer(content, "housing.shelter", "fr", source_hash="0123456789abcdef")
    code, out = run_content_check(content, monkeypatch, capsys)
    assert code == 0, out
    current = text_fingerprint(TITLES["de"], BODIES["de"])
    [finding] = findings_of(out, "content/housing/shelter.fr.md")
    assert finding.startswith("warning") and "outdated" in finding
    assert f"set source_hash: {current}" in finding


def test_a_missing_translation_names_the_file_to_create(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "housing" / "shelter.ti.md").unlink()
    code, out = run_content_check(content, monkeypatch, capsys)
    assert code == 0, out
    [finding] = findings_of(out, "content/housing/shelter.ti.md")
    assert finding.startswith("warning") and "content translate --lang ti" in finding


def test_a_review_older_than_review_max_age_is_due(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checked = TODAY - dt.timedelta(days=85)
    write_answer(content, "housing.shelter", "de", reviewed=checked, status="reviewed")
    code, out = run_content_check(content, monkeypatch, capsys)
    assert code == 0 and "review is due" not in out  # within six months

    code, out = run_content_check(content, monkeypatch, capsys, REVIEW_MAX_AGE="60 days")
    assert code == 0, out
    [finding] = findings_of(out, "content/housing/shelter.de.md")
    assert re.match(rf"warning\s+line 7 +review is due: last checked {checked}", finding)
    assert "1 review-due warnings" in out


def test_review_max_age_takes_months_weeks_or_days(tmp_path: Path) -> None:
    def max_age(value: str) -> int:
        environ = {"REVIEW_MAX_AGE": value, "DATA_DIR": str(tmp_path)}
        return load_settings(environ=environ, env_file=tmp_path / "none").review_max_age.days

    assert max_age("") == max_age("6 months") == 183
    assert [max_age(v) for v in ("26 weeks", "90 days", "90d", "90")] == [182, 90, 90, 90]
    with pytest.raises(ConfigError, match="REVIEW_MAX_AGE"):
        max_age("half a year")


def test_the_shipped_content_passes_as_in_make_test() -> None:
    """`make test` runs exactly this; warnings are allowed, errors are not."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "content", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert re.search(r"^0 errors, \d+ warnings$", result.stdout, re.MULTILINE)
