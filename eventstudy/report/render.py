"""The human report: one list of blocks rendered to Markdown and to HTML.

``report.md`` (for code review) and ``report.html`` (one self-contained file,
figures embedded) are built from the same blocks, so they never disagree.
The blocks come from a :class:`~eventstudy.snapshot.ReportData` and lead with
the result:

1. the title, the SIMULATED banner (simulated prices only) and the study's
   question (when it has one);
2. the headline: CAAR per CAR window with its confidence interval, the main
   tests, N, and the plain-language reading, each statement once;
3. the figures;
4. the details: every test, calendar time, groups, BHAR and reversal,
   cross-sections, overlaps, per-event results, price limits, leakage, AAR
   by day, the configuration and notes on the data;
5. the excluded events, folded away in HTML (``<details>``).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.report.blocks import Block
from eventstudy.report.fonts import CSS_FONT_STACK
from eventstudy.report.textfmt import floor_p_text, html_table, md_paragraph, md_table, md_text
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.snapshot import ReportData

__all__ = ["Block", "build_blocks", "render_html", "render_markdown"]

TESTS_LEGEND = (
    "CAAR, number of events n, cross-sectional t, then the two-sided p-value of every "
    "test: csect_t (cross-sectional t), patell (Patell Z), patell_kp and bmp_kp "
    "(Kolari-Pynnönen adjustments for cross-correlation of clustered dates), bmp "
    "(Boehmer-Musumeci-Poulsen), bw1985 (Brown-Warner), sign, gsign (Cowan generalized "
    "sign), csign (Corrado-Zivney sign), rank (Corrado/Cowan), grank (Kolari-Pynnönen "
    "GRANK), wilcoxon, skew_t (skewness-adjusted t), bootstrap (over events) and "
    "calendar_time (calendar-time portfolio, Newey-West). Formulas and references: "
    "docs/methodology.md."
)


def _snapshot(data: Any) -> ReportData:
    """A snapshot from a snapshot or a results object (``results.snapshot()``)."""
    snap = getattr(data, "snapshot", None)
    return snap() if callable(snap) else data


def _headline_blocks(data: ReportData) -> list[Block]:
    from eventstudy.report.summary import (
        MAIN_TESTS,
        headline_readings,
        headline_table,
        headline_what,
    )

    cfg = data.config
    n_in, n_inc = data.n_events, data.n_included
    excl = (
        f"{n_in - n_inc} excluded (listed with their reasons at the end)"
        if n_in > n_inc
        else "none excluded"
    )
    shown = [t for t in MAIN_TESTS if f"p({t})" in headline_table(data).columns]
    return [
        Block("h2", f"Headline: {headline_what(data)}"),
        Block(
            "p",
            f"{n_in} events in the calendar: {n_inc} included, {excl}. "
            f"Normal-return model: {cfg.get('model_label', cfg['model'])}; market index "
            f"{cfg['market']}; estimation window {window_label(*cfg['estimation_window'])}. "
            f"CAAR with its "
            f"{1 - data.alpha:.0%} Student-t interval, the cross-sectional t and the "
            f"two-sided p-values of {', '.join(shown)}; every test in the details below.",
        ),
        Block("table", table=headline_table(data)),
        *[Block("item", n) for n in headline_readings(data)],
    ]


def _pooled_blocks(data: ReportData) -> list[Block]:
    from eventstudy.report.summary import grouped_readings, pvalue_table

    g = data.groups
    out: list[Block] = []
    if g is not None:
        out += [
            Block(
                "h2",
                f"All events pooled over {g.column} (mixed groups), CAAR by window, with tests",
            ),
            Block(
                "p",
                f"The pooled CAAR averages over every value of {g.column} "
                f"({', '.join(g.order)}); groups that carry opposite news cancel out in it. "
                f"Read it together with the groups of {g.column} below.",
            ),
        ]
    else:
        out.append(Block("h2", "CAAR by window, with tests"))
    out += [Block("p", TESTS_LEGEND), Block("table", table=pvalue_table(data, "window"))]
    if g is not None:  # without groups the headline already gave this reading
        out += [
            Block("item", f"Pooled over {g.column}: {n}")
            for n in grouped_readings(data.tests, data.alpha)
        ]
    ct = data.calendar_time
    if len(ct):
        ct = ct.assign(
            window=[window_label(a, b) for a, b in zip(ct["start"], ct["end"], strict=True)]
        )
        cols = ["window", "alpha", "beta", "stat", "pvalue", "n_days", "mean_firms", "hac_lags"]
        out += [
            Block("h2", "Calendar-time portfolio regressions"),
            Block(
                "p",
                "Daily equally weighted portfolio of the firms inside the window, "
                "regressed on the market; alpha is the mean daily abnormal return "
                "in calendar time, z its Newey-West (HAC) statistic.",
            ),
            Block("table", table=ct[[*cols, "reason"]].rename(columns={"stat": "z"})),
        ]
    return out


def _per_event_blocks(data: ReportData, inc: pd.DataFrame) -> list[Block]:
    g = data.groups
    cols = (
        ["event_id"]
        + [c for c in ("firm", "company_cn") if c in inc.columns][:1]
        + ([g.column] if g is not None and g.column in inc.columns else [])
        + (["overlaps_with"] if "overlaps_with" in inc.columns else [])
        + ["ticker", "board", "date", "day0", "n_estimation", "beta"]
        + [c for c in inc.columns if c.startswith(("coef_", "se_"))]  # factor / Dimson
        + [c for c in inc.columns if c.startswith("car[")]
        + [c for c in ("limit_ups_0_4", "first_open_day", "leak_flag") if c in inc.columns]
        + ["other_event_in_estimation"]
    )
    cols = list(dict.fromkeys(c for c in cols if c in inc.columns))
    return [Block("h2", "Per-event results"), Block("table", table=inc[cols])]


def _configuration(data: ReportData) -> pd.DataFrame:
    cfg = data.config
    rows = [
        ("data source", str(data.data_source.get("source", "?"))),
        ("market index", str(cfg["market"])),
        ("normal-return model", str(cfg.get("model_label", cfg["model"]))),
        ("estimation window", window_label(*cfg["estimation_window"])),
        ("event window", window_label(*cfg["event_window"])),
        ("minimum estimation days", str(cfg["min_estimation_days"])),
        ("CAR windows", ", ".join(window_label(a, b) for a, b in cfg["car_windows"])),
        ("CAR with missing days", str(cfg["car_missing"])),
        ("trading days", str(cfg["trading_days"])),
        ("significance level (alpha)", f"{data.alpha:g}"),
    ]
    return pd.DataFrame(rows, columns=["setting", "value"])


def build_blocks(
    data: Any,
    *,
    title: str,
    question: str | None,
    figures: list[tuple[str, str]],
    simulated: bool,
) -> list[Block]:
    """Assemble the report's content from a snapshot (or a results object's snapshot).

    ``figures`` lists ``(caption, path)`` of the figures (drawn or not).
    """
    from eventstudy.report.questions import question_sections
    from eventstudy.report.sections import leakage_blocks, limit_blocks
    from eventstudy.report.summary import pvalue_table

    data = _snapshot(data)
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
    if question:
        blocks.append(Block("p", question))
    blocks += _headline_blocks(data)
    if figures:
        blocks.append(Block("h2", "Figures"))
        blocks += [Block("figure", text=cap, path=path) for cap, path in figures]
    blocks += _pooled_blocks(data)
    blocks += question_sections(data)
    inc = data.per_event
    inc = inc[inc["status"] == "included"].copy()
    blocks += _per_event_blocks(data, inc)
    blocks += limit_blocks(data, inc)
    blocks += leakage_blocks(data, inc)
    blocks += [
        Block("h2", "AAR by event day, with tests"),
        Block("table", table=pvalue_table(data, "day")),
        Block("h2", "Configuration"),
        Block("table", table=_configuration(data)),
    ]
    if data.notes:
        blocks += [Block("h2", "Notes on the data")] + [Block("p", n) for n in data.notes]
    n_ex = len(data.exclusions)
    blocks += [
        Block("h2", "Excluded events"),
        Block(
            "p",
            f"{data.n_events} events in the calendar: {data.n_included} included, {n_ex} "
            "excluded. Every excluded event is listed with its reason."
            if n_ex
            else f"All {data.n_events} events of the calendar were included.",
        ),
    ]
    if n_ex:
        blocks += [
            Block("table", table=data.excluded_by_reason),
            Block(
                "details",
                text=f"Exclusions ledger ({n_ex} events)",
                table=data.exclusions,
            ),
        ]
    return blocks


def render_markdown(blocks: list[Block]) -> str:
    """Render blocks as GitHub-flavoured Markdown."""
    parts: list[str] = []
    for b in blocks:
        if b.kind == "h1":
            parts.append(f"# {md_text(b.text)}")
        elif b.kind == "h2":
            parts.append(f"## {md_text(b.text)}")
        elif b.kind == "h3":
            parts.append(f"### {md_text(b.text)}")
        elif b.kind == "banner":
            parts.append(f"> **{md_text(b.text)}**")
        elif b.kind == "p":
            parts.append(floor_p_text(md_paragraph(b.text)))
        elif b.kind == "item":
            parts.append(f"- {floor_p_text(md_text(b.text))}")
        elif b.kind == "table" and b.table is not None:
            parts.append(md_table(b.table))
        elif b.kind == "details" and b.table is not None:
            parts += [f"### {md_text(b.text)}", md_table(b.table)]
        elif b.kind == "figure":
            parts.append(f"![{md_text(b.text)}]({b.path})")
    return "\n\n".join(parts) + "\n"


STYLE = (
    f"body{{font-family:{CSS_FONT_STACK};max-width:1200px;margin:1.2em auto;padding:0 1em;"
    "line-height:1.4;color:#111}"
    "h1{font-size:1.6em;margin:0.3em 0}h2{font-size:1.25em;margin:1.2em 0 0.4em}"
    "table{border-collapse:collapse;font-size:0.85em;margin:0.4em 0}"
    "td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right;"
    "font-variant-numeric:tabular-nums}"
    "th{background:#f4f4f4;position:sticky;top:0}"
    ".nowrap{white-space:nowrap;text-align:left}"
    ".banner{background:#b00020;color:white;font-weight:bold;font-size:1.15em;"
    "padding:0.6em;margin:0.6em 0}img{max-width:100%}"
    ".wide{overflow-x:auto;max-width:100%}"
    "ul{margin:0.3em 0;padding-left:1.4em}"
    "details{margin:0.6em 0}summary{cursor:pointer;font-weight:bold}"
)


def render_html(blocks: list[Block], base: Path) -> str:
    """Render blocks as one self-contained HTML page (figures embedded).

    Consecutive items form one list; a ``details`` block folds its table
    away (``<details>``); tables scroll sideways when wide, and firm, ticker
    and date columns never wrap.
    """
    body: list[str] = []
    in_list = False
    for b in blocks:
        t = html.escape(floor_p_text(b.text) if b.kind in ("p", "item") else b.text)
        if b.kind != "item" and in_list:
            body.append("</ul>")
            in_list = False
        if b.kind in ("h1", "h2", "h3"):
            body.append(f"<{b.kind}>{t}</{b.kind}>")
        elif b.kind == "banner":
            body.append(f"<div class='banner'>{t}</div>")
        elif b.kind == "p":
            body.append(f"<p>{t}</p>")
        elif b.kind == "item":
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{t}</li>")
        elif b.kind == "table" and b.table is not None:
            body.append(html_table(b.table))
        elif b.kind == "details" and b.table is not None:
            body.append(f"<details><summary>{t}</summary>{html_table(b.table)}</details>")
        elif b.kind == "figure":
            data = base64.b64encode((base / b.path).read_bytes()).decode("ascii")
            body.append(
                f"<figure><img alt='{t}' src='data:image/png;base64,{data}'/>"
                f"<figcaption>{t}</figcaption></figure>"
            )
    if in_list:
        body.append("</ul>")
    title = blocks[0].text if blocks else "eventstudy report"
    if any(b.kind == "banner" for b in blocks) and "SIMULATED" not in title:
        title += " (SIMULATED data)"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
