"""The study's summary tables and a plain-language reading of which tests agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.results import EventStudyResults

__all__ = ["Summary", "agreement", "build_summary", "reading"]

UNADJUSTED = ("patell", "bmp")
ROBUST_TO_SHAPE = ("sign", "gsign", "wilcoxon", "rank", "grank")
NORMALITY_FREE = ("skew_t", "bootstrap")


@dataclass(frozen=True, repr=False)
class Summary:
    """Text and HTML renderings of a study's main tables (renders in notebooks)."""

    header: list[tuple[str, str]]
    tables: list[tuple[str, pd.DataFrame]]
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        """Plain-text rendering."""
        width = max(len(k) for k, _ in self.header) if self.header else 0
        lines = ["Event study", "=" * 11]
        lines += [f"{k:<{width}}  {v}" for k, v in self.header]
        for title, table in self.tables:
            lines += [
                "",
                title,
                "-" * len(title),
                table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            ]
        if self.notes:
            lines += ["", "Reading", "-------"] + [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        """HTML rendering (tables with class ``eventstudy``)."""
        import html

        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self.header
        )
        parts = [f"<h3>Event study</h3><table class='eventstudy'>{head}</table>"]
        for title, table in self.tables:
            parts.append(f"<h4>{html.escape(title)}</h4>")
            parts.append(
                table.to_html(
                    index=False, classes="eventstudy", na_rep="", float_format=lambda v: f"{v:.4f}"
                )
            )
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<h4>Reading</h4><ul>{items}</ul>")
        return "\n".join(parts)

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


def agreement(tests: pd.DataFrame, level: float = 0.05) -> pd.DataFrame:
    """Per window (or day): which tests reject zero at ``level`` and which do not.

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
        rj = ok[ok["pvalue"] < level]
        nobs = rj["nobs"].astype(float) if "nobs" in rj else pd.Series(0.0, index=rj.index)
        centre = np.where(rj["test"] == "wilcoxon", nobs * (nobs + 1.0) / 4.0, 0.0)
        up = (rj["stat"].astype(float) - centre) > 0
        rej = rj["test"].tolist()
        keep = ok[ok["pvalue"] >= level]["test"].tolist()
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
    cols = [
        "scope",
        "tau",
        "start",
        "end",
        "label",
        "computed",
        "rejecting",
        "reject",
        "not_reject",
        "not_computed",
        "reject_up",
        "reject_down",
    ]
    return pd.DataFrame(rows, columns=cols)


def reading(
    row: pd.Series | dict[str, Any],
    level: float = 0.05,
    *,
    estimate: float | None = None,
    n: int | None = None,
) -> str:
    """One plain-language sentence (or a few) about one row of :func:`agreement`.

    ``estimate`` and ``n`` (the CAAR or AAR and its number of events) are
    quoted at the start when given.
    """
    rej = [t for t in str(row["reject"]).split(", ") if t]
    keep = [t for t in str(row["not_reject"]).split(", ") if t]
    na = [t for t in str(row["not_computed"]).split(", ") if t]
    n_tests = len(rej) + len(keep)
    pct = f"{level:.0%}"
    head = f"{row['label']}: "
    if estimate is not None and np.isfinite(estimate):
        what = "CAAR" if str(row["label"]).startswith("CAR") else "AAR"
        head += f"{what} {estimate:+.2%}" + (f" over {n} events" if n is not None else "") + "; "
    up = [t for t in str(row.get("reject_up", "") or "").split(", ") if t]
    down = [t for t in str(row.get("reject_down", "") or "").split(", ") if t]
    if n_tests == 0:
        return head + "no test could be computed."
    if up and down:
        text = (
            f"{len(rej)} of {n_tests} tests reject a zero mean at {pct}, but in opposite "
            f"directions: {', '.join(up)} point up, {', '.join(down)} point down"
            + (f"; {', '.join(keep)} do not reject" if keep else "")
            + ". The tests do not agree on the sign of the effect; look at the distribution "
            "of the abnormal returns (skewness, a few large values) before drawing a "
            "conclusion."
        )
        if na:
            text += f" Not computed: {', '.join(na)} (see the reason in results.tests)."
        return head + text
    if not keep:
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
    return head + text


def _pvalue_table(res: EventStudyResults, scope: str) -> pd.DataFrame:
    t = res.tests
    t = t[t["scope"] == scope]
    keys = ["start", "end"] if scope == "window" else ["tau"]
    base = (res.caar if scope == "window" else res.aar).copy()
    order = list(dict.fromkeys(t["test"]))
    wide = t.pivot_table(index=keys, columns="test", values="pvalue", dropna=False)
    wide = wide.reindex(columns=order)
    base = base.merge(wide, how="left", left_on=keys, right_index=True)
    st = t[t["test"] == "csect_t"].set_index(keys)["stat"].rename("t")
    base = base.merge(st, how="left", left_on=keys, right_index=True)
    lead = ["window"] if scope == "window" else ["tau"]
    if scope == "window":
        base.insert(
            0,
            "window",
            [window_label(a, b) for a, b in zip(base["start"], base["end"], strict=True)],
        )
    value = "caar" if scope == "window" else "aar"
    cols = lead + [value, "n", "t"] + [c for c in order if c in base.columns]
    return base[cols].reset_index(drop=True)


def build_summary(res: EventStudyResults, level: float = 0.05) -> Summary:
    """Header, CAAR per window with every test's p-value, exclusions, AAR per day, reading."""
    from eventstudy.report.questions import extend_summary
    from eventstudy.results import reason_category

    ev = res.events
    cfg = res.config
    header = [
        (
            "Data source",
            str(res.data_source.get("source", "?"))
            + (" (SIMULATED prices)" if res.data_source.get("source") == "simulated" else ""),
        ),
        ("Model", str(cfg.get("model_label", cfg["model"]))),
        ("Estimation window", str(cfg["estimation_window"])),
        ("Event window", str(cfg["event_window"])),
        ("Market", str(cfg["market"])),
        (
            "Events",
            f"{len(ev)} in, {res.n_included} included, {len(ev) - res.n_included} excluded",
        ),
        ("Tables", "mean (C)AR, events n, cross-sectional t, then two-sided p-values per test"),
    ]
    tables: list[tuple[str, pd.DataFrame]] = [
        ("CAAR by window (p-values by test)", _pvalue_table(res, "window"))
    ]
    excl = res.exclusions
    if len(excl):
        by = excl["reason"].map(reason_category).value_counts(sort=False).sort_index()
        tables.append(
            (
                "Excluded events by reason",
                by.rename_axis("reason").rename("events").reset_index(),
            )
        )
    tables.append(("AAR by event day (p-values by test)", _pvalue_table(res, "day")))
    agr = agreement(res.tests, level)
    cf = res.caar
    caar = {
        (int(a), int(b)): (float(c), int(k))
        for a, b, c, k in zip(cf["start"], cf["end"], cf["caar"], cf["n"], strict=True)
    }
    notes = tuple(
        reading(
            r,
            level,
            estimate=caar.get((int(r["start"]), int(r["end"])), (None, None))[0],
            n=caar.get((int(r["start"]), int(r["end"])), (None, None))[1],
        )
        for _, r in agr[agr["scope"] == "window"].iterrows()
    )
    header, tables, notes = extend_summary(res, header, tables, notes, level)
    return Summary(header, tables, notes)
