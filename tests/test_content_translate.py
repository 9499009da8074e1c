"""An editor drafts the Tigrinya answers: `python -m bot content translate --lang ti`.

Semhar edits content for the Kreis. She runs the command against a (fake) Google Translate
on a small copy of the content folder: every missing Tigrinya file is drafted from German,
marked `machine` with the German fingerprint, links and bold intact; the file a colleague
already wrote stays exactly as it was; with the service down she is told so in one line.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.check import check_content
from bot.content.store import parse_entry
from bot.translation.cache import TranslationCache
from bot.translation.google import GoogleBackend
from bot.translation.markdown import translate_markdown
from bot.translation.service import MachineTranslator
from tests.conftest import DATA_KEY
from tests.fake_google_translate import FakeGoogleTranslate
from tests.servers import ROOT

KEYS = {
    "housing": ["shelter", "find_flat"],
    "everyday": ["counselling"],
    "courses": ["course_without_entitlement"],
}
SHELTER_TITLE_TI = "ገዛ የብለይን – ሓገዝ ካበይ ክረክብ?"
COLLEAGUES_FILE = "---\nkey: housing.find_flat\nlanguage: ti\ntitle: ብሰብ ዝተጻሕፈ\n---\nብሰብ ዝተጻሕፈ።\n"
LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A small content folder: four German answers, one Tigrinya file already written."""
    content = tmp_path / "content"
    for topic, keys in KEYS.items():
        (content / topic).mkdir(parents=True)
        for key in keys:
            shutil.copy(ROOT / "content" / topic / f"{key}.de.md", content / topic)
    catalog = {"topics": KEYS}
    (content / "catalog.yml").write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    (content / "housing" / "find_flat.ti.md").write_text(COLLEAGUES_FILE, encoding="utf-8")
    return content


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogleTranslate]:
    fake = FakeGoogleTranslate()
    fake.learn("de", "ti", "Keine Wohnung – wo bekomme ich Hilfe?", SHELTER_TITLE_TI)
    await fake.up()
    yield fake
    await fake.down()


