"""The report's PNG: one bar per series (a mode, or the previous report) for each metric in [0, 1]."""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation.metrics import Value, metric_unit

_WIDTH = 0.8  # of each metric's slot, shared by its bars


def write_chart(
    path: Path, title: str, series: list[tuple[str, dict[str, Value]]], marks: dict[str, float] | None = None
) -> None:
    """Bars of the share metrics (latency has another scale and is left to the tables); `marks` draws a
    tick across a metric's bars (its target)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on CI or servers
    import matplotlib.pyplot as plt

    names = [n for n in dict.fromkeys(k for _, v in series for k in v) if metric_unit(n) == "share"]
    names = [n for n in names if any(v.get(n) is not None for _, v in series)]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(names) + 2), 4.5), dpi=100)
    bar = _WIDTH / max(1, len(series))
    for i, (label, values) in enumerate(series):
        xs = [j + (i - (len(series) - 1) / 2) * bar for j in range(len(names))]
        ax.bar(xs, [values.get(n) or 0.0 for n in names], bar, label=label)
    marks = marks or {}
    for j, name in enumerate(names):
        if name in marks:
            ax.hlines(marks[name], j - _WIDTH / 2, j + _WIDTH / 2, colors="black", linewidths=2)
    ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("value (higher is better)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
