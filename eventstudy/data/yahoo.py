"""Daily prices from Yahoo Finance through yfinance, with a local cache.

The only module that touches the network.  It calls

``yf.download(tickers=batch, start=..., end=..., interval="1d", auto_adjust=False,
back_adjust=False, actions=True, repair=False, keepna=False, group_by="column",
threads=True, ignore_tz=True, prepost=False, rounding=False, timeout=30,
progress=False, multi_level_index=True)``

with every argument that shapes the result spelled out (``period`` is left
unset: ``start``/``end`` define the range).  With ``group_by="column"`` and
``multi_level_index=True`` yfinance (0.2.48 and later, 1.x) returns columns
``MultiIndex[(Price, Ticker)]`` sorted by field, for one ticker as for many,
e.g. ``("Adj Close", "600186.SS"), ("Close", "600186.SS"), ...,
("Volume", "600186.SS")``.  With ``ignore_tz=True`` each ticker's index is
the exchange-local date (tz-naive); an index that is still tz-aware (other
versions, ``ignore_tz=False``) is converted to China time before the time is
dropped.

Returns are close-to-close on ``Close`` (``Adj Close`` is kept when present
but never relied on); dividends and splits are kept as ``dividend`` and
``split`` so that ex-dates can be marked.  A zero-volume row (how Yahoo
lists a suspended A-share day, with the previous close repeated) and a row
without a close are days without trading: no return, and the next return's
``span`` covers them.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy._progress import tracked
from eventstudy.data.base import Panel, returns_from_prices
from eventstudy.data.cache import default_cache_dir, lookup_cached, write_cached
from eventstudy.exceptions import DataError, DataWarning, MissingDependencyError
from eventstudy.tickers import normalize_ticker

__all__ = ["DOWNLOAD_ARGUMENTS", "YahooSource", "download_yahoo", "split_download"]

Downloader = Callable[..., Any]
DateLike = str | datetime | pd.Timestamp

_CHINA: Final = "Asia/Shanghai"
_FIELDS: Final = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
    "Dividends": "dividend",
    "Stock Splits": "split",
}
_PRICE_ORDER: Final = (
    "date",
    "ticker",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "dividend",
    "split",
)

#: Fixed arguments of every ``yf.download`` call (``tickers``, ``start``, ``end`` vary).
DOWNLOAD_ARGUMENTS: Final[dict[str, Any]] = {
    "interval": "1d",
    "auto_adjust": False,
    "back_adjust": False,
    "actions": True,
    "repair": False,
    "keepna": False,
    "group_by": "column",
    "threads": True,
    "ignore_tz": True,
    "prepost": False,
    "rounding": False,
    "timeout": 30,
    "progress": False,
    "multi_level_index": True,
}


def _yfinance_version() -> str | None:
    try:
        return importlib.metadata.version("yfinance")
    except importlib.metadata.PackageNotFoundError:
        return None


def _default_downloader() -> Downloader:
    try:
        import yfinance as yf
    except ImportError as exc:  # an optional extra: CSV files and simulations do without it
        raise MissingDependencyError(
            "the Yahoo Finance source needs yfinance, which is not installed: "
            "pip install 'ashare-eventstudy[yahoo]' (or: pip install yfinance). "
            "CSV files (--source csv, read_prices_csv) and the simulated market work without it"
        ) from exc
    return yf.download


def _china_dates(index: pd.Index, ticker: str) -> pd.DatetimeIndex:
    try:
        idx = pd.DatetimeIndex(index)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"yfinance frame for {ticker}: index is not dates "
            f"({index.dtype}); the yfinance output format may have changed"
        ) from exc
    if idx.tz is not None:
        idx = idx.tz_convert(_CHINA).tz_localize(None)
    return pd.DatetimeIndex(idx.normalize().astype("datetime64[ns]"))


def _tidy(sub: pd.DataFrame, ticker: str, notes: list[str]) -> pd.DataFrame | None:
    """One ticker's fields (columns ``Open, ..., Stock Splits``) -> our schema, or None if empty."""
    fields = {str(c): c for c in sub.columns}
    if "Close" not in fields:
        raise DataError(
            f"yfinance frame for {ticker} has no 'Close' column (found "
            f"{sorted(fields)}); the yfinance output format may have changed"
        )
    frame = pd.DataFrame({"date": _china_dates(sub.index, ticker)})
    for yname, ours in _FIELDS.items():
        if yname in fields:
            frame[ours] = pd.to_numeric(sub[fields[yname]], errors="coerce").to_numpy("float64")
    for col in ("dividend", "split"):
        if col in frame.columns:
            frame[col] = frame[col].fillna(0.0)
    core = [
        c for c in ("open", "high", "low", "close", "adj_close", "volume") if c in frame.columns
    ]
    keep = frame[core].notna().any(axis=1)
    for col in ("dividend", "split"):
        if col in frame.columns:
            keep |= frame[col] != 0.0
    frame = frame.loc[keep]
    if not frame["close"].notna().any():
        return None
    dup = frame["date"].duplicated(keep="first")
    if dup.any():
        notes.append(f"{ticker}: {int(dup.sum())} duplicate date(s) from Yahoo; first kept")
        frame = frame.loc[~dup]
    return frame.sort_values("date").reset_index(drop=True)


