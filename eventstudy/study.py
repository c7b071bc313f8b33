"""The event study: settings in :class:`EventStudy`, numbers from :meth:`EventStudy.fit`.

``fit`` aligns the inputs once, builds (events x days) matrices for the
estimation and event windows with one gather each, fits the normal-return
model for all events at once, and evaluates every test on whole matrices.
There is no per-event Python loop on this path.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy._progress import Bar, progress
from eventstudy.abnormal import compute_abnormal
from eventstudy.align import AlignedPanel, align_panel, window_values
from eventstudy.calendar.sessions import align_day0
from eventstudy.calendar.validate import ticker_notes
from eventstudy.data.base import Panel, study_source
from eventstudy.estimation_checks import (
    CHECK_REASONS,
    estimation_problems,
    standardised_outliers,
)
from eventstudy.exceptions import DataWarning, EventStudyError
from eventstudy.guards import beyond_limit_by_event, check_unit
from eventstudy.inference import TestData, get_tests
from eventstudy.inference.calendar_time import calendar_time_portfolio
from eventstudy.models import (
    DEGENERATE_REASONS,
    NormalReturnModel,
    get_model,
    regressors_missing,
)
from eventstudy.overlap import OVERLAP_REASONS, overlap_step
from eventstudy.questions import (
    check_bhar_span,
    finish_questions,
    prepare_questions,
    run_questions,
)
from eventstudy.results import EventStudyResults
from eventstudy.results_build import build_results
from eventstudy.study_events import _prepare_events
from eventstudy.study_guards import LEAKAGE_EST_END, check_losses, check_span, leakage_window
from eventstudy.study_parts import (
    _concat_fits,
    _cross_check,
    _gather,
    _limit_window,
    _mask,
    _price_flags,
    _subset_fit,
)
from eventstudy.tickers import absent_tickers_hint, normalize_ticker
from eventstudy.windows import Window, WindowSpec

__all__ = [
    "EXCLUSION_REASONS",
    "LEAKAGE_EST_END",
    "EventStudy",
    "default_min_estimation_days",
    "leakage_window",
]

#: Reasons an event can be excluded by the study itself (the calendar adds its own).
EXCLUSION_REASONS: dict[str, str] = {
    "unknown_ticker": "unknown ticker (not in the return panel)",
    "no_data": "no price data for the ticker",
    "day0_after_data": "day 0 after the end of the data",
    "window_before_data": "event window starts before the data",
    "window_after_data": "event window past the end of the data",
    "no_day0_return": "no return on day 0 (suspended or not traded)",
    "duplicate": "duplicate of {other} (same ticker and day 0)",
    "few_estimation_days": "too few estimation days ({n} < {min})",
    **CHECK_REASONS,
    "collinear": DEGENERATE_REASONS["collinear"],
    "sw_undefined": DEGENERATE_REASONS["sw_undefined"],
    "date_before_data": "announcement date before the start of the data",
}
EXCLUSION_REASONS.update(OVERLAP_REASONS)  # overlap="first" / "drop-all" (eventstudy.overlap)

#: Events per block of the estimation stage (bounds its temporary arrays).
ESTIMATION_BLOCK = 20_000


def default_min_estimation_days(length: int) -> int:
    """Default minimum of complete estimation days: ``min(120, floor(0.8 * length))``.

    120 for windows of 150 days or more (the default window has 230); a
    shorter window may lose a fifth of its days to suspensions or gaps.
    """
    return int(min(120, max(5, (4 * length) // 5)))


@dataclass(frozen=True)
class EventStudy:
    """An event study's settings; :meth:`fit` returns frozen results.

    Parameters
    ----------
    events : DataFrame or str
        Announcements with ``ticker`` and ``date`` (optional ``event_id``,
        ``timing`` or ``time``, ``date_precision`` and any other columns, which
        are carried through), or ``"compute-leasing"`` for the bundled calendar.
    returns : DataFrame, Panel or Simulation
        Long frame ``date, ticker, ret`` or wide (dates x tickers), including
        the market index as one ticker; or a :class:`~eventstudy.data.Panel`
        (from the readers); or a :class:`~eventstudy.data.simulate.Simulation`
        (``es.simulate_market``), whose panel is used.  Give either
        ``returns`` or ``prices``.
    market : str
        Ticker of the market index in ``returns`` (default ``000300.SS``).
    model : str or NormalReturnModel
        ``"market"`` (default), ``"market-adjusted"``, ``"constant-mean"``,
        ``"scholes-williams"``, ``"dimson"``, or a factor model ``"factors"``,
        ``"ff3"``, ``"carhart"``, ``"ch3"`` (needs ``factors``); or an instance
        such as ``eventstudy.models.Dimson(lags=2, leads=2)``.
    factors : FactorFrame, DataFrame or path, optional
        Daily factor returns for the factor models
        (:func:`eventstudy.data.factors.read_factors`; a path is read with
        its defaults).  Aligned on the market's sessions.
    model_options : mapping, optional
        Options of a model given by name, e.g. ``{"lags": 2, "leads": 2}``
        for ``"dimson"`` (:data:`eventstudy.models.MODEL_OPTIONS`).
    estimation_window, event_window : (int, int)
        Inclusive trading-day offsets from day 0.
    car_windows : sequence of (int, int), optional
        CAR windows; the defaults of DESIGN 2.1 that fit in the event window.
    min_estimation_days : int, optional
        Events with fewer complete estimation days are excluded.  Default:
        :func:`default_min_estimation_days` of the estimation window, which is
        120 for the default window [-250, -21] (230 days).
    tests : sequence of str, optional
        Test names (default: all registered tests, see :data:`eventstudy.TESTS`).
    test_options : mapping, optional
        Keyword options per test, e.g. ``{"bootstrap": {"reps": 1999, "seed": 7}}``.
    car_missing : {"present", "drop"}
        How a CAR treats days without a return inside its window.
    max_loss : float, optional
        Raise if more than this share of the events is excluded.
    calendar_time : bool
        Also run the calendar-time portfolio regression for every CAR window
        (reported as test ``calendar_time``; default True).
    hac_lags : int, optional
        Newey-West lags of that regression (default ``floor(4 (T/100)^(2/9))``).
    st : DataFrame, optional
        Risk-warning (ST) periods ``ticker, start[, end]`` for the price-limit
        rules (limit flags need prices: a :class:`~eventstudy.data.Panel` with
        a price frame).
    exclude_limit_days : bool
        Drop estimation days on which the stock closed at a limit from the
        normal-return model (default False: they are counted in
        ``n_limit_days_est`` and kept).
    leakage : bool
        Run the pre-announcement diagnostics of :mod:`eventstudy.leakage`
        (default True).
    leak_alpha, placebo_per_firm, max_placebo, seed : float, int, int, int
        Share of placebo events the leakage flag may fire on (family-wise,
        default 0.05); pseudo-event dates drawn per firm (100), fewer when the
        firms are many so that the total stays near ``max_placebo`` (20,000;
        at least 10 per firm); their seed (0), also the default seed of the
        BHAR bootstrap.
    returns_unit : {"decimal", "percent"}
        Unit of the returns in ``returns`` (default ``"decimal"``: 0.01 = 1%).
        Percent returns are divided by 100.  The magnitudes are checked per
        ticker and pooled either way (:func:`eventstudy.guards.check_return_scale`):
        data that do not fit the declared unit raise a ``DataError`` saying
        what they look like.  Panels from the readers already hold decimals.
    groups, headline : str, optional
        Group column (per-group AAR/CAAR with every test and tests of the
        differences, :mod:`eventstudy.groups`), and a value of it whose CAAR
        leads the summary and report (the flagship: ``event_type``, ``entry``).
    overlap : {"keep", "first", "drop-all"}
        Events of one firm whose day 0 lies in another's event window: keep
        them (ledger column ``overlaps_with``), keep the first, or drop them all.
    bhar_windows, bhar_benchmark, bhar_missing, bhar_options
        Buy-and-hold abnormal returns (:mod:`eventstudy.longrun`): windows such
        as ``[(0, 60), (2, 120)]``; benchmark ``"market"`` or ``"model"``; rule
        ``"fill"``, ``"truncate"`` or ``"exclude"`` for returns that stop early;
        options ``reps``, ``fraction``, ``seed`` (LBT bootstrap), ``initial``.
    cross_section, characteristics : optional
        Regressions run at fit time (formulas or mappings ``formula, window,
        cov_type, cluster, weights``; :mod:`eventstudy.crosssection`), and a
        table joined on ``event_id`` or ``(ticker, date)``.
    prices : DataFrame, path, Panel or Simulation, optional
        Daily closing prices instead of ``returns``: a long frame or CSV file
        ``date, ticker, close`` (optional ``open, high, low, volume``) or a
        wide frame of closes (dates x tickers), the market index included;
        read by :meth:`eventstudy.data.Panel.from_prices`.  The returns are
        close to close, and the prices turn on what returns alone cannot
        give: the price-limit flags, the limit-aware CAR and the abnormal
        volume of the leakage diagnostics (with a ``volume`` column).

    Examples
    --------
    >>> import eventstudy as es
    >>> cal = es.load_calendar("compute-leasing")
    >>> sim = es.simulate_market(cal, seed=1)
    >>> closes = sim.panel.prices[["date", "ticker", "close"]]
    >>> res = es.EventStudy(cal, prices=closes, leakage=False).fit()
    >>> res.n_included > 0
    True
    """

    events: pd.DataFrame | str
    returns: pd.DataFrame | Panel | Any = None
    market: str = "000300.SS"
    model: str | NormalReturnModel = "market"
    factors: Any = None
    model_options: Mapping[str, Any] | None = None
    estimation_window: Window | Sequence[int] | str = (-250, -21)
    event_window: Window | Sequence[int] | str = (-20, 20)
    car_windows: Iterable[Window | Sequence[int] | str] | None = None
    min_estimation_days: int | None = None
    tests: Sequence[str] | None = None
    test_options: Mapping[str, Mapping[str, Any]] | None = None
    car_missing: str = "present"
    max_loss: float | None = None
    calendar_time: bool = True
    hac_lags: int | None = None
    st: pd.DataFrame | None = None
    exclude_limit_days: bool = False
    leakage: bool = True
    leak_alpha: float = 0.05
    placebo_per_firm: int = 100
    max_placebo: int = 20_000
    seed: int = 0
    returns_unit: str = "decimal"
    groups: str | None = None
    headline: str | None = None
    overlap: str = "keep"
    bhar_windows: Iterable[Window | Sequence[int] | str] | None = None
    bhar_benchmark: str = "market"
    bhar_missing: str = "fill"
    bhar_options: Mapping[str, Any] | None = None
    cross_section: str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]] | None = None
    characteristics: pd.DataFrame | str | Path | None = None
    prices: pd.DataFrame | Panel | str | Path | Any = None

    def fit(self) -> EventStudyResults:
        """Run the study and return :class:`~eventstudy.results.EventStudyResults`."""
        source = study_source(self.returns, self.prices)
        if source is not self.returns or self.prices is not None:
            return replace(self, returns=source, prices=None).fit()
        spec = WindowSpec.build(self.estimation_window, self.event_window, self.car_windows)
        model = get_model(self.model, factors=self.factors, **dict(self.model_options or {}))
        min_days = self.min_estimation_days
        if min_days is None:
            min_days = default_min_estimation_days(spec.estimation.length)
        if (
            isinstance(min_days, bool)
            or not isinstance(min_days, (int, np.integer))
            or min_days < 5
        ):
            raise EventStudyError(f"min_estimation_days must be an integer >= 5, got {min_days!r}")
        if min_days <= model.k:
            raise EventStudyError(
                f"min_estimation_days={min_days} must exceed the {model.k} parameters "
                f"of model {model.name!r}"
            )
        if min_days > spec.estimation.length:
            raise EventStudyError(
                f"min_estimation_days={min_days} exceeds the "
                f"estimation window length {spec.estimation.length}"
            )
        if not 0 < float(self.leak_alpha) < 1:
            raise EventStudyError(f"leak_alpha must lie in (0, 1), got {self.leak_alpha!r}")
        if isinstance(self.placebo_per_firm, bool) or int(self.placebo_per_firm) < 1:
            raise EventStudyError(
                f"placebo_per_firm must be a positive integer, got {self.placebo_per_firm!r}"
            )
        if self.car_missing not in ("present", "drop"):
            raise EventStudyError(
                f"car_missing must be 'present' or 'drop', got {self.car_missing!r}"
            )
        if self.max_loss is not None and (
            isinstance(self.max_loss, bool)
            or not isinstance(self.max_loss, (int, float, np.integer, np.floating))
            or not 0 <= float(self.max_loss) <= 1
        ):
            raise EventStudyError(
                f"max_loss must be a share between 0 and 1 (e.g. 0.2), got {self.max_loss!r}"
            )
        tests = get_tests(None if self.tests is None else tuple(self.tests), self.test_options)
        cal = prepare_questions(self, _prepare_events(self.events))
        with progress("study", total=4, unit="step") as bar:  # shown by the CLI only
            bar.set_postfix_str("aligning the data")
            # only the events' tickers (and the market) are validated and aligned
            read = cal["ticker"].astype("string").fillna("").unique()
            panel = align_panel(
                self.returns,
                self.market,
                returns_unit=self.returns_unit,
                tickers={normalize_ticker(t) for t in read.tolist()},
            )
            check_span(spec, int(min_days), panel)
            check_bhar_span(self, panel.dates)
            bar.update()
            bar.set_postfix_str("estimation and tests")
            # Missing data make NaN on purpose (an event without a return on a day, a
            # placebo date without estimation days); every such value is handled by
            # the exclusion rules and the NaN-aware statistics, so numpy's floating
            # point warnings are not the user's business.
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return _run(self, spec, model, tests, cal, panel, int(min_days), bar)


def _run(
    study: EventStudy,
    spec: WindowSpec,
    model: NormalReturnModel,
    tests: list[Any],
    cal: pd.DataFrame,
    panel: AlignedPanel,
    min_days: int,
    bar: Bar,
) -> EventStudyResults:
    n_ev = len(cal)
    t_len = len(panel.dates)
    reason = np.array(cal["calendar_reason"].fillna("").astype(str).to_numpy(), dtype=object)
    excluded = np.array(cal["calendar_status"].astype(str) != "ok", dtype=bool)
    raw_tk = cal["ticker"].astype("string").fillna("")
    tk_codes, tk_uniq = pd.factorize(raw_tk)  # each distinct ticker normalised once
    norm_uniq = np.array([normalize_ticker(t) for t in tk_uniq.tolist()], dtype=object)
    tickers = pd.Series(norm_uniq[tk_codes], index=raw_tk.index, dtype=object)
    cal["ticker"] = tickers.to_numpy(dtype=object)
    tk = panel.ticker_codes(pd.Series(norm_uniq, dtype=object))[tk_codes]

    def mark(mask: NDArray[np.bool_], why: str | NDArray[Any]) -> None:
        new = mask & ~excluded
        if isinstance(why, str):
            reason[new] = why
        else:
            reason[new] = why[new]
        excluded[new] = True

    mark(tk < 0, EXCLUSION_REASONS["unknown_ticker"])
    hint = absent_tickers_hint(tickers[tk < 0], panel.known_tickers) if (tk < 0).any() else None
    if hint is not None:
        warnings.warn(hint, DataWarning, stacklevel=3)
    has_data = np.zeros(n_ev, dtype=bool)
    if panel.firm.shape[1]:
        any_ret = np.asarray(~np.isnan(panel.firm).all(axis=0), dtype=bool)
        has_data = np.where(tk >= 0, any_ret[np.maximum(tk, 0)], False)
    mark(~has_data, EXCLUSION_REASONS["no_data"])
    # day 0 on the market's own dates
    dates = pd.to_datetime(cal["date"], errors="coerce")
    timing = cal["timing"].fillna("unknown").astype(str)
    d0, day0 = align_day0(dates, timing, panel.dates)
    before = np.asarray(dates.to_numpy() < panel.dates.values[0], dtype=bool)
    mark(before, EXCLUSION_REASONS["date_before_data"])
    mark(d0 >= t_len, EXCLUSION_REASONS["day0_after_data"])
    # placed: day 0 is a date of the data; the others get no day 0 (d0 = -1, NaT)
    placed = (d0 >= 0) & (d0 < t_len) & ~before
    d0 = np.where(placed, d0, -1).astype(np.int64)
    day0 = pd.DatetimeIndex(np.where(placed, day0.values, np.datetime64("NaT")))
    _cross_check(dates, timing, day0, panel, excluded)
    mark(placed & (d0 + spec.event.start < 0), EXCLUSION_REASONS["window_before_data"])
    mark(placed & (d0 + spec.event.end >= t_len), EXCLUSION_REASONS["window_after_data"])
    d0c = np.clip(d0, 0, t_len - 1)
    tkc = np.maximum(tk, 0)
    day0_ret = panel.firm[d0c, tkc] if panel.firm.shape[1] else np.full(n_ev, np.nan)
    mark(np.isnan(day0_ret), EXCLUSION_REASONS["no_day0_return"])
    # duplicates: same ticker and day 0 as an earlier event still in play
    key = np.where(excluded, -1, tkc.astype(np.int64) * (t_len + 1) + d0c)
    _, at, back = np.unique(key, return_index=True, return_inverse=True)
    first = at[back.reshape(-1)]  # the first event with the same key
    dup = (~excluded) & (first != np.arange(n_ev))
    if dup.any():
        ids = cal["event_id"].astype(str).to_numpy()
        why = np.empty(n_ev, dtype=object)
        why[dup] = [EXCLUSION_REASONS["duplicate"].format(other=ids[f]) for f in first[dup]]
        mark(dup, why)
    ids_all = cal["event_id"].astype(str).to_numpy()
    ov = overlap_step(study.overlap, ids_all, tickers.to_numpy(), tk, d0c, excluded, spec.event)
    mark(ov.exclude, ov.reason)
    # estimation, in blocks of events so that the temporaries of the fit and the
    # checks stay bounded; only the estimation-window ARs of kept events are stored
    cand = np.flatnonzero(~excluded)
    est_off = np.arange(spec.estimation.start, spec.estimation.end + 1, dtype=np.int64)
    reg = model.regressors(panel)
    gone, why_day0 = model.day0_missing(reg, d0c[cand])  # e.g. a factor file that ends early
    if gone.any():
        mark(_mask(n_ev, cand[gone]), why_day0)
        cand = cand[~gone]
    if reg.notes:
        panel = replace(panel, notes=[*panel.notes, *reg.notes])
    flags, volume = _price_flags(study, panel)
    n_limit_est = None
    hit = None
    if flags is not None:
        n_limit_est = np.full(n_ev, np.nan)
        hit = (flags.limit_up == 1) | (flags.limit_down == 1)
    slope = getattr(model, "k", 1) >= 2
    fits, bads, est_ars = [], [], []
    need_est_ar = any(t.needs_estimation_ar() for t in tests)
    for lo in range(0, max(len(cand), 1), ESTIMATION_BLOCK):
        blk = cand[lo : lo + ESTIMATION_BLOCK]
        y_est, x_est = _gather(panel, d0c[blk], tkc[blk], est_off, reg)
        if hit is not None and n_limit_est is not None:
            hit_est = window_values(hit, d0c[blk], est_off, tkc[blk], False)
            n_limit_est[blk] = hit_est.sum(axis=1)
            if study.exclude_limit_days:
                y_est = np.where(hit_est, np.nan, y_est)
        f = model.fit(y_est, x_est)
        # degenerate estimation: a design the model cannot estimate (constant or
        # collinear regressors), then flat market, stale returns, no residual variance
        one = x_est.ndim == 2  # a single regressor: the market (or none)
        x_chk = x_est if one else np.where(regressors_missing(x_est), np.nan, 0.0)
        bad_b = estimation_problems(f.sigma2, y_est, x_chk, market_slope=slope and one)
        bad_b = np.where(f.degenerate, model.degenerate_reason, bad_b)
        bad_b[f.n < min_days] = ""
        keep_b = (f.n >= min_days) & (bad_b == "")
        if need_est_ar:
            est_ars.append(model.abnormal(_subset_fit(f, keep_b), y_est[keep_b], x_est[keep_b]))
        else:  # no test reads them: no columns
            est_ars.append(np.empty((int(keep_b.sum()), 0)))
        fits.append(f)
        bads.append(bad_b)
    fit = _concat_fits(fits)
    bad = np.concatenate(bads)
    est_ar = np.concatenate(est_ars, axis=0)
    few = fit.n < min_days
    full_why = np.empty(n_ev, dtype=object)
    full_why[cand[few]] = [
        EXCLUSION_REASONS["few_estimation_days"].format(n=int(n), min=min_days) for n in fit.n[few]
    ]
    mark(_mask(n_ev, cand[few]), full_why)
    full_why = np.empty(n_ev, dtype=object)
    full_why[cand] = bad
    mark(_mask(n_ev, cand[bad != ""]), full_why)
    keep_local = ~few & (bad == "")
    inc = cand[keep_local]
    fit = _subset_fit(fit, keep_local)
    taus = np.arange(spec.event.start, spec.event.end + 1, dtype=np.int64)
    y_ev, x_ev = _gather(panel, d0c[inc], tkc[inc], taus, reg)
    ar = model.abnormal(fit, y_ev, x_ev)
    ab = compute_abnormal(fit, ar, x_ev, taus, spec.car, car_missing=study.car_missing)
    # one event must not decide the standardised tests: |SAR| or |SCAR| beyond the bound
    wild = standardised_outliers(ab.sar, ab.scar, taus, [(w.start, w.end) for w in spec.car])
    if (wild != "").any():
        full_why = np.empty(n_ev, dtype=object)
        full_why[inc] = wild
        mark(_mask(n_ev, inc[wild != ""]), full_why)
        ok = wild == ""
        inc = inc[ok]
        fit = _subset_fit(fit, ok)
        est_ar, y_ev, x_ev, ar = est_ar[ok], y_ev[ok], x_ev[ok], ar[ok]
        ab = _subset_fit(ab, ok)
    check_losses(cal, excluded, reason, len(inc), study.max_loss)
    data = TestData(
        ar=ab.ar,
        sar=ab.sar,
        car=ab.car,
        scar=ab.scar,
        dof=fit.dof,
        n_est=fit.n,
        est_ar=est_ar,
        taus=taus,
        windows=tuple((w.start, w.end) for w in spec.car),
        sigma2=fit.sigma2,
        day0=d0c[inc].astype(np.int64),
        est_taus=est_off,
    )
    test_out = {t.name: (t, t.daily(data), t.window(data)) for t in tests}
    limit_info = None
    leak = None
    notes = list(panel.notes) + ticker_notes(cal)
    if flags is not None:
        limit_info = _limit_window(flags, panel, d0c[inc], tkc[inc], taus, fit, ar, x_ev)
    bar.update()
    bar.set_postfix_str("placebo and leakage")
    if study.leakage and len(inc):
        from eventstudy.leakage import leakage_diagnostics

        leak_est, leak_note = leakage_window(spec.estimation)
        if leak_note:
            notes.append(leak_note)
        others = placed & (tk >= 0)
        leak = leakage_diagnostics(
            panel,
            model,
            leak_est,
            spec.event,
            cal.iloc[inc][["event_id", "ticker"]],
            tkc[inc].astype(np.int64),
            d0c[inc].astype(np.int64),
            lu=None if flags is None else flags.limit_up,
            status=None if flags is None else flags.status,
            volume=volume,
            min_days=min_days,
            exclude=hit if study.exclude_limit_days else None,
            alpha=study.leak_alpha,
            placebo_per_firm=study.placebo_per_firm,
            max_placebo=study.max_placebo,
            seed=study.seed,
            others=pd.DataFrame(
                {
                    "event_id": cal["event_id"].astype(str).to_numpy()[others],
                    "tk": tkc[others].astype(np.int64),
                    "d0": d0c[others].astype(np.int64),
                }
            ),
            note=leak_note,
            fit=fit if leak_est == spec.estimation else None,  # same window: no refit
        )
    bar.update()
    bar.set_postfix_str("calendar time, groups, results")
    ctime = None
    if study.calendar_time:
        ctime = calendar_time_portfolio(
            panel.firm,
            panel.market,
            tkc[inc].astype(np.int64),
            d0c[inc].astype(np.int64),
            data.windows,
            hac_lags=study.hac_lags,
        )
    status = np.where(excluded, "excluded", "included")
    beyond = beyond_limit_by_event(
        panel.beyond_limit,
        panel.dates,
        d0c,
        tkc,
        np.union1d(est_off, taus),
        (tk >= 0) & (d0 >= 0) & (d0 < t_len),
    )
    extra = run_questions(study, panel, cal, inc, d0c, tkc, fit, model, data, tests, ov)
    # the unit of the given returns and the loss limit, for reproduce (recorded when set,
    # so that directories written before they were recorded still compare equal)
    loss = None if study.max_loss is None else float(study.max_loss)
    recorded = {"returns_unit": check_unit(study.returns_unit), "max_loss": loss}
    defaults = {"returns_unit": "decimal", "max_loss": None}
    extra["config"] = {
        **extra.get("config", {}),
        **{k: v for k, v in recorded.items() if v != defaults[k]},
    }
    res = build_results(
        study=study,
        min_days=min_days,
        spec=spec,
        model=model,
        cal=cal,
        panel=panel,
        status=status,
        reason=reason,
        d0=d0,
        day0=day0,
        inc=inc,
        fit=fit,
        ab=ab,
        y_ev=y_ev if reg.rf is None else window_values(panel.firm, d0c[inc], taus, tkc[inc]),
        x_ev=window_values(panel.market, d0c[inc], taus),
        rf_ev=None if reg.rf is None else window_values(reg.rf, d0c[inc], taus),
        taus=taus,
        tests=test_out,
        calendar_time=ctime,
        n_limit_est=n_limit_est,
        limit_info=limit_info,
        leakage=leak,
        extra_columns=beyond,
        notes=notes,
        extra=extra,
    )
    return finish_questions(res)