async def run_cli(
    content_dir: Path, database_url: str, *args: str, **env: str
) -> tuple[int, str, str]:
    environ = {
        **os.environ,
        "PROJECT_ROOT": str(content_dir.parent),
        "DATA_DIR": str(content_dir.parent / "data"),
        "DATABASE_URL": database_url,
        "DATA_KEY": DATA_KEY,
        "TRANSLATOR": "googletrans",
        "TRANSLATOR_TIMEOUT": "2",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "content",
        "translate",
        *args,
        cwd=ROOT,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_an_editor_drafts_the_missing_tigrinya_answers(
    content_dir: Path, google: FakeGoogleTranslate, database_url: str
) -> None:
    colleagues = (content_dir / "housing" / "find_flat.ti.md").read_bytes()

    code, out, err = await run_cli(
        content_dir, database_url, "--lang", "ti", TRANSLATOR_URL=google.url
    )

    assert code == 0, err
    assert "3 drafted, 1 already there" in out
    assert (content_dir / "housing" / "find_flat.ti.md").read_bytes() == colleagues
    requests = {(r.client, r.source, r.target) for r in google.requests}
    assert requests == {("gtx", "de", "ti")}

    for topic, key in [("housing", "shelter"), ("everyday", "counselling")]:
        german = parse_entry(content_dir / topic / f"{key}.de.md")
        draft = parse_entry(content_dir / topic / f"{key}.ti.md")
        assert (draft.key, draft.language, draft.status) == (german.key, "ti", "machine")
        assert draft.source_hash == german.fingerprint
        assert (draft.sources, draft.related, draft.reviewed) == (
            german.sources,
            german.related,
            german.reviewed,
        )
        assert draft.needs_local_review == german.needs_local_review
        german_text = german.path.read_text(encoding="utf-8")
        draft_text = draft.path.read_text(encoding="utf-8")
        notes = [line for line in german_text.splitlines() if line.startswith("# local_review")]
        assert notes and all(note in draft_text for note in notes)
        # Same lines, same bullets, same bold and the same links to the same addresses.
        assert len(draft.body.splitlines()) == len(german.body.splitlines())
        assert draft.body.count("**") == german.body.count("**")
        assert [url for _, url in LINK.findall(draft.body)] == [
            url for _, url in LINK.findall(german.body)
        ]
        assert "⟦" not in draft.body

    shelter = parse_entry(content_dir / "housing" / "shelter.ti.md")
    assert shelter.title == SHELTER_TITLE_TI
    assert shelter.body.startswith("**ti: Unterkunft:** ti: Viele Geflüchtete")
    counselling = parse_entry(content_dir / "everyday" / "counselling.ti.md")
    assert (
        "[ti: jugendmigrationsdienste.de](https://www.jugendmigrationsdienste.de)"
        in counselling.body
    )

    # `content check` sees proper machine drafts: nothing missing, nothing outdated.
    findings = [f for f in check_content(content_dir) if ".ti.md" in f.where]
    assert not [f for f in findings if "source_hash" in f.message or "outdated" in f.message]

    # Running it again writes nothing and asks Google nothing.
    asked = len(google.requests)
    code, out, _ = await run_cli(
        content_dir, database_url, "--lang", "ti", TRANSLATOR_URL=google.url
    )
    assert code == 0
    assert "0 drafted, 4 already there" in out
    assert len(google.requests) == asked


async def test_only_the_keys_asked_for(
    content_dir: Path, google: FakeGoogleTranslate, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    code, _, _ = await run_cli(
        content_dir, database, "--lang", "so", "--keys", "shelter", TRANSLATOR_URL=google.url
    )
    assert code == 0
    drafted = await asyncio.to_thread(lambda: sorted(content_dir.glob("*/*.so.md")))
    assert [p.name for p in drafted] == ["shelter.so.md"]
    code, _, err = await run_cli(
        content_dir, database, "--lang", "so", "--keys", "weather", TRANSLATOR_URL=google.url
    )
    assert code == 2 and "unknown key weather" in err


async def test_with_the_service_down_the_editor_is_told_in_one_line(
    content_dir: Path, google: FakeGoogleTranslate, tmp_path: Path
) -> None:
    await google.down()
    code, out, err = await run_cli(
        content_dir, f"sqlite:///{tmp_path / 'cli.db'}", "--lang", "ti", TRANSLATOR_URL=google.url
    )
    assert code == 1
    said = [line for line in err.splitlines() if "answer" in line or "unavailable" in line]
    assert said == [
        f"the translation service at {google.url} did not answer "
        "(stopped at housing.shelter); try again later"
    ]
    assert "Traceback" not in err
    tigrinya = await asyncio.to_thread(lambda: list(content_dir.glob("*/*.ti.md")))
    assert tigrinya == [content_dir / "housing" / "find_flat.ti.md"]
    assert "0 drafted" in out


async def test_without_a_translator_configured_nothing_is_sent(
    content_dir: Path, tmp_path: Path
) -> None:
    code, _, err = await run_cli(
        content_dir, f"sqlite:///{tmp_path / 'cli.db'}", "--lang", "ti", TRANSLATOR="none"
    )
    assert code == 2
    assert "no translator configured: set TRANSLATOR=googletrans" in err
    code, _, err = await run_cli(content_dir, f"sqlite:///{tmp_path / 'cli.db'}", "--lang", "xx")
    assert code == 2 and "needs --lang" in err


@pytest.fixture
async def machine(google: FakeGoogleTranslate, sessions: Any) -> AsyncIterator[MachineTranslator]:
    translator = MachineTranslator(
        GoogleBackend(google.url, timeout=2.0),
        TranslationCache(sessions, DATA_KEY.encode()),
        timeout=2.0,
    )
    yield translator
    await translator.aclose()


async def test_markup_survives_a_service_that_mangles_placeholders(
    machine: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    """If Google rewrites the placeholders, the line is translated piece by piece instead."""
    google.rewrite = lambda text: text.replace("⟦", "[").replace("⟧", "]")
    line = "- **Online (mangled):** das [vhs-Lernportal](https://www.vhs-lernportal.de) (A1-B2)."
    translated = await translate_markdown(machine, line, "de", "ti")
    assert translated == (
        "- **ti: Online (mangled):** ti: das [ti: vhs-Lernportal](https://www.vhs-lernportal.de)"
        " ti: (A1-B2)."
    )


async def test_bare_urls_and_bold_terms_keep_their_place(
    machine: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    google.learn("de", "so", "Melde dich beim ⟦0⟧ und lies ⟦1⟧.", "Is diiwaangeli ⟦0⟧, akhri ⟦1⟧.")
    text = "Melde dich beim **BAMF** und lies https://www.bamf.de/DE/Startseite.html."
    translated = await translate_markdown(machine, text, "de", "so")
    assert (
        translated == "Is diiwaangeli **so: BAMF**, akhri https://www.bamf.de/DE/Startseite.html."
    )
