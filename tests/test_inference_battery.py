"""Unit tests of the test battery (eventstudy.inference) on seeded synthetic arrays.

Every expected value is computed here independently of the library kernels:
scipy for Wilcoxon, plain loops for the skewness-adjusted t, pairwise
``np.corrcoef`` for the Kolari-Pynnönen cross-correlation and a naive
event-by-event Kolari & Pynnönen (2011) GRANK.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats
from scipy.stats import rankdata

from eventstudy.exceptions import EventStudyError
from eventstudy.inference import TESTS, get_tests
from eventstudy.inference import TestData as Data
from eventstudy.inference.parametric import average_cross_correlation, event_day_correlation
from eventstudy.inference.resampling import Bootstrap

TOL = 1e-10
TAUS = np.arange(-2, 3)
WINDOWS = ((-2, 2), (0, 1), (-1, 1))


def make_data(
    seed: int,
    n_events: int = 12,
    n_est: int = 40,
    lead: tuple[int, ...] = (),
    *,
    shift: float = 0.003,
    miss_est: float = 0.05,
    miss_ar: float = 0.1,
    day0: np.ndarray | None = None,
    common: float = 0.0,
) -> Data:
    """Random TestData: AR ~ N(shift, 0.02), some cells missing.

    ``common`` adds a factor shared by all events on each estimation offset
    (cross-correlated residuals); ``day0`` defaults to overlapping windows.
    """
    rng = np.random.default_rng(seed)
    shape = (*lead, n_events)
    est = rng.standard_normal((*shape, n_est)) * 0.02
    est += common * rng.standard_normal(n_est) * 0.02
    est[rng.random(est.shape) < miss_est] = np.nan
    ar = rng.standard_normal((*shape, len(TAUS))) * 0.02 + shift
    ar[rng.random(ar.shape) < miss_ar] = np.nan
    n = (~np.isnan(est)).sum(axis=-1)
    sigma2 = np.nanvar(est, axis=-1) * n / (n - 2)
    sar = ar / np.sqrt(sigma2)[..., None]
    car = np.stack(
        [np.nansum(ar[..., (TAUS >= a) & (TAUS <= b)], axis=-1) for a, b in WINDOWS], axis=-1
    )
    lengths = np.array([b - a + 1 for a, b in WINDOWS], dtype=float)
    scar = car / np.sqrt(sigma2[..., None] * lengths)
    if day0 is None:
        day0 = np.arange(n_events) * 3 + 500
    return Data(
        ar=ar,
        sar=sar,
        car=car,
        scar=scar,
        dof=n - 2,
        n_est=n,
        est_ar=est,
        taus=TAUS,
        windows=WINDOWS,
        sigma2=sigma2,
        day0=np.broadcast_to(day0, shape).astype(np.int64).copy(),
        est_taus=np.arange(-n_est - 10, -10),
    )


def with_columns(data: Data, x: np.ndarray) -> Data:
    """TestData whose day and window columns are both ``x`` (E, C)."""
    return dataclasses.replace(data, ar=x, sar=x, car=x, scar=x)


# ---------------------------------------------------------------- Wilcoxon


def _wilcoxon_cols(x: np.ndarray):
    data = make_data(0, n_events=x.shape[0])
    return TESTS["wilcoxon"]().daily(with_columns(data, x))


@pytest.mark.parametrize(
    ("n", "ties", "method"),
    [(9, False, "exact"), (25, False, "exact"), (20, True, "approx"), (80, False, "approx")],
)
def test_wilcoxon_matches_scipy(n, ties, method):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 8)) + np.linspace(-1.0, 1.0, 8)
    if ties:
        x = np.round(x * 2) / 2  # many ties and a few zeros
    x[rng.random(x.shape) < 0.1] = np.nan
    out = _wilcoxon_cols(x)
    assert not np.isnan(out.stat).any()
    for c in range(x.shape[1]):
        v = x[:, c][~np.isnan(x[:, c])]
        kw = dict(zero_method="wilcox", correction=False, method=method)
        w_plus = stats.wilcoxon(v, alternative="greater", **kw).statistic
        p = stats.wilcoxon(v, **kw).pvalue
        assert out.stat[c] == pytest.approx(w_plus, abs=TOL)
        assert out.pvalue[c] == pytest.approx(p, abs=TOL)
        assert out.nobs[c] == len(v)  # nobs counts zeros; n of the statistic does not
        assert bool(out.extra["exact"][c]) == (method == "exact")
    if ties:
        assert (x == 0).any()


# ------------------------------------------------------- skewness-adjusted t


def test_skew_t_matches_direct_formula():
    rng = np.random.default_rng(3)
    x = rng.lognormal(0.0, 0.8, (30, 6)) - 1.2  # skewed
    x[rng.random(x.shape) < 0.15] = np.nan
    out = TESTS["skew_t"]().daily(with_columns(make_data(0, n_events=30), x))
    for c in range(x.shape[1]):
        v = x[:, c][~np.isnan(x[:, c])]
        n = len(v)
        m, s = v.mean(), v.std(ddof=1)
        gamma = np.sum((v - m) ** 3) / (n * s**3)
        ratio = m / s
        t = np.sqrt(n) * (ratio + gamma * ratio**2 / 3 + gamma**2 * ratio**3 / 27 + gamma / (6 * n))
        assert out.stat[c] == pytest.approx(t, abs=TOL)
        assert out.pvalue[c] == pytest.approx(2 * stats.norm.sf(abs(t)), abs=TOL)
        assert out.extra["skewness"][c] == pytest.approx(gamma, abs=TOL)
        assert abs(gamma) > 0.3  # the adjustment is not trivially zero
        assert abs(t - np.sqrt(n) * ratio) > 1e-3


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_seeded_and_bounded():
    data = make_data(4, n_events=25, shift=0.004)
    a = Bootstrap(reps=199, seed=3).daily(data)
    b = Bootstrap(reps=199, seed=3).daily(data)
    c = Bootstrap(reps=199, seed=4).daily(data)
    np.testing.assert_array_equal(a.pvalue, b.pvalue)
    assert not np.array_equal(a.pvalue, c.pvalue)
    # the statistic is the cross-sectional t, whatever the seed
    np.testing.assert_allclose(a.stat, TESTS["csect_t"]().daily(data).stat, atol=TOL, rtol=0)
    np.testing.assert_array_equal(a.stat, c.stat)
    for p in (a.pvalue, c.pvalue):
        assert np.all((p >= 1 / 200) & (p <= 1))
        # (1 + count) / (B + 1): a multiple of 1/200
        np.testing.assert_allclose(p * 200, np.round(p * 200), atol=1e-9)
    # window p-values use their own stream
    w = Bootstrap(reps=199, seed=3).window(data)
    assert np.all((w.pvalue >= 1 / 200) & (w.pvalue <= 1))


def test_bootstrap_extremes():
    rng = np.random.default_rng(5)
    shifted = rng.standard_normal((20, 3)) + 5.0
    out = Bootstrap(reps=99, seed=0).daily(with_columns(make_data(0, n_events=20), shifted))
    np.testing.assert_array_equal(out.pvalue, 1 / 100)
    # mean exactly zero: t = 0, every |t*| >= 0, p = 1
    half = rng.standard_normal((10, 3))
    centred = np.vstack([half, -half])
    out = Bootstrap(reps=99, seed=0).daily(with_columns(make_data(0, n_events=20), centred))
    np.testing.assert_allclose(out.stat, 0.0, atol=1e-12)
    np.testing.assert_array_equal(out.pvalue, 1.0)


def test_bootstrap_close_to_t_test_for_normal_data():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((200, 4)) + np.array([0.0, 0.1, 0.15, 0.2])
    data = with_columns(make_data(0, n_events=200), x)
    boot = Bootstrap(reps=1999, seed=1).daily(data)
    t = TESTS["csect_t"]().daily(data)
    np.testing.assert_allclose(boot.pvalue, t.pvalue, atol=0.03)


@pytest.mark.parametrize("reps", [0, 18, 18.5, "999", True])
def test_bootstrap_reps_validated(reps):
    with pytest.raises(EventStudyError, match="reps"):
        Bootstrap(reps=reps)
    with pytest.raises(EventStudyError, match="reps"):
        get_tests(["bootstrap"], {"bootstrap": {"reps": reps}})


def test_bootstrap_options_validated():
    assert Bootstrap(reps=19).reps == 19
    with pytest.raises(EventStudyError, match="seed"):
        Bootstrap(seed=-1)
    with pytest.raises(EventStudyError):
        Bootstrap(reps=99, rounds=3)
    with pytest.raises(EventStudyError, match="takes no options"):
        get_tests(["sign"], {"sign": {"reps": 99}})


# ------------------------------------------------------ Kolari-Pynnönen 2010


def test_kp_cross_correlation_clustered_equals_mean_pairwise_corrcoef():
    n_ev = 8
    data = make_data(7, n_events=n_ev, day0=np.full(n_ev, 400), miss_est=0.0, common=0.6)
    rbar, pair_days = average_cross_correlation(data)
    corr = np.corrcoef(data.est_ar)
    naive = corr[np.triu_indices(n_ev, k=1)].mean()
    assert rbar == pytest.approx(naive, abs=TOL)
    assert rbar > 0.1
    assert pair_days == n_ev * (n_ev - 1) * data.est_ar.shape[1]

    sar = data.sar
    present = ~np.isnan(sar)
    n_t = present.sum(axis=0)
    assert len(set(n_t)) > 1  # the factor uses each day's own N_t
    w = data.dof / (data.dof - 2.0)
    patell = np.array(
        [np.nansum(sar[:, j]) / np.sqrt(w[present[:, j]].sum()) for j in range(sar.shape[1])]
    )
    bmp = np.array(
        [
            np.nanmean(sar[:, j]) / (np.nanstd(sar[:, j], ddof=1) / np.sqrt(n_t[j]))
            for j in range(sar.shape[1])
        ]
    )
    factor = np.sqrt((1 - naive) / (1 + (n_t - 1) * naive))
    # KP (2010) eq. (13): the Patell variance is known, so no (1 - r) term
    pfactor = 1.0 / np.sqrt(1 + (n_t - 1) * naive)
    pk = TESTS["patell_kp"]().daily(data)
    np.testing.assert_allclose(pk.stat, patell * pfactor, atol=TOL, rtol=0)
    np.testing.assert_allclose(pk.pvalue, 2 * stats.norm.sf(np.abs(patell * pfactor)), atol=TOL)
    np.testing.assert_allclose(pk.extra["rho"], naive, atol=TOL, rtol=0)
    bk = TESTS["bmp_kp"]().daily(data)
    np.testing.assert_allclose(bk.stat, bmp * factor, atol=TOL, rtol=0)
    np.testing.assert_allclose(bk.df, n_t - 1.0)
    np.testing.assert_allclose(bk.pvalue, 2 * stats.t.sf(np.abs(bmp * factor), n_t - 1), atol=TOL)
    # windows: the same factor on SCAR, N = events with a CAR
    n_w = (~np.isnan(data.scar)).sum(axis=0)
    fw = np.sqrt((1 - naive) / (1 + (n_w - 1) * naive))
    base = TESTS["bmp"]().window(data).stat
    np.testing.assert_allclose(TESTS["bmp_kp"]().window(data).stat, base * fw, atol=TOL)


def test_kp_cross_correlation_partial_overlap_pairwise():
    """Staggered windows with gaps: the overlap-weighted mean of pairwise products."""
    n_ev, n_l = 6, 30
    day0 = np.array([100, 105, 112, 130, 131, 160])
    data = make_data(8, n_events=n_ev, n_est=n_l, day0=day0, miss_est=0.1, common=0.5)
    e = data.est_ar
    z = {}
    for i in range(n_ev):
        ok = ~np.isnan(e[i])
        v = e[i][ok]
        zi = (v - v.mean()) / v.std()  # divisor L_i
        days = day0[i] + data.est_taus[ok]
        z[i] = dict(zip(days.tolist(), zi, strict=True))
    num = den = 0.0
    for i in range(n_ev):
        for j in range(i + 1, n_ev):
            common_days = set(z[i]) & set(z[j])
            num += sum(z[i][d] * z[j][d] for d in common_days)
            den += len(common_days)
    rbar, pair_days = average_cross_correlation(data)
    assert rbar == pytest.approx(num / den, abs=TOL)
    assert pair_days == 2 * den
    # event-period correlation: only pairs whose windows overlap in calendar time,
    # weighted by the shared share of the window
    for days in (1, 10):
        tot = 0.0
        for i in range(n_ev):
            for j in range(n_ev):
                lag = abs(int(day0[i]) - int(day0[j]))
                if i == j or lag >= days:
                    continue
                common_days = set(z[i]) & set(z[j])
                r_ij = sum(z[i][d] * z[j][d] for d in common_days) / len(common_days)
                tot += (days - lag) / days * r_ij
        rho, unknown = event_day_correlation(data, days)
        assert not unknown
        assert rho == pytest.approx(tot / (n_ev * (n_ev - 1)), abs=TOL)
        if days == 1:
            assert rho == 0.0  # no two events share day 0


def test_kp_no_overlap_reason():
    n_ev, n_l = 5, 30
    day0 = 1000 + np.arange(n_ev) * (n_l + 15)  # estimation windows are disjoint
    data = make_data(9, n_events=n_ev, n_est=n_l, day0=day0)
    rbar, pairs = average_cross_correlation(data)
    assert np.isnan(rbar) and pairs == 0
    # no two event windows overlap in calendar time: nothing to adjust for, and the
    # adjusted tests equal the unadjusted ones
    for name in ("patell", "bmp"):
        for kind in ("daily", "window"):
            adj = getattr(TESTS[f"{name}_kp"](), kind)(data)
            raw = getattr(TESTS[name](), kind)(data)
            np.testing.assert_allclose(adj.stat, raw.stat, atol=TOL, rtol=0)
            assert (adj.extra["rho"] == 0).all()


def test_kp_unknown_correlation_reason():
    """Two events on one day 0 whose estimation residuals never coincide: a reason."""
    n_ev, n_l = 4, 30
    data = make_data(10, n_events=n_ev, n_est=n_l, day0=np.full(n_ev, 500), miss_est=0.0)
    est = data.est_ar.copy()
    est[0, n_l // 2 :] = np.nan
    est[1, : n_l // 2] = np.nan
    est[2:, :] = np.nan
    data = dataclasses.replace(data, est_ar=est)
    rho, unknown = event_day_correlation(data, 1)
    assert unknown
    out = TESTS["bmp_kp"]().daily(data)
    assert all("no overlap" in r for r in out.reason)


# -------------------------------------------------------------------- GRANK


def naive_grank(est_ar: np.ndarray, sigma2: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Kolari & Pynnönen (2011) GRANK of the event-day values v (E,), event by event."""
    n_ev, n_l = est_ar.shape
    ok0 = ~np.isnan(v)
    gsar0 = np.full(n_ev, np.nan)
    gsar0[ok0] = v[ok0] / np.std(v[ok0], ddof=1)
    u = np.full((n_ev, n_l + 1), np.nan)  # columns: estimation days, then day 0
    for i in range(n_ev):
        vals = np.append(est_ar[i] / np.sqrt(sigma2[i]), gsar0[i])
        ok = ~np.isnan(vals)
        t_i = ok.sum()
        u[i, ok] = rankdata(vals[ok]) / (t_i + 1) - 0.5
    n = n_ev
    ubar, n_t = [], []
    for t in range(n_l + 1):
        col = u[:, t][~np.isnan(u[:, t])]
        if len(col):
            ubar.append(col.mean())
            n_t.append(len(col))
    ubar, n_t = np.array(ubar), np.array(n_t)
    big_t = len(ubar)
    s2 = np.sum(n_t / n * ubar**2) / big_t
    z = ubar[-1] / np.sqrt(s2)
    stat = z * np.sqrt((big_t - 2) / (big_t - 1 - z**2))
    return stat, big_t - 2.0


