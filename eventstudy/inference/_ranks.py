r"""Ranks and medians of estimation windows combined with event-period values.

The rank tests (Corrado 1989, Cowan 1992, Kolari & Pynnönen 2011) and the
Corrado & Zivney (1992) sign test rank, or take the median of, each event's
estimation-window abnormal returns together with some event-period values:
all event days, the days of one CAR window, or one standardised CAR.  Ranking
the combined row again for every window repeats the expensive part, the sort
of the :math:`L` estimation values.  Here each estimation row is sorted once
(:func:`sort_rows`, shared by the tests through ``TestData.cache``) and the
event-period values are placed in it by binary search; the rest is counting:

* the rank of an estimation value :math:`e_{it}` in the union with a set
  :math:`J` of event-period values is its rank among the estimation values
  plus :math:`\#\{d\in J: v_{id} < e_{it}\} + \tfrac12\#\{d\in J: v_{id}=e_{it}\}`;
  the count is a prefix count, over the event-period values sorted per event,
  at the number of *all* event-period values below :math:`e_{it}`;
* the rank of an event-period value is the number of estimation values below
  it (binary search) plus its rank inside :math:`J`;
* the :math:`k`-th smallest value of the union, for the median, is found by
  binary search over the positions of the :math:`J` values in the sorted
  estimation row (:mod:`eventstudy.inference._signs`).

The day sums over events of the estimation-value ranks are, per set, one
product of each event's scale with its own ranks and one sparse
(days x per-event tables) product that adds, for every (event, day), the
event's prefix count at the number of event-period values below the day's
value; no ``(events x days x sets)`` array is formed and no Python loop runs
over events, days or sets.

Ties get average ranks, as R's ``rank(ties.method = "average")``.  The cost is
:math:`O(E L \log L)` for the sort and :math:`O(E L J)` per call, in blocks of
events so that no intermediate array exceeds a few :data:`BLOCK_CELLS` cells:
memory grows with the input, and time linearly with the number of events.
Leading batch axes (Monte Carlo trials) are flattened to one axis ``M``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: cells of the largest intermediate array of one block of events: small enough
#: (2 MB of float64) for a block's passes to stay in the processor's cache, so
#: that the time grows linearly with the number of events
BLOCK_CELLS = 262_144


def row_blocks(n_rows: int, cells_per_row: int) -> Iterator[slice]:
    """Slices of rows holding about :data:`BLOCK_CELLS` cells each."""
    step = max(1, BLOCK_CELLS // max(1, cells_per_row))
    for a in range(0, n_rows, step):
        yield slice(a, min(n_rows, a + step))


#: blocks of the rank sums hold this many times :data:`BLOCK_CELLS` cells: their
#: per-event tables are small, and fewer, larger blocks cost less overhead
_TABLE_BLOCKS = 8

_ABS = np.int64(0x7FFFFFFFFFFFFFFF)


# ------------------------------------------------------------------ row helpers


def take_last(a: NDArray[Any], idx: NDArray[Any]) -> NDArray[Any]:
    """``np.take_along_axis(a, idx, axis=-1)`` with broadcasting of the leading
    axes, through one flat ``take`` (several times faster for many short rows)."""
    lead = a.shape[:-1]
    if idx.shape[:-1] != lead:  # broadcast the leading axes (not needed in the common case)
        lead = np.broadcast_shapes(lead, idx.shape[:-1])
        a = np.broadcast_to(a, lead + a.shape[-1:])
        idx = np.broadcast_to(idx, lead + idx.shape[-1:])
    a = np.ascontiguousarray(a)
    rows = math.prod(lead)
    off = (np.arange(rows, dtype=np.int64) * a.shape[-1]).reshape(lead + (1,))
    return a.reshape(-1).take(off + idx)


def _inverse(order: NDArray[Any]) -> NDArray[Any]:
    """Inverse permutation of every row: ``inverse[order[p]] = p``."""
    lead, n = order.shape[:-1], order.shape[-1]
    rows = int(np.prod(lead, dtype=np.int64))
    off = (np.arange(rows, dtype=np.int64) * n).reshape(lead + (1,))
    out = np.empty(order.size, dtype=order.dtype)
    out[(off + order).reshape(-1)] = np.broadcast_to(
        np.arange(n, dtype=order.dtype), order.shape
    ).reshape(-1)
    return out.reshape(order.shape)


def argsort_rows(x: FloatArray) -> NDArray[np.int32]:
    """``np.argsort(x, axis=-1)`` with NaN last, through one integer sort.

    Each value's bits, mapped to an order-preserving integer, keep their high
    bits and carry the column index in the low ``ceil(log2 L)`` bits, so a
    plain (SIMD) integer sort returns the order.  Values that differ only in
    those low bits (a relative difference below about ``L 2^-52``) could come
    out in index order: every row is checked and any row out of order is
    sorted again with :func:`numpy.argsort`, so the result is always a correct
    order.
    """
    x = np.asarray(x, dtype=np.float64)
    n_l = x.shape[-1]
    if n_l < 2 or x.size == 0:
        return np.broadcast_to(np.arange(n_l, dtype=np.int32), x.shape).copy()
    bits = int(n_l - 1).bit_length()
    low = np.int64((1 << bits) - 1)
    b = np.ascontiguousarray(x).view(np.int64)
    key = np.where(b < 0, b ^ _ABS, b)  # order-preserving for non-NaN values
    key = np.where(np.isnan(x), _ABS, key)  # NaN after +inf
    key = (key & ~low) | np.arange(n_l, dtype=np.int64)
    key.sort(axis=-1)
    order = (key & low).astype(np.int32)
    v = take_last(x, order)
    nan = np.isnan(v)
    with np.errstate(invalid="ignore"):
        bad = ((v[..., 1:] < v[..., :-1]) | (nan[..., :-1] & ~nan[..., 1:])).any(axis=-1)
    if bad.any():
        order[bad] = np.argsort(x[bad], axis=-1)
    return order


def tie_runs(vals: FloatArray) -> tuple[IntArray, IntArray]:
    """For each position of sorted rows, the first and one-past-last position of
    its run of equal values (NaN never equals anything)."""
    n_l = vals.shape[-1]
    if n_l == 0:
        z = np.zeros(vals.shape, dtype=np.int64)
        return z, z
    pos = np.arange(n_l, dtype=np.int64)
    new = np.ones(vals.shape, dtype=bool)
    new[..., 1:] = vals[..., 1:] != vals[..., :-1]
    lo = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    last = np.ones(vals.shape, dtype=bool)
    last[..., :-1] = new[..., 1:]
    hi = np.flip(
        np.minimum.accumulate(np.flip(np.where(last, pos + 1, n_l), axis=-1), axis=-1), axis=-1
    )
    return lo, hi


@dataclass(frozen=True)
class SortedRows:
    """Each row of ``(..., E, L)`` sorted once (missing values last).

    ``order`` sorts a row and ``inverse`` is its inverse (the sorted position
    of each value); ``values`` is the sorted row, ``n`` counts the values
    present, and ``rank`` holds each value's average rank (1-based) within its
    own row at its original position (NaN where missing).
    """

    order: NDArray[np.int32]
    inverse: NDArray[np.int32]
    values: FloatArray
    n: IntArray
    rank: FloatArray

    def rescaled(self, scale: FloatArray) -> SortedRows:
        """The rows divided by a per-row ``scale``: the same order, since division
        by a positive number is monotone (ranks are recomputed only if rounding
        made two different values equal).  A row whose scale is not finite and
        positive becomes missing."""
        ok = np.isfinite(scale) & (scale > 0)
        n = np.where(ok, self.n, 0)
        shape, n_l = self.values.shape, self.values.shape[-1]
        src = self.values.reshape(-1, n_l)
        okf, nf, inv = ok.reshape(-1), n.reshape(-1), self.inverse.reshape(-1, n_l)
        vals = np.empty(src.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(src, scale.reshape(-1, 1), out=vals)
        if not okf.all():
            vals[~okf] = np.nan
        # rows where rounding made two different values equal need new ranks
        redo = np.zeros(len(src), dtype=bool)
        for r in row_blocks(len(src), n_l):
            v = vals[r]
            redo[r] = ((v[:, 1:] == v[:, :-1]) & ~(src[r, 1:] == src[r, :-1])).any(axis=-1)
        if okf.all() and not redo.any():  # the same ranks: share them
            return SortedRows(self.order, self.inverse, vals.reshape(shape), n, self.rank)
        rank = self.rank.reshape(-1, n_l).copy()
        rank[~okf] = np.nan
        if redo.any():
            rank[redo] = _rank(vals[redo], nf[redo], inv[redo])
        return SortedRows(self.order, self.inverse, vals.reshape(shape), n, rank.reshape(shape))


def _rank(vals: FloatArray, n: IntArray, inverse: NDArray[Any]) -> FloatArray:
    present = inverse < n[..., None]  # missing values sort last
    if not (vals[..., 1:] == vals[..., :-1]).any():  # no ties: the rank is the position
        return np.where(present, inverse + 1.0, np.nan)
    lo, hi = tie_runs(vals)
    r_sorted = np.where(np.arange(vals.shape[-1]) < n[..., None], (lo + hi + 1) / 2.0, np.nan)
    return np.asarray(take_last(r_sorted, inverse), dtype=np.float64)


def sort_rows(x: FloatArray) -> SortedRows:
    """Sort every row of ``x`` once (NaN last) and rank it, ties averaged; in
    blocks of rows."""
    shape, n_l = x.shape, x.shape[-1]
    flat = np.asarray(x, dtype=np.float64).reshape(-1, n_l)
    order = np.empty(flat.shape, dtype=np.int32)
    inverse = np.empty(flat.shape, dtype=np.int32)
    vals = np.empty(flat.shape)
    rank = np.empty(flat.shape)
    n = (~np.isnan(flat)).sum(axis=-1).astype(np.int64)
    for r in row_blocks(len(flat), n_l):
        order[r] = o = argsort_rows(flat[r])
        inverse[r] = i = _inverse(o)
        vals[r] = v = take_last(flat[r], o)
        rank[r] = _rank(v, n[r], i)
    return SortedRows(
        order.reshape(shape),
        inverse.reshape(shape),
        vals.reshape(shape),
        n.reshape(shape[:-1]),
        rank.reshape(shape),
    )


def padded(sorted_values: FloatArray) -> FloatArray:
    """Sorted rows padded with NaN to ``2^k > L`` values, the input of
    :func:`count_below` (one NaN at least, so its search needs no bounds check);
    made per block of rows, where the copy stays in the processor's cache."""
    n_l = sorted_values.shape[-1]
    out = np.empty(sorted_values.shape[:-1] + (1 << n_l.bit_length(),))
    out[..., :n_l] = sorted_values
    out[..., n_l:] = np.nan
    return out