def split_download(
    raw: pd.DataFrame | None, batch: Sequence[str], notes: list[str] | None = None
) -> dict[str, pd.DataFrame | None]:
    """Split a ``yf.download`` frame into one frame per ticker of ``batch``.

    Accepts columns ``(Price, Ticker)`` (``group_by="column"``) or
    ``(Ticker, Price)`` (``group_by="ticker"``), found by the level named
    ``Ticker`` or else by which level holds the field names, and plain field
    columns when ``batch`` has one ticker.  Ticker labels are matched
    case-insensitively (yfinance upper-cases them).  A ticker without a
    single close is mapped to None.
    """
    notes = [] if notes is None else notes
    out: dict[str, pd.DataFrame | None] = dict.fromkeys(batch)
    if raw is None or len(raw.index) == 0 or len(raw.columns) == 0:
        return out
    cols = raw.columns
    if not isinstance(cols, pd.MultiIndex):
        if len(batch) != 1:
            raise DataError(
                f"yfinance returned single-level columns {list(cols)} for "
                f"{len(batch)} tickers ({', '.join(batch)}); expected a "
                f"MultiIndex (Price, Ticker)"
            )
        out[batch[0]] = _tidy(raw, batch[0], notes)
        return out
    if cols.nlevels != 2:
        raise DataError(
            f"yfinance returned {cols.nlevels} column levels for "
            f"{', '.join(batch)}; expected 2 (Price, Ticker)"
        )
    names = [str(n) for n in cols.names]
    if "Ticker" in names:
        tlev = names.index("Ticker")
    else:
        level0 = {str(v) for v in cols.get_level_values(0)}
        tlev = 1 if level0 & set(_FIELDS) else 0
    wanted = {t.upper(): t for t in batch}
    for label in pd.unique(cols.get_level_values(tlev)):
        ticker = wanted.get(str(label).upper())
        if ticker is None:
            notes.append(f"yfinance returned unrequested ticker {label!r}; ignored")
            continue
        sub = raw.xs(label, axis=1, level=tlev)
        if isinstance(sub, pd.Series):
            sub = sub.to_frame()
        out[ticker] = _tidy(sub, ticker, notes)
    return out


def _as_day(value: DateLike, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}: cannot read {value!r} as a date") from exc
    if ts is pd.NaT:
        raise DataError(f"{name}: cannot read {value!r} as a date")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(_CHINA).tz_localize(None)
    return ts.normalize()