def test_grank_matches_naive_implementation():
    data = make_data(10, n_events=9, n_est=30, shift=0.01, miss_est=0.08, miss_ar=0.15)
    assert np.isnan(data.est_ar).sum() > 3 and np.isnan(data.sar).any()
    for kind, values in (("daily", data.sar), ("window", data.scar)):
        out = getattr(TESTS["grank"](), kind)(data)
        for c in range(values.shape[1]):
            stat, df = naive_grank(data.est_ar, data.sigma2, values[:, c])
            assert out.stat[c] == pytest.approx(stat, abs=TOL), (kind, c)
            assert out.df[c] == df
            assert out.pvalue[c] == pytest.approx(2 * stats.t.sf(abs(stat), df), abs=TOL)


def test_grank_ties():
    """Ties get average ranks: an event-day GSAR equal to an estimation SAR, and two
    equal estimation SARs.  With day-0 SARs (-1, 0, 1) the GSAR is exactly (-1, 0, 1)
    (mean 0, sd 1) and with sigma2 = 1 the estimation SARs are the estimation ARs."""
    data = make_data(11, n_events=3, n_est=20, miss_est=0.0, miss_ar=0.0)
    est = data.est_ar.copy() * 50
    est[2, 4] = 1.0  # event 2: GSAR_0 = 1 ties with this estimation SAR
    est[1, 7] = est[1, 3]
    sar = data.sar.copy()
    sar[:, 0] = [-1.0, 0.0, 1.0]
    data = dataclasses.replace(data, est_ar=est, sar=sar, sigma2=np.ones(3))
    stat, _ = naive_grank(est, np.ones(3), sar[:, 0])
    got = TESTS["grank"]().daily(data).stat[0]
    assert got == pytest.approx(stat, abs=TOL)
    # without the average rank (event day ranked above its tie) the value differs
    shifted = sar[:, 0].copy()
    shifted[2] = np.nextafter(1.0, 2.0)
    assert abs(naive_grank(est, np.ones(3), shifted)[0] - stat) > 1e-6


