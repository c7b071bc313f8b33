"""Study-level guards: windows the data cannot hold, studies that lose their
events, and the estimation window of the leakage diagnostics.

Each is called by :meth:`eventstudy.EventStudy.fit` (see ``methodology.md``,
section 6, and section 8 for the leakage window).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.align import AlignedPanel
from eventstudy.exceptions import ExclusionError, NoEventsIncludedError, WindowError
from eventstudy.results import reason_category
from eventstudy.windows import Window, WindowSpec

__all__ = ["LEAKAGE_EST_END", "check_losses", "check_span", "leakage_window"]

#: Estimation window of the leakage diagnostics must end on or before this day,
#: before their earliest pre-event window [-20,-1] (see :func:`leakage_window`).
LEAKAGE_EST_END = -21


def check_span(spec: WindowSpec, min_days: int, panel: AlignedPanel) -> None:
    """Refuse windows that no event can fit in the data, before any heavy work.

    An event needs its whole event window and ``min_days`` estimation days
    inside the data; the shortest stretch that allows this runs from day
    ``est.end - min_days + 1`` to day ``event.end``.
    """
    need = spec.event.end - spec.estimation.end + min_days
    have = len(panel.dates)
    if need > have:
        raise WindowError(
            f"the windows need at least {need} trading days of data per event "
            f"({min_days} estimation days up to day {spec.estimation.end}, then days "
            f"{spec.estimation.end + 1} to {spec.event.end}), but the returns have {have} "
            f"(from {panel.dates[0].date()} to {panel.dates[-1].date()}); shorten the "
            "estimation or event window or lower min_estimation_days"
        )


def leakage_window(estimation: Window) -> tuple[Window, str]:
    """The estimation window of the leakage diagnostics, and a note when it moved.

    The diagnostics measure CAR[-20,-1], [-10,-1] and [-5,-1]; a model fitted on
    days inside those windows would explain the very run-up it is meant to
    measure (with ``estimation_window=(-20, -1)`` every pre-event CAR is zero by
    construction).  A study window that ends after day -21 is therefore moved
    back, keeping its length, to end at day -21; otherwise it is used as is.
    """
    if estimation.end <= LEAKAGE_EST_END:
        return estimation, ""
    shift = estimation.end - LEAKAGE_EST_END
    moved = Window(estimation.start - shift, LEAKAGE_EST_END)
    note = (
        f"leakage diagnostics: the estimation window {estimation.label} overlaps their "
        f"pre-event windows [-20,-1], so their model was fitted on {moved.label} "
        f"(the same {estimation.length} days, ending at day {LEAKAGE_EST_END})"
    )
    return moved, note


def check_losses(
    cal: pd.DataFrame,
    excluded: NDArray[np.bool_],
    reason: NDArray[Any],
    n_inc: int,
    max_loss: float | None,
) -> None:
    """Raise when no event is included, or more than ``max_loss`` of them are excluded.

    Raises
    ------
    NoEventsIncludedError
        No event is included.
    ExclusionError
        More than a share ``max_loss`` of the events is excluded.

    Both name the three most frequent reasons (:func:`reason_category`) with a
    count and an example event, and carry the excluded events as
    ``exclusions`` (``event_id, ticker, date, reason``).
    """
    n_ev = len(cal)
    lost = n_ev - n_inc
    limit = 1.0 if max_loss is None else float(max_loss)
    too_many = n_ev > 0 and lost / n_ev > limit
    if n_inc and not too_many:
        return
    led = pd.DataFrame(
        {
            "event_id": cal["event_id"].astype(str).to_numpy()[excluded],
            "ticker": cal["ticker"].to_numpy()[excluded],
            "date": pd.to_datetime(cal["date"], errors="coerce").to_numpy()[excluded],
            "reason": reason[excluded].astype(str),
        }
    )
    cats = led["reason"].map(reason_category)
    counts = cats.value_counts(sort=True)
    top = []
    for why, k in counts.head(3).items():
        eg = led.loc[cats == why].iloc[0]
        top.append(f"{why}: {k} (e.g. {eg['event_id']} {eg['ticker']})")
    more = f"; {len(counts) - 3} other reason(s)" if len(counts) > 3 else ""
    tail = f"top reasons: {'; '.join(top)}{more}"
    if not n_inc:
        raise NoEventsIncludedError(
            f"no event included: all {n_ev} events were excluded; {tail}", led, n_ev
        )
    raise ExclusionError(
        f"{lost} of {n_ev} events excluded ({lost / n_ev:.0%}), more than "
        f"max_loss={limit:.0%}; {tail}",
        led,
        n_ev,
    )
