"""The study's summary tables and a plain-language reading of which tests agree.

Everything here renders a :class:`~eventstudy.snapshot.ReportData` (numbers
already computed); :func:`build_summary` is what ``results.summary()`` calls,
once per results object and ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.report.textfmt import floor_p_text, fmt_cell, html_table, is_p_column
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.snapshot import ReportData

__all__ = [
    "MAIN_TESTS",
    "Summary",
    "agreement",
    "build_summary",
    "grouped_readings",
    "headline_table",
    "reading",
]

UNADJUSTED = ("patell", "bmp")
ROBUST_TO_SHAPE = ("sign", "gsign", "wilcoxon", "rank", "grank")
NORMALITY_FREE = ("skew_t", "bootstrap")
#: tests shown in the headline: the t on CARs, the standardised test robust to
#: event-induced variance and cross-correlation, a rank and a sign test
MAIN_TESTS = ("csect_t", "bmp_kp", "grank", "gsign")


@dataclass(frozen=True, repr=False)
class Summary:
    """Text, HTML and LaTeX renderings of a study's main tables (renders in notebooks).

    ``notes`` is the plain-language reading, each statement once (windows
    with the same reading share one line); ``readings`` the same reading per
    window and group, one sentence each (``summary.json``'s ``reading``).
    """

    header: list[tuple[str, str]]
    tables: list[tuple[str, pd.DataFrame]]
    notes: tuple[str, ...] = ()
    readings: tuple[str, ...] = ()
    title: str = "Event study"

    def as_text(self) -> str:
        """Plain-text rendering (p-values below 1e-4 as ``<0.0001``)."""
        width = max(len(k) for k, _ in self.header) if self.header else 0
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k:<{width}}  {v}" for k, v in self.header]
        for title, table in self.tables:
            shown = table.copy()
            for c in shown.columns:
                if pd.api.types.is_float_dtype(shown[c]):
                    p = is_p_column(c)
                    shown[c] = [fmt_cell(v, pvalue=p) for v in shown[c]]
            lines += ["", title, "-" * len(title), shown.to_string(index=False)]
        if self.notes:
            lines += ["", "Reading", "-------"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        """HTML rendering (tables with class ``eventstudy`` in scroll containers)."""
        import html

        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self.header
        )
        parts = [f"<h3>{html.escape(self.title)}</h3><table class='eventstudy'>{head}</table>"]
        for title, table in self.tables:
            parts.append(f"<h4>{html.escape(title)}</h4>")
            parts.append(html_table(table))
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<h4>Reading</h4><ul>{items}</ul>")
        return "\n".join(parts)

    def as_latex(self) -> str:
        """LaTeX: one booktabs ``tabular`` per table (see :mod:`eventstudy.report.latex`)."""
        from eventstudy.report.latex import summary_latex

        return summary_latex(self)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


def _label(scope: str, r: Any) -> str:
    if scope == "window":
        return "CAR" + window_label(int(r["start"]), int(r["end"]))
    return f"AR day {int(r['tau']):+d}"


def agreement(tests: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per window (or day): which tests reject zero at ``alpha`` and which do not.

    Columns: ``scope, tau, start, end, label, computed, rejecting, reject,
    not_reject, not_computed, reject_up, reject_down`` (the name columns are
    comma-separated).  ``reject_up`` and ``reject_down`` split the rejecting
    tests by the sign of their statistic (Wilcoxon: of ``W+ - n(n+1)/4``), so
    that tests rejecting in opposite directions are not read as agreeing.
    """
    rows = []
    keys = ["scope", "tau", "start", "end"]
    for key, g in tests.groupby(keys, sort=False, dropna=False):
        r = dict(zip(keys, key, strict=True))
        ok = g[g["pvalue"].notna()]
        rj = ok[ok["pvalue"] < alpha]
        nobs = rj["nobs"].astype(float) if "nobs" in rj else pd.Series(0.0, index=rj.index)
        centre = np.where(rj["test"] == "wilcoxon", nobs * (nobs + 1.0) / 4.0, 0.0)
        up = (rj["stat"].astype(float) - centre) > 0
        rej = rj["test"].tolist()
        keep = ok[ok["pvalue"] >= alpha]["test"].tolist()
        na = g[g["pvalue"].isna()]["test"].tolist()
        rows.append(
            {
                **r,
                "label": _label(str(r["scope"]), r),
                "computed": len(ok),
                "rejecting": len(rej),
                "reject": ", ".join(rej),
                "not_reject": ", ".join(keep),
                "not_computed": ", ".join(na),
                "reject_up": ", ".join(rj["test"][up.to_numpy()].tolist()),
                "reject_down": ", ".join(rj["test"][~up.to_numpy()].tolist()),
            }
        )
    cols = ["scope", "tau", "start", "end", "label", "computed", "rejecting", "reject"]
    cols += ["not_reject", "not_computed", "reject_up", "reject_down"]
    return pd.DataFrame(rows, columns=cols)


def _names(text: Any) -> list[str]:
    return [t for t in str(text or "").split(", ") if t]


def verdict(row: pd.Series | dict[str, Any], alpha: float = 0.05) -> str:
    """The reading of one row of :func:`agreement`, without the window and estimate."""
    rej, keep, na = _names(row["reject"]), _names(row["not_reject"]), _names(row["not_computed"])
    n_tests = len(rej) + len(keep)
    pct = f"{alpha:.0%}"
    up, down = _names(row.get("reject_up", "")), _names(row.get("reject_down", ""))
    if n_tests == 0:
        return "no test could be computed."
    if up and down:
        text = (
            f"{len(rej)} of {n_tests} tests reject a zero mean at {pct}, but in opposite "
            f"directions: {', '.join(up)} point up, {', '.join(down)} point down"
            + (f"; {', '.join(keep)} do not reject" if keep else "")
            + ". The tests do not agree on the sign of the effect; look at the distribution "
            "of the abnormal returns (skewness, a few large values) before drawing a "
            "conclusion."
        )
    elif not keep:
        text = (
            f"all {n_tests} tests reject a zero mean at {pct}; the evidence holds across methods."
        )
    elif not rej:
        text = f"none of the {n_tests} tests rejects a zero mean at {pct}."
    else:
        text = f"{len(rej)} of {n_tests} tests reject at {pct} ({', '.join(rej)}); {', '.join(keep)} do not."
        extra = []
        kp_pair = any(u in rej and f"{u}_kp" in keep for u in UNADJUSTED)
        ct = any(u in rej for u in UNADJUSTED) and "calendar_time" in keep
        if kp_pair or ct:
            extra.append(
                "the tests that allow for cross-correlation do not all agree with the "
                "unadjusted Patell/BMP tests, so clustered event dates may explain part "
                "of the significance"
            )
        if "csect_t" in rej and any(t in keep for t in ROBUST_TO_SHAPE):
            extra.append(
                "some sign or rank tests do not reject, so the mean may rest on a few "
                "large abnormal returns rather than on the typical event"
            )
        if "csect_t" in rej and any(t in keep for t in NORMALITY_FREE):
            extra.append(
                "the skewness-adjusted t or the bootstrap does not confirm the t test, "
                "whose normality assumption the data may not meet"
            )
        if extra:
            text += " Note: " + "; ".join(extra) + "."
    if na:
        text += f" Not computed: {', '.join(na)} (see the reason in results.tests)."
    return text


def reading(
    row: pd.Series | dict[str, Any],
    alpha: float = 0.05,
    *,
    estimate: float | None = None,
    n: int | None = None,
) -> str:
    """One plain-language sentence (or a few) about one row of :func:`agreement`.

    ``estimate`` and ``n`` (the CAAR or AAR and its number of events) are
    quoted at the start when given.
    """
    head = f"{row['label']}: "
    if estimate is not None and np.isfinite(estimate):
        what = "CAAR" if str(row["label"]).startswith("CAR") else "AAR"
        head += f"{what} {estimate:+.2%}" + (f" over {n} events" if n is not None else "") + "; "
    return head + verdict(row, alpha)


def window_readings(tests: pd.DataFrame, caar: pd.DataFrame, alpha: float) -> list[str]:
    """One :func:`reading` per CAR window, with its CAAR and number of events."""
    agr = agreement(tests, alpha)
    est = {
        (int(a), int(b)): (float(c), int(k))
        for a, b, c, k in zip(caar["start"], caar["end"], caar["caar"], caar["n"], strict=True)
    }
    out = []
    for _, r in agr[agr["scope"] == "window"].iterrows():
        m, k = est.get((int(r["start"]), int(r["end"])), (None, None))
        out.append(reading(r, alpha, estimate=m, n=k))
    return out


def grouped_readings(tests: pd.DataFrame, alpha: float) -> list[str]:
    """The reading of every CAR window, each statement once.

    Windows whose reading is the same share one line
    (``CAR[-1,+1], CAR[0,0] and CAR[0,+1]: all 14 tests reject ...``), in
    the order of their first window; the CAAR of each window is in the table.
    """
    agr = agreement(tests, alpha)
    order: dict[str, list[str]] = {}
    for _, r in agr[agr["scope"] == "window"].iterrows():
        order.setdefault(verdict(r, alpha), []).append(str(r["label"]))
    out = []
    for text, labels in order.items():
        who = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        out.append(f"{who}: {text}")
    return out


def _p_wide(tests: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, list[str]]:
    order = list(dict.fromkeys(tests["test"]))
    wide = tests.pivot_table(index=keys, columns="test", values="pvalue", dropna=False)
    return wide.reindex(columns=order), order


def pvalue_table(data: ReportData, scope: str) -> pd.DataFrame:
    """CAAR (or AAR), n, cross-sectional t and every test's p-value, one row per window/day."""
    t = data.tests
    t = t[t["scope"] == scope]
    keys = ["start", "end"] if scope == "window" else ["tau"]
    base = (data.caar if scope == "window" else data.aar).copy()
    wide, order = _p_wide(t, keys)
    base = base.merge(wide, how="left", left_on=keys, right_index=True)
    st = t[t["test"] == "csect_t"].set_index(keys)["stat"].rename("t")
    base = base.merge(st, how="left", left_on=keys, right_index=True)
    if scope == "window" and "window" not in base.columns:
        base.insert(0, "window", [window_label(a, b) for a, b in zip(base["start"], base["end"], strict=True)])  # fmt: skip
    lead = ["window"] if scope == "window" else ["tau"]
    value = "caar" if scope == "window" else "aar"
    cols = lead + [value, "n", "t"] + [c for c in order if c in base.columns]
    return base[cols].reset_index(drop=True)


def headline_table(data: ReportData) -> pd.DataFrame:
    """The result first: per CAR window the CAAR, its ``1 - alpha`` interval, the main
    tests' p-values, N and how many tests reject (of the headline group, if any)."""
    if data.headline is not None and data.groups is not None:
        t = data.groups.tests
        t = t[(t["group"] == data.headline) & (t["scope"] == "window")].drop(columns=["group"])
    else:
        t = data.tests
        t = t[t["scope"] == "window"]
    wide, _ = _p_wide(t, ["start", "end"])
    tstat = t[t["test"] == "csect_t"].set_index(["start", "end"])["stat"]
    agr = agreement(t, data.alpha).set_index(["start", "end"])
    conf = f"{1 - data.alpha:.0%}"
    rows = []
    cis: Any = data.headline_ci.itertuples(index=False)
    for r in cis:
        key = (int(r.start), int(r.end))
        row: dict[str, Any] = {
            "window": window_label(*key),
            "CAAR": _pct(r.caar),
            f"{conf} CI": f"[{_pct(r.lower)}, {_pct(r.upper)}]" if np.isfinite(r.lower) else "",
            "t": float(tstat.get(key, np.nan)),
        }
        for name in MAIN_TESTS:
            if name in wide.columns:
                row[f"p({name})"] = float(wide[name].get(key, np.nan))
        row["N"] = int(r.n)
        if key in agr.index:
            g: Any = agr.loc[key]
            row[f"reject at {data.alpha:.0%}"] = f"{int(g['rejecting'])} of {int(g['computed'])}"
        rows.append(row)
    return pd.DataFrame(rows)


def headline_what(data: ReportData) -> str:
    """Which events the headline is about."""
    if data.headline is not None and data.groups is not None:
        n_h = group_size(data.groups, data.headline)
        return f"{data.group_column} == {data.headline!r} ({n_h} events)"
    return f"all {data.n_included} included events"


def headline_readings(data: ReportData) -> list[str]:
    """The grouped reading of the headline's windows (the headline group, if any)."""
    if data.headline is not None and data.groups is not None:
        t = data.groups.tests
        t = t[t["group"] == data.headline].drop(columns=["group"])
        return [f"{data.headline} ({data.group_column}): " + s for s in grouped_readings(t, data.alpha)]  # fmt: skip
    return grouped_readings(data.tests, data.alpha)


def group_size(g: Any, value: str) -> int:
    """Number of events of group ``value`` of a :class:`~eventstudy.groups.GroupResults`."""
    c = g.counts
    return int(c.loc[c["group"] == value, "n_events"].iloc[0])


def _pct(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if not np.isfinite(f) else f"{f:+.2%}"


def coefficient_table(events: pd.DataFrame) -> pd.DataFrame | None:
    """Each ``coef_<name>`` of a factor or Dimson model over the included events.

    Columns ``coefficient, n, mean, median, sd, mean_se`` (``mean_se``: the
    mean of the events' OLS standard errors ``se_<name>``); ``None`` for a
    model without such columns (the market model's ``beta`` is in the
    per-event table).
    """
    names = [c[len("coef_") :] for c in events.columns if str(c).startswith("coef_")]
    if not names or "status" not in events:
        return None
    inc = events[events["status"] == "included"]
    rows = []
    for name in names:
        v = pd.to_numeric(inc[f"coef_{name}"], errors="coerce").dropna()
        se = inc.get(f"se_{name}")
        rows.append(
            {
                "coefficient": name,
                "n": len(v),
                "mean": float(v.mean()) if len(v) else np.nan,
                "median": float(v.median()) if len(v) else np.nan,
                "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                "mean_se": float(pd.to_numeric(se, errors="coerce").mean())
                if se is not None
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def build_summary(data: ReportData, alpha: float = 0.05, *, title: str | None = None) -> Summary:
    """Header, headline, CAAR per window with every test's p-value, exclusions, AAR per
    day, the questions' tables, and the reading (each statement once)."""
    from eventstudy.report.questions import extend_summary, legacy_readings

    ev = data.events
    cfg = data.config
    n_in = len(ev)
    header = [
        (
            "Data source",
            str(data.data_source.get("source", "?"))
            + (" (SIMULATED prices)" if data.simulated else ""),
        ),
        ("Model", str(cfg.get("model_label", cfg["model"]))),
        ("Estimation window", str(cfg["estimation_window"])),
        ("Event window", str(cfg["event_window"])),
        ("Market", str(cfg["market"])),
        ("Events", f"{n_in} in, {data.n_included} included, {n_in - data.n_included} excluded"),
        ("Tables", "mean (C)AR, events n, cross-sectional t, then two-sided p-values per test"),
    ]
    tables: list[tuple[str, pd.DataFrame]] = [
        (f"Headline: {headline_what(data)}", headline_table(data)),
        ("CAAR by window (p-values by test)", pvalue_table(data, "window")),
    ]
    coefs = coefficient_table(ev)
    if coefs is not None:
        tables.append(("Model coefficients over the included events", coefs))
    if len(data.excluded_by_reason):
        tables.append(("Excluded events by reason", data.excluded_by_reason))
    tables.append(("AAR by event day (p-values by test)", pvalue_table(data, "day")))
    notes = headline_readings(data)
    if data.headline is not None:
        notes += grouped_readings(data.tests, alpha)
    header, tables, notes = extend_summary(data, header, tables, notes, alpha)
    readings = legacy_readings(data, alpha)  # summary.json: unchanged in form
    shown = tuple(floor_p_text(n) for n in notes)
    return Summary(header, tables, shown, tuple(readings), title or "Event study")
