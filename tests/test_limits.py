"""Boards, the dated price-limit table and limit prices (hand-worked cases)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventstudy.exceptions import EventStudyError
from eventstudy.market import (
    BOARDS,
    LIMIT_RULES,
    NO_LIMIT_CENTS,
    board_of,
    boards_of,
    close_under_limits,
    limit_for,
    limit_fractions,
    limit_prices,
    limit_table,
    random_tickers,
    tick_round,
)
from eventstudy.market.limits import LimitRule, _check_rules


def _prices(prev: float, limit: float) -> tuple[float, float]:
    up, down = limit_prices(prev, limit)
    return float(up), float(down)


# --------------------------------------------------------------------------- boards


@pytest.mark.parametrize(
    ("ticker", "board"),
    [
        ("600186.SS", "sse_main"),
        ("601318.SS", "sse_main"),
        ("603629.SS", "sse_main"),
        ("605255.SS", "sse_main"),
        ("600186.SH", "sse_main"),
        ("SH600186", "sse_main"),
        ("000628.SZ", "szse_main"),
        ("001979.SZ", "szse_main"),
        ("002229.SZ", "szse_main"),
        ("003816.SZ", "szse_main"),
        ("300657.SZ", "chinext"),
        ("301236.SZ", "chinext"),
        ("688041.SS", "star"),
        ("689009.SS", "star"),
        ("830799.BJ", "bse"),
        ("870299.BJ", "bse"),
        ("430047.BJ", "bse"),
        ("920001.BJ", "bse"),
        ("430047", "bse"),
        ("889999.BJ", "bse"),
        ("000300.SS", "other"),
        ("000001.SS", "other"),
        ("399006.SZ", "other"),
        ("899050.BJ", "other"),
        ("900901.SS", "other"),
        ("200002.SZ", "other"),
        ("AAPL", "other"),
        ("", "other"),
    ],
)
def test_board_of(ticker: str, board: str) -> None:
    assert board_of(ticker) == board


def test_boards_of_keeps_index_and_handles_missing() -> None:
    s = pd.Series(["600186.SS", None, "300657.SZ"], index=[10, 11, 12])
    out = boards_of(s)
    assert list(out.index) == [10, 11, 12]
    assert list(out) == ["sse_main", "other", "chinext"]


def test_random_tickers_distinct_and_on_their_board() -> None:
    rng = np.random.default_rng(0)
    taken = {"600000.SS"}
    got = random_tickers(rng, 500, mix={"sse_main": 0.5, "chinext": 0.3, "bse": 0.2}, exclude=taken)
    assert len(set(got)) == 500 and not taken & set(got)
    assert set(map(board_of, got)) == {"sse_main", "chinext", "bse"}


# --------------------------------------------------------------------------- rule table


def test_table_is_data_with_sources() -> None:
    table = limit_table()
    assert list(table.columns) == [
        "board",
        "st",
        "limit",
        "effective_from",
        "effective_to",
        "source",
    ]
    assert len(table) == len(LIMIT_RULES)
    assert set(table["board"]) <= set(BOARDS)
    assert table["source"].str.len().min() > 40


def test_overlapping_rules_are_rejected() -> None:
    rows = (
        LimitRule("star", False, 0.2, dt.date(2019, 7, 22), None, "x"),
        LimitRule("star", False, 0.1, dt.date(2020, 1, 1), None, "y"),
    )
    with pytest.raises(EventStudyError, match="overlap"):
        _check_rules(rows)


def test_main_board_ten_percent() -> None:
    assert limit_for("sse_main", "2023-06-02") == 0.10
    assert limit_for("szse_main", "2021-01-04") == 0.10


def test_chinext_reform_dates() -> None:
    assert limit_for("chinext", "2020-08-21") == 0.10
    assert limit_for("chinext", "2020-08-24") == 0.20
    assert limit_for("chinext", "2020-08-24", st=True) == 0.20


def test_star_twenty_percent_since_launch() -> None:
    assert limit_for("star", "2019-07-22") == 0.20
    assert np.isnan(limit_for("star", "2019-07-19"))


def test_st_main_board_five_then_ten_percent() -> None:
    assert limit_for("sse_main", "2024-05-13", st=True) == 0.05
    assert limit_for("szse_main", "2025-07-04", st=True) == 0.05
    assert limit_for("szse_main", "2025-07-07", st=True) == 0.10


def test_beijing_thirty_percent_from_opening() -> None:
    assert limit_for("bse", "2021-11-15") == 0.30
    assert np.isnan(limit_for("bse", "2021-11-12"))
    assert np.isnan(limit_for("other", "2024-01-02"))


def test_unknown_board_name_is_rejected() -> None:
    with pytest.raises(EventStudyError, match="unknown board"):
        limit_for("growth", "2024-01-02")


def test_limit_fractions_broadcasts_boards_against_dates() -> None:
    boards = np.array(["chinext", "sse_main", "sse_main"], dtype=object)
    st_flag = np.array([False, False, True])
    dates = pd.DatetimeIndex(["2020-08-21", "2020-08-24", "2025-07-07"])
    out = limit_fractions(boards[:, None], dates.values[None, :], st_flag[:, None])
    expected = np.array([[0.10, 0.20, 0.20], [0.10, 0.10, 0.10], [0.05, 0.05, 0.10]])
    np.testing.assert_array_equal(out, expected)
    nat = limit_fractions(["sse_main"], np.array(["NaT"], dtype="datetime64[ns]"))
    assert np.isnan(nat[0])


# --------------------------------------------------------------------------- limit prices


def test_ten_percent_from_9_99() -> None:
    # 9.99 * 1.1 = 10.989 -> 10.99; 9.99 * 0.9 = 8.991 -> 8.99
    assert _prices(9.99, 0.10) == (10.99, 8.99)


def test_st_five_percent() -> None:
    # 3.33 * 1.05 = 3.4965 -> 3.50; 3.33 * 0.95 = 3.1635 -> 3.16
    assert _prices(3.33, limit_for("sse_main", "2024-01-02", st=True)) == (3.50, 3.16)


def test_star_and_chinext_twenty_percent() -> None:
    # 25.55 * 1.2 = 30.66; 25.55 * 0.8 = 20.44
    assert _prices(25.55, limit_for("star", "2024-01-02")) == (30.66, 20.44)
    assert _prices(25.55, limit_for("chinext", "2020-08-24")) == (30.66, 20.44)
    assert _prices(25.55, limit_for("chinext", "2020-08-21")) == (28.11, 23.00)


def test_beijing_thirty_percent() -> None:
    # 10.01 * 1.3 = 13.013 -> 13.01; 10.01 * 0.7 = 7.007 -> 7.01
    assert _prices(10.01, limit_for("bse", "2022-03-01")) == (13.01, 7.01)


@pytest.mark.parametrize(
    ("prev", "limit", "expected"),
    [
        (2.25, 0.10, (2.48, 2.03)),  # 2.475 -> 2.48; 2.025 (float 2.0249999...) -> 2.03
        (4.45, 0.10, (4.90, 4.01)),  # 4.005 (float 4.00499999...) -> 4.01
        (10.05, 0.10, (11.06, 9.05)),  # 11.055 -> 11.06; 9.045 -> 9.05
        (1.15, 0.10, (1.27, 1.04)),  # 1.265 -> 1.27; 1.035 -> 1.04
        (0.45, 0.10, (0.50, 0.41)),  # 0.495 -> 0.50; 0.405 -> 0.41
    ],
)
def test_half_up_rounding(prev: float, limit: float, expected: tuple[float, float]) -> None:
    assert _prices(prev, limit) == expected


def test_nan_limit_gives_nan_prices_and_vectorises() -> None:
    up, down = limit_prices(np.array([9.99, 10.0, 10.0]), np.array([0.1, 0.2, np.nan]))
    np.testing.assert_array_equal(up[:2], [10.99, 12.0])
    np.testing.assert_array_equal(down[:2], [8.99, 8.0])
    assert np.isnan(up[2]) and np.isnan(down[2])


def test_tick_round_half_up() -> None:
    np.testing.assert_array_equal(
        tick_round([10.005, 2.025, 1.004999, 7.0]), [10.01, 2.03, 1.0, 7.0]
    )


@given(
    cents=st.integers(min_value=1, max_value=5_000_000), bp=st.sampled_from([500, 1000, 2000, 3000])
)
def test_limit_prices_match_integer_arithmetic(cents: int, bp: int) -> None:
    up, down = limit_prices(cents / 100, bp / 10_000)
    assert round(float(up) * 100) == (cents * (10_000 + bp) + 5_000) // 10_000
    assert round(float(down) * 100) == (cents * (10_000 - bp) + 5_000) // 10_000


# --------------------------------------------------------------------------- spill-over


def test_close_under_limits_spills_a_thirty_percent_jump() -> None:
    latent = np.array([[1300], [1300], [1300], [1300]], dtype=np.int64)
    bp = np.full((4, 1), 1000)
    close, prev, up, down = close_under_limits(latent, bp, np.ones((4, 1), bool), np.array([1000]))
    assert close[:, 0].tolist() == [1100, 1210, 1300, 1300]
    assert prev[:, 0].tolist() == [1000, 1100, 1210, 1300]
    assert up[:, 0].tolist() == [1100, 1210, 1331, 1430]
    assert down[:, 0].tolist() == [900, 990, 1089, 1170]


def test_close_under_limits_suspension_and_no_limit() -> None:
    latent = np.array([[1300, 1300], [1300, 1300], [1300, 1300]], dtype=np.int64)
    bp = np.array([[1000, -1]] * 3)
    traded = np.array([[False, True], [True, True], [True, True]])
    close, prev, up, _ = close_under_limits(latent, bp, traded, np.array([1000, 1000]))
    # suspended on day 0: day 1 is limited against the last traded close (1000)
    assert close[1:, 0].tolist() == [1100, 1210]
    assert prev[1, 0] == 1000
    assert close[:, 1].tolist() == [1300, 1300, 1300]
    assert (up[:, 1] == NO_LIMIT_CENTS).all()
