"""Trends as SVG drawn on the server: bars per week, computed here, drawn by the template.

No JavaScript: the dashboard's Content-Security-Policy allows only its own scripts, and a
chart that is plain SVG also prints and works in the standalone report file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 160
MARGIN_LEFT = 32
MARGIN_BOTTOM = 22
MARGIN_TOP = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    week: str
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    maximum: int
    baseline: float
    label_every: int  # print every n-th week under the axis
    left: int


def weekly_bars(
    counts: Counter[str],
    weeks: list[str],
    width: int = WIDTH,
    height: int = HEIGHT,
    axes: bool = True,
) -> Chart:
    left, bottom, top = (MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP) if axes else (0, 0, 2)
    maximum = max([counts.get(w, 0) for w in weeks] + [1])
    plot_width = width - left - (4 if axes else 0)
    plot_height = height - bottom - top
    step = plot_width / max(len(weeks), 1)
    bars = []
    for i, week in enumerate(weeks):
        count = counts.get(week, 0)
        bar_height = plot_height * count / maximum
        bars.append(
            Bar(
                x=round(left + i * step + step * 0.15, 1),
                y=round(top + plot_height - bar_height, 1),
                width=round(step * 0.7, 1),
                height=round(bar_height, 1),
                week=week,
                count=count,
            )
        )
    label_every = max(1, len(weeks) // 8 + (1 if len(weeks) % 8 else 0))
    return Chart(
        width,
        height,
        bars,
        maximum,
        float(top + plot_height),
        label_every,
        left,
    )


def sparkline(counts: Counter[str], weeks: list[str]) -> Chart:
    return weekly_bars(counts, weeks, width=160, height=32, axes=False)
