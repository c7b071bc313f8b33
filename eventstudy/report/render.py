"""The human report: one list of blocks rendered to Markdown and to HTML.

``report.md`` (for code review) and ``report.html`` (one self-contained file,
figures embedded) are built from the same blocks, so they never disagree.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.results import EventStudyResults

__all__ = ["Block", "build_blocks", "render_html", "render_markdown"]


@dataclass(frozen=True)
class Block:
    """A heading (``kind="h1"/"h2"``), paragraph, list item, banner, table or figure."""

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None
    path: str = ""


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        return f"{v:.4f}"
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else str(v.date())
    if v is pd.NaT or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v)


def build_blocks(
    res: EventStudyResults,
    *,
    title: str,
    question: str,
    figures: list[tuple[str, str]],
    simulated: bool,
) -> list[Block]:
    """Assemble the report's content from a results object."""
    cfg = res.config
    ev = res.events
    blocks = [Block("h1", title)]
    if simulated:
        blocks.append(
            Block(
                "banner",
                "SIMULATED DATA: the prices in this report come from "
                "eventstudy's built-in simulated A-share market, not "
                "from any exchange. The numbers illustrate the method "
                "only.",
            )
        )
    blocks.append(Block("p", question))
    src = res.data_source.get("source", "?")
    cfgt = pd.DataFrame(
        {
            "setting": [
                "data source",
                "market index",
                "normal-return model",
                "estimation window",
                "event window",
                "minimum estimation days",
                "CAR windows",
                "CAR with missing days",
                "trading days",
            ],
            "value": [
                str(src),
                str(cfg["market"]),
                str(cfg.get("model_label", cfg["model"])),
                window_label(*cfg["estimation_window"]),
                window_label(*cfg["event_window"]),
                str(cfg["min_estimation_days"]),
                ", ".join(window_label(a, b) for a, b in cfg["car_windows"]),
                str(cfg["car_missing"]),
                str(cfg["trading_days"]),
            ],
        }
    )
    blocks += [Block("h2", "Configuration"), Block("table", table=cfgt)]
    n_in, n_inc = len(ev), res.n_included
    blocks += [
        Block("h2", "Events"),
        Block(
            "p",
            f"{n_in} events in the calendar: {n_inc} included, "
            f"{n_in - n_inc} excluded. Every excluded event is listed below "
            "with its reason.",
        ),
    ]
    excl = res.exclusions
    if len(excl):
        from eventstudy.results import reason_category

        counts = excl["reason"].map(reason_category).value_counts(sort=False).sort_index()
        by = counts.rename_axis("reason").rename("events").reset_index()
        blocks += [
            Block("table", table=by),
            Block("h2", "Exclusions ledger"),
            Block("table", table=excl),
        ]
    summ = res.summary()
    for name, table in summ.tables:
        if name.startswith("CAAR"):
            blocks += [
                Block("h2", "CAAR by window, with tests"),
                Block(
                    "p",
                    "CAAR, number of events n, cross-sectional t, then the two-sided "
                    "p-value of every test: csect_t (cross-sectional t), patell (Patell "
                    "Z), patell_kp and bmp_kp (Kolari-Pynnönen adjustments for "
                    "cross-correlation of clustered dates), bmp (Boehmer-Musumeci-Poulsen), "
                    "bw1985 (Brown-Warner), sign, gsign (Cowan generalized sign), rank "
                    "(Corrado/Cowan), grank (Kolari-Pynnönen GRANK), wilcoxon, skew_t "
                    "(skewness-adjusted t), bootstrap (over events) and calendar_time "
                    "(calendar-time portfolio, Newey-West). Formulas and references: "
                    "docs/methodology.md.",
                ),
                Block("table", table=table),
            ]
            if summ.notes:
                blocks += [Block("h2", "Which tests agree")]
                blocks += [Block("item", n) for n in summ.notes]
            ct = res.calendar_time
            if len(ct):
                ct = ct.assign(
                    window=[window_label(a, b) for a, b in zip(ct["start"], ct["end"], strict=True)]
                )
                blocks += [
                    Block("h2", "Calendar-time portfolio regressions"),
                    Block(
                        "p",
                        "Daily equally weighted portfolio of the firms inside the window, "
                        "regressed on the market; alpha is the mean daily abnormal return "
                        "in calendar time, z its Newey-West (HAC) statistic.",
                    ),
                    Block(
                        "table",
                        table=ct[
                            [
                                "window",
                                "alpha",
                                "beta",
                                "stat",
                                "pvalue",
                                "n_days",
                                "mean_firms",
                                "hac_lags",
                                "reason",
                            ]
                        ].rename(columns={"stat": "z"}),
                    ),
                ]
    for cap, path in figures:
        blocks.append(Block("figure", text=cap, path=path))
    inc = res.to_frame()
    inc = inc[inc["status"] == "included"].copy()
    from eventstudy.market.boards import board_of

    inc["board"] = [board_of(str(t)) for t in inc["ticker"]]
    cols = (
        ["event_id"]
        + [c for c in ("firm", "company_cn") if c in inc.columns][:1]
        + ["ticker", "board", "date", "day0", "n_estimation", "beta"]
        + [c for c in inc.columns if c.startswith("coef_")]  # factor / Dimson coefficients
        + [c for c in inc.columns if c.startswith("car[")]
        + [c for c in ("limit_ups_0_4", "first_open_day", "leak_flag") if c in inc.columns]
        + ["other_event_in_estimation"]
    )
    blocks += [
        Block("h2", "Per-event results"),
        Block("table", table=inc[[c for c in cols if c in inc.columns]]),
    ]
    blocks += limit_blocks(res, inc)
    blocks += leakage_blocks(res, inc)
    for name, table in summ.tables:
        if name.startswith("AAR"):
            blocks += [Block("h2", "AAR by event day, with tests"), Block("table", table=table)]
    if res.notes:
        blocks += [Block("h2", "Notes on the data")] + [Block("p", n) for n in res.notes]
    from eventstudy.report.questions import extend_blocks

    return extend_blocks(res, blocks)


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


