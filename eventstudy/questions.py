"""The study's own questions: groups, cross-sections, long-run BHAR, overlapping events.

This module connects :mod:`eventstudy.groups`, :mod:`eventstudy.crosssection`,
:mod:`eventstudy.longrun` and :mod:`eventstudy.overlap` to the study: it
validates the settings of :class:`~eventstudy.EventStudy` (``groups``,
``headline``, ``overlap``, ``bhar_*``, ``cross_section``,
``characteristics``), runs them inside :meth:`EventStudy.fit`, gives
:class:`~eventstudy.results.EventStudyResults` its accessors
(:class:`QuestionsMixin`: ``by``, ``groups``, ``headline``, ``cross_section``,
``bhar``, ``reversal``, ``overlaps``), the ``summary.json`` blocks, the
CSV files and the options ``reproduce`` needs are in :mod:`eventstudy.questions_io`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.align import window_values
from eventstudy.crosssection import (
    CrossSectionSpec,
    CrossSectionTable,
    attach_characteristics,
    cross_section,
    cross_section_data,
    read_characteristics,
    run_configured,
)
from eventstudy.exceptions import EventStudyError
from eventstudy.groups import GroupResults, group_results
from eventstudy.intervals import LEVEL_REMOVED, reject_level
from eventstudy.longrun import BENCHMARKS, MISSING_RULES, BHARResult, as_windows, long_run
from eventstudy.overlap import OverlapOutcome, check_policy
from eventstudy.windows import Window, as_window

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from eventstudy.results import EventStudyResults
    from eventstudy.study import EventStudy

__all__ = ["QuestionSettings", "QuestionsMixin", "settings_of"]

_BHAR_OPTIONS = {"reps", "fraction", "seed", "initial"}


@dataclass(frozen=True)
class QuestionSettings:
    """Validated settings of the questions of one study."""

    groups: str | None = None
    headline: str | None = None
    overlap: str = "keep"
    bhar_windows: tuple[Window, ...] = ()
    bhar_benchmark: str = "market"
    bhar_missing: str = "fill"
    bhar_reps: int = 1000
    bhar_fraction: float = 0.25
    bhar_seed: int = 0
    bhar_initial: Window = Window(0, 1)
    cross_section: tuple[CrossSectionSpec, ...] = ()

    def config(self, characteristics: pd.DataFrame | None) -> dict[str, Any]:
        """The entries of ``summary.json``'s ``config`` (read back by ``reproduce``)."""
        return {
            "groups": self.groups,
            "headline": self.headline,
            "overlap": self.overlap,
            "bhar": None
            if not self.bhar_windows
            else {
                "windows": [[w.start, w.end] for w in self.bhar_windows],
                "benchmark": self.bhar_benchmark,
                "missing": self.bhar_missing,
                "reps": self.bhar_reps,
                "fraction": self.bhar_fraction,
                "seed": self.bhar_seed,
                "initial": [self.bhar_initial.start, self.bhar_initial.end],
            },
            "cross_section": [s.to_dict() for s in self.cross_section],
            "characteristics": None
            if characteristics is None
            else {
                "columns": [str(c) for c in characteristics.columns],
                "rows": len(characteristics),
            },
        }


