"""Summary tables, report sections and figures of the study's questions.

Groups (with the headline group), long-horizon BHAR and the reversal table,
cross-sectional regressions, and overlapping events.  Everything here renders
a :class:`~eventstudy.snapshot.ReportData` (or reads the same attributes of a
results object, for the figures): nothing is computed that the results do
not hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from eventstudy.intervals import t_half_width
from eventstudy.report.summary import agreement, group_size, reading, window_readings
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from eventstudy.groups import GroupResults
    from eventstudy.report.render import Block
    from eventstudy.snapshot import ReportData

__all__ = [
    "bhar_tables",
    "extend_summary",
    "legacy_readings",
    "plot_bhar",
    "plot_groups",
    "question_sections",
]

POOLED_TITLE = "CAAR by window (p-values by test)"
BHAR_COLS = ["window", "n", "mean", "median", "sd", "skewness", "t", "p_t", "t_sa", "p_sa"]
BHAR_COLS += ["p_boot", "n_boot", "n_filled", "n_truncated", "n_excluded", "n_gaps"]
REV_COLS = ["window", "initial_window", "n", "initial_bhar", "drift_bhar", "drift_car"]
REV_COLS += ["share_of_initial", "share_opposite", "slope", "slope_p", "t_sa", "p_sa", "p_boot"]


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=(7.0, 4.2))
    return new


def _drawable(text: str, fallback: str) -> str:
    """``text`` as a figure can draw it: control characters (a bidirectional override
    would draw the rest of a legend entry reversed) shown as escapes, and CJK text only
    with an installed CJK font (else matplotlib draws empty boxes; then ``fallback``)."""
    from eventstudy._text import terminal_safe
    from eventstudy.report.fonts import _has_cjk, cjk_font

    return fallback if _has_cjk(text) and cjk_font() is None else terminal_safe(text, lines=False)


def _legend(ax: Axes, loc: Literal["upper left", "best"]) -> None:
    """A small legend whose font can draw the CJK characters of its labels."""
    from eventstudy.report.fonts import text_font

    labels = " ".join(ax.get_legend_handles_labels()[1])
    prop: dict[str, Any] = {"size": 7}
    family = text_font(labels).get("fontfamily")
    if family:
        prop["family"] = family
    ax.legend(loc=loc, frameon=False, prop=prop)


def group_pvalue_table(g: GroupResults, group: str) -> pd.DataFrame:
    """One group's CAAR table in the layout of the pooled one (p-value columns by test)."""
    t = g.group(group).drop(columns=["group", "start", "end"])
    return t.rename(columns={c: c[2:] for c in t.columns if c.startswith("p_")})


def group_caar_pivot(g: GroupResults) -> pd.DataFrame:
    """CAAR of every group (rows) and window (columns), with the number of events."""
    c = g.caar
    wide = c.pivot(index="group", columns="window", values="caar")
    wide = wide.reindex(index=list(g.order), columns=list(dict.fromkeys(c["window"])))
    wide.insert(0, "n_events", g.counts.set_index("group").loc[list(g.order), "n_events"])
    return wide.reset_index()


def group_window_table(g: GroupResults, window: tuple[int, int]) -> pd.DataFrame:
    """Every group's CAAR, n, t and p-values over one window."""
    c = g.caar
    t = c[(c["start"] == window[0]) & (c["end"] == window[1])].drop(columns=["start", "end"])
    return t.rename(columns={k: k[2:] for k in t.columns if k.startswith("p_")}).reset_index(
        drop=True
    )


def _headline_notes(g: GroupResults, value: str, alpha: float) -> list[str]:
    """One reading per window of the headline group (``summary.json``'s ``reading``)."""
    tests = g.tests
    tests = tests[tests["group"] == value].drop(columns=["group"])
    agr = agreement(tests, alpha)
    c = g.group(value)
    est = {(int(a), int(b)): (float(m), int(n)) for a, b, m, n in c[["start", "end", "caar", "n"]].itertuples(index=False)}  # fmt: skip
    out = []
    for _, r in agr[agr["scope"] == "window"].iterrows():
        m, n = est.get((int(r["start"]), int(r["end"])), (np.nan, 0))
        out.append(f"{value} ({g.column}): " + reading(r, alpha, estimate=m, n=n))
    return out


