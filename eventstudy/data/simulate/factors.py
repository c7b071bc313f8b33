r"""Optional factor structure and non-synchronous trading in the simulated market.

Factor structure (``factor_model="ff3" | "carhart" | "ch3"``).  Besides the
index, the simulator draws daily factor returns :math:`F_{kt}` (SMB, HML, UMD
or VMG; i.i.d. Student-t with ``tail_df`` degrees of freedom, scaled to the
factor's mean and sd, independent of the index) and a loading :math:`b_{ik}`
per firm and factor, and the firm's latent return becomes

.. math::

    R_{it} - RF_t = \alpha_i + \beta_i (R_{mt} - RF_t) + \sum_k b_{ik} F_{kt}
                    + \sigma_i e_{it} + A_{it}

with a constant daily risk-free rate ``RF`` (``risk_free``).  The market
factor is the index's excess return, ``MKT-RF`` (``MKT`` in CH-3, Liu,
Stambaugh and Yuan 2019) :math:`= R_{mt} - RF_t`, computed from the index
return in the panel, so ``MKT-RF + RF`` equals that return up to one
floating-point rounding.

Non-synchronous trading (``nonsync=p``).  A share ``p`` of the firms is
thin: its price takes in a share :math:`\lambda_i` of the day's common news
one session late.  With :math:`S_{it}` the firm's systematic return
(:math:`\beta_i R_{mt}`, or :math:`\beta_i (R_{mt}-RF_t) + \sum_k b_{ik}F_{kt}`
with factors) the latent return uses
:math:`(1-\lambda_i) S_{it} + \lambda_i S_{i,t-1}` instead of :math:`S_{it}`
(:math:`S_{i,-1} = 0`).  The OLS beta on the same day's index return then
estimates :math:`(1-\lambda_i)\beta_i` (the index has no autocorrelation in
mean), biased toward zero, while the Dimson (1979) sum of the lagged and
same-day slopes, and the Scholes and Williams (1977) beta, estimate
:math:`\beta_i`: the price-adjustment-delay form of non-synchronous trading
(Cohen, Hawawini, Maier, Schwartz and Whitcomb 1983).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.data.factors_checks import RF_MAX
from eventstudy.data.simulate.config import _check_range, _unif
from eventstudy.data.simulate.events import _exact_pick
from eventstudy.data.simulate.market import _t_shocks
from eventstudy.exceptions import EventStudyError

__all__ = [
    "DEFAULT_FACTOR_MEAN",
    "DEFAULT_FACTOR_SD",
    "DEFAULT_LOADING_RANGES",
    "FACTOR_MODELS",
]

#: Factor columns of each model, named as in the standard files (Ken French's
#: daily files; Liu-Stambaugh-Yuan's CH-3), in decimals; ``RF`` is added last.
FACTOR_MODELS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "ff3": ("MKT-RF", "SMB", "HML"),
        "carhart": ("MKT-RF", "SMB", "HML", "UMD"),
        "ch3": ("MKT", "SMB", "VMG"),
    }
)
_MARKET: Final = ("MKT-RF", "MKT")
_OTHER: Final = ("SMB", "HML", "UMD", "VMG")

#: Daily standard deviation of each non-market factor.
DEFAULT_FACTOR_SD: Final[Mapping[str, float]] = MappingProxyType(
    {"SMB": 0.006, "HML": 0.005, "UMD": 0.007, "VMG": 0.006}
)
#: Daily mean of each non-market factor.
DEFAULT_FACTOR_MEAN: Final[Mapping[str, float]] = MappingProxyType(
    {"SMB": 0.0002, "HML": 0.0001, "UMD": 0.0002, "VMG": 0.0003}
)
#: Range of the firms' loadings on each non-market factor (uniform draws).
DEFAULT_LOADING_RANGES: Final[Mapping[str, tuple[float, float]]] = MappingProxyType(
    {"SMB": (-0.2, 1.2), "HML": (-0.5, 0.8), "UMD": (-0.4, 0.4), "VMG": (-0.6, 0.6)}
)


def _merged(name: str, given: Any, default: Mapping[str, Any]) -> dict[str, Any]:
    if given is None:
        return dict(default)
    if not isinstance(given, Mapping):
        raise EventStudyError(f"{name} must be a mapping of factor name to value; got {given!r}")
    bad = [k for k in given if k not in _OTHER]
    if bad:
        raise EventStudyError(
            f"{name}: unknown factor(s) {bad}; the simulated factors are {list(_OTHER)} "
            "(the market factor follows the index)"
        )
    return {**default, **given}


def _check_factor_config(cfg: dict[str, Any]) -> None:
    """Validate the factor and non-synchronous-trading parameters in place."""
    model = cfg["factor_model"]
    tuning = ("factor_sd", "factor_mean", "loading_ranges")
    if model is None:
        given = [k for k in tuning if cfg[k] is not None]
        if given:
            raise EventStudyError(
                f"{', '.join(given)} given without factor_model; choose factor_model from "
                f"{list(FACTOR_MODELS)}"
            )
    else:
        key = str(model).strip().lower()
        if key not in FACTOR_MODELS:
            raise EventStudyError(
                f"factor_model must be one of {list(FACTOR_MODELS)} or None; got {model!r}"
            )
        cfg["factor_model"] = key
        sd = _merged("factor_sd", cfg["factor_sd"], DEFAULT_FACTOR_SD)
        mean = _merged("factor_mean", cfg["factor_mean"], DEFAULT_FACTOR_MEAN)
        ranges = _merged("loading_ranges", cfg["loading_ranges"], DEFAULT_LOADING_RANGES)
        for k in _OTHER:
            sd[k] = float(sd[k])
            mean[k] = float(mean[k])
            if not 0.0 <= sd[k] <= 0.2:
                raise EventStudyError(f"factor_sd[{k!r}] must lie in [0, 0.2]; got {sd[k]!r}")
            if not abs(mean[k]) <= 0.05:
                raise EventStudyError(
                    f"factor_mean[{k!r}] must lie in [-0.05, 0.05]; got {mean[k]!r}"
                )
            ranges[k] = _check_range(f"loading_ranges[{k!r}]", ranges[k], -5.0, 5.0)
        cfg.update(factor_sd=sd, factor_mean=mean, loading_ranges=ranges)
    try:
        rf = float(cfg["risk_free"])
    except (TypeError, ValueError):
        rf = float("nan")
    if not abs(rf) <= RF_MAX:  # the factor reader refuses a larger daily rate
        raise EventStudyError(
            f"risk_free is a daily rate and must lie in [-{RF_MAX}, {RF_MAX}] (the bound "
            f"read_factors applies to RF); got {cfg['risk_free']!r}"
        )
    cfg["risk_free"] = rf
    try:
        share = float(cfg["nonsync"])
    except (TypeError, ValueError):
        share = float("nan")
    if not 0.0 <= share <= 1.0:
        raise EventStudyError(f"nonsync must lie in [0, 1]; got {cfg['nonsync']!r}")
    cfg["nonsync"] = share
    cfg["nonsync_lag"] = _check_range("nonsync_lag", cfg["nonsync_lag"], 0.0, 1.0)


def factor_returns(
    rng: np.random.Generator, cfg: dict[str, Any], n_days: int, n_col: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Non-market factor series (days) and loadings (columns; the index column 0 gets 0)."""
    names = [k for k in FACTOR_MODELS[cfg["factor_model"]] if k not in _MARKET]
    shocks = _t_shocks(rng, (n_days, len(names)), cfg["tail_df"])
    series = {
        k: cfg["factor_mean"][k] + cfg["factor_sd"][k] * shocks[:, j] for j, k in enumerate(names)
    }
    loadings = {}
    for k in names:
        b = _unif(rng, cfg["loading_ranges"][k], n_col)
        b[0] = 0.0
        loadings[k] = b
    return series, loadings


