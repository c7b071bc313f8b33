"""Compare everything two output directories say: the regression report.

Every JSON, CSV and Markdown file that a study wrote (the files its
``manifest.json`` lists, outside ``data/``; ``report.html`` holds the text
of ``report.md`` and the figures and is not compared) is read from both
directories and every value compared under a stable key:

* JSON (``summary.json``, ...): every leaf, keyed by its path, with list
  entries keyed by their ``window``, ``tau``, ``start,end`` or ``event_id``
  (``caar[window=[0, 1]].tests.bmp.stat``);
* CSV (``events.csv``, ``car.csv``, ``abnormal_returns.csv``,
  ``leakage.csv``, and any other): every cell, keyed by the row's key
  columns (``event_id``, ``window``, ``tau``, ``group``, ...; the row number
  when there are none) and the column (``E012.car_limit``,
  ``E012.window=[-5,-1].var_car``, ``E012.tau=-3.ar``); a key that repeats
  gets ``#2``, ``#3``, so a duplicated row is reported, never merged;
* Markdown and LaTeX (``report.md``, ``summary.tex``): line by line.

A number *moved* when ``|new - base| > atol + rtol * |base|``; NaN equals
NaN (and an empty cell), but not a number; an infinity equals only the same
infinity.  A text moved when it differs anywhere but in its numbers, or when
a number in it moved by more than the tolerance plus one unit of its last
printed digit (rounding).  Files gained or lost come first, then events
gained, lost or changed, flags, numbers (largest change first) and texts.
Differences in the data source (``summary.json`` ``data_source``: paths,
download times) are listed apart and do not count unless asked
(``reproduce`` counts them).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from eventstudy.exceptions import EventStudyError, OutputError
from eventstudy.report.outdir import MANIFEST, listed_path, read_manifest

__all__ = ["Change", "Comparison", "check_tolerances", "compare_dirs", "load_numbers"]

#: suffixes of the files whose contents are compared
COMPARED_SUFFIXES = (".json", ".csv", ".md", ".tex")
#: suffixes of the text files compared line by line
TEXT_SUFFIXES = (".md", ".tex")
#: CSV columns that identify a row (in this order), when present
KEY_COLUMNS = ("event_id", "window", "tau", "group", "test", "level", "horizon", "scenario")
SECTIONS = (
    "Files gained or lost",
    "Events gained, lost or changed",
    "Flags",
    "CAAR, AAR and test statistics",
    "Per-event values and CARs",
    "Configuration",
    "Texts",
    "Data source (not counted)",
)
#: per-event columns reported as flags (before the numbers); other texts come last
FLAG_KEYS = {"leak_flag", "limit_note", "other_event_pre", "other_event_in_estimation"}
_ORDER = {"file": 0, "event": 1, "flag": 2, "number": 3, "text": 4, "provenance": 5}


def _jsonable(v: Any) -> Any:
    """A JSON value: non-finite floats as the strings ``"nan"``, ``"inf"``, ``"-inf"``."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


