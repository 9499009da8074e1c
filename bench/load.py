"""Offered load: realistic first questions at a fixed rate, and what came of them.

The texts are the development set (tests/nlu/dev/*.yml): real-looking first questions in
every language, never the held-out set that measures understanding.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.rasa.evaluation import load_examples

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Question:
    language: str
    text: str


def dev_questions(seed: int = 9) -> list[Question]:
    """Every dev example as (language, text), shuffled reproducibly."""
    questions = [
        Question(path.stem.split("-")[0], text)
        for path in sorted((ROOT / "tests" / "nlu" / "dev").glob("*.yml"))
        for text, _intent in load_examples(path)
    ]
    random.Random(seed).shuffle(questions)
    return questions


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(len(ordered), rank) - 1]


def latency_summary(latencies: list[float]) -> dict[str, float | None]:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 1)

    return {
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(max(latencies) if latencies else None),
    }


async def offer_at_rate(
    rate: float, seconds: float, offer: Callable[[int], Awaitable[None] | None]
) -> float:
    """Call `offer(n)` `rate` times a second, evenly spaced, for `seconds`; returns the
    real offering time. Calls are not awaited in line: a slow answer never slows the offer."""
    count = max(1, round(rate * seconds))
    started = time.monotonic()
    tasks: set[asyncio.Future[None]] = set()
    for n in range(count):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        result = offer(n)
        if result is not None:
            task = asyncio.ensure_future(result)
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    elapsed = time.monotonic() - started
    if tasks:
        await asyncio.gather(*tasks)
    return elapsed
