"""Figures.  Every function takes ``ax=None`` and returns the Axes; nothing is shown.

The one exception is :func:`plot_price_paths`, which draws one small panel per
event and therefore takes and returns a whole Figure.

matplotlib is imported lazily, inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.intervals import LEVEL_REMOVED, check_alpha, reject_level, t_half_width
from eventstudy.report.fonts import firm_text, text_font
from eventstudy.windows import Window, as_window, window_label

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from eventstudy.results import EventStudyResults
    from eventstudy.snapshot import ReportData

# Every function takes the results or their snapshot (eventstudy.snapshot.ReportData),
# which carry the same attribute names.

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
    result: EventStudyResults | ReportData,
    *,
    ax: Axes | None = None,
    alpha: float = 0.05,
    simulated: bool | None = None,
    level: Any = LEVEL_REMOVED,
) -> Axes:
    """CAAR from the first event day, with a cross-sectional ``1 - alpha`` confidence band.

    The band is ``caar +- t_{n-1, 1-alpha/2} * s / sqrt(n)`` where ``s`` is the
    cross-sectional standard deviation of the cumulative ARs at each day.
    """
    reject_level(level, "plot_caar", meant="confidence")
    alpha = check_alpha(alpha, where="plot_caar alpha")
    ax = _axes(ax)
    p = result.caar_path
    tau = p["tau"].to_numpy()
    m = p["caar"].to_numpy() * 100
    n = p["n"].to_numpy()
    half = t_half_width(p["sd"].to_numpy() * 100, n, alpha)
    ax.axvspan(-0.5, 0.5, color="0.85", zorder=0, label="day 0")
    ax.fill_between(
        tau,
        m - half,
        m + half,
        color="C0",
        alpha=0.2,
        linewidth=0,
        label=f"{1 - alpha:.0%} confidence band",
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
    result: EventStudyResults | ReportData,
    window: tuple[int, int] | str | Window,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of per-event CARs over one window (``(0, 1)`` or ``"[0,+1]"``), with the
    mean marked."""
    w = as_window(window, name="window")
    window = (w.start, w.end)
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


# ------------------------------------------------------------ limits and leakage

#: Pre-announcement window of the leakage rules (shaded in the figures).
_PRE = (-5, -1)
_RULE_P = (("p_runup", "run-up"), ("p_limit_ups", "limit-ups"))


def flagged_events(result: EventStudyResults | ReportData, max_events: int | None = 6) -> list[str]:
    """Event ids with ``leak_flag`` True, strongest evidence first.

    Ordered by the smallest placebo p-value over the flag's rules, then by
    event id (so the order is deterministic); at most ``max_events``.
    """
    t = result.leakage
    if t.empty or "leak_flag" not in t.columns:
        return []
    t = t[t["leak_flag"].fillna(False).astype(bool)]
    pcols = [c for c, _ in _RULE_P if c in t.columns]
    key = t[pcols].min(axis=1, skipna=True) if pcols else pd.Series(0.0, index=t.index)
    order = (
        pd.DataFrame({"event_id": t["event_id"].astype(str), "p": key.fillna(1.0)})
        .sort_values(["p", "event_id"], kind="stable")["event_id"]
        .tolist()
    )
    return order if max_events is None else order[:max_events]


def _included_order(result: EventStudyResults | ReportData, ids: pd.Index) -> list[str]:
    """Included event ids (those of ``ids``) sorted by day 0, then event id."""
    ev = result.events
    ev = ev[ev["event_id"].astype(str).isin(set(ids.astype(str)))]
    ev = ev.assign(event_id=ev["event_id"].astype(str))
    return ev.sort_values(["day0", "event_id"], kind="stable")["event_id"].tolist()


