"""A plain snapshot of a study's results: the numbers and frames the report renders.

:func:`build_snapshot` (through :meth:`EventStudyResults.snapshot`, which
builds it once per results object and significance level) copies every
frame and number that :mod:`eventstudy.report` shows into one frozen
:class:`ReportData`.  The report renders from it alone: it never computes a
statistic and never calls back into the results.  The snapshot's attribute
names are those of the results' own accessors (``caar``, ``car``, ``ar``,
``caar_path``, ``events``, ``leakage``, ``runup_path``, ``config``,
``data_source``, ``groups``, ``bhar_tests``, ...), so every figure function
takes either.

Layering (no import cycle): ``study`` -> ``results`` -> ``snapshot`` and,
lazily for ``summary()`` and the plots, ``report``; ``report`` imports
neither ``results`` nor ``study`` (see docs/index.md, "Architecture").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.intervals import caar_interval, t_half_width

if TYPE_CHECKING:
    from eventstudy.groups import GroupResults
    from eventstudy.results import EventStudyResults

__all__ = ["ReportData", "build_snapshot"]


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, as plain frames and numbers (read-only by convention).

    ``conf_int`` and ``caar_path`` carry the interval at ``alpha``
    (``lower``, ``upper``); ``headline`` names the headline group value (or
    None) and ``group_column`` the study's group column.
    """

    alpha: float
    config: dict[str, Any]
    data_source: dict[str, Any]
    notes: tuple[str, ...]
    events: pd.DataFrame
    exclusions: pd.DataFrame
    excluded_by_reason: pd.DataFrame
    n_included: int
    ar: pd.DataFrame
    car: pd.DataFrame
    aar: pd.DataFrame
    caar: pd.DataFrame
    tests: pd.DataFrame
    caar_path: pd.DataFrame
    conf_int: pd.DataFrame
    headline_ci: pd.DataFrame
    calendar_time: pd.DataFrame
    limit_window: pd.DataFrame
    per_event: pd.DataFrame
    leakage: pd.DataFrame
    runup_path: pd.DataFrame
    leakage_info: dict[str, Any] | None
    files: dict[str, pd.DataFrame]
    factors: pd.DataFrame | None
    groups: GroupResults | None = None
    group_column: str | None = None
    headline: str | None = None
    bhar: pd.DataFrame = field(default_factory=pd.DataFrame)
    bhar_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    reversal: pd.DataFrame = field(default_factory=pd.DataFrame)
    bhar_settings: dict[str, Any] | None = None
    cross_sections: tuple[Any, ...] = ()
    overlaps: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def simulated(self) -> bool:
        """True when the prices come from the built-in simulated market."""
        return self.data_source.get("source") == "simulated"

    @property
    def n_events(self) -> int:
        """Number of input events."""
        return len(self.events)

    @property
    def car_windows(self) -> list[tuple[int, int]]:
        """The study's CAR windows as ``(start, end)`` pairs."""
        return [(int(a), int(b)) for a, b in self.config["car_windows"]]

    @property
    def main_window(self) -> tuple[int, int]:
        """``(0, 1)`` when it is a CAR window of the study, else the first window."""
        wins = self.car_windows
        return (0, 1) if (0, 1) in wins else wins[0]


def build_snapshot(res: EventStudyResults, alpha: float = 0.05) -> ReportData:
    """Copy what the report shows out of ``res`` (use :meth:`EventStudyResults.snapshot`)."""
    extra = res._extra
    qs = extra.get("settings")
    b = extra.get("bhar")
    leak = res._leakage
    path = res.caar_path
    half = t_half_width(path["sd"].to_numpy(), path["n"].to_numpy(), alpha)
    path["lower"] = path["caar"].to_numpy(dtype=float) - half
    path["upper"] = path["caar"].to_numpy(dtype=float) + half
    from eventstudy.questions_io import question_files
    from eventstudy.results import reason_category

    excl = res.exclusions
    ci = res.conf_int(alpha=alpha)
    head_ci = ci
    if qs is not None and qs.headline is not None and res.groups is not None:
        head_ci = caar_interval(res.car, alpha, _group_ids(res.events, qs.groups, qs.headline))
    return ReportData(
        alpha=float(alpha),
        config=dict(res.config),
        data_source=dict(res.data_source),
        notes=tuple(res.notes),
        events=res.events,
        exclusions=excl,
        excluded_by_reason=excl["reason"]
        .map(reason_category)
        .value_counts(sort=False)
        .sort_index()
        .rename_axis("reason")
        .rename("events")
        .reset_index(),
        n_included=res.n_included,
        ar=res.ar,
        car=res.car,
        aar=res.aar,
        caar=res.caar,
        tests=res.tests,
        caar_path=path,
        conf_int=ci,
        headline_ci=head_ci,
        calendar_time=res.calendar_time,
        limit_window=res.limit_window,
        per_event=_with_board(res.to_frame()),
        leakage=res.leakage,
        runup_path=res.runup_path,
        leakage_info=None if leak is None else leak.summary(),
        files=question_files(res),
        factors=res.factors,
        groups=res.groups,
        group_column=None if qs is None else qs.groups,
        headline=None if qs is None else qs.headline,
        bhar=res.bhar,
        bhar_tests=res.bhar_tests,
        reversal=res.reversal,
        bhar_settings=None if b is None else dict(b.settings),
        cross_sections=res.cross_sections,
        overlaps=res.overlaps,
    )


def _with_board(frame: pd.DataFrame) -> pd.DataFrame:
    """The per-event table with the listing board (from the ticker) when it has none."""
    if "board" not in frame.columns:
        from eventstudy.market.boards import board_of

        frame["board"] = [board_of(str(t)) for t in frame["ticker"]]
    return frame


def _group_ids(events: pd.DataFrame, column: str, value: str) -> list[str]:
    """Event ids of the included events whose ``column`` label is ``value``."""
    from eventstudy.groups import group_labels

    inc = events[events["status"] == "included"].reset_index(drop=True)
    if column not in inc.columns and column == "board":
        from eventstudy.market.boards import board_of

        inc["board"] = [board_of(str(t)) for t in inc["ticker"]]
    labels, _, _ = group_labels(inc[column], column)
    return inc.loc[labels == value, "event_id"].astype(str).tolist()
