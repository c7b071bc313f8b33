"""Assemble the price-limit and leakage diagnostics into the results' tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["LIMIT_TESTS", "ledger_columns", "limit_car_rows", "limit_window_tests"]

#: Tests run on the limit-aware CAR (they use only each event's CAR or SCAR,
#: which is what a window of event-specific length allows).
LIMIT_TESTS = ("csect_t", "patell", "bmp", "sign", "wilcoxon", "skew_t", "bootstrap")


def _int_na(v: NDArray[np.float64]) -> Any:
    """Float array with NaN -> nullable Int64 array."""
    return pd.Series(v, dtype="Float64").round().astype("Int64").array


def ledger_columns(
    n_ev: int,
    inc: NDArray[np.int64],
    n_limit_est: NDArray[np.float64] | None,
    limit_info: dict[str, Any] | None,
    leakage: Any,
) -> dict[str, Any]:
    """Per-event columns for ``events.csv`` (NaN / empty for excluded events)."""
    cols: dict[str, Any] = {}

    def full(vals: NDArray[Any], dtype: str = "float") -> NDArray[Any]:
        out = np.full(
            n_ev, np.nan if dtype == "float" else "", dtype=float if dtype == "float" else object
        )
        out[inc] = vals
        return out

    if n_limit_est is not None:
        cols["n_limit_days_est"] = _int_na(n_limit_est)
    if limit_info is not None:
        st = limit_info["streaks"]
        for name, vals in (
            ("limit_ups_0_4", st.limit_ups_0_4),
            ("first_run", st.first_run),
            ("first_open_day", st.first_open_day),
        ):
            cols[name] = _int_na(full(vals))
        cols["car_limit"] = full(limit_info["car_limit"])
        cols["scar_limit"] = full(limit_info["scar_limit"])
        cols["locked_share"] = full(st.locked_share)
        cols["limit_note"] = full(st.note, "object")
    if leakage is not None:
        t = leakage.table
        for c in (
            "car_m5_m1",
            "scar_m5_m1",
            "scar_m10_m1",
            "runup_ratio",
            "runup_score",
            "limit_ups_m5_m1",
            "abnormal_volume",
        ):
            cols[c] = full(t[c].to_numpy(dtype=float))
        flag = np.full(n_ev, None, dtype=object)
        flag[inc] = t["leak_flag"].astype(object).where(t["leak_flag"].notna(), None).to_numpy()
        cols["leak_flag"] = pd.array(flag, dtype="boolean")
        cols["leak_rules"] = full(t["leak_rules"].to_numpy(dtype=object), "object")
        cols["other_event_pre"] = full(t["other_event_pre"].to_numpy(dtype=object), "object")
    return cols


def limit_car_rows(ids: NDArray[Any], limit_info: dict[str, Any]) -> pd.DataFrame:
    """``car.csv`` rows of the ``limit`` window: start 0, end = first_open_day."""
    end = limit_info["streaks"].first_open_day
    ok = ~np.isnan(end)
    return pd.DataFrame(
        {
            "event_id": ids[ok],
            "window": "limit",
            "start": 0,
            "end": end[ok].astype(np.int64),
            "car": limit_info["car_limit"][ok],
            "scar": limit_info["scar_limit"][ok],
            "var_car": limit_info["var_limit"][ok],
            "n_days": limit_info["n_days_limit"][ok].astype(np.int64),
            "n_missing": (end[ok] + 1 - limit_info["n_days_limit"][ok]).astype(np.int64),
        }
    )


def limit_window_tests(
    limit_info: dict[str, Any], fit: Any, test_options: Any
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Tests of the mean limit-aware CAR; returns (rows, summary block)."""
    from eventstudy.inference import TestData, get_tests

    car = limit_info["car_limit"][:, None]
    scar = limit_info["scar_limit"][:, None]
    data = TestData(
        ar=car,
        sar=scar,
        car=car,
        scar=scar,
        dof=fit.dof,
        n_est=fit.n,
        est_ar=np.full((len(car), 1), np.nan),
        taus=np.array([0], dtype=np.int64),
        windows=((0, 0),),
        sigma2=fit.sigma2,
    )
    opts = {k: v for k, v in dict(test_options or {}).items() if k in LIMIT_TESTS}
    rows = []
    for t in get_tests(list(LIMIT_TESTS), opts):
        c = t.window(data)
        rows.append(
            {
                "test": t.name,
                "stat": float(c.stat[0]),
                "pvalue": float(c.pvalue[0]),
                "df": float(c.df[0]),
                "distribution": t.distribution,
                "nobs": int(c.nobs[0]),
                "reason": c.reason[0],
            }
        )
    tab = pd.DataFrame(rows)
    vals = car[:, 0][~np.isnan(car[:, 0])]
    block = {
        "window": "limit",
        "definition": "day 0 through the first day that does not close at the up-limit",
        "caar": float(vals.mean()) if len(vals) else None,
        "n": int(len(vals)),
        "mean_first_open_day": float(np.nanmean(limit_info["streaks"].first_open_day))
        if len(vals)
        else None,
    }
    return tab, block
