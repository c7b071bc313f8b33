"""Adversarial review of the fourth speed pass (issue 12): regressions for what it found.

Each test feeds an input the fast paths' own tests did not have and checks the
outcome a plain computation gives: the same numbers, exclusions and messages,
and a library error rather than a traceback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel

from eventstudy import EventStudy
from eventstudy.exceptions import CalendarError, DataError


def _study() -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    ret, tickers = make_panel(n_firms=6, n_days=400)
    dates = pd.DatetimeIndex(sorted(ret["date"].unique()))
    return make_events(tickers, dates, 8), ret, tickers


def _fit(events: pd.DataFrame, returns: pd.DataFrame) -> None:
    EventStudy(
        events, returns, leakage=False, calendar_time=False, tests=["csect_t", "patell", "bmp"]
    ).fit()


# A lone surrogate (what ``errors="surrogateescape"`` decoding leaves in a str) cannot
# be held by an arrow text column: building any frame column from it ended in a
# UnicodeEncodeError traceback, before and after the speed pass.
@pytest.mark.parametrize("column", ["event_id", "ticker", "timing", "note"])
def test_an_event_cell_with_a_lone_surrogate_is_named_not_a_traceback(column: str) -> None:
    events, ret, _ = _study()
    cells = ["pre-open"] * len(events) if column == "timing" else [f"x{i}" for i in range(8)]
    if column in events:
        cells = events[column].astype(object).tolist()
    cells[2] = "60\udc80"
    events[column] = pd.Series(cells, dtype=object)
    with pytest.raises(CalendarError, match=rf"events: row 3: the '{column}' .*not valid text"):
        _fit(events, ret)


def test_a_returns_ticker_with_a_lone_surrogate_is_named_by_its_first_row() -> None:
    events, ret, tickers = _study()
    bad = np.where(ret["ticker"] == tickers[-1], "\udc80", ret["ticker"].to_numpy(dtype=object))
    ret["ticker"] = pd.Series(bad, dtype=object)
    first = int(np.flatnonzero(bad == "\udc80")[0]) + 1
    with pytest.raises(DataError, match=rf"returns: row {first}: the ticker .*not valid text"):
        _fit(events, ret)


def test_a_wide_column_name_with_a_lone_surrogate_is_named_by_its_column() -> None:
    events, ret, tickers = _study()
    wide = ret.pivot(index="date", columns="ticker", values="ret")
    cols = [str(c) for c in wide.columns]
    j = cols.index(tickers[-1])
    cols[j] = "\udc80"
    wide.columns = pd.Index(cols, dtype=object)
    with pytest.raises(DataError, match=rf"returns: column {j + 1}: the column name .*not valid"):
        _fit(events, wide)


def test_ordinary_text_passes_the_utf8_check_unchanged() -> None:
    from eventstudy.tickers import check_utf8

    check_utf8(
        pd.Series(["算力租赁", "a\x00b", None, 3, "\U0001f600"], dtype=object), "x", "y", DataError
    )
    with pytest.raises(DataError, match=r"x: row 4: the y '\\ud800' is not valid text"):
        check_utf8(["a", None, 5, "\ud800"], "x", "y", DataError)
