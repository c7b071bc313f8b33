"""Factor models, Scholes-Williams and Dimson against independent per-event computations.

Every number of the study (alpha, all coefficients and their standard errors,
sigma, AR, SAR, CAR, SCAR, var_car) is compared with a per-event statsmodels
OLS and the explicit prediction-error covariance
``V = s^2 (I + C (X'X)^-1 C')`` on a panel with suspended days inside the
estimation and event windows and sessions without factors.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import eventstudy as es
from eventstudy.exceptions import DataWarning, EventStudyError
from eventstudy.models import (
    CH3,
    FF3,
    Carhart,
    Dimson,
    FactorModel,
    MarketModel,
    ScholesWilliams,
    get_model,
    ols_batch,
)

MKT = "INDEX"  # not an A-share code: no exchange-calendar cross-check on business days
EST, EVW = (-150, -11), (-5, 5)
CARS = [(-5, 5), (-1, 1), (0, 1), (0, 0), (-5, -1)]
RTOL, ATOL = 1e-10, 1e-13


def _panel(seed: int = 0, n_days: int = 460, n_firms: int = 8):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n_days)
    rf = 0.00008 + rng.uniform(0, 2e-5, n_days)
    fac = {
        "MKT-RF": rng.normal(0.0003, 0.012, n_days),
        "SMB": rng.normal(0, 0.005, n_days),
        "HML": rng.normal(0, 0.004, n_days),
        "UMD": rng.normal(0, 0.006, n_days),
        "VMG": rng.normal(0, 0.005, n_days),
    }
    m = fac["MKT-RF"] + rf
    m_lag = np.r_[np.nan, m[:-1]]
    tickers = [f"F{i:03d}" for i in range(n_firms)]
    wide = {}
    for t in tickers:
        r = rf + rng.normal(0, 3e-4) + rng.uniform(0.6, 1.4) * fac["MKT-RF"]
        for k in ("SMB", "HML", "UMD", "VMG"):
            r = r + rng.normal(0, 0.6) * fac[k]
        r = r + 0.3 * np.nan_to_num(m_lag) + rng.normal(0, 0.015, n_days)
        r[rng.random(n_days) < 0.06] = np.nan  # suspended days
        wide[t] = r
    frames = [pd.DataFrame({"date": dates, "ticker": MKT, "ret": m})]
    for t, r in wide.items():
        ok = ~np.isnan(r)
        frames.append(pd.DataFrame({"date": dates[ok], "ticker": t, "ret": r[ok]}))
    factors = pd.DataFrame({"date": dates, **fac, "RF": rf})
    # sessions without factors: two rows dropped, SMB missing on two more
    factors.loc[[250, 330], "SMB"] = np.nan
    factors = factors.drop(index=[230, 300]).reset_index(drop=True)
    # events: a firm's day with a return, a suspended day inside the event window
    pos, firm = [], []
    for i, t in enumerate(tickers):
        r = wide[t]
        cands = [
            d
            for d in range(200 + 25 * i, 440)
            if not np.isnan(r[d]) and np.isnan(r[d - 5 : d + 6]).any()
        ]
        pos.append(cands[0])
        firm.append(t)
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:02d}" for i in range(len(pos))],
            "ticker": firm,
            "date": dates[pos],
        }
    )
    return pd.concat(frames, ignore_index=True), factors, events, (dates, m, wide, rf)


@pytest.fixture(scope="module")
def data():
    return _panel()


def _fit(data, model, factors=None, **kw):
    returns, _, events, _ = data
    opts = dict(
        market=MKT,
        estimation_window=EST,
        event_window=EVW,
        car_windows=CARS,
        min_estimation_days=100,
        tests=["csect_t", "patell", "bmp"],
        calendar_time=False,
        leakage=False,
    )
    opts.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return es.EventStudy(events, returns, model=model, factors=factors, **opts).fit()


def _aligned_factors(factors, dates, cols):
    f = factors.set_index("date").reindex(dates)
    return f[list(cols)].to_numpy(dtype=float), f["RF"].to_numpy(dtype=float)


def _compare_event(res, eid, ar, var_c, taus, params, extra_cols=None):
    """Check res's AR, SAR, CAR, SCAR and var_car of event ``eid`` against ``ar`` (W,) and
    the explicit covariance ``var_c`` (W, W) over the event days ``taus``."""
    got = res.ar.set_index(["event_id", "tau"]).loc[eid].reindex(taus)
    np.testing.assert_allclose(got["ar"].to_numpy(), ar, rtol=RTOL, atol=ATOL)
    sar = ar / np.sqrt(np.diag(var_c))
    np.testing.assert_allclose(got["sar"].to_numpy(), sar, rtol=RTOL, atol=ATOL)
    car = res.car.set_index(["event_id", "start", "end"])
    for a, b in CARS:
        g = ((taus >= a) & (taus <= b) & ~np.isnan(ar)).astype(float)
        c = np.nansum(np.where(g > 0, ar, 0.0))
        v = g @ np.nan_to_num(var_c) @ g
        row = car.loc[(eid, a, b)]
        np.testing.assert_allclose(row["car"], c, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(row["var_car"], v, rtol=RTOL, atol=1e-16)
        np.testing.assert_allclose(row["scar"], c / np.sqrt(v), rtol=RTOL, atol=ATOL)
    ev = res.events.set_index("event_id").loc[eid]
    for col, val in params.items():
        np.testing.assert_allclose(float(ev[col]), val, rtol=RTOL, atol=ATOL, err_msg=col)


def _ols_reference(res, data, x_all, y_all, c_rows=None):
    """Per-event statsmodels OLS of y on [1, x] (estimation window), explicit V on the
    event window with prediction rows ``c_rows(d0_positions)`` (default: [1, x])."""
    _, _, events, (dates, _, wide, _) = data
    taus = np.arange(EVW[0], EVW[1] + 1)
    checked = 0
    for eid, tick, day in events.itertuples(index=False):
        d0 = int(dates.get_loc(day))
        y = y_all[tick]
        est = np.arange(d0 + EST[0], d0 + EST[1] + 1)
        ok = ~np.isnan(y[est]) & ~np.isnan(x_all[est]).any(axis=1)
        fit = sm.OLS(y[est][ok], sm.add_constant(x_all[est][ok], has_constant="add")).fit()
        cov = fit.normalized_cov_params
        ev = d0 + taus
        z = sm.add_constant(x_all[ev], has_constant="add")
        c = z if c_rows is None else c_rows(ev)
        pres = ~np.isnan(y[ev]) & ~np.isnan(z).any(axis=1)
        ar = np.where(pres, y[ev] - c @ fit.params, np.nan)
        v = fit.scale * (np.eye(len(ev)) + c @ cov @ c.T)
        v[~pres, :] = np.nan
        v[:, ~pres] = np.nan
        yield eid, tick, fit, ar, v, taus, int(ok.sum()), est, ok
        checked += 1
    assert checked == len(events)


# ------------------------------------------------------------- factor models

FACTOR_SETS = {
    "ff3": ("MKT-RF", "SMB", "HML"),
    "carhart": ("MKT-RF", "SMB", "HML", "UMD"),
    "ch3": ("MKT", "SMB", "VMG"),
    "factors": ("MKT-RF", "SMB", "HML", "UMD", "VMG"),
}


@pytest.mark.parametrize("name", list(FACTOR_SETS))
def test_factor_models_equal_statsmodels_per_event(data, name):
    _, factors, events, (dates, _, wide, _) = data
    frame = factors.rename(columns={"MKT-RF": "MKT"}) if name == "ch3" else factors
    if name == "carhart":
        frame = frame.rename(columns={"UMD": "Mom", "MKT-RF": "Mkt-RF"})  # French's spellings
    res = _fit(data, name, frame)
    cols = FACTOR_SETS[name]
    assert res.n_included == len(events)
    assert res.config["model_coefficients"] == list(cols)
    x_all, rf = _aligned_factors(factors, dates, ["MKT-RF" if c == "MKT" else c for c in cols])
    y_all = {t: r - rf for t, r in wide.items()}
    n_gap_est = 0
    for eid, tick, fit, ar, v, taus, n, est, ok in _ols_reference(res, data, x_all, y_all):
        se = np.sqrt(np.diag(fit.cov_params()))
        params = {"alpha": fit.params[0], "sigma": np.sqrt(fit.scale), "se_alpha": se[0]}
        params["beta"] = fit.params[1]  # the market factor is the first column
        params["se_beta"] = se[1]
        for j, c in enumerate(cols):
            params[f"coef_{c}"] = fit.params[j + 1]
            params[f"se_{c}"] = se[j + 1]
        params["n_estimation"] = n
        y_est = wide[tick][est]  # the firm traded: a day without RF counts too
        params["n_missing_factor_days"] = int((~np.isnan(y_est) & ~ok).sum())
        n_gap_est += n < len(est)
        _compare_event(res, eid, ar, v, taus, params)
    assert n_gap_est == len(events)  # every estimation window has gaps
    assert res.ar["ar"].isna().any()  # ... and event windows too
    assert (res.events["n_missing_factor_days"] > 0).any()


def test_excess_returns_and_outputs_of_a_factor_model(data):
    _, factors, events, (dates, m, wide, rf) = data
    res = _fit(data, "ff3", factors)
    ar = res.ar
    t0 = ar[ar["event_id"] == "E00"]
    # ret is the firm's own return; rf is shown; ar = ret - rf - normal return
    pos = dates.get_indexer(pd.DatetimeIndex(t0["date"]))
    np.testing.assert_allclose(t0["ret"], wide["F000"][pos], rtol=0, atol=0)
    np.testing.assert_allclose(t0["rf"], rf[pos], rtol=0, atol=0)
    assert "MKT-RF, SMB, HML" in res.summary().as_text()
    assert "in excess of RF" in res.config["model_label"]
    assert res.config["factors"]["columns"] == ["MKT-RF", "SMB", "HML", "UMD", "VMG", "RF"]
    assert any("have no factor row" in n for n in res.notes)
    assert any("missing value" in n for n in res.notes)
    assert res.factors is not None and list(res.factors.columns)[:3] == ["MKT-RF", "SMB", "HML"]
    # excess=False keeps raw returns: alpha moves by about the mean RF, slopes barely
    raw = _fit(data, "ff3", factors, model_options={"excess": False})
    assert "rf" not in raw.ar.columns
    d = raw.events["alpha"] - res.events["alpha"]
    assert np.allclose(d, rf.mean(), atol=2e-5)


def test_ols_batch_equals_market_model_fast_path():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.01, (50, 120))
    y = 0.001 + 1.2 * x + rng.normal(0, 0.02, (50, 120))
    y[rng.random(y.shape) < 0.1] = np.nan
    fast = MarketModel().fit(y, x)
    gen = ols_batch(y, x[..., None])
    np.testing.assert_allclose(gen.coef[:, 0], fast.beta, rtol=1e-12)
    np.testing.assert_allclose(gen.alpha, fast.alpha, rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(gen.sigma2, fast.sigma2, rtol=1e-12)
    np.testing.assert_allclose(gen.sinv[:, 0, 0], fast.sinv[:, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(gen.se()[:, 0], fast.columns["se_beta"], rtol=1e-12)


# --------------------------------------------------------------- thin trading


def _market_lags(m, shifts):
    return np.column_stack(
        [np.r_[m[k:], [np.nan] * k] if k >= 0 else np.r_[[np.nan] * -k, m[:k]] for k in shifts]
    )


@pytest.mark.parametrize(("lags", "leads", "conv"), [(1, 1, "sum"), (2, 2, "sum"), (1, 1, "full")])
def test_dimson_equals_statsmodels_per_event(data, lags, leads, conv):
    _, _, events, (dates, m, wide, _) = data
    shifts = list(range(-lags, leads + 1))
    model = Dimson(lags=lags, leads=leads, ar=conv)
    res = _fit(data, model)
    x_all = _market_lags(m, shifts)
    j0 = lags

    def rows(ev):
        if conv == "full":
            return sm.add_constant(x_all[ev], has_constant="add")
        c = np.repeat(m[ev][:, None], len(shifts), axis=1)
        return sm.add_constant(c, has_constant="add")

    names = ["MKT" if k == 0 else (f"MKT_lag{-k}" if k < 0 else f"MKT_lead{k}") for k in shifts]
    assert res.config["model_coefficients"] == names
    for eid, tick, fit, ar, v, taus, _n, _e, _o in _ols_reference(res, data, x_all, wide, rows):
        if conv == "sum":  # the lead is not needed for the AR: recompute presence
            d0 = int(dates.get_loc(events.set_index("event_id").loc[eid, "date"]))
            y0 = wide[tick][d0 + taus]
            c = rows(d0 + taus)
            pres = ~np.isnan(y0)
            ar = np.where(pres, y0 - c @ fit.params, np.nan)
            v = fit.scale * (np.eye(len(taus)) + c @ fit.normalized_cov_params @ c.T)
            v[~pres, :] = np.nan
            v[:, ~pres] = np.nan
        se = np.sqrt(np.diag(fit.cov_params()))
        params = {
            "alpha": fit.params[0],
            "beta": fit.params[1:].sum(),  # Dimson beta: the sum of the coefficients
            "se_beta": np.sqrt(
                np.ones(len(shifts)) @ fit.cov_params()[1:, 1:] @ np.ones(len(shifts))
            ),
            "sigma": np.sqrt(fit.scale),
        }
        for j, nm in enumerate(names):
            params[f"coef_{nm}"] = fit.params[j + 1]
            params[f"se_{nm}"] = se[j + 1]
        assert fit.params[1 + j0] == pytest.approx(params["coef_MKT"])
        _compare_event(res, eid, ar, v, taus, params)


def _sw_reference(y, m, est):
    """Scholes & Williams (1977), written out per event with numpy."""
    lag, m0, lead = m[est - 1], m[est], m[est + 1]

    def slope(yy, xx):
        ok = ~np.isnan(yy) & ~np.isnan(xx)
        return np.cov(xx[ok], yy[ok])[0, 1] / np.var(xx[ok], ddof=1)

    b = [slope(y[est], lag), slope(y[est], m0), slope(y[est], lead)]
    both = ~np.isnan(m0) & ~np.isnan(lag)
    rho = np.corrcoef(m0[both], lag[both])[0, 1]
    beta = sum(b) / (1 + 2 * rho)
    ok = ~np.isnan(y[est])
    alpha = y[est][ok].mean() - beta * m0[ok].mean()
    resid = y[est][ok] - alpha - beta * m0[ok]
    s2 = resid @ resid / (ok.sum() - 2)
    xtx_inv = np.linalg.inv(sm.add_constant(m0[ok]).T @ sm.add_constant(m0[ok]))
    return alpha, beta, s2, xtx_inv, b, rho


def test_scholes_williams_equals_the_1977_formula(data):
    _, _, events, (dates, m, wide, _) = data
    res = _fit(data, "scholes-williams")
    taus = np.arange(EVW[0], EVW[1] + 1)
    assert res.n_included == len(events)
    for eid, tick, day in events.itertuples(index=False):
        d0 = int(dates.get_loc(day))
        est = np.arange(d0 + EST[0], d0 + EST[1] + 1)
        alpha, beta, s2, xtx_inv, b, rho = _sw_reference(wide[tick], m, est)
        ev_row = res.events.set_index("event_id").loc[eid]
        assert abs(ev_row["beta"] - beta) < 1e-8
        for nm, val in zip(("beta_lag1", "beta_0", "beta_lead1"), b, strict=True):
            assert abs(ev_row[nm] - val) < 1e-8
        assert abs(ev_row["rho_m"] - rho) < 1e-10
        y0 = wide[tick][d0 + taus]
        c = sm.add_constant(m[d0 + taus])
        pres = ~np.isnan(y0)
        ar = np.where(pres, y0 - alpha - beta * m[d0 + taus], np.nan)
        v = s2 * (np.eye(len(taus)) + c @ xtx_inv @ c.T)
        v[~pres, :] = np.nan
        v[:, ~pres] = np.nan
        params = {
            "alpha": alpha,
            "beta": beta,
            "sigma": np.sqrt(s2),
            "se_beta": np.sqrt(s2 * xtx_inv[1, 1]),
        }
        _compare_event(res, eid, ar, v, taus, params)


def test_scholes_williams_undefined_when_market_reverses_every_day():
    rng = np.random.default_rng(5)
    n = 300
    dates = pd.bdate_range("2021-01-04", periods=n)
    m = 0.01 * (-1.0) ** np.arange(n) + rng.normal(0, 1e-4, n)  # rho_m close to -1
    r = 0.8 * m + rng.normal(0, 0.01, n)
    returns = pd.concat(
        [
            pd.DataFrame({"date": dates, "ticker": MKT, "ret": m}),
            pd.DataFrame({"date": dates, "ticker": "F001", "ret": r}),
        ]
    )
    events = pd.DataFrame({"ticker": ["F001"], "date": [dates[250]]})
    study = es.EventStudy(
        events,
        returns,
        market=MKT,
        model="scholes-williams",
        estimation_window=EST,
        event_window=EVW,
        calendar_time=False,
        leakage=False,
        tests=["csect_t"],
    )
    # the only event is excluded, so the study includes nothing and says why
    with pytest.raises(es.NoEventsIncludedError, match="Scholes-Williams beta undefined") as err:
        study.fit()
    assert "Scholes-Williams beta undefined" in err.value.exclusions["reason"].iloc[0]


# ------------------------------------------------------ degenerate designs


@pytest.mark.parametrize(
    ("change", "model"),
    [
        (lambda f: f.assign(HML=0.001), "ff3"),  # a constant factor
        (lambda f: f.assign(HML=2.0 * f["SMB"] - 0.5 * f["MKT-RF"]), "ff3"),  # collinear
        (lambda f: f.assign(VMG=0.0), "factors"),
    ],
)
def test_degenerate_factor_design_is_excluded_with_a_reason(data, change, model):
    _, factors, events, _ = data
    # every event is excluded, so the study includes nothing and says why
    with pytest.raises(es.NoEventsIncludedError, match="constant or collinear") as err:
        _fit(data, model, change(factors))
    reasons = set(err.value.exclusions["reason"])
    assert len(reasons) == 1
    assert next(iter(reasons)).startswith(
        "regressors constant or collinear over the estimation days"
    )
    assert err.value.n_events == len(events)


def test_leakage_uses_the_factor_model(data):
    _, factors, _, _ = data
    # an estimation window that ends by day -21, so the leakage model is the study's own
    res = _fit(
        data,
        "carhart",
        factors.rename(columns={"UMD": "WML"}),
        leakage=True,
        placebo_per_firm=20,
        estimation_window=(-140, -21),
    )
    lk = res.leakage.set_index("event_id")["scar_m5_m1"]
    car = res.car
    study = car[(car["start"] == -5) & (car["end"] == -1)].set_index("event_id")["scar"]
    np.testing.assert_allclose(lk.reindex(study.index), study, rtol=1e-12)


# ----------------------------------------------------------- model registry


def test_get_model_names_options_and_errors(data):
    _, factors, _, _ = data
    assert isinstance(get_model("sw"), ScholesWilliams)
    assert get_model("dimson", lags=2, leads=3).k == 7
    assert isinstance(get_model("ff3", factors=factors), FF3)
    assert isinstance(get_model(Carhart(), factors=factors), Carhart)
    assert isinstance(get_model(CH3(factors=factors.rename(columns={"MKT-RF": "MKT"}))), CH3)
    with pytest.raises(EventStudyError, match="takes no option"):
        get_model("dimson", lag=2)
    with pytest.raises(EventStudyError, match="given with a model instance"):
        get_model(Dimson(), lags=2)
    with pytest.raises(EventStudyError, match="uses no factors"):
        get_model("market", factors=factors)
    with pytest.raises(EventStudyError, match="needs a factor frame"):
        get_model("ff3")
    with pytest.raises(EventStudyError, match="factors given twice"):
        get_model(FF3(factors=factors), factors=factors)
    with pytest.raises(EventStudyError, match="needs factor VMG"):
        get_model("ch3", factors=factors.drop(columns="VMG"))
    with pytest.raises(EventStudyError, match="lags must be an integer"):
        Dimson(lags=-1)
    with pytest.raises(EventStudyError, match="ar must be"):
        Dimson(ar="lead")
    with pytest.raises(EventStudyError, match="not in the frame"):
        get_model("factors", factors=factors, columns=["SMB", "QMJ"])
    with pytest.raises(EventStudyError, match="fixed factors"):
        FF3(columns=("SMB",))
    with pytest.raises(EventStudyError, match="excess=True needs an RF"):
        get_model("factors", factors=factors.drop(columns="RF"), excess=True)
    assert FactorModel(factors=factors, columns=("SMB", "VMG")).coef_names == ("SMB", "VMG")


def test_min_estimation_days_must_exceed_the_parameters(data):
    with pytest.raises(EventStudyError, match="must exceed the 12 parameters"):
        _fit(data, Dimson(lags=5, leads=5), min_estimation_days=12)


def test_reproduce_and_compare_cover_the_coefficients(data, tmp_path):
    from eventstudy.report.compare import compare_dirs
    from eventstudy.report.files import write_outputs
    from eventstudy.reproduce import reproduce

    returns, factors, events, _ = data
    cal = es.load_calendar(events.assign(date=events["date"].dt.strftime("%Y-%m-%d")))
    res = _fit((returns, factors, cal, None), "ff3", factors)
    out = tmp_path / "run"
    write_outputs(res, out, panel=es.Panel(returns=returns), calendar=cal, parameters={})
    assert (out / "data" / "factors.parquet").is_file()
    rep = reproduce(out)
    assert rep.ok, rep.report()
    # a moved coefficient is reported by compare
    other = tmp_path / "other"
    shutil.copytree(out, other)
    ev = pd.read_csv(other / "events.csv", dtype=str, keep_default_na=False)
    ev.loc[0, "coef_SMB"] = str(float(ev.loc[0, "coef_SMB"]) + 0.01)
    ev.to_csv(other / "events.csv", index=False)
    cmp = compare_dirs(other, out)
    assert not cmp.same
    assert "coef_SMB" in cmp.to_markdown()
