"""Kernels of the leakage diagnostics: the transposed firm grid and the placebo days.

Split from :mod:`eventstudy.leakage` (which uses them) to keep modules short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from eventstudy.models import NormalReturnModel
from eventstudy.windows import Window

__all__: list[str] = []


@dataclass(frozen=True)
class _Grids:
    """The returns of the firms read, transposed to (firms x days) and padded with NaN.

    Each event's window of days is then one contiguous slice of its firm's row
    (a strided view, :func:`numpy.lib.stride_tricks.sliding_window_view`),
    instead of one scattered read per cell of the (days x tickers) panel.  The
    values are those of :func:`eventstudy.align.window_values` (NaN outside the
    panel); ``excluded`` marks the days left out of the estimation (limit hits),
    as one byte per cell rather than a second copy of the returns.  ``tk``
    passed to :meth:`windows` must be among ``firms``.
    """

    firms: NDArray[np.int64]  # sorted panel columns
    firm: NDArray[np.float64]  # (firms, pad + T + pad)
    excluded: NDArray[np.bool_] | None  # same shape, or None
    market: NDArray[np.float64]  # (pad + T + pad,)
    pad: int

    def windows(
        self, tk: NDArray[np.int64], d0: NDArray[np.int64], offsets: NDArray[np.int64], *, est: bool
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Firm returns and market returns (E, len(offsets)) on ``d0 + offsets``."""
        width = len(offsets)
        start = d0 + (int(offsets[0]) + self.pad)
        rows = np.searchsorted(self.firms, tk)
        y = sliding_window_view(self.firm, width, axis=1)[rows, start]
        if est and self.excluded is not None:
            gone = sliding_window_view(self.excluded, width, axis=1)[rows, start]
            y[gone] = np.nan
        return y, sliding_window_view(self.market, width)[start]


def _grids(
    panel: Any,
    model: NormalReturnModel,
    firms: NDArray[np.int64],
    exclude: NDArray[np.bool_] | None,
    lo: int,
    hi: int,
) -> _Grids | None:
    """:class:`_Grids` of ``firms`` for offsets ``lo..hi``; None when the model's
    regressors are not the market return alone (the general gather is used)."""
    reg = model.regressors(panel)
    if reg.rf is not None or reg.x.ndim != 1:
        return None
    t_len = panel.firm.shape[0]
    pad = max(0, -lo)
    width = pad + t_len + max(0, hi)
    firm = np.full((len(firms), width), np.nan)
    firm[:, pad : pad + t_len] = np.asarray(panel.firm, dtype=np.float64)[:, firms].T
    excluded = None
    if exclude is not None:  # limit-hit days left out of the model, as in the study
        excluded = np.zeros(firm.shape, dtype=bool)
        excluded[:, pad : pad + t_len] = np.asarray(exclude[:, firms], dtype=bool).T
    market = np.full(width, np.nan)
    market[pad : pad + t_len] = reg.x
    return _Grids(firms, firm, excluded, market, pad)


def _placebo_positions(
    panel: Any,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    event: Window,
    est: Window,
    per_firm: int,
    rng: np.random.Generator,
    rows: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Random pseudo day-0s per firm whose [-20,+1] misses every event window of the firm.

    Each usable day of each firm gets a key from one ``rng.random((T, firms))``
    draw (unusable days: ``inf``); a firm's pseudo events are its ``per_firm``
    usable days with the smallest keys, returned by rank, then firm.  The
    blocked days are set event by event (O(events x window), not a cumulative
    sum over the whole grid) and the selection runs along each firm's row of
    the transposed key matrix.  ``rows``, optional, are the firms' returns as
    (firms x T) (``panel.firm[:, firms].T``), to skip that gather.
    """
    t_len = panel.firm.shape[0]
    firms, inv = np.unique(tk, return_inverse=True)
    if not len(firms):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # a pseudo day 0 p is excluded when [p-20, p+1] meets [d0+a, d0+b]
    lo = np.clip(d0 + event.start - 1, 0, t_len)
    hi = np.clip(d0 + event.end + 20 + 1, 0, t_len)
    span = np.arange(event.end - event.start + 22, dtype=np.int64)
    day = lo[:, None] + span[None, :]
    inside = day < hi[:, None]
    ok = np.ones((len(firms), t_len), dtype=bool)  # (firms, T)
    ok[np.broadcast_to(inv[:, None], day.shape)[inside], day[inside]] = False
    ok[:, : max(0, min(-est.start, t_len))] = False  # p + est.start >= 0
    ok[:, max(t_len - 1, 0) :] = False  # p + 1 < T
    if rows is None or rows.shape != ok.shape:
        rows = np.asarray(panel.firm)[:, firms].T
    ok &= ~np.isnan(rows)
    keys = np.where(ok, rng.random((t_len, len(firms))).T, np.inf)
    order = _smallest(keys, per_firm)  # (firms, k)
    take = np.take_along_axis(ok, order, axis=1)
    order, take = order.T, take.T  # (k, firms): by rank, then firm
    cols = np.broadcast_to(np.arange(len(firms))[None, :], order.shape)
    return firms[cols[take]].astype(np.int64), order[take].astype(np.int64)


def _smallest(keys: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Columns of the ``k`` smallest keys of each row, in increasing order of key.

    ``np.argsort(keys, axis=1)[:, :k]`` for distinct finite keys (ties, the
    ``inf`` of unusable days, come after every finite key either way), by a
    partition and a sort of the ``k`` selected columns only.
    """
    t_len = keys.shape[1]
    if k >= t_len:
        return np.argsort(keys, axis=1)
    part = (
        np.argpartition(keys, k - 1, axis=1)[:, :k]
        if k > 0
        else np.empty((keys.shape[0], 0), np.intp)
    )
    sub = np.take_along_axis(keys, part, axis=1)
    return np.take_along_axis(part, np.argsort(sub, axis=1), axis=1)


def _smallest_rows(keys: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Rows of the ``k`` smallest keys of each column, in increasing order of key
    (:func:`_smallest` of the transposed keys)."""
    return _smallest(np.ascontiguousarray(keys.T), k).T
