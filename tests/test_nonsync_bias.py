"""Thin trading through the study: the OLS beta is biased toward zero, Scholes-Williams
and Dimson are not (issue 11; the benchmark is benchmarks/bench_nonsync.py).

The simulator's non-synchronous firms take in a share lambda of the day's
systematic return one session late, so the market model's OLS beta estimates
(1 - lambda) beta, while the Dimson (1979) sum of the same-day and lagged
slopes and the Scholes-Williams (1977) beta estimate beta itself.  The test
fits all three models on the same events and compares ``results.events["beta"]``
with the true beta of each firm (``sim.firms``): a direction and a size, not
a single value, on a modest seeded sample.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.exceptions import DataWarning

START, END = "2021-01-04", "2022-12-30"
EST, EVW = (-250, -11), (-5, 5)
MODELS = ("market", "scholes-williams", "dimson")


@pytest.fixture(scope="module")
def betas() -> pd.DataFrame:
    """Per event: true beta, lambda and the beta of each model (one event per firm)."""
    sim = es.simulate_market(
        n_firms=80,
        seed=21,
        start=START,
        end=END,
        nonsync=0.5,
        nonsync_lag=(0.4, 0.6),
        limits=False,
        suspension_rate=0.0,
    )
    returns = sim.panel.returns[["date", "ticker", "ret"]]
    sessions = np.sort(returns["date"].unique())
    firms = sim.firms.set_index("ticker")
    rng = np.random.default_rng(3)
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:03d}" for i in range(len(firms))],
            "ticker": firms.index,
            "date": pd.DatetimeIndex(sessions[rng.integers(260, len(sessions) - 10, len(firms))]),
        }
    )
    out = events.set_index("event_id")[["ticker"]].copy()
    out["beta_true"] = firms.loc[out["ticker"], "beta"].to_numpy()
    out["lam"] = firms.loc[out["ticker"], "nonsync_lag"].to_numpy()
    for model in MODELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            res = es.EventStudy(
                events,
                returns,
                model=model,
                estimation_window=EST,
                event_window=EVW,
                tests=["csect_t"],
                calendar_time=False,
                leakage=False,
            ).fit()
        assert res.n_included == len(events)
        out[model] = res.events.set_index("event_id").loc[out.index, "beta"].astype(float)
    return out


def _mean_se(x: pd.Series) -> tuple[float, float]:
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))


def test_sample_has_thin_and_synchronous_firms(betas: pd.DataFrame) -> None:
    thin = betas["lam"] > 0
    assert thin.sum() == 40 and (~thin).sum() == 40
    assert betas.loc[thin, "lam"].between(0.4, 0.6).all()


def test_ols_beta_of_thin_firms_is_biased_toward_zero(betas: pd.DataFrame) -> None:
    thin = betas[betas["lam"] > 0]
    bias, se = _mean_se(thin["market"] - thin["beta_true"])
    # lambda about 0.5 and beta about 1.1: a bias near -0.55, many standard errors from 0
    assert bias < -0.3 and bias + 5 * se < 0
    # ... and it is the bias the model predicts: OLS estimates (1 - lambda) beta
    miss, se_miss = _mean_se(thin["market"] - (1 - thin["lam"]) * thin["beta_true"])
    assert abs(miss) < 4 * se_miss
    # toward zero, firm by firm for nearly all of them
    assert (thin["market"].abs() < thin["beta_true"].abs()).mean() > 0.9


@pytest.mark.parametrize("model", ["scholes-williams", "dimson"])
def test_thin_trading_betas_are_not_biased(betas: pd.DataFrame, model: str) -> None:
    thin = betas[betas["lam"] > 0]
    bias, se = _mean_se(thin[model] - thin["beta_true"])
    assert abs(bias) < 4 * se and abs(bias) < 0.1
    ols = (thin["market"] - thin["beta_true"]).abs().mean()
    assert (thin[model] - thin["beta_true"]).abs().mean() < 0.6 * ols


def test_synchronous_firms_all_models_unbiased(betas: pd.DataFrame) -> None:
    sync = betas[betas["lam"] == 0]
    for model in MODELS:
        bias, se = _mean_se(sync[model] - sync["beta_true"])
        assert abs(bias) < 4 * se and abs(bias) < 0.1, model
