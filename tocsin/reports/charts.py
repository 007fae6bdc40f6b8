"""Server-side charts as inline SVG (matplotlib), deterministic so snapshots stay stable."""

from __future__ import annotations

import html
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from tocsin.i18n import _

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@cache
def _pyplot() -> Any:
    """matplotlib, imported when the first chart is drawn: a third of a second and tens of
    MiB that a server process which draws none (or a command) does not pay."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # same ids and no timestamp in every run
    plt.rcParams.update({"svg.hashsalt": "tocsin", "svg.fonttype": "none",
                         "font.family": "DejaVu Sans", "font.size": 8})
    return plt


@cache
def _threat_colours() -> Any:
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list(
        "threat", ["#f7f7f7", "#fde0a2", "#f4a259", "#d9534f", "#8b1a1a"])


INK = "#1d2630"
ACCENT = "#0b5cad"


def _svg(fig: Figure, label: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # an accessible name, and no fixed size so the page decides the width
    name = html.escape(label, quote=True)
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"',
                  lambda m: f'<svg {m.group(1)}role="img" aria-label="{name}" class="chart-svg"',
                  text, count=1)
    return text


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Mapping[tuple[str, str], float],
            row_labels: Mapping[str, str], col_labels: Mapping[str, str],
            title: str) -> str:
    """Crime areas x places coloured by composite threat score (0-100), scores written in."""
    if not rows or not cols:  # nothing scored for this selection: say so, draw no empty grid
        return (f'<p class="chart-empty">{html.escape(title)}: '
                'no threat scores for this selection.</p>')
    width = min(max(4.5, 0.42 * len(cols) + 2.6), 7.0)
    height = max(2.0, 0.36 * len(rows) + 1.3)
    fig, ax = _pyplot().subplots(figsize=(width, height))
    grid = [[values.get((r, c), float("nan")) for c in cols] for r in rows]
    image = ax.imshow(grid, cmap=_threat_colours(), vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(cols)), [col_labels.get(c, c) for c in cols], rotation=45,
                  ha="right")
    ax.set_yticks(range(len(rows)), [textwrap.fill(row_labels.get(r, r), 26) for r in rows])
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            v = values.get((r, c))
            if v is not None:
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if v >= 60 else INK)
    ax.set_title(title, loc="left", fontsize=9, color=INK)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label(_("composite threat score (0-100)"))
    return _svg(fig, title)


def trends(series: Mapping[str, Mapping[int, float]], title: str) -> str:
    """One line per hot spot: composite score by year."""
    fig, ax = _pyplot().subplots(figsize=(7, 2.6))
    for label, points in series.items():
        years = sorted(points)
        ax.plot(years, [points[y] for y in years], marker="o", linewidth=1.5, label=label)
    ax.set_ylim(0, 100)
    ax.set_ylabel(_("threat score"))
    years = sorted({y for points in series.values() for y in points})
    if years:
        ax.set_xticks(years, [str(y) for y in years])
    ax.grid(axis="y", color="#d8dee4", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7)
    ax.set_title(title, loc="left", fontsize=9, color=INK)
    return _svg(fig, title)


def shares(labels: Sequence[str], budget: Sequence[float], threat: Sequence[float],
           title: str) -> str:
    """Share of the budget against share of the threat, per crime area."""
    fig, ax = _pyplot().subplots(figsize=(7, max(1.8, 0.32 * len(labels) + 0.9)))
    y = list(range(len(labels)))
    ax.barh([v - 0.2 for v in y], [100 * b for b in budget], height=0.38, color=ACCENT,
            label=_("share of the budget"))
    ax.barh([v + 0.2 for v in y], [100 * t for t in threat], height=0.38, color="#d9534f",
            label=_("share of the threat"))
    ax.set_yticks(y, [textwrap.fill(label, 30) for label in labels])
    ax.invert_yaxis()
    ax.set_xlabel("%")
    ax.grid(axis="x", color="#d8dee4", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower right", frameon=False, fontsize=7)
    ax.set_title(title, loc="left", fontsize=9, color=INK)
    return _svg(fig, title)
