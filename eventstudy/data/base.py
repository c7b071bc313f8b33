"""The data-source protocol and the panel every source produces.

A source turns tickers and a date range into a :class:`Panel`: a long frame
of simple daily returns (``date, ticker, ret``), optionally the prices it came
from, and a record of where the data came from.  Everything downstream works
on that frame only, so a study is the same whatever the source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError

__all__ = ["DataSource", "Panel", "validate_returns"]


@dataclass(frozen=True)
class Panel:
    """A return panel with its provenance.

    Attributes
    ----------
    returns : DataFrame
        Long frame with columns ``date`` (datetime64[ns], midnight, China
        trading date), ``ticker`` (str) and ``ret`` (float, simple return as a
        decimal; NaN or no row = no trade that day, never zero).  An optional
        integer column ``span`` counts the sessions a return covers (1 on a
        normal day; more on the first day after a suspension).
    prices : DataFrame or None
        Long frame ``date, ticker, close`` plus optional ``open, high, low,
        volume`` (and ``prev_close`` where the source gives it).
    source : str
        ``"csv"``, ``"yfinance"`` or ``"simulated"``.
    provenance : dict
        Source-specific facts: files and their SHA-256, fetch times, library
        versions, seeds, simulation parameters.
    notes : list of str
        Human-readable notes on normalisation (tickers renamed, zero-volume
        days treated as no trading, ...).
    """

    returns: pd.DataFrame
    prices: pd.DataFrame | None = None
    source: str = "unknown"
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class DataSource(Protocol):
    """What every data source provides."""

    name: str

    def load(self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> Panel:
        """Return a :class:`Panel` for ``tickers`` covering ``start``..``end``."""
        ...


def validate_returns(frame: pd.DataFrame, *, what: str = "returns") -> pd.DataFrame:
    """Check and normalise a long return frame; return a new frame.

    Raises :class:`~eventstudy.exceptions.DataError` naming the problem:
    missing columns, unparseable dates, non-numeric or infinite returns,
    duplicate ``(date, ticker)`` rows.  Missing returns (NaN) are allowed and
    mean "no trade".
    """
    missing = [c for c in ("date", "ticker", "ret") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {missing}; expected date, ticker, ret "
            f"(found {list(frame.columns)})"
        )
    out = pd.DataFrame({"date": frame["date"], "ticker": frame["ticker"], "ret": frame["ret"]})
    if "span" in frame.columns:
        out["span"] = frame["span"]
    dates = pd.to_datetime(out["date"], errors="coerce")
    bad = dates.isna() & out["date"].notna()
    if bad.any() or dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(
            f"{what}: row {i + 1} has an unparseable or empty date {out['date'].iloc[i]!r}"
        )
    out["date"] = dates.dt.normalize().astype("datetime64[ns]")
    tick = out["ticker"]
    if tick.isna().any():
        i = int(np.flatnonzero(tick.isna().to_numpy())[0])
        raise DataError(f"{what}: row {i + 1} has an empty ticker")
    out["ticker"] = tick.astype(str).str.strip()
    ret = out["ret"]
    if not pd.api.types.is_numeric_dtype(ret):
        num = pd.to_numeric(ret, errors="coerce")
        badnum = num.isna() & ret.notna() & (ret.astype(str).str.strip() != "")
        if badnum.any():
            i = int(np.flatnonzero(badnum.to_numpy())[0])
            raise DataError(
                f"{what}: row {i + 1} ({out['ticker'].iloc[i]}, "
                f"{out['date'].iloc[i].date()}) has a non-numeric return "
                f"{ret.iloc[i]!r}"
            )
        ret = num
    ret = ret.astype("float64")
    inf = np.isinf(ret.to_numpy())
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"{what}: row {i + 1} ({out['ticker'].iloc[i]}, "
            f"{out['date'].iloc[i].date()}) has an infinite return"
        )
    out["ret"] = ret
    dup = out.duplicated(["date", "ticker"], keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        n = int(dup.sum())
        raise DataError(
            f"{what}: duplicate (date, ticker) rows, first at row {i + 1} "
            f"({out['ticker'].iloc[i]}, {out['date'].iloc[i].date()}); "
            f"{n} rows are involved"
        )
    return out.reset_index(drop=True)
