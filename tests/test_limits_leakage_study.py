"""Limit-aware CARs and leakage flags against the simulator's planted truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.market import boards_of, limit_fractions

SEEDS = range(101, 121)  # not the seeds 1..8 the flag's rule set was chosen on


def _run(seed: int) -> tuple[es.EventStudyResults, pd.DataFrame]:
    cal = es.load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(cal, sim.panel, tests=["csect_t"], calendar_time=False).fit()
    ev = res.events[res.events["status"] == "included"].merge(
        sim.truth_events[["event_id", "leaky", "effect"]], on="event_id"
    )
    c01 = res.car[res.car["window"] == "[0,+1]"].set_index("event_id")["car"]
    ev["car_0_1"] = ev["event_id"].map(c01)
    return res, ev


@pytest.fixture(scope="module")
def pooled() -> pd.DataFrame:
    return pd.concat([_run(s)[1].assign(seed=s) for s in SEEDS], ignore_index=True)


def test_leakage_flags_catch_planted_leaks_with_few_false_flags(pooled):
    known = pooled["leak_flag"].notna()
    flag = pooled["leak_flag"].fillna(False).astype(bool)
    leaky = pooled["leaky"].astype(bool)
    good = pooled["effect"] > 0  # the flag looks for run-ups; bad news leaks as a fall
    detected = flag[leaky & known & good].mean()
    false = flag[~leaky & known].mean()
    assert detected >= 0.80, detected
    assert false <= 0.10, false


def _capped_sum(effect: pd.Series, limit: np.ndarray) -> np.ndarray:
    """The planted (compounded) jump as a sum of simple returns under the limit:
    k full limit days and the rest, (1+E) = (1+L)^k (1+r), so 0.30 on a 10% board
    is 0.1 + 0.1 + 0.074 = 0.274 (docs/simulation.md)."""
    g = np.log1p(effect.to_numpy())
    k = np.floor(g / np.log1p(limit))
    return k * limit + (np.exp(g) / (1.0 + limit) ** k - 1.0)


def test_limit_aware_car_recovers_the_effect_plain_car_understates(pooled):
    big = pooled[pooled["effect"] >= 0.15]
    assert len(big) > 200
    limit = limit_fractions(boards_of(big["ticker"]).to_numpy(), big["day0"].to_numpy())
    assert big["effect"].mean() - big["car_0_1"].mean() > 0.02  # CAR[0,+1] understates
    # on the scale of summed simple returns the limit-aware CAR recovers the jump
    target = _capped_sum(big["effect"], limit).mean()
    gap_plain = target - big["car_0_1"].mean()
    gap_limit = target - big["car_limit"].mean()
    assert abs(gap_limit) < gap_plain / 2
    # big reactions show as limit-up streaks
    assert big["limit_ups_0_4"].mean() > 1.0
    assert (big["first_open_day"] >= 1).mean() > 0.5


def test_events_and_car_files_carry_the_contract_columns(tmp_path):
    from eventstudy.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    ev = pd.read_csv(out / "events.csv")
    for col in ("limit_ups_0_4", "first_open_day", "car_limit", "leak_flag", "leak_rules"):
        assert col in ev.columns, col
    inc = ev[ev["status"] == "included"]
    car = pd.read_csv(out / "car.csv")
    lim = car[car["window"] == "limit"].set_index("event_id")
    assert (lim["start"] == 0).all()
    both = inc.set_index("event_id").join(lim, how="inner")
    np.testing.assert_array_equal(both["end"], both["first_open_day"])
    np.testing.assert_allclose(both["car"], both["car_limit"], rtol=1e-12)
    flagged = inc[inc["leak_flag"] == True]  # noqa: E712
    assert len(flagged) and flagged["leak_rules"].str.contains("placebo p").all()


def test_another_announcement_in_the_pre_window_is_not_called_leakage():
    res, ev = _run(101)
    e33 = ev.set_index("event_id").loc["E033"]
    # E032 is the same firm's announcement one session earlier
    assert e33["other_event_pre"] == "E032"
    assert pd.isna(e33["leak_flag"]) and e33["leak_rules"].startswith("not assessed")


def test_placebo_sets_the_threshold_not_the_truth():
    res, _ = _run(102)
    lk = res.to_dict()["leakage"]
    placebo = res.placebo
    assert lk["n_placebo"] == len(placebo) > 500
    # the flag fires on at most alpha of the placebo events (family-wise over the rules)
    p = np.column_stack(
        [
            (1 + (placebo[c].to_numpy()[None, :] >= placebo[c].to_numpy()[:, None]).sum(1) - 1)
            / len(placebo)
            for c in ("runup_score", "limit_ups_m5_m1")
        ]
    )
    assert (p.min(axis=1) <= lk["threshold_p"]).mean() <= lk["alpha"] + 1e-12


def test_returns_only_data_has_no_limit_columns_but_leakage_runs():
    cal = es.load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(cal, sim.panel.returns, tests=["csect_t"]).fit()
    assert "limit_ups_0_4" not in res.events.columns
    assert res.limit_window.empty
    lk = res.leakage
    assert lk["limit_ups_m5_m1"].isna().all() and lk["abnormal_volume"].isna().all()
    # without volume the run-up score is the standardised CAR[-5,-1]
    np.testing.assert_allclose(lk["runup_score"], lk["scar_m5_m1"])


def test_cli_limit_and_leakage_options(tmp_path):
    import json

    from eventstudy.cli import main

    st = tmp_path / "st.csv"
    st.write_text("ticker,start,end\n600186.SH,2020-01-01,\n", encoding="utf-8")
    out = tmp_path / "o"
    rc = main(
        [
            "demo",
            "--out",
            str(out),
            "--st",
            str(st),
            "--exclude-limit-days",
            "--leak-alpha",
            "0.1",
            "--placebo-per-firm",
            "50",
        ]
    )
    assert rc == 0
    cfg = json.loads((out / "summary.json").read_text(encoding="utf-8"))["config"]
    assert cfg["exclude_limit_days"] is True and cfg["st_periods"] == 1
    assert cfg["leakage"]["alpha"] == 0.1 and cfg["leakage"]["placebo_per_firm"] == 50
    out2 = tmp_path / "o2"
    assert main(["demo", "--out", str(out2), "--no-leakage"]) == 0
    summ = json.loads((out2 / "summary.json").read_text(encoding="utf-8"))
    assert summ["leakage"] is None
    assert main(["demo", "--out", str(tmp_path / "o3"), "--leak-alpha", "1.5"]) == 2


def test_excluding_limit_days_changes_only_affected_events():
    cal = es.load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=7)
    kw = dict(tests=["csect_t"], calendar_time=False, leakage=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = es.EventStudy(cal, sim.panel, **kw).fit().events.set_index("event_id")
        b = es.EventStudy(cal, sim.panel, exclude_limit_days=True, **kw).fit()
    b = b.events.set_index("event_id")
    inc = a["status"] == "included"
    hit = inc & (a["n_limit_days_est"] > 0)
    clean = inc & (a["n_limit_days_est"] == 0)
    assert hit.any() and clean.any()
    np.testing.assert_allclose(a.loc[clean, "beta"], b.loc[clean, "beta"], rtol=1e-12)
    assert (
        (a.loc[hit, "n_estimation"] - b.loc[hit, "n_estimation"])
        .eq(a.loc[hit, "n_limit_days_est"])
        .all()
    )
