"""Test statistics as objects, evaluated for every event day and CAR window at once.

A test is a small subclass of :class:`EventTest` that maps the cross-section
of one column (one event day, or one CAR window) to a statistic.  Kernels
work on whole ``(..., events, columns)`` arrays: one call evaluates a test for
all days or all windows, and any leading axes are independent batches (the
specification study puts its Monte Carlo trials there).  Adding a test means
adding a class and registering it in :data:`TESTS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from eventstudy.exceptions import EventStudyError

__all__ = [
    "TESTS",
    "EventTest",
    "TestColumns",
    "TestData",
    "TestOutcome",
    "get_tests",
    "register",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class TestData:
    """Everything a test may need, aligned as ``(..., events, ...)`` arrays.

    Leading axes (``...``) are independent batches; a study has none.

    Attributes
    ----------
    ar, sar : (..., E, W) abnormal and standardised abnormal returns on event days.
    car, scar : (..., E, K) CAR and standardised CAR per window.
    dof : (..., E) degrees of freedom of each event's variance estimate (L_i - k).
    n_est : (..., E) number of estimation days L_i.
    sigma2 : (..., E) residual variance of each event's normal-return model.
    est_ar : (..., E, L) estimation-window abnormal returns (NaN where missing).
    day0 : (..., E) position of day 0 on the market's trading-day axis (calendar
        time); estimation day ``j`` of event ``i`` is at ``day0[i] + est_taus[j]``.
    taus : (W,) event days; windows : list of (start, end); est_taus : (L,) offsets.
    """

    ar: FloatArray
    sar: FloatArray
    car: FloatArray
    scar: FloatArray
    dof: IntArray
    n_est: IntArray
    est_ar: FloatArray
    taus: IntArray
    windows: tuple[tuple[int, int], ...]
    sigma2: FloatArray | None = None
    day0: IntArray | None = None
    est_taus: IntArray | None = None

    def __post_init__(self) -> None:
        # results shared between the tests of one data set; not a field, so a copy
        # made with ``dataclasses.replace`` starts with an empty cache
        object.__setattr__(self, "cache", {})

    cache: ClassVar[dict[Any, Any]]  # set per instance in __post_init__

    def window_days(self, j: int) -> NDArray[np.bool_]:
        """Boolean mask over ``taus`` of the days inside window ``j``."""
        a, b = self.windows[j]
        return np.asarray((self.taus >= a) & (self.taus <= b), dtype=bool)


@dataclass(frozen=True)
class TestColumns:
    """Results of one test over several columns (days or windows), shape ``(..., C)``.

    ``reason`` holds ``None`` where a statistic was computed and otherwise the
    reason it could not be.  ``extra`` carries test-specific arrays of the same
    shape (for example the average cross-correlation of the Kolari-Pynnönen tests).
    """

    stat: FloatArray
    pvalue: FloatArray
    df: FloatArray
    nobs: IntArray
    reason: NDArray[Any]
    extra: dict[str, FloatArray] = field(default_factory=dict)


@dataclass(frozen=True)
class TestOutcome:
    """One test statistic, or the reason it could not be computed.

    Attributes
    ----------
    name : str
        Registry name of the test (``csect_t``, ``patell``, ...).
    stat, pvalue : float or None
        Statistic and two-sided p-value; ``None`` when not computable.
    df : float or None
        Degrees of freedom of a Student t reference distribution.
    distribution : str
        ``"t"``, ``"normal"``, ``"signed-rank"`` or ``"bootstrap"``.
    null : str
        The null hypothesis in words.
    nobs : int
        Number of events used.
    reason : str or None
        Why the statistic could not be computed.
    """

    name: str
    stat: float | None
    pvalue: float | None
    df: float | None
    distribution: str
    null: str
    nobs: int
    reason: str | None = None

    @property
    def valid(self) -> bool:
        """Whether a statistic was computed."""
        return self.stat is not None


class EventTest(ABC):
    """Base class of event-study tests.

    Subclasses set :attr:`name`, :attr:`label`, :attr:`distribution`,
    :attr:`null` and :attr:`reference`, and implement :meth:`daily` and
    :meth:`window`.  Options (for example the bootstrap's number of
    replications) are keyword arguments of the constructor.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    distribution: ClassVar[str]
    null: ClassVar[str]
    reference: ClassVar[str]
    family: ClassVar[str] = "parametric"
    #: The test reads :attr:`TestData.est_ar` (the estimation-window abnormal
    #: returns); a study computes them only when one of its tests does.  Only
    #: a class that sets it itself is believed (:meth:`needs_estimation_ar`):
    #: a subclass of a test that does not read them may.
    reads_estimation_ar: ClassVar[bool] = True

    def needs_estimation_ar(self) -> bool:
        """Whether this test may read :attr:`TestData.est_ar` (True unless its own
        class sets :attr:`reads_estimation_ar` to False)."""
        return bool(vars(type(self)).get("reads_estimation_ar", True))

    def __init__(self, **options: Any) -> None:
        if options:
            raise EventStudyError(f"test {self.name!r} takes no options, got {sorted(options)}")

    @abstractmethod
    def daily(self, data: TestData) -> TestColumns:
        """Statistic for the mean AR of every event day (columns of ``data.ar``)."""

    @abstractmethod
    def window(self, data: TestData) -> TestColumns:
        """Statistic for the mean CAR of every window (columns of ``data.car``)."""


