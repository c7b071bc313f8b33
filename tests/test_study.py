"""The study end to end on small synthetic panels: validation, exclusions, invariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy import EventStudy
from eventstudy.exceptions import (
    CalendarError,
    DataError,
    EventStudyError,
    NoEventsIncludedError,
    WindowError,
)
from eventstudy.inference import TESTS

CFG = dict(
    estimation_window=(-200, -11),
    event_window=(-5, 5),
    min_estimation_days=150,
    car_windows=[(-5, -1), (0, 1), (-5, 5)],
)


@pytest.fixture(scope="module")
def panel():
    returns, tickers = make_panel()
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    return returns, tickers, dates


def fit(events, returns, **kw):
    cfg = {**CFG, **kw}
    return EventStudy(events, returns, **cfg).fit()


# ------------------------------------------------------------------ bad input


def test_calendar_without_date_column(panel):
    returns, tickers, _ = panel
    with pytest.raises(CalendarError, match="date"):
        fit(pd.DataFrame({"ticker": tickers[:2]}), returns)


def test_unparseable_date_names_row(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 3).astype({"date": str})
    ev.loc[1, "date"] = "2021-13-45"
    with pytest.raises(CalendarError, match=r"row 2.*2021-13-45|2021-13-45.*row 2"):
        fit(ev, returns)


def test_duplicate_returns_rows(panel):
    returns, tickers, dates = panel
    dup = pd.concat([returns, returns.iloc[[500]]], ignore_index=True)
    with pytest.raises(DataError, match=r"duplicate \(date, ticker\).*row 501"):
        fit(make_events(tickers, dates, 3), dup)


@pytest.mark.parametrize(
    ("value", "match"), [("abc", "non-numeric return 'abc'"), (np.inf, "infinite return")]
)
def test_bad_return_values(panel, value, match):
    returns, tickers, dates = panel
    bad = returns.astype({"ret": object})
    bad.loc[777, "ret"] = value
    t = bad.loc[777, "ticker"]
    with pytest.raises(DataError, match=rf"row 778 \({t}.*{match}"):
        fit(make_events(tickers, dates, 3), bad)


def test_window_start_after_end(panel):
    returns, tickers, dates = panel
    with pytest.raises(WindowError, match="start > end"):
        fit(make_events(tickers, dates, 3), returns, car_windows=[(2, 1)])


def test_estimation_overlaps_event_window(panel):
    returns, tickers, dates = panel
    with pytest.raises(WindowError, match="overlaps the event window"):
        fit(make_events(tickers, dates, 3), returns, estimation_window=(-200, -3))


def test_market_ticker_absent(panel):
    returns, tickers, dates = panel
    with pytest.raises(DataError, match="market ticker '399006.SZ' is absent"):
        fit(make_events(tickers, dates, 3), returns, market="399006.SZ")


def test_unknown_model_and_test_names(panel):
    returns, tickers, dates = panel
    with pytest.raises(EventStudyError, match="choose one of"):
        fit(make_events(tickers, dates, 3), returns, model="fama-french")
    with pytest.raises(EventStudyError, match="choose from"):
        fit(make_events(tickers, dates, 3), returns, tests=["nope"])


# ------------------------------------------------------------------ exclusions


def test_single_event_problems_exclude_not_stop(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 6)
    ev.loc[0, "ticker"] = "688999.SS"  # not in the panel
    ev.loc[1, "date"] = dates[100]  # too few estimation days (only 89 before)
    ev.loc[2, "date"] = dates[-2]  # event window past the data
    ev.loc[3, "ticker"] = ev.loc[4, "ticker"]
    ev.loc[3, "date"] = ev.loc[4, "date"]  # duplicate of E005? (E004 comes first)
    # a firm that never trades
    empty = pd.DataFrame({"date": dates, "ticker": "600999.SS", "ret": np.nan})
    ev.loc[5, "ticker"] = "600999.SS"
    res = fit(ev, pd.concat([returns, empty], ignore_index=True))
    out = res.events.set_index("event_id")
    assert len(out) == 6
    assert out.loc["E001", "reason"] == "unknown ticker (not in the return panel)"
    assert out.loc["E002", "reason"].startswith("too few estimation days (90 < 150)")
    assert out.loc["E003", "reason"] == "event window past the end of the data"
    assert out.loc["E005", "reason"] == "duplicate of E004 (same ticker and day 0)"
    assert out.loc["E006", "reason"] == "no price data for the ticker"
    assert out.loc["E004", "status"] == "included"
    assert res.n_included == 1
    assert set(res.exclusions["event_id"]) == {"E001", "E002", "E003", "E005", "E006"}


def test_suspended_day0_and_gaps(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 2)
    d0 = ev.loc[0, "date"]
    # E001: no row on day 0 -> excluded; E002: a gap on day +2 -> included, flagged
    d2 = dates[dates.get_loc(ev.loc[1, "date"]) + 2]
    drop = ((returns["ticker"] == ev.loc[0, "ticker"]) & (returns["date"] == d0)) | (
        (returns["ticker"] == ev.loc[1, "ticker"]) & (returns["date"] == d2)
    )
    res = fit(ev, returns[~drop])
    out = res.events.set_index("event_id")
    assert out.loc["E001", "reason"] == "no return on day 0 (suspended or not traded)"
    assert out.loc["E002", "status"] == "included"
    assert out.loc["E002", "missing_event_days"] == 1
    car = res.car.set_index(["event_id", "start", "end"])
    assert car.loc[("E002", -5, 5), "n_missing"] == 1
    assert car.loc[("E002", -5, 5), "n_days"] == 10
    assert res.aar.set_index("tau").loc[2, "n"] == 0  # the only event has no AR there


def test_weekend_date_rolls_forward_and_after_close(panel):
    returns, tickers, dates = panel
    sat = dates[300] - pd.Timedelta(
        days=dates[300].weekday() - 5 if dates[300].weekday() < 5 else 0
    )
    sat = pd.Timestamp(sat)
    while sat.weekday() != 5:
        sat += pd.Timedelta(days=1)
    ev = pd.DataFrame(
        {
            "event_id": ["A", "B"],
            "ticker": tickers[:2],
            "date": [sat, dates[300]],
            "timing": ["unknown", "after-close"],
        }
    )
    res = fit(ev, returns)
    out = res.events.set_index("event_id")
    assert out.loc["A", "day0"] == sat + pd.Timedelta(days=2)
    assert out.loc["B", "day0"] == dates[301]


def test_max_loss_raises(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 4)
    ev.loc[:2, "ticker"] = "688999.SS"
    with pytest.raises(EventStudyError, match="max_loss"):
        fit(ev, returns, max_loss=0.5)


def test_wide_input_equals_long(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 8)
    wide = returns.pivot(index="date", columns="ticker", values="ret")
    a, b = fit(ev, returns), fit(ev, wide)
    pd.testing.assert_frame_equal(a.car, b.car)
    pd.testing.assert_frame_equal(a.tests, b.tests)


# ------------------------------------------------------------------ invariances

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile("ci")


@given(c=st.floats(-0.01, 0.01, allow_nan=False), seed=st.integers(0, 10_000))
def test_adding_constant_leaves_market_model_ar_unchanged(c, seed):
    returns, tickers = make_panel(n_firms=4, n_days=330, seed=seed)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 5, seed=seed, lo=260, hi=320)
    shifted = returns.assign(ret=returns["ret"] + c)
    a, b = fit(ev, returns), fit(ev, shifted)
    np.testing.assert_allclose(a.ar["ar"], b.ar["ar"], atol=1e-12)
    # event-time tests depend on AR only; the calendar-time alpha moves by c(1 - beta)
    ta, tb = (r.tests[r.tests["test"] != "calendar_time"] for r in (a, b))
    np.testing.assert_allclose(ta["stat"], tb["stat"], atol=1e-7, equal_nan=True)


# k stays where scaled returns are still plausible daily returns: beyond that the
# magnitude guards (eventstudy.guards) refuse them (a return below -1, a median |r| > 0.2)
@given(k=st.floats(0.1, 3.0), seed=st.integers(0, 10_000))
def test_scaling_returns_leaves_statistics_unchanged(k, seed):
    returns, tickers = make_panel(n_firms=4, n_days=330, seed=seed)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 5, seed=seed, lo=260, hi=320)
    a, b = fit(ev, returns), fit(ev, returns.assign(ret=returns["ret"] * k))
    np.testing.assert_allclose(a.ar["ar"] * k, b.ar["ar"], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(a.tests["stat"], b.tests["stat"], rtol=1e-8, equal_nan=True)


@given(perm_seed=st.integers(0, 10_000))
def test_permuting_events_leaves_aggregates_unchanged(perm_seed, panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 10)
    perm = ev.sample(frac=1.0, random_state=perm_seed).reset_index(drop=True)
    a, b = fit(ev, returns), fit(perm, returns)
    pd.testing.assert_frame_equal(a.aar, b.aar, atol=1e-14, rtol=0)
    pd.testing.assert_frame_equal(a.caar, b.caar, atol=1e-14, rtol=0)
    pd.testing.assert_frame_equal(a.tests, b.tests, atol=1e-12, rtol=0)


def test_inputs_not_mutated_and_results_frozen(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 5)
    r0, e0 = returns.copy(deep=True), ev.copy(deep=True)
    res = fit(ev, returns)
    pd.testing.assert_frame_equal(returns, r0)
    pd.testing.assert_frame_equal(ev, e0)
    car = res.car
    car["car"] = 0.0
    assert (res.car["car"] != 0).any()
    with pytest.raises(AttributeError):
        res.config = {}  # type: ignore[misc]


def test_summary_and_to_frame(panel):
    returns, tickers, dates = panel
    res = fit(make_events(tickers, dates, 6), returns)
    text = res.summary().as_text()
    assert "CAAR by window" in text and "csect_t" in text
    assert "<table" in res.summary()._repr_html_()
    wide = res.to_frame()
    assert {"car[-5,-1]", "car[0,+1]", "car[-5,+5]"} <= set(wide.columns)
    assert len(wide) == 6
    d = res.to_dict()
    assert d["events"]["in"] == 6
    assert list(d["caar"][0]["tests"]) == [*TESTS, "calendar_time"]
    assert d["reading"] and d["reading"][0].startswith("CAR[")


def test_uncomputable_test_reports_reason(panel):
    returns, tickers, dates = panel
    res = fit(make_events(tickers, dates, 1), returns)
    t = res.test("csect_t", window=(0, 1))
    assert t.stat is None and "at least 2 events" in (t.reason or "")
    d = res.to_dict()
    assert d["caar"][0]["tests"]["csect_t"]["stat"] is None


def test_zero_residual_variance_is_excluded(panel):
    returns, tickers, dates = panel
    mkt = returns[returns["ticker"] == "000300.SS"]
    clone = mkt.assign(ticker="600999.SS", ret=mkt["ret"] * 1.2 + 0.0001)
    ev = make_events(tickers, dates, 3)
    ev.loc[2, "ticker"] = "600999.SS"
    res = fit(ev, pd.concat([returns, clone], ignore_index=True))
    out = res.events.set_index("event_id")
    assert out.loc["E003", "reason"].startswith("no residual variance")
    assert np.isfinite(res.tests["stat"].dropna()).all()


def test_date_before_data(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 2)
    ev.loc[0, "date"] = dates[0] - pd.Timedelta(days=30)
    res = fit(ev, returns)
    assert res.events.loc[0, "reason"] == "announcement date before the start of the data"


def test_default_min_estimation_days_scales_with_short_windows(panel):
    from eventstudy.study import default_min_estimation_days

    assert default_min_estimation_days(230) == 120
    assert default_min_estimation_days(120) == 96
    returns, tickers, dates = panel
    res = EventStudy(
        make_events(tickers, dates, 3), returns, estimation_window=(-130, -11), event_window=(-5, 5)
    ).fit()
    assert res.config["min_estimation_days"] == 96


def test_no_tests_and_no_included_event(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 4)
    res = fit(ev, returns, tests=[], calendar_time=False)
    assert res.tests.empty and "CAAR by window" in res.summary().as_text()
    # every event excluded: the study fails loudly with the reasons (issue 9, class 7)
    with pytest.raises(NoEventsIncludedError, match="all 4 events were excluded.*unknown ticker"):
        fit(ev.assign(ticker="999999.SZ"), returns)
