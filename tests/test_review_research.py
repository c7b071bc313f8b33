"""Review of issue 10 (groups, cross-sections, BHAR): hostile inputs give clear errors
or stated exclusions, never a traceback or an arbitrary number."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from helpers import make_events, make_panel

from eventstudy import EventStudy, EventStudyError
from eventstudy.exceptions import AnalysisWarning, WindowError
from eventstudy.groups import group_labels
from eventstudy.longrun_tests import bhar_tests
from eventstudy.windows import Window

CFG = dict(
    estimation_window=(-120, -11),
    event_window=(-5, 5),
    car_windows=[(0, 0), (0, 1)],
    min_estimation_days=60,
    leakage=False,
    calendar_time=False,
    tests=["csect_t", "patell"],
)


def _fit(events, returns, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events, returns, **{**CFG, **kw}).fit()


@pytest.fixture(scope="module")
def data():
    returns, tickers = make_panel(n_firms=12, n_days=420, seed=5)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 24, seed=3, lo=200, hi=380)
    ev = ev.drop_duplicates(["ticker", "date"]).reset_index(drop=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=len(ev))
    ev["x"] = x
    ev["x2"] = 2.0 * x - 1.0  # an exact linear function of x
    ev["const"] = 3.0
    ev["neg"] = x - 10.0  # log undefined
    ev["xinf"] = np.where(np.arange(len(ev)) == 1, np.inf, x)
    ev["kind"] = ["a", "b"] * (len(ev) // 2) + ["a"] * (len(ev) % 2)
    ev.loc[0, "kind"] = "solo"  # a category that holds one event
    res = _fit(ev, returns)
    return ev, returns, res


def _included(res):
    return res.events[res.events["status"] == "included"]["event_id"].tolist()


def test_collinear_or_constant_regressors_are_refused(data):
    _, _, res = data
    with pytest.raises(EventStudyError, match=r"collinear.*\['x2'\].*\['Intercept', 'x'\]"):
        res.cross_section("car ~ x + x2")
    with pytest.raises(EventStudyError, match=r"collinear.*\['const'\]"):
        res.cross_section("car ~ x + const", cov_type="HC1")


def test_no_more_events_than_coefficients_is_refused(data):
    _, _, res = data
    n = len(_included(res))
    with pytest.raises(EventStudyError, match=rf"{n} event\(s\) and {n} coefficient"):
        res.cross_section("car ~ C(event_id)", cov_type="HC1")


def test_non_finite_transforms_and_values_name_the_events(data):
    _, _, res = data
    inc = _included(res)
    with pytest.raises(EventStudyError, match=r"np\.log\(neg\).*not finite for \d+ event"):
        res.cross_section("car ~ np.log(neg)")
    assert "E002" in inc
    with pytest.raises(EventStudyError, match=r"\['xinf'\] not finite for 1 event\(s\) \(E002\)"):
        res.cross_section("car ~ xinf")


def test_formula_errors_are_library_errors(data):
    _, _, res = data
    with pytest.raises(EventStudyError, match="cannot evaluate cross-section 'car ~ x \\+'"):
        res.cross_section("car ~ x +")
    with pytest.raises(EventStudyError, match="name 'foo' is not defined"):
        res.cross_section("car ~ foo(x)")
    with pytest.raises(EventStudyError, match="has no regressor, not even the intercept"):
        res.cross_section("car ~ -1")
    with pytest.raises(EventStudyError, match="formula must be text"):
        res.cross_section(123)
    with pytest.raises(EventStudyError, match="bhar over \\[0,\\+1\\] was not computed.*none"):
        res.cross_section("bhar ~ x")


def test_one_cluster_is_refused(data):
    _, _, res = data
    with pytest.raises(EventStudyError, match="cluster column 'const' has 1 distinct value"):
        res.cross_section("car ~ x", cov_type="cluster", cluster="const")


def test_leverage_one_event_is_left_out_under_hc3_with_a_warning(data):
    _, _, res = data
    inc = _included(res)
    assert "E001" in inc
    with pytest.warns(AnalysisWarning, match=r"1 event\(s\) left out.*leverage 1\): E001"):
        fit = res.cross_section("car ~ C(kind) + x")
    assert fit.nobs == len(inc) - 1
    # the same as statsmodels on the exported rows without that event
    frame = res.cross_section_data((0, 1))
    hand = smf.ols("car ~ C(kind) + x", data=frame[frame["event_id"] != "E001"]).fit(cov_type="HC3")
    np.testing.assert_allclose(fit.params.to_numpy(), hand.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fit.bse.to_numpy(), hand.bse.to_numpy(), rtol=1e-10)
    # HC1 is defined with leverage 1 (the event's residual is zero): it stays in
    with warnings.catch_warnings():
        warnings.simplefilter("error", AnalysisWarning)
        kept = res.cross_section("car ~ C(kind) + x", cov_type="HC1")
    assert kept.nobs == len(inc)
    # a term that keeps a single value once that event is out is an error, not dropped
    ev_txt = frame.assign(code=np.where(frame["event_id"] == "E001", "z", "y"))
    chars = ev_txt[["event_id", "code"]]
    with (
        pytest.warns(AnalysisWarning, match="leverage 1"),
        pytest.raises(EventStudyError, match=r"\['code'\] take\(s\) a single value"),
    ):
        res.cross_section("car ~ code", characteristics=chars)


def test_characteristics_dates_follow_the_date_policy(data):
    _, _, res = data
    inc = res.events[res.events["status"] == "included"]
    chars = pd.DataFrame(
        {"ticker": inc["ticker"], "date": inc["date"].dt.strftime("%d/%m/%Y"), "lev": 1.0}
    )
    with pytest.raises(EventStudyError, match="characteristics: row 1 .*year first"):
        res.cross_section_data(characteristics=chars)


def test_group_labels_refuse_the_missing_label_and_look_alike_values():
    with pytest.raises(EventStudyError, match=r"1 event\(s\) have the value '\(missing\)'"):
        group_labels(pd.Series(["a", "(missing)", None, "a"]), "g")
    with pytest.raises(EventStudyError, match="holds the value '1' as int and as text"):
        group_labels(pd.Series([1, "1", 2, "2"], dtype=object), "g")
    # stripped text and plain ints are fine
    text, order, n_missing = group_labels(pd.Series(["a", "a ", "b", None], dtype=object), "g")
    assert order == ["a", "b", "(missing)"] and n_missing == 1
    assert list(text) == ["a", "a", "b", "(missing)"]


def test_group_column_with_the_missing_label_fails_the_study(data):
    ev, returns, _ = data
    bad = ev.assign(tag=["(missing)", "x"] * (len(ev) // 2) + ["x"] * (len(ev) % 2))
    with pytest.raises(EventStudyError, match="names the group of events without a value"):
        _fit(bad, returns, groups="tag")


def test_bhar_window_longer_than_the_data_is_refused_up_front(data):
    ev, returns, _ = data
    with pytest.raises(WindowError, match=r"BHAR window\(s\) \['\[0,\+100000\]'\] span more"):
        _fit(ev, returns, bhar_windows=[(0, 1), (0, 100_000)])


def test_bhar_tests_refuse_a_degenerate_cross_section():
    fr = pd.DataFrame(
        {
            "event_id": list("abcd"),
            "start": 0,
            "end": 5,
            "bhar": 0.1 + np.array([0.0, 1e-17, 0.0, 2e-17]),
            "status": "complete",
            "sessions_before_start": 0,
        }
    )
    row = bhar_tests(fr, [Window(0, 5)]).iloc[0]
    assert np.isnan(row["t"]) and np.isnan(row["t_sa"]) and np.isnan(row["p_boot"])
    assert row["reason"].startswith("no cross-sectional variance")


def test_bhar_with_a_benchmark_that_stops_early_is_an_excluded_event():
    from eventstudy.longrun import buy_and_hold

    rng = np.random.default_rng(1)
    firm = rng.normal(0, 0.02, (40, 3))
    market = rng.normal(0, 0.01, 40)
    d0 = np.array([10, 20, 30], dtype=np.int64)
    tk = np.array([0, 1, 2], dtype=np.int64)

    def expected(d0_w, off):  # a model benchmark whose regressors end after session 33
        pos = d0_w[:, None] + off[None, :]
        return np.where(pos > 33, np.nan, 0.001 + 0.0 * pos)

    out = buy_and_hold(firm, market, d0, tk, Window(0, 5), expected=expected)
    assert list(out["status"][:2]) == ["complete", "complete"]
    assert np.isfinite(out["bhar"][:2]).all()
    np.testing.assert_allclose(
        out["bhar"][0], np.prod(1 + firm[10:16, 0]) - 1.001**6, rtol=0, atol=1e-15
    )
    assert out["status"][2] == "excluded" and np.isnan(out["bhar"][2])
    assert out["reason"][2].startswith("no benchmark return on day +4 (2 session(s) of the")


def test_keyword_names_and_numbers_written_as_text_get_a_hint(data):
    _, _, res = data
    inc = _included(res)
    rng = np.random.default_rng(2)
    chars = pd.DataFrame(
        {
            "event_id": inc,
            "class": rng.normal(size=len(inc)),
            "mcap": [f"{v:,.1f}" for v in rng.uniform(1000, 9000, len(inc))],
        }
    )
    with pytest.raises(EventStudyError, match=r'invalid syntax; quote a column .*Q\("name"\)'):
        res.cross_section("car ~ class", characteristics=chars)
    fit = res.cross_section('car ~ Q("class")', characteristics=chars)
    assert fit.nobs == len(inc)
    with pytest.raises(EventStudyError, match=r"categorical terms .*'mcap'.*such as 1,234"):
        res.cross_section("car ~ mcap", characteristics=chars)


def test_group_values_spelled_two_ways_are_refused(data):
    with pytest.raises(
        EventStudyError, match=r"spells one value in several ways \['Entry', 'entry'\]"
    ):
        group_labels(pd.Series(["entry", "Entry ", "termination", "entry"], dtype=object), "g")
    with pytest.raises(EventStudyError, match=r"\['IDC provider', 'idc_provider'\]"):
        group_labels(pd.Series(["idc_provider", "IDC provider", "cloud"]), "g")
    ev, returns, _ = data
    bad = ev.assign(event_type=["entry", "Entry"] * (len(ev) // 2) + ["entry"] * (len(ev) % 2))
    with pytest.raises(EventStudyError, match="spells one value in several ways"):
        _fit(bad, returns, groups="event_type")


def test_user_calendar_left_as_written_warns_about_two_spellings():
    from eventstudy import load_calendar
    from eventstudy.exceptions import CalendarWarning

    frame = pd.DataFrame(
        {
            "event_id": ["A1", "A2", "A3", "A4"],
            "ticker": ["600000.SS", "600010.SS", "600020.SS", "600030.SS"],
            "date": ["2023-03-01", "2023-03-02", "2023-03-03", "2023-03-06"],
            "event_type": ["entry", "Entry", "终止", "merger"],
        }
    )
    with pytest.warns(CalendarWarning, match=r"spells categories in several ways: \{'entry'"):
        cal = load_calendar(frame)
    assert cal["event_type"].tolist() == ["entry", "Entry", "终止", "merger"]


def test_difference_tests_refuse_groups_without_variance():
    from eventstudy.groups import difference_tests

    flat = {"a": np.full(3, 0.01), "b": np.full(2, 0.02), "c": np.full(2, 0.03)}
    d = difference_tests(flat, ["a", "b", "c"], (0, 1))
    assert d["test"].tolist() == ["none"]
    assert d["reason"].iloc[0].startswith("no variance of the CARs within the groups")
    # one varying group: its comparison is tested, the constant pair is not
    some = {"a": np.full(3, 0.01), "b": np.full(2, 0.02), "c": np.array([0.03, 0.05])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = difference_tests(some, ["a", "b", "c"], (0, 1)).set_index(["test", "comparison"])
    for test in ("welch_t", "regression"):
        assert np.isnan(d.loc[(test, "b - a"), "pvalue"])
        assert d.loc[(test, "b - a"), "reason"] == "no variance of the CARs within 'b' and 'a'"
        assert np.isfinite(d.loc[(test, "c - a"), "pvalue"])
    assert np.isnan(d.loc[("regression_wald", "all groups"), "pvalue"])
    np.testing.assert_allclose(d.loc[("welch_t", "c - a"), "estimate"], 0.03, rtol=1e-12)


def test_gbk_characteristics_file_is_read_with_a_warning(tmp_path):
    from eventstudy.crosssection import read_characteristics
    from eventstudy.exceptions import DataWarning

    path = tmp_path / "chars.csv"
    path.write_bytes("event_id,行业\nE001,计算机\nE002,化工\n".encode("gbk"))
    with pytest.warns(DataWarning, match="not UTF-8; read as GB18030"):
        frame = read_characteristics(path)
    assert list(frame.columns) == ["event_id", "行业"]
    assert frame["行业"].tolist() == ["计算机", "化工"]
    utf = tmp_path / "utf.csv"
    utf.write_bytes("\ufeffevent_id,x\nE001,1\n".encode())
    assert list(read_characteristics(utf).columns) == ["event_id", "x"]
