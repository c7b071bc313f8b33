"""Factor structure and non-synchronous trading in the simulator (issue 11, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from eventstudy.calendar.sessions import xshg_sessions
from eventstudy.data.simulate import (
    DEFAULT_LOADING_RANGES,
    FACTOR_MODELS,
    Simulation,
    simulate_market,
    to_files,
)
from eventstudy.exceptions import EventStudyError

START, END = "2021-01-04", "2024-12-31"
MARKET = "000300.SS"
CLEAN = {"limits": False, "suspension_rate": 0.0, "start": START, "end": END}


def _wide(sim: Simulation) -> pd.DataFrame:
    return sim.panel.returns.pivot(index="date", columns="ticker", values="ret")


@pytest.fixture(scope="module", params=["ff3", "carhart", "ch3"])
def factor_sim(request: pytest.FixtureRequest) -> Simulation:
    return simulate_market(n_firms=25, seed=11, factor_model=request.param, **CLEAN)


# --------------------------------------------------------------------------- the factor frame


def test_default_has_no_factors_and_no_new_columns() -> None:
    s = simulate_market(n_firms=3, seed=1, start="2023-01-03", end="2023-06-30")
    assert s.factors is None
    assert list(s.firms.columns) == ["ticker", "board", "beta", "sigma", "alpha", "st", "sector"]
    assert s.params["factor_model"] is None and s.params["nonsync"] == 0.0


def test_factor_columns_dates_and_market_relation(factor_sim: Simulation) -> None:
    model = factor_sim.params["factor_model"]
    f = factor_sim.factors
    assert f is not None
    assert list(f.columns) == [*FACTOR_MODELS[model], "RF"]
    expected = {"ff3": "MKT-RF SMB HML", "carhart": "MKT-RF SMB HML UMD", "ch3": "MKT SMB VMG"}
    assert list(f.columns[:-1]) == expected[model].split()
    assert f.index.name == "date"
    assert f.index.equals(pd.DatetimeIndex(xshg_sessions(START, END), name="date"))
    assert (f["RF"] == 6e-5).all()
    index_ret = _wide(factor_sim)[MARKET]
    np.testing.assert_allclose(f.iloc[:, 0] + f["RF"], index_ret.to_numpy(), rtol=0, atol=1e-15)
    for name in f.columns[1:-1]:
        assert 0.003 < f[name].std() < 0.009  # daily sd near the defaults (0.005-0.007)
        assert abs(np.corrcoef(f[name], f.iloc[:, 0])[0, 1]) < 0.1  # independent of the market


def test_factors_leave_the_index_and_other_streams_alone() -> None:
    a = simulate_market(n_firms=4, seed=2, start="2023-01-03", end="2023-12-29")
    b = simulate_market(
        n_firms=4, seed=2, start="2023-01-03", end="2023-12-29", factor_model="ff3", nonsync=0.5
    )
    ra, rb = _wide(a), _wide(b)
    pd.testing.assert_series_equal(ra[MARKET], rb[MARKET])
    pd.testing.assert_frame_equal(a.suspensions, b.suspensions)
    pd.testing.assert_series_equal(a.firms["beta"], b.firms["beta"])
    assert not np.allclose(ra.drop(columns=MARKET), rb.drop(columns=MARKET))


def test_loadings_recovered_by_ols_on_the_factors(factor_sim: Simulation) -> None:
    """Per firm, statsmodels OLS of R - RF on the factors recovers the true
    loadings within their standard errors (z-scores about standard normal)."""
    f = factor_sim.factors
    assert f is not None
    names = list(f.columns[:-1])
    wide = _wide(factor_sim).drop(columns=MARKET)
    x = sm.add_constant(f[names])
    truth = factor_sim.firms.set_index("ticker")
    z = []
    for ticker in wide.columns:
        fit = sm.OLS(wide[ticker] - f["RF"], x).fit()
        true = truth.loc[ticker, [f"beta_{n}" for n in names]].to_numpy(dtype=float)
        z.append((fit.params[names].to_numpy() - true) / fit.bse[names].to_numpy())
        z.append(np.array([(fit.params["const"] - truth.loc[ticker, "alpha"]) / fit.bse["const"]]))
    zz = np.concatenate(z)
    assert len(zz) == 25 * (len(names) + 1)
    assert np.abs(zz).max() < 4.5
    assert 0.5 < np.mean(zz**2) < 1.6
    np.testing.assert_array_equal(truth[f"beta_{names[0]}"], truth["beta"])


def test_loadings_lie_in_their_ranges(factor_sim: Simulation) -> None:
    for name in factor_sim.factors.columns[1:-1]:  # type: ignore[union-attr]
        lo, hi = DEFAULT_LOADING_RANGES[name]
        assert factor_sim.firms[f"beta_{name}"].between(lo, hi).all()


# --------------------------------------------------------------------------- non-synchronous trading


@pytest.fixture(scope="module")
def thin_sim() -> Simulation:
    return simulate_market(n_firms=40, seed=5, nonsync=0.5, nonsync_lag=(0.4, 0.6), **CLEAN)


def _slopes(y: pd.Series, m: pd.Series, lags: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels OLS of y on the market at the given lags (negative: lead)."""
    x = pd.concat({f"m{k}": m.shift(k) for k in lags}, axis=1)
    fit = sm.OLS(y, sm.add_constant(x), missing="drop").fit()
    names = [f"m{k}" for k in lags]
    return fit.params[names].to_numpy(), fit.cov_params().loc[names, names].to_numpy()


