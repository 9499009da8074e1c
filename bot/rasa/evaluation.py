"""NLU quality per language on blind held-out files, measured against the served model.

The held-out files (`tests/nlu/heldout/<lang>.yml`) were written in a separate pass by
someone who saw only the topic list, never the training data, and are never used for tuning
(that is what `tests/nlu/dev/` is for). Every example is parsed by the running Rasa server,
so this measures exactly what users get, including the fallback.

Three numbers per language matter for this user group:
- accuracy: in-scope questions that reach the right intent (a fallback counts as wrong);
- out-of-scope accepted: far (weather) and near (Kindergeld: refugee life, but no answer of
  ours) questions that would be answered with one of our content answers;
- confident-wrong: in-scope questions answered with the wrong intent above the fallback
  threshold — a wrong residence-law text said with confidence.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.rasa.client import RasaClient
from bot.rasa.training_data import examples_of

FALLBACK = "nlu_fallback"
FAR, NEAR = "out_of_scope", "near_out_of_scope"
OUT_OF_SCOPE = frozenset({FAR, NEAR})


def answers_with_content(intent: str) -> bool:
    """Intents the bot answers with one of its content texts."""
    return intent.startswith("ask_")


@dataclass
class LanguageReport:
    language: str
    in_scope: int = 0
    correct: int = 0
    fallback: int = 0  # in-scope, but the bot asked instead of answering
    confident_wrong: int = 0
    near: int = 0
    near_accepted: int = 0
    far: int = 0
    far_accepted: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.in_scope + self.near + self.far

    @property
    def accuracy(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def confident_wrong_rate(self) -> float:
        return self.confident_wrong / self.in_scope if self.in_scope else 0.0

    @property
    def near_accepted_rate(self) -> float:
        return self.near_accepted / self.near if self.near else 0.0

    @property
    def far_accepted_rate(self) -> float:
        return self.far_accepted / self.far if self.far else 0.0

    @property
    def out_of_scope_accepted_rate(self) -> float:
        total = self.near + self.far
        return (self.near_accepted + self.far_accepted) / total if total else 0.0

    def add(self, expected: str, predicted: str) -> None:
        if expected in OUT_OF_SCOPE:
            accepted = answers_with_content(predicted)
            if expected == NEAR:
                self.near += 1
                self.near_accepted += accepted
            else:
                self.far += 1
                self.far_accepted += accepted
            if accepted:
                self.confusions[(expected, predicted)] += 1
            return
        self.in_scope += 1
        if predicted == expected:
            self.correct += 1
            return
        if predicted == FALLBACK:
            self.fallback += 1
        else:
            self.confident_wrong += 1
        self.confusions[(expected, predicted)] += 1

    def summary(self) -> str:
        worst = ", ".join(f"{a}→{b} ×{n}" for (a, b), n in self.confusions.most_common(4))
        return (
            f"{self.language}: accuracy {self.accuracy:.1%} ({self.correct}/{self.in_scope}, "
            f"{self.fallback} to fallback), confident-wrong {self.confident_wrong_rate:.1%}, "
            f"out-of-scope accepted: near {self.near_accepted}/{self.near}, "
            f"far {self.far_accepted}/{self.far}" + (f"; most confused: {worst}" if worst else "")
        )


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of one Rasa YAML NLU file."""
    return [(text, intent) for intent, text in examples_of(path)]


async def evaluate_file(rasa: RasaClient, path: Path, concurrency: int = 4) -> LanguageReport:
    report = LanguageReport(language=path.stem)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(text: str) -> str:
        async with semaphore:
            parsed = await rasa.parse(text)
        return str((parsed.get("intent") or {}).get("name"))

    examples = load_examples(path)
    predictions = await asyncio.gather(*(one(text) for text, _ in examples))
    for (_, expected), predicted in zip(examples, predictions, strict=True):
        report.add(expected, predicted)
    return report


async def evaluate(rasa: RasaClient, test_dir: Path) -> list[LanguageReport]:
    files = sorted(await asyncio.to_thread(lambda: list(test_dir.glob("*.yml"))))
    return [await evaluate_file(rasa, path) for path in files]