def settings_of(study: EventStudy) -> QuestionSettings:
    """Validate the question settings of a study (names the bad argument)."""
    groups = study.groups
    if groups is not None and (not isinstance(groups, str) or not groups.strip()):
        raise EventStudyError(f"groups must name a column, got {groups!r}")
    if study.headline is not None and groups is None:
        raise EventStudyError(
            "headline names a group value and needs groups=COLUMN (e.g. groups='event_type')"
        )
    opts = dict(study.bhar_options or {})
    unknown = sorted(set(opts) - _BHAR_OPTIONS)
    if unknown:
        raise EventStudyError(f"bhar_options takes {sorted(_BHAR_OPTIONS)}, got {unknown}")
    reps = opts.get("reps", 1000)
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 99:
        raise EventStudyError(f"bhar_options reps must be an integer >= 99, got {reps!r}")
    frac = opts.get("fraction", 0.25)
    if isinstance(frac, bool) or not isinstance(frac, (int, float)) or not 0 < frac <= 1:
        raise EventStudyError(f"bhar_options fraction must lie in (0, 1], got {frac!r}")
    seed = opts.get("seed", study.seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EventStudyError(f"bhar_options seed must be a non-negative integer, got {seed!r}")
    if study.bhar_benchmark not in BENCHMARKS:
        raise EventStudyError(
            f"bhar_benchmark must be one of {list(BENCHMARKS)}, got {study.bhar_benchmark!r}"
        )
    if study.bhar_missing not in MISSING_RULES:
        raise EventStudyError(
            f"bhar_missing must be one of {list(MISSING_RULES)}, got {study.bhar_missing!r}"
        )
    cs = study.cross_section
    if cs is None:
        specs: tuple[CrossSectionSpec, ...] = ()
    elif isinstance(cs, (str, Mapping, CrossSectionSpec)):
        specs = (CrossSectionSpec.build(cs),)
    else:
        specs = tuple(CrossSectionSpec.build(c) for c in cs)
    return QuestionSettings(
        groups=None if groups is None else groups.strip(),
        headline=None if study.headline is None else str(study.headline),
        overlap=check_policy(study.overlap),
        bhar_windows=as_windows(study.bhar_windows),
        bhar_benchmark=study.bhar_benchmark,
        bhar_missing=study.bhar_missing,
        bhar_reps=int(reps),
        bhar_fraction=float(frac),
        bhar_seed=int(seed),
        bhar_initial=as_window(opts.get("initial", (0, 1)), name="bhar_options initial"),
        cross_section=specs,
    )


#: columns that a fit adds to the events (the ledger of ``results.events``) besides the
#: calendar's own; a model's coefficients add ``coef_*`` and ``se_*``.  A group column or a
#: cross-section regressor among them can only be checked once the study is fitted.
STUDY_COLUMNS = frozenset(
    {
        "abnormal_volume", "alpha", "beta", "beyond_limit_dates", "board", "car_limit",
        "car_m5_m1", "day0", "first_open_day", "first_run", "leak_flag", "leak_rules",
        "limit_note", "limit_ups_0_4", "limit_ups_m5_m1", "locked_share",
        "missing_event_days", "n_beyond_limit", "n_estimation", "n_limit_days_est",
        "n_missing_factor_days", "other_event_in_estimation", "other_event_pre",
        "overlaps_with", "reason", "runup_ratio", "runup_score", "scar_limit",
        "scar_m10_m1", "scar_m5_m1", "se_alpha", "se_beta", "sigma", "status",
        "timing_unknown",
    }
)  # fmt: skip
_STUDY_PREFIXES = ("coef_", "se_")


def _known_later(name: str) -> bool:
    return name in STUDY_COLUMNS or name.startswith(_STUDY_PREFIXES)


def prepare_questions(study: EventStudy, cal: pd.DataFrame) -> pd.DataFrame:
    """Validate the settings and join the characteristics to the events (in ``fit``).

    What can be checked on the events alone is checked here, before any
    estimation: the group column exists and the headline is one of its values,
    each cross-section's formula names a dependent variable and known columns,
    and its window is one of the study's CAR (or BHAR) windows.
    """
    qs = settings_of(study)
    if study.characteristics is not None:
        cal = attach_characteristics(cal, study.characteristics)
    _check_groups(qs, cal)
    if qs.cross_section:
        _check_cross_sections(study, qs, cal)
    return cal


def check_bhar_span(study: EventStudy, dates: pd.DatetimeIndex) -> None:
    """Refuse BHAR windows longer than the returns, once aligned and before estimation
    (the check of :func:`eventstudy.longrun.long_run`, made early)."""
    from eventstudy.exceptions import WindowError

    qs = settings_of(study)
    too_long = [w.label for w in qs.bhar_windows if w.length > len(dates)]
    if too_long:
        raise WindowError(
            f"BHAR window(s) {too_long} span more trading days than the returns hold "
            f"({len(dates)}"
            + (f", {dates[0].date()} to {dates[-1].date()}" if len(dates) else "")
            + "); shorten them"
        )


def _check_groups(qs: QuestionSettings, cal: pd.DataFrame) -> None:
    from eventstudy.groups import MISSING_GROUP

    col = qs.groups
    if col is None or (_known_later(col) and (col != "board" or col not in cal.columns)):
        return  # a column the fit writes (the ledger's own values win over the calendar's)
    if col not in cal.columns:
        raise EventStudyError(
            f"no column {col!r} to group by; columns of the events: "
            f"{sorted(map(str, cal.columns))} (and those the study adds, such as board, "
            "leak_flag or limit_note)"
        )
    if qs.headline is None:
        return
    text = cal[col].astype("string").fillna("").str.strip()
    values = sorted(set(text[text != ""]))
    if qs.headline not in values and not (qs.headline == MISSING_GROUP and (text == "").any()):
        shown = values[:20] + (["..."] if len(values) > 20 else [])
        raise EventStudyError(
            f"headline {qs.headline!r} is not a value of {col!r}; its values: {shown}"
        )


def _check_cross_sections(study: EventStudy, qs: QuestionSettings, cal: pd.DataFrame) -> None:
    from eventstudy.crosssection import DEPENDENT, formula_names
    from eventstudy.windows import WindowSpec

    cars = WindowSpec.build(study.estimation_window, study.event_window, study.car_windows).car
    bhars = list(qs.bhar_windows)
    if any(w.start > qs.bhar_initial.end for w in bhars) and qs.bhar_initial not in bhars:
        bhars.insert(0, qs.bhar_initial)  # added by the long-run step (reversal)
    for spec in qs.cross_section:
        lhs, rhs = formula_names(spec.formula)
        dep = [n for n in lhs if n in DEPENDENT]
        if not dep:
            raise EventStudyError(
                f"the left side of {spec.formula!r} must use car, scar or bhar (the dependent "
                "variable)"
            )
        w = spec.window
        if "bhar" in dep and w not in bhars:
            raise EventStudyError(
                f"cross-section {spec.formula!r}: bhar over {w.label} is not computed; BHAR "
                f"windows of the study: {[b.label for b in bhars] or 'none (give bhar_windows=...)'}"
            )
        if ("car" in dep or "scar" in dep) and w not in cars:
            raise EventStudyError(
                f"cross-section {spec.formula!r}: {w.label} is not a CAR window of the study; "
                f"CAR windows: {[c.label for c in cars]}"
            )
        if spec.weights == "patell" and dep != ["car"]:
            raise EventStudyError(
                "weights='patell' (1/Var(CAR)) applies to a car regression, not to "
                + ", ".join(dep)
            )
        used = list(dict.fromkeys(lhs + rhs + ([spec.cluster] if spec.cluster else [])))
        unknown = [
            n
            for n in used
            if n not in cal.columns and n not in (*DEPENDENT, "var_car") and not _known_later(n)
        ]
        if unknown:
            raise EventStudyError(
                f"the formula {spec.formula!r} names unknown column(s) {unknown}; columns "
                f"available: {sorted(map(str, cal.columns))}, car, scar, var_car, bhar and "
                "the study's own (board, alpha, beta, leak_flag, ...)"
            )


def run_questions(
    study: EventStudy,
    panel: Any,
    cal: pd.DataFrame,
    inc: NDArray[np.int64],
    d0: NDArray[np.int64],
    tk: NDArray[np.int64],
    fit: Any,
    model: Any,
    data: Any,
    tests: list[Any],
    overlap: OverlapOutcome | None,
) -> dict[str, Any]:
    """Long-run BHAR and what the results need later (inside ``_run``)."""
    qs = settings_of(study)
    bhar = None
    if qs.bhar_windows:
        reg = model.regressors(panel)  # market, factors or lags/leads, as in the study

        def expected(d0_w: NDArray[np.int64], off: NDArray[np.int64]) -> NDArray[np.float64]:
            # E[R] = R - AR: the model's prediction on every session of the window
            # (plus the risk-free rate when the model explains excess returns)
            x = reg.gather(d0_w, off)
            pred = -model.abnormal(fit, np.zeros(x.shape[:2]), x)
            if reg.rf is not None:
                pred = pred + window_values(reg.rf, d0_w, off)
            return np.asarray(pred, dtype=np.float64)

        bhar = long_run(
            firm=panel.firm,
            market=panel.market,
            dates=panel.dates,
            d0=d0[inc].astype(np.int64),
            tk=tk[inc].astype(np.int64),
            event_ids=cal["event_id"].astype(str).to_numpy()[inc],
            tickers=cal["ticker"].astype(str).to_numpy()[inc],
            windows=qs.bhar_windows,
            benchmark=qs.bhar_benchmark,
            expected=expected,
            missing=qs.bhar_missing,
            reps=qs.bhar_reps,
            fraction=qs.bhar_fraction,
            seed=qs.bhar_seed,
            initial=qs.bhar_initial,
        )
    chars = None
    if study.characteristics is not None:
        chars = read_characteristics(study.characteristics)
    ledger = {}
    if overlap is not None:
        ledger["overlaps_with"] = overlap.overlaps_with
    return {
        "settings": qs,
        "data": data,
        "tests": list(tests),
        "bhar": bhar,
        "overlap": overlap,
        "characteristics": chars,
        "ledger": ledger,
        "config": qs.config(chars),
    }


def finish_questions(res: EventStudyResults) -> EventStudyResults:
    """Groups, headline and configured cross-sections of a built results object."""
    qs: QuestionSettings | None = res._extra.get("settings")
    if qs is None:
        return res
    extra = dict(res._extra)
    if qs.groups is not None:
        g = res.by(qs.groups)
        if qs.headline is not None and qs.headline not in g.order:
            raise EventStudyError(
                f"headline {qs.headline!r} is not a value of {qs.groups!r}; groups: {list(g.order)}"
            )
        extra["groups"] = g
    res = replace(res, _extra=extra)
    if qs.cross_section:
        extra = dict(res._extra)
        extra["cross_section"] = run_configured(res, qs.cross_section)
        res = replace(res, _extra=extra)
    return res


class QuestionsMixin:
    """Accessors of :class:`~eventstudy.results.EventStudyResults` for the questions."""

    if TYPE_CHECKING:
        _extra: dict[str, Any]
        _events: pd.DataFrame
        _car: pd.DataFrame
        config: dict[str, Any]
        data_source: dict[str, Any]

        @property
        def events(self) -> pd.DataFrame: ...

        @property
        def car(self) -> pd.DataFrame: ...

    def by(
        self,
        column: str,
        *,
        characteristics: pd.DataFrame | str | Path | None = None,
    ) -> GroupResults:
        """Per-group AAR/CAAR with every test, and tests of the group differences.

        ``column`` is a column of :attr:`events` (a calendar column, a
        characteristic joined at fit time, or ``board``, derived from the
        ticker when the calendar has none), or of ``characteristics`` (a
        frame or CSV joined on ``event_id`` or ``(ticker, date)``).  See
        :mod:`eventstudy.groups`.
        """
        cached = self._extra.get("groups")
        if cached is not None and cached.column == column and characteristics is None:
            return cached
        data = self._extra.get("data")
        if data is None:
            raise EventStudyError("these results keep no test data; refit to group them")
        ev = self._events
        if characteristics is not None:  # matched against every event, included or not
            ev = attach_characteristics(ev, characteristics)
        inc = ev[ev["status"] == "included"].reset_index(drop=True)
        if column == "board" and ("board" not in inc.columns or inc["board"].isna().all()):
            from eventstudy.market.boards import board_of

            inc["board"] = [board_of(str(t)) for t in inc["ticker"]]
        if column not in inc.columns:
            raise EventStudyError(
                f"no column {column!r} to group by; columns of the events: "
                f"{sorted(map(str, inc.columns))}"
            )
        spec = SimpleNamespace(car=tuple(Window(int(a), int(b)) for a, b in data.windows))
        return group_results(
            column,
            inc[column],
            data,
            self._extra["tests"],
            spec,
            simulated=self.data_source.get("source") == "simulated",
            event_ids=inc["event_id"].astype(str).to_numpy(),
            bhar=self._extra.get("bhar"),
        )

    @property
    def groups(self) -> GroupResults | None:
        """The groups of ``EventStudy(..., groups=column)`` (None without)."""
        return self._extra.get("groups")

    @property
    def headline(self) -> pd.DataFrame:
        """CAAR rows of the headline group (``EventStudy(..., headline=value)``); empty without."""
        qs = self._extra.get("settings")
        g = self._extra.get("groups")
        if qs is None or g is None or qs.headline is None:
            return pd.DataFrame()
        return g.group(qs.headline)

    def cross_section(
        self,
        formula: str,
        window: Window | tuple[int, int] | str = (0, 1),
        *,
        cov_type: str = "HC3",
        cov_kwds: Mapping[str, Any] | None = None,
        cluster: str | None = None,
        weights: str | None = None,
        characteristics: pd.DataFrame | str | Path | None = None,
    ) -> Any:
        """Cross-sectional regression of car, scar or bhar (a statsmodels results object).

        See :func:`eventstudy.crosssection.cross_section`.
        """
        return cross_section(
            self,  # type: ignore[arg-type]
            formula,
            window,
            cov_type=cov_type,
            cov_kwds=cov_kwds,
            cluster=cluster,
            weights=weights,
            characteristics=characteristics,
        )

    def cross_section_data(
        self,
        window: Window | tuple[int, int] | str = (0, 1),
        *,
        characteristics: pd.DataFrame | str | Path | None = None,
    ) -> pd.DataFrame:
        """The per-event frame a cross-section regresses on (one row per included event)."""
        return cross_section_data(self, window, characteristics=characteristics)  # type: ignore[arg-type]

    @property
    def cross_sections(self) -> tuple[CrossSectionTable, ...]:
        """Outcomes of the regressions of ``EventStudy(..., cross_section=...)``."""
        return tuple(self._extra.get("cross_section") or ())

    @property
    def bhar(self) -> pd.DataFrame:
        """Per (event, window) buy-and-hold abnormal returns; empty without ``bhar_windows``."""
        b: BHARResult | None = self._extra.get("bhar")
        return pd.DataFrame() if b is None else b.frame.copy()

    @property
    def bhar_tests(self) -> pd.DataFrame:
        """Per BHAR window: counts, mean, skewness, t, LBT skewness-adjusted t, bootstrap."""
        b: BHARResult | None = self._extra.get("bhar")
        return pd.DataFrame() if b is None else b.tests.copy()

    @property
    def bhar_settings(self) -> dict[str, Any] | None:
        """Benchmark, missing-return rule, bootstrap and initial window of the BHAR."""
        b: BHARResult | None = self._extra.get("bhar")
        return None if b is None else dict(b.settings)

    @property
    def reversal(self) -> pd.DataFrame:
        """Drift after the initial reaction (:func:`eventstudy.longrun.reversal_table`)."""
        b: BHARResult | None = self._extra.get("bhar")
        return pd.DataFrame() if b is None else b.reversal.copy()

    @property
    def overlaps(self) -> pd.DataFrame:
        """Pairs of overlapping events of one firm: ``event_id, other, ticker, sessions_apart``."""
        o: OverlapOutcome | None = self._extra.get("overlap")
        return pd.DataFrame() if o is None else o.pairs.copy()

    def plot_groups(
        self,
        column: str | None = None,
        *,
        ax: Axes | None = None,
        alpha: float = 0.05,
        level: Any = LEVEL_REMOVED,
    ) -> Axes:
        """CAAR path per group with ``1 - alpha`` bands (the study's ``groups`` column by
        default)."""
        from eventstudy.report.questions import plot_groups

        reject_level(level, "plot_groups", meant="confidence")
        g = self.groups if column is None else self.by(column)
        if g is None:
            raise EventStudyError("no groups: give a column, e.g. plot_groups('event_type')")
        return plot_groups(g, ax=ax, alpha=alpha)
