"""Study-level guards (issue 9): degenerate estimation (class 2), zero-event and
runaway studies (class 7), findings on real data (class 11), and the
sorted-search rewrite of the same-firm overlap columns."""

from __future__ import annotations

import warnings
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel

from eventstudy import EventStudy
from eventstudy.align import align_panel
from eventstudy.cli import main
from eventstudy.estimation_checks import MAX_STANDARDISED, SIGMA_FLOOR, majority_value
from eventstudy.exceptions import (
    EventStudyError,
    ExclusionError,
    NoEventsIncludedError,
    WindowError,
)
from eventstudy.leakage import _confounders, leakage_diagnostics
from eventstudy.models import get_model
from eventstudy.results import _overlaps
from eventstudy.study import leakage_window
from eventstudy.windows import Window

CFG = dict(
    estimation_window=(-200, -11),
    event_window=(-5, 5),
    min_estimation_days=150,
    car_windows=[(-5, -1), (0, 1), (-5, 5)],
)
STANDARDISED = ["patell", "patell_kp", "bmp", "bmp_kp", "grank"]


@pytest.fixture(scope="module")
def panel():
    returns, tickers = make_panel(n_firms=8, n_days=400)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    return returns, tickers, dates


def fit(events, returns, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # XSHG cross-check on business days
        return EventStudy(events, returns, **{**CFG, **kw}).fit()


def _with_firm(returns, dates, ticker, values):
    extra = pd.DataFrame({"date": dates, "ticker": ticker, "ret": values})
    return pd.concat([returns, extra], ignore_index=True)


def _window_stats(res):
    t = res.tests
    t = t[(t["scope"] == "window") & t["test"].isin(STANDARDISED)]
    return t.set_index(["test", "start", "end"])["stat"].sort_index()


# ------------------------------------------------------------ class 2: degenerate estimation


def test_constant_nonzero_returns_are_excluded_and_cannot_move_the_tests(panel):
    """Issue 9, class 2: a stale series (0.0001 every day, then a 5% jump on day 0)
    gave sigma 4e-19 and SCAR 3e17 and dragged BMP to 1.0.  It is excluded with
    its reason, and every standardised statistic equals the study without it."""
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 16)
    stale = np.full(len(dates), 1e-4)
    d0 = dates.get_loc(ev.loc[15, "date"])
    stale[d0] = 0.05
    ev.loc[15, "ticker"] = "600999.SS"
    res = fit(ev, _with_firm(returns, dates, "600999.SS", stale))
    row = res.events.set_index("event_id").loc["E016"]
    assert row["status"] == "excluded"
    assert row["reason"] == (
        "firm return constant over the estimation days (0.0001 on all 190 days: "
        "stale or filled prices)"
    )
    base = fit(ev.drop(index=15), returns)
    pd.testing.assert_series_equal(_window_stats(res), _window_stats(base), rtol=1e-12)
    summary = res.to_dict()["events"]["excluded_by_reason"]
    assert summary == {"firm return constant over the estimation days": 1}


@pytest.mark.parametrize("model", ["market", "market-adjusted", "constant-mean"])
def test_constant_firm_returns_are_excluded_whatever_the_model(panel, model):
    # with market-adjusted returns sigma comes from the market, so only the data rule sees it
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 3)
    ev.loc[2, "ticker"] = "600999.SS"
    res = fit(ev, _with_firm(returns, dates, "600999.SS", 0.002), model=model)
    reason = res.events.set_index("event_id").loc["E003", "reason"]
    assert reason.startswith("firm return constant over the estimation days (0.002 on all")


def test_mostly_repeated_returns_are_stale(panel):
    returns, tickers, dates = panel
    rng = np.random.default_rng(3)
    vals = np.where(rng.random(len(dates)) < 0.7, 0.0, rng.normal(0, 0.02, len(dates)))
    ev = make_events(tickers, dates, 3)
    ev.loc[2, "ticker"] = "600999.SS"
    res = fit(ev, _with_firm(returns, dates, "600999.SS", vals))
    reason = res.events.set_index("event_id").loc["E003", "reason"]
    assert reason.startswith("firm return repeats one value on most estimation days (")
    k, n = (int(v) for v in reason.split("(")[1].split(":")[0].split(" of "))
    assert n == 190 and n / 2 < k < n


