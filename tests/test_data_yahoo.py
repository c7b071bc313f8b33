"""yfinance source: frames of yfinance's real shape, a fake downloader, the cache.

No test here touches the network except the one marked ``network`` (skipped
unless EVENTSTUDY_NETWORK=1).

How the fake's shape was verified (yfinance 1.7.0 installed):

* ``yfinance/scrapers/history.py`` (``PriceHistory.history``): per ticker, a
  frame indexed by ``Date`` (exchange-local midnight, tz-aware, for daily
  bars) with columns ``Open, High, Low, Close, Adj Close, Volume`` (from
  ``utils.parse_quotes``) then ``Dividends, Stock Splits`` when
  ``actions=True``; ``Volume`` is ``fillna(0).astype(int64)``; with
  ``keepna=False`` rows whose every field is NaN or 0 are dropped (a
  suspended day with a repeated close and zero volume stays).
* ``yfinance/utils.py`` (``empty_df``): a failed ticker is an empty frame
  with only ``Open, High, Low, Close, Adj Close, Volume``.
* ``yfinance/multi.py`` (``_download_impl``, ``reindex_dfs``): with
  ``ignore_tz=True`` each index is ``tz_localize(None)``d, else converted to
  the most common exchange timezone; every ticker is reindexed to the union
  of dates; ``pd.concat(..., keys=tickers, names=["Ticker", "Price"])``;
  with ``group_by="column"`` the levels are swapped to ``(Price, Ticker)``
  and sorted; ``multi_level_index=True`` keeps the MultiIndex for one ticker.

:func:`assemble_like_yfinance` re-implements that assembly, and
``test_fake_matches_installed_yfinance`` checks it against the installed
``yfinance.download`` itself, with only the per-ticker network fetch
(``yfinance.multi._download_one``) patched.
"""

from __future__ import annotations

import inspect
import json
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import DataSource, Panel, YahooSource, download_yahoo
from eventstudy.data.cache import cache_files, read_manifest
from eventstudy.data.yahoo import DOWNLOAD_ARGUMENTS, split_download
from eventstudy.exceptions import DataError, DataWarning

DATES = ["2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-10"]


def history_frame(
    dates: Iterable[str],
    closes: Iterable[float],
    *,
    volumes: Iterable[int] | None = None,
    adj: bool = True,
    dividends: dict[str, float] | None = None,
    tz: str = "Asia/Shanghai",
) -> pd.DataFrame:
    """One ticker as ``Ticker.history(auto_adjust=False, actions=True)`` returns it."""
    idx = pd.DatetimeIndex(pd.to_datetime(list(dates))).tz_localize(tz)
    idx.name = "Date"
    close = np.asarray(list(closes), dtype="float64")
    vol = (np.full(len(close), 1_000_000) if volumes is None else np.asarray(list(volumes))).astype(
        np.int64
    )
    frame = pd.DataFrame(
        {"Open": close * 0.99, "High": close * 1.01, "Low": close * 0.98, "Close": close}, index=idx
    )
    if adj:
        frame["Adj Close"] = close * 0.95
    frame["Volume"] = vol
    days = {pd.Timestamp(d).tz_localize(tz): a for d, a in (dividends or {}).items()}
    frame["Dividends"] = [days.get(ts, 0.0) for ts in idx]
    frame["Stock Splits"] = 0.0
    return frame


def empty_like_yfinance() -> pd.DataFrame:
    """What ``yfinance.utils.empty_df()`` returns for a failed ticker."""
    empty = pd.DataFrame(
        index=[],
        data={
            "Open": np.nan,
            "High": np.nan,
            "Low": np.nan,
            "Close": np.nan,
            "Adj Close": np.nan,
            "Volume": np.nan,
        },
    )
    empty.index.name = "Date"
    return empty


