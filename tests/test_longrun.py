"""Long-horizon buy-and-hold abnormal returns: exact compounding, missing-return rules, LBT tests."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from eventstudy import EventStudy, EventStudyError
from eventstudy.longrun import lbt_bootstrap, lbt_skewness_t

CFG = dict(
    estimation_window=(-60, -11),
    event_window=(-5, 5),
    car_windows=[(0, 1)],
    min_estimation_days=40,
    leakage=False,
    calendar_time=False,
    tests=["csect_t"],
)


def _fit(events, returns, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events, returns, **{**CFG, **kw}).fit()


# ------------------------------------------------------------ a hand-built panel


@pytest.fixture(scope="module")
def hand():
    """Four firms with a known path after day 0 (position 80 of 120 sessions).

    A: limit-up streak +10%, +10%, +7.4% on days 0..2;  B: suspended on days +3 and +4
    (the return of day +5 spans them);  C: last return on day +6 (delisted);
    D: suspended from day +8 to the end of the data window (resumes later).
    """
    rng = np.random.default_rng(7)
    n = 130
    dates = pd.bdate_range("2023-01-02", periods=n)
    m = rng.normal(0.0005, 0.01, n)
    frames = [pd.DataFrame({"date": dates, "ticker": "000300.SS", "ret": m})]
    firm = {}
    for k, t in enumerate(["600001.SS", "600002.SS", "600003.SS", "600004.SS"]):
        r = 0.0002 + (0.8 + 0.2 * k) * m + rng.normal(0, 0.02, n)
        firm[t] = r
    firm["600001.SS"][80:83] = [0.1, 0.1, 0.074]
    firm["600002.SS"][83:85] = np.nan
    firm["600003.SS"][87:] = np.nan
    firm["600004.SS"][88:125] = np.nan
    for t, r in firm.items():
        frames.append(pd.DataFrame({"date": dates, "ticker": t, "ret": r}))
    returns = pd.concat(frames, ignore_index=True).dropna(subset=["ret"])
    events = pd.DataFrame(
        {
            "event_id": ["A", "B", "C", "D"],
            "ticker": list(firm),
            "date": [dates[80]] * 4,
            "timing": "pre-open",
        }
    )
    return events, returns, dates, m, firm


def _compound(values) -> float:
    g = 1.0
    for v in values:
        if not math.isnan(v):
            g *= 1.0 + float(v)
    return g


def test_limit_up_streak_compounds_exactly(hand):
    events, returns, *_ = hand
    res = _fit(events, returns, bhar_windows=[(0, 2)])
    a = res.bhar.set_index("event_id").loc["A"]
    assert a["ret_firm"] == pytest.approx(1.1 * 1.1 * 1.074 - 1.0, abs=1e-15)
    assert a["ret_firm"] == pytest.approx(0.29954, abs=1e-12)
    assert a["ret_firm"] - 0.274 > 0.025  # not the sum of the three capped returns


@pytest.mark.parametrize("missing", ["fill", "truncate", "exclude"])
def test_bhar_equals_independent_compounding(hand, missing):
    events, returns, dates, m, firm = hand
    res = _fit(events, returns, bhar_windows=[(0, 10), (2, 10)], bhar_missing=missing)
    assert res.bhar["window"].unique().tolist() == ["[0,+1]", "[0,+10]", "[+2,+10]"]
    b = res.bhar.set_index(["event_id", "start", "end"])
    for (eid, start, end), row in b.iterrows():
        t = events.set_index("event_id").loc[eid, "ticker"]
        pos = np.arange(80 + start, 80 + end + 1)
        r = firm[t][pos]
        bench = m[pos]
        have = ~np.isnan(r)
        last = int(np.flatnonzero(have)[-1])
        tail = np.arange(len(pos)) > last
        if tail.any() and missing == "exclude":
            assert row["status"] == "excluded" and math.isnan(row["bhar"])
            continue
        if missing == "fill":
            r = np.where(tail, bench, r)
            g_b = _compound(bench)
        elif missing == "truncate":
            g_b = _compound(bench[: last + 1])
        else:
            g_b = _compound(bench)
        expect = _compound(r) - g_b
        assert row["bhar"] == pytest.approx(expect, abs=1e-12), (eid, start, missing)
        assert row["ret_bench"] == pytest.approx(g_b - 1.0, abs=1e-12)
        assert row["car"] == pytest.approx(float(np.nansum(firm[t][pos] - bench)), abs=1e-12), (
            "CAR sums the days with a return"
        )
    st = b["status"].to_dict()
    assert st[("A", 0, 10)] == "complete"
    assert st[("B", 0, 10)] == "gaps" and "2 session(s)" in b.loc[("B", 0, 10), "reason"]
    want = {"fill": "filled", "truncate": "truncated", "exclude": "excluded"}[missing]
    assert st[("C", 0, 10)] == want
    assert "delisted or end of data" in b.loc[("C", 0, 10), "reason"]
    assert st[("D", 0, 10)] == want and "suspended from day +8" in b.loc[("D", 0, 10), "reason"]
    # B's day +5 return spans days +3..+5; a window starting on +4 gets a return
    # that reaches back before its start
    res2 = _fit(events, returns, bhar_windows=[(4, 10)], bhar_missing=missing)
    b2 = res2.bhar[res2.bhar["start"] == 4].set_index("event_id")
    assert b2.loc["B", "sessions_before_start"] == 1
    assert b2.loc["B", "status"] == "gaps" and b2.loc["B", "reason"].startswith("1 session(s)")
    assert b2.loc["A", "sessions_before_start"] == 0
    tests = res.bhar_tests.set_index("window")
    assert tests.loc["[0,+10]", "n_excluded"] == (2 if missing == "exclude" else 0)
    key = {"fill": "n_filled", "truncate": "n_truncated"}.get(missing)
    if key:
        assert tests.loc["[0,+10]", key] == 2


def test_model_benchmark(hand):
    events, returns, dates, m, firm = hand
    res = _fit(events, returns, bhar_windows=[(0, 5)], bhar_benchmark="model")
    ev = res.events.set_index("event_id")
    for eid, row in res.bhar.set_index("event_id").iterrows():
        a, b = ev.loc[eid, "alpha"], ev.loc[eid, "beta"]
        pos = np.arange(80, 86)
        r = firm[ev.loc[eid, "ticker"]][pos]
        expect = _compound(r) - _compound(a + b * m[pos])
        assert row["bhar"] == pytest.approx(expect, abs=1e-12)


def test_windows_past_the_data_are_excluded_with_reason(hand):
    events, returns, *_ = hand
    res = _fit(events, returns, bhar_windows=[(0, 60)])
    b = res.bhar
    assert b["window"].unique().tolist() == ["[0,+60]"]
    assert (b["status"] == "excluded").all()
    assert b["reason"].eq("window ends after the market's data").all()
    assert res.bhar_tests["n"].iloc[0] == 0
    assert "needs at least 3 events" in res.bhar_tests["reason"].iloc[0]


# ------------------------------------------------------------ LBT statistics


def _lbt_independent(x: list[float]) -> float:
    n = len(x)
    mean = sum(x) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    g = sum((v - mean) ** 3 for v in x) / (n * s**3)
    big_s = mean / s
    return math.sqrt(n) * (big_s + g * big_s**2 / 3 + g / (6 * n))


def test_lbt_skewness_adjusted_t_matches_an_independent_implementation():
    rng = np.random.default_rng(0)
    for k in range(5):
        x = rng.lognormal(0, 0.8, 40 + 7 * k) - 1.2
        t, gamma = lbt_skewness_t(x)
        assert t == pytest.approx(_lbt_independent(list(x)), rel=1e-12)
        assert gamma > 0


def test_lbt_bootstrap_is_seeded_and_matches_a_direct_loop():
    x = np.random.default_rng(1).exponential(1.0, 48) - 0.9
    a = lbt_bootstrap(x, reps=500, seed=11)
    assert a == lbt_bootstrap(x, reps=500, seed=11)
    assert a["pvalue"] != lbt_bootstrap(x, reps=500, seed=12)["pvalue"]
    assert a["n_b"] == 12 and a["reps_used"] == 500
    rng = np.random.default_rng(11)
    idx = rng.integers(0, 48, size=(500, 12))
    t_sa = _lbt_independent(list(x))
    tb = []
    for row in idx:
        xb = list(x[row])
        mb = sum(xb) / 12
        sb = math.sqrt(sum((v - mb) ** 2 for v in xb) / 11)
        gb = sum((v - mb) ** 3 for v in xb) / (12 * sb**3)
        s = (mb - x.mean()) / sb
        tb.append(math.sqrt(12) * (s + gb * s * s / 3 + gb / 72))
    tb = np.array(tb)
    p = min(1.0, 2 * min(1 + (tb <= t_sa).sum(), 1 + (tb >= t_sa).sum()) / 501)
    assert a["pvalue"] == pytest.approx(p, rel=1e-12)
    assert a["lo"] == pytest.approx(np.quantile(tb, 0.025), rel=1e-10)
    assert math.isnan(lbt_bootstrap(x[:10], reps=200)["pvalue"])  # n/4 < 3


def test_study_bhar_tests_use_the_lbt_formulas(hand):
    events, returns, *_ = hand
    res = _fit(events, returns, bhar_windows=[(0, 3)], bhar_options={"reps": 199, "seed": 4})
    t = res.bhar_tests.iloc[0]
    x = res.bhar["bhar"].dropna().to_list()
    assert t["t_sa"] == pytest.approx(_lbt_independent(x), rel=1e-12)
    mean, sd = np.mean(x), np.std(x, ddof=1)
    assert t["t"] == pytest.approx(mean / (sd / math.sqrt(len(x))), rel=1e-12)
    assert t["n"] == 4 and math.isnan(t["p_boot"]) and "bootstrap needs" in t["reason"]


# ------------------------------------------------------------ the simulated market


@pytest.fixture(scope="module")
def sim_study():
    from eventstudy import simulate_market

    codes = [f"{600100 + 3 * i}.SS" for i in range(12)] + [
        f"{300100 + 7 * i}.SZ" for i in range(12)
    ]
    rng = np.random.default_rng(3)
    from eventstudy.calendar.sessions import xshg_sessions

    sess = xshg_sessions("2022-06-01", "2023-06-30")
    events = pd.DataFrame(
        {
            "event_id": [f"S{i:02d}" for i in range(24)],
            "ticker": codes,
            "date": sess[rng.integers(0, len(sess), 24)],
            "timing": "pre-open",
        }
    )
    sim = simulate_market(events, seed=5, start="2021-01-04", end="2023-12-29", suspension_rate=3.0)
    res = _fit(
        events,
        sim.panel,
        estimation_window=(-250, -21),
        event_window=(-20, 20),
        min_estimation_days=120,
        car_windows=[(0, 1)],
        bhar_windows=[(0, 60), (2, 60), (0, 1)],
        bhar_options={"reps": 299},
    )
    return sim, res


def test_simulated_bhar_equals_independent_compounding(sim_study):
    sim, res = sim_study
    r = sim.panel.returns
    mkt = r[r["ticker"] == "000300.SS"].set_index("date")["ret"].sort_index()
    sessions = mkt.index
    ev = res.events.set_index("event_id")
    seen_gap = False
    for row in res.bhar.itertuples(index=False):
        if row.status == "excluded":
            continue
        d0 = sessions.get_loc(pd.Timestamp(ev.loc[row.event_id, "day0"]))
        win = sessions[d0 + row.start : d0 + row.end + 1]
        firm = r[r["ticker"] == row.ticker].set_index("date")["ret"].reindex(win)
        g_m = float(np.prod(1.0 + mkt.loc[win].to_numpy()))
        f = firm.to_numpy()
        if row.status == "filled":
            last = int(np.flatnonzero(~np.isnan(f))[-1])
            f = np.where(np.arange(len(f)) > last, mkt.loc[win].to_numpy(), f)
        g_f = float(np.prod(1.0 + f[~np.isnan(f)]))
        assert row.bhar == pytest.approx(g_f - g_m, abs=1e-12)
        seen_gap |= row.status == "gaps"
    assert seen_gap, "the simulated suspensions should put gaps in some windows"


def test_reversal_table_recomputes_from_the_bhar_frame(sim_study):
    _, res = sim_study
    rv = res.reversal.set_index("window")
    assert list(rv.index) == ["[+2,+60]"]
    b = res.bhar
    ini = b[b["window"] == "[0,+1]"].set_index("event_id")["bhar"]
    dr = b[b["window"] == "[+2,+60]"].set_index("event_id")["bhar"]
    both = pd.concat([ini, dr], axis=1, keys=["i", "d"]).dropna()
    r = rv.loc["[+2,+60]"]
    assert r["n"] == len(both)
    assert r["initial_bhar"] == pytest.approx(both["i"].mean(), rel=1e-12)
    assert r["drift_bhar"] == pytest.approx(both["d"].mean(), rel=1e-12)
    assert r["share_of_initial"] == pytest.approx(both["d"].mean() / both["i"].mean())
    opp = (np.sign(both["d"]) == -np.sign(both["i"])).mean()
    assert r["share_opposite"] == pytest.approx(opp)


def test_bhar_in_summary_json_and_outputs(sim_study, tmp_path):
    from eventstudy.report.files import write_outputs

    sim, res = sim_study
    out = write_outputs(res, tmp_path / "o", panel=sim.panel, calendar=sim.events, parameters={})
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    blk = js["bhar"]
    assert blk["benchmark"] == "market" and blk["missing"] == "fill"
    assert [w["window"] for w in blk["windows"]] == [[0, 60], [2, 60], [0, 1]]
    t = res.bhar_tests
    assert [w["t_sa"] for w in blk["windows"]] == pytest.approx(t["t_sa"].tolist(), rel=1e-15)
    assert js["reversal"]["rows"][0]["window"] == [2, 60]
    assert len(pd.read_csv(out / "bhar.csv")) == len(res.bhar)
    assert (out / "reversal.csv").is_file() and (out / "figures" / "bhar.png").is_file()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Long-horizon buy-and-hold abnormal returns" in md
    assert "## Reversal after the initial [0,+1] reaction" in md


def test_bad_bhar_settings_are_clear_errors(hand):
    events, returns, *_ = hand
    with pytest.raises(EventStudyError, match="bhar_benchmark must be one of"):
        _fit(events, returns, bhar_windows=[(0, 5)], bhar_benchmark="index")
    with pytest.raises(EventStudyError, match="bhar_missing must be one of"):
        _fit(events, returns, bhar_windows=[(0, 5)], bhar_missing="drop")
    with pytest.raises(EventStudyError, match="bhar_options takes"):
        _fit(events, returns, bhar_windows=[(0, 5)], bhar_options={"B": 10})
    with pytest.raises(EventStudyError, match="start > end"):
        _fit(events, returns, bhar_windows=[(5, 0)])


def test_cli_bhar_window(hand, tmp_path):
    from eventstudy.cli import main

    events, returns, *_ = hand
    events.to_csv(tmp_path / "cal.csv", index=False)
    returns.to_csv(tmp_path / "ret.csv", index=False)
    args = ["run", "--calendar", str(tmp_path / "cal.csv"), "--returns", str(tmp_path / "ret.csv")]
    args += ["--estimation-window=-60,-11", "--event-window=-5,5", "--min-estimation-days=40"]
    args += ["--no-leakage", "--bhar-window=0,10", "--bhar-window=2,10", "--bhar-reps=199"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--out", str(tmp_path / "o")]) == 0
        assert main([*args, "--bhar-reps=5", "--out", str(tmp_path / "p")]) == 2
    js = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert js["config"]["bhar"]["windows"] == [[0, 10], [2, 10]]
    assert js["reversal"]["initial_window"] == [0, 1]  # added for the reversal table
    assert [w["window"] for w in js["bhar"]["windows"]] == [[0, 1], [0, 10], [2, 10]]


# ------------------------------------------------------------ specification (LBT 1999)


def test_bhar_specification_small_seeded_run():
    from eventstudy.specification_longrun import bhar_specification

    kw = dict(window=(0, 250), reps=299, n_firms=150, start="2018-01-02", seed=0)
    res = bhar_specification(300, 50, **kw)
    t = res.table(0.10).set_index("test")
    assert res.trials["skewness"].mean() > 0.3  # long-horizon BHARs are right-skewed
    # the conventional t rejects more in the lower than in the upper tail ...
    assert t.loc["t", "lower"] > t.loc["t", "upper"]
    # ... and the bootstrap balances the tails better
    gap = {k: abs(t.loc[k, "lower"] - t.loc[k, "upper"]) for k in t.index}
    assert gap["bootstrap_lbt"] < gap["t"]
    # same seed, any block size: the same numbers
    again = bhar_specification(40, 50, block=7, **kw)
    first = bhar_specification(40, 50, block=50, **kw)
    pd.testing.assert_frame_equal(again.rates, first.rates)
    pd.testing.assert_frame_equal(again.trials, first.trials)
    with pytest.raises(EventStudyError, match="events must be an integer >= 12"):
        bhar_specification(10, 8)


@pytest.mark.slow
def test_bhar_specification_reproduces_lbt_1999():
    """1000 samples of 50 events over [0,+250]: docs/groups_and_longrun.md, size table."""
    from eventstudy.specification_longrun import bhar_specification

    res = bhar_specification(1000, 50, window=(0, 250), reps=1000, seed=0)
    r = res.rates[np.isclose(res.rates["level"], 0.05)].set_index(["test", "tail"])
    se = float(np.sqrt(0.025 * 0.975 / 1000))
    assert r.loc[("t", "lower"), "rate"] > 0.025 + 2 * se  # too many rejections below
    assert r.loc[("t", "upper"), "rate"] < 0.025 - 2 * se  # too few above
    for tail in ("lower", "upper"):
        assert abs(r.loc[("bootstrap_lbt", tail), "rate"] - 0.025) < 2.5 * se


def test_cli_simulate_bhar_window(tmp_path):
    from eventstudy.cli import main

    args = ["simulate", "--bhar-window=0,60", "--trials", "20", "--events", "24"]
    args += ["--n-firms", "60", "--bootstrap-reps", "199"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 0
    rates = pd.read_csv(tmp_path / "o" / "bhar_rejection_rates.csv")
    assert set(rates["test"]) == {"t", "skew_t_lbt", "bootstrap_lbt"}
    assert main([*args, "--effect", "0.01", "--out", str(tmp_path / "p")]) == 2