def test_nonsync_biases_ols_beta_toward_zero_dimson_and_sw_do_not(thin_sim: Simulation) -> None:
    firms = thin_sim.firms.set_index("ticker")
    lag = firms["nonsync_lag"]
    assert (lag > 0).sum() == 20  # an exact share of the firms
    assert lag[lag > 0].between(0.4, 0.6).all()
    wide = _wide(thin_sim)
    m = wide[MARKET]
    rho = m.autocorr(1)
    z_ols, z_dimson, z_sync, sw_err, ols_err = [], [], [], [], []
    for ticker in wide.columns.drop(MARKET):
        beta, lam = firms.loc[ticker, "beta"], lag[ticker]
        b0, v0 = _slopes(wide[ticker], m, (0,))
        if lam == 0:
            z_sync.append((b0[0] - beta) / np.sqrt(v0[0, 0]))
            continue
        # OLS: biased toward zero, estimates (1 - lambda) beta
        z_ols.append((b0[0] - (1 - lam) * beta) / np.sqrt(v0[0, 0]))
        ols_err.append(b0[0] - beta)
        # Dimson (1979), one lag: the sum of slopes estimates beta
        bd, vd = _slopes(wide[ticker], m, (0, 1))
        z_dimson.append((bd.sum() - beta) / np.sqrt(vd.sum()))
        # Scholes and Williams (1977): (b-1 + b0 + b+1) / (1 + 2 rho)
        parts = [_slopes(wide[ticker], m, (k,))[0][0] for k in (1, 0, -1)]
        sw_err.append(sum(parts) / (1 + 2 * rho) - beta)
    for z in (z_ols, z_dimson, z_sync):
        assert np.abs(z).max() < 4.0 and 0.4 < np.mean(np.square(z)) < 1.8
    ols = np.array(ols_err)  # about -0.5 beta: far below zero
    assert ols.mean() < -0.3 and ols.mean() + 5 * ols.std(ddof=1) / np.sqrt(len(ols)) < 0
    sw = np.array(sw_err)
    assert abs(sw.mean()) < 3 * sw.std(ddof=1) / np.sqrt(len(sw))
    assert abs(sw.mean()) < 0.05


def test_nonsync_with_factors_lags_the_whole_systematic_return() -> None:
    s = simulate_market(n_firms=30, seed=8, factor_model="ff3", nonsync=1.0, **CLEAN)
    f = s.factors
    assert f is not None
    wide = _wide(s).drop(columns=MARKET)
    firms = s.firms.set_index("ticker")
    x = sm.add_constant(pd.concat([f[["MKT-RF", "SMB"]], f[["MKT-RF", "SMB"]].shift(1)], axis=1))
    x.columns = ["const", "mkt0", "smb0", "mkt1", "smb1"]
    z = []
    for ticker in wide.columns:
        fit = sm.OLS(wide[ticker] - f["RF"], x, missing="drop").fit()
        lam = firms.loc[ticker, "nonsync_lag"]
        for name, k in (("mkt", "beta_MKT-RF"), ("smb", "beta_SMB")):
            b = firms.loc[ticker, k]
            for col, share in ((f"{name}0", 1 - lam), (f"{name}1", lam)):
                z.append((fit.params[col] - share * b) / fit.bse[col])
    assert np.abs(z).max() < 4.5 and 0.4 < np.mean(np.square(z)) < 1.8


# --------------------------------------------------------------------------- files, params, errors


