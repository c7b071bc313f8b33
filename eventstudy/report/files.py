"""Write a study's output directory (DESIGN 2.3)."""

from __future__ import annotations

import json
import platform
import shutil
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy._hashing import sha256_file
from eventstudy._text import spreadsheet_safe
from eventstudy.exceptions import OutputError
from eventstudy.flagship import FLAGSHIP_QUESTION
from eventstudy.report.figures import draw_figures, figure_plan, save_figure
from eventstudy.report.outdir import (
    MANIFEST,
    MANIFEST_DIGEST,
    commit_outputs,
    manifest_digest,
    new_stage,
    prepare_out,
)
from eventstudy.report.render import build_blocks, render_html, render_markdown

if TYPE_CHECKING:
    from eventstudy.data.base import Panel
    from eventstudy.results import EventStudyResults
    from eventstudy.snapshot import ReportData

__all__ = [
    "DEFAULT_TITLE",
    "REPORT_FORMAT",
    "save_figure",
    "sha256_file",
    "write_csv",
    "write_outputs",
]

DEPENDENCIES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "yfinance",
    "exchange_calendars",
    "pyarrow",
    "platformdirs",
)

#: title of a report when none is given (a user's own study)
DEFAULT_TITLE = "Event study report"
#: layout version of report.md, recorded in the manifest: ``reproduce`` compares
#: report.md only with a report of the same layout (2: headline first)
REPORT_FORMAT = 2
#: the flagship question (the bundled compute-leasing calendar only)
QUESTION = FLAGSHIP_QUESTION


def _json_default(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (pd.Timestamp,)):
        return v.isoformat()
    if isinstance(v, Path):
        return str(v)
    return str(v)


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json(path: Path, obj: Any) -> None:
    """Write JSON deterministically (NaN written as null)."""
    text = json.dumps(
        _clean(obj), indent=2, ensure_ascii=False, default=_json_default, allow_nan=False
    )
    path.write_text(text + "\n", encoding="utf-8")


