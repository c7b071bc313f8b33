"""Test statistics as objects, evaluated for every event day and CAR window at once.

A test is a small subclass of :class:`EventTest` that maps the cross-section
of one column (one event day, or one CAR window) to a statistic.  Kernels
work on whole (events x columns) matrices, so one call evaluates a test for
all days or all windows; adding a test means adding a class and registering
it in :data:`TESTS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from eventstudy.exceptions import EventStudyError

__all__ = ["TESTS", "EventTest", "TestColumns", "TestData", "TestOutcome", "get_tests", "register"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class TestData:
    """Everything a test may need, aligned as (events x ...) arrays.

    Attributes
    ----------
    ar, sar : (E, W) abnormal and standardised abnormal returns on event days.
    car, scar : (E, K) CAR and standardised CAR per window.
    dof : (E,) degrees of freedom of each event's variance estimate (L_i - k).
    n_est : (E,) number of estimation days L_i.
    est_ar : (E, L) estimation-window abnormal returns (NaN where missing).
    taus : (W,) event days; windows : list of (start, end).
    """

    ar: FloatArray
    sar: FloatArray
    car: FloatArray
    scar: FloatArray
    dof: NDArray[np.int64]
    n_est: NDArray[np.int64]
    est_ar: FloatArray
    taus: NDArray[np.int64]
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class TestColumns:
    """Arrays of results of one test over several columns (days or windows)."""

    stat: FloatArray
    pvalue: FloatArray
    df: FloatArray
    nobs: NDArray[np.int64]
    reason: list[str | None] = field(default_factory=list)


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
        ``"t"`` or ``"normal"`` (or as documented by the test).
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

    Subclasses set :attr:`name`, :attr:`distribution`, :attr:`null` and
    :attr:`reference`, and implement :meth:`daily` and :meth:`window`.
    """

    name: ClassVar[str]
    distribution: ClassVar[str]
    null: ClassVar[str]
    reference: ClassVar[str]

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


def get_tests(names: tuple[str, ...] | list[str] | None) -> list[EventTest]:
    """Instantiate tests by name; ``None`` gives every registered test."""
    if names is None:
        return [cls() for cls in TESTS.values()]
    out: list[EventTest] = []
    for n in names:
        if n not in TESTS:
            raise EventStudyError(f"test {n!r} is not known; choose from {sorted(TESTS)}")
        out.append(TESTS[n]())
    return out


# ---------------------------------------------------------------- helpers


def col_count(x: FloatArray) -> NDArray[np.int64]:
    """Number of non-missing values in each column."""
    return (~np.isnan(x)).sum(axis=0).astype(np.int64)


def col_mean_sd(x: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Column mean, standard deviation (divisor n - 1) and count, ignoring NaN."""
    n = col_count(x)
    nf = n.astype(np.float64)
    s = np.where(np.isnan(x), 0.0, x).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / nf
        dev = np.where(np.isnan(x), 0.0, x - mean)
        var = (dev * dev).sum(axis=0) / (nf - 1.0)
    return mean, np.sqrt(var), n


def t_statistic(x: FloatArray) -> TestColumns:
    """One-sample t statistic of every column: mean / (sd / sqrt(n)), df n - 1."""
    from scipy import stats

    mean, sd, n = col_mean_sd(x)
    nf = n.astype(np.float64)
    reason: list[str | None] = []
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = mean / (sd / np.sqrt(nf))
    for j in range(len(n)):
        if n[j] < 2:
            reason.append(f"needs at least 2 events with data, has {int(n[j])}")
        elif not np.isfinite(stat[j]):
            reason.append("zero cross-sectional variance")
        else:
            reason.append(None)
    ok = np.array([r is None for r in reason], dtype=bool)
    stat = np.where(ok, stat, np.nan)
    df = np.where(ok, nf - 1.0, np.nan)
    pvalue = np.where(ok, 2.0 * stats.t.sf(np.abs(stat), np.where(ok, df, 1.0)), np.nan)
    return TestColumns(stat, pvalue, df, n, reason)
