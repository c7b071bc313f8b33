"""Figures.  Every function takes ``ax=None`` and returns the Axes; nothing is shown.

The one exception is :func:`plot_price_paths`, which draws one small panel per
event and therefore takes and returns a whole Figure.

matplotlib is imported lazily, inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.windows import window_label

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.results import EventStudyResults

__all__ = [
    "flagged_events",
    "plot_ar_heatmap",
    "plot_caar",
    "plot_car_distribution",
    "plot_price_paths",
    "plot_runup",
]


def _axes(ax: Axes | None) -> Axes:
    """The given Axes, or a new pyplot figure's (so that notebooks display it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(7.0, 4.2))
    return new


def plot_caar(
    result: EventStudyResults,
    *,
    ax: Axes | None = None,
    level: float = 0.95,
    simulated: bool | None = None,
) -> Axes:
    """CAAR from the first event day, with a cross-sectional confidence band.

    The band is ``caar +- t_{n-1} * s / sqrt(n)`` where ``s`` is the
    cross-sectional standard deviation of the cumulative ARs at each day.
    """
    from scipy import stats

    ax = _axes(ax)
    p = result.caar_path
    tau = p["tau"].to_numpy()
    m = p["caar"].to_numpy() * 100
    n = p["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = (
            stats.t.ppf((1 + level) / 2, np.maximum(n - 1, 1))
            * p["sd"].to_numpy()
            * 100
            / np.sqrt(n)
        )
    ax.axvspan(-0.5, 0.5, color="0.85", zorder=0, label="day 0")
    ax.fill_between(
        tau,
        m - half,
        m + half,
        color="C0",
        alpha=0.2,
        linewidth=0,
        label=f"{level:.0%} confidence band",
    )
    ax.plot(tau, m, color="C0", marker="o", markersize=3, label="CAAR")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("event day (trading days relative to day 0)")
    ax.set_ylabel(f"CAAR from day {int(tau[0]) if len(tau) else 0} (%)")
    n_inc = int(n[0]) if len(n) else 0
    sim = result.data_source.get("source") == "simulated" if simulated is None else simulated
    title = f"Cumulative average abnormal return (N = {n_inc})"
    if sim:
        title += " - SIMULATED prices"
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return ax


def plot_car_distribution(
    result: EventStudyResults, window: tuple[int, int], *, ax: Axes | None = None
) -> Axes:
    """Histogram of per-event CARs over one window, with the mean marked."""
    ax = _axes(ax)
    car = result.car
    sel = car[(car["start"] == window[0]) & (car["end"] == window[1]) & (car["window"] != "limit")][
        "car"
    ].dropna()
    x = sel.to_numpy() * 100
    if len(x):
        ax.hist(x, bins=min(30, max(5, len(x) // 2)), color="C1", edgecolor="white")
        ax.axvline(float(np.mean(x)), color="C3", linestyle="--", label=f"mean {np.mean(x):.2f}%")
        ax.legend(frameon=False, fontsize=8)
    ax.axvline(0, color="0.3", linewidth=0.8)
    a, b = window
    ax.set_xlabel(f"CAR{window_label(a, b)} (%)")
    ax.set_ylabel("events")
    ax.set_title(f"Distribution of per-event CARs (N = {len(x)})")
    return ax