def plot_ar_heatmap(
    result: EventStudyResults | ReportData, *, ax: Axes | None = None, clip_quantile: float = 0.98
) -> Axes:
    """Abnormal returns of every included event (rows, sorted by day 0) by event day.

    A diverging colour scale centred at zero, symmetric and clipped at the
    ``clip_quantile`` of ``|AR|`` (rounded up to half a percent) so that a few
    limit moves do not wash out the rest; cells beyond the range take the end
    colours and missing days are grey.  Limit-up closes are marked with a
    black triangle (where the data has price-limit flags), the day-0 column is
    framed, and leak-flagged events carry a ``*`` after their label.
    """
    import matplotlib as mpl
    from matplotlib.lines import Line2D

    ax = _axes(ax)
    ar = result.ar
    ar = ar.assign(event_id=ar["event_id"].astype(str))
    taus = np.sort(ar["tau"].unique()).astype(np.int64)
    order = _included_order(result, pd.Index(ar["event_id"].unique()))
    n = len(order)
    if n == 0 or len(taus) == 0:
        ax.text(0.5, 0.5, "no included events", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    mat = ar.pivot(index="event_id", columns="tau", values="ar").reindex(index=order, columns=taus)
    vals = mat.to_numpy(dtype=float) * 100
    finite = np.abs(vals[np.isfinite(vals)])
    vmax = float(np.quantile(finite, clip_quantile)) if len(finite) else 1.0
    vmax = max(0.5, float(np.ceil(vmax * 2) / 2))
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad="0.8")
    im = ax.imshow(
        np.ma.masked_invalid(vals),
        cmap=cmap,
        norm=mpl.colors.Normalize(-vmax, vmax),
        aspect="auto",
        interpolation="nearest",
        extent=(taus[0] - 0.5, taus[-1] + 0.5, n - 0.5, -0.5),
    )
    handles = []
    if "limit_up" in ar.columns:
        up = (
            ar.assign(lu=ar["limit_up"].fillna(False).astype(bool))
            .pivot(index="event_id", columns="tau", values="lu")
            .reindex(index=order, columns=taus)
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        rows, cols = np.nonzero(up)
        size = float(np.clip(400.0 / n, 4.0, 16.0))
        ax.scatter(taus[cols], rows, marker="^", s=size, color="k", linewidths=0, zorder=3)
        handles.append(
            Line2D(
                [],
                [],
                marker="^",
                color="k",
                linestyle="none",
                markersize=4,
                label="limit-up close",
            )
        )
    if taus[0] <= 0 <= taus[-1]:
        for x in (-0.5, 0.5):
            ax.axvline(x, color="k", linewidth=0.7)
    ev = result.events
    flagged: set[str] = set()
    if "leak_flag" in ev.columns:
        flagged = set(ev.loc[ev["leak_flag"].fillna(False).astype(bool), "event_id"].astype(str))
        if flagged:
            handles.append(Line2D([], [], linestyle="none", label="* leak flag"))
    tick = dict(zip(ev["event_id"].astype(str), ev["ticker"].astype(str), strict=True))
    firm = _firms(ev)
    step = max(1, int(np.ceil(n / 60)))
    rows_l = np.arange(0, n, step)
    ax.set_yticks(rows_l)
    labels = ax.set_yticklabels(
        [
            f"{order[i]} {tick.get(order[i], '')}{firm.get(order[i], '')}"
            f"{' *' if order[i] in flagged else ''}"
            for i in rows_l
        ],
        fontsize=7 if n <= 35 else 5,
    )
    for lab in labels:
        lab.set(**text_font(lab.get_text()))
    ax.set_xticks([t for t in taus if t % 5 == 0])
    ax.set_xlabel("event day (trading days relative to day 0)")
    ax.set_ylabel("event (sorted by day 0)")
    ax.set_title(f"Abnormal return by event and event day (N = {n})")
    cb = ax.figure.colorbar(im, ax=ax, extend="both", fraction=0.04, pad=0.02)
    cb.set_label(f"abnormal return (%), colours clipped at ±{vmax:g}%")
    if handles:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.09),
            ncol=len(handles),
            frameon=False,
            fontsize=7,
            handletextpad=0.3,
        )
    return ax


def _n_runup(result: EventStudyResults | ReportData) -> int:
    """Number of events behind the mean run-up path."""
    t = result.leakage
    if "car_m20_m1" in t.columns:
        return int(np.isfinite(t["car_m20_m1"].to_numpy(dtype=float)).sum())
    return len(t)