def test_to_files_writes_factors_and_firms(tmp_path: object) -> None:
    s = simulate_market(
        n_firms=3, seed=4, start="2023-01-03", end="2023-03-31", factor_model="carhart", nonsync=0.4
    )
    paths = to_files(s, tmp_path / "t")  # type: ignore[operator]
    assert [p.name for p in paths] == ["truth.csv", "truth_events.csv", "factors.csv", "firms.csv"]
    text = paths[2].read_text()
    assert text.splitlines()[0] == "date,MKT-RF,SMB,HML,UMD,RF"
    assert text.splitlines()[1].startswith("2023-01-03,")
    back = pd.read_csv(paths[2], index_col="date", parse_dates=["date"])
    assert s.factors is not None
    pd.testing.assert_frame_equal(back, s.factors, check_freq=False, check_index_type=False)
    firms = pd.read_csv(paths[3], dtype={"ticker": str})
    assert list(firms.columns)[-5:] == [
        "beta_MKT-RF",
        "beta_SMB",
        "beta_HML",
        "beta_UMD",
        "nonsync_lag",
    ]
    np.testing.assert_array_equal(firms["beta"], s.firms["beta"])
    plain = to_files(
        simulate_market(n_firms=2, seed=4, start="2023-01-03", end="2023-03-31"), tmp_path / "p"
    )  # type: ignore[operator]
    assert [p.name for p in plain] == ["truth.csv", "truth_events.csv"]
    thin = to_files(
        simulate_market(n_firms=2, seed=4, start="2023-01-03", end="2023-03-31", nonsync=0.5),
        tmp_path / "n",  # type: ignore[operator]
    )
    assert [p.name for p in thin] == ["truth.csv", "truth_events.csv", "firms.csv"]


def test_params_are_recorded_and_seeded() -> None:
    kw = dict(n_firms=3, start="2023-01-03", end="2023-03-31", factor_model="CH3")
    a = simulate_market(seed=9, factor_sd={"VMG": 0.01}, **kw)
    b = simulate_market(seed=9, factor_sd={"VMG": 0.01}, **kw)
    assert a.factors is not None and b.factors is not None
    pd.testing.assert_frame_equal(a.factors, b.factors)
    assert a.params["factor_model"] == "ch3"
    assert a.params["factor_sd"]["VMG"] == 0.01 and a.params["factor_sd"]["SMB"] == 0.006
    assert a.params["loading_ranges"]["VMG"] == [-0.6, 0.6]
    assert a.params["nonsync_lag"] == [0.3, 0.7]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"factor_model": "ff5"}, "factor_model must be one of"),
        ({"factor_model": "ff3", "factor_sd": {"RMW": 0.01}}, r"factor_sd: unknown factor.*RMW"),
        ({"factor_model": "ff3", "factor_sd": {"SMB": -0.01}}, r"factor_sd\['SMB'\]"),
        ({"factor_model": "ff3", "factor_mean": {"HML": 0.5}}, r"factor_mean\['HML'\]"),
        ({"factor_model": "ff3", "loading_ranges": {"HML": (1, 0)}}, r"loading_ranges\['HML'\]"),
        ({"factor_model": "ff3", "factor_sd": [0.1]}, "factor_sd must be a mapping"),
        ({"factor_sd": {"SMB": 0.01}}, "factor_sd given without factor_model"),
        ({"risk_free": 0.05}, "risk_free is a daily rate"),
        ({"nonsync": 1.5}, "nonsync must lie in"),
        ({"nonsync": "some"}, "nonsync must lie in"),
        ({"nonsync_lag": (0.5, 1.5)}, "nonsync_lag"),
    ],
)
def test_bad_factor_parameters_are_named(kw: dict, match: str) -> None:
    with pytest.raises(EventStudyError, match=match):
        simulate_market(start="2023-01-03", end="2023-03-31", **kw)


def test_factors_with_planted_events() -> None:
    sessions = xshg_sessions("2023-01-03", "2023-12-29")
    ev = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "ticker": ["600186.SS", "300657.SZ"],
            "date": [sessions[100], sessions[150]],
            "event_type": ["entry", "termination"],
        }
    )
    s = simulate_market(ev, seed=3, start="2023-01-03", end="2023-12-29", factor_model="ff3")
    te = s.truth_events.set_index("event_id")
    assert te.loc["a", "effect"] > 0 > te.loc["b", "effect"]
    assert set(s.firms["ticker"]) == {"600186.SS", "300657.SZ"}
    assert s.factors is not None and len(s.factors) == len(sessions)
