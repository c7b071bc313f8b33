"""Input-boundary guards (issue 9, classes 1, 3 and the GBK ST list).

One test per reproduction: each asserts the clear error (``match=``), the
flag in the ledger, or the right number.  The study runs on the R reference
data (decimals), so "the right number" is the reference run's.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REF_CONFIG, ref_inputs
from helpers import make_panel
from test_data_yahoo import FakeDownloader, history_frame

from eventstudy import EventStudy, read_prices_csv, read_returns_csv
from eventstudy.cli import main
from eventstudy.data import download_yahoo
from eventstudy.data.csvfile import read_st_csv
from eventstudy.dates import parse_dates
from eventstudy.exceptions import CalendarError, DataError, DataWarning
from eventstudy.guards import beyond_limit, check_return_scale, check_unit

CFG = dict(REF_CONFIG, leakage=False, calendar_time=False)


def fit(events: pd.DataFrame, returns: object, **kw: object):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events, returns, **{**CFG, **kw}).fit()


@pytest.fixture(scope="module")
def ref():
    returns, events = ref_inputs()
    return returns, events, fit(events, returns)


def assert_same_numbers(a, b, tol: float = 1e-12) -> None:
    np.testing.assert_allclose(a.car["car"], b.car["car"], rtol=tol, atol=tol)
    np.testing.assert_allclose(a.caar["caar"], b.caar["caar"], rtol=tol, atol=tol)
    np.testing.assert_allclose(a.ar["ar"], b.ar["ar"], rtol=tol, atol=tol)
    np.testing.assert_allclose(a.tests["stat"], b.tests["stat"], rtol=tol, atol=tol, equal_nan=True)
    assert list(a.events["status"]) == list(b.events["status"])


# --------------------------------------------------------------------------- class 1: units


def test_percent_returns_are_refused_saying_what_they_look_like(ref):
    returns, events, _ = ref
    pct = returns.assign(ret=returns["ret"] * 100)
    with pytest.raises(
        DataError,
        match=r"000300\.SS: median \|ret\| 0\.822, 40% of values beyond ±1 \(±100%\): "
        r"these look like percent.*declare returns_unit='percent' "
        r"\(command line: --returns-unit percent\)",
    ):
        fit(events, pct)


def test_percent_declared_agrees_with_the_decimal_run(ref):
    returns, events, base = ref
    res = fit(events, returns.assign(ret=returns["ret"] * 100), returns_unit="percent")
    assert_same_numbers(res, base)
    assert any("declared in percent" in n for n in res.notes)


def test_percent_csv_declared_agrees_with_decimal_csv(ref, tmp_path):
    returns, events, base = ref
    dec, pct = tmp_path / "dec.csv", tmp_path / "pct.csv"
    returns.to_csv(dec, index=False)
    returns.assign(ret=returns["ret"] * 100).to_csv(pct, index=False)
    with pytest.raises(DataError, match=r"pct\.csv: .*look like percent.*returns_unit='percent'"):
        read_returns_csv(pct)
    a = read_returns_csv(dec)
    b = read_returns_csv(pct, returns_unit="percent")
    np.testing.assert_allclose(a.returns["ret"], b.returns["ret"], rtol=1e-14, atol=0)
    assert b.provenance["returns_unit"] == "percent"
    assert_same_numbers(fit(events, b), base)


def test_cli_returns_unit_percent_agrees_with_decimal(ref, tmp_path, capsys):
    returns, events, _ = ref
    cal = tmp_path / "cal.csv"
    events.to_csv(cal, index=False)
    files = {"decimal": returns, "percent": returns.assign(ret=returns["ret"] * 100)}
    caar = {}
    for unit, frame in files.items():
        path = tmp_path / f"{unit}.csv"
        frame.to_csv(path, index=False)
        args = ["run", "--calendar", str(cal), "--returns", str(path), "--market", "000300.SH"]
        args += ["--estimation-window=-130,-11", "--event-window=-5,5", "--car-window=-1,1"]
        args += ["--min-estimation-days", "100", "--no-leakage", "--out", str(tmp_path / unit)]
        if unit == "percent":
            assert main(args) == 2  # undeclared percent: a clear error, no output
            assert "--returns-unit percent" in capsys.readouterr().err
            args += ["--returns-unit", "percent"]
        assert main(args) == 0
        summary = json.loads((tmp_path / unit / "summary.json").read_text(encoding="utf-8"))
        caar[unit] = [w["caar"] for w in summary["caar"]]
    np.testing.assert_allclose(caar["percent"], caar["decimal"], rtol=1e-12, atol=1e-12)


def test_firm_percent_with_market_decimal_is_caught_per_series(ref):
    returns, events, _ = ref
    is_m = returns["id"] == "000300.SH"
    mixed = returns.assign(ret=np.where(is_m, returns["ret"], returns["ret"] * 100))
    with pytest.raises(
        DataError,
        # only the series the study reads are checked: the events' 9 tickers and the market
        match=r"of 9 of 10 series .*look like percent.*other series look plausible "
        r"\(e\.g\. 000300\.SS: median \|ret\| 0\.00822\): every series, the market index "
        r"included, must be in one unit",
    ):
        fit(events, mixed)
    market_pct = returns.assign(ret=np.where(is_m, returns["ret"] * 100, returns["ret"]))
    with pytest.raises(DataError, match=r"of 1 of 10 series .*000300\.SS: median \|ret\| 0\.822"):
        fit(events, market_pct)


def test_price_levels_passed_as_returns(ref):
    returns, events, _ = ref
    levels = returns.assign(ret=10 * np.exp(returns.groupby("id")["ret"].cumsum()))
    with pytest.raises(
        DataError, match=r"no negative values: these look like price levels.*read_prices_csv"
    ):
        fit(events, levels)


def test_return_below_minus_one_names_the_row(ref, tmp_path):
    returns, events, _ = ref
    bad = returns.copy()
    bad.loc[5000, "ret"] = -1.5
    msg = r"row 5001 \(600080\.SS, 2021-08-17\) has the return -1\.5 in column 'ret': below -1"
    with pytest.raises(DataError, match=msg):
        fit(events, bad)
    path = tmp_path / "r.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"r\.csv: " + msg):
        read_returns_csv(path)
    pct = bad.assign(ret=bad["ret"] * 100)
    with pytest.raises(DataError, match=r"return -150 \(= -1\.5 as a decimal\).*below -1"):
        fit(events, pct, returns_unit="percent")


def test_return_of_exactly_minus_one_is_an_error(ref):
    returns, events, _ = ref
    bad = returns.copy()
    bad.loc[5000, "ret"] = -1.0
    with pytest.raises(
        DataError, match=r"row 5001 .*return -1 in column 'ret', a loss of exactly 100%"
    ):
        fit(events, bad)


def test_thousand_percent_day_is_flagged_in_the_ledger_not_refused(ref):
    returns, events, base = ref
    bad = returns.copy()
    day = (bad["id"] == "600000.SH") & (bad["date"] == "2021-08-04")  # tau +2 of ev001
    bad.loc[day, "ret"] = 10.0
    res = fit(events, bad)
    led = res.events.set_index("event_id")
    assert led.loc["ev001", "n_beyond_limit"] == 1
    assert led.loc["ev001", "beyond_limit_dates"] == "2021-08-04"
    assert (led.drop(index="ev001")["n_beyond_limit"] == 0).all()
    assert (base.events["n_beyond_limit"] == 0).all()
    assert any("beyond the board's daily price limit" in n and "+1000.0%" in n for n in res.notes)
    car = res.car.set_index(["event_id", "window"])["car"]
    before = base.car.set_index(["event_id", "window"])["car"]
    assert car.loc[("ev001", "[0,+1]")] == pytest.approx(before.loc[("ev001", "[0,+1]")], abs=1e-12)
    assert car.loc[("ev001", "[-5,+5]")] > before.loc[("ev001", "[-5,+5]")] + 9.0


def test_beyond_limit_uses_the_dated_board_rules():
    dates = pd.DatetimeIndex(["2020-08-21", "2020-08-24"])
    tickers = ["300001.SZ", "600000.SS", "000300.SS", "688001.SS"]
    ret = np.array([[0.15, 0.105, 0.5, 0.15], [0.15, 0.125, 0.5, -0.25]])
    got = beyond_limit(ret, tickers, dates)
    # ChiNext: +-10% until 2020-08-21, +-20% from 2020-08-24; the index has no limit
    np.testing.assert_array_equal(got, [[True, False, False, False], [False, True, False, True]])
    # a return spanning two sessions (after a suspension) may compound two limits
    span = np.array([[1.0, 2.0, 1.0, 1.0], [1.0, 2.0, 1.0, 1.0]])
    assert not beyond_limit(ret, tickers, dates, span)[1, 1]


def test_tushare_preset_on_decimal_data(ref):
    returns, events, base = ref
    day = pd.to_datetime(returns["date"]).dt.strftime("%Y%m%d")
    ts = pd.DataFrame({"ts_code": returns["id"], "trade_date": day, "pct_chg": returns["ret"]})
    with pytest.raises(
        DataError,
        match=r"read as percent \(divided by 100\), the returns in column 'pct_chg'.*implausibly "
        r"small.*median \|ret\| 8\.2e-05.*decimals already.*returns_unit='decimal'",
    ):
        read_returns_csv(ts, preset="tushare")
    res = fit(events, read_returns_csv(ts, preset="tushare", returns_unit="decimal"))
    assert_same_numbers(res, base)
    right = fit(events, read_returns_csv(ts.assign(pct_chg=ts["pct_chg"] * 100), preset="tushare"))
    assert_same_numbers(right, base)


def test_tushare_prices_unit_checked_against_closes(ref):
    returns, _, _ = ref
    one = returns[returns["id"] == "600000.SH"].head(12).reset_index(drop=True)
    close = 10 * np.exp(np.log1p(one["ret"]).cumsum())
    day = pd.to_datetime(one["date"]).dt.strftime("%Y%m%d")
    ts = pd.DataFrame(
        {"ts_code": one["id"], "trade_date": day, "close": close, "pct_chg": one["ret"]}
    )
    # 12 rows: too few for the magnitude check alone; the closes give the unit away
    with pytest.raises(
        DataError, match=r"about 0\.01 times the close-to-close.*returns_unit='decimal'"
    ):
        read_prices_csv(ts, preset="tushare")
    panel = read_prices_csv(ts, preset="tushare", returns_unit="decimal")
    np.testing.assert_allclose(panel.returns["ret"], one["ret"], rtol=1e-15)


def test_percent_declared_without_a_return_column():
    frame = pd.DataFrame({"date": ["2024-05-06"], "ticker": ["600186.SS"], "close": [10.0]})
    with pytest.raises(DataError, match=r"returns_unit='percent' was given.*no return column"):
        read_prices_csv(frame, returns_unit="percent")


def test_unit_argument_is_validated(ref):
    returns, events, _ = ref
    with pytest.raises(DataError, match=r"returns_unit must be 'decimal' or 'percent', got 'pct'"):
        fit(events, returns, returns_unit="pct")
    assert check_unit(" Percent ") == "percent"


def test_guard_is_callable_for_factor_files():
    rng = np.random.default_rng(0)
    mkt = rng.normal(0.05, 1.0, 250)  # percent, like Ken French's files
    rf = np.full(250, 0.008)  # percent per day: tiny, and legitimately so
    values = np.concatenate([mkt, rf])
    names = ["Mkt-RF"] * 250 + ["RF"] * 250
    with pytest.raises(DataError, match=r"factors\.csv: .*Mkt-RF.*declare factors_unit='percent'"):
        check_return_scale(values, what="factors.csv", tickers=names, unit_arg="factors_unit")
    with pytest.raises(DataError, match=r"RF.*implausibly small"):
        check_return_scale(values, what="factors.csv", unit="percent", tickers=names)
    out = check_return_scale(
        values, what="factors.csv", unit="percent", tickers=names, typical=(0.0, 0.2)
    )
    np.testing.assert_allclose(out, values / 100, rtol=1e-15)


def test_yahoo_zero_or_negative_closes_are_refused(tmp_path):
    dates = ["2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-10"]
    for bad in (0.0, -3.0):
        data = {
            "000300.SS": history_frame(dates, [3600, 3636, 3618, 3654, 3690]),
            "600186.SS": history_frame(dates, [10.0, 11.0, bad, 12.1, 12.0]),
        }
        with pytest.raises(
            DataError,
            match=rf"yfinance data for 600186\.SS: .*zero, negative or infinite price, first "
            rf"close {bad:g} on 2024-05-08",
        ):
            download_yahoo(
                ["600186.SS", "000300.SS"],
                dates[0],
                dates[-1],
                cache_dir=tmp_path / f"c{bad}",
                progress=False,
                downloader=FakeDownloader(data),
            )


# --------------------------------------------------------------------------- class 3: dates


def test_day_first_strings_in_a_long_frame_are_refused(ref, tmp_path):
    returns, events, base = ref
    dmy = returns.assign(date=pd.to_datetime(returns["date"]).dt.strftime("%d/%m/%Y"))
    msg = r"row 1 has an unparseable or empty date '04/01/2021' \(day-first or month-first"
    with pytest.raises(DataError, match=msg):
        fit(events, dmy)
    path = tmp_path / "dmy.csv"
    dmy.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"dmy\.csv: " + msg):
        read_returns_csv(path)
    # parsed by the user with an explicit format: the reference numbers
    parsed = dmy.assign(date=pd.to_datetime(dmy["date"], format="%d/%m/%Y"))
    assert_same_numbers(fit(events, parsed), base)


def test_day_first_index_of_a_wide_frame_is_refused(ref):
    returns, events, _ = ref
    wide = returns.pivot(index="date", columns="id", values="ret")
    wide.index = pd.to_datetime(wide.index).strftime("%m/%d/%Y")
    with pytest.raises(DataError, match=r"returns \(index\): row 1 .*'01/04/2021'.*ambiguous"):
        fit(events, wide)


def test_zoned_iso_dates_in_a_returns_csv(ref, tmp_path):
    returns, events, base = ref
    stamps = pd.to_datetime(returns["date"]).dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
    path = tmp_path / "utc.csv"
    returns.assign(date=stamps.dt.strftime("%Y-%m-%dT%H:%M:%S%z")).to_csv(path, index=False)
    panel = read_returns_csv(path)  # was: TypeError ... timezone-aware
    assert panel.returns["date"].min() == pd.Timestamp("2021-01-04")  # 2021-01-03T16:00Z
    assert_same_numbers(fit(events, panel), base)
    assert_same_numbers(fit(events, returns.assign(date=stamps)), base)  # tz-aware frame


def _one_event_panel():
    ret, tickers = make_panel(n_firms=2, n_days=330, start="2023-01-03")
    dates = pd.DatetimeIndex(sorted(ret["date"].unique()))
    return ret, tickers[0], dates[280]  # a Tuesday, 2024-01-30


def _day0(events: pd.DataFrame, ret: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    res = fit(events, ret, estimation_window=(-120, -11), min_estimation_days=60)
    row = res.events.iloc[0]
    return row["date"], row["day0"], row["timing"]


def test_zoned_event_timestamps_take_the_china_date():
    ret, tick, day = _one_event_panel()
    # 17:00 UTC on the 30th is 01:00 on the 31st in Beijing: before the open of the 31st
    utc = pd.Timestamp(f"{day.date()} 17:00", tz="UTC")
    want = (day + pd.Timedelta(days=1), day + pd.Timedelta(days=1), "pre-open")
    assert _day0(pd.DataFrame({"ticker": [tick], "date": [utc]}), ret) == want
    text = pd.DataFrame({"ticker": [tick], "date": [f"{day.date()}T17:00:00Z"]})
    assert _day0(text, ret) == want


def test_a_release_time_in_the_date_feeds_the_timing_rule():
    ret, tick, day = _one_event_panel()
    after = (day, day + pd.Timedelta(days=1), "after-close")
    stamp = pd.DataFrame({"ticker": [tick], "date": [day + pd.Timedelta(hours=15, minutes=30)]})
    assert _day0(stamp, ret) == after  # was: time dropped, day 0 on the 30th
    text = pd.DataFrame({"ticker": [tick], "date": [f"{day.date()} 15:30"]})
    assert _day0(text, ret) == after  # was: CalendarError on the same value
    column = pd.DataFrame({"ticker": [tick], "date": [day], "time": ["15:30"]})
    assert _day0(column, ret) == after


@pytest.mark.parametrize("as_text", [False, True])
def test_a_timing_that_contradicts_the_time_is_an_error(as_text):
    ret, tick, day = _one_event_panel()
    value = f"{day.date()} 15:30" if as_text else day + pd.Timedelta(hours=15, minutes=30)
    events = pd.DataFrame({"ticker": [tick], "date": [value], "timing": ["pre-open"]})
    with pytest.raises(
        CalendarError,
        match=r"row 1 \(event_id R0001\): timing 'pre-open' contradicts the time 15:30 of "
        r"its date \(after-close, China time\)",
    ):
        _day0(events, ret)


def test_date_policy_is_one_function():
    values = pd.Series(["2024-05-13", "2024/05/13 15:30", "20240513", "2024-05-12T20:00:00-00:00"])
    got = parse_dates(values, what="x")
    assert (got.dates == pd.Timestamp("2024-05-13")).all()
    np.testing.assert_array_equal(got.minutes, [np.nan, 930.0, np.nan, 240.0])
    with pytest.raises(DataError, match=r"x: row 1 .*'13\.05\.2024'.*ambiguous"):
        parse_dates(pd.Series(["13.05.2024"]), what="x")


# --------------------------------------------------------------------------- class 8: ST list


def test_gbk_st_file_is_read_like_the_other_csv_files(tmp_path):
    path = tmp_path / "st.csv"
    text = "ticker,start,end,firm\n600186,2024-01-02,,莲花健康\n000004.SZ,2023/05/08,2024-01-05,国华网安\n"
    path.write_bytes(text.encode("gbk"))
    with pytest.warns(DataWarning, match=r"st\.csv: not UTF-8; read as GB18030"):
        st = read_st_csv(path)
    assert list(st["ticker"]) == ["600186.SS", "000004.SZ"]
    assert list(st["start"]) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2023-05-08")]
    assert pd.isna(st["end"].iloc[0]) and st["end"].iloc[1] == pd.Timestamp("2024-01-05")


def test_st_file_errors_are_clear(tmp_path):
    path = tmp_path / "st.csv"
    path.write_bytes(b"ticker,start\n600186,\xff\xff\n")
    with pytest.raises(DataError, match=r"st\.csv: neither UTF-8 nor GB18030 \(GBK\) text"):
        read_st_csv(path)
    path.write_text("code,start\n600186,2024-01-02\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column\(s\) \['ticker'\]"):
        read_st_csv(path)
    path.write_text("ticker,start,end\n600186,2024-01-09,2024-01-02\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 1 \(600186\.SS\) ends on 2024-01-02, before"):
        read_st_csv(path)
    path.write_text("ticker,start\n600186,09/01/2024\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"column 'start': row 1 .*ambiguous"):
        read_st_csv(path)


def test_cli_reads_a_gbk_st_file(ref, tmp_path: Path):
    returns, events, _ = ref
    cal, rp, stp = tmp_path / "cal.csv", tmp_path / "r.csv", tmp_path / "st.csv"
    events.to_csv(cal, index=False)
    returns.to_csv(rp, index=False)
    stp.write_bytes("ticker,start,firm\n600000.SH,2021-01-04,浦发银行\n".encode("gbk"))
    args = ["run", "--calendar", str(cal), "--returns", str(rp), "--market", "000300.SH"]
    args += ["--estimation-window=-130,-11", "--event-window=-5,5", "--car-window=-1,1"]
    args += ["--min-estimation-days", "100", "--no-leakage", "--st", str(stp)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert main([*args, "--out", str(tmp_path / "out")]) == 0  # was: UnicodeDecodeError
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    (period,) = summary["config"]["st"]
    assert period["ticker"] == "600000.SS" and period["start"] == "2021-01-04"
    assert not period["end"]  # still under warning
