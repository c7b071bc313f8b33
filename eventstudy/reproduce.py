"""Recompute a finished run from its data snapshot and check everything it says.

``reproduce(DIR)`` first checks ``manifest.json`` itself (its
``manifest_sha256`` over its own content, so edited versions, parameters or
a removed file entry are caught) and the SHA-256 of every file it lists,
each of which must be a regular file inside ``DIR`` (no symbolic links, no
``..``, no absolute paths); a changed or missing file is reported by name
and nothing is recomputed.  It then rebuilds the study from ``data/`` (the
exact calendar, return and price panels used, parquet read as plain columns
only) and the configuration recorded in ``summary.json``, writes it to a
temporary directory and compares every file with ``DIR`` through
:func:`eventstudy.report.compare.compare_dirs`.  Files that the run wrote
but the study does not compute (the simulator's ``truth.csv``, listed under
``extra`` in the manifest) are checked by their SHA-256 only.  Offline:
nothing is downloaded.

Only what is compared is rendered: the numbers (``summary.json``, the CSV
files), ``report.md`` with the title and question recorded in the manifest,
and ``summary.tex`` when the run wrote it; the figures and ``report.html``
(not compared) are not drawn.  A ``report.md`` written by an earlier layout
of the report (the manifest's ``report_format``) is not compared: its
numbers are those of ``summary.json`` and the CSV files, which are.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy._hashing import sha256_file
from eventstudy._parquet import read_plain_parquet
from eventstudy._progress import Bar, progress, showing_progress
from eventstudy._text import spreadsheet_unescape
from eventstudy.exceptions import OutputError
from eventstudy.report.compare import Comparison, check_tolerances, compare_dirs
from eventstudy.report.outdir import (
    MANIFEST,
    MANIFEST_DIGEST,
    listed_path,
    manifest_digest,
    read_manifest,
)

__all__ = ["Reproduction", "reproduce", "verify_snapshot"]


@dataclass(frozen=True)
class Reproduction:
    """Outcome of :func:`reproduce`: file problems, or the comparison of the numbers.

    ``extra`` lists the files checked by SHA-256 only (not recomputed),
    ``unlisted`` the files in the directory that its manifest does not list
    (not part of the study, not checked).
    """

    folder: str
    problems: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    extra: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    older_layout: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.comparison is not None and self.comparison.same

    def report(self) -> str:
        if self.problems:
            head = f"NOT REPRODUCED: {len(self.problems)} file(s) differ from the manifest."
            return "\n".join([head, *[f"- {p}" for p in self.problems]]) + "\n"
        assert self.comparison is not None
        text = self.comparison.to_markdown()
        notes = []
        if self.extra:
            notes.append(
                f"- checked by SHA-256, not recomputed (written beside the study): "
                f"{', '.join(self.extra)}"
            )
        if self.older_layout:
            notes.append(
                f"- written by an earlier report layout, not compared (their numbers are in "
                f"summary.json and the CSV files): {', '.join(self.older_layout)}"
            )
        if self.unlisted:
            shown = ", ".join(self.unlisted[:10]) + (" ..." if len(self.unlisted) > 10 else "")
            notes.append(
                f"- not part of the study (not in {MANIFEST}), not checked: "
                f"{len(self.unlisted)} file(s): {shown}"
            )
        return text + ("\n" + "\n".join(notes) + "\n" if notes else "")


def verify_snapshot(folder: str | Path) -> list[str]:
    """Problems with ``manifest.json`` and the files it lists (empty when all match).

    Raises
    ------
    OutputError
        When ``folder`` has no readable manifest, the manifest names a file
        outside ``folder``, or it was written by an older eventstudy without
        ``manifest_sha256``.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = []
    digest = manifest.get(MANIFEST_DIGEST)
    if digest is None:
        raise OutputError(
            f"{folder / MANIFEST} has no {MANIFEST_DIGEST}: it was written by an older "
            "eventstudy (or edited), so its versions, parameters and file list cannot be "
            "checked; run the study again with this version to reproduce it"
        )
    if not isinstance(digest, str) or digest != manifest_digest(manifest):
        problems.append(
            f"{MANIFEST}: changed ({MANIFEST_DIGEST} does not match its content: versions, "
            "parameters or the list of files were edited)"
        )
    for name, expected in sorted(manifest["files"].items()):
        path, why = listed_path(folder, name)
        if path is None:
            problems.append(f"{name}: {why}")
        elif sha256_file(path) != expected:
            problems.append(f"{name}: changed (SHA-256 differs from the manifest)")
    return problems


