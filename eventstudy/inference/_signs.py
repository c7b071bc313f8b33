r"""Corrado-Zivney signs around the median of estimation and event-period values.

The Corrado & Zivney (1992) sign test takes, for each event and each set of
event-period values (all event days, or the days of one CAR window), the
median of the estimation window together with that set, and counts the
signs of every value around it.  The medians come from the placement of
:mod:`eventstudy.inference._ranks` (each estimation row sorted once, the
event-period values placed in it by binary search) without sorting any row
again; the signs are summed over events in blocks of events, so time grows
linearly with the number of events.
"""

from __future__ import annotations

import warnings

import numpy as np

from eventstudy.inference._ranks import (
    BoolArray,
    FloatArray,
    IntArray,
    Placed,
    RankSums,
    SortedRows,
    _as3,
    _blocks,
    _set_counts,
    search_rows,
    take_last,
)

#: blocks of the sign sums hold this many times ``_ranks.BLOCK_CELLS`` cells
_SIGN_BLOCKS = 4


def sign_sums(rows: SortedRows, est: FloatArray, placed: Placed, member: BoolArray) -> RankSums:
    """Corrado-Zivney signs ``sign(x - median)`` summed over events per day,
    the median taken over each event's estimation values and the set-``j``
    event-period values (see :func:`union_medians`).

    The medians of one event's sets lie within a few positions of each other
    in its sorted estimation row, so an estimation value below all of them
    (or above) has the sign -1 (+1) for every set: one pass over the
    estimation days gives that common part, and only the band of positions
    between the lowest and the highest median is compared set by set.
    """
    lead = placed.present.shape[:-2]
    n_b = int(np.prod(lead, dtype=np.int64))
    n_ev, n_w = placed.present.shape[-2:]
    n_l, n_j = est.shape[-1], member.shape[0]
    r_vals, r_n = _as3(rows.values, lead), _as3(rows.n, lead)
    r_inv, r_order = _as3(rows.inverse, lead), _as3(rows.order, lead)
    out_e = np.zeros((n_b, n_j, n_l))
    out_v = np.zeros((n_b, n_j, n_w))
    cells = 4 * n_l + 8 * n_j * (n_w + 1)
    for m, e in _blocks(n_b, n_ev, cells, scale=_SIGN_BLOCKS):
        pl = placed.block(lead, m, e)
        values, n, pos = r_vals[m, e], r_n[m, e], r_inv[m, e]
        med = union_medians(values, n, pl, member)  # (M, E, J)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            m_lo, m_hi = np.nanmin(med, axis=-1), np.nanmax(med, axis=-1)
        # band: sorted positions [lo, hi)
        lo = search_rows(values, m_lo[..., None], right=False)
        hi = search_rows(values, m_hi[..., None], right=True)
        # common part; missing values sort last, at positions n and above
        common = ((pos >= hi) & (pos < n[..., None])).sum(axis=1) - (pos < lo).sum(axis=1)
        out_e[m] += common[:, None, :]
        width = int((hi - lo).max()) if hi.size else 0
        if width:
            p = lo + np.arange(width)  # (M, E, width)
            inside = p < hi
            pc = np.minimum(p, n_l - 1)
            g = np.sign(take_last(values, pc)[..., None] - med[..., None, :])  # (M, E, w, J)
            g = np.where(inside[..., None], g, 0.0)
            day = take_last(r_order[m, e], pc)
            n_m = g.shape[0]
            key = (np.arange(n_m).reshape(n_m, 1, 1, 1) * n_j + np.arange(n_j)) * n_l
            key = key + day[..., None]
            add = np.bincount(key.ravel(), weights=g.ravel(), minlength=n_m * n_j * n_l)
            out_e[m] += add.reshape(n_m, n_j, n_l)
        v = take_last(pl.vsorted, pl.vpos)  # event-period values, original order
        with np.errstate(invalid="ignore"):
            gv = np.sign(v[..., None, :] - med[..., None])  # (M, E, J, W)
        out_v[m] += np.where(member & pl.present[..., None, :], gv, 0.0).sum(axis=1)
    return RankSums(
        out_e.reshape(lead + (n_j, n_l)),
        (~np.isnan(est)).sum(axis=-2).astype(np.int64),
        out_v.reshape(lead + (n_j, n_w)),
        placed.present.sum(axis=-2).astype(np.int64),
    )


