"""Planted effects by event type and player type in the simulator (issue 10, item 1)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from eventstudy.calendar import load_calendar
from eventstudy.calendar.sessions import xshg_sessions
from eventstudy.data.simulate import (
    DEFAULT_PLAYER_SCALE,
    DEFAULT_TYPE_EFFECTS,
    Simulation,
    simulate_market,
)
from eventstudy.exceptions import EventStudyError

START, END = "2022-01-04", "2023-12-29"
SESSIONS = xshg_sessions(START, END)
TICKERS = ["600186.SS", "603629.SS", "000628.SZ", "002229.SZ", "300657.SZ", "688041.SS"]
TYPES = ["entry", "follow-up", "termination", "scale-back"]
PLAYERS = ["cross-border entrant", "firm with IDC build/operation capability", "unclear"]
RANGES = {"entry": (0.08, 0.30), **DEFAULT_TYPE_EFFECTS}


def _typed_events(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "event_id": [f"T{i:03d}" for i in range(n)],
            "ticker": [TICKERS[i % len(TICKERS)] for i in range(n)],
            "date": SESSIONS[rng.integers(30, len(SESSIONS) - 70, size=n)],
            "event_type": [TYPES[i % 4] for i in range(n)],
            "player_type": [PLAYERS[(i // 4) % 3] for i in range(n)],
        }
    )


def _sim(events: pd.DataFrame, **kw: object) -> Simulation:
    args: dict = {"seed": 3, "start": START, "end": END, "suspension_rate": 0.0}
    args.update(kw)
    return simulate_market(events, **args)


@pytest.fixture(scope="module")
def typed() -> Simulation:
    return _sim(_typed_events(), leak_share=0.5, reversal_share=0.5)


# --------------------------------------------------------------------------- the truth frame


def test_truth_events_carry_types_and_planted_effects(typed: Simulation) -> None:
    te = typed.truth_events.set_index("event_id")
    ev = _typed_events().set_index("event_id").loc[te.index]
    assert (te["event_type"] == ev["event_type"]).all()
    assert (te["player_type"] == ev["player_type"]).all()
    assert set(te["board"]) == {"main", "ChiNext", "STAR"}
    expected_scale = ev["player_type"].map(lambda p: DEFAULT_PLAYER_SCALE.get(p, 1.0))
    np.testing.assert_array_equal(te["player_scale"], expected_scale)
    wide = typed.truth.pivot(index="event_id", columns="tau", values="planted_ar").loc[te.index]
    np.testing.assert_allclose(te["effect_day0"], wide[0])
    np.testing.assert_allclose(te["effect"], wide[0] + wide[1])
    np.testing.assert_allclose(te["reversal"], wide.loc[:, 21:60].sum(axis=1))


@pytest.mark.parametrize("etype", TYPES)
def test_each_type_planted_in_its_range(typed: Simulation, etype: str) -> None:
    te = typed.truth_events[typed.truth_events["event_type"] == etype]
    assert len(te) == 60
    lo, hi = RANGES[etype]
    base = te["effect"] / te["player_scale"]  # the draw before the player scale
    assert base.between(lo - 1e-12, hi + 1e-12).all()
    assert base.max() - base.min() > 0.5 * (hi - lo)  # spread over the range, not one value


def test_signs_fit_the_type(typed: Simulation) -> None:
    te = typed.truth_events
    sign = te["event_type"].map({"entry": 1, "follow-up": 1, "termination": -1, "scale-back": -1})
    assert (np.sign(te["effect"]) == sign).all()
    assert (np.sign(te["effect_day0"]) == sign).all()
    leaky = te["leaky"]
    assert leaky.sum() == 120
    assert (np.sign(te.loc[leaky, "drift"]) == sign[leaky]).all()  # bad news leaks as a fall
    assert te.loc[leaky, "drift"].abs().between(0.06, 0.15).all()
    rev = te["reversal"] != 0
    assert rev.sum() == 120
    assert (np.sign(te.loc[rev, "reversal"]) == -sign[rev]).all()  # gives part of it back
    entries = te.loc[te["event_type"] == "entry", "effect"].mean()
    follow = te.loc[te["event_type"] == "follow-up", "effect"].mean()
    assert entries > 2 * follow > 0  # follow-ups are smaller good news


def test_player_difference_is_the_scale_on_the_same_draws(typed: Simulation) -> None:
    flat = _sim(_typed_events(), leak_share=0.5, reversal_share=0.5, player_scale={})
    a = typed.truth_events.set_index("event_id")
    b = flat.truth_events.set_index("event_id")
    assert (b["player_scale"] == 1.0).all()
    np.testing.assert_allclose(a["effect"], b["effect"] * a["player_scale"], rtol=1e-14)
    idc = a["player_type"] == "firm with IDC build/operation capability"
    assert (a.loc[idc, "player_scale"] == 0.5).all()
    assert (a.loc[~idc, "player_scale"] == 1.0).all()
    entry = a["event_type"] == "entry"
    cbe = a["player_type"] == "cross-border entrant"
    assert a.loc[entry & cbe, "effect"].mean() > 1.5 * a.loc[entry & idc, "effect"].mean()
    # with no planted difference the two groups draw from one distribution
    gap = b.loc[entry & cbe, "effect"].mean() - b.loc[entry & idc, "effect"].mean()
    assert abs(gap) < 0.05


def test_configurable_ranges_and_scales() -> None:
    ev = _typed_events(40).assign(event_type=["merger", "entry"] * 20, player_type="SOE")
    s = _sim(
        ev,
        type_effects={"merger": (-0.02, -0.02)},
        player_scale={"SOE": 2.0},
        effect_range=(0.1, 0.1),
        leak_share=0.0,
    )
    te = s.truth_events.set_index("event_id")
    np.testing.assert_allclose(te.loc[te["event_type"] == "merger", "effect"], -0.04)
    np.testing.assert_allclose(te.loc[te["event_type"] == "entry", "effect"], 0.2)
    assert s.params["type_effects"] == {"merger": [-0.02, -0.02]}
    assert s.params["player_scale"] == {"SOE": 2.0}


def test_untyped_events_are_entries_of_unclear_players() -> None:
    ev = _typed_events(30).drop(columns=["event_type", "player_type"])
    te = _sim(ev).truth_events
    assert (te["event_type"] == "entry").all() and (te["player_type"] == "unclear").all()
    assert (te["player_scale"] == 1.0).all() and te["effect"].between(0.08, 0.30).all()


def test_types_consume_no_extra_draws() -> None:
    """With every range equal to effect_range and no player scale, types change nothing."""
    ev = _typed_events(60)
    same = dict.fromkeys(TYPES, (0.08, 0.30))
    a = _sim(ev, type_effects=same, player_scale={})
    b = _sim(ev.drop(columns=["event_type", "player_type"]))
    pd.testing.assert_frame_equal(a.panel.returns, b.panel.returns)
    pd.testing.assert_frame_equal(a.truth, b.truth)


def test_raw_and_loaded_calendar_plant_the_same() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = load_calendar("compute-leasing")
    raw = cal.drop(columns=["event_type", "player_type"]).rename(
        columns={"event_type_raw": "event_type"}
    )
    a, b = simulate_market(cal, seed=4), simulate_market(raw, seed=4)
    pd.testing.assert_frame_equal(a.truth_events, b.truth_events)
    pd.testing.assert_frame_equal(a.panel.returns, b.panel.returns)
    te = a.truth_events.set_index("event_id")
    assert te.loc["E044", "event_type"] == "termination" and te.loc["E044", "effect"] < 0
    assert te.loc["E032", "event_type"] == "termination"  # termination (warning)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"type_effects": {"termination": (-0.1, -0.2)}}, r"type_effects\['termination'\]"),
        ({"type_effects": {"termination": "big"}}, r"type_effects\['termination'\]"),
        ({"type_effects": {"": (0.1, 0.2)}}, "type_effects must be a mapping"),
        ({"type_effects": [("entry", (0.1, 0.2))]}, "type_effects must be a mapping"),
        ({"player_scale": {"unclear": -1}}, r"player_scale\['unclear'\]"),
        ({"player_scale": {"unclear": float("nan")}}, r"player_scale\['unclear'\]"),
        ({"player_scale": {"unclear": "x"}}, r"player_scale\['unclear'\]"),
    ],
)
def test_bad_type_parameters_are_named(kw: dict, match: str) -> None:
    with pytest.raises(EventStudyError, match=match):
        simulate_market(start=START, end=END, **kw)


# --------------------------------------------------------------------------- the demo


def _raw_move(sim: Simulation, days: int = 5) -> pd.DataFrame:
    """Compounded raw return of each planted event's firm over days 0..days-1."""
    wide = sim.panel.returns.pivot(index="date", columns="ticker", values="ret")
    pos = {d: i for i, d in enumerate(wide.index)}
    te = sim.truth_events.set_index("event_id")
    ev = sim.events.set_index("event_id").loc[te.index]
    moves = []
    for _, row in ev.iterrows():
        i = pos[row["day0"]]
        r = wide[str(row["ticker"])].to_numpy()[i : i + days]
        moves.append(float(np.prod(1.0 + r[~np.isnan(r)]) - 1.0))
    return te.assign(move=moves)


