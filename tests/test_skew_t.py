"""The skewness-adjusted t (``skew_t``): Hall's (1992) monotone transformation.

Issue 10, item 6: the earlier statistic was Johnson's (1978) expansion without
Hall's ``γ²S³/27`` term.  On 30 right-skewed values with an ordinary t of
−10.95 it returned +2.80 (a "significant positive effect").  The expected
values here come from an independent route: scipy's biased skewness converted
to the estimator of the docs, and the cubic form ``((1 + γS/3)³ − 1)/γ``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from eventstudy.inference import TESTS
from eventstudy.inference import TestData as Data

TOL = 1e-12


def _data(x: np.ndarray) -> Data:
    """TestData whose day and window columns are ``x`` (events x columns)."""
    n_ev = x.shape[0]
    return Data(
        ar=x,
        sar=x,
        car=x,
        scar=x,
        dof=np.full(n_ev, 100),
        n_est=np.full(n_ev, 102),
        est_ar=np.zeros((n_ev, 5)),
        taus=np.arange(x.shape[1]),
        windows=tuple((j, j) for j in range(x.shape[1])),
    )


def hall_reference(v: np.ndarray) -> tuple[float, float]:
    """Hall (1992) statistic and gamma of one sample, written independently."""
    n = len(v)
    s = np.std(v, ddof=1)
    # scipy's bias=True skewness is m3 / m2^1.5 with divisor-n moments; the
    # documented estimator divides the third central moment by s^3 (divisor n - 1)
    gamma = stats.skew(v, bias=True) * (np.std(v, ddof=0) / s) ** 3
    big_s = np.mean(v) / s
    cubic = ((1.0 + gamma * big_s / 3.0) ** 3 - 1.0) / gamma
    return float(np.sqrt(n) * (cubic + gamma / (6.0 * n))), float(gamma)


def johnson(v: np.ndarray) -> float:
    n = len(v)
    s = np.std(v, ddof=1)
    g = np.sum((v - v.mean()) ** 3) / (n * s**3)
    big_s = v.mean() / s
    return float(np.sqrt(n) * (big_s + g * big_s**2 / 3 + g / (6 * n)))


def reported_case() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.exponential(1.0, 30)
    return (x - x.mean()) / x.std(ddof=1) - 2.0


def test_reported_case_keeps_the_sign():
    v = reported_case()
    out = TESTS["skew_t"]().daily(_data(v[:, None]))
    t_plain = TESTS["csect_t"]().daily(_data(v[:, None])).stat[0]
    assert t_plain == pytest.approx(-10.954451150103, abs=1e-9)  # the data
    assert johnson(v) == pytest.approx(2.7978, abs=1e-4)  # the old, non-monotone value
    ref, gamma = hall_reference(v)
    assert out.stat[0] == pytest.approx(ref, abs=TOL)
    assert out.extra["skewness"][0] == pytest.approx(gamma, abs=TOL)
    assert out.stat[0] == pytest.approx(-2.9094128480, abs=1e-9)
    assert out.stat[0] < 0
    assert out.pvalue[0] == pytest.approx(2 * stats.norm.sf(abs(ref)), abs=TOL)


def test_matches_independent_implementation_with_gaps():
    rng = np.random.default_rng(11)
    x = rng.lognormal(0.0, 0.9, (40, 7)) - np.linspace(0.5, 3.0, 7)
    x[rng.random(x.shape) < 0.2] = np.nan
    data = _data(x)
    for kind in ("daily", "window"):
        out = getattr(TESTS["skew_t"](), kind)(data)
        for c in range(x.shape[1]):
            v = x[:, c][~np.isnan(x[:, c])]
            ref, gamma = hall_reference(v)
            assert out.stat[c] == pytest.approx(ref, abs=TOL)
            assert out.extra["skewness"][c] == pytest.approx(gamma, abs=TOL)
            assert out.nobs[c] == len(v)


def test_monotone_in_a_shift_where_johnson_is_not():
    rng = np.random.default_rng(2)
    base = rng.exponential(1.0, 30)
    base = (base - base.mean()) / base.std(ddof=1)
    shifts = np.linspace(-4.0, 4.0, 161)
    x = base[:, None] + shifts[None, :]
    hall = TESTS["skew_t"]().daily(_data(x)).stat
    assert np.all(np.diff(hall) >= 0)
    jo = np.array([johnson(x[:, j]) for j in range(len(shifts))])
    assert np.any(np.diff(jo) < 0)  # the reason for the change
    # same sign as the mean wherever the mean is large against the dispersion
    big = np.abs(shifts) >= 1.0
    assert np.all(np.sign(hall[big]) == np.sign(shifts[big]))


def test_batch_axis_and_reasons():
    rng = np.random.default_rng(5)
    x = rng.gamma(2.0, 1.0, (3, 12, 4)) - 2.0
    x[1, 2:, 0] = np.nan  # two events in one column
    x[2, :, 1] = 0.5  # no dispersion
    d = _data(x[0])
    whole = TESTS["skew_t"]().daily(dataclasses.replace(d, ar=x))
    for b in range(3):
        alone = TESTS["skew_t"]().daily(dataclasses.replace(d, ar=x[b]))
        np.testing.assert_allclose(whole.stat[b], alone.stat, atol=TOL, rtol=0)
    assert whole.reason[1, 0] == "needs at least 3 events with data, has 2"
    assert whole.reason[2, 1] == "zero cross-sectional variance"
    assert np.isnan(whole.stat[1, 0]) and np.isnan(whole.pvalue[2, 1])