def legacy_readings(data: ReportData, alpha: float) -> list[str]:
    """Every reading, one sentence per window and group: ``summary.json``'s ``reading``.

    The headline group's windows, the pooled windows (prefixed ``Pooled over
    COLUMN:`` when the study has groups), the group differences and the
    reversal; unchanged in form so that ``summary.json`` stays comparable
    across versions.
    """
    out = window_readings(data.tests, data.caar, alpha)
    g = data.groups
    if g is not None:
        out = [f"Pooled over {g.column}: {n}" for n in out]
        if data.headline is not None:
            out = _headline_notes(g, data.headline, alpha) + out
        out += g.notes(data.main_window, alpha)
    if len(data.bhar_tests):
        out += bhar_tables(data, alpha)[1]
    return out


def extend_summary(
    data: ReportData,
    header: list[tuple[str, str]],
    tables: list[tuple[str, pd.DataFrame]],
    notes: list[str],
    alpha: float = 0.05,
) -> tuple[list[tuple[str, str]], list[tuple[str, pd.DataFrame]], list[str]]:
    """Add the groups, BHAR, reversal, cross-section and overlap tables and notes."""
    g = data.groups
    notes = list(notes)
    if g is not None:
        pooled = (
            f"All {data.n_included} included events pooled over {g.column} ({len(g.order)} "
            "groups, which may carry opposite news: read the groups) - CAAR by window "
            "(p-values by test)"
        )
        tables = [(pooled if t == POOLED_TITLE else t, d) for t, d in tables]
        if data.headline is not None:
            n_h = group_size(g, data.headline)
            header.insert(
                0,
                (
                    "Headline",
                    f"{g.column} == {data.headline!r}: {n_h} events; the other values of "
                    f"{g.column} are reported as their own groups",
                ),
            )
            tables.insert(
                2,
                (
                    f"{g.column} == {data.headline!r}: CAAR by window (p-values by test)",
                    group_pvalue_table(g, data.headline),
                ),
            )
        main = data.main_window
        d = g.difference
        tables += [
            (f"CAAR by {g.column} and window", group_caar_pivot(g)),
            (
                f"Groups of {g.column}, CAR{window_label(*main)} (p-values by test)",
                group_window_table(g, main),
            ),
            (
                f"Differences between groups of {g.column}, CAR{window_label(*main)}",
                d[(d["start"] == main[0]) & (d["end"] == main[1])][
                    ["test", "comparison", "estimate", "stat", "pvalue", "df", "n", "reason"]
                ].reset_index(drop=True),
            ),
        ]
        notes += g.notes(main, alpha)
    if len(data.bhar_tests):
        bhar_t, bhar_n = bhar_tables(data, alpha)
        tables += bhar_t
        notes += bhar_n
    for cs in data.cross_sections:
        tables.append((cross_section_title(cs), cs.table[["term", "coef", "se", "t", "p"]]))
    ov = data.overlaps
    if len(ov):
        tables.append((f"Overlapping events of one firm (overlap={data.config['overlap']!r})", ov))
    return header, tables, notes


GROUP_BHAR_COLS = ["group", "window", "n", "mean", "median", "skewness", "t", "p_t", "t_sa"]
GROUP_BHAR_COLS += ["p_sa", "p_boot"]
GROUP_REV_COLS = ["group", "window", "n", "initial_bhar", "drift_bhar", "share_of_initial"]
GROUP_REV_COLS += ["share_opposite", "slope", "slope_p", "p_t", "p_sa", "p_boot"]


