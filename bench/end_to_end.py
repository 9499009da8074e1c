"""Benchmark: the whole stack against a fake Bot API, and the same Rasa answering bare REST turns.

    .venv/bin/python -m bench.end_to_end [--quick] [--train] [--database-url URL] …
    make bench                    (full run: 60 s per step, 10 minutes sustained, training)
    make bench BENCH_ARGS=--quick (a few minutes: to try it)

Starts `python -m bot run` (which starts the action server and Rasa with the cached model)
with a temporary DATA_DIR, a SQLite database in it unless --database-url names an EMPTY
PostgreSQL database, and the Telegram API pointed at a local fake. Then, in one run:

- ready time: process start to the "ready:" log line, and to the first answer;
- end to end: first questions from new chats (the NLU dev set, many languages) offered at
  1, 5, 15 and 30 per second; latency from offering the update to the first sendMessage
  for that chat arriving at the fake, p50/p95/p99;
- bare Rasa: the same texts as REST turns straight to the same Rasa (other senders), same
  rates; p50/p95 and the ratio end to end / bare;
- sustained: the target rate for 10 minutes; every update answered exactly once? (lost,
  duplicates), messages/s handled, latency;
- RSS of the bot, Rasa and the action server sampled from /proc (peak, mean), CPU seconds
  per message of each, and how busy the rest of the machine was (the noise);
- with --train: time to train the model from scratch (a temporary cache, same build as setup).

Results: bench/results/<date>.json and <date>.png (with -quick in the name for --quick runs).
Not a test: no pass or fail, but the targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import itertools
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.fake_bot_api import FakeBotApi, Offered
from bench.load import Question, dev_questions, latency_summary, offer_at_rate
from bench.profile_stacks import record
from bench.report import busy_cpu_seconds, machine_facts, write_chart, write_json
from bench.stack import ROOT, Sampler, Stack, cpu_seconds_of, process_tree
from bot.config import load_settings
from bot.rasa.runtime import RasaPaths, ensure_model

RESULTS = ROOT / "bench" / "results"
TARGETS = {
    "e2e_p95_over_bare_p95_at_5_per_s": 1.5,
    "sustained_per_s": 15,
    "sustained_p99_ms": 1000,
    "ready_s": 30,
    "total_rss_mib": 1600,
}


@dataclasses.dataclass(frozen=True)
class ScratchPaths(RasaPaths):
    """Rasa's installed venv, but models and Rasa's training cache in an empty directory."""

    installed_cache: Path = Path()

    @property
    def venv(self) -> Path:
        return RasaPaths(self.root, self.installed_cache).venv


def train_from_scratch(cache_dir: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="gk-bench-train-") as scratch:
        paths = ScratchPaths(ROOT, Path(scratch), installed_cache=cache_dir)
        started = time.monotonic()
        ensure_model(paths)
        return time.monotonic() - started


class Bench:
    def __init__(self, args: argparse.Namespace, fake: FakeBotApi, stack: Stack) -> None:
        self.args = args
        self.fake = fake
        self.stack = stack
        self.sampler: Sampler | None = None
        self.all_questions = dev_questions()
        self.questions = itertools.cycle(self.all_questions)
        self.chat_ids = itertools.count(7_000_001)
        self.senders = itertools.count(1)
        self.profiled = False

    # --- measuring a step ---------------------------------------------------------------

    def _cpu(self) -> dict[str, float]:
        assert self.sampler is not None
        usage = self.sampler.cpu_seconds()
        usage["machine"] = busy_cpu_seconds()
        usage["bench"] = sum(os.times()[:2])
        return usage

    @staticmethod
    def _cpu_report(
        before: dict[str, float], after: dict[str, float], elapsed: float, n: int
    ) -> dict[str, Any]:
        """CPU per message of each process, and how busy the stack, the bench and the rest
        of the machine (other people's work: the noise) kept the cores."""
        used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
        stack = sum(v for k, v in used.items() if k not in {"machine", "bench"})
        return {
            "cpu_ms_per_message": {
                k: round(v * 1000 / max(n, 1), 1)
                for k, v in used.items()
                if k not in {"machine", "bench"}
            },
            "stack_cores_busy": round(stack / elapsed, 2),
            "bench_cores_busy": round(used.get("bench", 0.0) / elapsed, 2),
            "other_cores_busy": round(
                max(0.0, used["machine"] - stack - used.get("bench", 0.0)) / elapsed, 2
            ),
        }

    async def _drain(self, offered: list[Offered], limit: float) -> None:
        await self.fake.wait_answered(offered, limit)
        await asyncio.sleep(0.5)  # a second message of the same answer

    def _profile(self, seconds: float) -> list[subprocess.Popen[bytes]]:
        """py-spy on the main process of the bot, Rasa and the action server (--py-spy)."""
        if not self.args.py_spy or self.profiled:
            return []
        self.profiled = True
        assert self.stack.process is not None
        busiest: dict[str, tuple[float, int]] = {}  # a Sanic manager is not where work is
        for pid, role in process_tree(self.stack.process.pid).items():
            cpu = cpu_seconds_of(pid)
            if role not in busiest or cpu > busiest[role][0]:
                busiest[role] = (cpu, pid)
        main_pids = {role: pid for role, (_cpu, pid) in busiest.items()}
        self.args.out.mkdir(parents=True, exist_ok=True)
        return [
            record(self.args.py_spy, pid, seconds, self.args.out / f"profile-{role}.txt")
            for role, pid in main_pids.items()
        ]

    def _same_texts_for(self, rate: float) -> None:
        """The end-to-end step and the bare Rasa step at one rate ask the same questions."""
        shift = int(rate * 7919) % len(self.all_questions)
        self.questions = itertools.cycle(self.all_questions[shift:] + self.all_questions[:shift])

    def _offer(self) -> Offered:
        question: Question = next(self.questions)
        return self.fake.offer(next(self.chat_ids), question.text, question.language)

    async def end_to_end(self, rate: float, seconds: float) -> dict[str, Any]:
        self._same_texts_for(rate)
        offered: list[Offered] = []
        profilers = self._profile(seconds) if rate == self.args.profile_rate else []
        before = self._cpu()
        start = time.monotonic()
        elapsed = await offer_at_rate(rate, seconds, lambda _n: offered.append(self._offer()))
        for profiler in profilers:
            await asyncio.to_thread(profiler.wait)
        await self._drain(offered, self.args.drain_seconds)
        cpu = self._cpu_report(before, self._cpu(), time.monotonic() - start, len(offered))
        answered = [o for o in offered if o.first_answer is not None]
        latencies = [o.first_answer - o.at for o in answered if o.first_answer is not None]
        last = max((o.first_answer or 0.0 for o in answered), default=start)
        return {
            "offered_per_s": rate,
            "offered": len(offered),
            "offering_s": round(elapsed, 1),
            "answered": len(answered),
            "unanswered": len(offered) - len(answered),
            "duplicates": sum(len(o.answers) - len({t for _, t in o.answers}) for o in offered),
            "messages_per_update": round(
                sum(len(o.answers) for o in answered) / max(1, len(answered)), 2
            ),
            "handled_per_s": round(len(answered) / max(last - start, elapsed), 2),
            "latency": latency_summary(latencies),
            "p95_ms_per_minute": per_minute_p95(offered, start),
            **cpu,
        }

    async def bare_rasa(
        self, client: httpx.AsyncClient, rate: float, seconds: float
    ) -> dict[str, Any]:
        self._same_texts_for(rate)
        latencies: list[float] = []
        failures = 0

        async def turn(n: int) -> None:
            nonlocal failures
            question = next(self.questions)
            body = {
                "sender": f"bench-bare-{next(self.senders)}",
                "message": question.text,
                "metadata": {"language": question.language, "update_id": n},
            }
            started = time.monotonic()
            try:
                response = await client.post("/webhooks/rest/webhook", json=body)
                response.raise_for_status()
                if not response.json():
                    failures += 1
                    return
            except httpx.HTTPError:
                failures += 1
                return
            latencies.append(time.monotonic() - started)

        before = self._cpu()
        start = time.monotonic()
        elapsed = await offer_at_rate(rate, seconds, turn)
        total = time.monotonic() - start
        count = len(latencies) + failures
        return {
            "offered_per_s": rate,
            "offered": count,
            "answered": len(latencies),
            "failed_or_empty": failures,
            "handled_per_s": round(len(latencies) / max(total, elapsed), 2),
            "latency": latency_summary(latencies),
            **self._cpu_report(before, self._cpu(), total, count),
        }

    # --- the run ------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        args = self.args
        results: dict[str, Any] = {}
        self.stack.start()
        assert self.stack.process is not None
        self.sampler = Sampler(self.stack.process.pid)
        self.sampler.start()
        ready = await self.stack.wait_ready()
        first = self._offer()
        await self._drain([first], 60)
        results["ready_s"] = round(ready, 1)
        results["first_answer_s"] = (
            round(first.first_answer - self.stack.started_at, 1) if first.first_answer else None
        )
        print(f"ready after {ready:.1f} s; first answer after {results['first_answer_s']} s")
        await self.end_to_end(2, 5)  # warm-up, not reported
        results["end_to_end"] = []
        for rate in args.rates:
            step = await self.end_to_end(rate, args.step_seconds)
            results["end_to_end"].append(step)
            show("end to end", step)
        results["bare_rasa"] = []
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        async with httpx.AsyncClient(
            base_url=self.stack.rasa_url,
            params={"token": self.stack.rasa_token},
            timeout=300,
            limits=limits,
        ) as client:
            for rate in args.rates:
                step = await self.bare_rasa(client, rate, args.step_seconds)
                results["bare_rasa"].append(step)
                show("bare Rasa", step)
        results["overhead"] = overhead(results["end_to_end"], results["bare_rasa"])
        if args.sustained_seconds > 0:
            step = await self.end_to_end(args.sustained_rate, args.sustained_seconds)
            step["seconds"] = args.sustained_seconds
            results["sustained"] = step
            show("sustained", step)
        await self.sampler.stop()
        results["rss"] = self.sampler.usage.summary()
        results["bot_api_calls"] = dict(self.fake.calls)
        results["stray_messages"] = self.fake.stray_messages
        offered = len(self.fake.by_chat)
        lines = len(self.stack.log_file.read_text(errors="replace").splitlines())
        results["bot_log_lines_per_update"] = round(lines / max(1, offered), 1)
        return results


def per_minute_p95(offered: list[Offered], start: float) -> list[float | None]:
    """p95 of the updates offered in each minute: does the stack slow down as data grows?"""
    minutes: dict[int, list[float]] = {}
    for o in offered:
        if o.first_answer is not None:
            minutes.setdefault(int((o.at - start) // 60), []).append(o.first_answer - o.at)
    return [latency_summary(minutes[m])["p95_ms"] for m in sorted(minutes)]


def overhead(e2e: list[dict[str, Any]], bare: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for ours, theirs in zip(e2e, bare, strict=True):
        row: dict[str, Any] = {"offered_per_s": ours["offered_per_s"]}
        for key in ("p50_ms", "p95_ms"):
            a, b = ours["latency"][key], theirs["latency"][key]
            row[f"{key.removesuffix('_ms')}_ratio"] = round(a / b, 2) if a and b else None
        rows.append(row)
    return rows


def show(what: str, step: dict[str, Any]) -> None:
    latency = step["latency"]
    print(
        f"{what:<10} {step['offered_per_s']:>4}/s offered  {step['handled_per_s']:>6}/s handled  "
        f"p50 {latency['p50_ms']} ms  p95 {latency['p95_ms']} ms  p99 {latency['p99_ms']} ms  "
        f"unanswered {step.get('unanswered', step.get('failed_or_empty'))}  "
        f"cpu ms/msg {step['cpu_ms_per_message']}  other load {step['other_cores_busy']} cores"
    )


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    """Each target next to what was measured (None where the run did not measure it)."""
    at5 = next((r for r in results["overhead"] if r["offered_per_s"] == 5), None)
    sustained = results.get("sustained")
    total = results["rss"].get("total", {}).get("peak_mib")
    return {
        "e2e_p95_over_bare_p95_at_5_per_s": at5["p95_ratio"] if at5 else None,
        "sustained_per_s": sustained["handled_per_s"] if sustained else None,
        "sustained_lost": sustained["unanswered"] if sustained else None,
        "sustained_duplicates": sustained["duplicates"] if sustained else None,
        "sustained_p99_ms": sustained["latency"]["p99_ms"] if sustained else None,
        "ready_s": results["ready_s"],
        "total_rss_mib": total,
        "targets": TARGETS,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s steps, 60 s sustained")
    parser.add_argument("--train", action="store_true", help="also time training from scratch")
    parser.add_argument("--rates", default="1,5,15,30", help="offered messages/s per step")
    parser.add_argument("--step-seconds", type=float, default=None, help="default 60 (quick 15)")
    parser.add_argument("--sustained-rate", type=float, default=15.0)
    parser.add_argument(
        "--sustained-seconds", type=float, default=None, help="default 600 (quick 60); 0: skip"
    )
    parser.add_argument("--drain-seconds", type=float, default=600.0, help="wait for late answers")
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: SQLite)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--py-spy", default=None, help="path of py-spy: profile one step")
    parser.add_argument("--profile-rate", type=float, default=15, help="the step --py-spy records")
    args = parser.parse_args()
    args.rates = [float(r) if "." in r else int(r) for r in args.rates.split(",")]
    if args.step_seconds is None:
        args.step_seconds = 15.0 if args.quick else 60.0
    if args.sustained_seconds is None:
        args.sustained_seconds = 60.0 if args.quick else 600.0
    return args


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:  # settings only for the cache directory
        environ = {**os.environ, "DATA_DIR": tmp, "PSEUDONYM_KEY": "bench-pseudonym-key-0123"}
        settings = load_settings(environ=environ, env_file=Path("/nonexistent"))
    paths = RasaPaths(ROOT, settings.cache_dir)
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "quick": args.quick,
        "machine": machine_facts(paths),
        "settings": {
            "rates": args.rates,
            "step_seconds": args.step_seconds,
            "sustained_rate": args.sustained_rate,
            "sustained_seconds": args.sustained_seconds,
            "database": "postgresql" if args.database_url else "sqlite",
            "profiled_rate": args.profile_rate if args.py_spy else None,
        },
    }
    if args.train:
        print("training the model from scratch (a few minutes) …")
        results["train_s"] = round(
            await asyncio.to_thread(train_from_scratch, settings.cache_dir), 1
        )
        print(f"trained in {results['train_s']} s")
    fake = FakeBotApi()
    await fake.start()
    with tempfile.TemporaryDirectory(prefix="gk-bench-") as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f"sqlite:///{data_dir / 'assistant.db'}"
        stack = Stack(data_dir, fake.url, fake.token, url)
        try:
            results.update(await Bench(args, fake, stack).run())
        except BaseException:
            print(stack.tail())
            raise
        finally:
            stack.stop()
            await fake.stop()
    results["verdict"] = verdict(results)
    return results


def _interrupted(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt  # like Ctrl-C: the stack is stopped, not left running


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupted)
    args = parse_args()
    results = asyncio.run(main_async(args))
    name = results["date"] + ("-quick" if args.quick else "")
    write_json(results, args.out / f"{name}.json")
    write_chart(results, args.out / f"{name}.png")
    print(f"verdict: {results['verdict']}")
    out = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"results in {out}/{name}.json and .png")


if __name__ == "__main__":
    main()