TESTS: dict[str, type[EventTest]] = {}


def register(cls: type[EventTest]) -> type[EventTest]:
    """Class decorator adding a test to :data:`TESTS` under its ``name``."""
    TESTS[cls.name] = cls
    return cls


def get_tests(
    names: Sequence[str] | None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[EventTest]:
    """Instantiate tests by name (``None``: every registered test), with options.

    ``options`` maps a test name to keyword arguments of its constructor, for
    example ``{"bootstrap": {"reps": 1999, "seed": 7}}``.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(TESTS))
    if unknown:
        raise EventStudyError(f"options given for unknown test(s) {unknown}")
    chosen = list(TESTS) if names is None else list(names)
    out: list[EventTest] = []
    for n in chosen:
        if n not in TESTS:
            raise EventStudyError(f"test {n!r} is not known; choose from {sorted(TESTS)}")
        out.append(TESTS[n](**dict(options.get(n, {}))))
    return out


# ---------------------------------------------------------------- helpers


def col_count(x: FloatArray) -> IntArray:
    """Number of non-missing values in each column (reduces the events axis, -2)."""
    return (~np.isnan(x)).sum(axis=-2).astype(np.int64)


def col_mean_sd(x: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Column mean, standard deviation (divisor n - 1) and count, ignoring NaN."""
    n = col_count(x)
    nf = n.astype(np.float64)
    s = np.where(np.isnan(x), 0.0, x).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / nf
        dev = np.where(np.isnan(x), 0.0, x - mean[..., None, :])
        var = (dev * dev).sum(axis=-2) / (nf - 1.0)
    return mean, np.sqrt(var), n


_IS_NONE = np.frompyfunc(lambda v: v is None, 1, 1)


def no_reason(why: NDArray[Any]) -> NDArray[np.bool_]:
    """Boolean mask of the cells of a reason array that hold ``None``."""
    return np.asarray(_IS_NONE(why), dtype=bool)


def reasons(
    shape: tuple[int, ...], checks: Sequence[tuple[Any, str | NDArray[Any]]]
) -> NDArray[Any]:
    """Object array of reasons: the first failing check of each cell, else ``None``.

    ``checks`` is a sequence of ``(failed_mask, message)``; a message may be an
    array of strings of the same shape.
    """
    out = np.full(shape, None, dtype=object)
    for mask, msg in checks:
        m = np.broadcast_to(np.asarray(mask, dtype=bool), shape) & no_reason(out)
        if not m.any():
            continue
        if isinstance(msg, str):
            out[m] = msg
        else:
            out[m] = np.broadcast_to(np.asarray(msg, dtype=object), shape)[m]
    return out


def count_message(template: str, n: IntArray) -> NDArray[Any]:
    """``template.format(n=k)`` for every cell of an integer array."""
    uniq = np.unique(n)
    msg = np.empty(n.shape, dtype=object)
    for k in uniq:
        msg[n == k] = template.format(n=int(k))
    return msg


def finish(
    stat: FloatArray,
    nobs: IntArray,
    why: NDArray[Any],
    *,
    df: FloatArray | float | None = None,
    extra: dict[str, FloatArray] | None = None,
) -> TestColumns:
    """Mask failed cells, attach two-sided p-values (normal, or Student t with ``df``)."""
    bad = ~no_reason(why)
    with np.errstate(invalid="ignore"):
        bad |= ~np.isfinite(stat)
    why = np.where(bad & no_reason(why), "statistic is not finite", why)
    stat = np.where(bad, np.nan, stat)
    if df is None:
        dfa = np.full(stat.shape, np.nan)
        p = 2.0 * stats.norm.sf(np.abs(stat))
    else:
        dfa = np.where(bad, np.nan, np.broadcast_to(np.asarray(df, dtype=np.float64), stat.shape))
        with np.errstate(invalid="ignore"):
            p = 2.0 * stats.t.sf(np.abs(stat), np.where(np.isnan(dfa), 1.0, dfa))
    p = np.where(bad, np.nan, p)
    return TestColumns(stat, p, dfa, nobs, why, dict(extra or {}))


def t_statistic(x: FloatArray) -> TestColumns:
    """One-sample t statistic of every column: mean / (sd / sqrt(n)), df n - 1."""
    mean, sd, n = col_mean_sd(x)
    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(nf))
    why = reasons(
        stat.shape,
        [
            (n < 2, count_message("needs at least 2 events with data, has {n}", n)),
            (~(sd > 0), "zero cross-sectional variance"),
        ],
    )
    return finish(stat, n, why, df=nf - 1.0)


def rank_last(x: FloatArray) -> tuple[FloatArray, IntArray]:
    """Average ranks (1-based) along the last axis ignoring NaN, and the counts.

    NaN stays NaN.  Ties get the mean of the ranks they span (R's
    ``ties.method = "average"``).
    """
    from scipy.stats import rankdata

    n = (~np.isnan(x)).sum(axis=-1).astype(np.int64)
    if x.size == 0:
        return x.copy(), n
    r = rankdata(x, axis=-1, nan_policy="omit")
    return np.asarray(r, dtype=np.float64), n
