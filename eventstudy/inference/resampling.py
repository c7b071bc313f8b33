r"""Bootstrap over events."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from eventstudy.exceptions import EventStudyError
from eventstudy.inference.base import (
    EventTest,
    FloatArray,
    TestColumns,
    TestData,
    col_mean_sd,
    count_message,
    no_reason,
    reasons,
    register,
)

__all__ = ["Bootstrap"]

_STREAM = 2  # generator key of this draw scheme (0 and 1 keyed the per-column draws before)
_CHUNK = 2_000_000  # cells of the (members x replicates x events) count array per block
_MIN_REPS = 64


@register
class Bootstrap(EventTest):
    r"""Symmetric bootstrap-t over events (resampling events with replacement).

    The statistic is the cross-sectional :math:`t = \bar x/(s/\sqrt N)`.  Each
    of ``reps`` replicates draws :math:`K` events with replacement from the
    :math:`K` events of the data set that have a value on at least one event
    day or CAR window (one draw shared by all of them: an event is resampled
    with all its days and windows) and computes, per day or window, over the
    drawn events with a value there,

    .. math::

       t^*_b = \frac{\bar x^*_b - \bar x}{s^*_b/\sqrt{N^*_b}},

    centred on the sample mean so that it mimics the null distribution.  The
    two-sided p-value is :math:`(1 + \#\{b: \lnot(|t^*_b| < |t|)\})/(B+1)`: a
    replicate whose :math:`t^*` is undefined (fewer than two drawn events with
    a value, or no dispersion) counts as extreme, which can only raise the
    p-value.  With no missing values :math:`N^*_b = N` and this is the classic
    bootstrap-t of the column.  The sums of a replicate come from one matrix
    product of the replicate-by-event count matrix with the centred values,
    their squares and the presence mask, so the cost is one draw and one
    product for all columns.  It drops the normality assumption of the t
    test but keeps independence across events.  Seeded: the same data,
    ``reps`` and ``seed`` give the same p-value, whatever the order of the
    events (they are put in a canonical order, by their values, before the
    draw).  Reference: Efron &
    Tibshirani (1993), ch. 12 and 16; Lyon, Barber & Tsai (1999) for
    bootstrapping event-study statistics.

    Replicate ``b`` draws ``integers(0, K, size=K)`` from
    ``default_rng([seed, 2])``, the replicates in order.

    Options: ``reps`` (default 999), ``seed`` (default 0).  By default every
    batch member with the same :math:`K` uses the same draws (a member's
    result does not depend on the others: common random numbers);
    ``first_trial=k`` instead
    gives batch member ``m`` its own stream, keyed by trial ``k + m``, as the
    specification study does so that its Monte Carlo trials are independent.
    """

    name = "bootstrap"
    label = "bootstrap-t over events"
    family = "resampling"
    distribution = "bootstrap"
    null = "mean abnormal return is zero"
    reference = "Efron & Tibshirani (1993)"

    def __init__(
        self, reps: int = 999, seed: int = 0, first_trial: int | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        if first_trial is not None and (
            isinstance(first_trial, bool)
            or not isinstance(first_trial, (int, np.integer))
            or first_trial < 0
        ):
            raise EventStudyError(
                f"bootstrap first_trial must be a non-negative integer, got {first_trial!r}"
            )
        self.first_trial = None if first_trial is None else int(first_trial)
        if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 19:
            raise EventStudyError(f"bootstrap reps must be an integer >= 19, got {reps!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise EventStudyError(f"bootstrap seed must be a non-negative integer, got {seed!r}")
        self.reps = int(reps)
        self.seed = int(seed)

    def daily(self, data: TestData) -> TestColumns:
        return self._columns(data, window=False)

    def window(self, data: TestData) -> TestColumns:
        return self._columns(data, window=True)

    def _columns(self, data: TestData, *, window: bool) -> TestColumns:
        """Days and windows are resampled together (one draw of events for both)
        and the result is cached, so ``daily`` and ``window`` cost one pass."""
        key = ("bootstrap", self.reps, self.seed, self.first_trial)
        if key not in data.cache:
            data.cache[key] = self._run(np.concatenate([data.ar, data.car], axis=-1))
        full: TestColumns = data.cache[key]
        n_day = data.ar.shape[-1]
        cols = slice(n_day, None) if window else slice(0, n_day)
        return TestColumns(
            stat=full.stat[..., cols],
            pvalue=full.pvalue[..., cols],
            df=full.df[..., cols],
            nobs=full.nobs[..., cols],
            reason=full.reason[..., cols],
            extra={},
        )

    def _run(self, x: FloatArray) -> TestColumns:
        mean, sd, n = col_mean_sd(x)
        nf = n.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = mean / (sd / np.sqrt(nf))
        lead = x.shape[:-2]
        n_ev, n_col = x.shape[-2], x.shape[-1]
        n_b = int(np.prod(lead, dtype=np.int64))
        why = reasons(
            t.shape,
            [
                (n < 3, count_message("needs at least 3 events with data, has {n}", n)),
                (~(sd > 0), "zero cross-sectional variance"),
            ],
        )
        bad = ~no_reason(why) | ~np.isfinite(t)
        why = np.where(bad & no_reason(why), "statistic is not finite", why)
        below = np.zeros((n_b, n_col))
        if n_ev and n_col and not bad.all():
            below = self._below(
                x.reshape(n_b, n_ev, n_col), mean.reshape(n_b, n_col), np.abs(t).reshape(n_b, n_col)
            )
        p = ((1.0 + (self.reps - below)) / (self.reps + 1.0)).reshape(lead + (n_col,))
        return TestColumns(
            stat=np.where(bad, np.nan, t),
            pvalue=np.where(bad, np.nan, p),
            df=np.full(t.shape, np.nan),
            nobs=n,
            reason=why,
            extra={},
        )

    def _below(self, x: FloatArray, mean: FloatArray, abs_t: FloatArray) -> FloatArray:
        """Number of replicates with ``|t*| < |t|`` per (member, column)."""
        n_b, n_ev, n_col = x.shape
        present = ~np.isnan(x)
        has: NDArray[np.bool_] = np.asarray(present.any(axis=-1))
        k = has.sum(axis=-1)  # events resampled, per member
        # a canonical order of the events, so that the draw does not depend on
        # the order in which they come: by their values (events with a value first,
        # since the draw indexes the first k rows of each member)
        perm = _canonical_order(x, has)
        xc = np.take_along_axis(x, perm[..., None], axis=1)
        pc = np.take_along_axis(present, perm[..., None], axis=1)
        x0 = np.where(pc, xc - mean[:, None, :], 0.0)
        rhs = np.concatenate([x0, x0 * x0, pc.astype(np.float64)], axis=-1)
        # one generator per distinct K (shared by the members with that K: common
        # random numbers), or one per member keyed by its trial number
        if self.first_trial is None:
            groups = [(np.flatnonzero(k == kv), [self.seed, _STREAM]) for kv in np.unique(k)]
        else:
            groups = [
                (np.array([m]), [self.seed, _STREAM, self.first_trial + m]) for m in range(n_b)
            ]
        gens = [(mem, np.random.default_rng(key)) for mem, key in groups]
        # replicates per block: at least 64, so that the (events x 3 columns) matrix
        # of values is read once per 64 replicates or more however many events there
        # are (fewer replicates per block would make the cost grow faster than linearly)
        step = max(_MIN_REPS, _CHUNK // max(1, n_b * n_ev))
        below = np.zeros((n_b, n_col))
        ones = np.ones(0)
        for b0 in range(0, self.reps, step):
            nb = min(step, self.reps - b0)
            parts = []
            for mem, g in gens:  # distinct K values, or Monte Carlo trials
                kv = int(k[mem[0]])
                idx = g.integers(0, max(kv, 1), size=(nb, kv))
                row = (mem[:, None, None] * nb + np.arange(nb)[None, :, None]) * n_ev
                if len(mem) == 1:
                    idx += row[0]  # in place: the draw is not needed again
                    parts.append(idx.ravel())
                else:
                    parts.append((row + idx[None]).ravel())
            key = np.concatenate(parts) if len(parts) > 1 else parts[0]
            if len(ones) < len(key):
                ones = np.ones(len(key))
            # counts as floats directly (whole numbers, exact), ready for the product
            cnt = np.bincount(key, weights=ones[: len(key)], minlength=n_b * nb * n_ev)
            sums = np.matmul(cnt.reshape(n_b, nb, n_ev), rhs)
            s1, s2, m_ = sums[..., :n_col], sums[..., n_col : 2 * n_col], sums[..., 2 * n_col :]
            with np.errstate(invalid="ignore", divide="ignore"):
                mb = s1 / m_
                var = (s2 - s1 * mb) / (m_ - 1.0)
                tb = mb / np.sqrt(var / m_)
                below += (np.abs(tb) < abs_t[:, None, :]).sum(axis=1)
        return below


def _canonical_order(x: FloatArray, has: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Per member, the events ordered by (no value anywhere, column 0, column 1, ...).

    The permutation of ``np.lexsort`` with ``~has`` as its primary key and the
    columns of ``x`` (n_b, events, columns) next, in order (stable: full ties
    keep the order of the events; NaN after every number, equal to NaN).  One
    sort on the first two keys; only the runs of events tied on both are
    sorted again on the remaining columns.
    """
    first = x[..., 0] if x.shape[-1] else np.zeros(x.shape[:-1])
    perm = np.lexsort((first, ~has), axis=-1)
    if x.shape[-1] < 2 or x.shape[-2] < 2:
        return perm
    f_s = np.take_along_axis(first, perm, axis=-1)
    h_s = np.take_along_axis(has, perm, axis=-1)
    same = (f_s[:, 1:] == f_s[:, :-1]) | (np.isnan(f_s[:, 1:]) & np.isnan(f_s[:, :-1]))
    same &= h_s[:, 1:] == h_s[:, :-1]
    if not same.any():
        return perm
    tied = np.zeros(perm.shape, dtype=bool)
    tied[:, 1:] |= same
    tied[:, :-1] |= same
    run = np.cumsum(np.concatenate([np.ones((len(perm), 1), bool), ~same], axis=1), axis=1)
    mem, pos = np.nonzero(tied)  # by member, then sorted position
    idx = perm[mem, pos]
    rest = x[mem, idx, 1:]
    order = np.lexsort((*rest.T[::-1], run[mem, pos], mem))
    perm[mem, pos] = idx[order]
    return perm
