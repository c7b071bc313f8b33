"""Build the frozen results of a fitted study from its arrays (internal).

:func:`build_results` attaches labels to the arrays of :meth:`EventStudy.fit`
(ledger, long AR and CAR frames, AAR, CAAR, tests, configuration); the
results class itself (:mod:`eventstudy.results`) only holds and hands out
the frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy._columns import TEXT_DTYPE, taken_texts
from eventstudy.diagnostics import ledger_columns, limit_car_rows, limit_window_tests
from eventstudy.results import EventStudyResults, _overlaps
from eventstudy.tables import tests_frame as _tests_frame
from eventstudy.windows import window_label

if TYPE_CHECKING:
    from eventstudy.abnormal import AbnormalReturns
    from eventstudy.align import AlignedPanel
    from eventstudy.models import ModelFit, NormalReturnModel
    from eventstudy.study import EventStudy
    from eventstudy.windows import WindowSpec

__all__ = ["build_results"]


def _column(col: pd.Series) -> Any:
    """``col.to_numpy()`` as a frame column reads it (same dtype and values).

    A text column with a value is handed over as it is, not converted to
    Python strings and back; anything else (an all-missing text column reads
    as ``object``) goes through ``to_numpy()``.
    """
    if col.dtype == TEXT_DTYPE and bool(col.notna().any()):
        return col.array
    return col.to_numpy()


def _repeat_text(values: NDArray[Any], times: int) -> pd.Series:
    """``np.repeat(values, times)`` as a column: the distinct texts are converted
    to the column's dtype once and taken (same dtype and values as a frame built
    from the repeated array)."""
    col = pd.Series(values)
    return col.take(np.repeat(np.arange(len(values)), times)).reset_index(drop=True)


def _repeat_cells(col: pd.Series, rows: NDArray[np.int64], times: int) -> Any:
    """``_repeat_text(col.astype(str).to_numpy()[rows], times)`` (same dtype and
    values), taken from the arrow texts at once when the selection has a text."""
    text = col.astype(str)
    if text.dtype == TEXT_DTYPE and bool(text.notna().to_numpy()[rows].any()):
        return text.array.take(np.repeat(rows, times))
    return _repeat_text(text.to_numpy()[rows], times)


def _status_text(status: NDArray[Any]) -> Any:
    """The status column (``included`` or ``excluded``) taken from its two texts."""
    included = np.asarray(status == "included", dtype=bool)
    if not len(status) or not bool((included | (status == "excluded")).all()):
        return status
    return taken_texts(["excluded", "included"], included.astype(np.intp))


def _tile_text(labels: list[str], times: int) -> Any:
    """``np.tile(labels, times)`` as a column (same dtype and values)."""
    if not labels or not times:
        return np.tile(labels, times)
    return taken_texts(labels, np.tile(np.arange(len(labels)), times))


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
    # the ledger: every column gathered in one dict, then one frame (no insertions)
    cols: dict[str, Any] = {
        "event_id": _column(cal["event_id"].astype(str)),
        "ticker": _column(cal["ticker"]),
        "date": pd.to_datetime(cal["date"], errors="coerce").to_numpy(),
        "day0": day0.values,
        "status": _status_text(status),
        "reason": np.where(status == "included", "", reason),
    }
    for name, vals in (
        ("n_estimation", fit.n.astype(float)),
        ("alpha", fit.alpha),
        ("beta", fit.beta),
        ("sigma", np.sqrt(fit.sigma2)),
        *fit.columns.items(),  # standard errors and named coefficients of the model
    ):
        col = np.full(n_ev, np.nan)
        col[inc] = vals
        cols[name] = col
    for name in ("n_estimation", "n_missing_factor_days"):
        if name in cols:
            cols[name] = pd.Series(cols[name]).astype("Int64").array
    cols["timing"] = _column(cal["timing"])
    miss = np.zeros(n_ev, dtype=np.int64)
    miss[inc] = np.isnan(ab.ar).sum(axis=1)
    cols["missing_event_days"] = miss
    cols["timing_unknown"] = (cal["timing"].astype(str) == "unknown").to_numpy()
    cols["other_event_in_estimation"] = _overlaps(cal, d0, status, spec)
    cols.update(ledger_columns(n_ev, inc, n_limit_est, limit_info, leakage))
    cols.update(extra_columns or {})
    cols.update(extra.pop("ledger", {}))
    skip = set(cols) | {"calendar_status"}
    cols.update({c: _column(cal[c]) for c in cal.columns if c not in skip})
    ledger = pd.DataFrame(cols, index=pd.RangeIndex(n_ev))
    # abnormal returns, long
    e, w = ab.ar.shape
    tpos = d0[inc][:, None] + taus[None, :]
    ar_long = pd.DataFrame(
        {
            "event_id": _repeat_cells(cal["event_id"], inc, w),
            "ticker": _repeat_cells(cal["ticker"], inc, w),
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
        inc_tick = pd.Series(cal["ticker"].astype(str).to_numpy()[inc])
        sp = panel.span[tpos.reshape(-1), np.repeat(panel.ticker_codes(inc_tick), w)]
        ar_long["span"] = pd.array(np.where(np.isnan(sp), np.nan, sp), dtype="Float64").astype(
            "Int64"
        )
    k = len(spec.car)
    car_long = pd.DataFrame(
        {
            "event_id": _repeat_cells(cal["event_id"], inc, k),
            "window": _tile_text([window_label(wd.start, wd.end) for wd in spec.car], e),
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
        inc_ids = cal["event_id"].astype(str).to_numpy()[inc]
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
            "window": [wd.label for wd in spec.car],
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