def count_below(rows: FloatArray, q: FloatArray) -> tuple[IntArray, IntArray]:
    """Per query, the number of values of its sorted row ``< q`` and ``<= q``.

    ``rows`` is ``(..., E, P)``: sorted rows with NaN last, padded with NaN to
    a power of two ``P`` (:func:`padded`); ``q`` is ``(..., E, W)``.  A
    branch-free binary search vectorised over all queries (NaN queries give
    0): ``log2 P`` steps of one gather and one comparison each.  The second
    count differs from the first only where the row holds the query's value,
    and is searched for those queries only.
    """
    n_p = rows.shape[-1]
    lead = np.broadcast_shapes(rows.shape[:-1], q.shape[:-1])
    flat = np.ascontiguousarray(np.broadcast_to(rows, lead + (n_p,))).reshape(-1)
    n_rows = int(np.prod(lead, dtype=np.int64))
    off = np.broadcast_to((np.arange(n_rows, dtype=np.int64) * n_p).reshape(lead + (1,)), q.shape)
    q = np.broadcast_to(q, off.shape)
    lt = _search(flat, off, q, n_p, right=False)
    eq = flat.take(off + lt) == q  # the padding keeps lt < P
    le = lt.copy()
    if eq.any():
        le[eq] = _search(flat, off[eq], q[eq], n_p, right=True)
    return lt, le


