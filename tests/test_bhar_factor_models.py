"""BHAR with ``bhar_benchmark="model"`` under a factor model uses the model's own
regressors and the risk-free rate.

For a Fama-French three-factor study the benchmark return of event ``i`` on
session ``t`` is the fitted normal return

    E[R_it] = RF_t + alpha_i + b_i (MKT-RF)_t + s_i SMB_t + h_i HML_t,

with the coefficients of the event's estimation window (``results.events``:
``alpha``, ``coef_MKT-RF``, ``coef_SMB``, ``coef_HML``), and

    BHAR_i = prod_t (1 + R_it) - prod_t (1 + E[R_it])

over the window (a suspended day contributes no firm return; the days after
the firm's last return in the window, when it is delisted or suspended past
the window end, are filled with the benchmark, ``bhar_missing="fill"``).
The test recomputes every BHAR per event from those coefficients, the factor
frame and the raw returns, independently of eventstudy.longrun.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.exceptions import DataWarning

MKT = "INDEX"  # not an A-share code: no exchange-calendar cross-check
EST, EVW = (-200, -11), (-5, 5)
WINDOWS = [(0, 10), (-3, 20), (2, 15)]
FACTORS = ("MKT-RF", "SMB", "HML")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(17)
    n_days = 400
    dates = pd.bdate_range("2021-01-04", periods=n_days)
    rf = 0.0001 + 0.0002 * np.sin(np.arange(n_days) / 40.0) ** 2  # time-varying RF
    fac = pd.DataFrame(
        {
            "date": dates,
            "MKT-RF": rng.normal(0.0003, 0.012, n_days),
            "SMB": rng.normal(0, 0.006, n_days),
            "HML": rng.normal(0, 0.005, n_days),
            "RF": rf,
        }
    )
    m = fac["MKT-RF"].to_numpy() + rf
    tickers = [f"F{i:02d}" for i in range(6)]
    wide = {}
    for t in tickers:
        load = rng.uniform([0.6, -0.5, -0.5], [1.4, 1.2, 0.8])
        r = rf + rng.normal(0, 4e-4) + fac[list(FACTORS)].to_numpy() @ load
        r = r + rng.normal(0, 0.015, n_days)
        r[rng.random(n_days) < 0.04] = np.nan  # suspended days
        wide[t] = r
    d0 = {t: 300 + 12 * i for i, t in enumerate(tickers)}
    wide["F00"][d0["F00"] + 3] = np.nan  # a gap inside every window
    wide["F01"][d0["F01"] + 7 :] = np.nan  # returns end inside the windows: filled
    frames = [pd.DataFrame({"date": dates, "ticker": MKT, "ret": m})]
    for t, r in wide.items():
        ok = ~np.isnan(r)
        frames.append(pd.DataFrame({"date": dates[ok], "ticker": t, "ret": r[ok]}))
    events = pd.DataFrame(
        {
            "event_id": [f"E{t}" for t in tickers],
            "ticker": tickers,
            "date": [dates[d0[t]] for t in tickers],
        }
    )
    returns = pd.concat(frames, ignore_index=True)
    return returns, fac, events, dates, wide


def _fit(data, benchmark: str):
    returns, fac, events, _, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return es.EventStudy(
            events,
            returns,
            market=MKT,
            model="ff3",
            factors=fac,
            estimation_window=EST,
            event_window=EVW,
            min_estimation_days=100,
            tests=["csect_t"],
            calendar_time=False,
            leakage=False,
            bhar_windows=WINDOWS,
            bhar_benchmark=benchmark,
        ).fit()


def _independent(data, res, with_rf: bool = True) -> dict[tuple[str, int, int], float]:
    """BHAR per (event, window) from the fitted coefficients, by explicit loops."""
    _, fac, events, dates, wide = data
    f = fac.set_index("date").reindex(dates)  # one row per session (NaN without factors)
    ev = res.events.set_index("event_id")
    out = {}
    for eid, tick, day in events.itertuples(index=False):
        row = ev.loc[eid]
        coef = np.array([float(row[f"coef_{k}"]) for k in FACTORS])
        d0 = int(dates.get_loc(day))
        r = wide[tick]
        for a, b in WINDOWS:
            # the firm's last return in the window; the days after it (delisted, or
            # suspended past the window end) are filled with the benchmark
            last = max(t for t in range(d0 + a, d0 + b + 1) if not np.isnan(r[t]))
            g_firm, g_bench = 1.0, 1.0
            for t in range(d0 + a, d0 + b + 1):
                e_t = float(row["alpha"]) + float(f[list(FACTORS)].iloc[t].to_numpy() @ coef)
                if with_rf:
                    e_t += float(f["RF"].iloc[t])
                g_bench *= 1.0 + e_t
                if t > last:  # no firm return left in the window: filled
                    g_firm *= 1.0 + e_t
                elif not np.isnan(r[t]):  # a suspended day adds no firm return
                    g_firm *= 1.0 + r[t]
            out[(eid, a, b)] = g_firm - g_bench
    return out


def test_model_benchmark_is_the_factor_model_with_the_risk_free_rate(data):
    res = _fit(data, "model")
    assert res.n_included == 6
    got = res.bhar.set_index(["event_id", "start", "end"])
    expect = _independent(data, res)
    assert len(expect) == 18
    for key, value in expect.items():
        assert got.loc[key, "bhar"] == pytest.approx(value, rel=1e-12, abs=1e-13), key
    statuses = got["status"].to_dict()
    assert statuses[("EF00", 0, 10)] == "gaps"
    assert statuses[("EF01", 0, 10)] == "filled"  # delisted on day +7
    assert statuses[("EF04", 0, 10)] == "filled"  # suspended on day +10, the window's last
    assert int(got.loc[("EF01", 0, 10), "n_filled"]) == 10 - 7 + 1


def test_the_risk_free_rate_and_the_factors_matter(data):
    """The comparison above can fail: leaving out RF, or benchmarking on the market,
    moves the BHAR by far more than the tolerance."""
    res = _fit(data, "model")
    got = res.bhar.set_index(["event_id", "start", "end"])["bhar"]
    no_rf = _independent(data, res, with_rf=False)
    gaps = [abs(got.loc[k] - v) for k, v in no_rf.items()]
    assert min(gaps) > 1e-4  # RF compounds to about 0.1-0.6% over a window
    market = _fit(data, "market").bhar.set_index(["event_id", "start", "end"])["bhar"]
    assert (market - got).abs().min() > 1e-4


def test_a_session_without_factors_in_the_window_excludes_the_bhar_with_the_reason(data):
    """The model benchmark has no expected return where the factors are missing: the
    BHAR of a window over that session is excluded with the day named, never a NaN
    counted as a result (the other windows and events are unchanged)."""
    returns, fac, events, dates, wide = data
    d0 = int(dates.get_loc(events["date"].iloc[2]))
    holes = fac.drop(index=[d0 + 4]).reset_index(drop=True)  # no factor row on day +4
    # a missing value on day +17 of EF02, day +5 of EF03
    holes.loc[holes["date"] == dates[d0 + 17], "SMB"] = np.nan
    res = _fit((returns, holes, events, dates, wide), "model")
    got = res.bhar.set_index(["event_id", "start", "end"])
    row = got.loc[("EF02", 0, 10)]
    assert row["status"] == "excluded" and np.isnan(row["bhar"])
    assert "no benchmark return on day +4" in row["reason"]
    assert "no benchmark return on day +4" in got.loc[("EF02", -3, 20), "reason"]
    for window in ((0, 10), (2, 15), (-3, 20)):
        assert "no benchmark return on day +5" in got.loc[("EF03", *window), "reason"]
    # also where the benchmark fills the tail of a delisted firm (EF01: day +16)
    assert "no benchmark return on day +16" in got.loc[("EF01", -3, 20), "reason"]
    ok = got[got["status"] != "excluded"]
    assert ok["bhar"].notna().all()
    assert (got["status"] == "excluded").sum() == got["bhar"].isna().sum()
    tests = res.bhar_tests.set_index("window")
    assert int(tests.loc["[0,+10]", "n_excluded"]) >= 1
    # the windows that avoid both sessions keep the independent BHAR
    expect = _independent((returns, holes, events, dates, wide), res)
    assert sum(k in expect for k in ok.index) >= 6
    for key in ok.index:
        if key in expect:
            assert ok.loc[key, "bhar"] == pytest.approx(expect[key], rel=1e-12, abs=1e-13), key
    excluded = got.index[got["status"] == "excluded"]
    assert all(np.isnan(expect[k]) for k in excluded if k in expect)
