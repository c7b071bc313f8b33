"""Speed pass 4 (issue 12): day 0 and overlaps against plain reference code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.calendar.sessions import align_day0
from eventstudy.exceptions import CalendarError
from eventstudy.overlap import find_overlaps
from eventstudy.windows import Window


def _reference_day0(dates: pd.Series, timings: list[str], sess: pd.DatetimeIndex) -> np.ndarray:
    out = []
    s = list(sess)
    for d, t in zip(dates, timings, strict=True):
        if pd.isna(d):
            out.append(-1)
            continue
        day = pd.Timestamp(d).normalize()
        if t == "after-close":
            out.append(sum(x <= day for x in s))
        else:
            out.append(sum(x < day for x in s))
    return np.array(out)


@pytest.mark.parametrize("seed", range(4))
def test_align_day0_matches_a_plain_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cal = pd.bdate_range("2024-01-01", periods=60)
    sess = cal[np.sort(rng.choice(len(cal), 40, replace=False))]
    days = pd.date_range("2023-12-20", "2024-04-10")
    dates = pd.Series(days[rng.integers(0, len(days), 200)])
    dates[rng.random(200) < 0.1] = pd.NaT
    kinds = ["pre-open", "intraday", "after-close", "unknown"]
    timings = [kinds[i] for i in rng.integers(0, 4, 200)]
    pos, day0 = align_day0(dates, pd.Series(timings, dtype="str"), sess)
    want = _reference_day0(dates, timings, sess)
    np.testing.assert_array_equal(pos, want)
    placed = (want >= 0) & (want < len(sess))
    assert (day0[placed] == sess[want[placed]]).all()
    assert day0[~placed].isna().all()


def test_align_day0_names_unknown_timings_in_order_of_appearance() -> None:
    sess = pd.bdate_range("2024-01-01", periods=5)
    dates = pd.Series(pd.to_datetime(["2024-01-02"] * 4))
    with pytest.raises(CalendarError, match=r"\['noon', None\]"):
        align_day0(dates, pd.Series(["unknown", "noon", None, "noon"], dtype=object), sess)


@pytest.mark.parametrize("seed", range(4))
def test_find_overlaps_matches_all_pairs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    tk = rng.integers(0, 12, n)
    d0 = rng.integers(0, 200, n)
    active = rng.random(n) > 0.2
    win = Window(-3, 5)
    got = find_overlaps(tk, d0, active, win)
    want = [
        (i, j, d0[j] - d0[i])
        for i in range(n)
        for j in range(n)
        if active[i] and active[j] and tk[i] == tk[j] and 1 <= d0[j] - d0[i] <= 5
    ]
    assert list(zip(got["i"], got["j"], got["apart"], strict=True)) == sorted(want)


def test_prices_with_two_column_levels_name_the_shape() -> None:
    from eventstudy import EventStudy
    from eventstudy.exceptions import DataError

    days = pd.bdate_range("2023-01-02", periods=300)
    rng = np.random.default_rng(0)
    closes = 10 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 2)), axis=0))
    cols = pd.MultiIndex.from_tuples([("Close", "600519.SS"), ("Close", "000300.SS")])
    prices = pd.DataFrame(closes, index=days, columns=cols)
    events = pd.DataFrame({"event_id": ["a"], "ticker": ["600519.SS"], "date": [days[280]]})
    with pytest.raises(DataError, match=r"2 levels, e\.g\. \('Close', '600519\.SS'\).*Close"):
        EventStudy(events, prices=prices).fit()
    # the remedy the message names works
    res = EventStudy(
        events, prices=prices["Close"], estimation_window=(-200, -11), event_window=(-5, 5)
    ).fit()
    assert res.n_included == 1


def test_one_level_multiindex_columns_read_as_plain_names() -> None:
    from eventstudy import EventStudy

    days = pd.bdate_range("2023-01-02", periods=300)
    rng = np.random.default_rng(1)
    cols = pd.MultiIndex.from_arrays([["600519.SS", "000300.SS"]])
    assert cols.nlevels == 1
    rets = pd.DataFrame(rng.normal(0, 0.01, (300, 2)), index=days, columns=cols)
    closes = pd.DataFrame(
        10 * np.exp(np.cumsum(rng.normal(0, 0.01, (300, 2)), axis=0)), index=days, columns=cols
    )
    events = pd.DataFrame({"event_id": ["a"], "ticker": ["600519.SS"], "date": [days[280]]})
    kw = dict(estimation_window=(-200, -11), event_window=(-5, 5))
    flat = rets.set_axis(["600519.SS", "000300.SS"], axis=1)
    plain = EventStudy(events, flat, **kw).fit()
    res = EventStudy(events, rets, **kw).fit()
    pd.testing.assert_frame_equal(res.car, plain.car)
    assert EventStudy(events, prices=closes, **kw).fit().n_included == 1


def test_align_day0_names_a_pandas_na_timing() -> None:
    sess = pd.bdate_range("2024-01-01", periods=5)
    dates = pd.Series(pd.to_datetime(["2024-01-02"] * 2))
    with pytest.raises(CalendarError, match=r"unknown timing value\(s\) \[<NA>\]"):
        align_day0(dates, pd.Series(["unknown", pd.NA], dtype=object), sess)


def test_overlap_lists_keep_ids_with_trailing_nuls() -> None:
    import warnings

    from eventstudy import EventStudy, simulate_market

    sim = simulate_market(None, seed=1, start="2021-01-04", end="2022-12-30", n_firms=5)
    r = sim.panel.returns
    t = sorted(set(r["ticker"]) - {"000300.SS"})[0]
    d = pd.DatetimeIndex(sorted(r["date"].unique()))
    ids = ["a\x00", "b", "c\x00\x00"]
    ev = pd.DataFrame({"event_id": ids, "ticker": [t] * 3, "date": [d[300], d[303], d[306]]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = EventStudy(ev, r).fit()
        first = EventStudy(ev, r, overlap="first").fit()
    assert res.events["overlaps_with"].tolist() == ["b;c\x00\x00", "a\x00;c\x00\x00", "a\x00;b"]
    assert res.overlaps["event_id"].tolist() == ["a\x00", "a\x00", "b"]
    assert res.overlaps["other"].tolist() == ["b", "c\x00\x00", "c\x00\x00"]
    assert "(a\x00, day 0 3 trading days earlier" in first.events["reason"].iloc[1]


def test_non_numeric_return_names_the_ticker_as_given() -> None:
    from eventstudy.align import align_panel
    from eventstudy.exceptions import DataError

    days = pd.bdate_range("2024-01-01", periods=4)
    frame = pd.DataFrame(
        {
            "date": list(days) * 2,
            "ticker": ["000300.SS"] * 4 + ["600186.SH"] * 4,
            "ret": ["0.01", "0.02", "-0.01", "0.0", "0.01", "abc", "0.02", "0.01"],
        }
    )
    with pytest.raises(DataError, match=r"row 6 \(600186\.SH, 2024-01-02\) has a non-numeric"):
        align_panel(frame, "000300.SS")


@pytest.mark.parametrize("where", ["categorical id", "column name"])
def test_lone_surrogates_in_categories_and_column_names_are_named(where: str) -> None:
    from eventstudy import EventStudy, simulate_market

    sim = simulate_market(None, seed=1, start="2021-01-04", end="2022-12-30", n_firms=3)
    r = sim.panel.returns
    t = sorted(set(r["ticker"]) - {"000300.SS"})[0]
    d = pd.DatetimeIndex(sorted(r["date"].unique()))
    ev = pd.DataFrame({"event_id": ["a", "b"], "ticker": [t, t], "date": [d[300], d[330]]})
    if where == "categorical id":
        ev["event_id"] = pd.Categorical(pd.Index(["a", "\udc80"], dtype=object))
        match = r"events: row 2: the 'event_id' '\\udc80' is not valid text"
    else:
        ev.columns = pd.Index(["event_id", "ticker", "date"], dtype=object)
        ev["x\udc80"] = 1.0
        match = r"events: column 4: the column name 'x\\udc80' is not valid text"
    with pytest.raises(CalendarError, match=match):
        EventStudy(ev, r).fit()
