"""Overlapping events of one firm: keep and name them, keep the first, or drop them all."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import make_panel

from eventstudy import EventStudy, EventStudyError
from eventstudy.overlap import find_overlaps, overlap_step
from eventstudy.results import reason_category
from eventstudy.study import EXCLUSION_REASONS
from eventstudy.windows import Window

CFG = dict(
    estimation_window=(-120, -21),
    event_window=(-10, 10),
    car_windows=[(0, 1)],
    min_estimation_days=60,
    leakage=False,
    calendar_time=False,
    tests=["csect_t"],
)


@pytest.fixture(scope="module")
def panel():
    returns, tickers = make_panel(n_firms=4, n_days=400, seed=3)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    # event window [-10, +10]. Firm 0: A at 200, B one session later, C 10 sessions
    # after B (in B's window, not in A's); firm 1: D and E 10 sessions apart (the
    # window's edge); firm 2: F alone; firm 3: G and H 11 sessions apart (no overlap)
    rows = [
        ("A", 0, 200),
        ("B", 0, 201),
        ("C", 0, 211),
        ("D", 1, 250),
        ("E", 1, 260),
        ("F", 2, 250),
        ("G", 3, 300),
        ("H", 3, 311),
    ]
    ev = pd.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "ticker": [tickers[r[1]] for r in rows],
            "date": [dates[r[2]] for r in rows],
            "timing": "pre-open",
        }
    )
    return ev, returns


def _fit(ev, returns, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(ev, returns, **{**CFG, **kw}).fit()


def test_keep_names_every_overlap_and_excludes_nothing(panel):
    ev, returns = panel
    res = _fit(ev, returns)
    assert res.n_included == len(ev)
    ow = res.events.set_index("event_id")["overlaps_with"].to_dict()
    assert ow == {"A": "B", "B": "A;C", "C": "B", "D": "E", "E": "D", "F": "", "G": "", "H": ""}
    pairs = res.overlaps
    assert pairs[["event_id", "other", "sessions_apart"]].values.tolist() == [
        ["A", "B", 1],
        ["B", "C", 10],
        ["D", "E", 10],
    ]
    assert res.to_dict()["overlap"]["policy"] == "keep"


def test_first_excludes_later_events_inside_a_kept_window(panel):
    ev, returns = panel
    res = _fit(ev, returns, overlap="first")
    led = res.events.set_index("event_id")
    assert led.loc["B", "status"] == "excluded"
    assert led.loc["B", "reason"] == (
        "overlaps an earlier event of the firm (A, day 0 1 trading days earlier; overlap='first')"
    )
    assert (
        led.loc["E", "status"] == "excluded"
        and "(D, day 0 10 trading days" in led.loc["E", "reason"]
    )
    # C lies in B's window, but B is not kept and C is 11 sessions after A
    assert led.loc["C", "status"] == "included"
    assert led.loc[["A", "D", "F", "G", "H"], "status"].eq("included").all()
    by = res.to_dict()["events"]["excluded_by_reason"]
    assert by == {"overlaps an earlier event of the firm": 2}


def test_drop_all_excludes_both_events_of_a_pair(panel):
    ev, returns = panel
    res = _fit(ev, returns, overlap="drop-all")
    led = res.events.set_index("event_id")
    out = sorted(led.index[led["status"] == "excluded"])
    assert out == ["A", "B", "C", "D", "E"]
    assert led.loc["B", "reason"] == "overlaps another event of the firm (A;C; overlap='drop-all')"
    assert reason_category(led.loc["B", "reason"]) == "overlaps another event of the firm"


def test_reasons_are_documented_and_bad_policy_is_an_error(panel):
    ev, returns = panel
    assert {"overlap_first", "overlap_all"} <= set(EXCLUSION_REASONS)
    with pytest.raises(
        EventStudyError, match=r"overlap must be one of \['keep', 'first', 'drop-all'\]"
    ):
        _fit(ev, returns, overlap="last")


def test_find_overlaps_window_reach():
    tk = np.array([0, 0, 0, 1], dtype=np.int64)
    d0 = np.array([10, 30, 36, 10], dtype=np.int64)
    active = np.ones(4, dtype=bool)
    # asymmetric window: the reach is max(end, -start) = 20
    got = find_overlaps(tk, d0, active, Window(-20, 5))
    assert got[["i", "j", "apart"]].values.tolist() == [[0, 1, 20], [1, 2, 6]]
    active[1] = False
    assert find_overlaps(tk, d0, active, Window(-20, 5)).values.tolist() == []
    out = overlap_step(
        "first", np.array(["a", "b", "c", "d"], dtype=object), np.array(["x"] * 4, dtype=object),
        tk, d0, np.zeros(4, dtype=bool), Window(-20, 5),
    )  # fmt: skip
    assert out.exclude.tolist() == [False, True, False, False]


def test_flagship_overlap_e032_e033(tmp_path):
    from eventstudy import load_calendar, simulate_market

    cal = load_calendar("compute-leasing")
    sim = simulate_market(cal, seed=1)
    res = _fit(cal, sim.panel, estimation_window=(-250, -21), event_window=(-20, 20),
               min_estimation_days=120)  # fmt: skip
    ow = res.events.set_index("event_id")["overlaps_with"]
    assert "E033" in ow["E032"].split(";") and "E032" in ow["E033"].split(";")
    first = _fit(cal, sim.panel, estimation_window=(-250, -21), event_window=(-20, 20),
                 min_estimation_days=120, overlap="first")  # fmt: skip
    led = first.events.set_index("event_id")
    assert led.loc["E033", "status"] == "excluded" and "(E032," in led.loc["E033", "reason"]


def test_cli_overlap_and_report(panel, tmp_path):
    from eventstudy.cli import main

    ev, returns = panel
    ev.to_csv(tmp_path / "cal.csv", index=False)
    returns.to_csv(tmp_path / "ret.csv", index=False)
    args = ["run", "--calendar", str(tmp_path / "cal.csv"), "--returns", str(tmp_path / "ret.csv")]
    args += ["--estimation-window=-120,-21", "--event-window=-10,10", "--no-leakage"]
    args += ["--min-estimation-days=60"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--overlap", "first", "--out", str(tmp_path / "o")]) == 0
        assert main([*args, "--out", str(tmp_path / "k")]) == 0
    js = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert js["config"]["overlap"] == "first" and js["overlap"]["excluded"] == 2
    led = pd.read_csv(tmp_path / "o" / "events.csv", keep_default_na=False)
    assert led.set_index("event_id").loc["B", "overlaps_with"] == "A;C"
    md = (tmp_path / "k" / "report.md").read_text(encoding="utf-8")
    assert "## Overlapping events of one firm" in md
    assert pd.read_csv(tmp_path / "k" / "overlaps.csv")["event_id"].tolist() == ["A", "B", "D"]