def _dates_to_text(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


def _safe_cell(v: Any) -> Any:
    return spreadsheet_safe(v) if isinstance(v, str) else v


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as a CSV file of the output directory (every CSV goes through here).

    Dates become ``YYYY-MM-DD``; every text cell and column name that a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR
    at the start, and not a number) gets a leading apostrophe, as does a
    text that already starts with one (see :mod:`eventstudy._text`; the
    escape is undone exactly by :func:`eventstudy._text.spreadsheet_unescape`).
    """
    out = _dates_to_text(df)
    for c in out.columns:
        col = out[c]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            out[c] = col.map(_safe_cell, na_action="ignore")
    out.columns = [_safe_cell(str(c)) for c in out.columns]
    out.to_csv(path, index=False)


def versions() -> dict[str, str]:
    """Versions of Python, eventstudy and its dependencies."""
    out = {"python": platform.python_version()}
    for name in ("ashare-eventstudy", *DEPENDENCIES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_outputs(
    res: EventStudyResults,
    out: Path | str,
    *,
    panel: Panel | None,
    calendar: pd.DataFrame,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, Path] | None = None,
    extra: Mapping[str, pd.DataFrame] | None = None,
    title: str | None = None,
    question: str | None = None,
    figures: bool = True,
    html: bool = True,
    latex: bool = False,
) -> Path:
    """Write summary.json, CSVs, report, figures, data snapshot and manifest.

    The study is written into a staging directory and moved into ``out``
    only when complete (see :mod:`eventstudy.report.outdir`): if anything
    fails, ``out`` is left exactly as it was.  Of an earlier study in
    ``out``, only the files its manifest lists and that are unchanged are
    replaced or removed; other files are never touched.

    Parameters
    ----------
    res : EventStudyResults
    out : path
        Output directory (created).  It must not exist, be empty, or hold an
        earlier eventstudy output directory.
    panel : Panel, optional
        The data used; written to ``data/`` as parquet for ``reproduce``.
    calendar : DataFrame
        The calendar as read, written to ``data/calendar.csv``.
    parameters : mapping
        Everything needed to rerun (recorded in the manifest).
    inputs : mapping of name -> path
        Input files whose SHA-256 goes into the manifest.
    extra : mapping of file name -> DataFrame
        More CSV files to write (for example the simulator's truth); listed
        under ``extra`` in the manifest (``reproduce`` checks their SHA-256
        but does not recompute them).
    title : str, optional
        The report's title (default ``"Event study report"``).
    question : str, optional
        The study's question, printed under the title (none by default; the
        command line gives the bundled compute-leasing calendar its own).
        Title and question are recorded in the manifest, so ``reproduce``
        rebuilds the same report.
    figures : bool
        Draw the figures (``figures/*.png`` and ``*.pdf``), each once.  The
        report lists them either way; ``reproduce`` compares numbers and
        texts, not pictures, and passes False.
    html : bool
        Write ``report.html`` (the figures embedded; needs ``figures=True``).
    latex : bool
        Also write ``summary.tex``: the summary tables as booktabs LaTeX
        (:meth:`Summary.as_latex`).

    Raises
    ------
    OutputError
        When ``out`` may not be written (a file, a link, a foreign non-empty
        directory, a name taken by a file the earlier run did not write) or
        writing fails (disk full, permissions); ``out`` is unchanged then.

    Notes
    -----
    The results are read once, into a snapshot (``results.snapshot()``) and
    the dict of ``summary.json``; every file is rendered from those.
    """
    out = Path(out)
    if html and not figures:
        raise OutputError("report.html embeds the figures: give figures=True or html=False")
    for name, v in (("title", title), ("question", question)):
        if v is not None and (not isinstance(v, str) or not v.strip()):
            raise OutputError(f"{name} must be a non-empty text, got {v!r}")
        if v is not None:
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                raise OutputError(
                    f"{name} holds characters that cannot be written as UTF-8 (undecodable "
                    f"bytes?): {v!r}"
                ) from None
    # one line each: a line break would end the heading or the paragraph in report.md
    # and start Markdown blocks of its own (a heading, a table)
    title = None if title is None else " ".join(title.split())
    question = None if question is None else " ".join(question.split())
    previous = prepare_out(out)
    extra = dict(extra or {})
    for name in extra:
        if "/" in name or "\\" in name or name in _RESERVED or not name.endswith(".csv"):
            raise OutputError(f"extra output {name!r}: give a plain new .csv file name")
    stage = new_stage(out)
    try:
        text = {"title": (title or DEFAULT_TITLE).strip(), "question": question}
        parts = {"figures": figures, "html": html, "latex": latex}
        _write_study(res, stage, panel, calendar, parameters, inputs, extra, text, parts)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OutputError(
                f"could not write the study for {out}: {exc.strerror or exc}; "
                f"{out} was left as it was"
            ) from exc
        raise
    commit_outputs(stage, out, previous)
    return out


_RESERVED = frozenset(
    {"summary.json", "events.csv", "car.csv", "abnormal_returns.csv", "leakage.csv", MANIFEST}
)


def _write_study(
    res: EventStudyResults,
    out: Path,
    panel: Panel | None,
    calendar: pd.DataFrame,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, Path] | None,
    extra: Mapping[str, pd.DataFrame],
    text: Mapping[str, str | None],
    parts: Mapping[str, bool],
) -> None:
    """Write every file of the study into the (new, empty) directory ``out``."""
    data: ReportData = res.snapshot()  # the results are read here, once
    payload = res.to_dict()
    (out / "data").mkdir(parents=True, exist_ok=True)
    simulated = data.simulated
    write_json(out / "summary.json", {"simulated": simulated, **payload})
    write_csv(data.events, out / "events.csv")
    write_csv(data.car, out / "car.csv")
    write_csv(data.ar, out / "abnormal_returns.csv")
    if len(data.leakage):
        write_csv(data.leakage, out / "leakage.csv")
    for name, df in {**data.files, **extra}.items():
        write_csv(df, out / name)
    if parts["latex"]:
        (out / "summary.tex").write_text(res.summary().as_latex(), encoding="utf-8")
    plan = figure_plan(data, None if panel is None else panel.prices)
    if parts["figures"]:
        draw_figures(plan, out / "figures")
    blocks = build_blocks(
        data,
        title=str(text["title"]),
        question=text["question"],
        figures=[(f.caption, f.path) for f in plan],
        simulated=simulated,
    )
    (out / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    if parts["html"]:
        (out / "report.html").write_text(render_html(blocks, out), encoding="utf-8")
    # data snapshot
    write_csv(calendar, out / "data" / "calendar.csv")
    if panel is not None:
        panel.returns.to_parquet(out / "data" / "returns.parquet", index=False)
        if panel.prices is not None:
            panel.prices.to_parquet(out / "data" / "prices.parquet", index=False)
    if data.factors is not None:  # the factor frame of a factor model, for reproduce
        data.factors.reset_index().to_parquet(out / "data" / "factors.parquet", index=False)
    manifest = {
        "package": "ashare-eventstudy",
        "versions": versions(),
        "command": sys.argv[1:] if sys.argv and sys.argv[0].endswith("eventstudy") else None,
        "parameters": dict(parameters),
        "data_source": res.data_source,
        "inputs": {
            k: {"path": str(p), "sha256": sha256_file(Path(p))} for k, p in (inputs or {}).items()
        },
        "title": text["title"],
        "question": text["question"],
        "report_format": REPORT_FORMAT,
        "outputs": dict(parts),
        "source_notes": [] if panel is None else [str(n) for n in panel.notes],
        "files": {},
        "extra": sorted(extra),
    }
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest["files"] = {p.relative_to(out).as_posix(): sha256_file(p) for p in files}
    # the manifest as it will read back, then its own checksum over that
    plain = json.loads(
        json.dumps(_clean(manifest), ensure_ascii=False, default=_json_default, allow_nan=False)
    )
    plain[MANIFEST_DIGEST] = manifest_digest(plain)
    write_json(out / MANIFEST, plain)
