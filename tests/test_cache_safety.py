"""The yfinance cache: the (parquet, manifest) pair is one update and is verified on read."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_data_yahoo import FakeDownloader, market_data

from eventstudy._hashing import sha256_file
from eventstudy.data.cache import cache_files, lookup_cached, read_cached, write_cached
from eventstudy.data.yahoo import download_yahoo
from eventstudy.exceptions import DataError, DataWarning

LO, HI = pd.Timestamp("2024-01-02"), pd.Timestamp("2024-06-28")


def frame(n: int, close: float) -> pd.DataFrame:
    """``n`` business days from LO, every close equal to ``close`` (identifies the writer)."""
    dates = pd.bdate_range(LO, periods=n)
    c = np.full(n, close)
    return pd.DataFrame(
        {
            "date": dates,
            "open": c,
            "high": c,
            "low": c,
            "close": c,
            "volume": np.full(n, 1000.0),
            "dividend": 0.0,
            "split": 0.0,
        }
    )


def put(cdir: Path, ticker: str, f: pd.DataFrame) -> None:
    write_cached(
        cdir,
        ticker,
        f,
        start=LO,
        end=HI,
        fetched_at="2024-07-01T00:00:00+00:00",
        yfinance_version="test",
    )


def edit_manifest(cdir: Path, ticker: str, **changes: object) -> None:
    _, mpath = cache_files(cdir, ticker)
    m = json.loads(mpath.read_text(encoding="utf-8"))
    m.update(changes)
    mpath.write_text(json.dumps(m), encoding="utf-8")


def test_two_writers_racing_never_leave_a_mismatched_pair(tmp_path: Path) -> None:
    """Two threads rewrite one ticker with different data while a third reads it: every
    read serves one writer's data with that writer's manifest, and the last state is whole."""
    a, b = frame(120, 1.0), frame(80, 2.0)
    put(tmp_path, "600186.SS", a)
    stop = threading.Event()
    seen: list[tuple[int, float, int]] = []
    errors: list[BaseException] = []

    def writer(f: pd.DataFrame) -> None:
        try:
            for _ in range(25):
                put(tmp_path, "600186.SS", f)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            entry, problem = lookup_cached(tmp_path, "600186.SS", LO, LO, offline=True)
            if problem is not None:
                errors.append(AssertionError(problem))
            if entry is not None:
                closes = set(entry.prices["close"])
                seen.append((len(entry.prices), closes.pop(), int(entry.manifest["rows"])))

    threads = [threading.Thread(target=writer, args=(f,)) for f in (a, b, a, b)]
    r = threading.Thread(target=reader)
    r.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    r.join()
    assert not errors
    assert seen and all((n, c) in {(120, 1.0), (80, 2.0)} and n == m for n, c, m in seen)
    last = read_cached(tmp_path, "600186.SS")
    assert last is not None and len(last.prices) == last.manifest["rows"]
    assert last.manifest["sha256"] == sha256_file(last.path)


def test_a_pair_left_mismatched_is_refused_naming_the_ticker(tmp_path: Path) -> None:
    """One writer's parquet under another's manifest (what two unlocked writers left)."""
    put(tmp_path, "600186.SS", frame(120, 1.0))
    other = tmp_path / "other"
    put(other, "600186.SS", frame(80, 2.0))
    shutil.copyfile(cache_files(other, "600186.SS")[0], cache_files(tmp_path, "600186.SS")[0])
    entry, problem = lookup_cached(tmp_path, "600186.SS", LO, HI, offline=True)
    assert entry is None
    assert problem is not None and "does not match the SHA-256" in problem
    assert read_cached(tmp_path, "600186.SS") is None


def test_entry_copied_under_another_ticker_is_not_served(tmp_path: Path) -> None:
    put(tmp_path, "600186.SS", frame(120, 1.0))
    pairs = zip(cache_files(tmp_path, "600186.SS"), cache_files(tmp_path, "600187.SS"), strict=True)
    for src, dst in pairs:
        shutil.copyfile(src, dst)
    entry, problem = lookup_cached(tmp_path, "600187.SS", LO, HI, offline=True)
    assert entry is None and problem is not None and "'600186.SS'" in problem
    with pytest.raises(DataError, match=r"cache entry for 600187\.SS refused: its manifest is for"):
        download_yahoo(["600187.SS"], LO, HI, cache_dir=tmp_path, offline=True, progress=False)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"rows": 121}, "holds rows 120, its manifest says 121"),
        ({"first_date": "2023-12-29"}, "first_date '2024-01-02', its manifest says"),
        ({"last_date": "2024-12-31"}, "holds last_date"),
        ({"columns": ["date", "close"]}, "holds columns"),
        ({"file": "../600186.SS.parquet"}, "names the file '../600186.SS.parquet'"),
    ],
)
def test_manifest_claims_are_checked_on_read(tmp_path: Path, change: dict, said: str) -> None:
    put(tmp_path, "600186.SS", frame(120, 1.0))
    edit_manifest(tmp_path, "600186.SS", **change)
    entry, problem = lookup_cached(tmp_path, "600186.SS", LO, HI, offline=True)
    assert entry is None and problem is not None and said in problem


def test_entry_without_date_column_is_a_clear_refusal_not_a_keyerror(tmp_path: Path) -> None:
    f = frame(120, 1.0).rename(columns={"date": "day"})
    f["date"] = f["day"]  # write_cached needs the dates for the manifest ...
    put(tmp_path, "600186.SS", f)
    ppath, _ = cache_files(tmp_path, "600186.SS")
    f.drop(columns=["date"]).to_parquet(ppath, index=False)  # ... then the column is lost
    edit_manifest(
        tmp_path, "600186.SS", sha256=sha256_file(ppath), columns=[c for c in f if c != "date"]
    )
    with pytest.raises(DataError, match=r"cache entry for 600186\.SS refused: .* no date column"):
        download_yahoo(["600186.SS"], LO, HI, cache_dir=tmp_path, offline=True, progress=False)


def test_refused_entry_is_downloaded_again_online_with_a_warning(tmp_path: Path) -> None:
    data = market_data()
    kw = {"cache_dir": tmp_path, "progress": False}
    download_yahoo(["000300.SS"], "2024-05-06", "2024-05-10", downloader=FakeDownloader(data), **kw)
    ppath, _ = cache_files(tmp_path, "000300.SS")
    pd.read_parquet(ppath).drop(columns=["date"]).to_parquet(ppath, index=False)
    edit_manifest(tmp_path, "000300.SS", sha256=sha256_file(ppath))
    fake = FakeDownloader(data)
    with pytest.warns(
        DataWarning, match=r"cache entry for 000300\.SS refused: .*downloading again"
    ):
        panel = download_yahoo(["000300.SS"], "2024-05-06", "2024-05-10", downloader=fake, **kw)
    assert fake.batches == [["000300.SS"]] and len(panel.returns) == 4
    assert any("refused" in n for n in panel.notes)
    assert read_cached(tmp_path, "000300.SS") is not None  # rewritten whole


def test_cache_parquet_with_a_nested_column_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    put(tmp_path, "600186.SS", frame(3, 1.0))
    ppath, _ = cache_files(tmp_path, "600186.SS")
    table = pq.read_table(ppath).append_column("odd", pa.array([[1], [2], [3]]))
    pq.write_table(table, ppath)
    edit_manifest(tmp_path, "600186.SS", sha256=sha256_file(ppath))
    entry, problem = lookup_cached(tmp_path, "600186.SS", LO, LO, offline=True)
    assert entry is None and problem is not None and "odd (list<" in problem


def test_symlinked_cache_file_is_refused(tmp_path: Path) -> None:
    put(tmp_path, "600186.SS", frame(3, 1.0))
    ppath, _ = cache_files(tmp_path, "600186.SS")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.parquet"
    shutil.move(ppath, outside)
    ppath.symlink_to(outside)
    entry, problem = lookup_cached(tmp_path, "600186.SS", LO, LO, offline=True)
    assert entry is None and problem is not None and "not a regular file" in problem