@dataclass(frozen=True)
class Change:
    """One value that moved: where, what, base and new value, and the size of the change."""

    kind: str  # "file", "event", "flag", "number", "text", "provenance"
    where: str
    key: str
    base: Any
    new: Any
    change: float  # |new - base| for finite numbers, inf otherwise

    def row(self) -> dict[str, Any]:
        """The change as a JSON-safe dict (non-finite numbers as strings, see the docs)."""
        return {
            "kind": self.kind,
            "where": self.where,
            "key": self.key,
            "base": _jsonable(self.base),
            "new": _jsonable(self.new),
            "change": self.change if math.isfinite(self.change) else None,
        }


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_dirs`."""

    new: str
    base: str
    rtol: float
    atol: float
    compared: int
    changes: list[Change] = field(default_factory=list)
    provenance_counts: bool = False

    @property
    def counted(self) -> list[Change]:
        """The changes that make a regression (all but data-source notes, unless counted)."""
        return [c for c in self.changes if self.provenance_counts or c.kind != "provenance"]

    @property
    def same(self) -> bool:
        return not self.counted

    def verdict(self) -> str:
        """The one-line verdict at the top of the report."""
        tol = f"rtol={self.rtol:g}, atol={self.atol:g}"
        kinds = pd.Series([c.kind for c in self.changes], dtype=object).value_counts()
        aside = ""
        if kinds.get("provenance") and not self.provenance_counts:
            aside = f"; {kinds['provenance']} data-source difference(s) listed, not counted"
        if self.same:
            return (
                f"SAME: no number moved beyond tolerance ({self.compared:,} values, {tol}{aside})."
            )
        names = {
            "file": "file(s) gained or lost",
            "event": "event change(s)",
            "flag": "flag change(s)",
            "number": "number(s) moved",
            "text": "text change(s)",
        }
        if self.provenance_counts:
            names["provenance"] = "data-source change(s)"
        parts = [f"{kinds[k]} {names[k]}" for k in names if kinds.get(k)]
        return (
            f"REGRESSION: {', '.join(parts)} beyond tolerance "
            f"({self.compared:,} values compared, {tol}{aside})."
        )

    def sections(self) -> list[tuple[str, list[Change]]]:
        """The changes grouped for reading (each group keeps the order: largest first)."""
        groups: dict[str, list[Change]] = {name: [] for name in SECTIONS}
        for c in self.changes:
            if c.kind == "file":
                groups["Files gained or lost"].append(c)
            elif c.kind == "event":
                groups["Events gained, lost or changed"].append(c)
            elif c.kind == "flag":
                groups["Flags"].append(c)
            elif c.kind == "provenance":
                groups["Data source (not counted)"].append(c)
            elif c.where == "summary.json" and c.key.startswith("config."):
                groups["Configuration"].append(c)
            elif c.kind == "number" and c.where == "summary.json":
                groups["CAAR, AAR and test statistics"].append(c)
            elif c.kind == "number":
                groups["Per-event values and CARs"].append(c)
            else:
                groups["Texts"].append(c)
        if self.provenance_counts:
            groups["Data source"] = groups.pop("Data source (not counted)")
        return [(k, v) for k, v in groups.items() if v]

    def to_markdown(self, limit: int | None = 200) -> str:
        """Markdown report: the verdict, then one table per section (``limit`` rows each)."""
        lines = ["# Regression report", "", f"**{self.verdict()}**", ""]
        lines += [f"- new: `{self.new}`", f"- base: `{self.base}`"]
        for title, changes in self.sections():
            lines += ["", f"## {title} ({len(changes)})", ""]
            shown = changes if limit is None else changes[:limit]
            lines += ["| where | key | base | new | change |", "|---|---|---|---|---:|"]
            for c in shown:
                ch = f"{c.change:.3g}" if math.isfinite(c.change) else ""
                lines.append(
                    f"| {c.where} | {_md(c.key)} | {_md(_fmt(c.base))} | {_md(_fmt(c.new))} | {ch} |"
                )
            if limit is not None and len(changes) > limit:
                lines += ["", f"({len(changes) - limit} more in the JSON report.)"]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-safe dict (``json.dumps(..., allow_nan=False)`` works)."""
        return {
            "verdict": "same" if self.same else "regression",
            "summary": self.verdict(),
            "new": self.new,
            "base": self.base,
            "rtol": self.rtol,
            "atol": self.atol,
            "compared": self.compared,
            "changes": [c.row() for c in self.changes],
        }


def _md(text: str, width: int = 300) -> str:
    s = str(text).replace("|", "\\|").replace("\n", " ")
    return s if len(s) <= width else s[: width - 1] + "…"


def _fmt(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, float):
        return repr(v) if not math.isfinite(v) else f"{v:.10g}"
    return str(v)


def check_tolerances(rtol: Any, atol: Any) -> tuple[float, float]:
    """``(rtol, atol)`` as floats, or an error unless both are finite and >= 0."""
    out = []
    for name, v in (("rtol", rtol), ("atol", atol)):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not ok or not math.isfinite(float(v)) or float(v) < 0:
            raise EventStudyError(f"{name} must be a finite number >= 0, got {v!r}")
        out.append(float(v))
    return out[0], out[1]


# ---------------------------------------------------------------- reading


def _tag(x: dict[str, Any], i: int) -> str:
    if "window" in x:
        return f"window={x['window']}"
    if "tau" in x:
        return f"tau={x['tau']}"
    if "start" in x and "end" in x:
        return f"start={x['start']},end={x['end']}"
    if "event_id" in x:
        return f"event={x['event_id']}"
    return str(i)


def _flatten(prefix: str, obj: Any, out: dict[str, Any]) -> None:
    if isinstance(obj, dict):
        if not obj:
            out[prefix] = "{}"
        for k, v in obj.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, list):
        if not obj:
            out[prefix] = "[]"
        seen: dict[str, int] = {}
        for i, x in enumerate(obj):
            tag = _tag(x, i) if isinstance(x, dict) else str(i)
            seen[tag] = seen.get(tag, 0) + 1
            if seen[tag] > 1:
                tag = f"{tag}#{seen[tag]}"
            _flatten(f"{prefix}[{tag}]", x, out)
    else:
        out[prefix] = obj


def _parse(text: str) -> Any:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _load_json(path: Path, name: str) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"{path} is not readable JSON ({exc})") from exc
    if name == "summary.json" and not isinstance(obj, dict):
        raise OutputError(f"{path} holds a {type(obj).__name__}, not a JSON object")
    flat: dict[str, Any] = {}
    _flatten("", obj, flat)
    return flat


def _load_csv(path: Path) -> dict[str, Any]:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"{path} is not a readable CSV file ({exc})") from exc
    cols = [str(c) for c in df.columns]
    keys = [c for c in KEY_COLUMNS if c in cols]
    if "window" not in keys and "start" in cols and "end" in cols:
        keys += ["start", "end"]
    out: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        rec = dict(zip(cols, row, strict=True))
        parts = [rec[k] if k == "event_id" else f"{k}={rec[k]}" for k in keys]
        rk = ".".join(parts) if parts else f"row={i + 1}"
        seen[rk] = seen.get(rk, 0) + 1
        if seen[rk] > 1:
            rk = f"{rk}#{seen[rk]}"
        for col, v in rec.items():
            if col not in keys or col in ("start", "end"):
                out[f"{rk}.{col}"] = _parse(v)
    return out


def _load_md(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"{path} is not readable text ({exc})") from exc
    return {"": text}


def compared_files(manifest: dict[str, Any], skip: Iterable[str] = ()) -> list[str]:
    """The files of a manifest whose contents are compared."""
    skipped = set(skip)
    out = []
    for name in manifest["files"]:
        p = PurePosixPath(name)
        if p.suffix in COMPARED_SUFFIXES and p.parts[0] != "data" and name not in skipped:
            out.append(name)
    return sorted(out)


def _load_dir(
    folder: Path, skip: Iterable[str] = ()
) -> tuple[list[str], dict[tuple[str, str], Any]]:
    folder = Path(folder)
    manifest = read_manifest(folder)
    names = compared_files(manifest, skip)
    if "summary.json" not in names:
        raise OutputError(f"{folder}/{MANIFEST} lists no summary.json: not an eventstudy study")
    values: dict[tuple[str, str], Any] = {}
    for name in names:
        path, why = listed_path(folder, name)
        if path is None:
            raise OutputError(f"{folder}: {name}, listed in {MANIFEST}, is {why}")
        if name.endswith(".json"):
            flat = _load_json(path, name)
        elif name.endswith(".csv"):
            flat = _load_csv(path)
        else:
            flat = _load_md(path)
        for k, v in flat.items():
            values[(name, k)] = v
    return names, values


def load_numbers(folder: str | Path) -> dict[tuple[str, str], Any]:
    """Every compared value of an output directory, keyed by (file, key).

    Raises
    ------
    OutputError
        When ``folder`` is not an output directory or a file is unreadable.
    """
    return _load_dir(Path(folder))[1]


# ---------------------------------------------------------------- comparing

_NUM = re.compile(r"(?<![\w.\-])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def _num(v: Any) -> float | None:
    """A float for numbers (NaN for missing), None for anything else."""
    if v is None:
        return math.nan
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _same_number(a: float, b: float, rtol: float, atol: float, slack: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b) + slack


def _unit(token: str) -> float:
    """One unit of the last printed digit of a number token (0 for integers)."""
    mant, _, exp = token.lower().partition("e")
    if "." not in mant:
        return 0.0 if not exp else 10.0 ** int(exp)
    decimals = len(mant.partition(".")[2])
    return 10.0 ** (int(exp or 0) - decimals)


def _same_text(a: str, b: str, rtol: float, atol: float) -> bool:
    if a == b:
        return True
    if _NUM.sub("\x00", a) != _NUM.sub("\x00", b):
        return False
    for ta, tb in zip(_NUM.findall(a), _NUM.findall(b), strict=True):
        slack = max(_unit(ta), _unit(tb))
        if not _same_number(float(ta), float(tb), rtol, atol, slack):
            return False
    return True


def _compare_md(name: str, a: str, b: str, rtol: float, atol: float) -> tuple[int, list[Change]]:
    la, lb = a.splitlines(), b.splitlines()
    sm = difflib.SequenceMatcher(
        a=[_NUM.sub("\x00", x) for x in lb], b=[_NUM.sub("\x00", x) for x in la], autojunk=False
    )
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if not _same_text(la[j], lb[i], rtol, atol):
                    changes.append(Change("text", name, f"line {j + 1}", lb[i], la[j], math.inf))
        else:
            where = f"lines {j1 + 1}-{j2}" if j2 > j1 else f"after line {j1}"
            base = "\n".join(lb[i1:i2]) or None
            new = "\n".join(la[j1:j2]) or None
            changes.append(Change("text", name, where, base, new, math.inf))
    return max(len(la), len(lb)), changes


def compare_dirs(
    new: str | Path,
    base: str | Path,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    skip: Iterable[str] = (),
    provenance_counts: bool = False,
) -> Comparison:
    """Compare everything output directory ``new`` says with what ``base`` says.

    Parameters
    ----------
    new, base : path
        Output directories (each with its ``manifest.json``).
    rtol, atol : float
        Tolerances, finite and >= 0: a number moved when
        ``|new - base| > atol + rtol * |base|``.
    skip : iterable of str
        Files not compared (``reproduce`` skips the files it cannot recompute).
    provenance_counts : bool
        Count differences in ``summary.json``'s ``data_source`` as a
        regression (by default they are listed apart).

    Raises
    ------
    EventStudyError
        For invalid tolerances; :class:`~eventstudy.exceptions.OutputError`
        when a directory is not an output directory or a file is unreadable.
    """
    rtol, atol = check_tolerances(rtol, atol)
    skipped = list(skip)
    files_new, a = _load_dir(Path(new), skipped)
    files_base, b = _load_dir(Path(base), skipped)
    changes: list[Change] = []
    for f in sorted(set(files_new) ^ set(files_base)):
        gained = f in files_new
        changes.append(
            Change(
                "file",
                f,
                "gained" if gained else "lost",
                None if gained else "present",
                "present" if gained else None,
                math.inf,
            )
        )
    common = set(files_new) & set(files_base)
    ev_new, ev_base = (_events(a), _events(b)) if "events.csv" in common else ({}, {})
    for eid in sorted(set(ev_new) | set(ev_base)):
        sn, sb = ev_new.get(eid), ev_base.get(eid)
        if sb is None:
            changes.append(
                Change("event", "events.csv", f"{eid} gained", None, _status(sn), math.inf)
            )
        elif sn is None:
            changes.append(
                Change("event", "events.csv", f"{eid} lost", _status(sb), None, math.inf)
            )
        elif not _same_status(sn, sb, rtol, atol):
            changes.append(
                Change("event", "events.csv", f"{eid} status", _status(sb), _status(sn), math.inf)
            )
    compared = 0
    for key in sorted(set(a) | set(b)):
        file, k = key
        if file not in common:
            continue
        if file == "events.csv" and (k.endswith(".status") or k.endswith(".reason")):
            compared += 1
            continue  # reported above as event changes
        va, vb = a.get(key), b.get(key)
        if file.endswith(TEXT_SUFFIXES) and isinstance(va, str) and isinstance(vb, str):
            n, md = _compare_md(file, va, vb, rtol, atol)
            compared += n
            changes += md
            continue
        compared += 1
        prov = file == "summary.json" and k.startswith("data_source")
        na, nb = _num(va), _num(vb)
        if na is not None and nb is not None:
            if not _same_number(na, nb, rtol, atol):
                d = abs(na - nb) if math.isfinite(na) and math.isfinite(nb) else math.inf
                changes.append(Change("provenance" if prov else "number", file, k, vb, va, d))
        elif isinstance(va, str) and isinstance(vb, str):
            if not _same_text(va, vb, rtol, atol):
                changes.append(Change(_text_kind(k, prov), file, k, vb, va, math.inf))
        elif va != vb or type(va) is not type(vb):
            changes.append(Change(_text_kind(k, prov), file, k, vb, va, math.inf))
    changes.sort(
        key=lambda c: (
            _ORDER[c.kind],
            -c.change if math.isfinite(c.change) else -1e300,
            c.where,
            c.key,
        )
    )
    return Comparison(str(new), str(base), rtol, atol, compared, changes, provenance_counts)


def _text_kind(key: str, prov: bool) -> str:
    if prov:
        return "provenance"
    return "flag" if key.rpartition(".")[2] in FLAG_KEYS else "text"


def _events(vals: dict[tuple[str, str], Any]) -> dict[str, tuple[Any, Any]]:
    out: dict[str, list[Any]] = {}
    for (file, k), v in vals.items():
        if file != "events.csv":
            continue
        eid, _, col = k.rpartition(".")
        if col == "status":
            out.setdefault(eid, [None, None])[0] = v
        elif col == "reason":
            out.setdefault(eid, [None, None])[1] = v
    return {k: (v[0], v[1]) for k, v in out.items()}


def _same_status(a: tuple[Any, Any], b: tuple[Any, Any], rtol: float, atol: float) -> bool:
    if a[0] != b[0]:
        return False
    ra, rb = a[1], b[1]
    if isinstance(ra, str) and isinstance(rb, str):
        return _same_text(ra, rb, rtol, atol)
    na, nb = _num(ra), _num(rb)
    if na is not None and nb is not None:
        return _same_number(na, nb, rtol, atol)
    return bool(ra == rb)


def _status(s: tuple[Any, Any] | None) -> str | None:
    if s is None:
        return None
    status, reason = s
    return f"{status}" + (f" ({reason})" if reason else "")