def bhar_tables(
    data: ReportData, alpha: float = 0.05
) -> tuple[list[tuple[str, pd.DataFrame]], list[str]]:
    """BHAR and reversal tables (pooled, and per group when the study has groups) and notes."""
    b = data.bhar_settings or {}
    bt, rv = data.bhar_tests, data.reversal
    g = data.groups
    grouped = g is not None and len(g.bhar) > 0
    pooled = f", all {data.n_included} events pooled over {g.column}" if g is not None else ""
    ini = window_label(*b["initial_window"])
    tables = [
        (
            f"Buy-and-hold abnormal returns against the {b['benchmark']} (missing returns: "
            f"{b['missing']}; t, LBT skewness-adjusted t, bootstrap{pooled})",
            bt[[c for c in BHAR_COLS if c in bt.columns]],
        )
    ]
    notes: list[str] = []
    if len(rv):
        tables.append((f"Reversal: drift after the initial {ini} reaction{pooled}", rv[REV_COLS]))
        prefix = f"Pooled over {g.column}: " if g is not None else ""
        notes += [prefix + n for n in reversal_notes(rv, alpha)]
    if grouped and g is not None:
        tables.append(
            (f"BHAR by {g.column} (t, LBT skewness-adjusted t, bootstrap)", g.bhar[GROUP_BHAR_COLS])
        )
        if len(g.reversal):
            grv = g.reversal
            tables.append(
                (
                    f"Reversal by {g.column}: drift after the initial {ini} reaction",
                    grv[GROUP_REV_COLS],
                )
            )
            if data.headline is not None:
                own = grv[grv["group"] == data.headline]
                notes = [
                    f"{data.headline} ({g.column}): " + n for n in reversal_notes(own, alpha)
                ] + notes
    return tables, notes


def cross_section_title(cs: Any) -> str:
    """Heading of one regression: formula, window, N, R-squared, covariance, weights."""
    from eventstudy.crosssection import cov_label

    t = cs.table
    r2 = float(t["rsquared"].iloc[0]) if len(t) else float("nan")
    w = "; WLS with weights 1/Var(CAR) (patell)" if cs.spec.weights == "patell" else ""
    return (
        f"Cross-section: {cs.spec.formula} over {cs.spec.window.label} (N = {cs.nobs}, "
        f"R-squared = {r2:.3f}; standard errors {cov_label(cs.spec)}{w})"
    )


def reversal_notes(rv: pd.DataFrame, alpha: float) -> list[str]:
    """One sentence per drift window of the reversal table."""
    out = []
    rows: Any = rv.itertuples(index=False)
    for r in rows:
        if not np.isfinite(r.drift_bhar):
            continue
        sig = [
            name
            for name, p in (("t", r.p_t), ("skewness-adjusted t", r.p_sa), ("bootstrap", r.p_boot))
            if np.isfinite(p) and p < alpha
        ]
        verdict = (
            f"significant at {alpha:.0%} by {', '.join(sig)}"
            if sig
            else f"not significant at {alpha:.0%} by the t, skewness-adjusted t or bootstrap"
        )
        out.append(
            f"Drift BHAR{r.window} after the initial BHAR{r.initial_window} of "
            f"{r.initial_bhar:+.2%}: {r.drift_bhar:+.2%} over {r.n} events "
            f"({r.share_of_initial:+.0%} of the initial reaction; "
            f"{r.share_opposite:.0%} of events move against their initial reaction), "
            f"{verdict}."
        )
    return out


# ------------------------------------------------------------------ figures


def plot_groups(groups: GroupResults, *, ax: Axes | None = None, alpha: float = 0.05) -> Axes:
    """CAAR path of every group with a cross-sectional ``1 - alpha`` band; returns the Axes."""
    from eventstudy.intervals import check_alpha

    alpha = check_alpha(alpha, where="plot_groups alpha")
    ax = _axes(ax)
    p = groups.path
    ax.axvspan(-0.5, 0.5, color="0.85", zorder=0)
    for k, g in enumerate(groups.order):
        s = p[p["group"] == g]
        tau = s["tau"].to_numpy()
        m = s["caar"].to_numpy() * 100
        n = s["n"].to_numpy()
        half = t_half_width(s["sd"].to_numpy() * 100, n, alpha)
        color = f"C{k % 10}"
        if np.isfinite(half).any():
            ax.fill_between(tau, m - half, m + half, color=color, alpha=0.12, linewidth=0)
        name = _drawable(g, f"group {k + 1}")
        ax.plot(tau, m, color=color, marker="o", markersize=2.5, label=f"{name} (N = {n[0]})")
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("event day (trading days relative to day 0)")
    ax.set_ylabel("CAAR from the first event day (%)")
    from eventstudy.report.fonts import text_font

    title = f"CAAR by {_drawable(groups.column, 'group')} ({1 - alpha:.0%} bands)"
    if groups.simulated:
        title += " - SIMULATED prices"
    ax.set_title(title, **text_font(title))
    _legend(ax, "upper left")
    return ax


