r"""Normal-return models, fitted for all events at once.

One module per family:

* :mod:`eventstudy.models.market`: the market model by OLS, and the
  thin-trading betas of Scholes & Williams (1977) and Dimson (1979);
* :mod:`eventstudy.models.factors`: regressions on a user-supplied factor
  frame: any named factors, Fama-French three factors, Carhart, CH-3;
* :mod:`eventstudy.models.adjusted`: market-adjusted and constant-mean returns;
* :mod:`eventstudy.models.base`: the interface, :class:`ModelFit` and the
  batched k-regressor solver with the exact prediction-error variance
  :math:`\hat\sigma^2(1 + z_0'(Z'Z)^{-1}z_0)` shared by all of them.

Every model gives prediction errors whose covariance over event days
``t, s`` is :math:`\hat\sigma_i^2(\mathbf 1[t=s] + c_{0i} + (x_{0t}-\bar x_i)'
S_i^{-1}(x_{0s}-\bar x_i))`, so the variance of a CAR is the exact quadratic
form :math:`\gamma'V\gamma` (:mod:`eventstudy.abnormal`).
"""

from __future__ import annotations

from typing import Any

from eventstudy.exceptions import EventStudyError
from eventstudy.models.adjusted import ConstantMean, MarketAdjusted
from eventstudy.models.base import (
    DEGENERATE_REASONS,
    ModelFit,
    NormalReturnModel,
    OlsBatch,
    Regressors,
    ols_batch,
    regressors_missing,
)
from eventstudy.models.factors import CH3, FF3, Carhart, FactorModel
from eventstudy.models.market import Dimson, MarketModel, ScholesWilliams

__all__ = [
    "CH3",
    "DEGENERATE_REASONS",
    "FF3",
    "MODELS",
    "MODEL_OPTIONS",
    "Carhart",
    "ConstantMean",
    "Dimson",
    "FactorModel",
    "MarketAdjusted",
    "MarketModel",
    "ModelFit",
    "NormalReturnModel",
    "OlsBatch",
    "Regressors",
    "ScholesWilliams",
    "get_model",
    "ols_batch",
    "regressors_missing",
]

MODELS: dict[str, type[NormalReturnModel]] = {
    cls.name: cls
    for cls in (
        MarketModel,
        MarketAdjusted,
        ConstantMean,
        FactorModel,
        FF3,
        Carhart,
        CH3,
        ScholesWilliams,
        Dimson,
    )
}

#: options each model accepts (``model_options`` / ``get_model(name, **options)``)
MODEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "factors": ("columns", "excess"),
    "ff3": ("excess",),
    "carhart": ("excess",),
    "ch3": ("excess",),
    "dimson": ("lags", "leads", "ar"),
}

_ALIASES = {
    "market-model": "market",
    "mm": "market",
    "sim": "market",
    "ols": "market",
    "mean-adjusted": "constant-mean",
    "constant-mean-return": "constant-mean",
    "market-adj": "market-adjusted",
    "excess-return": "market-adjusted",
    "factor": "factors",
    "ff-3": "ff3",
    "famafrench3": "ff3",
    "carhart4": "carhart",
    "carhart-4": "carhart",
    "ff4": "carhart",
    "ch-3": "ch3",
    "sw": "scholes-williams",
    "scholes": "scholes-williams",
    "scholeswilliams": "scholes-williams",
}


def get_model(
    name: str | NormalReturnModel, *, factors: Any = None, **options: Any
) -> NormalReturnModel:
    """A model instance by name, or the instance given, bound to ``factors`` if it needs them.

    Parameters
    ----------
    name : str or NormalReturnModel
        ``market``, ``market-adjusted``, ``constant-mean``, ``factors``,
        ``ff3``, ``carhart``, ``ch3``, ``scholes-williams``, ``dimson``
        (common aliases accepted), or an instance.
    factors : FactorFrame, DataFrame or path, optional
        Factor frame of the factor models (ignored by nothing: giving it to a
        model without factors is an error).
    **options
        Model options (:data:`MODEL_OPTIONS`): ``lags``, ``leads``, ``ar`` for
        ``dimson``; ``columns``, ``excess`` for ``factors``; ``excess`` for
        ``ff3``, ``carhart``, ``ch3``.

    Raises
    ------
    EventStudyError
        Unknown model or option, options given with an instance, factors for
        a model that takes none, or a factor model without factors.
    """
    if isinstance(name, NormalReturnModel):
        if options:
            raise EventStudyError(
                f"model options {sorted(options)} given with a model instance; set them "
                f"on the instance, e.g. {type(name).__name__}(...)"
            )
        model = name
    else:
        key = str(name).strip().lower().replace("_", "-")
        key = _ALIASES.get(key, key)
        if key not in MODELS:
            raise EventStudyError(f"model {name!r} is not known; choose one of {sorted(MODELS)}")
        allowed = MODEL_OPTIONS.get(key, ())
        bad = sorted(set(options) - set(allowed))
        if bad:
            raise EventStudyError(
                f"model {key!r} takes no option(s) {bad}; allowed: {list(allowed) or 'none'}"
            )
        model = MODELS[key](**options)
    if isinstance(model, FactorModel):
        if factors is not None:
            if model.factors is not None:
                raise EventStudyError(
                    "factors given twice: in the model instance and as factors=; keep one"
                )
            model = model.with_factors(factors)
        model._frame()  # a factor model without factors is an error here, not later
    elif factors is not None:
        raise EventStudyError(
            f"factors= was given but model {model.name!r} uses no factors; choose "
            "model='factors', 'ff3', 'carhart' or 'ch3'"
        )
    return model