def add_systematic(
    growth: np.ndarray,
    r_m: np.ndarray,
    beta: np.ndarray,
    cfg: dict[str, Any],
    rngs: Mapping[str, np.random.Generator],
) -> dict[str, np.ndarray]:
    """Add the factor terms and the non-synchronous lag to ``growth`` in place.

    ``growth`` already holds ``1 + alpha + sigma e + beta R_m``.  Returns the
    per-column truth: ``beta_<factor>`` loadings (with factors) and
    ``nonsync_lag`` (with ``nonsync > 0``), and the factor series under
    ``"series:<name>"`` keys.
    """
    n_days, n_col = growth.shape
    out: dict[str, np.ndarray] = {}
    if cfg["factor_model"] is not None:
        series, loadings = factor_returns(rngs["factors"], cfg, n_days, n_col)
        rf = cfg["risk_free"]
        growth += rf * (1.0 - beta)
        for k, f in series.items():
            growth += f[:, None] * loadings[k]
        market = FACTOR_MODELS[cfg["factor_model"]][0]
        out[f"beta_{market}"] = beta.copy()
        for k in series:
            out[f"beta_{k}"] = loadings[k]
            out[f"series:{k}"] = series[k]
        terms = np.column_stack([r_m - rf, *series.values()])
        coef = np.vstack([beta, *loadings.values()])
    else:
        terms = r_m[:, None]
        coef = beta[None, :]
    if cfg["nonsync"] > 0:
        rng = rngs["nonsync"]
        thin = np.flatnonzero(_exact_pick(rng, n_col - 1, cfg["nonsync"])) + 1
        lag = np.zeros(n_col)
        lag[thin] = _unif(rng, cfg["nonsync_lag"], len(thin))
        s = terms @ coef[:, thin]  # the thin firms' systematic returns
        late = np.vstack([np.zeros((1, len(thin))), s[:-1]])
        growth[:, thin] += lag[thin] * (late - s)
        out["nonsync_lag"] = lag
    return out


def factor_frame(
    cfg: dict[str, Any], truth: Mapping[str, np.ndarray], index_returns: pd.Series
) -> pd.DataFrame:
    """``sim.factors``: the factor columns of the model and ``RF``, indexed by date.

    ``index_returns`` is the index return in the panel (indexed by session),
    so the market factor is exactly what a study can compute from the data.
    """
    names = FACTOR_MODELS[cfg["factor_model"]]
    rf = np.full(len(index_returns), cfg["risk_free"])
    cols: dict[str, np.ndarray] = {names[0]: index_returns.to_numpy() - rf}
    for k in names[1:]:
        cols[k] = truth[f"series:{k}"]
    cols["RF"] = rf
    frame = pd.DataFrame(cols, index=pd.DatetimeIndex(index_returns.index, name="date"))
    frame.columns.name = None
    return frame