def _search(flat: FloatArray, off: IntArray, q: FloatArray, n_p: int, *, right: bool) -> IntArray:
    pos = np.zeros(q.shape, dtype=np.int64)
    step = n_p >> 1
    base = off - 1
    while step:
        v = flat.take(base + pos + step)
        go = (v <= q) if right else (v < q)  # False for NaN: missing values sort last
        pos += go * step
        step >>= 1
    return pos


def search_rows(sorted_values: FloatArray, q: FloatArray, *, right: bool) -> IntArray:
    """Per query, the number of values of its sorted row (NaN last, not padded)
    ``< q`` (``<= q`` if ``right``): a binary search with bounds checks, for a
    few queries per row where padding the rows would cost more than the search."""
    n_l = sorted_values.shape[-1]
    flat = np.ascontiguousarray(sorted_values).reshape(-1)
    n_rows = flat.size // max(n_l, 1)
    off = np.arange(n_rows, dtype=np.int64).reshape(sorted_values.shape[:-1] + (1,)) * n_l - 1
    off = np.broadcast_to(off, q.shape)
    pos = np.zeros(q.shape, dtype=np.int64)
    step = 1 << (n_l.bit_length() - 1) if n_l else 0
    while step:
        cand = pos + step
        v = flat.take(off + np.minimum(cand, n_l))
        go = (v <= q) if right else (v < q)  # False for NaN: missing values sort last
        pos += np.where(go & (cand <= n_l), step, 0)
        step >>= 1
    return pos


