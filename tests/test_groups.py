"""Groups: per-group AAR/CAAR with every test, and the tests of group differences."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from helpers import make_events, make_panel
from scipy import stats

from eventstudy import EventStudy, EventStudyError
from eventstudy.groups import MISSING_GROUP, group_labels

CFG = dict(
    estimation_window=(-120, -11),
    event_window=(-5, 5),
    car_windows=[(-5, -1), (0, 0), (0, 1), (-5, 5)],
    min_estimation_days=60,
    leakage=False,
    calendar_time=False,
    test_options={"bootstrap": {"reps": 199, "seed": 3}},
)


def _fit(events: pd.DataFrame, returns: pd.DataFrame, **kw: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events, returns, **{**CFG, **kw}).fit()


@pytest.fixture(scope="module")
def data():
    returns, tickers = make_panel(n_firms=30, n_days=420, seed=11)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 30, seed=5, lo=200, hi=400)
    rng = np.random.default_rng(2)
    kinds = np.array(["entry"] * 14 + ["termination"] * 8 + ["follow-up"] * 6 + [None] * 2)
    ev["event_type"] = rng.permutation(kinds)
    ev["x"] = rng.normal(size=len(ev))
    # plant a difference: entries +6% on day 0, terminations -4%
    plant = {"entry": 0.06, "termination": -0.04}
    d0 = {e: d for e, d in zip(ev["event_id"], ev["date"], strict=True)}
    ret = returns.set_index(["date", "ticker"])["ret"].copy()
    for eid, tk, kind in zip(ev["event_id"], ev["ticker"], ev["event_type"], strict=True):
        if kind in plant:
            ret.loc[(d0[eid], tk)] += plant[kind]
    returns = ret.reset_index()
    res = _fit(ev, returns, groups="event_type")
    return ev, returns, res


def _same(a: pd.Series, b: pd.Series) -> None:
    np.testing.assert_allclose(
        a.to_numpy(dtype=float), b.to_numpy(dtype=float), rtol=1e-12, atol=1e-14, equal_nan=True
    )


def test_by_returns_the_configured_groups_and_caar_frame(data):
    _, _, res = data
    g = res.by("event_type")
    assert g is res.groups
    assert {"group", "window", "caar", "n", "t", "p_csect_t", "p_bootstrap"} <= set(g.caar.columns)
    assert list(g.order) == ["entry", "termination", "follow-up", MISSING_GROUP]
    assert g.caar["window"].iloc[:4].tolist() == ["[-5,-1]", "[0,0]", "[0,+1]", "[-5,+5]"]
    assert g.counts.set_index("group")["n_events"].sum() == res.n_included


@pytest.mark.parametrize("group", ["entry", "termination", "follow-up"])
def test_group_numbers_equal_the_study_on_the_group_alone(data, group):
    ev, returns, res = data
    sub = _fit(ev[ev["event_type"] == group], returns)
    g = res.groups
    caar = g.group(group)
    _same(caar["caar"], sub.caar["caar"])
    assert caar["n"].tolist() == sub.caar["n"].tolist()
    aar = g.aar[g.aar["group"] == group].reset_index(drop=True)
    _same(aar["aar"], sub.aar["aar"])
    t_grp = g.tests[g.tests["group"] == group].drop(columns="group").reset_index(drop=True)
    t_sub = sub.tests
    assert t_grp["test"].tolist() == t_sub["test"].tolist()
    for col in ("stat", "pvalue", "df"):
        _same(t_grp[col], t_sub[col])
    assert t_grp["nobs"].tolist() == t_sub["nobs"].tolist()


def test_group_bhar_equals_the_study_on_the_group_alone(data):
    ev, returns, _ = data
    kw = dict(bhar_windows=[(0, 1), (2, 10)], bhar_options={"reps": 199, "seed": 5})
    res = _fit(ev, returns, groups="event_type", **kw)
    sub = _fit(ev[ev["event_type"] == "termination"], returns, **kw)
    got = res.groups.bhar
    got = got[got["group"] == "termination"].drop(columns="group").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, sub.bhar_tests)
    rv = res.groups.reversal
    rv = rv[rv["group"] == "termination"].drop(columns="group").reset_index(drop=True)
    pd.testing.assert_frame_equal(rv, sub.reversal)
    blk = res.to_dict()["groups"]
    assert [g["group"] for g in blk["bhar"]] == list(res.groups.order)
    assert any("BHAR by event_type" in t for t, _ in res.summary().tables)


def test_missing_values_form_their_own_group_left_out_of_the_comparison(data):
    ev, returns, res = data
    g = res.groups
    n_miss = int(ev["event_type"].isna().sum())
    assert g.n_missing == n_miss
    assert g.counts.set_index("group").loc[MISSING_GROUP, "n_events"] == n_miss
    d = g.difference
    assert MISSING_GROUP not in set(d["group"].dropna()) | set(d["reference"].dropna())
    assert any(MISSING_GROUP in n and "left out" in n for n in g.notes())
    labels, order, k = group_labels(pd.Series(["a", None, "", "b", "a"]), "c")
    assert k == 2 and order == ["a", "b", MISSING_GROUP]
    assert labels.tolist() == ["a", MISSING_GROUP, MISSING_GROUP, "b", "a"]


def test_difference_tests_equal_scipy_and_statsmodels_on_exported_cars(data):
    _, _, res = data
    car = res.car
    car = car[(car["start"] == 0) & (car["end"] == 1)][["event_id", "car"]]
    frame = car.merge(res.events[["event_id", "event_type"]], on="event_id")
    frame = frame[frame["event_type"].notna()]
    x = {k: v["car"].to_numpy() for k, v in frame.groupby("event_type")}
    d = res.groups.difference
    d = d[(d["start"] == 0) & (d["end"] == 1)].set_index(["test", "comparison"])
    w = stats.ttest_ind(x["termination"], x["entry"], equal_var=False)
    row = d.loc[("welch_t", "termination - entry")]
    assert row["stat"] == pytest.approx(w.statistic, rel=1e-12)
    assert row["pvalue"] == pytest.approx(w.pvalue, rel=1e-12)
    assert row["df"] == pytest.approx(w.df, rel=1e-12)
    assert row["estimate"] == pytest.approx(x["termination"].mean() - x["entry"].mean())
    u = stats.mannwhitneyu(x["follow-up"], x["entry"], alternative="two-sided")
    row = d.loc[("rank_sum", "follow-up - entry")]
    assert row["stat"] == pytest.approx(u.statistic) and row["pvalue"] == pytest.approx(u.pvalue)
    kw = stats.kruskal(x["entry"], x["termination"], x["follow-up"])
    row = d.loc[("kruskal", "all groups")]
    assert row["stat"] == pytest.approx(kw.statistic) and row["pvalue"] == pytest.approx(kw.pvalue)
    fit = smf.ols(
        "car ~ C(event_type, Treatment(reference='entry'))", data=frame.reset_index(drop=True)
    ).fit(cov_type="HC3", use_t=True)
    term = "C(event_type, Treatment(reference='entry'))[T.termination]"
    row = d.loc[("regression", "termination - entry")]
    assert row["estimate"] == pytest.approx(fit.params[term], rel=1e-10)
    assert row["stat"] == pytest.approx(fit.tvalues[term], rel=1e-10)
    assert row["pvalue"] == pytest.approx(fit.pvalues[term], rel=1e-10)
    assert row["df"] == fit.df_resid
    wald = fit.wald_test(np.eye(3)[1:], use_f=True, scalar=True)
    row = d.loc[("regression_wald", "all groups")]
    assert row["stat"] == pytest.approx(float(wald.statistic), rel=1e-10)
    # the planted difference (terminations -4%, entries +6% on day 0) is found
    assert d.loc[("welch_t", "termination - entry")]["pvalue"] < 0.01


def test_two_groups_have_no_joint_tests_and_tiny_groups_are_named(data):
    ev, returns, _ = data
    ev2 = ev.assign(kind=np.where(ev["event_type"] == "entry", "entry", "other"))
    ev2.loc[ev2.index[ev2["event_type"].isna()][:1], "kind"] = "single"
    res = _fit(ev2, returns)
    g = res.by("kind", characteristics=None)
    d = g.difference
    assert set(d["test"]) == {"welch_t", "rank_sum", "regression", "left_out"}
    tiny = d[d["group"] == "single"]
    assert tiny["test"].tolist() == ["left_out"] * 4
    assert tiny["reason"].str.contains("left out of the difference tests").all()


def test_group_by_characteristics_and_board(data):
    ev, returns, res = data
    chars = pd.DataFrame(
        {"event_id": ev["event_id"], "size": np.where(np.arange(len(ev)) % 2, "big", "small")}
    )
    g = res.by("size", characteristics=chars)
    assert set(g.order) == {"big", "small"}
    assert res.by("board").order == ("sse_main",)


def test_bad_group_columns_are_clear_errors(data):
    ev, returns, res = data
    with pytest.raises(EventStudyError, match="no column 'nope' to group by; columns"):
        res.by("nope")
    with pytest.raises(EventStudyError, match="holds continuous numbers"):
        _fit(ev, returns, groups="x")
    with pytest.raises(EventStudyError, match="distinct values"):
        res.by("event_id")
    with pytest.raises(EventStudyError, match="headline 'merger' is not a value of 'event_type'"):
        _fit(ev, returns, groups="event_type", headline="merger")
    with pytest.raises(EventStudyError, match="needs groups=COLUMN"):
        _fit(ev, returns, headline="entry")


def test_groups_in_summary_json_report_and_csv(data, tmp_path):
    from eventstudy.report.files import write_outputs

    ev, returns, _ = data
    res = _fit(ev, returns, groups="event_type", headline="entry")
    s = res.summary()
    assert s.tables[0][0].startswith("Headline: event_type == 'entry'")
    assert any("pooled over event_type" in t for t, _ in s.tables)
    assert s.notes[0].startswith("entry (event_type): ")
    out = write_outputs(res, tmp_path / "o", panel=None, calendar=ev, parameters={})
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    blk = js["groups"]
    assert blk["column"] == "event_type" and blk["reference"] == "entry"
    entry = next(x for x in blk["groups"] if x["group"] == "entry")
    caar = res.groups.group("entry")
    assert [c["caar"] for c in entry["caar"]] == pytest.approx(caar["caar"].tolist(), rel=1e-15)
    assert entry["caar"][2]["tests"]["csect_t"]["pvalue"] == pytest.approx(
        caar["p_csect_t"].iloc[2], rel=1e-15
    )
    assert js["headline"]["group"] == "entry" and js["headline"]["caar"] == entry["caar"]
    assert {d["test"] for d in blk["difference"]} >= {"welch_t", "rank_sum", "regression"}
    csv = pd.read_csv(out / "groups.csv")
    assert len(csv) == len(res.groups.caar)
    assert (out / "group_differences.csv").is_file()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Headline: event_type == 'entry'" in md
    assert "## Groups by event_type" in md and "figures/groups_caar.png" in md
    assert md.index("## Headline") < md.index("## All events pooled over event_type")


def test_cli_group_by(tmp_path):
    from eventstudy.cli import main

    returns, tickers = make_panel(n_firms=10, n_days=420, seed=4)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 10, seed=2, lo=200, hi=400)
    ev["kind"] = ["a", "b"] * 5
    ev.to_csv(tmp_path / "cal.csv", index=False)
    returns.to_csv(tmp_path / "ret.csv", index=False)
    args = ["run", "--calendar", str(tmp_path / "cal.csv"), "--returns", str(tmp_path / "ret.csv")]
    args += ["--estimation-window=-120,-11", "--event-window=-5,5", "--no-leakage"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--group-by", "kind", "--out", str(tmp_path / "o")]) == 0
        assert main([*args, "--group-by", "nope", "--out", str(tmp_path / "p")]) == 2
    js = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert js["config"]["groups"] == "kind" and js["groups"]["column"] == "kind"


@pytest.mark.slow
def test_difference_tests_hold_their_size_under_the_null():
    from eventstudy.groups import difference_tests

    rng = np.random.default_rng(12)
    reps = 1000
    rej = {"welch_t": 0, "rank_sum": 0, "regression": 0}
    for _ in range(reps):
        # equal means, unequal variances and group sizes (Welch's setting): no difference
        a = rng.normal(0.1, 0.05, 16)
        b = rng.normal(0.1, 0.10, 8)
        d = difference_tests({"a": a, "b": b}, ["a", "b"], (0, 1)).set_index("test")
        for k in rej:
            rej[k] += bool(d.loc[k, "pvalue"] < 0.05)
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(rej["welch_t"] / reps - 0.05) < 3 * se
    assert abs(rej["regression"] / reps - 0.05) < 4 * se  # HC3 with 24 events: near nominal
    # the rank-sum test's null is equal distributions (not met with unequal variances)
    assert rej["rank_sum"] / reps < 0.12


@pytest.mark.slow
def test_flagship_demo_pooled_over_seeds_recovers_the_planted_signs():
    """The flagship study on several simulated markets: each event type's pooled
    CAAR[0,+1] has the sign of the effect the simulator planted on those events."""
    from eventstudy import load_calendar, simulate_market

    cal = load_calendar("compute-leasing")
    cars, planted = [], []
    for seed in (1, 2, 3, 4):
        sim = simulate_market(cal, seed=seed)
        res = _fit(
            cal,
            sim.panel,
            estimation_window=(-250, -21),
            event_window=(-20, 20),
            car_windows=[(0, 1)],
            min_estimation_days=120,
            groups="event_type",
            tests=["csect_t"],
        )
        c = res.car[res.car["window"] == "[0,+1]"][["event_id", "car"]]
        c = c.merge(res.events[["event_id", "event_type", "player_type"]], on="event_id")
        cars.append(c.assign(seed=seed))
        planted.append(sim.truth_events[["event_id", "effect"]].assign(seed=seed))
    allc = pd.concat(cars).merge(pd.concat(planted), on=["event_id", "seed"], how="left")
    allc["effect"] = allc["effect"].fillna(0.0)
    by = allc.groupby("event_type")[["car", "effect"]].mean()
    for kind, row in by.iterrows():
        if abs(row["effect"]) > 0.02:
            assert np.sign(row["car"]) == np.sign(row["effect"]), (kind, row.to_dict())
    # player types among the entries: where the simulator planted a difference (it
    # scales the effect by player type), the pooled test finds it, with its sign
    pt = allc[
        (allc["event_type"] == "entry")
        & allc["player_type"].isin(
            ["cross-border entrant", "firm with IDC build/operation capability"]
        )
    ]
    planted_diff = pt.groupby("player_type")["effect"].mean().diff().iloc[-1]
    from eventstudy.groups import difference_tests

    vals = {k: v["car"].to_numpy() for k, v in pt.groupby("player_type")}
    d = difference_tests(vals, sorted(vals), (0, 1)).set_index("test")
    assert abs(planted_diff) > 0.03  # the simulator scales IDC-capable firms' effects by 0.5
    assert d.loc["welch_t", "pvalue"] < 0.05
    assert np.sign(d.loc["welch_t", "estimate"]) == np.sign(planted_diff)


def test_question_blocks_round_trip_through_the_reproduce_settings(data, tmp_path):
    """summary.json's config holds everything needed to recompute every question block."""
    from eventstudy.questions_io import reproduce_kwargs
    from eventstudy.report.files import write_json, write_outputs

    ev, returns, _ = data
    chars = ev[["event_id", "x"]].rename(columns={"x": "lev"})
    kw = dict(
        groups="event_type",
        headline="entry",
        overlap="first",
        bhar_windows=[(0, 5), (2, 10)],
        bhar_benchmark="model",
        bhar_missing="truncate",
        bhar_options={"reps": 199, "seed": 9, "fraction": 0.5},
        cross_section=[{"formula": "car ~ lev", "cov_type": "cluster", "cluster": "ticker"}],
        characteristics=chars,
    )
    res = _fit(ev.drop(columns="x"), returns, **kw)
    out = write_outputs(res, tmp_path / "o", panel=None, calendar=ev, parameters={})
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    again = reproduce_kwargs(js["config"], out / "data")
    assert set(again) == set(kw)
    res2 = _fit(ev.drop(columns="x"), returns, **again)
    write_json(tmp_path / "again.json", res2.to_dict())
    js2 = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    for block in ("groups", "headline", "bhar", "reversal", "overlap", "cross_section"):
        assert js2[block] == js[block], block
