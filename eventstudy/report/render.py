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
                str(cfg["model"]),
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
    inc = inc[inc["status"] == "included"]
    cols = (
        ["event_id"]
        + [c for c in ("firm", "company_cn") if c in inc.columns][:1]
        + ["ticker", "date", "day0", "n_estimation", "beta"]
        + [c for c in inc.columns if c.startswith("car[")]
        + ["other_event_in_estimation"]
    )
    blocks += [
        Block("h2", "Per-event results"),
        Block("table", table=inc[[c for c in cols if c in inc.columns]]),
    ]
    for name, table in summ.tables:
        if name.startswith("AAR"):
            blocks += [Block("h2", "AAR by event day, with tests"), Block("table", table=table)]
    if res.notes:
        blocks += [Block("h2", "Notes on the data")] + [Block("p", n) for n in res.notes]
    return blocks


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
            body.append(df.to_html(index=False, escape=True, border=0))
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
    )
    title = html.escape(blocks[0].text if blocks else "eventstudy report")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