# --------------------------------------------------------------- batch axis


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


@pytest.fixture(scope="module")
def batch() -> Data:
    data = make_data(12, n_events=12, n_est=40, lead=(3,))
    ar = data.ar.copy()
    ar[1, :, 4] = np.nan  # member 1: no event on the last day
    ar[2, 1:, 3] = np.nan  # member 2: one event on day +1
    return dataclasses.replace(data, ar=ar, sar=ar / np.sqrt(data.sigma2)[..., None])


@pytest.mark.parametrize("name", list(TESTS))
def test_batch_equals_members(batch, name):
    test = TESTS[name]()
    for kind in ("daily", "window"):
        whole = getattr(test, kind)(batch)
        for b in range(batch.ar.shape[0]):
            alone = getattr(test, kind)(member(batch, b))
            np.testing.assert_allclose(whole.stat[b], alone.stat, atol=1e-12, rtol=0)
            np.testing.assert_allclose(whole.pvalue[b], alone.pvalue, atol=1e-12, rtol=0)
            np.testing.assert_array_equal(whole.nobs[b], alone.nobs)
            assert list(whole.reason[b]) == list(alone.reason)
    if name in ("csect_t", "sign", "rank"):
        # the fixture's gaps give reasons in member 1 and 2 but not in member 0
        day = test.daily(batch)
        assert np.isnan(day.stat[1, 4]) and np.isfinite(day.stat[0]).all()


