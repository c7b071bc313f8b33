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


def tests_frame(
    tests: dict[str, Any], taus: NDArray[np.int64], spec: WindowSpec | Any
) -> pd.DataFrame:
    frames = []
    for name, (obj, daily, window) in tests.items():
        for scope, cols, n in (("day", daily, len(taus)), ("window", window, len(spec.car))):
            f = pd.DataFrame(
                {
                    "scope": scope,
                    "tau": taus if scope == "day" else np.full(n, np.nan),
                    "start": np.full(n, np.nan) if scope == "day" else [w.start for w in spec.car],
                    "end": np.full(n, np.nan) if scope == "day" else [w.end for w in spec.car],
                    "test": name,
                    "stat": cols.stat,
                    "pvalue": cols.pvalue,
                    "df": cols.df,
                    "distribution": obj.distribution,
                    "null": obj.null,
                    "nobs": cols.nobs,
                    "reason": pd.array(list(cols.reason), dtype="string"),
                }
            )
            frames.append(f)
    if not frames:
        frames.append(
            pd.DataFrame(
                {
                    c: pd.Series(dtype=t)
                    for c, t in (
                        ("scope", "object"),
                        ("tau", "float"),
                        ("start", "float"),
                        ("end", "float"),
                        ("test", "object"),
                        ("stat", "float"),
                        ("pvalue", "float"),
                        ("df", "float"),
                        ("distribution", "object"),
                        ("null", "object"),
                        ("nobs", "int64"),
                        ("reason", "string"),
                    )
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for c in ("tau", "start", "end"):
        out[c] = out[c].astype("Int64")
    return out
