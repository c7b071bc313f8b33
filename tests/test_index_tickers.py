"""Issue 13, finding 8: index tickers read on the right exchange, near matches suggested.

A bare ``000300`` used to become ``000300.SZ`` (the CSI 300 is on Shanghai)
without a word, and "market ticker '000300' is absent" did not suggest
``000300.SS``.  The market ticker now reads bare index codes from a table
(``eventstudy.tickers.INDEX_TICKERS``) and says so; event tickers do not
(``000001`` is Ping An Bank as an event, the SSE Composite as the market).
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from helpers import make_events, make_panel

from eventstudy import EventStudy
from eventstudy.cli import main
from eventstudy.data.csvfile import read_returns_csv
from eventstudy.exceptions import CalendarWarning, DataError, DataWarning
from eventstudy.tickers import (
    INDEX_TICKERS,
    absent_tickers_hint,
    describe_index,
    near_tickers,
    normalize_market_ticker,
    normalize_ticker,
)

CFG = dict(
    estimation_window=(-120, -11),
    event_window=(-5, 5),
    car_windows=[(0, 1)],
    min_estimation_days=60,
    leakage=False,
    calendar_time=False,
    tests=["csect_t"],
)


def _panel(market_label: str) -> tuple[pd.DataFrame, list[str], pd.DatetimeIndex]:
    returns, tickers = make_panel(n_firms=6, n_days=300)
    returns = returns.assign(ticker=returns["ticker"].replace("000300.SS", market_label))
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    return returns, tickers, dates


def _fit(returns, tickers, dates, market):
    return EventStudy(make_events(tickers, dates, 4, lo=150, hi=280), returns, market, **CFG).fit()


# ------------------------------------------------------------------ the table


@pytest.mark.parametrize(
    ("code", "yahoo"),
    [
        ("000300", "000300.SS"),  # CSI 300
        ("000001", "000001.SS"),  # SSE Composite (as the market)
        ("000016", "000016.SS"),  # SSE 50
        ("000905", "000905.SS"),  # CSI 500
        ("000852", "000852.SS"),  # CSI 1000
        ("000688", "000688.SS"),  # STAR 50
        ("399001", "399001.SZ"),  # SZSE Component
        ("399006", "399006.SZ"),  # ChiNext
        ("399005", "399005.SZ"),  # SZSE SME 100
    ],
)
def test_bare_index_codes_read_on_their_exchange_as_the_market(code, yahoo):
    ticker, note = normalize_market_ticker(code)
    assert ticker == yahoo
    assert note is not None and note.startswith(f"market ticker {code} read as {yahoo}, the ")
    assert describe_index(yahoo) in note


def test_the_table_is_consistent():
    for code, (yahoo, name) in INDEX_TICKERS.items():
        assert yahoo.split(".")[0] == code and name
        # Shenzhen index codes start 399; the others in the table are Shanghai-listed
        assert yahoo.endswith(".SZ") == code.startswith("399")


def test_event_tickers_do_not_use_the_index_table():
    # 000001 is Ping An Bank on Shenzhen as an event ticker, the SSE Composite as the market
    assert normalize_ticker("000001") == "000001.SZ"
    assert normalize_market_ticker("000001")[0] == "000001.SS"
    assert normalize_ticker("000300") == "000300.SZ"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("000300.SZ", "000300.SZ"), ("SZ000001", "000001.SZ"), ("sh000300", "000300.SS"),
     ("000300.SH", "000300.SS"), ("600186", "600186.SS"), ("^GSPC", "^GSPC")],
)  # fmt: skip
def test_a_suffix_or_a_share_code_is_taken_as_written(given, expected):
    ticker, note = normalize_market_ticker(given)
    assert ticker == expected and note is None


# ------------------------------------------------------------------ in a study


def test_bare_market_code_finds_the_index_under_its_yahoo_ticker():
    # the finding: the panel (as from yfinance) holds 000300.SS; market="000300" used to
    # become 000300.SZ and fail as absent
    returns, tickers, dates = _panel("000300.SS")
    res = _fit(returns, tickers, dates, "000300")
    assert res.config["market"] == "000300.SS"
    assert any("market ticker 000300 read as 000300.SS, the CSI 300" in n for n in res.notes)
    assert res.n_included == 4


def test_bare_code_in_the_frame_and_as_the_market_is_the_index():
    returns, tickers, dates = _panel("000300")
    res = _fit(returns, tickers, dates, "000300")
    assert res.config["market"] == "000300.SS"  # was silently 000300.SZ
    assert res.n_included == 4


def test_sse_composite_market_and_ping_an_event_in_one_study():
    returns, tickers, dates = _panel("000001")
    # a firm 000001 (Ping An Bank) next to the index, written with its suffix
    ping_an = returns[returns["ticker"] == tickers[0]].assign(ticker="000001.SZ")
    returns = pd.concat([returns, ping_an], ignore_index=True)
    events = pd.DataFrame({"event_id": ["E1"], "ticker": ["000001"], "date": [dates[200]]})
    with pytest.warns(CalendarWarning, match="000001 read as 000001.SZ"):
        res = EventStudy(events, returns, "000001", **CFG).fit()
    assert res.config["market"] == "000001.SS"
    assert res.n_included == 1
    assert res.to_frame()["ticker"].tolist() == ["000001.SZ"]


def test_bare_code_read_as_a_share_by_a_csv_reader_is_used_with_a_warning(tmp_path):
    returns, tickers, dates = _panel("000300")
    path = tmp_path / "returns.csv"
    returns.assign(date=returns["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    panel = read_returns_csv(path)  # a bare 000300 in a file reads as a Shenzhen share
    assert "000300.SZ" in set(panel.returns["ticker"])
    with pytest.warns(DataWarning, match=r"no 000300\.SS but have 000300\.SZ.*used as the"):
        res = _fit(panel, tickers, dates, "000300")
    assert res.config["market"] == "000300.SZ"
    assert res.n_included == 4


# ------------------------------------------------------------------ near matches


def test_absent_market_suggests_the_same_code_with_another_suffix():
    returns, tickers, dates = _panel("000300.SZ")
    with pytest.raises(
        DataError, match=r"market ticker '000300.SS' is absent .*; did you mean 000300\.SZ\?"
    ):
        _fit(returns, tickers, dates, "000300.SS")


def test_absent_market_says_how_it_was_read_and_suggests_indexes_present():
    returns, tickers, dates = _panel("000905.SS")
    with pytest.raises(
        DataError,
        match=r"market ticker '000300.SH' is absent from the returns \(read as 000300\.SS; "
        r"7 tickers, .*did you mean 000905\.SS\?",
    ):
        _fit(returns, tickers, dates, "000300.SH")


def test_absent_market_without_a_near_match_gets_no_guess():
    returns, tickers, dates = _panel("000300.SS")
    with pytest.raises(DataError, match="market ticker 'XYZ' is absent") as info:
        _fit(returns, tickers, dates, "XYZ")
    assert "did you mean" not in str(info.value)


def test_near_tickers_order_and_limits():
    avail = ["600186.SS", "000300.SZ", "000905.SS", "399006.SZ", "000301.SZ"]
    assert near_tickers("000300.SS", avail) == ["000300.SZ", "000905.SS", "399006.SZ"]
    assert near_tickers("600186.SZ", avail) == ["600186.SS"]
    assert near_tickers("000300.SS", avail, n=1) == ["000300.SZ"]
    assert near_tickers("AAPL", avail) == []
    assert "000300.SZ" in near_tickers("00300.SS", avail)  # a dropped digit: spelling
    assert near_tickers("^GSCP", ["^GSPC", "600186.SS"]) == ["^GSPC"]


def test_absent_event_ticker_with_another_suffix_warns_and_is_excluded():
    returns, tickers, dates = _panel("000300.SS")
    events = make_events(tickers, dates, 3, lo=150, hi=280)
    wrong = tickers[0].replace(".SS", ".SZ")
    events.loc[0, "ticker"] = wrong
    with pytest.warns(DataWarning, match=rf"{wrong} \(the returns have {tickers[0]}\)"):
        res = EventStudy(events, returns, "000300.SS", **CFG).fit()
    ex = res.exclusions
    assert ex.loc[ex["event_id"] == "E001", "reason"].item().startswith("unknown ticker")


def test_absent_event_ticker_without_a_near_match_does_not_warn():
    returns, tickers, dates = _panel("000300.SS")
    events = make_events(tickers, dates, 3, lo=150, hi=280)
    events.loc[0, "ticker"] = "688999.SS"
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        res = EventStudy(events, returns, "000300.SS", **CFG).fit()
    assert res.n_included == 2
    assert absent_tickers_hint(["688999.SS"], tickers) is None


def test_cli_downloads_the_index_under_its_yahoo_ticker(monkeypatch, tmp_path, capsys):
    # --source yfinance --market 000300 must ask Yahoo for 000300.SS, not 000300.SZ
    import eventstudy.data.yahoo as yahoo

    asked: list[str] = []

    def fake_download(tickers, start, end, **kw):
        asked.extend(tickers)
        raise DataError("stop after recording the tickers")

    monkeypatch.setattr(yahoo, "download_yahoo", fake_download)
    cal = tmp_path / "cal.csv"
    cal.write_text("ticker,date\n600186.SS,2024-05-06\n")
    code = main(["run", "--calendar", str(cal), "--market", "000300", "--out", str(tmp_path / "o")])
    assert code == 2 and "stop after recording" in capsys.readouterr().err
    assert "000300.SS" in asked and "000300.SZ" not in asked
