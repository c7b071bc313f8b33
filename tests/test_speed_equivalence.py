"""The fast kernels of the test battery against straightforward implementations.

The rank, Corrado-Zivney sign and GRANK tests sort each estimation row once
and place the event-period values in it by binary search; the calendar-time
portfolio is built from (day, firm) pairs; the bootstrap resamples events once
for all days and windows; the Kolari-Pynnönen correlation reuses its group
sums across window lengths.  Each is compared here, at 1e-12, with a plain
implementation written in this file (event by event, window by window, with
``scipy.stats.rankdata``, ``np.median`` and a dense day x firm grid), on
random panels with gaps, ties, batches and events without data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import rankdata

from eventstudy.inference import TESTS, _ranks
from eventstudy.inference import TestData as Data
from eventstudy.inference.calendar_time import calendar_time_portfolio, default_hac_lags
from eventstudy.inference.parametric import event_day_correlation
from eventstudy.inference.resampling import Bootstrap

# the plain implementations below take means and deviations of empty columns
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

TOL = 1e-12
WINDOWS = ((-4, 4), (0, 1), (-1, 1), (0, 0), (2, 4))


def make_data(
    seed: int,
    n_events: int = 30,
    n_est: int = 50,
    n_days: int = 9,
    lead: tuple[int, ...] = (),
    *,
    ties: bool = False,
    miss_est: float = 0.1,
    miss_ar: float = 0.15,
    windows: tuple[tuple[int, int], ...] = WINDOWS,
) -> Data:
    """Random fat-tailed abnormal returns with gaps; event 1 has no event-period
    data and event 2 no estimation data; ``ties`` rounds to a coarse grid."""
    rng = np.random.default_rng(seed)
    taus = np.arange(-(n_days // 2), n_days - n_days // 2)
    shape = (*lead, n_events)
    est = rng.standard_t(4, (*shape, n_est)) * 0.02
    ar = rng.standard_t(4, (*shape, n_days)) * 0.02 + 0.004
    if ties:
        est, ar = np.round(est * 300) / 300, np.round(ar * 300) / 300
    est[rng.random(est.shape) < miss_est] = np.nan
    ar[rng.random(ar.shape) < miss_ar] = np.nan
    if n_events > 3:
        ar[..., 1, :] = np.nan
        est[..., 2, :] = np.nan
    n = (~np.isnan(est)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.nansum((est - np.nanmean(est, -1, keepdims=True)) ** 2, -1) / (n - 2)
    sar = ar / np.sqrt(sigma2)[..., None]
    car = np.stack([np.nansum(ar[..., (taus >= a) & (taus <= b)], -1) for a, b in windows], -1)
    car[np.isnan(ar).all(axis=-1)] = np.nan
    scar = car / np.sqrt(sigma2[..., None] * np.array([b - a + 1.0 for a, b in windows]))
    day0 = rng.integers(300, 360, n_events)
    return Data(
        ar=ar,
        sar=sar,
        car=car,
        scar=scar,
        dof=n - 2,
        n_est=n,
        est_ar=est,
        taus=taus,
        windows=windows,
        sigma2=sigma2,
        day0=np.broadcast_to(day0, shape).astype(np.int64).copy(),
        est_taus=np.arange(-n_est - 10, -10),
    )


def member(data: Data, b: int) -> Data:
    shared = ("taus", "windows", "est_taus")
    return dataclasses.replace(
        data,
        **{
            f.name: getattr(data, f.name)[b]
            for f in dataclasses.fields(data)
            if f.name not in shared and getattr(data, f.name) is not None
        },
    )


# ------------------------------------------------------- plain implementations


def scaled_ranks(est: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """U = K/(n+1) - 1/2 over [estimation | vals] of every event, with rankdata."""
    both = np.concatenate([est, vals], axis=1)
    u = np.full(both.shape, np.nan)
    for i in range(both.shape[0]):
        ok = ~np.isnan(both[i])
        if ok.any():
            u[i, ok] = rankdata(both[i, ok]) / (ok.sum() + 1.0) - 0.5
    return u


def median_signs(est: np.ndarray, vals: np.ndarray) -> np.ndarray:
    both = np.concatenate([est, vals], axis=1)
    g = np.full(both.shape, np.nan)
    for i in range(both.shape[0]):
        ok = ~np.isnan(both[i])
        if ok.any():
            g[i, ok] = np.sign(both[i, ok] - np.median(both[i, ok]))
    return g


def day_sums(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nansum(u, axis=0), (~np.isnan(u)).sum(axis=0)


def daily_z(u: np.ndarray, n_l: int) -> np.ndarray:
    d, n_t = day_sums(u)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(n_t > 0, d / np.sqrt(n_t), 0.0)
    s = np.sqrt(np.sum(scaled**2) / np.sum(n_t > 0))
    return scaled[n_l:] / s


def naive_rank(data: Data) -> tuple[np.ndarray, np.ndarray]:
    n_l = data.est_ar.shape[1]
    daily = daily_z(scaled_ranks(data.est_ar, data.ar), n_l)
    win = []
    for j in range(len(data.windows)):
        d, n_t = day_sums(scaled_ranks(data.est_ar, data.ar[:, data.window_days(j)]))
        have = n_t > 0
        ubar = d[have] / n_t[have]
        s2 = np.mean(ubar**2)
        w = d[n_l:][have[n_l:]] / n_t[n_l:][have[n_l:]]
        win.append(np.sqrt(len(w)) * w.mean() / np.sqrt(s2))
    return daily, np.array(win)


def naive_csign(data: Data) -> tuple[np.ndarray, np.ndarray]:
    n_l = data.est_ar.shape[1]
    daily = daily_z(median_signs(data.est_ar, data.ar), n_l)
    win = []
    for j in range(len(data.windows)):
        d, n_t = day_sums(median_signs(data.est_ar, data.ar[:, data.window_days(j)]))
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = np.where(n_t > 0, d / np.sqrt(n_t), 0.0)
        s = np.sqrt(np.sum(scaled**2) / np.sum(n_t > 0))
        win.append(scaled[n_l:].sum() / np.sqrt(np.sum(n_t[n_l:] > 0)) / s)
    return daily, np.array(win)


def naive_grank(data: Data, v: np.ndarray) -> np.ndarray:
    """Kolari & Pynnönen (2011), column by column and event by event."""
    out = []
    est_sar = data.est_ar / np.sqrt(data.sigma2)[:, None]
    n_ev = int((~np.isnan(est_sar)).any(axis=1).sum())
    for c in range(v.shape[1]):
        x = v[:, c]
        ok = ~np.isnan(x)
        g = np.where(ok, x / np.std(x[ok], ddof=1), np.nan)
        u = scaled_ranks(est_sar, g[:, None])
        d, n_t = day_sums(u)
        have = n_t > 0
        ubar = d[have] / n_t[have]
        big_t = have.sum()
        s2 = np.sum(n_t[have] / n_ev * ubar**2) / big_t
        z = (d[-1] / n_t[-1]) / np.sqrt(s2)
        out.append(z * np.sqrt((big_t - 2) / (big_t - 1 - z * z)))
    return np.array(out)


CASES = [
    dict(),
    dict(ties=True),
    dict(n_events=5, n_est=20),
    dict(miss_ar=0.5, miss_est=0.4),
    dict(n_days=21, windows=((-10, 10), (-1, 1), (0, 0), (0, 5))),
    dict(n_events=60, n_est=120, ties=True, miss_est=0.02),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("case", range(len(CASES)))
def test_rank_csign_grank_match_plain_implementations(seed, case):
    data = make_data(seed, **CASES[case])
    for name, naive in (("rank", naive_rank), ("csign", naive_csign)):
        test = TESTS[name]()
        day, win = naive(data)
        np.testing.assert_allclose(test.daily(data).stat, day, atol=TOL, rtol=0)
        np.testing.assert_allclose(test.window(data).stat, win, atol=TOL, rtol=0)
    grank = TESTS["grank"]()
    np.testing.assert_allclose(
        grank.daily(data).stat, naive_grank(data, data.sar), atol=TOL, rtol=0
    )
    np.testing.assert_allclose(
        grank.window(data).stat, naive_grank(data, data.scar), atol=TOL, rtol=0
    )


@pytest.mark.parametrize("name", ["rank", "csign", "grank", "patell_kp", "bmp_kp", "bootstrap"])
def test_batches_and_small_blocks_change_nothing(name, monkeypatch):
    """Batch members equal their own runs, and blocks of a few events (the memory
    bound of large studies) give the same numbers as one block."""
    data = make_data(7, n_events=25, lead=(3,), ties=True)
    test = TESTS[name]()
    whole = {k: getattr(test, k)(data) for k in ("daily", "window")}
    for b in range(3):
        alone = member(data, b)
        for kind in ("daily", "window"):
            out = getattr(test, kind)(alone)
            np.testing.assert_allclose(whole[kind].stat[b], out.stat, atol=TOL, rtol=0)
            np.testing.assert_allclose(whole[kind].pvalue[b], out.pvalue, atol=TOL, rtol=0)
    monkeypatch.setattr(_ranks, "BLOCK_CELLS", 700)
    monkeypatch.setattr("eventstudy.inference.resampling._CHUNK", 3_000)
    fresh = dataclasses.replace(data)  # empty cache
    for kind in ("daily", "window"):
        small = getattr(test, kind)(fresh)
        np.testing.assert_allclose(small.stat, whole[kind].stat, atol=TOL, rtol=0)
        np.testing.assert_allclose(small.pvalue, whole[kind].pvalue, atol=TOL, rtol=0)


def test_argsort_rows_is_a_sort_even_for_near_ties():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 64))
    # values that differ only in their last bits, and NaN, +-inf, -0.0
    x[:, 5] = np.nextafter(x[:, 4], np.inf)
    x[:, 6] = x[:, 4]
    x[:10, 7] = np.nan
    x[10:20, 8] = np.inf
    x[20:30, 9] = -np.inf
    x[30:40, 10] = -0.0
    order = _ranks.argsort_rows(x)
    got = np.take_along_axis(x, order.astype(np.int64), axis=-1)
    np.testing.assert_array_equal(got, np.sort(x, axis=-1))
    assert all(sorted(row) == list(range(64)) for row in order.tolist())


def test_kp_correlation_cached_across_window_lengths():
    """rho for a window length does not depend on which lengths came before."""
    data = make_data(11, n_events=40, n_est=60)
    lengths = (1, 9, 2, 3, 5, 9, 1)
    shared = [event_day_correlation(data, k) for k in lengths]
    for k, (rho, unknown) in zip(lengths, shared, strict=True):
        fresh = event_day_correlation(dataclasses.replace(data), k)
        np.testing.assert_allclose(rho, fresh[0], atol=TOL, rtol=0)
        assert unknown == fresh[1]


# ------------------------------------------------------------ calendar time


def naive_calendar_time(firm, market, tk, day0, window):
    a, b = window
    t_len = firm.shape[0]
    rp, n_t = np.full(t_len, np.nan), np.zeros(t_len, dtype=int)
    for s in range(t_len):
        firms = {int(f) for f, d in zip(tk, day0, strict=True) if d + a <= s <= d + b}
        vals = [firm[s, f] for f in sorted(firms) if not np.isnan(firm[s, f])]
        if vals:
            rp[s], n_t[s] = np.mean(vals), len(vals)
    days = (n_t > 0) & ~np.isnan(market)
    lags = default_hac_lags(int(days.sum()))
    fit = sm.OLS(rp[days], sm.add_constant(market[days])).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=False
    )
    return fit, int(days.sum()), float(n_t[days].mean())


@pytest.mark.parametrize("seed", range(5))
def test_calendar_time_matches_a_dense_grid(seed):
    rng = np.random.default_rng(seed)
    t_len, n_f, n_ev = 160, 12, 45
    firm = rng.standard_normal((t_len, n_f)) * 0.02
    firm[rng.random(firm.shape) < 0.1] = np.nan
    market = rng.standard_normal(t_len) * 0.01
    market[rng.random(t_len) < 0.03] = np.nan
    tk = rng.integers(0, 6, n_ev)  # few firms: many overlapping events of one firm
    day0 = rng.integers(-3, t_len + 3, n_ev)
    day0[:3] = day0[3]
    tk[:3] = tk[3]  # duplicate events
    windows = ((-20, -1), (-1, 1), (0, 0), (0, 5), (-10, 10))
    out = calendar_time_portfolio(firm, market, tk, day0, windows)
    for res, win in zip(out, windows, strict=True):
        fit, n_days, mean_firms = naive_calendar_time(firm, market, tk, day0, win)
        assert res.n_days == n_days and res.reason is None
        assert res.mean_firms == pytest.approx(mean_firms, abs=TOL)
        assert res.alpha == pytest.approx(float(fit.params[0]), abs=TOL)
        assert res.beta == pytest.approx(float(fit.params[1]), abs=TOL)
        assert res.stat == pytest.approx(float(fit.tvalues[0]), abs=1e-10)


# ---------------------------------------------------------------- bootstrap


def naive_bootstrap_pvalues(x: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """The documented scheme, replicate by replicate: events in canonical order
    (with data first, then by their values, first column first); replicate b
    draws ``integers(0, K, K)`` from ``default_rng([seed, 2])``: K indexes into
    the K events with data."""
    present = ~np.isnan(x)
    has = present.any(axis=1)
    order = np.lexsort([*x.T[::-1], ~has])
    xs = x[order]
    k = int(has.sum())
    idx = np.random.default_rng([seed, 2]).integers(0, k, size=(reps, k))
    p = np.full(x.shape[1], np.nan)
    for c in range(x.shape[1]):
        v = xs[:, c]
        ok = v[~np.isnan(v)]
        if len(ok) < 3:
            continue
        t = ok.mean() / (ok.std(ddof=1) / np.sqrt(len(ok)))
        extreme = 0
        for b in range(reps):
            d = v[idx[b]]
            d = d[~np.isnan(d)]
            with np.errstate(invalid="ignore", divide="ignore"):
                tb = (d.mean() - ok.mean()) / (d.std(ddof=1) / np.sqrt(len(d)))
            extreme += not abs(tb) < abs(t)
        p[c] = (1 + extreme) / (reps + 1)
    return p


@pytest.mark.parametrize("seed", range(3))
def test_bootstrap_follows_the_documented_draws(seed):
    data = make_data(seed, n_events=20, miss_ar=0.2)
    reps = 199
    x = np.concatenate([data.ar, data.car], axis=1)
    expected = naive_bootstrap_pvalues(x, reps, seed)
    test = Bootstrap(reps=reps, seed=seed)
    got = np.concatenate([test.daily(data).pvalue, test.window(data).pvalue])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, atol=1e-12, rtol=0)
    # the order of the events does not matter
    perm = np.random.default_rng(seed).permutation(20)
    shuffled = dataclasses.replace(
        data,
        **{f: getattr(data, f)[perm] for f in ("ar", "sar", "car", "scar", "est_ar", "day0")},
    )
    again = np.concatenate([test.daily(shuffled).pvalue, test.window(shuffled).pvalue])
    np.testing.assert_array_equal(again, got)
