"""Speed pass 4: the results builder and the events reader against frozen copies.

``build_results``, ``_overlaps``, ``neighbour_ids``, ``tests_frame`` and
``_typed_events`` were rewritten for speed (one frame from one dict, arrow
texts handed over instead of converted to Python strings and back, one arrow
join).  The code before the rewrite is frozen below; every public frame of
several studies (excluded events, overlaps, groups, limits, leakage, calendar
time, factor models with a risk-free rate, text and integer ids, no event
included) and the events frames of adversarial inputs must come out the same,
dtypes included.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel
from numpy.typing import NDArray

import eventstudy as es
import eventstudy.study as study_mod
from eventstudy._neighbours import firm_codes, neighbour_ids, neighbour_pairs
from eventstudy.calendar.reading import cell_texts, plain_texts
from eventstudy.calendar.validate import is_sh_respelling
from eventstudy.dates import clock, parse_dates, timing_from_minutes
from eventstudy.diagnostics import ledger_columns, limit_car_rows
from eventstudy.exceptions import CalendarWarning
from eventstudy.results import _overlaps
from eventstudy.results_build import _column, _repeat_cells, _repeat_text, _tile_text
from eventstudy.study_events import _typed_events
from eventstudy.tables import tests_frame as new_tests_frame
from eventstudy.tickers import normalize_ticker
from eventstudy.windows import Window, window_label

# --------------------------------------------------------------------------- frozen old code


def _old_neighbour_ids(n, qi, ids, count):
    out = np.full(n, "", dtype=object)
    if len(qi):
        cuts = np.flatnonzero(np.diff(qi)) + 1
        starts = np.concatenate([[0], cuts])
        ends = np.concatenate([cuts, [len(qi)]])
        text = [str(v) for v in ids.tolist()]
        out[qi[starts]] = [";".join(text[a:b]) for a, b in zip(starts, ends, strict=True)]
    listed = np.bincount(qi, minlength=n) if len(qi) else np.zeros(n, dtype=np.int64)
    more = np.flatnonzero(count > listed)
    for i in more:
        out[i] = f"{out[i]} (+{int(count[i] - listed[i])} more)"
    return out


def _old_overlaps(cal, d0, status, spec):
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
    out[query] = _old_neighbour_ids(len(query), qi, ids[ref[rj]], count)
    return out


#: Columns of ``results.tests`` and the dtype of the empty table.
_OLD_COLUMNS: dict[str, str] = {
    "scope": "object",
    "tau": "float",
    "start": "float",
    "end": "float",
    "test": "object",
    "stat": "float",
    "pvalue": "float",
    "df": "float",
    "distribution": "object",
    "null": "object",
    "nobs": "int64",
    "reason": "string",
}


def _old_tests_frame(tests: dict[str, Any], taus: NDArray[np.int64], spec: Any) -> pd.DataFrame:
    # every column gathered over the tests, then one frame (not a frame per test)
    cols_of: dict[str, list[Any]] = {c: [] for c in _OLD_COLUMNS}
    car_start = np.array([w.start for w in spec.car], dtype=float)
    car_end = np.array([w.end for w in spec.car], dtype=float)
    for name, (obj, daily, window) in tests.items():
        for scope, cols, n in (("day", daily, len(taus)), ("window", window, len(spec.car))):
            day = scope == "day"
            for c, v in (
                ("scope", np.full(n, scope, dtype=object)),
                ("tau", np.asarray(taus, dtype=float) if day else np.full(n, np.nan)),
                ("start", np.full(n, np.nan) if day else car_start),
                ("end", np.full(n, np.nan) if day else car_end),
                ("test", np.full(n, name, dtype=object)),
                ("stat", np.broadcast_to(np.asarray(cols.stat, dtype=float), n)),
                ("pvalue", np.broadcast_to(np.asarray(cols.pvalue, dtype=float), n)),
                ("df", np.broadcast_to(np.asarray(cols.df, dtype=float), n)),
                ("distribution", np.full(n, obj.distribution, dtype=object)),
                ("null", np.full(n, obj.null, dtype=object)),
                ("nobs", np.broadcast_to(np.asarray(cols.nobs), n)),
                ("reason", np.asarray(list(cols.reason), dtype=object)),
            ):
                cols_of[c].append(v)
    frames = []
    if tests:
        frames.append(
            pd.DataFrame(
                {
                    c: pd.Series(np.concatenate(v), dtype=_OLD_COLUMNS[c])
                    if c == "reason"
                    else np.concatenate(v)
                    for c, v in cols_of.items()
                }
            )
        )
    if not frames:
        frames.append(pd.DataFrame({c: pd.Series(dtype=t) for c, t in _OLD_COLUMNS.items()}))
    out = pd.concat(frames, ignore_index=True)
    for c in ("tau", "start", "end"):
        out[c] = out[c].astype("Int64")
    return out


def _old_repeat_text(values: NDArray[Any], times: int) -> pd.Series:
    """``np.repeat(values, times)`` as a column: the distinct texts are converted
    to the column's dtype once and taken (same dtype and values as a frame built
    from the repeated array)."""
    col = pd.Series(values)
    return col.take(np.repeat(np.arange(len(values)), times)).reset_index(drop=True)


def _old_build_results(
    *,
    study,
    min_days,
    spec,
    model,
    cal,
    panel,
    status,
    reason,
    d0,
    day0,
    inc,
    fit,
    ab,
    y_ev,
    x_ev,
    taus,
    tests,
    calendar_time=None,
    n_limit_est=None,
    limit_info=None,
    leakage=None,
    extra_columns=None,
    notes=None,
    rf_ev=None,
    extra=None,
):
    """Frozen copy of ``build_results`` before speed pass 4."""
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
    params = {}
    for name, vals in (
        ("n_estimation", fit.n.astype(float)),
        ("alpha", fit.alpha),
        ("beta", fit.beta),
        ("sigma", np.sqrt(fit.sigma2)),
        *fit.columns.items(),  # standard errors and named coefficients of the model
    ):
        col = np.full(n_ev, np.nan)
        col[inc] = vals
        params[name] = col
    # one block: a Dimson model with many lags has ~90 columns (no fragmented frame)
    ledger = pd.concat([ledger, pd.DataFrame(params, index=ledger.index)], axis=1)
    ledger["n_estimation"] = ledger["n_estimation"].astype("Int64")
    if "n_missing_factor_days" in ledger:
        ledger["n_missing_factor_days"] = ledger["n_missing_factor_days"].astype("Int64")
    ledger["timing"] = cal["timing"].to_numpy()
    miss = np.zeros(n_ev, dtype=np.int64)
    miss[inc] = np.isnan(ab.ar).sum(axis=1)
    ledger["missing_event_days"] = miss
    ledger["timing_unknown"] = (cal["timing"].astype(str) == "unknown").to_numpy()
    ledger["other_event_in_estimation"] = _old_overlaps(cal, d0, status, spec)
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
            "event_id": _old_repeat_text(inc_ids, w),
            "ticker": _old_repeat_text(inc_tick, w),
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
            "event_id": _old_repeat_text(inc_ids, k),
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
    if limit_info is not None:
        car_long = pd.concat([car_long, limit_car_rows(inc_ids, limit_info)], ignore_index=True)
    # the rest of the builder (AAR, CAAR, path, calendar-time rows, config) did not change
    return {
        "_events": ledger,
        "_ar": ar_long,
        "_car": car_long,
        "_tests": _old_tests_frame(tests, taus, spec),
    }


def _old_typed_events(events: pd.DataFrame) -> pd.DataFrame:
    from eventstudy.calendar.sessions import TIMINGS
    from eventstudy.exceptions import CalendarError

    n = len(events)
    if n == 0:
        raise CalendarError("the events frame has no rows")
    if "event_id" in events.columns:
        from eventstudy.calendar.reading import cell_texts

        # as the calendar loader reads them: text, an empty cell gets R0001...
        ids = cell_texts(events["event_id"], n)
        for row in np.flatnonzero(ids == "").tolist():
            ids[row] = f"R{row + 1:04d}"
        dup = pd.Series(ids).duplicated(keep=False).to_numpy()
        if dup.any():
            rows = np.flatnonzero(dup)[:5] + 1
            raise CalendarError(
                f"event_id values repeat (rows {[int(r) for r in rows]}, e.g. "
                f"{ids[rows[0] - 1]!r}); give each event a unique event_id"
            )
    else:
        ids = np.array([f"R{i + 1:04d}" for i in range(n)], dtype=object)
    raw_t = events["ticker"]
    codes, uniq = pd.factorize(raw_t.astype("string").str.strip(), use_na_sentinel=True)
    given = [str(u) for u in uniq.tolist()]
    norm = np.array([normalize_ticker(u) for u in given], dtype=object)
    tick = np.concatenate([norm, np.array([None], dtype=object)])[codes]  # code -1 -> None
    tick[tick == ""] = None
    # the date policy of every boundary: zones -> China time, times of day -> timing
    parsed = parse_dates(events["date"], what="events", allow_missing=True, error=CalendarError)
    dates = parsed.dates
    from_time = timing_from_minutes(parsed.minutes)
    if "timing" in events.columns:
        timing = events["timing"].astype("string").fillna("unknown").str.strip().str.lower()
        timing = timing.str.replace("_", "-").replace({"": "unknown"})
        bad = ~timing.isin(TIMINGS)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CalendarError(
                f"row {i + 1} (event_id {ids[i]}): timing "
                f"{events['timing'].iloc[i]!r} is not one of {list(TIMINGS)}"
            )
        timing_arr = timing.to_numpy(dtype=object)
        clash = (timing_arr != "unknown") & (from_time != "unknown") & (timing_arr != from_time)
        if clash.any():
            i = int(np.flatnonzero(clash)[0])
            raise CalendarError(
                f"row {i + 1} (event_id {ids[i]}): timing {timing_arr[i]!r} contradicts "
                f"the time {clock(parsed.minutes[i])} of its date ({from_time[i]}, China time)"
            )
        timing_arr = np.where(timing_arr == "unknown", from_time, timing_arr)
    else:
        timing_arr = from_time
    no_tick = np.asarray(pd.isna(tick), dtype=bool)
    no_date = np.asarray(dates.isna())
    reason = np.where(no_tick, "no ticker", np.where(no_date, "no date", ""))
    out = pd.DataFrame(
        {
            "event_id": ids,
            "ticker": tick,
            "date": dates,
            "date_precision": np.where(no_date, "unknown", "day"),
            "timing": timing_arr,
            "calendar_status": np.where(reason == "", "ok", "excluded"),
            "calendar_reason": reason,
        }
    )
    pairs = [(a, b) for a, b in zip(given, norm.tolist(), strict=True) if a != b]
    # .SH -> .SS is every Chinese vendor's spelling: kept in ticker_input, noted once
    changed = [f"{a} read as {b}" for a, b in pairs if not is_sh_respelling(a, b)]
    if pairs:
        out["ticker_input"] = raw_t.to_numpy()
    if changed:
        warnings.warn(
            "events: tickers rewritten to Yahoo style: "
            + "; ".join(changed[:10])
            + (f" (and {len(changed) - 10} more)" if len(changed) > 10 else ""),
            CalendarWarning,
            stacklevel=4,
        )
    for c in events.columns:
        if c not in out.columns:
            out[c] = events[c].to_numpy()
    return out


# --------------------------------------------------------------------------- whole studies


def _same_as_old_builder(monkeypatch: pytest.MonkeyPatch, fit: Any) -> Any:
    """Run ``fit()`` with every ``build_results`` call checked against the frozen builder."""
    calls: list[tuple[Any, Any]] = []
    real = study_mod.build_results

    def both(**kw: Any) -> Any:
        new = real(**kw)
        calls.append((_old_build_results(**kw), new))
        return new

    monkeypatch.setattr(study_mod, "build_results", both)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit()
    assert calls
    for old, new in calls:
        for name, frame in old.items():
            got = getattr(new, name)
            if name == "_tests":  # the calendar-time rows are appended by unchanged code
                got = got[got["test"] != "calendar_time"].reset_index(drop=True)
            pd.testing.assert_frame_equal(frame, got, check_exact=True)
    return res


def test_simulated_calendar_with_limits_leakage_and_calendar_time(monkeypatch):
    cal = es.load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=3)
    res = _same_as_old_builder(
        monkeypatch, lambda: es.EventStudy(cal, sim.panel, tests=["csect_t", "patell"]).fit()
    )
    ev = res.events
    assert (ev["status"] == "excluded").any() and (ev["other_event_in_estimation"] != "").any()
    assert "limit_up" in res.ar.columns and len(res.calendar_time)


def _awkward_events(tickers: list[str], dates: pd.DatetimeIndex) -> pd.DataFrame:
    ev = make_events(tickers, dates, 40, seed=4, lo=262, hi=330)
    ev.loc[3, ["ticker", "date"]] = ev.loc[2, ["ticker", "date"]].to_numpy()  # a duplicate
    ev.loc[5, "ticker"] = "999999.SS"  # unknown
    ev.loc[6, "date"] = pd.NaT
    ev.loc[7, "date"] = dates[0] - pd.Timedelta(days=30)  # before the data
    ev.loc[8, "event_id"] = " E_pad "
    ev["kind"] = np.where(np.arange(40) % 3 == 0, "entry", "exit")
    ev["nothing"] = pd.Series([np.nan] * 40, dtype="str")
    ev["mixed"] = pd.Series([1, "a", None, 2.5] * 10, dtype=object)
    ev["size"] = np.arange(40) * 1.5
    return ev


def test_groups_exclusions_and_odd_columns(monkeypatch):
    ret, tickers = make_panel(n_firms=6, n_days=420)
    dates = pd.DatetimeIndex(sorted(ret["date"].unique()))
    ev = _awkward_events(tickers, dates)
    res = _same_as_old_builder(
        monkeypatch,
        lambda: es.EventStudy(ev, ret, groups="kind", tests=["csect_t", "bmp"]).fit(),
    )
    assert set(res.events["reason"]) > {""} and res.events["nothing"].dtype == object


@pytest.mark.parametrize("ids", ["int", "object", "string"])
def test_typed_calendar_with_integer_object_and_string_ids(monkeypatch, ids):
    ret, tickers = make_panel(n_firms=5, n_days=420)
    dates = pd.DatetimeIndex(sorted(ret["date"].unique()))
    ev = make_events(tickers, dates, 25, seed=7, lo=262, hi=330)
    ev["event_id"] = {
        "int": pd.Series(np.arange(100, 125)),
        "object": pd.Series([f"X{i}" if i % 2 else i for i in range(25)], dtype=object),
        "string": pd.Series([f"S{i}" for i in range(25)], dtype="string"),
    }[ids]
    if ids == "int":  # a calendar already read: taken as it is
        ev = ev.assign(timing="unknown", calendar_status="ok", calendar_reason="")
    _same_as_old_builder(
        monkeypatch, lambda: es.EventStudy(ev, ret, calendar_time=False, leakage=False).fit()
    )


def test_factor_model_with_a_risk_free_rate(monkeypatch):
    ret, tickers = make_panel(n_firms=5, n_days=420)
    mkt = ret[ret["ticker"] == "000300.SS"].set_index("date")["ret"]
    rng = np.random.default_rng(2)
    rf = np.full(len(mkt), 1e-4)
    factors = pd.DataFrame(
        {
            "date": mkt.index,
            "MKT-RF": mkt.to_numpy() - rf,
            "SMB": rng.normal(0, 0.005, len(mkt)),
            "HML": rng.normal(0, 0.004, len(mkt)),
            "RF": rf,
        }
    )
    dates = pd.DatetimeIndex(sorted(ret["date"].unique()))
    ev = make_events(tickers, dates, 15, seed=9, lo=262, hi=330)
    res = _same_as_old_builder(
        monkeypatch,
        lambda: es.EventStudy(
            ev, ret, model="ff3", factors=factors, calendar_time=False, leakage=False
        ).fit(),
    )
    assert "rf" in res.ar.columns


# --------------------------------------------------------------------------- column helpers

TEXT_COLUMNS = [
    pd.Series(["a", "b", np.nan], dtype="str"),
    pd.Series([np.nan, np.nan, np.nan], dtype="str"),  # all missing: read as object
    pd.Series(["a", None, "c"], dtype=object),
    pd.Series([1, "b", 2.5], dtype=object),
    pd.Series(["a", None, "c"], dtype="string"),
    pd.Series(["a", "b", "c"], dtype=pd.StringDtype("python", na_value=np.nan)),
    pd.Series([1, 2, 3]),
    pd.Series([1.5, np.nan, 3.0]),
    pd.Series(pd.to_datetime(["2024-01-02", None, "2024-01-04"])),
    pd.Series(["x", "y", "x"], dtype="category"),
]


@pytest.mark.parametrize("col", TEXT_COLUMNS, ids=lambda c: str(c.dtype))
def test_column_reads_as_its_numpy_values(col):
    want = pd.DataFrame({"c": col.to_numpy()})
    pd.testing.assert_frame_equal(pd.DataFrame({"c": _column(col)}), want, check_exact=True)


@pytest.mark.parametrize("col", TEXT_COLUMNS, ids=lambda c: str(c.dtype))
@pytest.mark.parametrize("rows", [[0, 1, 2], [2, 0], [1], [2], []])
def test_repeated_cells_equal_the_repeated_texts(col, rows):
    rows = np.array(rows, dtype=np.int64)
    for times in (0, 1, 3):
        want = pd.DataFrame({"c": _repeat_text(col.astype(str).to_numpy()[rows], times)})
        got = pd.DataFrame({"c": _repeat_cells(col, rows, times)})
        pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("labels", [[], ["[0,0]"], ["[-1,+1]", "[0,0]", "[0,+5]"]])
@pytest.mark.parametrize("times", [0, 1, 4])
def test_tiled_labels_equal_the_tiled_array(labels, times):
    want = pd.DataFrame({"c": np.tile(labels, times)})
    pd.testing.assert_frame_equal(
        pd.DataFrame({"c": _tile_text(labels, times)}), want, check_exact=True
    )


def test_tests_frame_without_tests_keeps_its_dtypes():
    spec = type("Spec", (), {"car": [Window(0, 1)]})()
    taus = np.arange(-2, 3)
    got, want = new_tests_frame({}, taus, spec), _old_tests_frame({}, taus, spec)
    pd.testing.assert_frame_equal(got, want, check_exact=True)


# --------------------------------------------------------------------------- id joins


@pytest.mark.parametrize("seed", range(20))
def test_joined_ids_equal_the_python_join(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 12))
    m = int(rng.integers(0, 40)) if n else 0
    qi = np.sort(rng.integers(0, max(n, 1), m)) if seed % 4 else rng.integers(0, max(n, 1), m)
    kind = seed % 5
    pool: list[Any] = ["E1", "E22", "é;x", "", "中"]
    if kind == 1:
        pool = [1, 2, 3]
    elif kind == 2:
        pool = ["A", np.nan, "B"]
    elif kind == 3:
        pool = ["A", "\udc80bad", "B"]  # a lone surrogate is no UTF-8
    ids = np.array([pool[i] for i in rng.integers(0, len(pool), m)], dtype=object)
    listed = np.bincount(qi, minlength=n) if m else np.zeros(n, dtype=np.int64)
    count = listed + rng.integers(0, 2, n) * rng.integers(1, 5, n)
    got, want = neighbour_ids(n, qi, ids, count), _old_neighbour_ids(n, qi, ids, count)
    assert got.dtype == object and got.tolist() == want.tolist()


@pytest.mark.parametrize("seed", range(15))
def test_overlaps_equal_the_old_construction(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    cal = pd.DataFrame(
        {
            "event_id": [f"E{i}" for i in range(n)],
            "ticker": rng.choice(["A", "B", "C", None], n),
        }
    )
    if seed % 3 == 0:
        cal["event_id"] = pd.Series(rng.integers(0, 5 * n, n), dtype=object)  # repeats too
    d0 = rng.integers(-1, 80, n)
    status = np.where(rng.random(n) < 0.8, "included", "excluded")
    spec = type("Spec", (), {"estimation": Window(-30, -2)})()
    assert (
        _overlaps(cal, d0, status, spec).tolist() == _old_overlaps(cal, d0, status, spec).tolist()
    )


# --------------------------------------------------------------------------- events frames


def test_plain_texts_are_exactly_the_cells_that_need_no_reading():
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    near = [chr(c) for c in (0x8, 0xE, 0x1B, 0x21, 0x84, 0x86, 0xA1, 0x200B, 0x2060, 0xFEFF)]
    for ch in spaces + near:
        for v in (ch + "a", "a" + ch, "a" + ch + "b", ch):
            col = pd.Series(["x", v], dtype="str")
            same = cell_texts(col, 2).tolist() == ["x", v]
            assert (plain_texts(col) is not None) == same, (hex(ord(ch)), v)
    for col in (
        pd.Series(["a", ""], dtype="str"),
        pd.Series(["a", np.nan], dtype="str"),
        pd.Series(["a", "b"], dtype=object),
        pd.Series(["a", "b"], dtype="string"),
        pd.Series([], dtype="str"),
    ):
        assert plain_texts(col) is None


def _frames() -> list[pd.DataFrame]:
    d = pd.to_datetime(["2024-03-01 00:00", "2024-03-04 00:00", None, "2024-03-05 10:30"])
    base = pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E3", "E4"],
            "ticker": ["600000.SS", "000001.SZ", "600519.SH", "300750.SZ"],
            "date": d,
        }
    )
    out = [base, base.iloc[:1]]
    out.append(base.assign(event_id=[" E1", "E2 ", "", None]))
    out.append(base.assign(event_id=pd.Series([1, 2, 3, 4])))
    out.append(base.assign(event_id=pd.Series([1.0, "b", np.nan, "d"], dtype=object)))
    out.append(base.assign(event_id=pd.Series(["a", "b", "c", "d"], dtype="string")))
    out.append(base.drop(columns="event_id"))
    out.append(base.assign(ticker=[" 600000.ss", None, "", "600519.SH"]))
    out.append(base.assign(ticker=[None, None, None, None]))
    out.append(base.assign(ticker=pd.Series(["", "", "", ""], dtype="str")))
    out.append(base.assign(timing=["pre_open", None, "", " Unknown"]))
    out.append(base.assign(date=d.tz_localize("UTC")))
    out.append(base.assign(date=pd.NaT))
    out.append(base.assign(extra=[1, 2, 3, 4], note=["x", None, "y", "z"]))
    return out


@pytest.mark.parametrize("i", range(14))
def test_typed_events_equal_the_old_reading(i):
    ev = _frames()[i]
    with warnings.catch_warnings(record=True) as w_new:
        warnings.simplefilter("always")
        got = _typed_events(ev)
    with warnings.catch_warnings(record=True) as w_old:
        warnings.simplefilter("always")
        want = _old_typed_events(ev)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert [str(x.message) for x in w_new] == [str(x.message) for x in w_old]


@pytest.mark.parametrize(
    "ev",
    [
        pd.DataFrame(
            {
                "event_id": ["A", "A"],
                "ticker": ["600000.SS"] * 2,
                "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            }
        ),
        pd.DataFrame(
            {
                "event_id": ["A", " A"],
                "ticker": ["600000.SS"] * 2,
                "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            }
        ),
        pd.DataFrame(
            {
                "event_id": ["A", "B"],
                "ticker": ["600000.SS"] * 2,
                "date": pd.to_datetime(["2024-01-02 10:00", "2024-01-03 00:00"]),
                "timing": ["pre-open", "unknown"],
            }
        ),
        pd.DataFrame(
            {
                "event_id": ["A", "B"],
                "ticker": ["600000.SS"] * 2,
                "date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
                "timing": ["soon", "unknown"],
            }
        ),
    ],
)
def test_typed_events_errors_are_unchanged(ev):
    with pytest.raises(es.CalendarError) as new:
        _typed_events(ev)
    with pytest.raises(es.CalendarError) as old:
        _old_typed_events(ev)
    assert str(new.value) == str(old.value)


@pytest.mark.parametrize("seed", range(15))
def test_neighbour_pairs_equal_a_double_loop(seed):
    rng = np.random.default_rng(seed)
    nq, nr = int(rng.integers(0, 25)), int(rng.integers(0, 40))
    q_firm, r_firm = rng.integers(-1, 3, nq), rng.integers(-1, 3, nr)  # -1: no ticker
    q_day, r_day = rng.integers(0, 30, nq), rng.integers(0, 30, nr)  # ties on the day
    r_key = rng.permutation(60)[:nr]
    q_key = np.where(rng.random(nq) < 0.5, rng.choice(r_key, nq) if nr else -5, -5)
    lo, hi, cap = int(rng.integers(-10, 1)), int(rng.integers(-2, 10)), int(rng.integers(1, 4))
    qi, rj, count = neighbour_pairs(q_firm, q_day, q_key, r_firm, r_day, r_key, lo, hi, cap)
    want_pairs, want_count = [], []
    for i in range(nq):
        hits = [
            j
            for j in range(nr)
            if r_firm[j] == q_firm[i] and lo <= r_day[j] - q_day[i] <= hi and r_key[j] != q_key[i]
        ]
        hits.sort(key=lambda j: (r_day[j], j))  # by day, then reference row
        want_count.append(len(hits) if lo <= hi else 0)
        want_pairs += [(i, j) for j in hits[:cap]] if lo <= hi else []
    assert list(zip(qi.tolist(), rj.tolist(), strict=True)) == want_pairs
    assert count.tolist() == want_count
