r"""Bootstrap over events."""

from __future__ import annotations

from typing import Any

import numpy as np

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

_CHUNK = 4_000_000  # draws per vectorised block


@register
class Bootstrap(EventTest):
    r"""Symmetric bootstrap-t over events (resampling events with replacement).

    The statistic is the cross-sectional :math:`t = \bar x/(s/\sqrt N)`.  Each
    of ``reps`` resamples draws :math:`N` events with replacement and computes
    :math:`t^*_b = (\bar x^*_b - \bar x)/(s^*_b/\sqrt N)`, centred on the
    sample mean so that it mimics the null distribution; the two-sided
    p-value is :math:`(1 + \#\{|t^*_b|\ge|t|\})/(B+1)`.  It drops the
    normality assumption of the t test (skewed, fat-tailed abnormal returns)
    but keeps independence across events.  Seeded: the same data, ``reps`` and
    ``seed`` give the same p-value.  Reference: Efron & Tibshirani (1993),
    ch. 12 and 16; Lyon, Barber & Tsai (1999) for bootstrapping event-study
    statistics.

    Options: ``reps`` (default 999), ``seed`` (default 0).  By default every
    batch member uses the same draws for a column (a member's result does not
    depend on the others); ``first_trial=k`` instead gives batch member ``m``
    its own stream, keyed by trial ``k + m``, as the specification study does
    so that its Monte Carlo trials are independent.
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
        return self._run(data.ar, 0)

    def window(self, data: TestData) -> TestColumns:
        return self._run(data.car, 1)

    def _run(self, x: FloatArray, stream: int) -> TestColumns:
        mean, sd, n = col_mean_sd(x)
        nf = n.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = mean / (sd / np.sqrt(nf))
        lead = x.shape[:-2]
        n_ev, n_col = x.shape[-2], x.shape[-1]
        n_rows = int(np.prod(lead, dtype=np.int64)) * n_col
        # (batch*C, E), present values first (resampling is order-free, so sorting is fine)
        flat = np.sort(np.moveaxis(x, -1, -2).reshape(n_rows, n_ev), axis=-1)
        nn = n.reshape(-1)
        tt = t.reshape(-1)
        mm = mean.reshape(-1)
        extreme = np.zeros(n_rows)
        for r in range(n_rows if n_ev else 0):
            k = int(nn[r])
            if k < 3 or not np.isfinite(tt[r]):
                continue
            # one generator per column, restarted for every batch member: a member's
            # p-value does not depend on what else is computed with it (batch members
            # share resampling indices: common random numbers across Monte Carlo trials)
            key = [self.seed, stream, r % n_col]
            if self.first_trial is not None:  # independent draws per Monte Carlo trial
                key.append(self.first_trial + r // n_col)
            rng = np.random.default_rng(key)
            xr = flat[r, :k]
            hits = 0
            step = max(1, _CHUNK // k)
            for b0 in range(0, self.reps, step):
                idx = rng.integers(0, k, size=(min(step, self.reps - b0), k))
                d = xr[idx]
                m = d.mean(axis=1)
                s_ = d.std(axis=1, ddof=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    tb = (m - mm[r]) / (s_ / np.sqrt(k))
                hits += int((np.abs(tb) >= abs(tt[r])).sum())
            extreme[r] = hits
        p = ((1.0 + extreme) / (self.reps + 1.0)).reshape(lead + (n_col,))
        why = reasons(
            t.shape,
            [
                (n < 3, count_message("needs at least 3 events with data, has {n}", n)),
                (~(sd > 0), "zero cross-sectional variance"),
            ],
        )
        bad = ~no_reason(why) | ~np.isfinite(t)
        why = np.where(bad & no_reason(why), "statistic is not finite", why)
        return TestColumns(
            stat=np.where(bad, np.nan, t),
            pvalue=np.where(bad, np.nan, p),
            df=np.full(t.shape, np.nan),
            nobs=n,
            reason=why,
            extra={},
        )
