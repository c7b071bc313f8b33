"""Write a study's output directory (DESIGN 2.3)."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy._hashing import sha256_file
from eventstudy.report.render import build_blocks, render_html, render_markdown
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.data.base import Panel
    from eventstudy.results import EventStudyResults

__all__ = ["sha256_file", "write_outputs"]

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


def save_figure(fig: Any, base: Path) -> dict[str, Path]:
    """Save ``fig`` as ``base.png`` (150 dpi) and vector ``base.pdf``, without timestamps."""
    fig.savefig(base.with_suffix(".png"), dpi=150, metadata={"Software": None})
    fig.savefig(
        base.with_suffix(".pdf"), metadata={"Creator": None, "Producer": None, "CreationDate": None}
    )
    return {"png": base.with_suffix(".png"), "pdf": base.with_suffix(".pdf")}


def _clear_previous(out: Path) -> None:
    """Remove the files of an earlier run in ``out`` (those its manifest lists).

    A non-empty directory that is not an earlier output directory is refused,
    so that no stale file is mixed into (and hashed with) the new outputs.
    """
    from eventstudy.exceptions import EventStudyError

    if not out.exists():
        return
    if not out.is_dir():
        raise EventStudyError(f"output path {out} exists and is not a directory")
    manifest = out / "manifest.json"
    if not manifest.is_file():
        if any(out.iterdir()):
            raise EventStudyError(
                f"output directory {out} is not empty and holds no "
                "eventstudy manifest.json; choose a new directory"
            )
        return
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError) as exc:
        raise EventStudyError(f"cannot read {manifest}: {exc}") from exc
    for rel in listed:
        p = (out / rel).resolve()
        if out.resolve() in p.parents and p.is_file():
            p.unlink()
    manifest.unlink()


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

    Parameters
    ----------
    res : EventStudyResults
    out : path
        Output directory (created).
    panel : Panel, optional
        The data used; written to ``data/`` as parquet for ``reproduce``.
    calendar : DataFrame
        The calendar as read, written to ``data/calendar.csv``.
    parameters : mapping
        Everything needed to rerun (recorded in the manifest).
    inputs : mapping of name -> path
        Input files whose SHA-256 goes into the manifest.
    extra : mapping of file name -> DataFrame
        More CSV files to write (for example the simulator's truth).
    """
    from matplotlib.figure import Figure

    from eventstudy.questions import question_files
    from eventstudy.report.plots import plot_caar, plot_car_distribution
    from eventstudy.report.questions import question_figures

    out = Path(out)
    _clear_previous(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    simulated = res.data_source.get("source") == "simulated"
    write_json(out / "summary.json", {"simulated": simulated, **res.to_dict()})
    _dates_to_text(res.events).to_csv(out / "events.csv", index=False)
    res.car.to_csv(out / "car.csv", index=False)
    _dates_to_text(res.ar).to_csv(out / "abnormal_returns.csv", index=False)
    leak = res.leakage
    if len(leak):
        _dates_to_text(leak).to_csv(out / "leakage.csv", index=False)
    for name, df in {**question_files(res), **(extra or {})}.items():
        _dates_to_text(df).to_csv(out / name, index=False)
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
    _dates_to_text(calendar).to_csv(out / "data" / "calendar.csv", index=False)
    if panel is not None:
        panel.returns.to_parquet(out / "data" / "returns.parquet", index=False)
        if panel.prices is not None:
            panel.prices.to_parquet(out / "data" / "prices.parquet", index=False)
    manifest = {
        "package": "ashare-eventstudy",
        "versions": versions(),
        "command": sys.argv[1:] if sys.argv and sys.argv[0].endswith("eventstudy") else None,
        "parameters": dict(parameters),
        "data_source": res.data_source,
        "inputs": {
            k: {"path": str(p), "sha256": sha256_file(Path(p))} for k, p in (inputs or {}).items()
        },
        "files": {},
    }
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest["files"] = {str(p.relative_to(out)): sha256_file(p) for p in files}
    write_json(out / "manifest.json", manifest)
    return out
