"""The summary's charts as inline SVG (no scripts, no network) and the number formats they share."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from ...report import display_width
from .model import NONE_KEY, Bucket, Timeline

CATEGORY_COLOURS = {
    "software": "#2f6db5",
    "hardware": "#7b4fa8",
    "network": "#15867f",
    "operation": "#c9761a",
    "external": "#6b7785",
}
PRIORITY_COLOURS = {
    "P1": "#c0392b",
    "P2": "#e07b24",
    "P3": "#d9a521",
    "P4": "#5b8bb8",
    NONE_KEY: "#a3acb6",
}
SCOPE_COLOURS = {
    "single_user": "#8fb3d9",
    "site": "#5b8bb8",
    "region": "#2f6db5",
    "city": "#1b3f73",
    NONE_KEY: "#a3acb6",
}
ACCENT = "#2f6db5"
MUTED = "#a3acb6"
P1_COLOUR = "#c0392b"


def _num(value: int | float) -> str:
    return f"{value:,}"


def _pct(share: float) -> str:
    if share and share < 0.001:
        return "<0.1%"
    return f"{share * 100:.1f}%".replace(".0%", "%")


def _fit(text: str, columns: int) -> str:
    """`text` cut to `columns` display columns (CJK characters take two), with an ellipsis."""
    if display_width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class _Bar:
    label: str
    count: int
    share: float
    colour: str
    tooltip: str
    other: bool = False  # the folded tail: drawn muted, never sets the scale


def _bar_chart(bars: Sequence[_Bar], width: int = 520, label_columns: int = 30) -> Markup:
    """A horizontal bar chart as inline SVG: label, bar scaled to the largest count, value."""
    if not bars:
        return Markup("")
    row, bar_h, top = 26, 15, 4
    label_columns = max(10, min(label_columns, max(display_width(b.label) for b in bars)))
    label_w = label_columns * 6.4 + 8
    value_w = 92
    plot_w = width - label_w - value_w
    height = top * 2 + row * len(bars)
    peak = max((b.count for b in bars if not b.other), default=0) or max(b.count for b in bars) or 1
    parts = [
        f'<svg class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet">'
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        mid = y + row / 2
        length = min(plot_w, max(1.5, plot_w * bar.count / peak)) if bar.count else 0
        parts.append(f"<g><title>{_e(bar.tooltip)}</title>")
        parts.append(
            f'<text x="{label_w - 8:.1f}" y="{mid:.1f}" text-anchor="end" '
            f'dominant-baseline="central" class="lbl">{_e(_fit(bar.label, label_columns))}</text>'
        )
        parts.append(
            f'<rect x="{label_w:.1f}" y="{mid - bar_h / 2:.1f}" width="{plot_w:.1f}" '
            f'height="{bar_h}" rx="2" class="track"/>'
        )
        parts.append(
            f'<rect x="{label_w:.1f}" y="{mid - bar_h / 2:.1f}" width="{length:.1f}" '
            f'height="{bar_h}" rx="2" fill="{_e(bar.colour)}"/>'
        )
        parts.append(
            f'<text x="{label_w + plot_w + 8:.1f}" y="{mid:.1f}" dominant-baseline="central" '
            f'class="val">{_e(_num(bar.count))}<tspan class="share"> · {_e(_pct(bar.share))}'
            f"</tspan></text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_step(peak: int, ticks: int = 4) -> int:
    raw = max(1.0, peak / ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw and float(step).is_integer():
            return int(step)
    return int(10 * magnitude)


def _bucket_ticks(bucket: Bucket, grain: str, previous: Bucket | None) -> tuple[str, str]:
    """(first line, second line) of a timeline label; the second names a new day, month or year."""
    start = bucket.start
    if grain == "hour":
        new_day = previous is None or previous.start.date() != start.date()
        return start.strftime("%H:00"), start.strftime("%m-%d") if new_day else ""
    if grain == "day":
        new_year = previous is None or previous.start.year != start.year
        return start.strftime("%m-%d"), str(start.year) if new_year else ""
    if grain == "month":
        new_year = previous is None or previous.start.year != start.year
        return start.strftime("%m"), str(start.year) if new_year else ""
    return str(start.year), ""


def _column_chart(timeline: Timeline, t: Mapping[str, str], width: int = 1000) -> Markup:
    """A column chart of tickets per bucket as inline SVG, P1 tickets stacked at the bottom."""
    buckets = timeline.buckets
    left, right, top, bottom, plot_h = 48, 12, 14, 44, 190
    height = top + plot_h + bottom
    plot_w = width - left - right
    slot = plot_w / len(buckets)
    bar_w = max(1.0, slot * 0.72)
    peak = max((b.count for b in buckets), default=0)
    step = _nice_step(peak)
    ceiling = max(step, math.ceil(peak / step) * step)
    scale = plot_h / ceiling
    base = top + plot_h
    parts = [
        f'<svg class="chart column-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet">'
    ]
    for value in range(0, ceiling + 1, step):
        y = base - value * scale
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="central" '
            f'class="axis">{_e(_num(value))}</text>'
        )
    label_every = max(1, math.ceil(46 / slot))
    previous: Bucket | None = None
    for i, bucket in enumerate(buckets):
        x = left + i * slot + (slot - bar_w) / 2
        p1_h = bucket.p1 * scale
        rest_h = (bucket.count - bucket.p1) * scale
        tip = f"{bucket.label}: {_num(bucket.count)} {t['chart_tickets']}"
        if bucket.p1:
            tip += f" ({_num(bucket.p1)} P1)"
        parts.append(f"<g><title>{_e(tip)}</title>")
        parts.append(
            f'<rect x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}" class="hit"/>'
        )
        if rest_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - p1_h - rest_h:.1f}" width="{bar_w:.1f}" '
                f'height="{rest_h:.1f}" fill="{ACCENT}"/>'
            )
        if p1_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - p1_h:.1f}" width="{bar_w:.1f}" '
                f'height="{p1_h:.1f}" fill="{P1_COLOUR}"/>'
            )
        parts.append("</g>")
        first, second = _bucket_ticks(bucket, timeline.grain, previous)
        if i % label_every == 0 or second:
            cx = left + i * slot + slot / 2
            if i % label_every == 0:
                parts.append(
                    f'<text x="{cx:.1f}" y="{base + 15}" text-anchor="middle" class="axis">'
                    f"{_e(first)}</text>"
                )
            if second:
                parts.append(
                    f'<line x1="{left + i * slot:.1f}" x2="{left + i * slot:.1f}" y1="{base}" '
                    f'y2="{base + 34}" class="tick"/>'
                    f'<text x="{left + i * slot + 3:.1f}" y="{base + 32}" class="axis strong">'
                    f"{_e(second)}</text>"
                )
        previous = bucket
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" class="baseline"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
