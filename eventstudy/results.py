"""Frozen results of an event study.

Nothing here changes after :meth:`EventStudy.fit` returns: every accessor
returns a new DataFrame, so editing it does not touch the results.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.inference.base import TestOutcome
from eventstudy.intervals import (
    LEVEL_REMOVED,
    caar_interval,
    check_alpha,
    confidence_alpha,
    reject_level,
)
from eventstudy.questions import QuestionsMixin
from eventstudy.questions_io import question_json
from eventstudy.snapshot import ReportData, build_snapshot
from eventstudy.tables import tests_dict as _tests_dict
from eventstudy.windows import Window, as_window, window_label

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from matplotlib.axes import Axes

    from eventstudy.report.summary import Summary
    from eventstudy.windows import WindowSpec

__all__ = ["EventStudyResults", "Summary"]


def __getattr__(name: str) -> Any:
    if name == "Summary":  # re-exported for ``from eventstudy.results import Summary``
        from eventstudy.report.summary import Summary

        return Summary
    raise AttributeError(f"module 'eventstudy.results' has no attribute {name!r}")


LEDGER_FIRST = [
    "event_id",
    "ticker",
    "date",
    "day0",
    "status",
    "reason",
    "n_estimation",
    "alpha",
    "beta",
    "sigma",
    "timing",
]


@dataclass(frozen=True)
class EventStudyResults(QuestionsMixin):
    """Results of :meth:`eventstudy.EventStudy.fit` (read-only).

    Attributes are accessed through properties that return copies:
    :attr:`events` (every input event with status and reason), :attr:`exclusions`,
    :attr:`ar`, :attr:`car`, :attr:`aar`, :attr:`caar`, :attr:`tests`,
    :attr:`caar_path`; the questions of :mod:`eventstudy.questions`:
    :meth:`by`, :attr:`groups`, :meth:`cross_section`, :attr:`bhar`,
    :attr:`reversal`, :attr:`overlaps`.

    Significance levels are ``alpha=`` as in statsmodels (``alpha=0.05``:
    tests at 5%, 95% intervals); windows are ``(start, end)``, a
    :class:`~eventstudy.windows.Window` or a label such as ``"[0,+1]"``.
    ``summary()`` and :meth:`snapshot` are built once per results object
    (and ``alpha``) and then reused.
    """

    config: dict[str, Any]
    data_source: dict[str, Any]
    _events: pd.DataFrame = field(repr=False)
    _ar: pd.DataFrame = field(repr=False)
    _car: pd.DataFrame = field(repr=False)
    _aar: pd.DataFrame = field(repr=False)
    _caar: pd.DataFrame = field(repr=False)
    _tests: pd.DataFrame = field(repr=False)
    _path: pd.DataFrame = field(repr=False)
    _calendar_time: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    _limit_tests: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    _limit_block: dict[str, Any] = field(repr=False, default_factory=dict)
    _leakage: Any = field(repr=False, default=None)
    _factors: pd.DataFrame | None = field(repr=False, default=None)
    notes: tuple[str, ...] = ()
    _extra: dict[str, Any] = field(repr=False, default_factory=dict)
    # summaries and snapshots built once (not an argument: replace() starts a new cache)
    _cache: dict[Any, Any] = field(init=False, repr=False, compare=False, default_factory=dict)

    def _cached(self, key: Any, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    # ---------------------------------------------------------------- display
    def _headline(self) -> tuple[str, pd.DataFrame]:
        """What leads: the headline group's CAAR rows (when set), else the pooled CAAR."""
        qs = self._extra.get("settings")
        g = self._extra.get("groups")
        if qs is not None and g is not None and qs.headline is not None:
            return f"{g.column} == {qs.headline!r}", g.group(qs.headline)
        return "all included events", self._caar

    def __repr__(self) -> str:
        ev = self._events
        what, head = self._headline()
        main = _main_row(head)
        lead = (
            f"CAAR{main['window']} = {float(main['caar']):+.2%} ({what}, n={int(main['n'])})"
            if main is not None and np.isfinite(float(main["caar"]))
            else "no CAAR"
        )
        src = self.data_source.get("source", "?")
        sim = ", SIMULATED prices" if src == "simulated" else ""
        return (
            f"<EventStudyResults: {self.config.get('model_label', self.config.get('model'))}; "
            f"{len(ev)} events in, {self.n_included} included; {lead}{sim}>"
        )

    def _repr_html_(self) -> str:
        from eventstudy.report.summary import headline_table
        from eventstudy.report.textfmt import html_table

        what, _ = self._headline()
        table = headline_table(self.snapshot())
        src = self.data_source.get("source", "?")
        sim = " (SIMULATED prices)" if src == "simulated" else ""
        return (
            f"<div><b>EventStudyResults</b>: {html.escape(str(self.config.get('model_label')))}, "
            f"{len(self._events)} events in, {self.n_included} included{html.escape(sim)}; "
            f"headline: {html.escape(what)}"
            + html_table(table)
            + "<small>res.summary() for every test; res.tests, res.car, res.caar for the "
            "frames</small></div>"
        )

    # ---------------------------------------------------------------- tables
    @property
    def events(self) -> pd.DataFrame:
        """One row per input event: status, reason, estimates and calendar columns."""
        return self._events.copy()

    @property
    def exclusions(self) -> pd.DataFrame:
        """The exclusions ledger: excluded events with their reason."""
        ev = self._events
        cols = ["event_id", "ticker", "date", "date_input", "day0", "reason"]
        return ev.loc[ev["status"] == "excluded", [c for c in cols if c in ev.columns]].reset_index(
            drop=True
        )

    @property
    def ar(self) -> pd.DataFrame:
        """Long frame ``event_id, ticker, tau, date, ret, market_ret, ar, sar``."""
        return self._ar.copy()

    @property
    def car(self) -> pd.DataFrame:
        """Long frame ``event_id, window, start, end, car, scar, var_car, n_days,
        n_missing``; ``window`` is the label (``[0,+1]``) or ``limit`` for the
        limit-aware window (start 0, end = the event's first open day)."""
        return self._car.copy()

    @property
    def aar(self) -> pd.DataFrame:
        """``tau, aar, n``: mean abnormal return per event day over events with data."""
        return self._aar.copy()

    @property
    def caar(self) -> pd.DataFrame:
        """``window, start, end, caar, n``: mean CAR per window over events with a CAR
        (``window`` is the label, as in :attr:`car`)."""
        return self._caar.copy()

    @property
    def tests(self) -> pd.DataFrame:
        """Tidy table of every test for every event day and window."""
        return self._tests.copy()

    @property
    def factors(self) -> pd.DataFrame | None:
        """The factor frame a factor model used (dates x factors, decimals), else None."""
        return None if self._factors is None else self._factors.copy()

    @property
    def caar_path(self) -> pd.DataFrame:
        """``tau, caar, sd, n``: mean cumulative AR from the first event day to ``tau``."""
        return self._path.copy()

    @property
    def n_included(self) -> int:
        """Number of included events."""
        return int((self._events["status"] == "included").sum())

    def test(
        self,
        name: str,
        *,
        window: Window | Sequence[int] | str | None = None,
        tau: int | None = None,
    ) -> TestOutcome:
        """One test outcome, for a window (``(0, 1)``, ``"[0,+1]"``) or an event day ``tau``."""
        from eventstudy.exceptions import EventStudyError

        t = self._tests
        if (window is None) == (tau is None):
            raise EventStudyError("give exactly one of window=(start, end) or tau=day")
        if window is not None:
            w = as_window(window, name="window")
            sel = t[
                (t["scope"] == "window")
                & (t["start"] == w.start)
                & (t["end"] == w.end)
                & (t["test"] == name)
            ]
            where = f"window {w.label}"
        else:
            sel = t[(t["scope"] == "day") & (t["tau"] == tau) & (t["test"] == name)]
            where = f"day {tau}"
        if sel.empty:
            names = sorted(set(t["test"]))
            wins = [window_label(a, b) for a, b in self.config.get("car_windows", [])]
            raise KeyError(f"no test {name!r} for {where}; tests: {names}; CAR windows: {wins}")
        r: Any = sel.iloc[0]
        return TestOutcome(
            name=name,
            stat=_opt(r["stat"]),
            pvalue=_opt(r["pvalue"]),
            df=_opt(r["df"]),
            distribution=str(r["distribution"]),
            null=str(r["null"]),
            nobs=int(r["nobs"]),
            reason=None if pd.isna(r["reason"]) else str(r["reason"]),
        )

    def conf_int(
        self,
        alpha: float = 0.05,
        *,
        window: Window | Sequence[int] | str | None = None,
        level: Any = LEVEL_REMOVED,
    ) -> pd.DataFrame:
        """Student-t confidence interval of each window's CAAR (cross-sectional).

        ``caar +- t_{n-1, 1-alpha/2} * s(CAR) / sqrt(n)``, the classic
        interval of the eventstudies R package; ``alpha=0.05`` gives 95%
        intervals (as statsmodels' ``conf_int(alpha=0.05)``).  A first
        argument above one half is the former confidence level
        (``conf_int(0.95)``) and is read as ``alpha = 1 - value`` with an
        :class:`~eventstudy.exceptions.EventStudyWarning`; ``level=`` is an
        error.  ``window`` (``(0, 1)`` or ``"[0,+1]"``) keeps one window.
        """
        reject_level(level, "conf_int", meant="confidence")
        a = confidence_alpha(alpha, where="conf_int")
        out = caar_interval(self._car, a)
        if window is not None:
            w = as_window(window, name="window")
            out = out[(out["start"] == w.start) & (out["end"] == w.end)].reset_index(drop=True)
            if out.empty:
                raise KeyError(f"{w.label} is not a CAR window of the study")
        return out

    def to_frame(self) -> pd.DataFrame:
        """Per-event wide table: the ledger plus one ``car[a,b]`` column per window."""
        car = self._car[self._car["window"] != "limit"]
        label = pd.Series(
            ["car" + window_label(a, b) for a, b in zip(car["start"], car["end"], strict=True)],
            index=car.index,
        )
        piv = car.assign(label=label).pivot(index="event_id", columns="label", values="car")
        piv = piv.reindex(columns=list(dict.fromkeys(label)))
        return self._events.merge(piv, how="left", left_on="event_id", right_index=True)

    # ---------------------------------------------------------------- summaries
    def snapshot(self, alpha: float = 0.05) -> ReportData:
        """The plain snapshot the report renders (:mod:`eventstudy.snapshot`), built once."""
        a = check_alpha(alpha, where="snapshot alpha")
        return self._cached(("snapshot", a), lambda: build_snapshot(self, a))

    def summary(
        self, alpha: float = 0.05, *, title: str | None = None, level: Any = LEVEL_REMOVED
    ) -> Summary:
        """The headline, CAAR per window with every test, exclusions, AAR per day, a reading.

        ``alpha`` is the significance level of the plain-language reading of
        which tests agree (see :func:`eventstudy.report.summary.reading`) and
        of the headline's confidence interval (``1 - alpha``).  Built once
        per results object, ``alpha`` and ``title``; renders as text, HTML
        (notebooks) and LaTeX (``as_latex()``).
        """
        reject_level(level, "summary", meant="significance")
        a = check_alpha(alpha, where="summary alpha")

        def build() -> Summary:
            from eventstudy.report.summary import build_summary

            return build_summary(self.snapshot(a), a, title=title)

        return self._cached(("summary", a, title), build)

    def agreement(self, alpha: float = 0.05, *, level: Any = LEVEL_REMOVED) -> pd.DataFrame:
        """Per window and day: which tests reject a zero mean at ``alpha``."""
        from eventstudy.report.summary import agreement

        reject_level(level, "agreement", meant="significance")
        return agreement(self._tests, check_alpha(alpha, where="agreement alpha"))

    @property
    def limit_window(self) -> pd.DataFrame:
        """Tests of the mean limit-aware CAR (day 0 to the first open day); empty
        without prices."""
        return self._limit_tests.copy()

    @property
    def leakage(self) -> pd.DataFrame:
        """One row per included event: pre-event CARs, run-up ratio, limit-ups and
        abnormal volume in [-5,-1], placebo p-values, ``leak_flag`` and ``leak_rules``."""
        if self._leakage is None:
            return pd.DataFrame()
        return self._leakage.table.copy()

    @property
    def placebo(self) -> pd.DataFrame:
        """The pseudo-event statistics behind the leakage p-values and thresholds."""
        if self._leakage is None:
            return pd.DataFrame()
        return self._leakage.placebo.copy()

    @property
    def runup_path(self) -> pd.DataFrame:
        """Mean CAR from day -20 of the events and of the placebo events (``tau``,
        ``events_mean``, ``placebo_mean``, ``placebo_sd``)."""
        if self._leakage is None:
            return pd.DataFrame()
        return self._leakage.placebo_path.copy()

    @property
    def calendar_time(self) -> pd.DataFrame:
        """Calendar-time portfolio regression per CAR window (alpha, beta, HAC z)."""
        return self._calendar_time.copy()

    def to_dict(self) -> dict[str, Any]:
        """The content of ``summary.json`` (DESIGN 2.3)."""
        ev = self._events
        excl = ev[ev["status"] == "excluded"]
        tests = self._tests

        day_t = {k: g for k, g in tests[tests["scope"] == "day"].groupby("tau")}
        win_t = {k: g for k, g in tests[tests["scope"] == "window"].groupby(["start", "end"])}
        empty = tests.iloc[0:0]
        aar_rows: Any = self._aar.itertuples(index=False)
        caar_rows: Any = self._caar.itertuples(index=False)
        aar = [
            {
                "tau": int(r.tau),
                "aar": _opt(r.aar),
                "n": int(r.n),
                "tests": _tests_dict(day_t.get(int(r.tau), empty)),
            }
            for r in aar_rows
        ]
        caar = [
            {
                "window": [int(r.start), int(r.end)],
                "caar": _opt(r.caar),
                "n": int(r.n),
                "tests": _tests_dict(win_t.get((int(r.start), int(r.end)), empty)),
            }
            for r in caar_rows
        ]
        return {
            "data_source": self.data_source,
            "config": self.config,
            "events": {
                "in": len(ev),
                "included": self.n_included,
                "excluded": len(excl),
                "excluded_by_reason": {
                    str(k): int(v)
                    for k, v in excl["reason"]
                    .map(reason_category)
                    .value_counts(sort=False)
                    .sort_index()
                    .items()
                },
            },
            "aar": aar,
            "caar": caar,
            "calendar_time": [
                {k: (_opt(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in self._calendar_time.to_dict(orient="records")
            ],
            "limit_window": {
                **self._limit_block,
                "tests": _tests_dict(self._limit_tests),
            }
            if self._limit_block
            else None,
            "leakage": None if self._leakage is None else self._leakage.summary(),
            **question_json(self),
            "reading": list(self.summary().readings),
            "notes": list(self.notes),
        }

    # ---------------------------------------------------------------- plots
    def plot_caar(
        self, ax: Axes | None = None, *, alpha: float = 0.05, level: Any = LEVEL_REMOVED
    ) -> Axes:
        """CAAR path with a cross-sectional ``1 - alpha`` confidence band; returns the Axes."""
        from eventstudy.report.plots import plot_caar

        reject_level(level, "plot_caar", meant="confidence")
        return plot_caar(self, ax=ax, alpha=alpha)


def reason_category(reason: str) -> str:
    """Group an exclusion reason: drop its particulars (month, counts, event id)."""
    text = re.sub(r"^duplicate of \S+", "duplicate of another event", str(reason))
    return re.sub(r"\s*\([^()]*\)$", "", text)


def _opt(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _main_row(caar: pd.DataFrame) -> dict[str, Any] | None:
    """The CAAR row of window [0,+1] (else the first window), or None."""
    if caar.empty:
        return None
    sel = caar[(caar["start"] == 0) & (caar["end"] == 1)]
    row = (sel if len(sel) else caar).iloc[0]
    lab = row["window"] if "window" in caar.columns else window_label(row["start"], row["end"])
    return {"window": str(lab), "caar": row["caar"], "n": row["n"]}


def _overlaps(
    cal: pd.DataFrame, d0: NDArray[np.int64], status: NDArray[Any], spec: WindowSpec
) -> NDArray[Any]:
    """Event ids of the same firm whose day 0 lies in this event's estimation window.

    For each included event with ``d0 >= 0``, the other events with ``d0 >= 0``
    (included or not) of the same ticker and ``d0_other - d0`` inside the
    estimation window, by day 0 then calendar order; sorted searches, not a
    self-merge (:mod:`eventstudy._neighbours`).
    """
    from eventstudy._neighbours import neighbour_ids, neighbour_pairs

    n = len(cal)
    placed = np.asarray(d0 >= 0, dtype=bool)
    query = np.flatnonzero(placed & (status == "included"))
    if len(query) == 0:
        return np.full(n, "", dtype=object)
    ref = np.flatnonzero(placed)
    # codes of the texts (a missing ticker is -1, as is every other missing one)
    firm = pd.factorize(cal["ticker"].astype(str))[0].astype(np.int64)
    d = np.asarray(d0, dtype=np.int64)
    qi, rj, count = neighbour_pairs(
        firm[query],
        d[query],
        query,
        firm[ref],
        d[ref],
        ref,
        spec.estimation.start,
        spec.estimation.end,
    )
    text = cal["event_id"].astype(str)
    if text.dtype == pd.Series(["a"]).dtype and not text.hasnans:  # arrow texts: taken
        partners: Any = text.array.take(ref[rj])
    else:
        partners = text.to_numpy(dtype=object)[ref[rj]]
    out = np.full(n, "", dtype=object)
    out[query] = neighbour_ids(len(query), qi, partners, count)
    return out