def plot_bhar(data: Any, *, ax: Axes | None = None, alpha: float = 0.05) -> Axes:
    """Mean BHAR per window with a ``1 - alpha`` t interval, per group when the study has
    groups (all events otherwise); ``data`` is the results or their snapshot. Returns the Axes."""
    from eventstudy.intervals import check_alpha

    alpha = check_alpha(alpha, where="plot_bhar alpha")
    ax = _axes(ax)
    g = data.groups
    if g is not None and len(g.bhar):
        frame = g.bhar
        series = [
            (_drawable(str(k), f"group {i + 1}"), frame[frame["group"] == k])
            for i, k in enumerate(g.order)
        ]
        what = f"by {_drawable(g.column, 'group')}"
    else:
        series = [("all events", data.bhar_tests)]
        what = "all events"
    wins = list(dict.fromkeys(data.bhar_tests["window"]))
    x = np.arange(len(wins))
    width = 0.8 / max(len(series), 1)
    for k, (name, bt) in enumerate(series):
        bt = bt.set_index("window").reindex(wins)
        m = bt["mean"].to_numpy(dtype=float) * 100
        n = bt["n"].to_numpy(dtype=float)
        half = t_half_width(bt["sd"].to_numpy(dtype=float) * 100, n, alpha)
        pos = x - 0.4 + width * (k + 0.5)
        ax.bar(pos, np.nan_to_num(m), width=width, color=f"C{k % 10}", alpha=0.75,
               label=f"{name} (N = {int(np.nanmax(n)) if np.isfinite(n).any() else 0})")  # fmt: skip
        ok = np.isfinite(half) & np.isfinite(m)
        ax.errorbar(pos[ok], m[ok], yerr=half[ok], fmt="none", color="0.2", linewidth=1)
    ax.set_xticks(x, wins)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_ylabel("mean BHAR (%)")
    _legend(ax, "best")
    bench = (data.bhar_settings or {}).get("benchmark", "market")
    title = (
        f"Buy-and-hold abnormal return against the {bench}, {what} ({1 - alpha:.0%} t intervals)"
    )
    if data.data_source.get("source") == "simulated":
        title += "\nSIMULATED prices"
    ax.set_title(title, fontsize=10)
    return ax


# ------------------------------------------------------------------ report


def _group_blocks(data: ReportData, g: GroupResults) -> list[Block]:
    from eventstudy.report.render import Block

    main = data.main_window
    out = [
        Block("h2", f"Groups by {g.column}"),
        Block(
            "p",
            f"Every test of the study re-run on the events of each value of {g.column} "
            "alone (no refit: the same abnormal returns, split by group). "
            f"Reference group of the difference tests: {g.order[0]!r}. "
            + (
                f"{g.n_missing} event(s) without a value form the group '(missing)' and "
                "are left out of the difference tests."
                if g.n_missing
                else ""
            ),
        ),
        Block("table", table=group_caar_pivot(g)),
        Block(
            "p",
            f"Per group over CAR{window_label(*main)}: CAAR, n, t and the p-value of every test.",
        ),
        Block("table", table=group_window_table(g, main)),
    ]
    d = g.difference
    out += [
        Block(
            "p",
            "Differences between groups (group minus reference): welch_t (Welch 1947), "
            "rank_sum (Mann-Whitney 1947; estimate = Hodges-Lehmann shift), kruskal "
            "(Kruskal-Wallis, more than two groups), regression (CAR on group dummies, "
            "HC3) and regression_wald (joint HC3 F test).",
        ),
        Block(
            "table",
            table=d[
                ["window", "test", "comparison", "estimate", "stat", "pvalue", "df", "n", "reason"]
            ],
        ),
    ]
    if data.headline is not None:
        out += [
            Block(
                "p",
                f"The headline group {data.headline!r} over every window: CAAR, n, "
                "cross-sectional t and the p-value of every test.",
            ),
            Block("table", table=group_pvalue_table(g, data.headline)),
        ]
    out += [Block("item", n) for n in g.notes(main, data.alpha)]
    return out


