"""Compare the numbers of two output directories: the regression report.

Every number of ``summary.json`` (counts, AAR and CAAR with every test's
statistic and p-value, the limit window, the leakage summary, the
calendar-time regressions), every per-event value of ``events.csv`` and every
CAR of ``car.csv`` is read from both directories under a stable key and
compared.  A number *moved* when ``|new - base| > atol + rtol * |base|`` (a
value that appears or disappears also counts); a text or flag moved when it
differs.  Events gained or lost, and events whose status changed, are listed
first with their reasons; then changed flags (``leak_flag``, limit notes,
overlapping events); then numbers, largest change first; then other texts
(such as the wording of the leakage rules, which quotes numbers).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy.exceptions import EventStudyError

__all__ = ["Change", "Comparison", "compare_dirs", "load_numbers"]

#: files read from an output directory
FILES = ("summary.json", "events.csv", "car.csv")
_SKIP_EVENT_COLS = {"event_id"}
SECTIONS = (
    "Events gained, lost or changed",
    "Flags",
    "CAAR, AAR and test statistics",
    "Per-event values and CARs",
    "Texts",
)
#: per-event columns reported as flags (before the numbers); other texts come last
FLAG_KEYS = {"leak_flag", "limit_note", "other_event_pre", "other_event_in_estimation"}


@dataclass(frozen=True)
class Change:
    """One value that moved: where, what, base and new value, and the size of the change."""

    kind: str  # "event", "flag", "number", "text"
    where: str
    key: str
    base: Any
    new: Any
    change: float  # |new - base| for numbers, inf for texts and events

    def row(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and math.isnan(v) else v

        return {
            "kind": self.kind,
            "where": self.where,
            "key": self.key,
            "base": clean(self.base),
            "new": clean(self.new),
            "change": None if math.isinf(self.change) else self.change,
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

    @property
    def same(self) -> bool:
        return not self.changes

    def verdict(self) -> str:
        """The one-line verdict at the top of the report."""
        tol = f"rtol={self.rtol:g}, atol={self.atol:g}"
        if self.same:
            return f"SAME: no number moved beyond tolerance ({self.compared:,} values, {tol})."
        kinds = pd.Series([c.kind for c in self.changes]).value_counts()
        parts = []
        if kinds.get("event"):
            parts.append(f"{kinds['event']} event change(s)")
        if kinds.get("flag"):
            parts.append(f"{kinds['flag']} flag change(s)")
        if kinds.get("number"):
            parts.append(f"{kinds['number']} number(s) moved")
        if kinds.get("text"):
            parts.append(f"{kinds['text']} text change(s)")
        return (
            f"REGRESSION: {', '.join(parts)} beyond tolerance "
            f"({self.compared:,} values compared, {tol})."
        )

    def sections(self) -> list[tuple[str, list[Change]]]:
        """The changes grouped for reading: events, flags, aggregate numbers, per-event
        numbers, texts (each group keeps the sort order: largest change first)."""
        groups: dict[str, list[Change]] = {name: [] for name in SECTIONS}
        for c in self.changes:
            if c.kind == "event":
                groups["Events gained, lost or changed"].append(c)
            elif c.kind == "flag":
                groups["Flags"].append(c)
            elif c.kind == "number" and c.where == "summary.json":
                groups["CAAR, AAR and test statistics"].append(c)
            elif c.kind == "number":
                groups["Per-event values and CARs"].append(c)
            else:
                groups["Texts"].append(c)
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
                ch = "" if math.isinf(c.change) else f"{c.change:.3g}"
                lines.append(
                    f"| {c.where} | {_md(c.key)} | {_md(_fmt(c.base))} | {_md(_fmt(c.new))} | {ch} |"
                )
            if limit is not None and len(changes) > limit:
                lines += ["", f"({len(changes) - limit} more in the JSON report.)"]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
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


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.10g}"
    return str(v)


def _num(v: Any) -> float | None:
    """A float for numbers (NaN for missing), None for anything else."""
    if v is None:
        return math.nan
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _flatten(prefix: str, obj: Any, out: dict[str, Any]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        for i, x in enumerate(obj):
            tag = (
                f"window={x['window']}"
                if "window" in x
                else f"tau={x['tau']}"
                if "tau" in x
                else f"start={x['start']},end={x['end']}"
                if "start" in x and "end" in x
                else f"event={x['event_id']}"
                if "event_id" in x
                else str(i)
            )
            _flatten(f"{prefix}[{tag}]", {k: v for k, v in x.items()}, out)
    else:
        out[prefix] = obj


def load_numbers(folder: str | Path) -> dict[tuple[str, str], Any]:
    """Every comparable value of an output directory, keyed by (file, key)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EventStudyError(f"{folder} is not a directory")
    for name in FILES:
        if not (folder / name).is_file():
            raise EventStudyError(f"{folder} has no {name}: not an eventstudy output directory")
    out: dict[tuple[str, str], Any] = {}
    summ = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    flat: dict[str, Any] = {}
    for section in ("events", "aar", "caar", "limit_window", "leakage", "calendar_time"):
        if section in summ:
            _flatten(section, summ[section], flat)
    flat["simulated"] = summ.get("simulated")
    for k, v in flat.items():
        out[("summary.json", k)] = v
    ev = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    if "event_id" not in ev.columns:
        raise EventStudyError(f"{folder / 'events.csv'} has no event_id column")
    for row in ev.to_dict(orient="records"):
        eid = row["event_id"]
        for col, v in row.items():
            if col not in _SKIP_EVENT_COLS:
                out[("events.csv", f"{eid}.{col}")] = _parse(v)
    car = pd.read_csv(folder / "car.csv", dtype=str, keep_default_na=False)
    wcol = "window" if "window" in car.columns else None
    for row in car.to_dict(orient="records"):
        w = row[wcol] if wcol else f"[{row['start']},{row['end']}]"
        for col in ("car", "scar", "end"):
            if col in row:
                out[("car.csv", f"{row['event_id']}.{w}.{col}")] = _parse(row[col])
    return out