def _unlisted(folder: Path, listed: dict[str, str]) -> list[str]:
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_symlink() or p.is_file():
            rel = p.relative_to(folder).as_posix()
            if rel != MANIFEST and rel not in listed:
                out.append(rel)
    return out


# ------------------------------------------------------------ the configuration

_NO = object()


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(_int(x) for x in v)


def _study_kwargs(config: Any, where: str) -> dict[str, Any]:
    """The :class:`~eventstudy.EventStudy` arguments recorded in ``summary.json``'s config."""
    if not isinstance(config, dict):
        raise OutputError(f"{where}: 'config' is missing or not an object")

    def get(key: str, ok: Callable[[Any], bool], what: str, default: Any = _NO) -> Any:
        if key not in config:
            if default is _NO:
                raise OutputError(f"{where}: config.{key} is missing (an older or edited file)")
            return default
        v = config[key]
        if not ok(v):
            raise OutputError(f"{where}: config.{key} must be {what}, got {v!r}")
        return v

    tests = get("tests", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                "a list of test names")  # fmt: skip
    leak = get("leakage", lambda v: v is None or isinstance(v, dict), "an object or null", None)
    leak = leak or {}
    st = get(
        "st",
        lambda v: v is None or (isinstance(v, list) and all(isinstance(x, dict) for x in v)),
        "a list of objects or null",
        None,
    )

    def lk(key: str, ok: Callable[[Any], bool], what: str, default: Any) -> Any:
        v = leak.get(key, default)
        if not ok(v):
            raise OutputError(f"{where}: config.leakage.{key} must be {what}, got {v!r}")
        return v

    number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
    return {
        "market": get("market", lambda v: isinstance(v, str), "a ticker"),
        "model": get("model", lambda v: isinstance(v, str), "a model name"),
        "model_options": get(
            "model_options", lambda v: v is None or isinstance(v, dict), "an object", None
        )
        or None,
        "estimation_window": tuple(get("estimation_window", _pair, "[start, end]")),
        "event_window": tuple(get("event_window", _pair, "[start, end]")),
        "car_windows": [
            tuple(w)
            for w in get(
                "car_windows",
                lambda v: isinstance(v, list) and bool(v) and all(_pair(w) for w in v),
                "a list of [start, end]",
            )
        ],
        "min_estimation_days": get("min_estimation_days", _int, "an integer"),
        "tests": [t for t in tests if t != "calendar_time"],
        "test_options": get(
            "test_options",
            lambda v: (
                v is None or (isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()))
            ),
            "an object of objects",
            None,
        )
        or None,
        "car_missing": get("car_missing", lambda v: isinstance(v, str), "a string", "present"),
        "calendar_time": "calendar_time" in tests,
        "hac_lags": get("hac_lags", lambda v: v is None or _int(v), "an integer or null", None),
        "exclude_limit_days": get(
            "exclude_limit_days", lambda v: isinstance(v, bool), "true or false", False
        ),
        "st": pd.DataFrame(st) if st else None,
        "leakage": lk("run", lambda v: isinstance(v, bool), "true or false", True),
        "leak_alpha": float(lk("alpha", number, "a number", 0.05)),
        "placebo_per_firm": lk("placebo_per_firm", _int, "an integer", 100),
        "max_placebo": lk("max_placebo", _int, "an integer", 20_000),
        "seed": lk("seed", _int, "an integer", 0),
        # recorded when not the default (directories written before: the defaults)
        "returns_unit": get(
            "returns_unit",
            lambda v: v in ("decimal", "percent"),
            "'decimal' or 'percent'",
            "decimal",
        ),
        "max_loss": get("max_loss", lambda v: v is None or number(v), "a number or null", None),
    }


def _read_summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"{path} is not readable JSON ({exc})") from exc
    if not isinstance(summary, dict):
        raise OutputError(f"{path} holds a {type(summary).__name__}, not a JSON object")
    return summary


def _read_calendar(path: Path) -> pd.DataFrame:
    try:
        cal = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"{path} is not a readable CSV file ({exc})") from exc
    # undo the spreadsheet escape of write_csv: the calendar exactly as the run read it
    cal.columns = [spreadsheet_unescape(str(c)) for c in cal.columns]
    return cal.map(spreadsheet_unescape)


