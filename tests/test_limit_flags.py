"""Per-day limit flags from prices, streaks after day 0 (hand-worked cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.exceptions import DataError
from eventstudy.market.flags import limit_flags
from eventstudy.market.streaks import limit_streaks


def _frame(ticker: str, dates: list[str], closes: list[float], **cols: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(dates), "ticker": ticker, "close": closes, **cols})


def _flags(df: pd.DataFrame, **kw) -> pd.DataFrame:
    return limit_flags(df, **kw).frame().set_index(["date", "ticker"]).sort_index()


def test_main_board_from_9_99_limit_10_99():
    df = _frame("600000.SS", ["2024-03-01", "2024-03-04", "2024-03-05"], [9.99, 10.99, 10.98])
    f = _flags(df)
    assert f["status"].iloc[0] == "no reference close" and pd.isna(f["limit_up"].iloc[0])
    assert bool(f["limit_up"].iloc[1]) and not bool(f["limit_down"].iloc[1])
    assert f["limit"].iloc[1] == pytest.approx(0.10)
    # 10.99 * 1.1 = 12.089 -> 12.09; 10.98 is not the limit
    assert not bool(f["limit_up"].iloc[2])


def test_chinext_ten_then_twenty_percent():
    # 2020-08-21: +10% is the limit; 2020-08-24: +10% is not, +20% is
    df = _frame(
        "300001.SZ",
        ["2020-08-20", "2020-08-21", "2020-08-24", "2020-08-25"],
        [10.00, 11.00, 12.10, 14.52],
    )
    f = _flags(df)
    assert list(f["limit"].iloc[1:]) == pytest.approx([0.10, 0.20, 0.20])
    assert list(f["limit_up"].iloc[1:].astype(bool)) == [True, False, True]


def test_star_twenty_and_beijing_thirty():
    star = _frame("688001.SS", ["2023-05-04", "2023-05-05"], [50.00, 60.00])
    bse = _frame("830799.BJ", ["2023-05-04", "2023-05-05"], [8.88, 11.54])
    f = _flags(pd.concat([star, bse]))
    # 50 * 1.2 = 60.00; 8.88 * 1.3 = 11.544 -> 11.54 (half-up at the tick)
    assert bool(f.loc[(pd.Timestamp("2023-05-05"), "688001.SS"), "limit_up"])
    assert bool(f.loc[(pd.Timestamp("2023-05-05"), "830799.BJ"), "limit_up"])
    assert f.loc[(pd.Timestamp("2023-05-05"), "830799.BJ"), "limit"] == pytest.approx(0.30)


def test_st_main_board_five_percent_from_the_st_list():
    df = _frame("600001.SS", ["2024-03-01", "2024-03-04", "2024-03-05"], [4.00, 4.20, 3.99])
    no_st = _flags(df)
    # without the ST list, 4.20 (+5%) is not a 10% limit-up close
    assert not bool(no_st["limit_up"].iloc[1])
    st = pd.DataFrame({"ticker": ["600001.SH"], "start": ["2024-01-01"], "end": [None]})
    f = _flags(df, st=st)
    assert f["limit"].iloc[1] == pytest.approx(0.05)
    assert bool(f["limit_up"].iloc[1])  # 4.00 * 1.05 = 4.20
    assert bool(f["limit_down"].iloc[2])  # 4.20 * 0.95 = 3.99
    with pytest.raises(DataError, match="start"):
        limit_flags(df, st=pd.DataFrame({"ticker": ["600001.SS"], "start": ["soon"]}))


def test_half_up_rounding_at_the_tick():
    # 2.25 * 1.1 = 2.475 -> 2.48 (half-up), 2.25 * 0.9 = 2.025 -> 2.03
    df = _frame("600002.SS", ["2024-03-01", "2024-03-04", "2024-03-05"], [2.25, 2.48, 2.25])
    f = _flags(df)
    assert bool(f["limit_up"].iloc[1])
    df2 = _frame("600002.SS", ["2024-03-01", "2024-03-04"], [2.25, 2.03])
    assert bool(_flags(df2)["limit_down"].iloc[1])


def test_locked_and_broken_days():
    df = _frame(
        "000001.SZ",
        ["2024-03-01", "2024-03-04", "2024-03-05", "2024-03-06"],
        [10.00, 11.00, 12.00, 12.50],
        open=[10.0, 11.00, 11.50, 12.8],
        high=[10.0, 11.00, 12.10, 13.0],
        low=[10.0, 11.00, 11.40, 12.4],
    )
    f = _flags(df)
    assert bool(f["locked"].iloc[1]) and bool(f["limit_up"].iloc[1])  # one-price day
    # 11.00 * 1.1 = 12.10: high at the limit, close below -> broken
    assert bool(f["broken"].iloc[2]) and not bool(f["limit_up"].iloc[2])
    assert not bool(f["broken"].iloc[3])


def test_new_listing_days_are_unlimited():
    old = _frame("600003.SS", [f"2024-03-{d:02d}" for d in (1, 4, 5, 6, 7, 8, 11)], [10.0] * 7)
    new = _frame(
        "301999.SZ",
        [f"2024-03-{d:02d}" for d in (4, 5, 6, 7, 8, 11)],
        [30.0, 45.0, 60.0, 50.0, 60.0, 72.0],
    )
    f = _flags(pd.concat([old, new])).xs("301999.SZ", level="ticker")
    assert list(f["status"].iloc[:5]) == ["unlimited (new listing)"] * 5
    assert not f["limit_up"].iloc[:5].astype(bool).any()  # no limit: never a limit-up close
    assert f["status"].iloc[5] == "known" and bool(f["limit_up"].iloc[5])  # 60 * 1.2 = 72
    # an explicit listing date overrides the inference
    g = limit_flags(pd.concat([old, new]), listings={"600003.SH": "2024-03-06"}).frame()
    old_rows = g[g["ticker"] == "600003.SS"]
    assert list(old_rows["status"])[3:] == ["unlimited (new listing)"] * 4  # rows from 03-06
    assert list(old_rows["status"])[1:3] == ["known", "known"]
    # tickers not in the mapping keep the inferred listing
    assert (g[g["ticker"] == "301999.SZ"]["status"] == "unlimited (new listing)").sum() == 5


def test_ex_dividend_and_split_days_are_unknown():
    df = _frame(
        "600004.SS",
        ["2024-06-03", "2024-06-04", "2024-06-05", "2024-06-06"],
        [10.00, 10.50, 11.55, 6.35],
        dividend=[0.0, 0.5, 0.0, 0.0],
        split=[0.0, 0.0, 0.0, 2.0],
    )
    f = _flags(df)
    assert f["status"].iloc[1].startswith("ex-date") and pd.isna(f["limit_up"].iloc[1])
    assert bool(f["limit_up"].iloc[2])  # 10.50 * 1.1 = 11.55
    assert f["status"].iloc[3].startswith("ex-date")


def test_close_beyond_the_limit_is_unknown_and_index_has_no_rule():
    df = pd.concat(
        [
            _frame("600005.SS", ["2024-03-01", "2024-03-04"], [10.00, 11.50]),
            _frame("000300.SS", ["2024-03-01", "2024-03-04"], [3500.0, 3600.0]),
        ]
    )
    f = _flags(df)
    assert f.loc[(pd.Timestamp("2024-03-04"), "600005.SS"), "status"].startswith("close beyond")
    assert f.loc[(pd.Timestamp("2024-03-04"), "000300.SS"), "status"].startswith("no limit rule")


def test_prev_close_column_is_the_reference():
    # after a suspension the reference is the last traded close, given by prev_close
    df = _frame("600006.SS", ["2024-03-01", "2024-03-06"], [10.0, 11.0], prev_close=[9.9, 10.0])
    assert bool(_flags(df)["limit_up"].iloc[1])


def _streaks(up, status=None, locked=None, taus=None):
    up = np.array([up], dtype=np.int8)
    status = np.zeros_like(up) if status is None else np.array([status], dtype=np.int8)
    locked = np.zeros_like(up) if locked is None else np.array([locked], dtype=np.int8)
    taus = np.arange(-2, up.shape[1] - 2) if taus is None else taus
    return limit_streaks(up, status, locked, taus)


def test_five_days_four_limit_ups():
    # days -2..+6: limit-up on 0, 1, 3, 4 ("五天四板"), open on +2 and +5
    s = _streaks([0, 0, 1, 1, 0, 1, 1, 0, 0])
    assert s.limit_ups_0_4[0] == 4
    assert s.first_run[0] == 2
    assert s.first_open_day[0] == 2


def test_suspension_inside_a_streak_and_unknown_flags():
    # day +1 suspended (no price): the run continues through it
    s = _streaks([0, 0, 1, -1, 1, 0, 0], status=[0, 0, 0, 2, 0, 0, 0])
    assert s.first_run[0] == 2 and s.first_open_day[0] == 3 and s.limit_ups_0_4[0] == 2
    # an unknown flag (ex-date) before the first open day: unknown
    u = _streaks([0, 0, 1, -1, 0, 0, 0], status=[0, 0, 0, 5, 0, 0, 0])
    assert np.isnan(u.first_open_day[0]) and np.isnan(u.limit_ups_0_4[0])
    assert "unknown" in u.note[0]
    # still limit-up at the end of the window
    e = _streaks([0, 0, 1, 1, 1])
    assert np.isnan(e.first_open_day[0]) and "end of the event window" in e.note[0]
    # no limit-up at all: day 0 is the first open day
    z = _streaks([0, 0, 0, 0, 0, 0, 0])
    assert z.first_open_day[0] == 0 and z.first_run[0] == 0 and z.limit_ups_0_4[0] == 0


def test_locked_share_and_pre_event_count():
    s = _streaks([1, 0, 1, 1, 0, 0, 0], locked=[1, 0, 1, 0, 0, 0, 0], taus=np.arange(-2, 5))
    assert s.locked_share[0] == pytest.approx(2 / 7)
    assert s.limit_ups_pre[0] == 1


def test_off_tick_close_is_unknown():
    # a split-adjusted Yahoo close is not on the 0.01 tick
    df = _frame("600007.SS", ["2024-03-01", "2024-03-04"], [10.0, 31.0 / 3.0])
    f = _flags(df)
    assert f["status"].iloc[1].startswith("close not on the 0.01 tick")
    assert pd.isna(f["limit_up"].iloc[1])


def test_listing_free_sessions_by_board_and_date():
    from eventstudy.market.flags import listing_free_sessions

    assert listing_free_sessions("sse_main", "2021-06-01") == 1
    assert listing_free_sessions("sse_main", "2023-04-10") == 5
    assert listing_free_sessions("chinext", "2020-08-21") == 1
    assert listing_free_sessions("chinext", "2020-08-24") == 5
    assert listing_free_sessions("star", "2019-07-22") == 5
    assert listing_free_sessions("bse", "2022-01-05") == 1
    old = _frame("600008.SS", ["2021-06-01", "2021-06-02", "2021-06-03"], [10.0, 10.0, 10.0])
    new = _frame("603999.SS", ["2021-06-02", "2021-06-03"], [14.4, 15.84])
    f = _flags(pd.concat([old, new])).xs("603999.SS", level="ticker")
    # main board, listed in 2021: the listing day is free, the next day has the 10% rule
    assert f["status"].iloc[0] == "unlimited (new listing)"
    assert f["status"].iloc[1] == "known" and bool(f["limit_up"].iloc[1])
    # a listing before the ticker's first row marks nothing
    g = _flags(pd.concat([old, new]), listings={"603999.SS": "2021-05-01"})
    assert (g.xs("603999.SS", level="ticker")["status"] != "unlimited (new listing)").all()


def test_first_run_unknown_when_day0_flag_unknown():
    s = _streaks([0, 0, -1, 1, 1, 0, 0], status=[0, 0, 5, 0, 0, 0, 0])
    assert np.isnan(s.first_run[0]) and np.isnan(s.first_open_day[0])