def plot_runup(
    result: EventStudyResults | ReportData,
    *,
    ax: Axes | None = None,
    alpha: float = 0.05,
    level: Any = LEVEL_REMOVED,
) -> Axes:
    """Mean CAR from day -20 to +1 of the events against the placebo events.

    The band is the range a mean of ``N`` pseudo-events would fall in with
    probability ``1 - alpha``: ``placebo_mean +- z_{1-alpha/2} * placebo_sd /
    sqrt(N)``, with ``N`` the number of events behind the mean.  The leakage
    window [-5,-1] is shaded and day 0 marked.
    """
    from scipy import stats

    reject_level(level, "plot_runup", meant="confidence")
    alpha = check_alpha(alpha, where="plot_runup alpha")
    ax = _axes(ax)
    p = result.runup_path
    n = _n_runup(result)
    if p.empty or n == 0:
        ax.text(0.5, 0.5, "no run-up diagnostics", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    tau = p["tau"].to_numpy()
    ev = p["events_mean"].to_numpy(dtype=float) * 100
    pm = p["placebo_mean"].to_numpy(dtype=float) * 100
    half = stats.norm.ppf(1 - alpha / 2) * p["placebo_sd"].to_numpy(dtype=float) * 100 / np.sqrt(n)
    ax.axvspan(
        _PRE[0] - 0.5,
        _PRE[1] + 0.5,
        color="C1",
        alpha=0.12,
        linewidth=0,
        label="[-5,-1] leakage window",
    )
    ax.fill_between(
        tau,
        pm - half,
        pm + half,
        color="0.55",
        alpha=0.3,
        linewidth=0,
        label=f"placebo {1 - alpha:.0%} band for a mean of {n}",
    )
    ax.plot(tau, pm, color="0.35", linestyle="--", linewidth=1, label="placebo mean")
    ax.plot(tau, ev, color="C3", marker="o", markersize=3, label=f"events (N = {n})")
    ax.axvline(0, color="0.2", linestyle=":", linewidth=1, label="day 0")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlim(tau[0] - 0.5, tau[-1] + 0.5)
    ax.set_xticks([t for t in tau if t % 5 == 0 or t == tau[-1]])
    ax.set_xlabel("event day (trading days relative to day 0)")
    ax.set_ylabel(f"mean CAR from day {int(tau[0])} (%)")
    ax.set_title("Pre-announcement run-up: events against placebo dates")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return ax


def _last_close_before(s: pd.Series, when: pd.Timestamp) -> float:
    prior = s[(s.index < when) & s.notna()]
    return float(prior.iloc[-1]) if len(prior) else float("nan")


def plot_price_paths(
    result: EventStudyResults | ReportData,
    prices: pd.DataFrame,
    event_ids: Sequence[str] | None = None,
    *,
    fig: Figure | None = None,
    before: int = 20,
    after: int = 10,
    max_events: int = 6,
) -> Figure:
    """Close price around day 0 of some events, one small panel per event.

    Parameters
    ----------
    result : EventStudyResults
    prices : DataFrame
        ``date, ticker, close`` (the panel's price frame); the market index
        ``result.config["market"]``, when present, is drawn for comparison
        and gives the trading days.
    event_ids : sequence of str, optional
        Events to draw; by default the leak-flagged ones, strongest first
        (:func:`flagged_events`).  At most ``max_events`` are drawn.
    fig : Figure, optional
        Figure to draw into (a new pyplot figure by default).
    before, after : int
        Event days drawn: ``-before`` .. ``+after``.

    Returns
    -------
    Figure
        The figure; its panels are ``fig.axes`` in the order of the events.
        Closes are divided by the last close before day ``-before`` (the
        close of day ``-before - 1`` unless the stock was suspended then);
        limit-up closes (from ``result.ar``) are marked with red triangles.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ids = list(flagged_events(result, max_events) if event_ids is None else event_ids)
    ids = [str(i) for i in ids[:max_events]]
    k = max(1, len(ids))
    ncols = min(3, k)
    nrows = int(np.ceil(k / ncols))
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(3.4 * ncols + 0.6, 2.6 * nrows + 0.9))
    fig.set_layout_engine("constrained")
    if not ids:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no events to draw", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    px = prices.loc[:, ["date", "ticker", "close"]].copy()
    px["date"] = pd.to_datetime(px["date"])
    px["ticker"] = px["ticker"].astype(str)
    market = str(result.config.get("market", ""))
    mk = px[px["ticker"] == market]
    dates = pd.DatetimeIndex(np.sort((mk if len(mk) else px)["date"].unique()))
    mkt = mk.set_index("date")["close"].sort_index() if len(mk) else None
    ev = result.events
    ev_ids = ev["event_id"].astype(str).tolist()
    tickers = dict(zip(ev_ids, ev["ticker"].astype(str), strict=True))
    firm = _firms(ev)
    day0s: dict[str, Any] = dict(zip(ev_ids, pd.to_datetime(ev["day0"]), strict=True))
    lk = result.leakage
    pvals: dict[str, list[tuple[str, float]]] = {}
    for col, words in _RULE_P:
        if col in lk.columns:
            for e, v in zip(lk["event_id"].astype(str), lk[col].to_numpy(dtype=float), strict=True):
                pvals.setdefault(e, []).append((words, float(v)))
    ar = result.ar
    ar = ar.assign(event_id=ar["event_id"].astype(str))
    taus = np.arange(-before, after + 1)
    for i, eid in enumerate(ids):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        tk = tickers.get(eid, "")
        d0 = pd.Timestamp(day0s.get(eid, float("nan")))
        p0 = len(dates) if pd.isna(d0) else int(dates.searchsorted(d0))
        if p0 >= len(dates) or dates[p0] != d0:
            ax.text(0.5, 0.5, f"{eid}: no prices", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            continue
        pos = p0 + taus
        ok = (pos >= 0) & (pos < len(dates))
        t_ok, d_ok = taus[ok], dates[pos[ok]]
        start = d_ok[0]
        s = px[px["ticker"] == tk].set_index("date")["close"].sort_index()
        y = s.reindex(d_ok).to_numpy(dtype=float)
        base = _last_close_before(s, start)
        if not np.isfinite(base) and np.isfinite(y).any():
            base = float(y[np.isfinite(y)][0])
        y = y / base
        ax.axvspan(_PRE[0] - 0.5, _PRE[1] + 0.5, color="C1", alpha=0.12, linewidth=0)
        ax.axvline(0, color="0.2", linestyle=":", linewidth=1)
        ax.axhline(1, color="0.6", linewidth=0.6)
        if mkt is not None:
            m = mkt.reindex(d_ok).to_numpy(dtype=float) / _last_close_before(mkt, start)
            ax.plot(t_ok, m, color="0.45", linestyle="--", linewidth=0.9)
        ax.plot(t_ok, y, color="C0", linewidth=1.4)
        if "limit_up" in ar.columns:
            hit = ar[(ar["event_id"] == eid) & ar["limit_up"].fillna(False).astype(bool)]
            up_t = hit["tau"].to_numpy()
            up_t = up_t[(up_t >= taus[0]) & (up_t <= taus[-1])]
            up_y = pd.Series(y, index=t_ok).reindex(up_t).to_numpy(dtype=float)
            ax.scatter(
                up_t,
                up_y,
                marker="^",
                s=26,
                color="C3",
                edgecolors="k",
                linewidths=0.4,
                zorder=3,
            )
        name = firm.get(eid, "")
        head = f"{eid}  {tk}{name}" + ("\n" if name else "  ") + f"day 0 = {d0:%Y-%m-%d}"
        ax.set_title(head, fontsize=8.5, **text_font(head))
        bits = [f"p({w}) {_p_text(v)}" for w, v in pvals.get(eid, []) if v < 0.5]
        if bits:
            ax.text(
                0.03,
                0.96,
                "\n".join(bits),
                transform=ax.transAxes,
                va="top",
                fontsize=6.5,
                color="0.25",
            )
        ax.set_xlim(taus[0] - 0.5, taus[-1] + 0.5)
        ax.tick_params(labelsize=7)
        if i >= len(ids) - ncols:
            ax.set_xlabel("event day (relative to day 0)", fontsize=8)
    handles = [
        Line2D([], [], color="C0", linewidth=1.4, label="close"),
        Line2D([], [], color="0.45", linestyle="--", linewidth=0.9, label="market index"),
        Line2D(
            [],
            [],
            marker="^",
            color="C3",
            markeredgecolor="k",
            markeredgewidth=0.4,
            linestyle="none",
            label="limit-up close",
        ),
        Patch(color="C1", alpha=0.12, linewidth=0, label="[-5,-1] leakage window"),
        Line2D([], [], color="0.2", linestyle=":", linewidth=1, label="day 0"),
    ]
    if mkt is None:
        handles.pop(1)
    fig.legend(
        handles=handles, loc="outside lower center", ncol=len(handles), frameon=False, fontsize=7
    )
    fig.supylabel(f"close / last close before day {-before}", fontsize=9)
    fig.suptitle(
        "Close price around the announcement (placebo p-values of the flag's rules)", fontsize=10
    )
    return fig


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _firms(ev: pd.DataFrame) -> dict[str, str]:
    """`` firm`` (with a leading space) per event id, where the name can be drawn."""
    col = next((c for c in ("firm", "company_cn") if c in ev.columns), None)
    if col is None:
        return {}
    out = {}
    for e, name in zip(ev["event_id"].astype(str), ev[col], strict=True):
        text = firm_text(name)
        if text:
            out[e] = " " + text
    return out