def reproduce(folder: str | Path, *, rtol: float = 1e-10, atol: float = 1e-12) -> Reproduction:
    """Verify the snapshot of ``folder``, recompute it offline and compare everything.

    Raises
    ------
    OutputError
        When ``folder`` is not a (current) output directory, has no data
        snapshot, or its ``summary.json`` or snapshot files are malformed.
    EventStudyError
        For invalid tolerances or a configuration the study refuses.
    """
    rtol, atol = check_tolerances(rtol, atol)
    folder = Path(folder)
    with progress("reproduce", total=3, unit="step") as bar:  # shown by the CLI only
        bar.set_postfix_str("checking the manifest")
        problems = verify_snapshot(folder)
        if problems:
            return Reproduction(str(folder), problems)
        bar.update()
        return _reproduce(folder, rtol, atol, bar)


def _reproduce(folder: Path, rtol: float, atol: float, bar: Bar) -> Reproduction:
    """:func:`reproduce` after the snapshot was verified."""
    from eventstudy.data.base import Panel
    from eventstudy.questions_io import reproduce_kwargs
    from eventstudy.report.files import REPORT_FORMAT, write_outputs
    from eventstudy.study import EventStudy

    manifest = read_manifest(folder)
    files: dict[str, str] = manifest["files"]
    for need in ("summary.json", "data/calendar.csv", "data/returns.parquet"):
        if need not in files:
            raise OutputError(
                f"{folder / MANIFEST} lists no {need}: the run kept no complete data snapshot"
            )
    summary = _read_summary(folder)
    kwargs = _study_kwargs(summary.get("config"), str(folder / "summary.json"))
    src = manifest.get("data_source") or {}
    params = manifest.get("parameters") or {}
    if not isinstance(src, dict) or not isinstance(src.get("provenance") or {}, dict):
        raise OutputError(f"{folder / MANIFEST}: 'data_source' is not an object")
    if not isinstance(params, dict):
        raise OutputError(f"{folder / MANIFEST}: 'parameters' is not an object")
    title = manifest.get("title", "Event study report")
    question = manifest.get("question")
    notes = manifest.get("source_notes", [])
    if not isinstance(title, str):
        raise OutputError(f"{folder / MANIFEST}: 'title' is not a string")
    if question is not None and not isinstance(question, str):
        raise OutputError(f"{folder / MANIFEST}: 'question' is not a string or null")
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise OutputError(f"{folder / MANIFEST}: 'source_notes' is not a list of strings")
    data = folder / "data"
    cal = _read_calendar(data / "calendar.csv")
    returns = read_plain_parquet(data / "returns.parquet", str(data / "returns.parquet"))
    prices = None
    if "data/prices.parquet" in files:
        prices = read_plain_parquet(data / "prices.parquet", str(data / "prices.parquet"))
    panel = Panel(
        returns=returns,
        prices=prices,
        source=str(src.get("source", "snapshot")),
        provenance=dict(src.get("provenance") or {}),
        notes=list(notes),
    )
    if "data/factors.parquet" in files:  # factor models: the exact factor frame used
        from eventstudy.data.factors import restore_factors

        kwargs["factors"] = restore_factors(
            read_plain_parquet(data / "factors.parquet", str(data / "factors.parquet")),
            summary["config"].get("factors"),
        )
    kwargs.update(reproduce_kwargs(summary["config"], data))  # groups, BHAR, cross-sections
    bar.set_postfix_str("recomputing the study")
    with warnings.catch_warnings(), showing_progress(None):  # one bar: this one
        warnings.simplefilter("ignore")  # the original run already showed its warnings
        res = EventStudy(cal, panel, **kwargs).fit()
    bar.update()
    bar.set_postfix_str("writing and comparing")
    extra = list(manifest.get("extra", []))
    older = []
    if manifest.get("report_format") != REPORT_FORMAT and "report.md" in files:
        older.append("report.md")  # an earlier layout: its numbers are compared elsewhere
    with tempfile.TemporaryDirectory(prefix="eventstudy-reproduce-") as tmp:
        out = Path(tmp) / "out"
        write_outputs(
            res,
            out,
            panel=panel,
            calendar=cal,
            parameters=params,
            title=title,
            question=question,
            figures=False,
            html=False,
            latex="summary.tex" in files,
        )
        cmp = compare_dirs(
            out, folder, rtol=rtol, atol=atol, skip=extra + older, provenance_counts=True
        )
    return Reproduction(
        str(folder),
        [],
        replace(cmp, new=f"{folder} (recomputed)"),
        extra=extra,
        unlisted=_unlisted(folder, files),
        older_layout=older,
    )
