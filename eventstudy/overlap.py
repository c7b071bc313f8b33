"""Overlapping events of one firm: find them, report them, or exclude them.

Two events of the same firm *overlap* when the day 0 of one lies inside the
event window of the other: with event window :math:`[a, b]` and day 0 of the
later event :math:`\\Delta \\ge 1` trading days after the earlier one, when
:math:`\\Delta \\le \\max(b, -a)`.  Their abnormal returns then share days,
so both CARs carry the other announcement's news and the events are not
independent observations.

Policies (``EventStudy(..., overlap=...)``, ``--overlap``):

``keep`` (default)
    Every event stays in; the ledger column ``overlaps_with`` names the other
    events each one overlaps, and the report lists the pairs.
``first``
    Within each firm, events are taken in order of day 0; an event whose
    day 0 lies inside the event window of an earlier event that is kept is
    excluded, with a reason naming that earlier event (the later news is then
    part of the earlier event's window, not an event of its own).
``drop-all``
    Every event that overlaps another is excluded (both of a pair), with a
    reason naming the other: the confounded-events rule of McWilliams &
    Siegel (1997), which removes events whose windows hold other news.

Only events still in play after the calendar, data and duplicate checks
take part (duplicates, same ticker and same day 0, are excluded before).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy._neighbours import neighbour_ids
from eventstudy.exceptions import EventStudyError
from eventstudy.windows import Window

__all__ = ["OVERLAP_POLICIES", "OverlapOutcome", "find_overlaps", "overlap_step"]

OVERLAP_POLICIES = ("keep", "first", "drop-all")

#: exclusion reasons added by this step (see ``eventstudy.study.EXCLUSION_REASONS``)
OVERLAP_REASONS = {
    "overlap_first": (
        "overlaps an earlier event of the firm ({other}, day 0 {k} trading days earlier; "
        "overlap='first')"
    ),
    "overlap_all": "overlaps another event of the firm ({other}; overlap='drop-all')",
}


@dataclass(frozen=True)
class OverlapOutcome:
    """Result of :func:`overlap_step` (arrays over all input events).

    ``exclude`` marks the events the policy excludes and ``reason`` holds
    their reasons; ``overlaps_with`` lists, for every event, the event ids it
    overlaps (``;``-separated, empty when none); ``pairs`` is one row per
    overlapping pair ``event_id, other, ticker, sessions_apart``.
    """

    policy: str
    exclude: NDArray[np.bool_]
    reason: NDArray[np.object_]
    overlaps_with: NDArray[np.object_]
    pairs: pd.DataFrame


def check_policy(policy: str) -> str:
    """Validate an overlap policy name."""
    if policy not in OVERLAP_POLICIES:
        raise EventStudyError(f"overlap must be one of {list(OVERLAP_POLICIES)}, got {policy!r}")
    return policy


def find_overlaps(
    tk: NDArray[np.int64], d0: NDArray[np.int64], active: NDArray[np.bool_], window: Window
) -> pd.DataFrame:
    """Pairs ``(i, j)`` of active events of one firm with ``j`` after ``i`` that overlap.

    Columns ``i, j, apart`` (``apart = d0[j] - d0[i] >= 1``), sorted by ``i, j``.
    """
    reach = max(window.end, -window.start)
    rows = np.flatnonzero(active)
    # sorted on (firm, day 0, row): the later events of a firm within ``reach``
    # sessions follow each event; two binary searches give their range
    # (one stable sort of a combined key: ``rows`` is increasing, so ties keep row order)
    day = d0[rows].astype(np.int64) - int(d0[rows].min(initial=0))
    firm = tk[rows].astype(np.int64) - int(tk[rows].min(initial=0))
    key = firm * (int(day.max(initial=0)) + reach + 2) + day
    order = np.argsort(key, kind="stable")
    srt, key = rows[order], key[order]
    start = np.searchsorted(key, key + 1, side="left")
    stop = np.searchsorted(key, key + reach, side="right")
    m = stop - start
    first = np.repeat(np.arange(len(srt), dtype=np.int64), m)
    within = np.arange(int(m.sum()), dtype=np.int64) - np.repeat(np.cumsum(m) - m, m)
    i, j = srt[first], srt[start[first] + within]
    order = np.lexsort((j, i))
    i, j = i[order].astype(np.int64), j[order].astype(np.int64)
    return pd.DataFrame({"i": i, "j": j, "apart": (d0[j] - d0[i]).astype(np.int64)})


def overlap_step(
    policy: str,
    event_ids: NDArray[np.object_],
    tickers: NDArray[np.object_],
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    excluded: NDArray[np.bool_],
    window: Window,
) -> OverlapOutcome:
    """Find overlapping events among those not yet excluded and apply ``policy``."""
    check_policy(policy)
    n = len(event_ids)
    # Python strings (numpy's fixed-width text would drop trailing NULs of an id)
    ids = np.array([str(v) for v in np.asarray(event_ids, dtype=object).tolist()], dtype=object)
    pairs = find_overlaps(tk, d0, ~excluded, window)
    exclude = np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    overlaps_with = np.full(n, "", dtype=object)
    if len(pairs):  # only the events with a partner
        one, two = pairs["i"].to_numpy(), pairs["j"].to_numpy()
        k = np.concatenate([one, two])
        other = ids[np.concatenate([two, one])]
        rank = np.unique(other, return_inverse=True)[1].reshape(-1)  # code-point order
        order = np.lexsort((rank, k))  # by event, then partner id
        k, other, rank = k[order], other[order], rank[order]
        new = np.r_[True, (k[1:] != k[:-1]) | (rank[1:] != rank[:-1])]  # each once
        k, names = k[new], other[new]
        overlaps_with = neighbour_ids(n, k, names, np.bincount(k, minlength=n))
    if policy == "drop-all" and len(pairs):
        for k in np.unique(np.concatenate([pairs["i"], pairs["j"]])):
            exclude[k] = True
            reason[k] = OVERLAP_REASONS["overlap_all"].format(other=overlaps_with[k])
    elif policy == "first" and len(pairs):
        reach = max(window.end, -window.start)
        # greedy in order of day 0 within each firm, only over firms with a pair
        involved = np.unique(np.concatenate([pairs["i"], pairs["j"]]))
        order = involved[np.lexsort((involved, d0[involved], tk[involved]))]
        kept_tk, kept_d0, kept_i = -1, 0, -1
        for k in order:
            if tk[k] == kept_tk and 1 <= d0[k] - kept_d0 <= reach:
                exclude[k] = True
                reason[k] = OVERLAP_REASONS["overlap_first"].format(
                    other=ids[kept_i], k=int(d0[k] - kept_d0)
                )
            else:
                kept_tk, kept_d0, kept_i = int(tk[k]), int(d0[k]), int(k)
    table = pd.DataFrame(
        {
            "event_id": ids[pairs["i"].to_numpy()],
            "other": ids[pairs["j"].to_numpy()],
            "ticker": np.asarray(tickers, dtype=object)[pairs["i"].to_numpy()],
            "sessions_apart": pairs["apart"].to_numpy(),
        }
    )
    return OverlapOutcome(policy, exclude, reason, overlaps_with, table)
