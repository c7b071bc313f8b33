"""Per-ticker parquet cache of downloaded daily prices.

Layout under the cache directory (by default
``platformdirs.user_cache_dir("eventstudy")/yahoo``), one pair of files per
ticker, named by the URL-quoted ticker (``^`` and ``=`` are quoted, ``.``
is kept)::

    600186.SS.parquet   date, open, high, low, close, [adj_close], volume, dividend, split
    600186.SS.json      manifest: ticker, fetched_at (UTC ISO), yfinance_version,
                        start, end (requested, inclusive), rows, sha256 of the parquet file

Both files are written atomically: to a temporary file in the same
directory, then moved over the old one with :func:`os.replace`.  The
manifest is written last and carries the parquet file's SHA-256, so a
parquet file without a matching manifest is never read.  Nothing is
pickled.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pandas as pd

from eventstudy._hashing import sha256_file

__all__ = [
    "CACHE_FORMAT",
    "CachedPrices",
    "atomic_write",
    "cache_files",
    "covers",
    "default_cache_dir",
    "read_cached",
    "read_manifest",
    "write_cached",
]

#: Version of the file layout; entries of another version are ignored.
CACHE_FORMAT: Final = 1
_CHINA: Final = "Asia/Shanghai"


def default_cache_dir() -> Path:
    """Return ``platformdirs.user_cache_dir("eventstudy")/yahoo``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("eventstudy")) / "yahoo"


def cache_files(cache_dir: str | os.PathLike[str], ticker: str) -> tuple[Path, Path]:
    """Return the parquet and manifest paths of ``ticker``."""
    stem = quote(ticker, safe="")
    base = Path(cache_dir)
    return base / f"{stem}.parquet", base / f"{stem}.json"


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(tmp)`` on a temporary file, then replace.

    The temporary file lives in the same directory (so :func:`os.replace` is
    an atomic rename) and is removed if writing fails; a reader sees the old
    file or the new one, never a half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@dataclass(frozen=True)
class CachedPrices:
    """One ticker's cached prices with its manifest."""

    ticker: str
    prices: pd.DataFrame
    manifest: dict[str, Any]
    path: Path


def read_manifest(cache_dir: str | os.PathLike[str], ticker: str) -> dict[str, Any] | None:
    """Return the manifest of ``ticker``, or None if absent, unreadable or of another format."""
    _, mpath = cache_files(cache_dir, ticker)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != CACHE_FORMAT:
        return None
    return manifest


def covers(
    manifest: dict[str, Any], start: pd.Timestamp, end: pd.Timestamp, *, offline: bool = False
) -> bool:
    """Whether a cache entry answers a request for ``start``..``end`` (inclusive).

    The fetch must have asked for a range containing the request.  Online, the
    entry must also have been fetched after ``end`` (China date): data for
    ``end`` fetched on that day or earlier may be incomplete, so it is fetched
    again.  Offline, the requested range alone decides.
    """
    try:
        m_start = pd.Timestamp(manifest["start"])
        m_end = pd.Timestamp(manifest["end"])
        fetched = pd.Timestamp(manifest["fetched_at"])
    except (KeyError, ValueError, TypeError):
        return False
    if m_start > start or m_end < end:
        return False
    if offline:
        return True
    if fetched.tzinfo is None:
        fetched = fetched.tz_localize("UTC")
    fetch_day = fetched.tz_convert(_CHINA).tz_localize(None).normalize()
    return bool(fetch_day > end)


def read_cached(cache_dir: str | os.PathLike[str], ticker: str) -> CachedPrices | None:
    """Read ``ticker`` from the cache; None when absent or not matching its manifest."""
    manifest = read_manifest(cache_dir, ticker)
    if manifest is None:
        return None
    ppath, _ = cache_files(cache_dir, ticker)
    try:
        if sha256_file(ppath) != manifest.get("sha256"):
            return None
        prices = pd.read_parquet(ppath, engine="pyarrow")
    except (OSError, ValueError):
        return None
    prices["date"] = pd.to_datetime(prices["date"]).astype("datetime64[ns]")
    return CachedPrices(ticker=ticker, prices=prices, manifest=manifest, path=ppath)


def write_cached(
    cache_dir: str | os.PathLike[str],
    ticker: str,
    prices: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    fetched_at: str,
    yfinance_version: str | None,
    extra: dict[str, Any] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Write one ticker's prices and manifest atomically; return the parquet path and manifest.

    ``prices`` has one row per date (``date`` column, naive); ``start`` and
    ``end`` are the requested (inclusive) range the download covered.
    """
    ppath, mpath = cache_files(cache_dir, ticker)
    frame = prices.reset_index(drop=True)
    atomic_write(ppath, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))
    manifest: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "ticker": ticker,
        "fetched_at": fetched_at,
        "yfinance_version": yfinance_version,
        "start": str(pd.Timestamp(start).date()),
        "end": str(pd.Timestamp(end).date()),
        "rows": len(frame),
        "first_date": None if frame.empty else str(frame["date"].min().date()),
        "last_date": None if frame.empty else str(frame["date"].max().date()),
        "columns": [str(c) for c in frame.columns],
        "file": ppath.name,
        "sha256": sha256_file(ppath),
        **(extra or {}),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    atomic_write(mpath, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return ppath, manifest