# -------------------------------------------------------------------- blocks


def _blocks(n_b: int, n_ev: int, cells: int, scale: int = 1) -> Iterator[tuple[slice, slice]]:
    """(members, events) slices whose blocks hold at most about ``scale *
    BLOCK_CELLS`` cells when one event needs ``cells``: blocks of events of one
    member for large studies, blocks of whole members for many small Monte
    Carlo trials."""
    step = max(1, scale * BLOCK_CELLS // max(1, cells))
    if n_ev >= step or n_b == 1:
        for m in range(n_b):
            for a in range(0, n_ev, step):
                yield slice(m, m + 1), slice(a, min(n_ev, a + step))
    else:
        k = max(1, step // max(1, n_ev))
        for m0 in range(0, n_b, k):
            yield slice(m0, min(n_b, m0 + k)), slice(0, n_ev)


@dataclass(frozen=True)
class Placed:
    """Event-period values ``(..., E, W)`` placed in the sorted estimation rows.

    ``est_lt/est_le``: estimation values ``<`` / ``<=`` each event-period value;
    ``val_lt/val_le`` ``(..., E, L)``: event-period values ``<`` / ``<=`` each
    estimation value, in the sorted order of the estimation row (``val_le`` is
    ``val_lt`` itself when no event-period value equals an estimation value:
    ``tied`` is False); ``vorder`` sorts each event's event-period values (NaN
    last) into ``vsorted`` and ``vpos`` is its inverse (each value's sorted
    position); ``v_lo/v_hi``: event-period values ``<`` / ``<=`` each
    event-period value.  Computed once per data set and shared (``rank`` and
    ``csign`` both use the placement of the event-day abnormal returns).
    """

    est_lt: IntArray
    est_le: IntArray
    val_lt: NDArray[np.int32]
    val_le: NDArray[np.int32]
    vorder: NDArray[np.int32]
    vpos: NDArray[np.int32]
    vsorted: FloatArray
    v_lo: IntArray
    v_hi: IntArray
    present: BoolArray
    tied: bool = True

    def block(self, lead: tuple[int, ...], m: slice, e: slice) -> Placed:
        """Members ``m`` and events ``e`` of a placement, as ``(M, E, ...)`` arrays."""
        arrays = {k: _as3(getattr(self, k), lead)[m, e] for k in _PLACED_ARRAYS}
        return Placed(**arrays, tied=self.tied)


_PLACED_ARRAYS = (
    "est_lt",
    "est_le",
    "val_lt",
    "val_le",
    "vorder",
    "vpos",
    "vsorted",
    "v_lo",
    "v_hi",
    "present",
)


def place(rows: SortedRows, vals: FloatArray) -> Placed:
    """Place the event-period values ``vals`` in the sorted estimation rows
    (in blocks of rows)."""
    shape, n_w, n_l = vals.shape, vals.shape[-1], rows.values.shape[-1]
    v2 = vals.reshape(-1, n_w)
    r_vals = rows.values.reshape(-1, n_l)
    n_rows = len(v2)
    out: dict[str, NDArray[Any]] = {
        "est_lt": np.empty((n_rows, n_w), dtype=np.int64),
        "est_le": np.empty((n_rows, n_w), dtype=np.int64),
        "vorder": np.empty((n_rows, n_w), dtype=np.int32),
        "vpos": np.empty((n_rows, n_w), dtype=np.int32),
        "vsorted": np.empty((n_rows, n_w)),
        "v_lo": np.empty((n_rows, n_w), dtype=np.int64),
        "v_hi": np.empty((n_rows, n_w), dtype=np.int64),
        "present": ~np.isnan(v2),
    }
    # thresholds in sorted order, non-decreasing; missing values (last) get L
    le_sorted = np.empty((n_rows, n_w), dtype=np.int64)
    lt_sorted = np.empty((n_rows, n_w), dtype=np.int64)
    tied = False
    for r in row_blocks(n_rows, 2 * n_l + n_w):
        est_lt, est_le = count_below(padded(r_vals[r]), v2[r])
        out["est_lt"][r], out["est_le"][r] = est_lt, est_le
        vorder = argsort_rows(v2[r])
        out["vorder"][r] = vorder
        out["vsorted"][r] = vsorted = take_last(v2[r], vorder)
        out["vpos"][r] = vpos = _inverse(vorder)
        missing = np.arange(n_w) >= out["present"][r].sum(axis=-1)[:, None]
        le_sorted[r] = np.where(missing, n_l, take_last(est_le, vorder))
        lt_sorted[r] = np.where(missing, n_l, take_last(est_lt, vorder))
        # an event-period value equal to an estimation value: counts <= differ from <
        tied = tied or bool((est_le != est_lt).any())
        with np.errstate(invalid="ignore"):
            v_tied = (vsorted[:, 1:] == vsorted[:, :-1]).any()
        if v_tied:  # ranks among the event-period values, ties averaged
            lo, hi = tie_runs(vsorted)
            out["v_lo"][r], out["v_hi"][r] = take_last(lo, vpos), take_last(hi, vpos)
        else:
            out["v_lo"][r], out["v_hi"][r] = vpos, vpos + 1
    out["val_lt"] = _val_counts(le_sorted, n_l)
    out["val_le"] = _val_counts(lt_sorted, n_l) if tied else out["val_lt"]
    lead = shape[:-1]
    arrays = {k: a.reshape(lead + a.shape[-1:]) for k, a in out.items()}
    return Placed(**arrays, tied=tied)


def _val_counts(threshold: IntArray, n_l: int) -> NDArray[np.int32]:
    """``#{d : threshold_d <= p}`` at every sorted estimation position ``p``:
    an event-period value ``v`` is below the sorted estimation value at ``p``
    iff ``p >= #{estimation values <= v}``.

    ``threshold`` is ``(R, W)``, non-decreasing along each row, values in
    ``0..L``; the count is ``k`` on the positions from the ``k``-th threshold
    to the next, one :func:`numpy.repeat` of ``0..W`` for all rows.
    """
    n_rows, n_w = threshold.shape
    edges = np.empty((n_rows, n_w + 2), dtype=np.int64)
    edges[:, 0], edges[:, 1:-1], edges[:, -1] = 0, threshold, n_l
    runs = np.diff(edges, axis=-1).reshape(-1)  # (R * (W+1)) run lengths
    counts = np.broadcast_to(np.arange(n_w + 1, dtype=np.int32), (n_rows, n_w + 1))
    return np.repeat(counts.reshape(-1), runs).reshape(n_rows, n_l)


def _as3(x: NDArray[Any], lead: tuple[int, ...]) -> NDArray[Any]:
    n_b = int(np.prod(lead, dtype=np.int64))
    return x.reshape((n_b,) + x.shape[len(lead) :])


# ---------------------------------------------------------------- rank sums


@dataclass(frozen=True)
class RankSums:
    """Sums over events per set ``j`` of scaled ranks ``U = K/(n+1) - 1/2`` (or
    of signs), on estimation days ``est`` ``(..., J, L)`` and event days ``val``
    ``(..., J, W)`` (zero for days outside the set); ``est_n`` ``(..., L)`` and
    ``val_n`` ``(..., W)`` count the events with a value on each day."""

    est: FloatArray
    est_n: IntArray
    val: FloatArray
    val_n: IntArray


def rank_sums(rows: SortedRows, placed: Placed, member: BoolArray) -> RankSums:
    r"""Scaled-rank day sums of the estimation values ranked together with each
    set of the placed event-period values (``member[j]`` selects set ``j``).

    With :math:`w_{ej} = 1/(n_e + |J_{ej}| + 1)` the scale of event ``e`` in set
    ``j``, the estimation-day sum is

    .. math:: \sum_e w_{ej} R_{el} - \tfrac12 N_l
              + \sum_e w_{ej} P_{ej}(q_{el}),

    :math:`R_{el}` the value's rank in its own row, :math:`N_l` the events with
    a value on day ``l`` and :math:`P_{ej}(q)` the number of set-``j`` values
    among the :math:`q_{el}` event-period values below it (ties: the mean of
    the counts below and at or below).  The first sum is one matrix product;
    the last gathers, for every (event, day), the row :math:`q_{el}` of the
    event's small table :math:`w_{ej} P_{ej}(q)`, ``(W+1, J)``, and adds the
    rows over events: one sparse (days x table rows) matrix with one entry per
    (event, day) times the stacked tables, in blocks of events small enough
    for the tables to stay in the processor's cache.
    """
    lead = placed.present.shape[:-2]
    n_b = int(np.prod(lead, dtype=np.int64))
    n_ev, n_w = placed.present.shape[-2:]
    n_l, n_j = rows.values.shape[-1], member.shape[0]
    r_rank, r_n, r_order = _as3(rows.rank, lead), _as3(rows.n, lead), _as3(rows.order, lead)
    jj, ww = np.nonzero(member)
    est = np.zeros((n_b, n_j, n_l))
    val = np.zeros((n_b, n_j, n_w))
    sizes = member.sum(axis=-1)
    size = int(sizes[0]) if n_j and (sizes == sizes[0]).all() else None
    cells = 4 * n_l + (n_w + 1) * (n_w + 2 * n_j) + 4 * len(jj)
    for m, e in _blocks(n_b, n_ev, cells, scale=_TABLE_BLOCKS):
        pl = placed.block(lead, m, e)
        cnt = _set_counts(pl, member)  # (M, E, W+1, J)
        est_present = ~np.isnan(r_rank[m, e])
        inv = 1.0 / (r_n[m, e][..., None] + cnt[..., -1, :] + 1.0)  # (M, E, J)
        # event-period values: rank among the estimation values and inside the set
        flat = cnt.reshape(cnt.shape[:2] + (-1,))
        lo = take_last(flat, pl.v_lo[..., ww] * n_j + jj)
        hi = take_last(flat, pl.v_hi[..., ww] * n_j + jj)
        k_val = 1.0 + pl.est_lt[..., ww] + 0.5 * (pl.est_le - pl.est_lt)[..., ww]
        k_val = k_val + 0.5 * (lo + hi - 1.0)
        u = np.where(pl.present[..., ww], k_val * inv[..., jj] - 0.5, 0.0)
        val[m, jj, ww] += u.sum(axis=-2)
        # estimation values: own rank plus the set's values below
        kest = np.where(est_present, r_rank[m, e], 0.0)
        est[m] += _own_rank_sum(inv, kest, r_n[m, e], size)
        est[m] -= 0.5 * est_present.sum(axis=-2)[:, None, :]
        table = cnt * inv[..., None, :]  # (M, E, W+1, J)
        est[m] += _gathered_sum(table, r_order[m, e], r_n[m, e], pl)
    return RankSums(
        est.reshape(lead + (n_j, n_l)),
        (~np.isnan(rows.rank)).sum(axis=-2).astype(np.int64),
        val.reshape(lead + (n_j, n_w)),
        placed.present.sum(axis=-2).astype(np.int64),
    )


def _own_rank_sum(inv: FloatArray, kest: FloatArray, n: IntArray, size: int | None) -> FloatArray:
    """``sum_e inv[m, e, j] * kest[m, e, l]`` as ``(M, J, L)``.

    When every set has ``size`` values, an event with all of them present has
    the same scale ``1/(n + size + 1)`` in every set: the sum is one vector
    over days for those events, plus the product over the (few) events with
    a missing set value.
    """
    if size is None or inv.shape[0] != 1:
        return np.asarray(np.einsum("mej,mel->mjl", inv, kest))
    full = 1.0 / (n + (size + 1.0))  # (1, E)
    out = np.einsum("me,mel->ml", full, kest)[:, None, :] + np.zeros(inv.shape[-1])[:, None]
    diff = inv - full[..., None]
    rows = np.flatnonzero(diff[0].any(axis=-1))
    if len(rows):
        out += np.einsum("ej,el->jl", diff[0, rows], kest[0, rows])[None]
    return np.asarray(out)


def _set_counts(pl: Placed, member: BoolArray) -> NDArray[Any]:
    """``(M, E, W+1, J)``: the number of set-``j`` values among each event's
    ``q`` smallest present event-period values, ``q = 0..W`` (integers; a
    cumulative count over the sorted values, or for sets of one value each a
    comparison with its sorted position)."""
    n_j, n_w = member.shape
    if n_j == n_w and np.array_equal(member, np.eye(n_w, dtype=bool)):
        below = np.arange(n_w + 1, dtype=np.int32)[:, None] > pl.vpos[..., None, :]
        below &= pl.present[..., None, :]
        return below.view(np.int8)
    n_v = pl.present.sum(axis=-1)
    in_set = member.T[pl.vorder]  # (M, E, W, J), the values in sorted order
    in_set &= (np.arange(n_w) < n_v[..., None])[..., None]  # missing values sort last
    out = np.zeros(in_set.shape[:-2] + (n_w + 1, n_j), dtype=np.int32)
    np.cumsum(in_set, axis=-2, dtype=np.int32, out=out[..., 1:, :])
    return out


def _gathered_sum(table: FloatArray, order: NDArray[Any], n: IntArray, pl: Placed) -> FloatArray:
    r"""``sum_e (table[e, q_lt] + table[e, q_le]) / 2`` per day as ``(M, J, L)``.

    ``table`` is ``(M, E, Q, J)``; ``q_lt, q_le`` (``pl.val_lt``,
    ``pl.val_le``) are ``(M, E, L)`` in the sorted order of each estimation
    row, ``order`` maps a sorted position to its day and the first ``n``
    positions hold values.  A sparse matrix with a row per (member, day) and
    an entry per (event, sorted position), at the table row ``q_lt`` (weight
    1, or 1/2 where ``q_le`` differs, with a second entry of 1/2 at
    ``q_le``), times the stacked tables: each entry adds one contiguous
    ``J``-vector, event after event, without an ``(E, L, J)`` intermediate.
    """
    n_m, n_ev, n_q, n_j = table.shape
    n_l = order.shape[-1]
    big = max(n_m * n_ev * n_q, n_m * n_l) >= 2**31
    idx_t = np.int64 if big else np.int32
    base = (np.arange(n_m * n_ev, dtype=idx_t) * n_q).reshape(n_m, n_ev, 1)
    cols = (base + pl.val_lt).astype(idx_t, copy=False).reshape(-1)
    day = (np.arange(n_m, dtype=idx_t) * n_l).reshape(n_m, 1, 1) + order
    rows = day.astype(idx_t, copy=False).reshape(-1)
    present = np.arange(n_l) < n[..., None]  # missing values sort last
    weight = present.astype(np.float64).reshape(-1)
    if pl.tied:
        tie = ((pl.val_le != pl.val_lt) & present).reshape(-1)
        if tie.any():  # the two halves of each tied count
            weight[tie] = 0.5
            extra = (base + pl.val_le).astype(idx_t, copy=False).reshape(-1)[tie]
            rows = np.concatenate([rows, rows[tie]])
            cols = np.concatenate([cols, extra])
            weight = np.concatenate([weight, np.full(len(extra), 0.5)])
    mat = sparse.coo_array((weight, (rows, cols)), shape=(n_m * n_l, n_m * n_ev * n_q))
    out = mat @ table.reshape(-1, n_j)
    return np.swapaxes(np.asarray(out).reshape(n_m, n_l, n_j), -1, -2)
