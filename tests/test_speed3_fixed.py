"""Overlap pairs by sorted searches and the test table built in one frame.

Both replace slower constructions (a self-merge of the events on the
ticker; one small frame per test and scope); each is checked here against
a plain computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import EventStudy, simulate_market
from eventstudy.overlap import find_overlaps, overlap_step
from eventstudy.windows import Window


def _pairs_by_loops(tk, d0, active, window):  # type: ignore[no-untyped-def]
    reach = max(window.end, -window.start)
    out = []
    for i in range(len(tk)):
        for j in range(len(tk)):
            if active[i] and active[j] and tk[i] == tk[j] and 1 <= d0[j] - d0[i] <= reach:
                out.append((i, j, int(d0[j] - d0[i])))
    return sorted(out)


@pytest.mark.parametrize("seed", range(25))
def test_overlap_pairs_equal_a_double_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 50))
    tk = rng.integers(-2, 4, n)
    d0 = rng.integers(-5, 30, n)
    active = rng.random(n) < 0.8
    window = Window(int(-rng.integers(0, 9)), int(rng.integers(0, 9)))
    got = find_overlaps(tk, d0, active, window)
    assert list(got.columns) == ["i", "j", "apart"]
    assert [tuple(map(int, r)) for r in got.to_numpy()] == _pairs_by_loops(tk, d0, active, window)


def test_overlap_partners_listed_both_ways_sorted_and_once() -> None:
    tk = np.array([0, 0, 0, 1, 0])
    d0 = np.array([10, 12, 12, 10, 40])
    ids = np.array(["E3", "E1", "E2", "E4", "E5"], dtype=object)
    out = overlap_step("keep", ids, ids, tk, d0, np.zeros(5, dtype=bool), Window(-1, 5))
    # E1 and E2 share day 0 (a duplicate, not an overlap: excluded before this step)
    assert list(out.overlaps_with) == ["E1;E2", "E3", "E3", "", ""]
    assert not out.exclude.any()


def _study_inputs(seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A simulated panel of 40 firms and ``n`` random events on it."""
    sim = simulate_market(None, seed=seed, n_firms=40, start="2021-01-04", end="2024-06-28")
    ret = sim.panel.returns
    rng = np.random.default_rng(seed)
    days = np.sort(ret["date"].unique())
    firms = sorted(set(ret["ticker"]) - {"000300.SS"})
    events = pd.DataFrame(
        {
            "ticker": rng.choice(firms, n),
            "date": pd.DatetimeIndex(days[rng.integers(300, len(days) - 30, n)]),
        }
    )
    return ret, events


def test_test_table_rows_are_the_tests_columns() -> None:
    ret, events = _study_inputs(seed=5, n=30)
    res = EventStudy(events, ret, tests=["csect_t", "patell", "sign"], leakage=False).fit()
    tab = res.tests
    assert str(tab["tau"].dtype) == "Int64" and str(tab["reason"].dtype) == "string"
    assert tab["nobs"].dtype == np.int64
    taus = res.aar["tau"].to_numpy()
    for name in ("csect_t", "patell", "sign"):
        day = tab[(tab["test"] == name) & (tab["scope"] == "day")]
        assert day["tau"].astype(int).tolist() == taus.tolist()
        win = tab[(tab["test"] == name) & (tab["scope"] == "window")]
        assert win["start"].astype(int).tolist() == res.caar["start"].tolist()
        assert np.isfinite(win["stat"].to_numpy(dtype=float)).all()
    assert len(tab) == 3 * (len(taus) + len(res.caar)) + len(res.caar)  # + calendar time


def test_tests_without_estimation_ars_give_the_same_rows_as_a_full_battery() -> None:
    ret, events = _study_inputs(seed=6, n=40)
    events["kind"] = np.where(np.arange(40) % 3 == 0, "entry", "exit")
    light = ["csect_t", "patell", "bmp", "skew_t"]
    kw = dict(leakage=False, calendar_time=False, groups="kind")
    few = EventStudy(events, ret, tests=light, **kw).fit()  # no estimation ARs computed
    full = EventStudy(events, ret, tests=[*light, "patell_kp", "rank"], **kw).fit()
    a = few.tests.reset_index(drop=True)
    b = full.tests[full.tests["test"].isin(light)].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ga, gb = few.groups.tests, full.groups.tests
    pd.testing.assert_frame_equal(
        ga.reset_index(drop=True),
        gb[gb["test"].isin(light)].reset_index(drop=True),
        check_exact=True,
    )


def test_a_subclass_of_a_light_test_still_gets_the_estimation_ars() -> None:
    from eventstudy.inference import TESTS, register
    from eventstudy.inference.base import TestColumns, TestData, t_statistic
    from eventstudy.inference.parametric import PatellZ

    seen: list[tuple[int, ...]] = []

    class EstimationMean(PatellZ):  # does not repeat reads_estimation_ar = False
        name = "est_mean_probe"

        def daily(self, data: TestData) -> TestColumns:
            seen.append(data.est_ar.shape)
            return t_statistic(data.ar)

        def window(self, data: TestData) -> TestColumns:
            return t_statistic(data.car)

    class NaNCount(PatellZ):
        name = "nan_count_probe"
        reads_estimation_ar = False

        def daily(self, data: TestData) -> TestColumns:
            out = t_statistic(data.ar)
            return TestColumns(
                out.stat, out.pvalue, out.df, np.full(out.stat.shape, np.nan), out.reason, {}
            )

    register(EstimationMean)
    register(NaNCount)
    try:
        ret, events = _study_inputs(seed=8, n=20)
        kw = dict(leakage=False, calendar_time=False)
        res = EventStudy(events, ret, tests=["csect_t", "est_mean_probe"], **kw).fit()
        assert seen and seen[0][1] > 0  # (events, L) with L estimation days
        assert res.n_included == seen[0][0]
        tab = EventStudy(events, ret, tests=["csect_t", "nan_count_probe"], **kw).fit().tests
        day = tab[(tab["test"] == "nan_count_probe") & (tab["scope"] == "day")]
        assert day["nobs"].isna().all() and tab["nobs"].dtype == np.float64  # no garbage integer
    finally:
        TESTS.pop("est_mean_probe", None)
        TESTS.pop("nan_count_probe", None)
