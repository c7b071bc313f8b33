"""The blocked rank and sign kernels against loops over events and sets.

``tests/test_speed_equivalence.py`` compares the rank, Corrado-Zivney sign
and GRANK statistics with plain implementations on windows of event days.
Here the kernels underneath (:mod:`eventstudy.inference._ranks` and ``_signs``) are checked
one by one, event by event and set by set with ``scipy.stats.rankdata``,
``np.median`` and ``np.searchsorted``, on the cases those statistics rarely
reach: estimation windows whose length is a power of two (the binary search
pads rows to the next one), heavy ties between event-period and estimation
values, sets that are not windows (gaps, equal sizes, one value, none),
events without data, and batches of several members.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from eventstudy.inference import _ranks, _signs

TOL = 1e-12


def random_rows(rng, shape, *, grid: int | None, miss: float) -> np.ndarray:
    x = rng.standard_t(3, shape)
    if grid:
        x = np.round(x * grid) / grid  # many exact ties
    x[rng.random(shape) < miss] = np.nan
    return x


def make_case(seed: int, n_l: int, n_w: int, lead=(), grid=None, miss=0.1):
    rng = np.random.default_rng(seed)
    n_ev = 13
    est = random_rows(rng, (*lead, n_ev, n_l), grid=grid, miss=miss)
    val = random_rows(rng, (*lead, n_ev, n_w), grid=grid, miss=miss)
    if n_ev > 3:
        est[..., 0, :] = np.nan  # an event without estimation data
        val[..., 1, :] = np.nan  # an event without event-period data
        k = min(n_l, n_w)
        val[..., 2, :k] = est[..., 2, :k]  # event-period values equal to estimation values
    return est, val


def sets(n_w: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(n_w)
    if kind == "identity":
        return np.eye(n_w, dtype=bool)
    if kind == "pairs":  # equal sizes, not windows
        m = np.zeros((n_w, n_w), dtype=bool)
        for j in range(n_w):
            m[j, [j, (j + 3) % n_w]] = True
        return m
    # mixed: all days, gaps, one value, none, a window
    m = rng.random((5, n_w)) < 0.5
    m[0] = True
    m[1] = False
    m[1, n_w // 2] = True
    m[2] = False
    m[3, :] = np.arange(n_w) < max(1, n_w // 3)
    return m


def naive_rank_sums(est, val, member):
    lead = est.shape[:-2]
    n_ev, n_l = est.shape[-2:]
    n_w = val.shape[-1]
    est_sum = np.zeros((*lead, member.shape[0], n_l))
    val_sum = np.zeros((*lead, member.shape[0], n_w))
    for idx in np.ndindex(*lead, n_ev):
        e_ok = ~np.isnan(est[idx])
        for j, m in enumerate(member):
            v_ok = m & ~np.isnan(val[idx])
            both = np.concatenate([est[idx][e_ok], val[idx][v_ok]])
            if not len(both):
                continue
            u = rankdata(both) / (len(both) + 1.0) - 0.5
            est_sum[idx[:-1] + (j, np.flatnonzero(e_ok))] += u[: e_ok.sum()]
            val_sum[idx[:-1] + (j, np.flatnonzero(v_ok))] += u[e_ok.sum() :]
    return est_sum, val_sum


def naive_medians_and_signs(est, val, member):
    lead = est.shape[:-2]
    n_ev, n_l = est.shape[-2:]
    n_w = val.shape[-1]
    med = np.full((*lead, n_ev, member.shape[0]), np.nan)
    est_sum = np.zeros((*lead, member.shape[0], n_l))
    val_sum = np.zeros((*lead, member.shape[0], n_w))
    for idx in np.ndindex(*lead, n_ev):
        e_ok = ~np.isnan(est[idx])
        for j, m in enumerate(member):
            v_ok = m & ~np.isnan(val[idx])
            both = np.concatenate([est[idx][e_ok], val[idx][v_ok]])
            if not len(both):
                continue
            med[idx + (j,)] = md = np.median(both)
            est_sum[idx[:-1] + (j, np.flatnonzero(e_ok))] += np.sign(est[idx][e_ok] - md)
            val_sum[idx[:-1] + (j, np.flatnonzero(v_ok))] += np.sign(val[idx][v_ok] - md)
    return med, est_sum, val_sum


@pytest.mark.parametrize("n_l", [1, 2, 7, 8, 64, 65])
@pytest.mark.parametrize("grid", [None, 4])
def test_binary_searches_match_searchsorted(n_l, grid):
    rng = np.random.default_rng(n_l)
    x = random_rows(rng, (40, n_l), grid=grid, miss=0.2)
    x[3, :] = np.nan
    x[4, 0] = np.inf
    q = random_rows(rng, (40, 9), grid=grid, miss=0.2)
    q[5, :3] = [np.inf, -np.inf, x[5, 0]]
    rows = _ranks.sort_rows(x)
    lt, le = _ranks.count_below(_ranks.padded(rows.values), q)
    np.testing.assert_array_equal(_ranks.search_rows(rows.values, q, right=False), lt)
    np.testing.assert_array_equal(_ranks.search_rows(rows.values, q, right=True), le)
    for i in range(40):
        ok = np.sort(x[i][~np.isnan(x[i])])
        for w in range(9):
            if np.isnan(q[i, w]):
                assert lt[i, w] == le[i, w] == 0
            else:
                assert lt[i, w] == np.searchsorted(ok, q[i, w], side="left")
                assert le[i, w] == np.searchsorted(ok, q[i, w], side="right")


CASES = [
    dict(n_l=8, n_w=5, kind="mixed"),
    dict(n_l=16, n_w=7, kind="identity", grid=3),
    dict(n_l=32, n_w=6, kind="pairs", grid=2),
    dict(n_l=9, n_w=4, kind="identity", lead=(3,)),
    dict(n_l=12, n_w=8, kind="mixed", lead=(2,), grid=3, miss=0.3),
    dict(n_l=64, n_w=21, kind="pairs", miss=0.05),
    dict(n_l=5, n_w=9, kind="mixed", grid=2, miss=0.4),
]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("cells", [None, 300])
def test_rank_sums_match_rankdata_event_by_event(case, cells, monkeypatch):
    c = dict(CASES[case])
    kind = c.pop("kind")
    est, val = make_case(case, **c)
    member = sets(val.shape[-1], kind)
    if cells:  # blocks of one or a few events
        monkeypatch.setattr(_ranks, "BLOCK_CELLS", cells)
    rows = _ranks.sort_rows(est)
    got = _ranks.rank_sums(rows, _ranks.place(rows, val), member)
    want_est, want_val = naive_rank_sums(est, val, member)
    np.testing.assert_allclose(got.est, want_est, atol=TOL, rtol=0)
    np.testing.assert_allclose(got.val, want_val, atol=TOL, rtol=0)
    np.testing.assert_array_equal(got.est_n, (~np.isnan(est)).sum(axis=-2))
    np.testing.assert_array_equal(got.val_n, (~np.isnan(val)).sum(axis=-2))


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("cells", [None, 300])
def test_medians_and_sign_sums_match_np_median(case, cells, monkeypatch):
    c = dict(CASES[case])
    kind = c.pop("kind")
    est, val = make_case(100 + case, **c)
    member = sets(val.shape[-1], kind)
    if cells:
        monkeypatch.setattr(_ranks, "BLOCK_CELLS", cells)
    rows = _ranks.sort_rows(est)
    placed = _ranks.place(rows, val)
    want_med, want_est, want_val = naive_medians_and_signs(est, val, member)
    lead = est.shape[:-2]
    n_b = int(np.prod(lead, dtype=np.int64))
    med = _signs.union_medians(
        rows.values.reshape(n_b, *est.shape[-2:]),
        rows.n.reshape(n_b, -1),
        placed.block(lead, slice(None), slice(None)),
        member,
    )
    np.testing.assert_array_equal(med.reshape(want_med.shape), want_med)  # exact: a value or a mean
    got = _signs.sign_sums(rows, est, placed, member)
    np.testing.assert_array_equal(got.est, want_est)
    np.testing.assert_array_equal(got.val, want_val)


def test_rescaled_rows_keep_ranks_and_place_like_divided_values():
    """GRANK's SAR rows (the sorted rows divided per event) place values exactly
    as rows sorted from the divided estimation values."""
    est, val = make_case(7, n_l=32, n_w=6, grid=3)
    scale = np.linspace(0.5, 3.0, est.shape[0])
    scale[4] = 0.0  # not positive: the row becomes missing
    rows = _ranks.sort_rows(est).rescaled(scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = np.where((scale > 0)[:, None], est / scale[:, None], np.nan)
    fresh = _ranks.sort_rows(direct)
    np.testing.assert_array_equal(rows.values, fresh.values)
    np.testing.assert_array_equal(rows.rank, fresh.rank)
    member = np.eye(6, dtype=bool)
    a = _ranks.rank_sums(rows, _ranks.place(rows, val), member)
    b = _ranks.rank_sums(fresh, _ranks.place(fresh, val), member)
    np.testing.assert_allclose(a.est, b.est, atol=TOL, rtol=0)
    np.testing.assert_allclose(a.val, b.val, atol=TOL, rtol=0)
