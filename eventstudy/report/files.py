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
from eventstudy.report.outdir import (
    MANIFEST,
    MANIFEST_DIGEST,
    commit_outputs,
    manifest_digest,
    new_stage,
    prepare_out,
)
from eventstudy.report.render import build_blocks, render_html, render_markdown
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.data.base import Panel
    from eventstudy.results import EventStudyResults

__all__ = ["sha256_file", "write_csv", "write_outputs"]

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

QUESTION = (
    "How did share prices react when A-share listed companies announced entry into "
    "compute leasing (算力租赁)? How large was the reaction, was it significant, and "
    "did prices move before the news?"
)


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


def save_figure(fig: Any, base: Path) -> dict[str, Path]:
    """Save ``fig`` as ``base.png`` (150 dpi) and vector ``base.pdf``, without timestamps."""
    fig.savefig(base.with_suffix(".png"), dpi=150, metadata={"Software": None})
    fig.savefig(
        base.with_suffix(".pdf"), metadata={"Creator": None, "Producer": None, "CreationDate": None}
    )
    return {"png": base.with_suffix(".png"), "pdf": base.with_suffix(".pdf")}


def versions() -> dict[str, str]:
    """Versions of Python, eventstudy and its dependencies."""
    out = {"python": platform.python_version()}
    for name in ("ashare-eventstudy", *DEPENDENCIES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _limit_figures(
    res: EventStudyResults, folder: Path, prices: pd.DataFrame | None
) -> list[tuple[str, str]]:
    """Save the price-limit and leakage figures that the results have data for.

    ``ar_heatmap`` needs limit flags (prices), ``runup`` the leakage
    diagnostics, ``leak_price_paths`` prices and at least one flagged event.
    Returns ``(caption, path)`` for the report.
    """
    from matplotlib.figure import Figure

    from eventstudy.report.plots import (
        flagged_events,
        plot_ar_heatmap,
        plot_price_paths,
        plot_runup,
    )

    figs: list[tuple[str, str]] = []
    ar = res.ar
    if "limit_up" in ar.columns and len(ar):
        n = ar["event_id"].nunique()
        fig = Figure(figsize=(8.0, float(np.clip(0.17 * n + 1.9, 3.5, 14.0))))
        plot_ar_heatmap(res, ax=fig.add_subplot(1, 1, 1))
        fig.tight_layout()
        save_figure(fig, folder / "ar_heatmap")
        figs.append(
            (
                "Abnormal return by event and event day, limit-up closes marked",
                "figures/ar_heatmap.png",
            )
        )
    if len(res.runup_path) and len(res.leakage):
        fig = Figure(figsize=(7.0, 4.2))
        plot_runup(res, ax=fig.add_subplot(1, 1, 1))
        fig.tight_layout()
        save_figure(fig, folder / "runup")
        figs.append(
            ("Mean CAR from day -20 of the events against the placebo band", "figures/runup.png")
        )
    flagged = flagged_events(res, None)
    if prices is not None and len(prices) and flagged:
        shown = flagged[:6]
        k = len(shown)
        ncols = min(3, k)
        nrows = -(-k // ncols)
        fig = Figure(figsize=(3.4 * ncols + 0.6, 2.6 * nrows + 0.9))
        plot_price_paths(res, prices, shown, fig=fig)
        save_figure(fig, folder / "leak_price_paths")
        more = "" if k == len(flagged) else f" ({k} of {len(flagged)}, smallest p-values)"
        figs.append(
            (
                f"Close price around day 0 of the leak-flagged events{more}",
                "figures/leak_price_paths.png",
            )
        )
    return figs


def write_outputs(
    res: EventStudyResults,
    out: Path | str,
    *,
    panel: Panel | None,
    calendar: pd.DataFrame,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, Path] | None = None,
    extra: Mapping[str, pd.DataFrame] | None = None,
    title: str = "Event study report",
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

    Raises
    ------
    OutputError
        When ``out`` may not be written (a file, a link, a foreign non-empty
        directory, a name taken by a file the earlier run did not write) or
        writing fails (disk full, permissions); ``out`` is unchanged then.
    """
    out = Path(out)
    previous = prepare_out(out)
    extra = dict(extra or {})
    for name in extra:
        if "/" in name or "\\" in name or name in _RESERVED or not name.endswith(".csv"):
            raise OutputError(f"extra output {name!r}: give a plain new .csv file name")
    stage = new_stage(out)
    try:
        _write_study(res, stage, panel, calendar, parameters, inputs, extra, title)
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
    title: str,
) -> None:
    """Write every file of the study into the (new, empty) directory ``out``."""
    from matplotlib.figure import Figure

    from eventstudy.questions import question_files
    from eventstudy.report.plots import plot_caar, plot_car_distribution
    from eventstudy.report.questions import question_figures

    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    simulated = res.data_source.get("source") == "simulated"
    write_json(out / "summary.json", {"simulated": simulated, **res.to_dict()})
    write_csv(res.events, out / "events.csv")
    write_csv(res.car, out / "car.csv")
    write_csv(res.ar, out / "abnormal_returns.csv")
    leak = res.leakage
    if len(leak):
        write_csv(leak, out / "leakage.csv")
    for name, df in {**question_files(res), **extra}.items():
        write_csv(df, out / name)
    # figures
    figs: list[tuple[str, str]] = []
    fig = Figure(figsize=(7.0, 4.2))
    plot_caar(res, ax=fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    save_figure(fig, out / "figures" / "caar")
    figs.append(("CAAR with 95% confidence band", "figures/caar.png"))
    windows = [tuple(w) for w in res.config["car_windows"]]
    main = (0, 1) if (0, 1) in windows else windows[0]
    fig = Figure(figsize=(7.0, 4.2))
    plot_car_distribution(res, (int(main[0]), int(main[1])), ax=fig.add_subplot(1, 1, 1))
    fig.tight_layout()
    save_figure(fig, out / "figures" / "car_distribution")
    a, b = int(main[0]), int(main[1])
    figs.append((f"Per-event CAR{window_label(a, b)} distribution", "figures/car_distribution.png"))
    figs += _limit_figures(res, out / "figures", None if panel is None else panel.prices)
    figs += question_figures(res, out / "figures")
    blocks = build_blocks(res, title=title, question=QUESTION, figures=figs, simulated=simulated)
    (out / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    (out / "report.html").write_text(render_html(blocks, out), encoding="utf-8")
    # data snapshot
    write_csv(calendar, out / "data" / "calendar.csv")
    if panel is not None:
        panel.returns.to_parquet(out / "data" / "returns.parquet", index=False)
        if panel.prices is not None:
            panel.prices.to_parquet(out / "data" / "prices.parquet", index=False)
    if res.factors is not None:  # the factor frame of a factor model, for reproduce
        res.factors.reset_index().to_parquet(out / "data" / "factors.parquet", index=False)
    manifest = {
        "package": "ashare-eventstudy",
        "versions": versions(),
        "command": sys.argv[1:] if sys.argv and sys.argv[0].endswith("eventstudy") else None,
        "parameters": dict(parameters),
        "data_source": res.data_source,
        "inputs": {
            k: {"path": str(p), "sha256": sha256_file(Path(p))} for k, p in (inputs or {}).items()
        },
        "title": title,
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