def _parse(text: str) -> Any:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def compare_dirs(
    new: str | Path, base: str | Path, *, rtol: float = 1e-9, atol: float = 1e-12
) -> Comparison:
    """Compare the numbers of output directory ``new`` with those of ``base``."""
    if rtol < 0 or atol < 0:
        raise EventStudyError(f"tolerances must be non-negative, got rtol={rtol}, atol={atol}")
    a = load_numbers(new)
    b = load_numbers(base)
    changes: list[Change] = []
    ev_new = _events(a)
    ev_base = _events(b)
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
        elif sn != sb:
            changes.append(
                Change("event", "events.csv", f"{eid} status", _status(sb), _status(sn), math.inf)
            )
    compared = 0
    for key in sorted(set(a) | set(b)):
        file, k = key
        if file == "events.csv" and (k.endswith(".status") or k.endswith(".reason")):
            continue  # reported above as event changes
        va, vb = a.get(key), b.get(key)
        na, nb = _num(va), _num(vb)
        compared += 1
        if na is not None and nb is not None:
            if math.isnan(na) and math.isnan(nb):
                continue
            if math.isnan(na) or math.isnan(nb):
                changes.append(Change("number", file, k, vb, va, math.inf))
                continue
            d = abs(na - nb)
            if d > atol + rtol * abs(nb):
                changes.append(Change("number", file, k, vb, va, d))
        elif va != vb:
            kind = "flag" if k.rpartition(".")[2] in FLAG_KEYS else "text"
            changes.append(Change(kind, file, k, vb, va, math.inf))
    order = {"event": 0, "flag": 1, "number": 2, "text": 3}
    changes.sort(
        key=lambda c: (
            order[c.kind],
            -c.change if not math.isinf(c.change) else -1e300,
            c.where,
            c.key,
        )
    )
    return Comparison(str(new), str(base), rtol, atol, compared, changes)


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


def _status(s: tuple[Any, Any] | None) -> str | None:
    if s is None:
        return None
    status, reason = s
    return f"{status}" + (f" ({reason})" if reason else "")