def _fetch(
    downloader: Downloader, batch: list[str], lo: pd.Timestamp, hi: pd.Timestamp
) -> pd.DataFrame | None:
    # yfinance's ``end`` is exclusive: ask for the day after the last wanted date.
    kwargs = {
        "tickers": batch,
        "start": lo.strftime("%Y-%m-%d"),
        "end": (hi + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
        **DOWNLOAD_ARGUMENTS,
    }
    try:
        raw = downloader(**kwargs)
    except Exception as exc:  # any network, rate-limit or parsing failure; re-raised, chained
        raise DataError(
            f"yfinance download failed for {len(batch)} ticker(s) "
            f"{', '.join(batch)}: {type(exc).__name__}: {exc}. Check the network "
            f"(Yahoo also rate-limits), or use offline=True with a filled cache"
        ) from exc
    if raw is not None and not isinstance(raw, pd.DataFrame):
        raise DataError(
            f"yfinance download for {', '.join(batch)} returned "
            f"{type(raw).__name__}, not a DataFrame"
        )
    return raw


def download_yahoo(
    tickers: Sequence[str] | str,
    start: DateLike,
    end: DateLike,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool = False,
    batch_size: int = 50,
    progress: bool = True,
    downloader: Downloader | None = None,
) -> Panel:
    """Daily prices and returns of ``tickers`` from ``start`` to ``end`` (inclusive).

    Parameters
    ----------
    tickers : sequence of str
        Tickers in any accepted spelling (``600186.SH``, ``SZ002575``, ...);
        normalised to Yahoo's (see :mod:`eventstudy.tickers`).
    start, end : date-like
        First and last date wanted, both inclusive (one day is added to
        ``end`` for yfinance, whose ``end`` is exclusive).
    cache_dir : path, optional
        Directory of the per-ticker cache (default
        ``platformdirs.user_cache_dir("eventstudy")/yahoo``).
    offline : bool
        Use only the cache; raise if a ticker is not cached for the range.
    batch_size : int
        Tickers per ``yf.download`` call.
    progress : bool
        Print one line per batch to stderr.
    downloader : callable, optional
        Replacement for ``yfinance.download`` with its signature (tests pass
        a fake); by default yfinance is imported on first use.

    Returns
    -------
    Panel
        ``returns``: ``date, ticker, ret, span``; ``prices``: ``date, ticker,
        open, high, low, close, [adj_close], volume, dividend, split`` on
        trading days; ``source="yfinance"``.  ``provenance`` holds the
        yfinance version, per-ticker fetch times and cache files,
        ``missing_tickers`` (no data from Yahoo: their events are excluded
        with reason "no price data") and the zero-volume counts.

    Raises
    ------
    DataError
        On a failed download (naming the batch's tickers, the original error
        chained) or, offline, naming the tickers missing from the cache.
    MissingDependencyError
        When something must be downloaded and yfinance is not installed (the
        ``yahoo`` extra); a fully cached range needs no yfinance.

    Warns
    -----
    DataWarning
        When a whole batch comes back empty (often a rate limit).
    """
    lo, hi = _as_day(start, "start"), _as_day(end, "end")
    if hi < lo:
        raise DataError(f"end {hi.date()} is before start {lo.date()}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}")
    given = [tickers] if isinstance(tickers, str) else list(tickers)
    if not given:
        raise DataError("tickers: no tickers given")
    notes: list[str] = []
    names: list[str] = []
    for t in given:
        n = normalize_ticker(t)
        if n != str(t).strip():
            notes.append(f"ticker {t} read as {n}")
        if n not in names:
            names.append(n)
    cdir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    version = _yfinance_version()

    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, dict[str, Any]] = {}
    todo: list[str] = []
    refused: dict[str, str] = {}
    for t in names:
        entry, problem = lookup_cached(cdir, t, lo, hi, offline=offline)
        if problem is not None:
            refused[t] = problem
        if entry is None:
            todo.append(t)
            continue
        frames[t] = entry.prices
        info[t] = {
            "from_cache": True,
            "fetched_at": entry.manifest.get("fetched_at"),
            "yfinance_version": entry.manifest.get("yfinance_version"),
            "cache_file": str(entry.path),
        }
    why = "; ".join(f"cache entry for {t} refused: {p}" for t, p in refused.items())
    if offline and todo:
        raise DataError(
            f"offline: no cached Yahoo prices covering {lo.date()}..{hi.date()} for "
            f"{len(todo)} ticker(s): {', '.join(todo)} (cache {cdir}); run once "
            f"online to fill the cache" + (f". {why}" if why else "")
        )
    if refused:
        notes.append(f"{why}; downloaded again")
        warnings.warn(DataWarning(f"{why}; downloading again"), stacklevel=2)

    missing: list[str] = []
    if todo:
        dl = downloader if downloader is not None else _default_downloader()
        batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
        done = 0
        for batch in tracked(batches, "download", total=len(todo), unit="ticker", size=len):
            done += len(batch)
            if progress:
                print(
                    f"eventstudy: downloading {done}/{len(todo)} tickers from Yahoo Finance ...",
                    file=sys.stderr,
                    flush=True,
                )
            raw = _fetch(dl, batch, lo, hi)
            fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            per = split_download(raw, batch, notes)
            empty = [t for t in batch if per[t] is None]
            if len(empty) == len(batch):
                warnings.warn(
                    DataWarning(
                        f"Yahoo returned no data for any of the {len(batch)} ticker(s) "
                        f"{', '.join(batch)}: a rate limit, a network problem or unknown tickers?"
                    ),
                    stacklevel=2,
                )
            missing.extend(empty)
            for t in batch:
                frame = per[t]
                if frame is None:
                    continue
                frames[t] = frame
                info[t] = {
                    "from_cache": False,
                    "fetched_at": fetched_at,
                    "yfinance_version": version,
                    "cache_file": None,
                }
                try:
                    path, _ = write_cached(
                        cdir,
                        t,
                        frame,
                        start=lo,
                        end=hi,
                        fetched_at=fetched_at,
                        yfinance_version=version,
                        extra={"source": "yfinance", "download_arguments": DOWNLOAD_ARGUMENTS},
                    )
                    info[t]["cache_file"] = str(path)
                except OSError as exc:
                    warnings.warn(
                        DataWarning(f"could not write the cache for {t} in {cdir}: {exc}"),
                        stacklevel=2,
                    )
    if missing:
        notes.append(
            f"no price data from Yahoo for {len(missing)} ticker(s): "
            f"{', '.join(missing)}; their events are excluded"
        )
    return _assemble(names, frames, info, missing, notes, lo, hi, cdir, version)


