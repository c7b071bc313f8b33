"""Report sections of the price-limit and leakage diagnostics (rendered from a snapshot)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from eventstudy.report.blocks import Block
from eventstudy.report.textfmt import fmt_cell
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.snapshot import ReportData

__all__ = ["leakage_blocks", "limit_blocks"]


def _pct(v: float) -> str:
    return f"{v * 100:+.2f}%"


def _as_count(s: pd.Series) -> pd.Series:
    """A float column of whole numbers as nullable integers (for display)."""
    x = pd.to_numeric(s, errors="coerce").astype("Float64")
    if bool((x.dropna() % 1 == 0).all()):
        return x.round().astype("Int64")
    return x


def _firm_col(df: pd.DataFrame) -> list[str]:
    return [c for c in ("firm", "company_cn") if c in df.columns][:1]


def limit_blocks(data: ReportData, inc: pd.DataFrame) -> list[Block]:
    """Section "Price limits after the announcement"; empty without limit flags.

    ``inc`` is the per-event wide table (``per_event`` of the snapshot) of
    the included events.
    """
    lw = data.limit_window
    if "limit_ups_0_4" not in inc.columns or lw.empty:
        return []
    c01 = "car" + window_label(0, 1)
    cols = (
        ["event_id", *_firm_col(inc), "ticker", "day0", "limit_ups_0_4", "first_run"]
        + ["first_open_day"]
        + ([c01] if c01 in inc.columns else [])
        + ["car_limit", "locked_share"]
    )
    table = inc[cols].reset_index(drop=True)
    notes = inc["limit_note"].fillna("").astype(str) if "limit_note" in inc.columns else None
    if notes is not None and (notes != "").any():
        table["limit_note"] = notes.to_numpy()
    out = [
        Block("h2", "Price limits after the announcement"),
        Block(
            "p",
            "A-share prices cannot close beyond a daily limit set by the board, the date "
            "and risk-warning status (for example 10% on the main boards, 20% on ChiNext "
            "and STAR), so a strong reaction can be spread over several limit-up closes. "
            "Per event: limit_ups_0_4 counts the "
            "limit-up closes on days 0 to +4; first_run is the length of the first run of "
            "consecutive limit-up closes from day 0; first_open_day is the first day from "
            "day 0 that trades and does not close at the up-limit (empty when unknown); "
            "car_limit is the limit-aware CAR from day 0 through that first open day; "
            "locked_share is the share of the event window's traded days locked at a "
            "limit (one price all day).",
        ),
        Block("table", table=table),
    ]
    car_l = pd.to_numeric(inc["car_limit"], errors="coerce")
    n_l = int(car_l.notna().sum())
    if n_l:
        fod = pd.to_numeric(inc["first_open_day"], errors="coerce")
        out.append(
            Block(
                "p",
                "Limit-aware window (day 0 through the first day that does not close at "
                f"the up-limit): CAAR {_pct(float(car_l.mean()))} over {n_l} events; the "
                f"first open day is on average day +{float(fod.mean()):.2f}. Tests of a "
                "zero mean limit-aware CAR:",
            )
        )
    else:
        out.append(Block("p", "No event has a limit-aware CAR (no first open day is known)."))
    out.append(
        Block(
            "table",
            table=lw[
                [
                    c
                    for c in ("test", "stat", "pvalue", "df", "distribution", "nobs", "reason")
                    if c in lw.columns
                ]
            ],
        )
    )
    if c01 in inc.columns:
        c = pd.to_numeric(inc[c01], errors="coerce")
        both = c.notna() & car_l.notna()
        k = int(both.sum())
        if k:
            m01, ml = float(c[both].mean()), float(car_l[both].mean())
            fod = pd.to_numeric(inc["first_open_day"], errors="coerce")
            longer = int((fod[both] > 1).sum())
            shorter = int((fod[both] < 1).sum())
            out.append(
                Block(
                    "p",
                    f"Over the {k} events with both, the mean CAR{window_label(0, 1)} is "
                    f"{_pct(m01)} and the mean limit-aware CAR is {_pct(ml)} (difference "
                    f"{(ml - m01) * 100:+.2f} percentage points). For {longer} of them the "
                    f"first open day comes after day +1, so CAR{window_label(0, 1)} stops "
                    f"while the price is still held at the limit; for {shorter} it is day 0 "
                    "(no limit-up close on day 0), so the limit-aware window is day 0 only.",
                )
            )
    return out


def leakage_blocks(data: ReportData, inc: pd.DataFrame) -> list[Block]:
    """Section "Pre-announcement run-up and leakage"; empty without the diagnostics."""
    if data.leakage.empty or "leak_flag" not in inc.columns:
        return []
    info = data.leakage_info or {}
    cols = [
        "event_id",
        "ticker",
        "day0",
        "car_m5_m1",
        "scar_m5_m1",
        "runup_ratio",
        "limit_ups_m5_m1",
        "abnormal_volume",
        "leak_flag",
        "leak_rules",
    ]
    table = inc[[c for c in cols if c in inc.columns]].reset_index(drop=True)
    if "limit_ups_m5_m1" in table.columns:
        table["limit_ups_m5_m1"] = _as_count(table["limit_ups_m5_m1"])
    out = [
        Block("h2", "Pre-announcement run-up and leakage"),
        Block(
            "p",
            "Per event, on its own market model: car_m5_m1 and scar_m5_m1 are the CAR over "
            "[-5,-1] and its standardised value; runup_ratio is CAR[-5,-1]/CAR[-5,+1] "
            "(shown only when |SCAR[-5,+1]| >= 2); limit_ups_m5_m1 counts limit-up closes "
            "in [-5,-1]; abnormal_volume is the standardised abnormal log volume in "
            "[-5,-1]. Each statistic is compared with the same statistic at random "
            "non-event dates of the same firms (placebo events). leak_flag is empty when "
            "the event could not be assessed (leak_rules says why).",
        ),
        Block("table", table=table),
    ]
    flag = inc["leak_flag"]
    is_flag = flag.fillna(False).astype(bool).to_numpy()
    firm = _firm_col(inc)
    flagged = inc[is_flag]
    n_assessed = int(flag.notna().sum())
    if len(flagged):
        out.append(
            Block(
                "p",
                f"{len(flagged)} of the {n_assessed} assessed events were flagged for possible "
                "leakage (information reaching prices before the announcement):",
            )
        )
        for r in flagged.to_dict(orient="records"):
            who = f"{r['event_id']} ({r['ticker']}"
            if firm and fmt_cell(r[firm[0]]):
                who += f", {r[firm[0]]}"
            who += f", day 0 {fmt_cell(r['day0'])})"
            out.append(Block("item", f"{who}: {r['leak_rules']}"))
    else:
        out.append(Block("p", f"None of the {n_assessed} assessed events was flagged."))
    na = inc[flag.isna().to_numpy()]
    if len(na):
        out.append(
            Block(
                "p",
                "Not assessed: "
                + "; ".join(
                    f"{e} ({fmt_cell(t).removeprefix('not assessed: ')})"
                    for e, t in zip(na["event_id"], na["leak_rules"], strict=True)
                )
                + ".",
            )
        )
    rules = info.get("rules") or {}
    alpha = info.get("alpha")
    thr = info.get("threshold_p")
    if rules and thr is not None and alpha is not None:
        expected = alpha * n_assessed
        out.append(
            Block(
                "p",
                "How the threshold was set: an event is flagged when the smallest placebo "
                "p-value over the rules ("
                + "; ".join(str(w) for w in rules.values())
                + f") is at most p* = {thr:.4g}. p* is the largest threshold at which no "
                f"more than alpha = {alpha:.0%} of the {info.get('n_placebo', 0)} placebo "
                "events (each compared with the others) would be flagged, so alpha is a "
                "family-wise false-flag rate over the rules, set on the placebo "
                f"distribution and not on any known answer. By chance alone at most about "
                f"{expected:.1f} of the {n_assessed} assessed events would be flagged at "
                f"this threshold; {len(flagged)} were. A flag is a reason to look, not "
                "proof of leakage: an early leak of the news and a firm's other good news "
                "look alike in prices.",
            )
        )
    else:
        out.append(
            Block("p", "No flag threshold could be set: there were no usable placebo events.")
        )
    return out
