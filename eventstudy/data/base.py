"""The data-source protocol and the panel every source produces.

A source turns tickers and a date range into a :class:`Panel`: a long frame
of simple daily returns (``date, ticker, ret``), optionally the prices it came
from, and a record of where the data came from.  Everything downstream works
on that frame only, so a study is the same whatever the source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from eventstudy.dates import parse_dates
from eventstudy.exceptions import DataError

__all__ = ["DataSource", "Panel", "returns_from_prices", "study_source", "validate_returns"]


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

    @classmethod
    def from_prices(
        cls,
        prices: Any,
        *,
        columns: Mapping[str, str] | str | None = None,
        preset: str | None = None,
        returns_unit: str | None = None,
    ) -> Panel:
        """A panel from daily closing prices: the one step from prices to a study.

        ``EventStudy(events, prices=df)`` calls it.  Prices give more than
        returns: the price-limit flags (limit-up and limit-down closes, one-word
        boards), the limit-aware CAR and the abnormal volume of the leakage
        diagnostics (with a ``volume`` column) all need them.

        Parameters
        ----------
        prices : DataFrame, path, Panel or Simulation
            A long frame or CSV file ``date, ticker, close`` (plus optional
            ``open, high, low, volume, prev_close`` and a return column, read
            by :func:`eventstudy.data.csvfile.read_prices_csv` with the same
            rules and checks); or a wide frame of closes (dates as the index
            or a ``date`` column, one column per ticker, the market index
            included), which is made long first.  A :class:`Panel` with
            prices, or a :class:`~eventstudy.data.simulate.Simulation`
            (``es.simulate_market``), is taken as it is.
        columns, preset, returns_unit
            Column mapping, vendor preset and unit of a return column, as in
            :func:`~eventstudy.data.csvfile.read_prices_csv` (long input only).

        Returns
        -------
        Panel
            Close-to-close simple returns (``date, ticker, ret``) and the prices.

        Raises
        ------
        DataError
            As :func:`~eventstudy.data.csvfile.read_prices_csv` (a missing
            ``close``, a non-positive price, ...), naming the row; or a Panel
            without prices.
        """
        from eventstudy.data.csvfile import read_prices_csv

        inner = getattr(prices, "panel", None)  # a Simulation
        if isinstance(inner, Panel):
            prices = inner
        if isinstance(prices, Panel):
            if prices.prices is None or "close" not in prices.prices:
                raise DataError(
                    "Panel.from_prices: this Panel has no prices (its source gave returns "
                    "only); pass the closes themselves"
                )
            return prices
        if isinstance(prices, pd.DataFrame) and columns is None and preset is None:
            prices = _long_closes(prices)
        panel: Panel = read_prices_csv(
            prices, columns=columns, preset=preset, returns_unit=returns_unit
        )
        return panel


def _long_closes(frame: pd.DataFrame) -> pd.DataFrame:
    """A wide frame of closes (dates x tickers) as a long ``date, ticker, close`` frame;
    a long frame (it has a ticker column) unchanged."""
    if isinstance(frame.columns, pd.MultiIndex) and frame.columns.nlevels == 1:
        frame = frame.set_axis(frame.columns.get_level_values(0), axis=1)
    if isinstance(frame.columns, pd.MultiIndex):  # e.g. yfinance.download's (Price, Ticker)
        raise DataError(
            "prices: a wide frame needs one level of column names (the tickers); found "
            f"{frame.columns.nlevels} levels, e.g. {frame.columns[0]!r}: select one level "
            "first, e.g. frame['Close'] or frame.droplevel(0, axis=1)"
        )
    names = {str(c).strip().lower() for c in frame.columns}
    if "ticker" in names or "close" in names:
        return frame
    wide = frame
    if "date" in names:
        col = next(c for c in frame.columns if str(c).strip().lower() == "date")
        wide = frame.set_index(col)
    numeric = len(wide.columns) > 0 and all(pd.api.types.is_numeric_dtype(t) for t in wide.dtypes)
    if not numeric:  # a long vendor layout: the reader names the missing columns
        return frame
    if "date" not in names and not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError(
            "prices: expected a long frame date, ticker, close, or a wide frame of closes "
            "with the dates as its index or in a 'date' column "
            f"(found columns {list(frame.columns)[:8]} and a {type(frame.index).__name__})"
        )
    wide = wide.copy()
    wide.index = wide.index.rename("date")
    wide.columns = [str(c) for c in wide.columns]
    out = wide.reset_index().melt(id_vars="date", var_name="ticker", value_name="close")
    return out[out["close"].notna()].reset_index(drop=True)


#: column names (lower case) that mark a frame of prices rather than returns
PRICE_COLUMNS = ("close", "adj_close", "adj close", "price", "prc", "clsprc", "收盘价", "收盘")


def study_source(returns: Any, prices: Any) -> Any:
    """What the study aligns: ``returns`` (a Simulation's panel), or the panel of ``prices``.

    A frame of prices given as ``returns`` is an error that names the prices route.
    """
    if prices is not None:
        if returns is not None:
            raise DataError(
                "give returns= or prices=, not both: prices= computes the returns "
                "(close to close) and keeps the prices for the limit flags"
            )
        return Panel.from_prices(prices)
    if returns is None:
        raise DataError(
            "EventStudy needs returns= (a long frame date, ticker, ret, a wide frame, a "
            "Panel or a Simulation) or prices= (closes: EventStudy(events, prices=df))"
        )
    inner = getattr(returns, "panel", None)  # a Simulation from es.simulate_market
    if isinstance(inner, Panel):
        return inner
    frame = returns.returns if isinstance(returns, Panel) else returns
    if isinstance(frame, pd.DataFrame) and frame.empty:
        missing = returns.provenance.get("missing_tickers") if isinstance(returns, Panel) else None
        raise DataError(
            "returns: the frame is empty (nothing was read or downloaded)"
            + (
                f"; no data for {len(missing)} ticker(s): {', '.join(missing[:8])}"
                if missing
                else ""
            )
        )
    if isinstance(returns, pd.DataFrame):
        names = {str(c).strip().lower(): str(c) for c in returns.columns}
        priced = [names[c] for c in PRICE_COLUMNS if c in names]
        if "ret" not in names and priced:
            raise DataError(
                f"returns: the frame has no 'ret' column but has {priced[0]!r}: it looks like "
                "prices. Pass them as prices: EventStudy(events, prices=df), or "
                "returns=Panel.from_prices(df); the returns are computed close to close and "
                "the prices turn on the limit flags, the limit-aware CAR and abnormal volume"
            )
    return returns


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
