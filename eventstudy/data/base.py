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

from eventstudy.dates import parse_dates
from eventstudy.exceptions import DataError

__all__ = ["DataSource", "Panel", "returns_from_prices", "validate_returns"]


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
    missing columns, dates outside the date policy of :mod:`eventstudy.dates`,
    non-numeric or infinite returns, duplicate ``(date, ticker)`` rows.  Missing
    returns (NaN) are allowed and mean "no trade".  Magnitudes are checked
    where the returns enter a study (:func:`eventstudy.guards.check_return_scale`).
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
    out["date"] = parse_dates(out["date"], what=what).dates.to_numpy()
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


def returns_from_prices(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Turn a long price frame into a return frame with ``span``.

    Parameters
    ----------
    frame : DataFrame
        ``date`` (datetime64), ``ticker`` and ``close`` and/or ``ret``;
        optional ``volume`` and ``prev_close``.  Not modified.

    Returns
    -------
    returns : DataFrame
        ``date, ticker, ret, span`` sorted by ticker and date, only rows with
        a return.
    stats : dict
        ``zero_volume_days`` (ticker -> count of rows treated as no trading
        because volume is zero) and ``volume_unreported`` (tickers whose
        volume is zero or missing on every row; for them zero volume is read
        as "not reported", not as a suspension).

    Notes
    -----
    A row is a trading day when it has a value (``ret`` when the frame has
    that column, else ``close``) and, where volume is reported, non-zero
    volume.  Without ``ret`` the return is

    .. math:: r_t = P_t / P_{t^-} - 1,

    with :math:`t^-` the ticker's previous trading row (``prev_close`` is used
    instead of :math:`P_{t^-}` where given, so vendors' ex-rights adjustments
    carry through); the first trading row of a ticker has no return.
    ``span`` counts the panel dates (the union of all dates in ``frame``)
    from :math:`t^-` to :math:`t`: 1 on consecutive sessions, more after a
    suspension.  With ``ret`` given, the first trading row keeps its return
    and its span counts from the ticker's first row.
    """
    df = frame.reset_index(drop=True)
    tick = df["ticker"].astype(str)
    dates = np.sort(pd.unique(df["date"].to_numpy()))
    pos = pd.Series(np.searchsorted(dates, df["date"].to_numpy()), index=df.index)
    has_ret = "ret" in df.columns
    value = df["ret"] if has_ret else df["close"]
    zero = pd.Series(False, index=df.index)
    unreported: list[str] = []
    if "volume" in df.columns:
        vol = df["volume"].astype("float64")
        reported = (vol.fillna(0.0) != 0.0).groupby(tick).transform("any").astype(bool)
        zero = (vol == 0.0) & reported
        unreported = sorted(set(tick[~reported]))
    traded = value.notna() & ~zero
    first_pos = pos.groupby(tick).transform("min")

    t = pd.DataFrame({"date": df["date"], "ticker": tick, "pos": pos})[traded]
    t = t.sort_values(["ticker", "pos"], kind="stable")
    prev_pos = t.groupby("ticker")["pos"].shift()
    if has_ret:
        ret = df.loc[t.index, "ret"].astype("float64")
        span = (t["pos"] - prev_pos).fillna(t["pos"] - first_pos[t.index] + 1)
    else:
        close = df.loc[t.index, "close"].astype("float64")
        base = close.groupby(t["ticker"]).shift()
        if "prev_close" in df.columns:
            given = df.loc[t.index, "prev_close"].astype("float64")
            base = given.where(given.notna() & base.notna(), base)
        ret = close / base - 1.0
        span = t["pos"] - prev_pos
    out = pd.DataFrame({"date": t["date"], "ticker": t["ticker"], "ret": ret, "span": span})
    out = out[out["ret"].notna()]
    out["span"] = out["span"].astype("int64")
    counts = zero.groupby(tick).sum()
    stats: dict[str, Any] = {
        "zero_volume_days": {str(k): int(v) for k, v in counts.items() if v > 0},
        "volume_unreported": unreported,
    }
    return validate_returns(out.reset_index(drop=True)), stats
