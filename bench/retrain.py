"""Benchmark: from "publish" (an editor saves a new question) to the first young person's
question in other words answered with it.

    .venv/bin/python -m bench.retrain [--out bench/results/retrain.json]
    make bench-retrain

Starts the real stack on free ports against a temporary SQLite database: Rasa with the
cached model of the files, the action server, the bot (fake Telegram Bot API) and the
dashboard with its background trainer. An editor signs in over HTTP and saves a new key with
six phrasings; from then on a fake user asks a differently worded question every few seconds
until the answer carries the new title. Reported: the total, and its parts from the training
run's row (queued → started → trained → loaded). A new random key each run, so the model is
really retrained (with the E5 embedding cache as warm as earlier trainings left it). Not a
test: no pass or fail. Needs Rasa's venv and the base model (`make setup`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import string
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bot.app import Assistant
from bot.config import Settings, load_settings
from bot.dashboard.security import hash_password
from bot.dashboard.server import dashboard_running
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.migrate import upgrade
from bot.db.models import TrainingRun
from bot.rasa.access import create_rasa_token
from bot.rasa.runtime import (
    RasaPaths,
    ensure_model,
    ensure_venv,
    rasa_server_command,
    rasa_server_environment,
)
from bot.storage import staff
from tests.fake_telegram import FakeTelegram
from tests.servers import ROOT, Process, free_port, python_module

TITLE = "Bibliotheksausweis: Bücher kostenlos ausleihen"
EXAMPLES = [
    "Was brauche ich für einen Bibliotheksausweis?",
    "Kann ich in der Stadtbücherei Bücher ausleihen?",
    "Wo kann ich kostenlos Bücher leihen?",
    "Brauche ich einen Ausweis für die Bücherei?",
    "How do I get a library card?",
    "Can I borrow books from the public library?",
    "Kütüphane kartı nasıl alınır?",
    "Как получить читательский билет в библиотеке?",
    "كيف أحصل على بطاقة مكتبة؟",
]
QUESTION = "Ich will Bücher aus der Bücherei leihen, brauche ich dafür eine Karte?"
ASK_EVERY = 3.0
GIVE_UP_AFTER = 3600.0
PASSWORD = "bench horse battery staple"
DATA_KEY = "bench-data-key-" + "".join(random.choices(string.ascii_letters, k=16))
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _settings(data_dir: Path, telegram: FakeTelegram) -> Settings:
    return load_settings(
        environ={
            "HOME": str(Path.home()),
            **(
                {"GK_CACHE_DIR": os.environ["GK_CACHE_DIR"]} if "GK_CACHE_DIR" in os.environ else {}
            ),
            "DATA_DIR": str(data_dir),
            "DATA_KEY": DATA_KEY,
            "DATABASE_URL": f"sqlite:///{data_dir / 'assistant.db'}",
            "TRACKER_STORE_URL": f"sqlite:///{data_dir / 'rasa_tracker.db'}",
            "RASA_URL": f"http://127.0.0.1:{free_port()}",
            "ACTION_SERVER_PORT": str(free_port()),
            "DASHBOARD_PORT": str(free_port()),
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram.url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "CONTENT_REFRESH_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        },
        env_file=Path("/nonexistent/.env"),
    )


def _start_rasa(settings: Settings, data_dir: Path) -> list[Process]:
    paths = RasaPaths(ROOT, settings.cache_dir)
    ensure_venv(paths, settings.rasa_python)
    model = ensure_model(paths)
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATA_KEY": DATA_KEY,
        "DATABASE_URL": settings.database_url,
        "CONTENT_REFRESH_SECONDS": "1",
    }
    port = settings.action_server_port
    actions = Process(
        python_module(["bot", "actions", "--port", str(port)]), data_dir / "actions.log", env
    )
    actions.wait_http(f"http://127.0.0.1:{port}/health", timeout=120)
    rasa_port = int(settings.rasa_url.rsplit(":", 1)[1])
    command = rasa_server_command(paths, settings, model, rasa_port, data_dir / "run")
    rasa = Process(command, data_dir / "rasa.log", rasa_server_environment(settings))
    rasa.wait_http(
        f"{settings.rasa_url}/status?token={settings.rasa_token}",
        timeout=600,
        ok=lambda status: bool(status.get("model_id")),
    )
    return [rasa, actions]


async def _publish(dashboard: str, key: str) -> float:
    """Sign in and save the new question like the browser does; returns the moment of saving."""
    async with httpx.AsyncClient(base_url=dashboard, timeout=60) as client:
        form = await client.get("/login")
        token = _CSRF.search(form.text)
        assert token, "no sign-in form"
        signed = await client.post(
            "/login", data={"name": "bench_editor", "password": PASSWORD, "csrf_token": token[1]}
        )
        assert signed.status_code == 303, signed.status_code
        page = await client.get("/content/new")
        token = _CSRF.search(page.text)
        assert token, "no form on /content/new"
        started = time.monotonic()
        saved = await client.post(
            "/content/new",
            data={
                "csrf_token": token[1],
                "topic": "everyday",
                "key": key,
                "title": TITLE,
                "body": "Mit einem Ausweis der Stadtbücherei kannst du Bücher ausleihen.",
                "sources": "https://www.bibliotheksverband.de/",
                "examples": "\n".join(EXAMPLES),
            },
        )
        assert saved.status_code == 303, f"saving refused: HTTP {saved.status_code}"
    return started


async def _answered(telegram: FakeTelegram, chat_id: int) -> int:
    """Ask every few seconds until an answer carries the new title; returns questions asked."""
    asked = 0
    deadline = time.monotonic() + GIVE_UP_AFTER
    while time.monotonic() < deadline:
        seen = len(telegram.messages_to(chat_id))
        await telegram.user_says(chat_id, QUESTION)
        asked += 1
        until = time.monotonic() + ASK_EVERY
        while time.monotonic() < until:
            if any(TITLE in m.text for m in telegram.messages_to(chat_id)[seen:]):
                return asked
            await asyncio.sleep(0.2)
    raise TimeoutError("the new question was never answered")


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    return round((b - a).total_seconds(), 1) if a and b else None


async def run() -> dict[str, Any]:
    telegram = FakeTelegram()
    await telegram.start()
    with tempfile.TemporaryDirectory(prefix="gk-bench-retrain-") as tmp:
        data_dir = Path(tmp)
        create_rasa_token(data_dir)
        settings = _settings(data_dir, telegram)
        upgrade(settings.database_url)
        engine = make_async_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        async with sessions.begin() as session:
            await staff.add_user(
                session, "bench_editor", "editor", hash_password(PASSWORD), "Bench"
            )
        processes = await asyncio.to_thread(_start_rasa, settings, data_dir)
        bot = Assistant(settings)
        await bot.start()
        key = "library_card_" + "".join(random.choices(string.ascii_lowercase, k=6))
        chat_id = random.randint(10_000_000, 90_000_000)
        run_row = None
        try:
            async with dashboard_running(settings) as dashboard:
                await telegram.user_says(chat_id, "/start")
                await telegram.wait_for(chat_id, 1)
                published = await _publish(dashboard, key)
                asked = await _answered(telegram, chat_id)
                total = time.monotonic() - published
                async with sessions() as session:
                    run_row = await session.scalar(
                        select(TrainingRun).order_by(TrainingRun.id.desc())
                    )
        finally:
            await bot.stop()
            for process in processes:
                process.stop()
            await telegram.stop()
            await engine.dispose()
            if run_row is not None and run_row.model_file:
                (settings.cache_dir / "models" / run_row.model_file).unlink(missing_ok=True)
    assert run_row is not None
    result = {
        "benchmark": "publish a new question -> first user question in other words answered",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "publish_to_answered_seconds": round(total, 1),
        "questions_asked": asked,
        "queued_to_started_seconds": _seconds(run_row.requested_at, run_row.started_at),
        "training_and_loading_seconds": _seconds(run_row.started_at, run_row.finished_at),
        "run_status": run_row.status,
        "embedding_cache": "warm (E5 vectors of earlier trainings kept in Rasa's train cache)",
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "retrain.json")
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    result = asyncio.run(run())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