def test_batch_bootstrap_statistic(batch):
    test = Bootstrap(reps=99, seed=2)
    whole = test.daily(batch)
    for b in range(batch.ar.shape[0]):
        alone = test.daily(member(batch, b))
        np.testing.assert_allclose(whole.stat[b], alone.stat, atol=1e-12, rtol=0)
        assert list(whole.reason[b]) == list(alone.reason)
    # every member's p-values match its own run (one generator per column, per member)
    for b in range(batch.ar.shape[0]):
        np.testing.assert_array_equal(whole.pvalue[b], test.daily(member(batch, b)).pvalue)


# --------------------------------------------------------- too few events

_NEED_TWO = {"csect_t", "bmp", "bmp_kp", "grank", "skew_t", "bootstrap"}


def _check_outcome(out) -> None:
    for s, p, why in zip(out.stat, out.pvalue, out.reason, strict=True):
        if why is None:
            assert np.isfinite(s) and 0 <= p <= 1
        else:
            assert isinstance(why, str) and why
            assert np.isnan(s) and np.isnan(p)


@pytest.mark.parametrize("name", list(TESTS))
def test_no_event_gives_reasons(name):
    data = make_data(13, n_events=0)
    for kind in ("daily", "window"):
        out = getattr(TESTS[name](), kind)(data)
        assert out.stat.shape == (len(TAUS) if kind == "daily" else len(WINDOWS),)
        assert np.isnan(out.stat).all()
        assert all(isinstance(r, str) and r for r in out.reason)
        _check_outcome(out)


