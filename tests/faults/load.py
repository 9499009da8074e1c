"""Many young people writing at once: first questions in twelve languages, some asking for a person.

Questions are the first in-scope examples of the NLU dev sets (tests/nlu/dev/<lang>.yml), the
kind of thing people open a chat with. Each chat asks one or two questions; some then write
`/human`, always last (after a case opens, what a user writes goes to the caseworker).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass

import yaml

from tests.fake_telegram import FakeTelegram
from tests.servers import ROOT

DEV_SETS = ROOT / "tests" / "nlu" / "dev"
LANGUAGES = ("de", "en", "ar", "fa", "ps", "ku", "ti", "so", "tr", "fr", "uk", "ru")
HUMAN = "/human"
# Chat ids of the fault suite, far from those of the other tests (which share no database
# with us anyway, but the logs are easier to read this way).
_chat_ids = itertools.count(random.randint(900_000_000, 990_000_000), 7)


@dataclass(frozen=True)
class Asked:
    """One update a user sent: what, where, and when (time.monotonic())."""

    update_id: int
    chat_id: int
    text: str
    at: float

    @property
    def wants_a_person(self) -> bool:
        return self.text == HUMAN


def _examples(block: str) -> list[str]:
    return [line[2:].strip() for line in block.splitlines() if line.startswith("- ")]


def first_questions(languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """The first example of every in-scope intent of each language's dev set."""
    questions = []
    for language in languages:
        data = yaml.safe_load((DEV_SETS / f"{language}.yml").read_text(encoding="utf-8"))
        for entry in data["nlu"]:
            if str(entry["intent"]).startswith("ask_"):
                examples = _examples(entry["examples"])
                if examples:
                    questions.append(examples[0])
    return questions


def new_chat_id() -> int:
    return next(_chat_ids)


@dataclass
class Conversation:
    chat_id: int
    texts: list[str]


def plan(
    chats: int, seed: int, human_every: int = 4, questions: list[str] | None = None
) -> list[Conversation]:
    """`chats` conversations of one or two questions; every `human_every`-th ends in /human."""
    rng = random.Random(seed)
    pool = list(questions or first_questions())
    rng.shuffle(pool)
    cycle = itertools.cycle(pool)
    conversations = []
    for index in range(chats):
        texts = [next(cycle) for _ in range(rng.choice((1, 2)))]
        if index % human_every == human_every - 1:
            texts.append(HUMAN)
        conversations.append(Conversation(new_chat_id(), texts))
    return conversations


async def send(
    telegram: FakeTelegram, conversations: list[Conversation], per_second: float
) -> list[Asked]:
    """Send all messages at a steady rate, the chats interleaved (each chat in its order)."""
    queues = [list(c.texts) for c in conversations]
    asked: list[Asked] = []
    interval = 1.0 / per_second
    next_at = time.monotonic()
    while any(queues):
        for conversation, queue in zip(conversations, queues, strict=True):
            if not queue:
                continue
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            text = queue.pop(0)
            update_id = await telegram.user_says(conversation.chat_id, text)
            asked.append(Asked(update_id, conversation.chat_id, text, time.monotonic()))
            next_at += interval
    return asked