def _refuse_bad_prices(long: pd.DataFrame, info: dict[str, dict[str, Any]]) -> None:
    """Zero, negative or infinite prices are refused, as the CSV reader refuses them."""
    for col in ("close", "open", "high", "low"):
        if col not in long.columns:
            continue
        v = long[col].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(v) & ((v <= 0.0) | np.isinf(v))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            t = str(long["ticker"].iloc[i])
            where = info.get(t, {})
            cached = (
                f" (served from the cache file {where.get('cache_file')}; delete it to fetch again)"
                if where.get("from_cache")
                else ""
            )
            raise DataError(
                f"yfinance data for {t}: {int(bad.sum())} row(s) with a zero, negative or "
                f"infinite price, first {col} {v[i]:g} on {pd.Timestamp(long['date'].iloc[i]).date()}"
                f"{cached}. A listed share never closes at or below zero, so these returns would "
                "be wrong; check the ticker, or correct the prices and pass them as a CSV file "
                "(read_prices_csv, --prices)"
            )


def _assemble(
    names: list[str],
    frames: dict[str, pd.DataFrame],
    info: dict[str, dict[str, Any]],
    missing: list[str],
    notes: list[str],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    cdir: Path,
    version: str | None,
) -> Panel:
    parts = [frames[t].assign(ticker=t) for t in names if t in frames]
    if parts:
        long = pd.concat(parts, ignore_index=True)
        long = long.loc[long["date"].between(lo, hi)].reset_index(drop=True)
    else:
        long = pd.DataFrame({c: pd.Series(dtype="float64") for c in _PRICE_ORDER})
        long["date"] = long["date"].astype("datetime64[ns]")
        long["ticker"] = long["ticker"].astype(str)
    for col in ("volume", "dividend", "split"):
        if col not in long.columns:
            long[col] = 0.0 if col != "volume" else float("nan")
    _refuse_bad_prices(long, info)
    returns, stats = returns_from_prices(long[["date", "ticker", "close", "volume"]])

    no_close = long["close"].isna().groupby(long["ticker"]).sum()
    no_close_days = {str(k): int(v) for k, v in no_close.items() if v > 0}
    zero_volume = stats["zero_volume_days"]
    for t, n in sorted(zero_volume.items()):
        notes.append(f"{t}: {n} zero-volume day(s) treated as no trading (missing return)")
    for t, n in sorted(no_close_days.items()):
        notes.append(f"{t}: {n} day(s) without a close treated as no trading")
    if stats["volume_unreported"]:
        notes.append(
            f"Yahoo reports no volume for {', '.join(stats['volume_unreported'])}; "
            f"zero volume not read as suspension there"
        )

    traded = long["close"].notna() & ~(
        (long["volume"] == 0.0) & ~long["ticker"].isin(stats["volume_unreported"])
    )
    cols = [c for c in _PRICE_ORDER if c in long.columns]
    prices = (
        long.loc[traded, cols].sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    )
    adj = {
        t: bool("adj_close" in frames[t].columns and frames[t]["adj_close"].notna().any())
        for t in names
        if t in frames
    }
    provenance: dict[str, Any] = {
        "yfinance_version": version,
        "requested": {"tickers": names, "start": str(lo.date()), "end": str(hi.date())},
        "download_arguments": dict(DOWNLOAD_ARGUMENTS),
        "cache_dir": str(cdir),
        "tickers": info,
        "fetched_at": {t: v["fetched_at"] for t, v in info.items()},
        "cache_files": {t: v["cache_file"] for t, v in info.items()},
        "from_cache": [t for t, v in info.items() if v["from_cache"]],
        "downloaded": [t for t, v in info.items() if not v["from_cache"]],
        "missing_tickers": list(missing),
        "adj_close_present": adj,
        "zero_volume_days": zero_volume,
        "no_close_days": no_close_days,
        "volume_unreported": stats["volume_unreported"],
        "returns_from": "Close, close-to-close (dividends not added back)",
    }
    return Panel(
        returns=returns, prices=prices, source="yfinance", provenance=provenance, notes=notes
    )


class YahooSource:
    """Yahoo Finance through yfinance as a :class:`~eventstudy.data.base.DataSource`.

    Parameters are those of :func:`download_yahoo`.
    """

    name: str = "yfinance"

    def __init__(
        self,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        offline: bool = False,
        batch_size: int = 50,
        progress: bool = True,
        downloader: Downloader | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.offline = offline
        self.batch_size = batch_size
        self.progress = progress
        self.downloader = downloader

    def load(self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> Panel:
        """Return ``tickers`` from ``start`` to ``end`` (inclusive); see :func:`download_yahoo`."""
        return download_yahoo(
            tickers,
            start,
            end,
            cache_dir=self.cache_dir,
            offline=self.offline,
            batch_size=self.batch_size,
            progress=self.progress,
            downloader=self.downloader,
        )
