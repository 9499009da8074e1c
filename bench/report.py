"""Where results go: machine facts, the JSON file and the latency chart.

Machine facts say what the numbers were measured on (cores, RAM, Python versions) and never
where (no host names, no paths).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.rasa.runtime import RasaPaths

TICKS = os.sysconf("SC_CLK_TCK")


def _meminfo_mib(key: str) -> int | None:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    return None


def _cpu_model() -> str | None:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def machine_facts(paths: RasaPaths) -> dict[str, Any]:
    rasa_python = paths.venv / "bin" / "python"
    rasa_version = None
    if rasa_python.exists():
        rasa_version = subprocess.run(
            [
                str(rasa_python),
                "-c",
                "import sys, importlib.metadata as m; "
                "print(sys.version.split()[0], m.version('rasa'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
    return {
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_mib": _meminfo_mib("MemTotal"),
        "os": f"{platform.system()} {platform.release()}",
        "python_bot": sys.version.split()[0],
        "python_rasa": rasa_version[0] if rasa_version else None,
        "rasa": rasa_version[1] if rasa_version and len(rasa_version) > 1 else None,
    }


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def write_chart(results: dict[str, Any], path: Path) -> None:
    """Latency p50/p95/p99 against offered load: the whole stack and the bare Rasa turn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5), dpi=110)
    series = [
        ("end_to_end", "p50_ms", "end to end p50", "tab:blue", "-"),
        ("end_to_end", "p95_ms", "end to end p95", "tab:blue", "--"),
        ("end_to_end", "p99_ms", "end to end p99", "tab:blue", ":"),
        ("bare_rasa", "p50_ms", "bare Rasa p50", "tab:orange", "-"),
        ("bare_rasa", "p95_ms", "bare Rasa p95", "tab:orange", "--"),
    ]
    for group, key, label, colour, style in series:
        steps = [s for s in results.get(group, []) if s["latency"][key] is not None]
        if steps:
            axes.plot(
                [s["offered_per_s"] for s in steps],
                [s["latency"][key] for s in steps],
                marker="o",
                color=colour,
                linestyle=style,
                label=label,
            )
    axes.set_yscale("log")
    axes.set_xlabel("offered messages per second")
    axes.set_ylabel("latency (ms, log scale)")
    axes.axhline(1000, color="grey", linewidth=0.8)
    axes.annotate("1 s", (0, 1000), textcoords="offset points", xytext=(2, 3), color="grey")
    facts = results.get("machine", {})
    title = f"Latency against load ({results.get('date')}, {facts.get('cores')} cores"
    axes.set_title(title + (", quick run)" if results.get("quick") else ")"))
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
