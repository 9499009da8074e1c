"""Intent accuracy per language on the held-out files in nlu/test/ (never used for training).

Parses every test example with the running Rasa server, so it measures exactly the model
that serves users. `python -m bot nlu evaluate` prints the report; the tests enforce a floor.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.rasa.client import RasaClient


@dataclass
class LanguageReport:
    language: str
    total: int = 0
    correct: int = 0
    fallback: int = 0  # below the confidence threshold: clarified, not wrong
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def summary(self) -> str:
        worst = ", ".join(f"{a}→{b} ×{n}" for (a, b), n in self.confusions.most_common(5))
        return (
            f"{self.language}: {self.accuracy:.1%} intent accuracy "
            f"({self.correct}/{self.total}, {self.fallback} to fallback)"
            + (f"; most confused: {worst}" if worst else "")
        )


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of one Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu") or []:
        intent = block.get("intent")
        for line in str(block.get("examples") or "").splitlines():
            text = line.strip().removeprefix("- ").strip()
            if intent and text:
                pairs.append((text, str(intent)))
    return pairs


async def evaluate_file(rasa: RasaClient, path: Path, concurrency: int = 4) -> LanguageReport:
    report = LanguageReport(language=path.stem)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(text: str, expected: str) -> None:
        async with semaphore:
            parsed = await rasa.parse(text)
        predicted = str((parsed.get("intent") or {}).get("name"))
        report.total += 1
        if predicted == expected:
            report.correct += 1
        else:
            if predicted == "nlu_fallback":
                report.fallback += 1
            report.confusions[(expected, predicted)] += 1

    await asyncio.gather(*(one(text, intent) for text, intent in load_examples(path)))
    return report


async def evaluate(rasa: RasaClient, test_dir: Path) -> list[LanguageReport]:
    files = sorted(await asyncio.to_thread(lambda: list(test_dir.glob("*.yml"))))
    return [await evaluate_file(rasa, path) for path in files]
