"""Per-ticker parquet cache of downloaded daily prices.

Layout under the cache directory (by default
``platformdirs.user_cache_dir("eventstudy")/yahoo``), one pair of files per
ticker, named by the URL-quoted ticker (``^`` and ``=`` are quoted, ``.``
is kept)::

    600186.SS.parquet   date, open, high, low, close, [adj_close], volume, dividend, split
    600186.SS.json      manifest: ticker, fetched_at (UTC ISO), yfinance_version,
                        start, end (requested, inclusive), rows, first_date, last_date,
                        columns, file, sha256 of the parquet file

Both files are written atomically: to a temporary file in the same
directory, then moved over the old one with :func:`os.replace`; the
manifest's SHA-256 is computed on the new parquet file before it is moved
into place, and the manifest is written last.  A writer holds an exclusive
lock on the cache directory (``flock``, where the system has it) from the
first file to the manifest, and a reader a shared one, so two processes
never leave one's data under the other's manifest.  Every read checks the
entry against its manifest (ticker, file name, SHA-256, rows, first and
last date, columns, a ``date`` column with unique dates) and refuses it,
saying why, when anything differs: an entry copied under another ticker, or
a pair left mismatched on a system without ``flock``, is never served.
Parquet is read as plain columns only (:mod:`eventstudy._parquet`);
nothing is pickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pandas as pd

from eventstudy._hashing import sha256_file
from eventstudy._parquet import read_plain_parquet
from eventstudy.exceptions import DataError

__all__ = [
    "CACHE_FORMAT",
    "CachedPrices",
    "atomic_write",
    "cache_files",
    "covers",
    "default_cache_dir",
    "lookup_cached",
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


@contextlib.contextmanager
def _locked(cache_dir: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold a lock on the cache directory (a no-op where ``flock`` does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the checks on read still hold
        fcntl = None  # type: ignore[assignment]
    fd = None
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fd = os.open(cache_dir, os.O_RDONLY)
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def _day(v: Any) -> str | None:
    return None if v is None else str(pd.Timestamp(v).date())


def _check_entry(
    cache_dir: Path, ticker: str, manifest: dict[str, Any]
) -> tuple[CachedPrices | None, str | None]:
    """Read the entry that ``manifest`` describes if it is exactly what it claims."""
    ppath, _ = cache_files(cache_dir, ticker)
    if manifest.get("ticker") != ticker:
        return None, (
            f"its manifest is for ticker {manifest.get('ticker')!r} (an entry copied under "
            "another name?)"
        )
    if manifest.get("file") != ppath.name:
        return None, f"its manifest names the file {manifest.get('file')!r}, not {ppath.name}"
    if ppath.is_symlink() or not ppath.is_file():
        return None, f"{ppath.name} is missing or not a regular file"
    try:
        if sha256_file(ppath) != manifest.get("sha256"):
            return None, (
                f"{ppath.name} does not match the SHA-256 in its manifest (changed, or "
                "written by another process)"
            )
        prices = read_plain_parquet(ppath, f"cache file {ppath}")
    except (OSError, DataError) as exc:
        return None, str(exc)
    if "date" not in prices.columns:
        return None, f"{ppath.name} has no date column"
    try:
        dates = pd.to_datetime(prices["date"]).astype("datetime64[ns]")
    except (ValueError, TypeError) as exc:
        return None, f"{ppath.name}: unreadable dates ({exc})"
    if dates.isna().any() or dates.duplicated().any():
        return None, f"{ppath.name} has missing or repeated dates"
    found = {
        "rows": len(prices),
        "first_date": None if dates.empty else _day(dates.min()),
        "last_date": None if dates.empty else _day(dates.max()),
        "columns": [str(c) for c in prices.columns],
    }
    for key, value in found.items():
        if key in manifest and manifest[key] != value:
            return None, f"{ppath.name} holds {key} {value!r}, its manifest says {manifest[key]!r}"
    if "rows" not in manifest:
        return None, "its manifest does not say how many rows the file holds"
    prices["date"] = dates
    return CachedPrices(ticker=ticker, prices=prices, manifest=manifest, path=ppath), None


def lookup_cached(
    cache_dir: str | os.PathLike[str],
    ticker: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    offline: bool = False,
) -> tuple[CachedPrices | None, str | None]:
    """The verified cache entry of ``ticker`` for ``start``..``end``, or why there is none.

    Returns ``(entry, None)`` for a usable entry, ``(None, None)`` when there
    is no entry of this format or it does not cover the range (see
    :func:`covers`), and ``(None, reason)`` when an entry exists but is
    refused: it is not what its manifest says.
    """
    cdir = Path(cache_dir)
    _, mpath = cache_files(cdir, ticker)
    with _locked(cdir, exclusive=False):
        if not mpath.exists():
            return None, None
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return None, f"{mpath.name} is not readable JSON ({exc})"
        if not isinstance(manifest, dict):
            return None, f"{mpath.name} is not a JSON object"
        if manifest.get("format") != CACHE_FORMAT:
            return None, None
        if not covers(manifest, start, end, offline=offline):
            return None, None
        return _check_entry(cdir, ticker, manifest)


def read_cached(cache_dir: str | os.PathLike[str], ticker: str) -> CachedPrices | None:
    """Read ``ticker`` from the cache; None when absent or not exactly what its manifest says."""
    cdir = Path(cache_dir)
    with _locked(cdir, exclusive=False):
        manifest = read_manifest(cdir, ticker)
        if manifest is None:
            return None
        return _check_entry(cdir, ticker, manifest)[0]


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
    """Write one ticker's prices and manifest as one update; return the parquet path and manifest.

    ``prices`` has one row per date (``date`` column, naive); ``start`` and
    ``end`` are the requested (inclusive) range the download covered.  The
    pair is written under an exclusive lock of the cache directory, the
    manifest last, with the SHA-256 of the file this call wrote.
    """
    ppath, mpath = cache_files(cache_dir, ticker)
    frame = prices.reset_index(drop=True)
    digest: dict[str, str] = {}

    def write_parquet(tmp: Path) -> None:
        frame.to_parquet(tmp, engine="pyarrow", index=False)
        digest["sha256"] = sha256_file(tmp)

    ppath.parent.mkdir(parents=True, exist_ok=True)
    with _locked(ppath.parent, exclusive=True):
        atomic_write(ppath, write_parquet)
        manifest: dict[str, Any] = {
            "format": CACHE_FORMAT,
            "ticker": ticker,
            "fetched_at": fetched_at,
            "yfinance_version": yfinance_version,
            "start": str(pd.Timestamp(start).date()),
            "end": str(pd.Timestamp(end).date()),
            "rows": len(frame),
            "first_date": None if frame.empty else _day(frame["date"].min()),
            "last_date": None if frame.empty else _day(frame["date"].max()),
            "columns": [str(c) for c in frame.columns],
            "file": ppath.name,
            "sha256": digest["sha256"],
            **(extra or {}),
        }
        text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        atomic_write(mpath, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return ppath, manifest
