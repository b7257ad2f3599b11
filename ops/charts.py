"""Geometry for the ops page's small inline SVG bar charts (the template draws them)."""

from collections.abc import Mapping
from dataclasses import dataclass

WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 320, 16, 6, 90


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    y: int
    width: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    width: int = WIDTH


def bar_chart(values: Mapping[str, float]) -> BarChart:
    """Horizontal bars scaled to the largest value, one row per label, in the given order."""
    largest = max(values.values(), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 50
    bars = [
        Bar(label, value, index * (BAR_HEIGHT + GAP), round(room * value / largest))
        for index, (label, value) in enumerate(values.items())
    ]
    return BarChart(bars, max(len(bars) * (BAR_HEIGHT + GAP), BAR_HEIGHT))