@pytest.fixture(scope="module")
def demo_moves() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = load_calendar("compute-leasing")
    return pd.concat(
        [_raw_move(simulate_market(cal, seed=s)).assign(seed=s) for s in range(6)],
        ignore_index=False,
    )


def test_demo_raw_returns_show_the_planted_signs(demo_moves: pd.DataFrame) -> None:
    by = demo_moves.groupby("event_type")["move"]
    mean, se = by.mean(), by.std() / np.sqrt(by.size())
    assert mean["entry"] - 3 * se["entry"] > 0
    assert mean["follow-up"] - 3 * se["follow-up"] > 0
    bad = demo_moves.loc[demo_moves["event_type"].isin(["termination", "scale-back"]), "move"]
    assert len(bad) == 24  # 3 terminations and 1 scale-back per seed
    assert bad.mean() + 3 * bad.std() / np.sqrt(len(bad)) < 0
    assert mean["entry"] > mean["follow-up"]


def test_demo_raw_returns_show_the_player_difference(demo_moves: pd.DataFrame) -> None:
    entry = demo_moves[demo_moves["event_type"] == "entry"]
    cbe = entry.loc[entry["player_type"] == "cross-border entrant", "move"]
    idc = entry.loc[entry["player_type"] == "firm with IDC build/operation capability", "move"]
    assert len(idc) >= 10
    diff = cbe.mean() - idc.mean()
    se = np.sqrt(cbe.var() / len(cbe) + idc.var() / len(idc))
    assert diff - 2 * se > 0