def assemble_like_yfinance(
    dfs: dict[str, pd.DataFrame],
    *,
    group_by: str = "column",
    ignore_tz: bool = True,
    multi_level_index: bool = True,
) -> pd.DataFrame:
    """The assembly step of ``yfinance.multi._download_impl`` (see module docstring)."""
    dfs = {k.upper(): v.copy() for k, v in sorted(dfs.items())}
    live = [v for v in dfs.values() if not v.empty]
    if ignore_tz:
        for v in live:
            v.index = pd.DatetimeIndex(v.index).tz_localize(None)
    elif live:
        tzs = [str(pd.DatetimeIndex(v.index).tz) for v in live]
        mode = max(set(tzs), key=tzs.count)
        for v in live:
            v.index = pd.DatetimeIndex(v.index).tz_convert(mode)
    idx: pd.Index = pd.DatetimeIndex([])
    for i, v in enumerate(live):
        idx = v.index if i == 0 else idx.union(v.index)
    dfs = {k: v.reindex(idx) for k, v in dfs.items()}
    data = pd.concat(
        list(dfs.values()), axis=1, sort=True, keys=list(dfs.keys()), names=["Ticker", "Price"]
    )
    if group_by == "column":
        assert isinstance(data.columns, pd.MultiIndex)
        data.columns = data.columns.swaplevel(0, 1)
        data = data.sort_index(level=0, axis=1)
    if not multi_level_index and len(dfs) == 1:
        data = data.droplevel(0 if group_by == "ticker" else 1, axis=1).rename_axis(None, axis=1)
    return data