def _bhar_blocks(data: ReportData) -> list[Block]:
    from eventstudy.report.render import Block

    b = data.bhar_settings or {}
    rule = {
        "fill": "filled with the benchmark's returns after the firm's last return",
        "truncate": "truncated, firm and benchmark, on the firm's last return day",
        "exclude": "excluded from that window",
    }[b["missing"]]
    out = [
        Block("h2", "Long-horizon buy-and-hold abnormal returns"),
        Block(
            "p",
            "BHAR = product of (1 + firm return) minus product of (1 + benchmark return) over "
            f"the window's sessions; benchmark: the {b['benchmark']}"
            + (" (fitted normal-return model)" if b["benchmark"] == "model" else " index")
            + ". A day without a firm return (suspension) adds nothing: the next return "
            f"spans it. A firm whose returns stop before the window ends is {rule}. "
            "Tests: conventional t; LBT = Lyon, Barber & Tsai (1999) skewness-adjusted t "
            f"(normal p-value) and its bootstrap ({b['bootstrap']['reps']} resamples of "
            f"n x {b['bootstrap']['fraction']:g} events, seed {b['bootstrap']['seed']}).",
        ),
    ]
    tables, notes = bhar_tables(data, data.alpha)
    for title, table in tables:
        if title.startswith("Reversal"):
            continue
        out += [Block("p", title + ":"), Block("table", table=table)]
    odd = data.bhar[data.bhar["status"].isin(["filled", "truncated", "excluded"])]
    if len(odd):
        out += [
            Block("p", "Events whose returns stop, or that could not be measured, per window:"),
            Block("table", table=odd[["event_id", "ticker", "window", "status", "reason"]]),
        ]
    rv = data.reversal
    if len(rv):
        out += [
            Block(
                "h2", f"Reversal after the initial {window_label(*b['initial_window'])} reaction"
            ),
            Block(
                "p",
                "Over the events with both BHARs: the mean initial reaction, the mean drift "
                "(BHAR and CAR) of each later window, the drift as a share of the initial "
                "reaction (-100% = full reversal), the share of events moving against their "
                "initial reaction, the slope of the drift on the initial BHAR (OLS, HC3) and "
                "the drift's tests.",
            ),
        ]
        for title, table in tables:
            if title.startswith("Reversal"):
                out += [Block("p", title + ":"), Block("table", table=table)]
        out += [Block("item", n) for n in notes]
    return out


def question_sections(data: ReportData) -> list[Block]:
    """The groups, BHAR and reversal, cross-section and overlap sections (details)."""
    out: list[Block] = []
    if data.groups is not None:
        out += _group_blocks(data, data.groups)
    if len(data.bhar_tests):
        out += _bhar_blocks(data)
    for k, cs in enumerate(data.cross_sections):
        out += _cross_section_blocks(cs, first=k == 0)
    out += _overlap_blocks(data)
    return out


def _cross_section_blocks(cs: Any, *, first: bool) -> list[Block]:
    from eventstudy.report.render import Block

    out = [Block("h2", "Cross-sectional regressions")] if first else []
    text = cross_section_title(cs)
    if cs.dropped:
        text += f". Left out for a missing value: {', '.join(cs.dropped)}"
    out += [
        Block("p", text + "."),
        Block("table", table=cs.table[["term", "coef", "se", "t", "p"]]),
    ]
    return out


def _overlap_blocks(data: ReportData) -> list[Block]:
    from eventstudy.report.render import Block

    ov = data.overlaps
    policy = data.config.get("overlap", "keep")
    if not len(ov):
        return []
    what = {
        "keep": "Both events of each pair stay in every average; their windows share days.",
        "first": "The later event of each pair inside a kept event's window is excluded "
        "(see the exclusions ledger).",
        "drop-all": "Every event of a pair is excluded (see the exclusions ledger).",
    }[policy]
    return [
        Block("h2", "Overlapping events of one firm"),
        Block(
            "p",
            "Pairs of events of one firm whose day 0 lies inside the other's event window "
            f"(overlap={policy!r}). {what}",
        ),
        Block("table", table=ov),
    ]