def test_residual_sigma_below_the_absolute_floor(panel):
    """A firm the market model fits to 1e-8: sigma far below 1e-6 per day."""
    returns, tickers, dates = panel
    mkt = returns.loc[returns["ticker"] == "000300.SS", "ret"].to_numpy()
    rng = np.random.default_rng(4)
    ev = make_events(tickers, dates, 3)
    ev.loc[2, "ticker"] = "600999.SS"
    firm = 1.2 * mkt + 1e-4 + rng.normal(0, 1e-8, len(dates))
    res = fit(ev, _with_firm(returns, dates, "600999.SS", firm))
    out = res.events.set_index("event_id").loc["E003"]
    assert out["reason"].startswith("no residual variance over the estimation days (sigma ")
    assert out["reason"].endswith(f"< {SIGMA_FLOOR:g} per day)")
    assert float(out["reason"].split("sigma ")[1].split(" <")[0]) < 1e-7


def test_standardised_value_beyond_the_bound_is_excluded(panel):
    """sigma 2e-6 passes the floor, but a 5% day-0 move is then 25,000 sigma."""
    returns, tickers, dates = panel
    mkt = returns.loc[returns["ticker"] == "000300.SS", "ret"].to_numpy()
    rng = np.random.default_rng(5)
    ev = make_events(tickers, dates, 12)
    ev.loc[11, "ticker"] = "600999.SS"
    firm = mkt + rng.normal(0, 2e-6, len(dates))
    firm[dates.get_loc(ev.loc[11, "date"])] += 0.05
    res = fit(ev, _with_firm(returns, dates, "600999.SS", firm))
    reason = res.events.set_index("event_id").loc["E012", "reason"]
    assert reason.startswith(
        f"standardised abnormal return beyond {MAX_STANDARDISED:g} in absolute value: "
        "degenerate estimation variance (SAR on day +0 = 2."
    )
    base = fit(ev.drop(index=11), returns)
    pd.testing.assert_series_equal(_window_stats(res), _window_stats(base), rtol=1e-12)


def test_flat_market_is_judged_on_its_spread_not_on_exact_zero(panel):
    """A market constant (non-zero) over an event's estimation days: excluded for the
    market model, kept for market-adjusted returns."""
    returns, tickers, dates = panel
    r = returns.copy()
    flat = (r["ticker"] == "000300.SS") & (r["date"] <= dates[340])
    r.loc[flat, "ret"] = 3e-4
    ev = make_events(tickers, dates, 4, lo=320, hi=330)
    with pytest.raises(
        NoEventsIncludedError,
        match=r"market return constant over the "
        r"estimation days: 4 \(e\.g\. E001",
    ):
        fit(ev, r)
    adj = fit(ev, r, model="market-adjusted")
    assert adj.n_included == 4


def test_majority_value_matches_a_counter():
    rng = np.random.default_rng(0)
    for _ in range(300):
        e, w = int(rng.integers(1, 6)), int(rng.integers(1, 30))
        y = rng.choice([0.0, 0.01, -0.01, 0.02, np.nan], size=(e, w), p=[0.5, 0.1, 0.1, 0.1, 0.2])
        cont = rng.random((e, w)) < rng.uniform(0, 0.6)
        y[cont] = rng.normal(size=int(cont.sum()))
        value, k = majority_value(y)
        for row, v, c in zip(y, value, k, strict=True):
            counts = Counter(x for x in row if not np.isnan(x))
            n = sum(counts.values())
            top, most = max(counts.items(), key=lambda kv: kv[1], default=(np.nan, 0))
            if 2 * most > n:  # a majority value: found, with its count
                assert v == top and c == most
            else:
                assert 2 * c <= n


# ------------------------------------------------------------ class 7: zero events, runaways


def test_a_study_that_includes_no_event_fails_with_the_reasons(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 5)
    ev.loc[:2, "ticker"] = "688999.SS"
    ev.loc[3:, "date"] = dates[-1]
    with pytest.raises(NoEventsIncludedError) as info:
        fit(ev, returns)
    msg = str(info.value)
    assert msg.startswith("no event included: all 5 events were excluded; top reasons: ")
    assert "unknown ticker: 3 (e.g. E001 688999.SS)" in msg
    assert "event window past the end of the data: 2 (e.g. E004" in msg
    assert list(info.value.exclusions["event_id"]) == ["E001", "E002", "E003", "E004", "E005"]
    assert info.value.n_events == 5
    assert isinstance(info.value, ExclusionError) and isinstance(info.value, EventStudyError)


