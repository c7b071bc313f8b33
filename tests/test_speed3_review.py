"""Adversarial review of the fast paths of issue 12: regressions for what it found.

Each test feeds an input the fast paths' own tests did not have and checks
the outcome a plain computation gives: the same numbers, exclusions and
messages, and a library error rather than a traceback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import EventStudy
from eventstudy.align import align_panel
from eventstudy.exceptions import (
    CalendarError,
    CalendarWarning,
    DataError,
    NoEventsIncludedError,
)


def _returns(n_t: int = 6, n_days: int = 400, seed: int = 0) -> pd.DataFrame:
    """A wide panel: ``n_t`` firms and the market 000300.SH on business days."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2018-01-01", periods=n_days)
    m = rng.normal(0, 0.01, n_days)
    firms = 0.9 * m[:, None] + rng.normal(0, 0.02, (n_days, n_t))
    cols = [f"{600000 + i:06d}.SH" for i in range(n_t)] + ["000300.SH"]
    return pd.DataFrame(np.column_stack([firms, m]), index=days, columns=cols)


@pytest.mark.parametrize(
    "tickers",
    [
        [None, None],
        [np.nan, pd.NA],
        pd.Categorical([None, None]),
        pd.array([None, None], dtype="string"),
    ],
    ids=["none", "nan-na", "categorical", "string"],
)
def test_events_whose_tickers_are_all_missing_are_excluded_not_a_traceback(tickers) -> None:  # type: ignore[no-untyped-def]
    # every ticker missing: the distinct tickers are none at all (an IndexError before)
    ret = _returns()
    events = pd.DataFrame({"ticker": tickers, "date": [ret.index[300]] * 2})
    with pytest.raises(NoEventsIncludedError, match=r"all 2 events were excluded.*no ticker: 2"):
        EventStudy(events, ret, leakage=False, calendar_time=False).fit()


def test_a_missing_ticker_next_to_present_ones_is_excluded_as_no_ticker() -> None:
    ret = _returns()
    events = pd.DataFrame(
        {"ticker": [None, "600001.SH", "", "600002"], "date": [ret.index[300]] * 4}
    )
    with pytest.warns(CalendarWarning, match="600002 read as 600002.SS"):
        res = EventStudy(events, ret, leakage=False, calendar_time=False, tests=["csect_t"]).fit()
    exc = res.exclusions.set_index("event_id")["reason"]
    assert exc.to_dict() == {"R0001": "no ticker", "R0003": "no ticker"}
    assert res.events.set_index("event_id").loc[["R0002", "R0004"], "ticker"].tolist() == [
        "600001.SS",
        "600002.SS",
    ]


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_ticker_is_an_empty_ticker_in_long_and_wide_frames(blank: str) -> None:
    # a blank name was aligned as a firm called "" (long rows and a wide column alike)
    wide = _returns()
    long = wide.stack().rename("ret").rename_axis(["date", "ticker"]).reset_index()
    long.loc[10, "ticker"] = blank
    with pytest.raises(DataError, match=r"^returns: row 11 has an empty ticker$"):
        align_panel(long, "000300.SH")
    wide.columns = [*wide.columns[:2], blank, *wide.columns[3:]]
    with pytest.raises(DataError, match=r"^returns: row 3 has an empty ticker$"):
        align_panel(wide, "000300.SH")
    # a column no event reads is not looked at, as a missing name is not
    got = align_panel(wide, "000300.SH", tickers=["600001.SS"])
    assert got.tickers.tolist() == ["600001.SS"]


def test_a_wide_frame_with_two_column_levels_is_a_data_error() -> None:
    # yfinance's download shape (field, ticker): a TypeError from pandas before
    wide = _returns()
    wide.columns = pd.MultiIndex.from_product([["Close"], wide.columns])
    for tickers in (None, ["600001.SS"]):
        with pytest.raises(DataError, match=r"one level of column names.*found 2 levels"):
            align_panel(wide, "000300.SH", tickers=tickers)


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@pytest.mark.parametrize("stamp", ["2300-01-02", "1650-06-30T10:00"])
def test_a_datetime_beyond_the_nanosecond_years_names_its_row(unit: str, stamp: str) -> None:
    # a datetime64[s|ms|us] column holds years pandas' nanoseconds cannot: a pandas
    # OutOfBoundsDatetime before, from the day-number fast path as from the plain one
    wide = _returns()
    long = wide.stack().rename("ret").rename_axis(["date", "ticker"]).reset_index()
    long["date"] = long["date"].astype(f"datetime64[{unit}]")
    year = stamp[:4]
    long.loc[12, "date"] = np.datetime64(stamp, unit)
    with pytest.raises(DataError, match=rf"^returns: row 13 has .* \(year {year} out of range\)$"):
        align_panel(long, "000300.SH")
    events = pd.DataFrame(
        {
            "ticker": ["600001.SH"] * 2,
            "date": np.array(["2019-06-03", stamp], f"datetime64[{unit}]"),
        }
    )
    with pytest.raises(
        CalendarError, match=rf"^events: row 2 has .* \(year {year} out of range\)$"
    ):
        EventStudy(events, wide, leakage=False, calendar_time=False).fit()