@pytest.mark.parametrize("name", list(TESTS))
def test_one_event(name):
    """One event: no crash; the tests that need a dispersion across events give a
    reason, the others (sign, gsign, rank, wilcoxon, patell, bw1985) a statistic."""
    data = make_data(14, n_events=1, miss_ar=0.0)
    for kind in ("daily", "window"):
        out = getattr(TESTS[name](), kind)(data)
        _check_outcome(out)
        assert (out.nobs <= 1).all()
        if name in _NEED_TWO:
            assert np.isnan(out.stat).all()
            assert all(isinstance(r, str) for r in out.reason)
        else:
            assert np.isfinite(out.stat).any()


def test_bootstrap_first_trial_gives_each_member_its_own_draws():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 25, 6)) + 0.3
    two = np.concatenate([x, x])  # two batch members with identical data
    data = Data(
        ar=two,
        sar=two,
        car=two,
        scar=two,
        dof=np.full((2, 25), 28),
        n_est=np.full((2, 25), 30),
        est_ar=np.zeros((2, 25, 30)),
        taus=np.arange(6),
        windows=tuple((j, j) for j in range(6)),
        sigma2=np.ones((2, 25)),
        day0=np.zeros((2, 25), dtype=np.int64),
        est_taus=np.arange(-40, -10),
    )
    shared = Bootstrap(reps=499, seed=4).daily(data).pvalue
    np.testing.assert_array_equal(shared[0], shared[1])  # common random numbers
    own = Bootstrap(reps=499, seed=4, first_trial=10).daily(data).pvalue
    assert not np.array_equal(own[0], own[1])
    # member m of a block starting at trial k draws like trial k + m
    later = Bootstrap(reps=499, seed=4, first_trial=11).daily(data).pvalue
    np.testing.assert_array_equal(own[1], later[0])
    with pytest.raises(EventStudyError, match="first_trial"):
        Bootstrap(first_trial=-1)


