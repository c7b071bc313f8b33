"""Frozen results of an event study.

Nothing here changes after :meth:`EventStudy.fit` returns: every accessor
returns a new DataFrame, so editing it does not touch the results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.diagnostics import ledger_columns, limit_car_rows, limit_window_tests
from eventstudy.inference.base import TestOutcome
from eventstudy.questions import QuestionsMixin, question_json
from eventstudy.report.summary import Summary, agreement, build_summary
from eventstudy.tables import tests_dict as _tests_dict
from eventstudy.tables import tests_frame as _tests_frame
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from eventstudy.abnormal import AbnormalReturns
    from eventstudy.align import AlignedPanel
    from eventstudy.models import ModelFit, NormalReturnModel
    from eventstudy.study import EventStudy
    from eventstudy.windows import WindowSpec

__all__ = ["EventStudyResults", "Summary"]

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
        """``start, end, caar, n``: mean CAR per window over events with a CAR."""
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
        self, name: str, *, window: tuple[int, int] | None = None, tau: int | None = None
    ) -> TestOutcome:
        """One test outcome, for a window ``(start, end)`` or an event day ``tau``."""
        t = self._tests
        if (window is None) == (tau is None):
            raise ValueError("give exactly one of window=(start, end) or tau=day")
        if window is not None:
            sel = t[
                (t["scope"] == "window")
                & (t["start"] == window[0])
                & (t["end"] == window[1])
                & (t["test"] == name)
            ]
        else:
            sel = t[(t["scope"] == "day") & (t["tau"] == tau) & (t["test"] == name)]
        if sel.empty:
            raise KeyError(f"no test {name!r} for {window or tau}")
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

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Student-t confidence interval of each window's CAAR (cross-sectional).

        ``caar +- t_{n-1, (1+level)/2} * s(CAR) / sqrt(n)``; the classic interval
        of the eventstudies R package.
        """
        from scipy import stats

        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        rows = []
        regular = self._car[self._car["window"] != "limit"]
        for (s, e), g in regular.groupby(["start", "end"], sort=False):
            x = g["car"].dropna().to_numpy()
            n = len(x)
            m = float(x.mean()) if n else np.nan
            half = (
                stats.t.ppf((1 + level) / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
                if n > 1
                else np.nan
            )
            rows.append(
                {"start": s, "end": e, "caar": m, "lower": m - half, "upper": m + half, "n": n}
            )
        return pd.DataFrame(rows)

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
    def summary(self, level: float = 0.05) -> Summary:
        """CAAR per window with every test, exclusions, AAR per day, and a reading.

        ``level`` is the significance level of the plain-language reading of
        which tests agree (see :func:`eventstudy.report.summary.reading`).
        """
        return build_summary(self, level)

    def agreement(self, level: float = 0.05) -> pd.DataFrame:
        """Per window and day: which tests reject a zero mean at ``level``."""
        return agreement(self._tests, level)

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
            "reading": list(self.summary().notes),
            "notes": list(self.notes),
        }

    # ---------------------------------------------------------------- plots
    def plot_caar(self, ax: Axes | None = None, *, level: float = 0.95) -> Axes:
        """CAAR path with a cross-sectional confidence band; returns the Axes."""
        from eventstudy.report.plots import plot_caar

        return plot_caar(self, ax=ax, level=level)


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


# -------------------------------------------------------------------- builder


