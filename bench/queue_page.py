"""Benchmark: how long the server takes to render the caseworker queue with 10,000 cases.

    .venv/bin/python bench/queue_page.py [--cases 10000] [--requests 200] [--database-url URL]
    make bench-dashboard

Fills a fresh database (a temporary SQLite file unless --database-url names an empty one)
with a realistic mix of cases (statuses, topics, languages, urgencies, deadlines, a few
messages each), creates a caseworker, starts the real dashboard app under uvicorn on a free
port, signs in like a browser and requests the queue page and its live fragment N times.
Reports p50/p95 of the server's own time per request (measured around the ASGI app) and of
the round trip. Also prints the query plan of the queue query. Not a test: no pass or fail.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine, insert, text

from bot.config import Settings, load_settings
from bot.dashboard.app import create_app
from bot.dashboard.security import hash_password
from bot.db.engine import make_sync_engine
from bot.db.migrate import upgrade
from bot.db.models import Case, CaseEvent, Chat, ConversationMessage, StaffUser

TOPICS = ["courses", "training", "housing", "bureaucracy", "everyday", "other"]
LANGUAGES = ["de", "en", "ar", "fa", "uk", "ti", "ps", "ru", "tr", "so", "ku", "fr"]
LANGUAGE_WEIGHTS = [20, 15, 18, 14, 10, 6, 5, 4, 3, 2, 2, 1]
STATUSES = ["resolved", "open", "in_progress", "waiting_for_user"]
STATUS_WEIGHTS = [70, 12, 10, 8]
STAFF = ["anna", "ben", "carla", "deniz"]
PASSWORD = "benchmark password 1"
USER_TEXTS = [
    "Ich habe einen Brief vom Jobcenter bekommen und verstehe ihn nicht.",
    "My Duldung ends next month, what can I do?",
    "Wo finde ich einen Deutschkurs B1 in Rheine?",
    "The landlord wants a Wohnberechtigungsschein, how do I get one?",
    "Ich brauche Hilfe bei der Anmeldung.",
]


def fill(engine: Engine, cases: int, seed: int = 7) -> None:
    """`cases` cases over 180 days; open ones are younger, as in a queue that is worked."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    chats, case_rows, messages, events = [], [], [], []
    for number in range(1, cases + 1):
        chat_id = 10_000_000 + number
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        age = dt.timedelta(hours=rng.uniform(0.1, 72 if status != "resolved" else 4300))
        created = now - age
        urgency = rng.choices([0, 1, 2], [75, 15, 10])[0]
        deadline = (created + dt.timedelta(days=rng.randint(3, 30))).date() if urgency else None
        assignee = rng.choice(STAFF) if status != "open" else None
        chats.append({"id": chat_id, "pseudonym": f"bench{number}", "language": language})
        said = rng.choice(USER_TEXTS)
        transcript = {
            "messages": [
                {"time": created.isoformat(), "direction": "in", "text": said, "content_key": None},
                {
                    "time": created.isoformat(),
                    "direction": "out",
                    "text": "Das kann ich nicht sicher beantworten.",
                    "content_key": "handoff.offer",
                },
            ]
        }
        answered = created + dt.timedelta(hours=rng.uniform(0.2, 30)) if assignee else None
        case_rows.append(
            {
                "id": number,
                "chat_id": chat_id,
                "status": status,
                "assignee": assignee,
                "topic": rng.choice(TOPICS),
                "language": language,
                "description": said,
                "contact": "telegram",
                "transcript": transcript,
                "reason": rng.choice(["request", "urgent", "unclear"]),
                "urgency": urgency,
                "deadline": deadline,
                "created_at": created,
                "updated_at": answered or created,
                "claimed_at": answered,
                "first_response_at": answered,
                "last_user_message_at": created if status != "resolved" else None,
                "closed_at": now if status == "resolved" else None,
            }
        )
        events.append({"case_id": number, "at": created, "kind": "opened", "text": "request"})
        if status != "resolved":
            for _ in range(rng.randint(1, 3)):
                messages.append(
                    {
                        "chat_id": chat_id,
                        "created_at": created,
                        "direction": "in",
                        "text": rng.choice(USER_TEXTS),
                        "language": language,
                        "content_key": "case.user_message",
                        "case_id": number,
                    }
                )
    with engine.begin() as connection:
        connection.execute(insert(Chat), chats)
        connection.execute(insert(Case), case_rows)
        connection.execute(insert(CaseEvent), events)
        connection.execute(insert(ConversationMessage), messages)
        connection.execute(
            insert(StaffUser),
            [
                {
                    "name": name,
                    "display_name": name.title(),
                    "role": "caseworker",
                    "password_hash": hash_password(PASSWORD),
                    "active": True,
                    "ui_language": "de",
                }
                for name in STAFF
            ],
        )
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
            connection.execute(text("ANALYZE"))


def explain_queue(engine: Engine) -> str:
    """The plan of the queue query as the app sends it (default filter, first page)."""
    order = (
        "ORDER BY urgency DESC, CASE WHEN deadline IS NULL THEN 1 ELSE 0 END, deadline, "
        "created_at, id LIMIT 51"
    )
    where = "WHERE status IN ('open', 'in_progress', 'waiting_for_user')"
    prefix = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
    with engine.connect() as connection:
        rows = connection.execute(text(f"{prefix} SELECT * FROM cases {where} {order}"))
        return "\n".join(" ".join(str(col) for col in row) for row in rows)


class Timed:
    """Server time per request, measured around the ASGI app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.durations: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.durations.append(time.perf_counter() - started)


def _percentiles(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms"


async def measure(settings: Settings, requests: int) -> None:
    timed = Timed(create_app(settings))
    server = uvicorn.Server(uvicorn.Config(timed, log_config=None, access_log=False))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
    sock.bind(("127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the dashboard did not start")
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with httpx.AsyncClient(base_url=base) as client:
        form = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        login = {"name": "anna", "password": PASSWORD, "csrf_token": token[1]}
        assert (await client.post("/login", data=login)).status_code == 303
        for path in ("/queue", "/queue/live", "/queue?status=open&language=ar"):
            await client.get(path)  # warm up
            timed.durations.clear()
            trips = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(path)
                trips.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            print(f"{path:<34} server {_percentiles(timed.durations)}")
            print(f"{'':<34} round trip {_percentiles(trips)}")
    server.should_exit = True
    await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        settings = load_settings(
            environ={"DATABASE_URL": url, "DATA_DIR": tmp, "DATA_KEY": "bench-key-0123456789"},
            env_file=Path("/nonexistent"),
        )
        upgrade(url)
        engine = make_sync_engine(url)
        started = time.perf_counter()
        fill(engine, args.cases)
        print(f"filled {args.cases} cases in {time.perf_counter() - started:.1f} s ({url})")
        print("queue query plan:\n  " + explain_queue(engine).replace("\n", "\n  "))
        engine.dispose()
        asyncio.run(measure(settings, args.requests))


if __name__ == "__main__":
    main()
