"""Recompute a finished run from its data snapshot and check every number.

``reproduce(DIR)`` first verifies the SHA-256 of every file the run's
``manifest.json`` lists (a changed or missing file is reported by name and
nothing is recomputed), then rebuilds the study from ``data/`` (the exact
calendar, return and price panels used) and the configuration recorded in
``summary.json``, writes it to a temporary directory and compares it with
``DIR`` through :func:`eventstudy.report.compare.compare_dirs`.  Offline:
nothing is downloaded.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy._hashing import sha256_file
from eventstudy.exceptions import EventStudyError
from eventstudy.report.compare import Comparison, compare_dirs

__all__ = ["Reproduction", "reproduce", "verify_snapshot"]


@dataclass(frozen=True)
class Reproduction:
    """Outcome of :func:`reproduce`: file problems, or the comparison of the numbers."""

    folder: str
    problems: list[str] = field(default_factory=list)
    comparison: Comparison | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.comparison is not None and self.comparison.same

    def report(self) -> str:
        if self.problems:
            head = f"NOT REPRODUCED: {len(self.problems)} file(s) differ from the manifest."
            return "\n".join([head, *[f"- {p}" for p in self.problems]]) + "\n"
        assert self.comparison is not None
        return self.comparison.to_markdown()


def verify_snapshot(folder: str | Path) -> list[str]:
    """Files listed in ``manifest.json`` that are missing or whose SHA-256 changed."""
    folder = Path(folder)
    mf = folder / "manifest.json"
    if not mf.is_file():
        raise EventStudyError(f"{folder} has no manifest.json: not an eventstudy output directory")
    manifest = json.loads(mf.read_text(encoding="utf-8"))
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise EventStudyError(f"{mf} lists no files")
    problems = []
    for name, digest in sorted(files.items()):
        p = folder / name
        if not p.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(p) != digest:
            problems.append(f"{name}: changed (SHA-256 differs from the manifest)")
    return problems


def _study_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    tests = [t for t in config.get("tests", []) if t != "calendar_time"]
    leak = config.get("leakage") or {}
    st = config.get("st")
    return {
        "market": config["market"],
        "model": config["model"],
        "estimation_window": tuple(config["estimation_window"]),
        "event_window": tuple(config["event_window"]),
        "car_windows": [tuple(w) for w in config["car_windows"]],
        "min_estimation_days": int(config["min_estimation_days"]),
        "tests": tests,
        "test_options": config.get("test_options") or None,
        "car_missing": config.get("car_missing", "present"),
        "calendar_time": "calendar_time" in config.get("tests", []),
        "hac_lags": config.get("hac_lags"),
        "exclude_limit_days": bool(config.get("exclude_limit_days", False)),
        "st": pd.DataFrame(st) if st else None,
        "leakage": bool(leak.get("run", True)),
        "leak_alpha": float(leak.get("alpha", 0.05)),
        "placebo_per_firm": int(leak.get("placebo_per_firm", 100)),
        "max_placebo": int(leak.get("max_placebo", 20_000)),
        "seed": int(leak.get("seed", 0)),
    }


def reproduce(folder: str | Path, *, rtol: float = 1e-10, atol: float = 1e-12) -> Reproduction:
    """Verify the snapshot of ``folder``, recompute it offline and compare every number."""
    from eventstudy.data.base import Panel
    from eventstudy.questions import reproduce_kwargs
    from eventstudy.report.files import write_outputs
    from eventstudy.study import EventStudy

    folder = Path(folder)
    problems = verify_snapshot(folder)
    if problems:
        return Reproduction(str(folder), problems)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    data = folder / "data"
    if not (data / "returns.parquet").is_file():
        raise EventStudyError(f"{data} has no returns.parquet: the run kept no data snapshot")
    cal = pd.read_csv(data / "calendar.csv", dtype=str, keep_default_na=False)
    returns = pd.read_parquet(data / "returns.parquet")
    prices = (
        pd.read_parquet(data / "prices.parquet") if (data / "prices.parquet").is_file() else None
    )
    src = manifest.get("data_source") or summary.get("data_source") or {}
    panel = Panel(
        returns=returns,
        prices=prices,
        source=str(src.get("source", "snapshot")),
        provenance=dict(src.get("provenance") or {}),
    )
    kwargs = _study_kwargs(summary["config"])
    kwargs.update(reproduce_kwargs(summary["config"], data))  # groups, BHAR, cross-sections
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the original run already showed its warnings
        res = EventStudy(cal, panel, **kwargs).fit()
    with tempfile.TemporaryDirectory(prefix="eventstudy-reproduce-") as tmp:
        out = Path(tmp) / "out"
        write_outputs(
            res,
            out,
            panel=panel,
            calendar=cal,
            parameters=dict(manifest.get("parameters") or {}),
        )
        cmp = compare_dirs(out, folder, rtol=rtol, atol=atol)
    return Reproduction(str(folder), [], replace(cmp, new=f"{folder} (recomputed)"))
