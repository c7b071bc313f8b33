"""Other announcements of the same firm near an event, in O(E log E).

Used by the ledger column ``other_event_in_estimation`` (results) and by the
leakage column ``other_event_pre``.  A self-merge of the events on the
ticker costs memory and time in the square of the events per firm (a
100,000-row calendar took 10 GB); here the reference events are sorted once
on (firm, day) and each event finds its range with two binary searches.  At
most :data:`MAX_LISTED` ids are listed per event (the earliest), followed by
``(+N more)``, so the output stays proportional to the number of events.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pandas.api.types import infer_dtype

__all__ = ["MAX_LISTED", "neighbour_ids", "neighbour_pairs"]

#: Ids listed per event before ``(+N more)``.
MAX_LISTED: Final = 20


def neighbour_pairs(
    q_firm: NDArray[np.int64],
    q_day: NDArray[np.int64],
    q_key: NDArray[np.int64],
    r_firm: NDArray[np.int64],
    r_day: NDArray[np.int64],
    r_key: NDArray[np.int64],
    lo: int,
    hi: int,
    cap: int = MAX_LISTED,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Reference events of the same firm with ``lo <= r_day - q_day <= hi``.

    Pairs whose keys are equal (the event itself) are left out.  Returns
    ``(qi, rj, count)``: for each query ``qi`` up to ``cap`` reference indices
    ``rj`` in order of (day, reference row), and the total number of matches
    per query.
    """
    nq, nr = len(q_firm), len(r_firm)
    empty = np.empty(0, dtype=np.int64)
    count = np.zeros(nq, dtype=np.int64)
    if nq == 0 or nr == 0 or lo > hi:
        return empty, empty, count
    days = np.concatenate([q_day, r_day]).astype(np.int64)
    base = int(days.min()) + min(lo, 0) - 1
    span = int(days.max()) + max(hi, 0) - base + 2
    keys = r_firm.astype(np.int64) * span + (r_day - base)  # (firm, day) in one number
    order = np.argsort(keys, kind="stable")  # stable: ties keep reference order
    keys = keys[order]
    qbase = q_firm.astype(np.int64) * span + (q_day - base)
    start = np.searchsorted(keys, qbase + lo, side="left")
    stop = np.searchsorted(keys, qbase + hi, side="right")
    # take at most cap + 1 per query (one of them may be the event itself)
    m = np.minimum(stop - start, cap + 1)
    total = int(m.sum())
    qi = np.repeat(np.arange(nq, dtype=np.int64), m)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(m) - m, m)
    rj = order[start[qi] + within]
    keep = r_key[rj] != q_key[qi]
    qi, rj = qi[keep], rj[keep]
    # is the event itself inside its own range?  then it does not count
    rank = np.empty(nr, dtype=np.int64)
    rank[order] = np.arange(nr)
    pos_self = _self_position(q_key, r_key, rank)
    inside = (pos_self >= start) & (pos_self < stop)
    count = (stop - start - inside).astype(np.int64)
    # keep the first cap per query
    first = np.searchsorted(qi, np.arange(nq), side="left")
    nth = np.arange(len(qi), dtype=np.int64) - first[qi]
    sel = nth < cap
    return qi[sel], rj[sel], count


def _self_position(
    q_key: NDArray[np.int64], r_key: NDArray[np.int64], rank: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Sorted position of each query's own reference row (-1 when it has none)."""
    srt = np.argsort(r_key, kind="stable")
    at = np.searchsorted(r_key[srt], q_key)
    atc = np.minimum(at, len(srt) - 1)
    found = r_key[srt[atc]] == q_key
    return np.where(found, rank[srt[atc]], -1)


def neighbour_ids(
    n: int,
    qi: NDArray[np.int64],
    ids: NDArray[np.object_],
    count: NDArray[np.int64],
) -> NDArray[np.object_]:
    """``;``-joined ids per query (in the order given), ``(+N more)`` past the listed ones."""
    out = _arrow_joined(n, qi, ids)
    if out is None:
        out = np.full(n, "", dtype=object)
        if len(qi):
            cuts = np.flatnonzero(np.diff(qi)) + 1
            starts = np.concatenate([[0], cuts])
            ends = np.concatenate([cuts, [len(qi)]])
            text = [str(v) for v in ids.tolist()]
            out[qi[starts]] = [";".join(text[a:b]) for a, b in zip(starts, ends, strict=True)]
    listed = np.bincount(qi, minlength=n) if len(qi) else np.zeros(n, dtype=np.int64)
    more = np.flatnonzero(count > listed)
    for i in more:
        out[i] = f"{out[i]} (+{int(count[i] - listed[i])} more)"
    return out


def _arrow_joined(n: int, qi: NDArray[np.int64], ids: NDArray[np.object_]) -> NDArray[Any] | None:
    """The joined lists in one arrow call: grouped queries and ids that are all text
    (else ``None``: the caller joins them in Python, as before)."""
    if not len(qi) or not bool((np.diff(qi) >= 0).all()):
        return None
    if infer_dtype(ids, skipna=False) != "string":
        return None
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(qi, minlength=n), out=offsets[1:])
    try:  # a lone surrogate is no UTF-8
        values = pa.array(ids, type=pa.large_string())
    except (UnicodeError, pa.ArrowException):
        return None
    if isinstance(values, pa.ChunkedArray):  # arrow texts handed over
        values = values.combine_chunks()
    lists = pa.LargeListArray.from_arrays(offsets, values)
    joined = pc.binary_join(lists, pa.scalar(";", type=pa.large_string()))
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def firm_codes(*columns: pd.Series | NDArray[np.object_]) -> list[NDArray[np.int64]]:
    """Integer codes of the values of several columns on one shared vocabulary."""
    lens = [len(c) for c in columns]
    codes, _ = pd.factorize(
        pd.Series(np.concatenate([np.asarray(c, dtype=object) for c in columns]))
    )
    out = []
    at = 0
    for k in lens:
        out.append(codes[at : at + k].astype(np.int64))
        at += k
    return out