def union_medians(values: FloatArray, n: IntArray, pl: Placed, member: BoolArray) -> FloatArray:
    """Median of each event's estimation values (sorted ``values``, ``n``
    present) together with the set-``j`` event-period values, ``(M, E, J)``
    (NaN when the union is empty).

    In the union (equal values: estimation values first) the estimation value
    of sorted index ``i`` sits at ``f(i) = i + P_j(i)``, with ``P_j(i)`` the set
    values below it, and the set value of index ``b`` at ``b + #{estimation
    values <= it}``.  ``f`` increases strictly, so the number ``A`` of
    estimation values before position ``k`` is found by a binary search on
    ``[k - |J|, k]``; the element at ``k`` is the estimation value ``A`` if
    ``f(A) = k``, else the set value of index ``k - A``, found by a second
    binary search on the set's cumulative counts.  For an even count the
    median is the mean of the two middle values.  ``O(E J log W)``.
    """
    cnt = _set_counts(pl, member)  # (M, E, W+1, J)
    n_m, n_e, n_q, n_j = cnt.shape
    n_l = values.shape[-1]
    size = n[..., None] + cnt[..., -1, :]  # (M, E, J)
    k = np.stack([(size - 1) // 2, size // 2], axis=-1)  # (M, E, J, 2)
    ev = np.arange(n_m * n_e, dtype=np.int64).reshape(n_m, n_e, 1, 1)
    j = np.arange(n_j).reshape(1, 1, n_j, 1)
    c_flat = cnt.reshape(-1)
    vl_flat, val_flat = pl.val_lt.reshape(-1), values.reshape(-1)
    nn = n[..., None, None]

    ev_l, ev_qj = ev * n_l, ev * (n_q * n_j) + j

    def union_pos(i: IntArray) -> IntArray:  # f(i) for 0 <= i < n
        return np.asarray(i + c_flat.take(ev_qj + vl_flat.take(ev_l + i) * n_j))

    # A = #{i < n : f(i) < k}; f(i) < k below k - |J| and f(i) >= k from k on
    a = np.maximum(k - cnt[..., -1, :][..., None], 0)
    hi = np.minimum(k, nn)
    step = 1 << (n_q.bit_length() - 1)
    while step:
        cand = a + step
        ok = cand <= hi
        ok &= union_pos(np.where(ok, cand - 1, 0)) < k
        a += ok * step
        step >>= 1
    ai = np.clip(a, 0, max(n_l - 1, 0))
    if n_l:
        is_est = (a < nn) & (union_pos(np.where(a < nn, ai, 0)) == k)
        est_val = val_flat.take(ev * n_l + ai)
    else:
        is_est, est_val = np.zeros(k.shape, dtype=bool), np.full(k.shape, np.nan)
    # set value of index b: at the sorted position p = #{p : P_j(p + 1) <= b}
    b = k - a
    p = np.zeros(k.shape, dtype=np.int64)
    n_w = n_q - 1
    step = 1 << (n_q.bit_length() - 1)
    while step:
        cand = p + step
        ok = cand <= n_w
        ok &= c_flat.take((ev * n_q + np.minimum(cand, n_w)) * n_j + j) <= b
        p += ok * step
        step >>= 1
    set_val = pl.vsorted.reshape(-1).take(ev * n_w + np.minimum(p, max(n_w - 1, 0)))
    kth = np.where(is_est, est_val, set_val)
    with np.errstate(invalid="ignore"):
        med = 0.5 * (kth[..., 0] + kth[..., 1])
    return np.asarray(np.where(size > 0, med, np.nan))
