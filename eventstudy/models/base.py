r"""The model interface, the fitted parameters and the batched k-regressor solver.

Every model works on aligned arrays: ``y`` is an (events x days) matrix of
firm returns over the estimation window and ``x`` the model's regressors on
the same days, (events x days) for one regressor or (events x days x p) for
``p`` of them, with NaN where a value is missing.  Only complete cases (the
firm and every regressor present) are used; ``L_i`` is their number.

**Prediction-error covariance.**  Every model predicts the normal return of
event day ``t`` as :math:`z_t'\hat\gamma_i` with :math:`z_t = (1, x_{0t}')'`
(or without the 1 and without estimation error for the market-adjusted
model), where :math:`\hat\gamma_i` is estimated on the estimation days with
design :math:`Z_i = [1, X_i]`.  The prediction errors then have the exact
covariance (Campbell, Lo & MacKinlay 1997, eq. 4.4.13)

.. math::

   \operatorname{Cov}(AR_{it}, AR_{is}) = \hat\sigma_i^2\bigl(\mathbf 1[t=s]
       + z_t'(Z_i'Z_i)^{-1}z_s\bigr)
     = \hat\sigma_i^2\bigl(\mathbf 1[t=s] + c_{0i}
       + (x_{0t}-\bar x_i)'S_i^{-1}(x_{0s}-\bar x_i)\bigr),

with :math:`\bar x_i` the mean of the regressors over the estimation days,
:math:`S_i = \sum_s (x_s-\bar x_i)(x_s-\bar x_i)'` their centred
cross-product matrix and :math:`c_{0i} = 1/L_i` (the partitioned inverse of
:math:`Z'Z`; the centred form is exact and better conditioned).
:class:`ModelFit` stores :math:`c_0`, :math:`\bar x` and :math:`S^{-1}`;
:mod:`eventstudy.abnormal` evaluates :math:`\operatorname{Var}(AR_{it})` and the
exact CAR variance :math:`\gamma' V_i \gamma` from them.  For the market model
(:math:`p = 1`) this is the classic :math:`1/L_i + (R_{mt}-\bar R_m)^2/S_{xx}`.

The solver :func:`ols_batch` estimates all events at once: centred sums
(one ``einsum`` each), a batch of small p x p systems solved with
``numpy.linalg`` on the correlation-scaled matrices, no per-event loop.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from eventstudy.align import window_values

__all__ = [
    "DEGENERATE_REASONS",
    "ModelFit",
    "NormalReturnModel",
    "OlsBatch",
    "Regressors",
    "ols_batch",
    "regressors_missing",
    "window_rows",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: A regressor whose centred sum of squares is at most this share of its raw
#: sum of squares is constant over the estimation days (relative variation
#: below 1e-10: rounding noise, not information).
CONSTANT_TOL = 1e-20
#: Regressors whose correlation matrix has an eigenvalue below this are
#: collinear (the solve would lose about ten digits or more).
COLLINEAR_TOL = 1e-10

#: Reasons a model gives for a design it cannot estimate (see ``degenerate``).
DEGENERATE_REASONS: dict[str, str] = {
    "flat_market": "market return constant over the estimation days",
    "collinear": "regressors constant or collinear over the estimation days ({names})",
    "sw_undefined": (
        "Scholes-Williams beta undefined: market return constant over the estimation "
        "days or 1 + 2 rho_m <= 0"
    ),
}


def _safe_div(a: Any, b: Any) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(a, dtype=np.float64) / b
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class ModelFit:
    r"""Per-event parameters of a fitted normal-return model (arrays of length E).

    Attributes
    ----------
    alpha, beta : ndarray (E,)
        Intercept and market slope (the Scholes-Williams or Dimson beta for
        those models, the market factor's coefficient for factor models); NaN
        where the model has no such parameter.
    sigma2 : ndarray (E,)
        Residual variance :math:`\hat\sigma_i^2 = \sum\hat\varepsilon^2/d_i`.
    n, dof : ndarray (E,) of int
        :math:`L_i`, the complete estimation days, and :math:`d_i = L_i - k`.
    c0 : ndarray (E,)
        :math:`1/L_i` for a model with an estimated intercept, 0 without.
    xbar : ndarray (E, q)
        Mean over the estimation days of each prediction regressor.
    sinv : ndarray (E, q, q)
        Inverse of their centred cross-product matrix :math:`S_i^{-1}`.
    degenerate : ndarray (E,) of bool
        The design cannot be estimated (a constant or collinear regressor);
        the study excludes these events with the model's ``degenerate_reason``.
    pred : tuple of int
        Columns of the gathered regressor array that form the prediction
        vector :math:`x_{0t}` (length ``q``; a column may repeat, as in the
        Dimson sum convention).
    names : tuple of str
        Coefficient names, for the labels of ``columns``.
    columns : dict of str to ndarray (E,)
        Per-event values for ``events.csv`` beyond ``alpha``, ``beta`` and
        ``sigma``: standard errors and every coefficient under its name.
    """

    alpha: FloatArray
    beta: FloatArray
    sigma2: FloatArray
    n: IntArray
    dof: IntArray
    c0: FloatArray
    xbar: FloatArray
    sinv: FloatArray
    degenerate: BoolArray
    pred: tuple[int, ...] = ()
    names: tuple[str, ...] = ()
    columns: dict[str, FloatArray] = field(default_factory=dict)

    def subset(self, keep: NDArray[Any]) -> ModelFit:
        """The fit of the events selected by ``keep`` (a mask or indices)."""
        arrays = {
            f.name: getattr(self, f.name)[keep]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return replace(self, **arrays, columns={k: v[keep] for k, v in self.columns.items()})

    @staticmethod
    def concat(fits: list[ModelFit]) -> ModelFit:
        """One fit from the fits of consecutive blocks of events (rows stacked)."""
        if len(fits) == 1:
            return fits[0]
        first = fits[0]
        arrays: dict[str, Any] = {
            f.name: np.concatenate([getattr(x, f.name) for x in fits])
            for f in fields(first)
            if isinstance(getattr(first, f.name), np.ndarray)
        }
        cols = {k: np.concatenate([x.columns[k] for x in fits]) for k in first.columns}
        return replace(first, **arrays, columns=cols)

    def predictors(self, x: FloatArray) -> FloatArray:
        """Prediction vectors :math:`x_{0t}`, (E, W, q), from gathered regressors ``x``."""
        x3 = x[..., None] if x.ndim == 2 else x
        if not self.pred:
            return np.zeros(x3.shape[:2] + (0,))
        return x3[..., list(self.pred)]


@dataclass(frozen=True)
class Regressors:
    """A model's regressors on the panel's dates, and what to subtract from returns.

    ``x`` is (T,) for one regressor (the market) or (T, p); ``rf`` (T,), when
    given, is subtracted from firm returns (excess returns); ``notes`` say
    what the alignment did (they go to ``results.notes``).
    """

    x: FloatArray
    rf: FloatArray | None = None
    notes: tuple[str, ...] = ()

    def windows(
        self,
        firm: FloatArray,
        d0: IntArray,
        offsets: IntArray,
        tk: IntArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Firm (excess) returns (E, D) and regressors (E, D[, p]) on ``d0 + offsets``.

        A day without ``rf`` keeps the firm's return in ``y`` and loses its
        regressors instead: like a day without factors it leaves the
        estimation and has no abnormal return, and it is counted as a day on
        which the firm traded but the model's inputs were missing
        (``n_missing_factor_days``), not as a day the firm did not trade.
        """
        y = window_rows(firm, d0, offsets, tk)
        x = self.gather(d0, offsets)
        if self.rf is not None:
            rf = window_rows(self.rf, d0, offsets)
            gone = np.isnan(rf)
            y = y - np.where(gone, 0.0, rf)
            if gone.any():
                x[gone] = np.nan  # (E, D) mask over the first two axes of x
        return y, x

    def gather(self, d0: IntArray, offsets: IntArray) -> FloatArray:
        """Regressors on ``d0 + offsets``: (E, D) or (E, D, p), NaN outside the data."""
        if self.x.ndim == 1:
            return window_rows(self.x, d0, offsets)
        p = self.x.shape[1]
        # (E, D, p) view of (E, p, D) memory: each regressor's days are contiguous,
        # which makes the solver's sums over days fast
        out = np.empty((len(d0), p, len(offsets)))
        for j in range(p):
            out[:, j, :] = window_rows(self.x[:, j], d0, offsets)
        return out.transpose(0, 2, 1)


#: Events per block of :func:`window_rows` on a grid.
GATHER_BLOCK = 1024


def window_rows(
    mat: FloatArray, d0: IntArray, offsets: IntArray, cols: IntArray | None = None
) -> FloatArray:
    """:func:`~eventstudy.align.window_values` (NaN fill) with a fast path, same values.

    When the offsets are consecutive days and every window lies inside the
    grid, each event's window is one row of a sliding-window view of ``mat``
    (no index array per cell), and the windows of a (days x tickers) grid are
    read in ticker-then-day order (neighbouring events share cache lines)
    and put back in the events' order.  Otherwise :func:`window_values`.
    """
    t_len, n_off = mat.shape[0], len(offsets)
    if len(d0) and n_off and mat.dtype == np.float64 and mat.ndim == (1 if cols is None else 2):
        first = d0 + offsets[0]
        inside = int(first.min()) >= 0 and int(first.max()) + n_off <= t_len
        if cols is not None and inside:  # (window_values' flat path reads other columns)
            inside = int(cols.min()) >= 0 and int(cols.max()) < mat.shape[1]
        if inside and (n_off == 1 or bool((np.diff(offsets) == 1).all())):
            view = np.lib.stride_tricks.sliding_window_view(mat, n_off, axis=0)
            if cols is None:
                return np.asarray(view[first], dtype=np.float64)
            order = np.lexsort((first, cols))
            out = np.empty((len(d0), n_off))
            for lo in range(0, len(order), GATHER_BLOCK):  # (a temporary that stays in cache)
                o = order[lo : lo + GATHER_BLOCK]
                out[o] = view[first[o], cols[o]]
            return out
    return window_values(mat, d0, offsets, cols)


def regressors_missing(x: FloatArray) -> BoolArray:
    """(E, D) mask of days on which any regressor of ``x`` (E, D) or (E, D, p) is missing."""
    if x.ndim == 2:
        return np.isnan(x)
    miss = np.zeros(x.shape[:2], dtype=bool)
    for j in range(x.shape[-1]):
        miss |= np.isnan(x[..., j])
    return miss


class NormalReturnModel(ABC):
    """A normal-return model: estimation on arrays, then abnormal returns.

    Subclasses set ``name`` and implement :attr:`k`, :meth:`fit` and
    :meth:`abnormal`; :meth:`regressors` defaults to the market return.
    """

    name: ClassVar[str]
    #: words for the exclusion of an event whose design is degenerate
    degenerate_key: ClassVar[str] = "collinear"

    @property
    @abstractmethod
    def k(self) -> int:
        """Parameters estimated from the firm's returns (the divisor is ``L - k``)."""

    @abstractmethod
    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        """Fit on (events x days) ``y`` and regressors ``x`` (E, D) or (E, D, p)."""

    @abstractmethod
    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        """Abnormal returns on (events x days) event-window arrays."""

    def regressors(self, panel: Any) -> Regressors:
        """The model's regressors on the panel's dates (default: the market return)."""
        return Regressors(np.asarray(panel.market, dtype=np.float64))

    @property
    def coef_names(self) -> tuple[str, ...]:
        """Names of the slope coefficients (``events.csv`` columns ``coef_<name>``)."""
        return ()

    @property
    def options(self) -> dict[str, Any]:
        """Settings that rebuild this model with :func:`~eventstudy.models.get_model`."""
        return {}

    @property
    def label(self) -> str:
        """One line for summaries: the name and, where any, the regressors."""
        names = self.coef_names
        return f"{self.name} ({', '.join(names)})" if names else self.name

    @property
    def degenerate_reason(self) -> str:
        """Exclusion reason of an event whose design cannot be estimated."""
        text = DEGENERATE_REASONS[self.degenerate_key]
        return text.format(names=", ".join(self.coef_names) or "market")

    def day0_missing(self, reg: Regressors, d0: IntArray) -> tuple[BoolArray, str]:
        """Events whose model inputs are missing on day 0, and the exclusion reason.

        Default: none (the market return exists on every session of the
        panel).  Factor models exclude an event whose day 0 has no factor
        row or a missing factor or ``RF`` (the factor file ends early, say):
        its day-0 abnormal return cannot be computed.
        """
        return np.zeros(len(d0), dtype=bool), ""

    def describe(self) -> dict[str, Any]:
        """Name, options and coefficient names, for ``config`` in ``summary.json``."""
        return {"name": self.name, "options": self.options, "coefficients": list(self.coef_names)}

    @staticmethod
    def _complete(y: FloatArray, x: FloatArray) -> tuple[BoolArray, IntArray]:
        mask = ~(np.isnan(y) | regressors_missing(x))
        return mask, mask.sum(axis=1).astype(np.int64)


@dataclass(frozen=True)
class OlsBatch:
    """Output of :func:`ols_batch` (arrays over events; ``p`` slopes)."""

    mask: BoolArray  # (E, D) complete cases
    n: IntArray  # (E,)
    alpha: FloatArray  # (E,)
    coef: FloatArray  # (E, p)
    sigma2: FloatArray  # (E,)
    dof: IntArray  # (E,)
    xbar: FloatArray  # (E, p)
    sinv: FloatArray  # (E, p, p)
    degenerate: BoolArray  # (E,)

    def se(self) -> FloatArray:
        """Standard errors of the slopes, (E, p): sqrt(σ̂² diag(S⁻¹))."""
        d = np.einsum("eii->ei", self.sinv)
        return np.sqrt(self.sigma2[:, None] * d)

    def se_alpha(self) -> FloatArray:
        """Standard error of the intercept: sqrt(σ̂² (1/L + x̄'S⁻¹x̄))."""
        q = np.einsum("ei,eij,ej->e", self.xbar, self.sinv, self.xbar)
        return np.sqrt(self.sigma2 * (_safe_div(1.0, self.n.astype(np.float64)) + q))


def ols_batch(y: FloatArray, x: FloatArray, mask: BoolArray | None = None) -> OlsBatch:
    r"""OLS of ``y`` on a constant and ``p`` regressors, for every event at once.

    Parameters
    ----------
    y : ndarray (E, D)
        Dependent variable (NaN where missing).
    x : ndarray (E, D, p)
        Regressors (NaN where missing); the intercept is added.
    mask : ndarray (E, D) of bool, optional
        Days to use; default the complete cases of ``y`` and ``x``.

    Returns
    -------
    OlsBatch
        With :math:`S = \sum (x-\bar x)(x-\bar x)'` and
        :math:`s_{xy} = \sum (x-\bar x)(y-\bar y)` over the days used:
        :math:`\hat b = S^{-1}s_{xy}`, :math:`\hat a = \bar y - \bar x'\hat b`,
        :math:`\hat\sigma^2 = \sum\hat\varepsilon^2/(L-p-1)`.

    Notes
    -----
    Each :math:`S_i` is scaled to a correlation matrix :math:`R_i =
    D_i S_i D_i` (:math:`D_i = \operatorname{diag}(S_i)^{-1/2}`) before the
    batched ``numpy.linalg.solve`` / ``inv``.  An event is ``degenerate``
    (and its estimates NaN) when a regressor is constant over its days
    (:math:`S_{jj} \le 10^{-20}\sum x_j^2`), the smallest eigenvalue of
    :math:`R_i` is below :math:`10^{-10}` (collinear regressors), or it has
    no more days than parameters.
    """
    e, d, p = x.shape
    xt = np.moveaxis(x, -1, 1)  # (E, p, D): sums over days run along contiguous memory
    if not xt.flags.c_contiguous:
        xt = np.ascontiguousarray(xt)
    if mask is None:
        mask = ~(np.isnan(y) | regressors_missing(x))
    n = mask.sum(axis=1).astype(np.int64)
    nf = n.astype(np.float64)
    m3 = mask[:, None, :]
    # few large temporaries: xc starts as the masked regressors and is centred in place
    xc = np.where(m3, xt, 0.0)
    raw = np.einsum("eid,eid->ei", xc, xc)
    xbar = _safe_div(xc.sum(axis=2), nf[:, None])
    np.subtract(xc, xbar[:, :, None], out=xc)
    np.multiply(xc, m3, out=xc)
    yc = np.where(mask, y, 0.0)
    ybar = _safe_div(yc.sum(axis=1), nf)
    np.subtract(yc, ybar[:, None], out=yc)
    np.multiply(yc, mask, out=yc)
    s = np.matmul(xc, xc.transpose(0, 2, 1))
    sxy = np.matmul(xc, yc[:, :, None])[..., 0]
    diag = np.einsum("eii->ei", s)
    const = ~(diag > CONSTANT_TOL * raw) | ~(diag > 0)
    bad = const.any(axis=1) | (n <= p + 1)
    scale = np.where(const, 1.0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)))
    r = s * scale[:, :, None] * scale[:, None, :]
    eye = np.eye(p)
    r = np.where(bad[:, None, None], eye, r)
    if p > 1:
        bad |= np.linalg.eigvalsh(r)[:, 0] < COLLINEAR_TOL
        r = np.where(bad[:, None, None], eye, r)
    rhs = np.where(bad[:, None], 0.0, sxy * scale)
    b = np.linalg.solve(r, rhs[..., None])[..., 0] * scale
    sinv = np.linalg.inv(r) * scale[:, :, None] * scale[:, None, :]
    b[bad] = np.nan
    sinv[bad] = np.nan
    a = ybar - np.einsum("ei,ei->e", xbar, b)
    resid = np.matmul(b[:, None, :], xc)[:, 0, :]
    np.subtract(yc, resid, out=resid)
    ssr = np.einsum("ed,ed->e", resid, resid)
    dof = n - (p + 1)
    sigma2 = _safe_div(ssr, dof.astype(np.float64))
    return OlsBatch(mask, n, a, b, sigma2, dof, xbar, sinv, bad)