def test_event_day_correlation_groups_with_missing_days():
    """Several events per day 0, days 0 a few sessions apart, 30% of estimation days
    missing: rho is the group-pair overlap-weighted formula of the docstring."""
    n_l = 40
    day0 = np.array([200, 200, 200, 202, 202, 205, 230, 230])
    n_ev = len(day0)
    data = make_data(12, n_events=n_ev, n_est=n_l, day0=day0, miss_est=0.3, common=0.7)
    e = data.est_ar
    z = {}
    for i in range(n_ev):
        ok = ~np.isnan(e[i])
        v = e[i][ok]
        zi = (v - v.mean()) / v.std()
        z[i] = dict(zip((day0[i] + data.est_taus[ok]).tolist(), zi, strict=True))
    groups = {d: [i for i in range(n_ev) if day0[i] == d] for d in np.unique(day0)}
    for days in (1, 4, 10):
        tot = 0.0
        for dg, g in groups.items():
            for dh, h in groups.items():
                lag = abs(int(dg) - int(dh))
                if lag >= days:
                    continue
                pairs = [(i, j) for i in g for j in h if i != j]
                if not pairs:
                    continue
                num = sum(sum(z[i][d] * z[j][d] for d in set(z[i]) & set(z[j])) for i, j in pairs)
                den = sum(len(set(z[i]) & set(z[j])) for i, j in pairs)
                tot += len(pairs) * (1 - lag / days) * num / den
        rho, unknown = event_day_correlation(data, days)
        assert not unknown
        assert rho == pytest.approx(tot / (n_ev * (n_ev - 1)), abs=TOL)
        if days == 1:  # same-day pairs share the common factor on the same calendar days
            assert rho > 0.03  # 10 of 56 ordered pairs share day 0, r about 0.3
