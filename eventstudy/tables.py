"""Tidy test tables shared by the study, its groups and ``summary.json``.

:func:`tests_frame` turns the outcome of every test (one :class:`TestColumns`
per scope) into the tidy ``results.tests`` frame; :func:`tests_dict` turns a
slice of it into the ``{test: {stat, pvalue, df, n, ...}}`` blocks of
``summary.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

if TYPE_CHECKING:
    from eventstudy.windows import WindowSpec

__all__ = ["opt", "tests_dict", "tests_frame"]


def opt(v: Any) -> float | None:
    """A float, or ``None`` for a missing, non-numeric or NaN value."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def tests_dict(sel: pd.DataFrame) -> dict[str, Any]:
    """``{test: {stat, pvalue, df, n, distribution}}`` or ``{stat: None, ..., reason}``."""
    out: dict[str, Any] = {}
    rows: Any = sel.itertuples(index=False)
    for r in rows:
        if pd.isna(r.stat):
            out[str(r.test)] = {
                "stat": None,
                "pvalue": None,
                "df": None,
                "n": int(r.nobs),
                "reason": str(r.reason),
            }
        else:
            out[str(r.test)] = {
                "stat": float(r.stat),
                "pvalue": float(r.pvalue),
                "df": opt(r.df),
                "n": int(r.nobs),
                "distribution": str(r.distribution),
            }
    return out


#: Columns of ``results.tests`` and the dtype of the empty table.
_COLUMNS: dict[str, str] = {
    "scope": "object",
    "tau": "float",
    "start": "float",
    "end": "float",
    "test": "object",
    "stat": "float",
    "pvalue": "float",
    "df": "float",
    "distribution": "object",
    "null": "object",
    "nobs": "int64",
    "reason": "string",
}


def tests_frame(
    tests: dict[str, Any], taus: NDArray[np.int64], spec: WindowSpec | Any
) -> pd.DataFrame:
    # every column gathered over the tests, then one frame (not a frame per test)
    cols_of: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    car_start = np.array([w.start for w in spec.car], dtype=float)
    car_end = np.array([w.end for w in spec.car], dtype=float)
    for name, (obj, daily, window) in tests.items():
        for scope, cols, n in (("day", daily, len(taus)), ("window", window, len(spec.car))):
            day = scope == "day"
            for c, v in (
                ("scope", np.full(n, scope, dtype=object)),
                ("tau", np.asarray(taus, dtype=float) if day else np.full(n, np.nan)),
                ("start", np.full(n, np.nan) if day else car_start),
                ("end", np.full(n, np.nan) if day else car_end),
                ("test", np.full(n, name, dtype=object)),
                ("stat", np.broadcast_to(np.asarray(cols.stat, dtype=float), n)),
                ("pvalue", np.broadcast_to(np.asarray(cols.pvalue, dtype=float), n)),
                ("df", np.broadcast_to(np.asarray(cols.df, dtype=float), n)),
                ("distribution", np.full(n, obj.distribution, dtype=object)),
                ("null", np.full(n, obj.null, dtype=object)),
                ("nobs", np.broadcast_to(np.asarray(cols.nobs), n)),
                ("reason", np.asarray(list(cols.reason), dtype=object)),
            ):
                cols_of[c].append(v)
    if not tests:
        out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _COLUMNS.items()})
        for c in ("tau", "start", "end"):
            out[c] = out[c].astype("Int64")
        return out
    data: dict[str, Any] = {c: np.concatenate(v) for c, v in cols_of.items()}
    for c in ("tau", "start", "end"):  # whole numbers or missing
        data[c] = pd.array(data[c], dtype="Int64")
    data["reason"] = pd.array(data["reason"], dtype=_COLUMNS["reason"])
    out = pd.DataFrame(data)
    return out