def test_max_loss_error_names_the_reasons_and_is_validated(panel):
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 4)
    ev.loc[:2, "ticker"] = "688999.SS"
    with pytest.raises(
        ExclusionError,
        match=r"3 of 4 events excluded \(75%\), more than "
        r"max_loss=50%; top reasons: unknown ticker",
    ):
        fit(ev, returns, max_loss=0.5)
    assert fit(ev, returns, max_loss=0.8).n_included == 1
    for bad in (1.5, -0.1, "0.2", True):
        with pytest.raises(EventStudyError, match="max_loss must be a share between 0 and 1"):
            fit(ev, returns, max_loss=bad)


def test_windows_longer_than_the_data_fail_before_any_work(panel, monkeypatch):
    """A +-100,000-day window ran 25 minutes for 0 events; now it is refused up front."""
    import eventstudy.study as study_mod

    returns, tickers, dates = panel

    def never(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("the study ran")

    monkeypatch.setattr(study_mod, "_run", never)
    ev = make_events(tickers, dates, 3)
    with pytest.raises(
        WindowError,
        match=r"the windows need at least 200141 trading days of "
        r"data per event \(120 estimation days up to day -100021, then days "
        r"-100020 to 100000\), but the returns have 400 \(from 2021-01-04",
    ):
        EventStudy(
            ev, returns, estimation_window=(-200250, -100021), event_window=(-100000, 100000)
        ).fit()
    # the bound is exact: 16 + 150 days fit in 166, not in 165
    short = returns[returns["date"] <= dates[164]]
    with pytest.raises(WindowError, match="need at least 166 trading days.*have 165"):
        EventStudy(ev, short, **CFG).fit()


def _write_returns(tmp_path, returns):
    p = tmp_path / "returns.csv"
    returns.to_csv(p, index=False)
    return p


def test_cli_run_without_calendar_says_which_and_exits_2(tmp_path, panel, capsys):
    """`run --returns x.csv` took the bundled calendar silently, included 0 events,
    printed NaN tables and exited 0."""
    returns, _, _ = panel
    rp = _write_returns(tmp_path, returns)
    code = main(
        ["run", "--returns", str(rp), "--market", "000300.SS", "--out", str(tmp_path / "o")]
    )
    cap = capsys.readouterr()
    assert code == 2
    assert "calendar: the bundled compute-leasing calendar (" in cap.out
    assert "give --calendar FILE to study your own events" in cap.out
    assert cap.err.startswith("eventstudy: error: no event included: all ")
    assert "top reasons: " in cap.err
    assert "the calendar was the bundled compute-leasing calendar" in cap.err
    assert not (tmp_path / "o").exists()


def test_cli_max_loss(tmp_path, panel, capsys):
    returns, tickers, dates = panel
    rp = _write_returns(tmp_path, returns)
    ev = make_events(tickers, dates, 4)
    ev.loc[0, "ticker"] = "688999.SS"
    ev["date"] = ev["date"].dt.strftime("%Y-%m-%d")
    cp = tmp_path / "cal.csv"
    ev.to_csv(cp, index=False)
    base = [
        "run",
        "--calendar",
        str(cp),
        "--returns",
        str(rp),
        "--market",
        "000300.SS",
        "--estimation-window=-200,-11",
        "--event-window=-5,5",
        "--no-leakage",
    ]
    code = main([*base, "--max-loss", "0.2", "--out", str(tmp_path / "a")])
    cap = capsys.readouterr()
    assert code == 2
    assert f"calendar: {cp} (4 rows)" in cap.out
    assert "1 of 4 events excluded (25%), more than max_loss=20%; top reasons: unknown " in cap.err
    assert main([*base, "--max-loss", "0.3", "--out", str(tmp_path / "b")]) == 0


def test_cli_windows_longer_than_the_data(tmp_path, panel, capsys):
    returns, _, _ = panel
    rp = _write_returns(tmp_path, returns)
    code = main(
        [
            "run",
            "--returns",
            str(rp),
            "--market",
            "000300.SS",
            "--estimation-window=-200250,-100021",
            "--event-window=-100000,100000",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "the windows need at least 200141 trading days" in capsys.readouterr().err


# ------------------------------------------------- the same-firm columns without a self-merge


def _brute_overlaps(cal, d0, status, est):
    """The definition, event by event: other events (d0 >= 0) of the same ticker whose
    day 0 is in the included event's estimation window, by day 0 then calendar order."""
    tick = cal["ticker"].astype(str).tolist()
    ids = cal["event_id"].astype(str).tolist()
    out = []
    for i in range(len(cal)):
        if d0[i] < 0 or status[i] != "included":
            out.append("")
            continue
        hits = [
            j
            for j in range(len(cal))
            if j != i and d0[j] >= 0 and tick[j] == tick[i] and est[0] <= d0[j] - d0[i] <= est[1]
        ]
        out.append(";".join(ids[j] for j in sorted(hits, key=lambda j: (d0[j], j))))
    return out


def _brute_confounders(ids, tk, d0, others):
    out = []
    for i in range(len(tk)):
        hits = [
            str(r.event_id)
            for r in others.itertuples()
            if r.tk == tk[i] and r.event_id != ids[i] and -20 <= r.d0 - d0[i] <= -1
        ]
        out.append(";".join(hits))
    return out


def _capped(text, cap=20):
    parts = text.split(";") if text else []
    if len(parts) <= cap:
        return text
    return ";".join(parts[:cap]) + f" (+{len(parts) - cap} more)"


@pytest.mark.parametrize("seed", range(40))
def test_overlap_columns_match_the_definition(seed):
    rng = np.random.default_rng(seed)
    n, nt, t_len = int(rng.integers(1, 80)), int(rng.integers(1, 6)), int(rng.integers(5, 300))
    ids = [f"E{i}" for i in rng.permutation(n)]
    cal = pd.DataFrame(
        {"event_id": ids, "ticker": rng.choice([*[f"T{j}" for j in range(nt)], None], n)}
    )
    d0 = rng.integers(-1, t_len, n).astype(np.int64)
    # an included event always has a ticker
    status = np.where((rng.random(n) < 0.7) & cal["ticker"].notna(), "included", "excluded")
    a, b = sorted(int(v) for v in rng.integers(-250, 0, 2))
    got = _overlaps(cal, d0, status, SimpleNamespace(estimation=Window(a, b)))
    want = _brute_overlaps(cal, d0, status, (a, b))
    assert list(got) == [_capped(w) for w in want]
    inc = np.flatnonzero((status == "included") & (d0 >= 0))
    codes = pd.factorize(cal["ticker"].astype(str))[0]
    placed = d0 >= 0
    others = pd.DataFrame(
        {"event_id": np.array(ids, dtype=object)[placed], "tk": codes[placed], "d0": d0[placed]}
    ).sample(frac=1.0, random_state=seed)
    ev = cal.iloc[inc]
    got = _confounders(ev, codes[inc], d0[inc], others)
    want = _brute_confounders(ev["event_id"].tolist(), codes[inc], d0[inc], others)
    full = [w for w in want if len(w.split(";")) <= 20]
    assert [g for g, w in zip(got, want, strict=True) if w in full] == full
    for g, w in zip(got, want, strict=True):
        if w not in full:  # more than 20: the 20 earliest listed, the rest counted
            assert g.endswith(f" (+{len(w.split(';')) - 20} more)")
            assert set(g.split(" (")[0].split(";")) <= set(w.split(";"))


# --------------------------------------------------------------- class 11: real-data findings


def test_leakage_model_is_fitted_before_the_pre_event_windows(panel):
    """With estimation_window=(-20, -1) every pre-event CAR was 0 by construction and
    events were still flagged.  The leakage model now uses [-40,-21] and says so."""
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 8)
    res = fit(
        ev,
        returns,
        estimation_window=(-20, -1),
        event_window=(0, 5),
        min_estimation_days=15,
        car_windows=[(0, 1)],
    )
    leak = res.leakage
    assert (leak["car_m20_m1"].abs() > 1e-6).all()
    assert (leak["car_m5_m1"].abs() > 1e-6).all()
    block = res.to_dict()["leakage"]
    assert block["estimation_window"] == [-40, -21]
    note = (
        "leakage diagnostics: the estimation window [-20,-1] overlaps their pre-event "
        "windows [-20,-1], so their model was fitted on [-40,-21] (the same 20 days, "
        "ending at day -21)"
    )
    assert block["estimation_note"] == note and note in res.notes
    # the same numbers as a study whose own window is [-40,-21]
    ref = fit(
        ev,
        returns,
        estimation_window=(-40, -21),
        event_window=(0, 5),
        min_estimation_days=15,
        car_windows=[(0, 1)],
    )
    assert ref.to_dict()["leakage"]["estimation_note"] is None
    pd.testing.assert_frame_equal(leak, ref.leakage)
    # a window that already ends by day -21 is kept
    assert leakage_window(Window(-250, -21)) == (Window(-250, -21), "")
    assert leakage_window(Window(-60, -6))[0] == Window(-75, -21)


def test_leakage_diagnostics_refuse_an_in_sample_window(panel):
    returns, tickers, _ = panel
    ap = align_panel(returns, "000300.SS")
    ev = pd.DataFrame({"event_id": ["A"], "ticker": [tickers[0]]})
    args = (
        ap,
        get_model("market"),
        Window(-20, -1),
        Window(0, 5),
        ev,
        np.array([0]),
        np.array([300]),
    )
    with pytest.raises(
        WindowError,
        match=r"leakage estimation window \[-20,-1\] ends on day "
        r"-1, inside the pre-event window \[-20,-1\].*in-sample",
    ):
        leakage_diagnostics(*args, min_days=15)


def test_day0_is_filled_exactly_for_events_placed_on_the_data(panel):
    """Events dated before the data carried the first date of the data as day 0,
    events after it none.  day0 is now the session on the data's dates where the
    event is placed, NaT when it cannot be placed (before or after the data)."""
    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 5)
    ev.loc[0, "date"] = dates[0] - pd.Timedelta(days=30)  # before the data
    ev.loc[1, "date"] = dates[-1] + pd.Timedelta(days=30)  # after the data
    ev.loc[2, "date"] = dates[-2]  # placed, but its event window runs past the data
    ev.loc[3, "ticker"] = "688999.SS"  # placed, unknown ticker
    ev.loc[0, "ticker"] = ev.loc[4, "ticker"]  # same firm as E005, before the data
    res = fit(ev, returns)
    out = res.events.set_index("event_id")
    assert pd.isna(out.loc["E001", "day0"]) and pd.isna(out.loc["E002", "day0"])
    assert out.loc["E001", "reason"] == "announcement date before the start of the data"
    assert out.loc["E002", "reason"] == "day 0 after the end of the data"
    assert out.loc["E003", "day0"] == dates[-2]
    assert out.loc["E004", "day0"] == ev.loc[3, "date"]
    assert out.loc["E005", "status"] == "included"
    # an event that was never placed is no "other event" of its firm
    assert out.loc["E005", "other_event_in_estimation"] == ""


def _hostile_panels():
    returns, tickers = make_panel(n_firms=6, n_days=600, seed=2)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    rng = np.random.default_rng(0)
    late = (returns["ticker"] == tickers[0]) & (returns["date"] < dates[420])  # placebo dates
    gaps = (returns["ticker"] != "000300.SS") & (rng.random(len(returns)) < 0.3)
    short = returns["date"] >= dates[380]
    stale = returns.assign(ret=np.where(returns["ticker"] == tickers[1], 1e-4, returns["ret"]))
    return (
        dates,
        tickers,
        {
            "placebo dates without estimation data": returns[~late],
            "gaps": returns[~gaps],
            "late firm and gaps": returns[~(late | gaps)],
            "short data": returns[short],
            "stale firm": stale,
        },
    )


@pytest.mark.parametrize("model", ["market", "market-adjusted", "constant-mean"])
def test_no_numpy_runtime_warning_escapes_fit(model):
    """`invalid value encountered in multiply` escaped fit() from placebo events
    without estimation data."""
    dates, tickers, panels = _hostile_panels()
    ev = make_events(tickers, dates, 8, lo=440, hi=560)
    ev.loc[7, "date"] = dates[0] - pd.Timedelta(days=5)
    for name, rets in panels.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            kw = dict(
                estimation_window=(-200, -11),
                event_window=(-5, 5),
                model=model,
                min_estimation_days=20 if name != "short data" else 10,
            )
            if name == "short data":
                kw["estimation_window"] = (-40, -11)
            try:
                res = EventStudy(ev, rets, **kw).fit()
            except NoEventsIncludedError:  # an honest outcome, not a warning
                continue
            assert res.n_included >= 1, name


def test_estimation_in_blocks_gives_the_same_study(panel, monkeypatch):
    """The estimation stage and the leakage statistics run in blocks of events to
    bound memory; the block size must not change a single number."""
    import eventstudy.leakage as leak_mod
    import eventstudy.study as study_mod

    returns, tickers, dates = panel
    ev = make_events(tickers, dates, 30)
    ev.loc[3, "ticker"] = "688999.SS"
    one = fit(ev, returns)
    monkeypatch.setattr(study_mod, "ESTIMATION_BLOCK", 7)
    monkeypatch.setattr(leak_mod, "STATS_BLOCK", 5)
    blocks = fit(ev, returns)
    for name in ("events", "car", "ar", "tests", "leakage", "placebo"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(blocks, name), check_exact=True)