class FakeDownloader:
    """Stands in for ``yfinance.download``; records each call's keyword arguments.

    ``data`` maps ticker -> history frame, None (failed: yfinance's empty
    frame) or an exception to raise for any batch containing the ticker.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        import yfinance

        # every argument we pass must exist in the installed yf.download
        inspect.signature(yfinance.download).bind(**kwargs)
        self.calls.append(kwargs)
        start, end = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
        dfs = {}
        for ticker in kwargs["tickers"]:
            got = self.data.get(ticker)
            if isinstance(got, Exception):
                raise got
            if got is None:
                dfs[ticker] = empty_like_yfinance()
                continue
            local = got.index.tz_localize(None)
            dfs[ticker] = got[(local >= start) & (local < end)]  # end is exclusive
        return assemble_like_yfinance(
            dfs,
            group_by=kwargs["group_by"],
            ignore_tz=kwargs["ignore_tz"],
            multi_level_index=kwargs["multi_level_index"],
        )

    @property
    def batches(self) -> list[list[str]]:
        return [list(c["tickers"]) for c in self.calls]


def never_called(**kwargs: Any) -> pd.DataFrame:
    raise AssertionError(f"the downloader was called for {kwargs.get('tickers')}")


def market_data() -> dict[str, Any]:
    return {
        "000300.SS": history_frame(DATES, [3600, 3636, 3618, 3654, 3690]),
        # suspended on 05-08: zero volume, previous close repeated
        "600186.SS": history_frame(
            DATES,
            [10.0, 11.0, 11.0, 12.1, 12.0],
            volumes=[5000, 8000, 0, 9000, 7000],
            dividends={"2024-05-10": 0.2},
        ),
    }


def get(panel: Panel, ticker: str, date: str, col: str = "ret") -> Any:
    r = panel.returns
    row = r[(r["ticker"] == ticker) & (r["date"] == pd.Timestamp(date))]
    return None if row.empty else row[col].iloc[0]


# --------------------------------------------------------------------------- #
# the fake is faithful to the installed yfinance
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("ignore_tz", [True, False])
@pytest.mark.parametrize("tickers", [["600186.SS", "000300.SS", "BAD.SS"], ["600186.SS"]])
def test_fake_matches_installed_yfinance(
    monkeypatch: pytest.MonkeyPatch, ignore_tz: bool, tickers: list[str]
) -> None:
    yfinance = pytest.importorskip("yfinance")
    import yfinance.multi as multi

    frames = market_data()
    frames["000300.SS"] = frames["000300.SS"].iloc[1:]  # a date missing: reindexed to NaN
    frames["BAD.SS"] = None

    def one(ctx: Any, ticker: str, *args: Any, **kwargs: Any) -> None:
        got = frames[ticker]
        with ctx.lock:
            ctx.dfs[ticker.upper()] = yfinance.utils.empty_df() if got is None else got.copy()

    assert "ctx" in inspect.signature(multi._download_one).parameters, (
        "yfinance internals changed: re-verify the fake's shape"
    )
    monkeypatch.setattr(multi, "_download_one", one)
    args = {**DOWNLOAD_ARGUMENTS, "ignore_tz": ignore_tz}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # yfinance's own pandas deprecation warnings
        real = yfinance.download(tickers=tickers, start="2024-05-06", end="2024-05-11", **args)
    fake = assemble_like_yfinance(
        {t: frames[t] if frames[t] is not None else empty_like_yfinance() for t in tickers},
        group_by="column",
        ignore_tz=ignore_tz,
    )
    assert list(real.columns.names) == ["Price", "Ticker"]
    pd.testing.assert_frame_equal(real, fake, check_freq=False)


def test_download_arguments_are_yfinance_arguments() -> None:
    yfinance = pytest.importorskip("yfinance")
    sig = inspect.signature(yfinance.download)
    sig.bind(tickers=["600186.SS"], start="2024-05-06", end="2024-05-11", **DOWNLOAD_ARGUMENTS)
    assert DOWNLOAD_ARGUMENTS["auto_adjust"] is False and DOWNLOAD_ARGUMENTS["actions"] is True


# --------------------------------------------------------------------------- #
# download_yahoo
# --------------------------------------------------------------------------- #


def test_panel_from_download(tmp_path: Path) -> None:
    fake = FakeDownloader(market_data())
    panel = download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=fake,
    )
    assert panel.source == "yfinance"
    r = panel.returns
    assert list(r.columns) == ["date", "ticker", "ret", "span"]
    assert r["date"].dtype == "datetime64[ns]"
    assert get(panel, "000300.SS", "2024-05-07") == pytest.approx(0.01)
    assert get(panel, "000300.SS", "2024-05-06") is None  # first row: no return
    prices = panel.prices
    assert prices is not None
    assert list(prices.columns) == [
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
    ]
    div = prices.set_index(["ticker", "date"])["dividend"]
    assert div[("600186.SS", pd.Timestamp("2024-05-10"))] == pytest.approx(0.2)
    prov = panel.provenance
    assert prov["adj_close_present"] == {"000300.SS": True, "600186.SS": True}
    assert set(prov["fetched_at"]) == {"000300.SS", "600186.SS"}
    assert prov["missing_tickers"] == []
    assert prov["yfinance_version"] == pytest.importorskip("yfinance").__version__
    # yfinance's end is exclusive: the day after the last wanted date is asked for
    assert fake.calls[0]["start"] == "2024-05-06" and fake.calls[0]["end"] == "2024-05-11"
    for key, value in DOWNLOAD_ARGUMENTS.items():
        assert fake.calls[0][key] == value


def test_zero_volume_day_is_missing_with_span_two(tmp_path: Path) -> None:
    panel = download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    assert get(panel, "600186.SS", "2024-05-08") is None
    assert get(panel, "600186.SS", "2024-05-09") == pytest.approx(12.1 / 11.0 - 1)
    assert get(panel, "600186.SS", "2024-05-09", "span") == 2
    assert get(panel, "600186.SS", "2024-05-10", "span") == 1
    assert panel.provenance["zero_volume_days"] == {"600186.SS": 1}
    assert "600186.SS: 1 zero-volume day(s) treated as no trading (missing return)" in panel.notes
    prices = panel.prices
    assert prices is not None
    assert pd.Timestamp("2024-05-08") not in set(
        prices.loc[prices["ticker"] == "600186.SS", "date"]
    )


def test_nan_close_is_no_trading(tmp_path: Path) -> None:
    data = market_data()
    frame = data["600186.SS"].copy()
    frame.loc[frame.index[2], ["Open", "High", "Low", "Close", "Adj Close"]] = np.nan
    frame["Volume"] = 5000
    data["600186.SS"] = frame
    panel = download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(data),
    )
    assert get(panel, "600186.SS", "2024-05-09", "span") == 2
    assert panel.provenance["no_close_days"] == {"600186.SS": 1}


def test_index_without_volume_keeps_returns(tmp_path: Path) -> None:
    data = {"000300.SS": history_frame(DATES, [3600, 3636, 3618, 3654, 3690], volumes=[0] * 5)}
    panel = download_yahoo(
        ["000300.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(data),
    )
    assert len(panel.returns) == 4
    assert panel.provenance["volume_unreported"] == ["000300.SS"]


def test_batching_and_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tickers = [f"60000{i}.SS" for i in range(5)]
    data = {t: history_frame(DATES, [10, 11, 12, 13, 14]) for t in tickers}
    fake = FakeDownloader(data)
    panel = download_yahoo(
        tickers,
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        batch_size=2,
        progress=True,
        downloader=fake,
    )
    assert fake.batches == [tickers[:2], tickers[2:4], tickers[4:]]
    err = capsys.readouterr().err
    assert "downloading 2/5 tickers" in err and "downloading 5/5 tickers" in err
    assert set(panel.returns["ticker"]) == set(tickers)


def test_cache_is_written_and_reread(tmp_path: Path) -> None:
    first = download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    ppath, mpath = cache_files(tmp_path, "600186.SS")
    assert ppath.is_file() and mpath.is_file()
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    assert manifest["start"] == "2024-05-06" and manifest["end"] == "2024-05-10"
    assert manifest["rows"] == 5
    assert manifest["yfinance_version"] == first.provenance["yfinance_version"]
    assert pd.Timestamp(manifest["fetched_at"]).tzinfo is not None
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))
    # a second call for a range inside the cached one never calls the downloader
    second = download_yahoo(
        ["600186.SS", "000300.SS"],
        "2024-05-07",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=never_called,
    )
    assert second.provenance["from_cache"] == ["600186.SS", "000300.SS"]
    assert get(second, "600186.SS", "2024-05-09", "span") == 2
    both = first.returns[first.returns["date"] >= pd.Timestamp("2024-05-08")]
    pd.testing.assert_frame_equal(
        both.sort_values(["ticker", "date"]).reset_index(drop=True),
        second.returns[second.returns["date"] >= pd.Timestamp("2024-05-08")]
        .sort_values(["ticker", "date"])
        .reset_index(drop=True),
    )


def test_cache_not_covering_is_refetched(tmp_path: Path) -> None:
    data = market_data()
    download_yahoo(
        ["000300.SS"],
        "2024-05-07",
        "2024-05-09",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(data),
    )
    fake = FakeDownloader(data)
    download_yahoo(
        ["000300.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=fake,
    )
    assert fake.batches == [["000300.SS"]]
    assert read_manifest(tmp_path, "000300.SS")["start"] == "2024-05-06"  # type: ignore[index]


def test_cache_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import eventstudy.data.cache as cache

    moves: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        moves.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(cache.os, "replace", spy)
    download_yahoo(
        ["000300.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    ppath, mpath = cache_files(tmp_path, "000300.SS")
    assert [dst for _, dst in moves] == [ppath, mpath]  # parquet first, manifest last
    for src, dst in moves:
        assert src.parent == dst.parent and src.name.endswith(".tmp")
        assert not src.exists()


def test_failed_cache_write_keeps_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    download_yahoo(
        ["000300.SS"],
        "2024-05-06",
        "2024-05-08",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    ppath, mpath = cache_files(tmp_path, "000300.SS")
    before = ppath.read_bytes(), mpath.read_bytes()

    def broken(self: pd.DataFrame, path: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"half a parquet file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.warns(DataWarning, match="could not write the cache for 000300.SS"):
        panel = download_yahoo(
            ["000300.SS"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            progress=False,
            downloader=FakeDownloader(market_data()),
        )
    assert len(panel.returns) == 4
    assert (ppath.read_bytes(), mpath.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ppath.name, mpath.name])


def test_corrupt_cache_is_not_read(tmp_path: Path) -> None:
    download_yahoo(
        ["000300.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    ppath, _ = cache_files(tmp_path, "000300.SS")
    ppath.write_bytes(b"not the file the manifest describes")
    with pytest.raises(DataError, match="offline: no cached Yahoo prices"):
        download_yahoo(
            ["000300.SS"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            offline=True,
            progress=False,
        )


def test_offline_reads_cache(tmp_path: Path) -> None:
    download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    panel = download_yahoo(
        ["600186.SH", "000300.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        offline=True,
        progress=False,
        downloader=never_called,
    )
    assert set(panel.returns["ticker"]) == {"000300.SS", "600186.SS"}
    assert "ticker 600186.SH read as 600186.SS" in panel.notes


def test_offline_names_missing_tickers(tmp_path: Path) -> None:
    download_yahoo(
        ["000300.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    with pytest.raises(DataError, match=r"offline: .* 2 ticker\(s\): 600186\.SS, 002575\.SZ"):
        download_yahoo(
            ["000300.SS", "600186.SS", "002575.SZ"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            offline=True,
            progress=False,
            downloader=never_called,
        )
    # a range the cache does not cover is missing too
    with pytest.raises(DataError, match=r"covering 2024-05-06\.\.2024-05-31 .*000300\.SS"):
        download_yahoo(
            ["000300.SS"],
            "2024-05-06",
            "2024-05-31",
            cache_dir=tmp_path,
            offline=True,
            progress=False,
        )


def test_empty_ticker_is_missing_not_error(tmp_path: Path) -> None:
    data = market_data()
    data["600999.SS"] = None  # yfinance's empty frame for a failed ticker
    data["601999.SS"] = history_frame(DATES, [np.nan] * 5)  # rows, but no close at all
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # not a whole-batch failure
        panel = download_yahoo(
            ["000300.SS", "600999.SS", "601999.SS", "600186.SS"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            progress=False,
            downloader=FakeDownloader(data),
        )
    assert panel.provenance["missing_tickers"] == ["600999.SS", "601999.SS"]
    assert set(panel.returns["ticker"]) == {"000300.SS", "600186.SS"}
    assert any("no price data from Yahoo for 2 ticker(s)" in n for n in panel.notes)
    # nothing is cached for a ticker without data
    assert not cache_files(tmp_path, "600999.SS")[0].exists()


def test_all_empty_batch_warns(tmp_path: Path) -> None:
    fake = FakeDownloader({"600999.SS": None, "601999.SS": None})
    with pytest.warns(
        DataWarning,
        match=r"no data for any of the 2 ticker\(s\) 600999\.SS, "
        r"601999\.SS",
    ):
        panel = download_yahoo(
            ["600999.SS", "601999.SS"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            progress=False,
            downloader=fake,
        )
    assert panel.returns.empty
    assert panel.provenance["missing_tickers"] == ["600999.SS", "601999.SS"]


def test_downloader_exception_names_tickers(tmp_path: Path) -> None:
    boom = ConnectionError("Too Many Requests. Rate limited.")
    fake = FakeDownloader({"600186.SS": boom, "000300.SS": market_data()["000300.SS"]})
    with pytest.raises(
        DataError,
        match=r"download failed for 2 ticker\(s\) 000300\.SS, "
        r"600186\.SS: ConnectionError: Too Many",
    ) as info:
        download_yahoo(
            ["000300.SS", "600186.SS"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            progress=False,
            downloader=fake,
        )
    assert info.value.__cause__ is boom


def test_without_adj_close(tmp_path: Path) -> None:
    data = {
        t: history_frame(DATES, [10, 11, 12, 13, 14], adj=False) for t in ("000300.SS", "600186.SS")
    }
    panel = download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(data),
    )
    assert panel.prices is not None and "adj_close" not in panel.prices.columns
    assert panel.provenance["adj_close_present"] == {"000300.SS": False, "600186.SS": False}
    assert get(panel, "600186.SS", "2024-05-07") == pytest.approx(0.1)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "UTC"])
def test_tz_aware_index_becomes_china_dates(tmp_path: Path, tz: str) -> None:
    # ignore_tz=False keeps Asia/Shanghai timestamps; yfinance before 1.4 returned
    # UTC here: 2024-05-06 00:00 China time is 2024-05-05 16:00 UTC.
    frame = history_frame(DATES, [10, 11, 12, 13, 14]).tz_convert(tz)
    raw = assemble_like_yfinance({"600186.SS": frame}, ignore_tz=False)
    assert str(pd.DatetimeIndex(raw.index).tz) == tz
    out = split_download(raw, ["600186.SS"])["600186.SS"]
    assert out is not None
    assert out["date"].tolist() == [pd.Timestamp(d) for d in DATES]
    assert out["date"].dtype == "datetime64[ns]"


def test_split_download_other_shapes() -> None:
    frames = {
        "600186.SS": history_frame(DATES, [10, 11, 12, 13, 14]),
        "000300.SS": history_frame(DATES, [1, 2, 3, 4, 5]),
    }
    by_ticker = assemble_like_yfinance(frames, group_by="ticker")
    assert list(by_ticker.columns.names) == ["Ticker", "Price"]
    out = split_download(by_ticker, ["600186.SS", "000300.SS"])
    assert out["000300.SS"] is not None and out["000300.SS"]["close"].tolist() == [1, 2, 3, 4, 5]
    flat = assemble_like_yfinance({"600186.SS": frames["600186.SS"]}, multi_level_index=False)
    assert not isinstance(flat.columns, pd.MultiIndex)
    single = split_download(flat, ["600186.SS"])["600186.SS"]
    assert single is not None and single["close"].iloc[-1] == 14
    with pytest.raises(DataError, match="single-level columns"):
        split_download(flat, ["600186.SS", "000300.SS"])
    # yfinance upper-cases tickers; labels match case-insensitively
    lower = split_download(assemble_like_yfinance({"^gspc": frames["000300.SS"]}), ["^gspc"])
    assert lower["^gspc"] is not None


def test_schema_change_is_reported() -> None:
    raw = assemble_like_yfinance({"600186.SS": history_frame(DATES, [10, 11, 12, 13, 14])})
    raw = raw.drop(columns="Close", level=0)
    with pytest.raises(DataError, match="no 'Close' column"):
        split_download(raw, ["600186.SS"])


def test_argument_checks(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="end 2024-05-01 is before start 2024-05-06"):
        download_yahoo(
            ["000300.SS"], "2024-05-06", "2024-05-01", cache_dir=tmp_path, downloader=never_called
        )
    with pytest.raises(DataError, match="batch_size must be a positive integer"):
        download_yahoo(
            ["000300.SS"],
            "2024-05-06",
            "2024-05-10",
            cache_dir=tmp_path,
            batch_size=0,
            downloader=never_called,
        )
    with pytest.raises(DataError, match="start: cannot read 'soon' as a date"):
        download_yahoo(
            ["000300.SS"], "soon", "2024-05-10", cache_dir=tmp_path, downloader=never_called
        )


def test_yahoo_source_is_a_data_source(tmp_path: Path) -> None:
    source = YahooSource(
        cache_dir=tmp_path, progress=False, downloader=FakeDownloader(market_data())
    )
    assert isinstance(source, DataSource)
    panel = source.load(["000300.SS"], pd.Timestamp("2024-05-06"), pd.Timestamp("2024-05-10"))
    assert len(panel.returns) == 4


@pytest.mark.network
@pytest.mark.skipif(
    os.environ.get("EVENTSTUDY_NETWORK") != "1",
    reason="set EVENTSTUDY_NETWORK=1 to download from Yahoo",
)
def test_real_download(tmp_path: Path) -> None:
    panel = download_yahoo(
        ["600000.SS", "000300.SS"], "2024-04-01", "2024-04-30", cache_dir=tmp_path, progress=False
    )
    assert set(panel.returns["ticker"]) == {"600000.SS", "000300.SS"}
    assert panel.returns["date"].min() >= pd.Timestamp("2024-04-01")
    assert panel.returns["date"].max() <= pd.Timestamp("2024-04-30")
    assert panel.returns["ret"].abs().max() < 0.11
    again = download_yahoo(
        ["600000.SS", "000300.SS"],
        "2024-04-01",
        "2024-04-30",
        cache_dir=tmp_path,
        offline=True,
        progress=False,
    )
    pd.testing.assert_frame_equal(panel.returns, again.returns)


def test_limit_flags_from_a_yfinance_panel(tmp_path: Path) -> None:
    """Limit flags on yfinance's shape: a limit-up close, a zero-volume suspension
    (no price), a limit-up close against the last traded close, and an ex-dividend
    day (unknown, from yfinance's actions)."""
    from eventstudy.market.flags import limit_flags

    panel = download_yahoo(
        ["000300.SS", "600186.SS"],
        "2024-05-06",
        "2024-05-10",
        cache_dir=tmp_path,
        progress=False,
        downloader=FakeDownloader(market_data()),
    )
    assert panel.prices is not None
    f = limit_flags(panel.prices).frame()
    f = f[f["ticker"] == "600186.SS"].set_index("date")
    assert bool(f.loc[pd.Timestamp("2024-05-07"), "limit_up"])  # 10.00 -> 11.00
    assert pd.Timestamp("2024-05-08") not in f.index or f.loc[
        pd.Timestamp("2024-05-08"), "status"
    ] in ("no price",)
    assert bool(f.loc[pd.Timestamp("2024-05-09"), "limit_up"])  # 11.00 -> 12.10
    assert f.loc[pd.Timestamp("2024-05-10"), "status"].startswith("ex-date")
    assert pd.isna(f.loc[pd.Timestamp("2024-05-10"), "limit_up"])