def build_results(
    *,
    study: EventStudy,
    min_days: int,
    spec: WindowSpec,
    model: NormalReturnModel,
    cal: pd.DataFrame,
    panel: AlignedPanel,
    status: NDArray[Any],
    reason: NDArray[Any],
    d0: NDArray[np.int64],
    day0: pd.DatetimeIndex,
    inc: NDArray[np.int64],
    fit: ModelFit,
    ab: AbnormalReturns,
    y_ev: NDArray[np.float64],
    x_ev: NDArray[np.float64],
    taus: NDArray[np.int64],
    tests: dict[str, Any],
    calendar_time: list[Any] | None = None,
    n_limit_est: NDArray[np.float64] | None = None,
    limit_info: dict[str, Any] | None = None,
    leakage: Any = None,
    extra_columns: dict[str, Any] | None = None,
    notes: list[str] | None = None,
    rf_ev: NDArray[np.float64] | None = None,
    extra: dict[str, Any] | None = None,
) -> EventStudyResults:
    """Attach labels to the arrays of a fitted study (internal)."""
    extra = dict(extra or {})
    n_ev = len(cal)
    ids = cal["event_id"].astype(str).to_numpy()
    inc_ids = ids[inc]
    inc_tick = cal["ticker"].astype(str).to_numpy()[inc]
    # ledger
    ledger = pd.DataFrame(
        {
            "event_id": ids,
            "ticker": cal["ticker"].to_numpy(),
            "date": pd.to_datetime(cal["date"], errors="coerce").to_numpy(),
            "day0": day0.values,
            "status": status,
            "reason": np.where(status == "included", "", reason),
        }
    )
    for name, vals in (
        ("n_estimation", fit.n.astype(float)),
        ("alpha", fit.alpha),
        ("beta", fit.beta),
        ("sigma", np.sqrt(fit.sigma2)),
        *fit.columns.items(),  # standard errors and named coefficients of the model
    ):
        col = np.full(n_ev, np.nan)
        col[inc] = vals
        ledger[name] = col
    ledger["n_estimation"] = ledger["n_estimation"].astype("Int64")
    if "n_missing_factor_days" in ledger:
        ledger["n_missing_factor_days"] = ledger["n_missing_factor_days"].astype("Int64")
    ledger["timing"] = cal["timing"].to_numpy()
    miss = np.zeros(n_ev, dtype=np.int64)
    miss[inc] = np.isnan(ab.ar).sum(axis=1)
    ledger["missing_event_days"] = miss
    ledger["timing_unknown"] = (cal["timing"].astype(str) == "unknown").to_numpy()
    ledger["other_event_in_estimation"] = _overlaps(cal, d0, status, spec)
    for name, col in ledger_columns(n_ev, inc, n_limit_est, limit_info, leakage).items():
        ledger[name] = col
    for name, col in (extra_columns or {}).items():
        ledger[name] = col
    for name, col in (extra or {}).pop("ledger", {}).items():
        ledger[name] = col
    skip = set(ledger.columns) | {"calendar_status"}
    for c in cal.columns:
        if c not in skip:
            ledger[c] = cal[c].to_numpy()
    # abnormal returns, long
    e, w = ab.ar.shape
    tpos = d0[inc][:, None] + taus[None, :]
    ar_long = pd.DataFrame(
        {
            "event_id": np.repeat(inc_ids, w),
            "ticker": np.repeat(inc_tick, w),
            "tau": np.tile(taus, e),
            "date": panel.dates.values[tpos.reshape(-1)] if e else np.array([], "datetime64[ns]"),
            "ret": y_ev.reshape(-1),
            "market_ret": x_ev.reshape(-1),
            "ar": ab.ar.reshape(-1),
            "sar": ab.sar.reshape(-1),
        }
    )
    if rf_ev is not None:  # excess-return models: ar = ret - rf - normal return
        ar_long.insert(list(ar_long.columns).index("market_ret") + 1, "rf", rf_ev.reshape(-1))
    if limit_info is not None and e:
        for name in ("up", "locked"):
            v = limit_info[name].reshape(-1)
            ar_long["limit_up" if name == "up" else "locked"] = pd.array(
                [None if x < 0 else bool(x == 1) for x in v], dtype="boolean"
            )
    if panel.span is not None and e:
        sp = panel.span[tpos.reshape(-1), np.repeat(panel.ticker_codes(pd.Series(inc_tick)), w)]
        ar_long["span"] = pd.array(np.where(np.isnan(sp), np.nan, sp), dtype="Float64").astype(
            "Int64"
        )
    k = len(spec.car)
    car_long = pd.DataFrame(
        {
            "event_id": np.repeat(inc_ids, k),
            "window": np.tile([window_label(wd.start, wd.end) for wd in spec.car], e),
            "start": np.tile([wd.start for wd in spec.car], e),
            "end": np.tile([wd.end for wd in spec.car], e),
            "car": ab.car.reshape(-1),
            "scar": ab.scar.reshape(-1),
            "var_car": ab.var_car.reshape(-1),
            "n_days": ab.car_days.reshape(-1),
            "n_missing": ab.car_missing.reshape(-1),
        }
    )
    limit_tests = pd.DataFrame()
    limit_block: dict[str, Any] = {}
    if limit_info is not None:
        car_long = pd.concat([car_long, limit_car_rows(inc_ids, limit_info)], ignore_index=True)
        limit_tests, limit_block = limit_window_tests(limit_info, fit, study.test_options)
    n_t = (~np.isnan(ab.ar)).sum(axis=0)
    with np.errstate(invalid="ignore"):
        aar_v = np.where(n_t > 0, np.nansum(ab.ar, axis=0) / np.maximum(n_t, 1), np.nan)
    aar = pd.DataFrame({"tau": taus, "aar": aar_v, "n": n_t.astype(np.int64)})
    n_w = (~np.isnan(ab.car)).sum(axis=0)  # regular windows only (the limit window is apart)
    caar_v = np.where(n_w > 0, np.nansum(ab.car, axis=0) / np.maximum(n_w, 1), np.nan)
    caar = pd.DataFrame(
        {
            "start": [wd.start for wd in spec.car],
            "end": [wd.end for wd in spec.car],
            "caar": caar_v,
            "n": n_w.astype(np.int64),
        }
    )
    # CAAR path from the first event day
    path = np.cumsum(np.where(np.isnan(ab.ar), 0.0, ab.ar), axis=1)
    n_p = np.full(w, e, dtype=np.int64)
    path_df = pd.DataFrame(
        {
            "tau": taus,
            "caar": path.mean(axis=0) if e else np.full(w, np.nan),
            "sd": path.std(axis=0, ddof=1) if e > 1 else np.full(w, np.nan),
            "n": n_p,
        }
    )
    tests_df = _tests_frame(tests, taus, spec)
    ct_df = pd.DataFrame([vars(c) for c in calendar_time or []])
    if len(ct_df):
        ct_rows = pd.DataFrame(
            {
                "scope": "window",
                "tau": pd.array([pd.NA] * len(ct_df), dtype="Int64"),
                "start": ct_df["start"].astype("Int64"),
                "end": ct_df["end"].astype("Int64"),
                "test": "calendar_time",
                "stat": ct_df["stat"].astype(float),
                "pvalue": ct_df["pvalue"].astype(float),
                "df": np.nan,
                "distribution": "normal (Newey-West HAC)",
                "null": "calendar-time portfolio alpha is zero",
                "nobs": ct_df["n_days"].astype(np.int64),
                "reason": pd.array(ct_df["reason"].tolist(), dtype="string"),
            }
        )
        tests_df = pd.concat([tests_df, ct_rows], ignore_index=True)
    config = {
        "model": model.name,
        "model_options": model.options,
        "model_label": model.label,
        "model_coefficients": list(model.coef_names),
        **({"factors": model.describe()["factors"]} if "factors" in model.describe() else {}),
        "market": panel.market_ticker,
        "estimation_window": [spec.estimation.start, spec.estimation.end],
        "event_window": [spec.event.start, spec.event.end],
        "car_windows": [[wd.start, wd.end] for wd in spec.car],
        "min_estimation_days": int(min_days),
        "tests": list(tests) + (["calendar_time"] if calendar_time else []),
        "test_options": {k: dict(v) for k, v in (study.test_options or {}).items()},
        "car_missing": study.car_missing,
        "exclude_limit_days": bool(study.exclude_limit_days),
        "st_periods": 0 if study.st is None else len(study.st),
        "st": None
        if study.st is None
        else study.st.astype(str)
        .replace({"nan": "", "NaT": "", "None": ""})
        .to_dict(orient="records"),
        "calendar_time": bool(study.calendar_time),
        "hac_lags": study.hac_lags,
        "leakage": {
            "run": bool(study.leakage),
            "alpha": float(study.leak_alpha),
            "placebo_per_firm": int(study.placebo_per_firm),
            "max_placebo": int(study.max_placebo),
            "seed": int(study.seed),
        },
        "trading_days": "dates on which the market index has a return",
        **extra.pop("config", {}),
    }
    src = study.returns
    data_source = {"source": getattr(src, "source", "dataframe")}
    prov = getattr(src, "provenance", None)
    if prov:
        data_source["provenance"] = prov
    return EventStudyResults(
        config=config,
        data_source=data_source,
        _events=ledger,
        _ar=ar_long,
        _car=car_long,
        _aar=aar,
        _caar=caar,
        _tests=tests_df,
        _path=path_df,
        _calendar_time=ct_df,
        _limit_tests=limit_tests,
        _limit_block=limit_block,
        _leakage=leakage,
        _factors=None if getattr(model, "factors", None) is None else model.factors.data,  # type: ignore[attr-defined]
        notes=tuple(panel.notes if notes is None else notes),
        _extra=extra,
    )


def _overlaps(
    cal: pd.DataFrame, d0: NDArray[np.int64], status: NDArray[Any], spec: WindowSpec
) -> NDArray[Any]:
    """Event ids of the same firm whose day 0 lies in this event's estimation window.

    For each included event with ``d0 >= 0``, the other events with ``d0 >= 0``
    (included or not) of the same ticker and ``d0_other - d0`` inside the
    estimation window, by day 0 then calendar order; sorted searches, not a
    self-merge (:mod:`eventstudy._neighbours`).
    """
    from eventstudy._neighbours import firm_codes, neighbour_ids, neighbour_pairs

    n = len(cal)
    placed = np.asarray(d0 >= 0, dtype=bool)
    query = np.flatnonzero(placed & (status == "included"))
    if len(query) == 0:
        return np.full(n, "", dtype=object)
    ref = np.flatnonzero(placed)
    (firm,) = firm_codes(cal["ticker"].astype(str).to_numpy())
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
    ids = cal["event_id"].astype(str).to_numpy(dtype=object)
    out = np.full(n, "", dtype=object)
    out[query] = neighbour_ids(len(query), qi, ids[ref[rj]], count)
    return out
