"""The report's figures: which ones a study has (the plan) and drawing them, once.

:func:`figure_plan` decides from the snapshot which figures the study has
data for and gives each its file name and caption, without drawing: the
report lists the same figures whether or not they are drawn, so
``reproduce`` (which compares the numbers and texts, not the pictures) can
skip the drawing.  :func:`draw_figures` draws each planned figure once and
saves it as PNG (150 dpi) and PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.windows import window_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.snapshot import ReportData

__all__ = ["FigureSpec", "draw_figures", "figure_plan", "save_figure"]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report: ``figures/<name>.png`` with its caption and painter."""

    name: str
    caption: str
    draw: Callable[[], Figure]

    @property
    def path(self) -> str:
        """The PNG's path relative to the output directory."""
        return f"figures/{self.name}.png"


def save_figure(fig: Any, base: Path) -> dict[str, Path]:
    """Save ``fig`` as ``base.png`` (150 dpi) and vector ``base.pdf``, without timestamps."""
    fig.savefig(base.with_suffix(".png"), dpi=150, metadata={"Software": None})
    fig.savefig(
        base.with_suffix(".pdf"), metadata={"Creator": None, "Producer": None, "CreationDate": None}
    )
    return {"png": base.with_suffix(".png"), "pdf": base.with_suffix(".pdf")}


def _one(size: tuple[float, float], paint: Callable[[Any], Any]) -> Callable[[], Figure]:
    def draw() -> Figure:
        from matplotlib.figure import Figure

        fig = Figure(figsize=size)
        paint(fig.add_subplot(1, 1, 1))
        fig.tight_layout()
        return fig

    return draw


def figure_plan(data: ReportData, prices: pd.DataFrame | None) -> list[FigureSpec]:
    """The figures the study has data for, in the order of the report."""
    from eventstudy.report.plots import (
        flagged_events,
        plot_ar_heatmap,
        plot_caar,
        plot_car_distribution,
        plot_price_paths,
        plot_runup,
    )
    from eventstudy.report.questions import plot_bhar, plot_groups

    conf = f"{1 - data.alpha:.0%}"
    a, b = data.main_window
    plan = [
        FigureSpec(
            "caar",
            f"CAAR with {conf} confidence band",
            _one((7.0, 4.2), lambda ax: plot_caar(data, ax=ax, alpha=data.alpha)),
        ),
        FigureSpec(
            "car_distribution",
            f"Per-event CAR{window_label(a, b)} distribution",
            _one((7.0, 4.2), lambda ax: plot_car_distribution(data, (a, b), ax=ax)),
        ),
    ]
    g = data.groups
    if g is not None:
        plan.append(
            FigureSpec(
                "groups_caar",
                f"CAAR by {g.column} with {conf} bands",
                _one((7.5, 4.5), lambda ax: plot_groups(g, ax=ax, alpha=data.alpha)),
            )
        )
    if len(data.bhar_tests):
        plan.append(
            FigureSpec(
                "bhar",
                "Mean buy-and-hold abnormal return per window",
                _one((7.5, 4.2), lambda ax: plot_bhar(data, ax=ax, alpha=data.alpha)),
            )
        )
    ar = data.ar
    if "limit_up" in ar.columns and len(ar):
        n = ar["event_id"].nunique()
        height = float(np.clip(0.17 * n + 1.9, 3.5, 14.0))
        plan.append(
            FigureSpec(
                "ar_heatmap",
                "Abnormal return by event and event day, limit-up closes marked",
                _one((8.0, height), lambda ax: plot_ar_heatmap(data, ax=ax)),
            )
        )
    if len(data.runup_path) and len(data.leakage):
        plan.append(
            FigureSpec(
                "runup",
                "Mean CAR from day -20 of the events against the placebo band",
                _one((7.0, 4.2), lambda ax: plot_runup(data, ax=ax, alpha=data.alpha)),
            )
        )
    flagged = flagged_events(data, None)
    if prices is not None and len(prices) and flagged:
        shown = flagged[:6]
        k = len(shown)
        ncols = min(3, k)
        nrows = -(-k // ncols)

        def paths() -> Figure:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(3.4 * ncols + 0.6, 2.6 * nrows + 0.9))
            plot_price_paths(data, prices, shown, fig=fig)
            return fig

        more = "" if k == len(flagged) else f" ({k} of {len(flagged)}, smallest p-values)"
        plan.append(
            FigureSpec(
                "leak_price_paths",
                f"Close price around day 0 of the leak-flagged events{more}",
                paths,
            )
        )
    return plan


def draw_figures(plan: list[FigureSpec], folder: Path) -> None:
    """Draw every planned figure once and save it into ``folder`` (PNG and PDF)."""
    folder.mkdir(parents=True, exist_ok=True)
    for spec in plan:
        save_figure(spec.draw(), folder / spec.name)