def limit_blocks(res: EventStudyResults, inc: pd.DataFrame) -> list[Block]:
    """Section "Price limits after the announcement"; empty without limit flags.

    ``inc`` is the per-event wide table (:meth:`EventStudyResults.to_frame`) of
    the included events.
    """
    lw = res.limit_window
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


def leakage_blocks(res: EventStudyResults, inc: pd.DataFrame) -> list[Block]:
    """Section "Pre-announcement run-up and leakage"; empty without the diagnostics."""
    if res.leakage.empty or "leak_flag" not in inc.columns:
        return []
    info = res.to_dict().get("leakage") or {}
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
            if firm and _fmt(r[firm[0]]):
                who += f", {r[firm[0]]}"
            who += f", day 0 {_fmt(r['day0'])})"
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
                    f"{e} ({_fmt(t).removeprefix('not assessed: ')})"
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


def _md_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    rows = [[_fmt(v).replace("|", "\\|") for v in r] for r in df.itertuples(index=False)]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def render_markdown(blocks: list[Block]) -> str:
    """Render blocks as GitHub-flavoured Markdown."""
    parts: list[str] = []
    for b in blocks:
        if b.kind == "h1":
            parts.append(f"# {b.text}")
        elif b.kind == "h2":
            parts.append(f"## {b.text}")
        elif b.kind == "banner":
            parts.append(f"> **{b.text}**")
        elif b.kind == "p":
            parts.append(b.text)
        elif b.kind == "item":
            parts.append(f"- {b.text}")
        elif b.kind == "table" and b.table is not None:
            parts.append(_md_table(b.table))
        elif b.kind == "figure":
            parts.append(f"![{b.text}]({b.path})")
    return "\n\n".join(parts) + "\n"


def render_html(blocks: list[Block], base: Path) -> str:
    """Render blocks as one self-contained HTML page (figures embedded)."""
    body: list[str] = []
    for b in blocks:
        t = html.escape(b.text)
        if b.kind == "h1":
            body.append(f"<h1>{t}</h1>")
        elif b.kind == "h2":
            body.append(f"<h2>{t}</h2>")
        elif b.kind == "banner":
            body.append(f"<div class='banner'>{t}</div>")
        elif b.kind == "p":
            body.append(f"<p>{t}</p>")
        elif b.kind == "item":
            body.append(f"<ul><li>{t}</li></ul>")
        elif b.kind == "table" and b.table is not None:
            df = b.table.map(_fmt) if len(b.table) else b.table
            body.append(
                "<div class='wide'>" + df.to_html(index=False, escape=True, border=0) + "</div>"
            )
        elif b.kind == "figure":
            data = base64.b64encode((base / b.path).read_bytes()).decode("ascii")
            body.append(
                f"<figure><img alt='{t}' src='data:image/png;base64,{data}'/>"
                f"<figcaption>{t}</figcaption></figure>"
            )
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}"
        "td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}"
        ".banner{background:#b00020;color:white;font-weight:bold;font-size:1.3em;"
        "padding:0.8em;margin:1em 0}img{max-width:100%}"
        ".wide{overflow-x:auto;max-width:100%}"
    )
    title = html.escape(blocks[0].text if blocks else "eventstudy report")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
