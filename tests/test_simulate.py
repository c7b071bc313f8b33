"""The simulated A-share market: determinism, limits, suspensions, planted truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.calendar.sessions import xshg_sessions
from eventstudy.data.simulate import Simulation, simulate_market, to_files
from eventstudy.exceptions import CalendarError, EventStudyError
from eventstudy.market import boards_of, limit_fractions, limit_prices

START, END = "2022-01-04", "2023-12-29"
SESSIONS = xshg_sessions(START, END)
MARKET = "000300.SS"
TICKERS = [
    "600186.SS",
    "603629.SS",
    "000628.SZ",
    "002229.SZ",
    "300657.SZ",
    "300798.SZ",
    "688041.SS",
    "688343.SS",
    "601928.SS",
    "002575.SZ",
]


def _events(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = SESSIONS[rng.integers(30, len(SESSIONS) - 70, size=n)]
    return pd.DataFrame(
        {
            "event_id": [f"E{i:03d}" for i in range(n)],
            "ticker": [TICKERS[i % len(TICKERS)] for i in range(n)],
            "date": dates,
            "timing": rng.choice(["pre-open", "intraday", "after-close", "unknown"], size=n),
        }
    )


def _sim(**kw: object) -> Simulation:
    args: dict = {"seed": 7, "start": START, "end": END, "n_firms": 15}
    args.update(kw)
    events = args.pop("events", _events(40))
    return simulate_market(events, **args)


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return _sim(suspension_rate=2.0)


def _firm_prices(s: Simulation) -> pd.DataFrame:
    return s.panel.prices[s.panel.prices["ticker"] != MARKET].reset_index(drop=True)


def _row(s: Simulation, ticker: str, date: pd.Timestamp) -> pd.DataFrame:
    p = s.panel.prices
    return p[(p["ticker"] == ticker) & (p["date"] == date)]


# --------------------------------------------------------------------------- determinism


def _assert_same(a: Simulation, b: Simulation) -> None:
    for name in ("events", "truth", "truth_events", "firms", "suspensions"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.panel.returns, b.panel.returns)
    pd.testing.assert_frame_equal(a.panel.prices, b.panel.prices)
    assert a.params == b.params


def test_same_seed_same_frames_different_seed_differs() -> None:
    a, b, c = _sim(seed=11), _sim(seed=11), _sim(seed=12)
    _assert_same(a, b)
    assert (
        pd.util.hash_pandas_object(a.panel.prices).to_numpy()
        == pd.util.hash_pandas_object(b.panel.prices).to_numpy()
    ).all()
    assert not np.array_equal(
        a.panel.returns["ret"].to_numpy()[:500], c.panel.returns["ret"].to_numpy()[:500]
    )


def test_seed_none_is_recorded_and_replayable() -> None:
    a = _sim(seed=None, n_firms=2)
    assert isinstance(a.params["seed"], int)
    _assert_same(a, _sim(seed=a.params["seed"], n_firms=2))
    g = _sim(seed=np.random.default_rng(3), n_firms=2)
    assert "Generator" in g.params["seed"]


def test_input_events_not_mutated() -> None:
    ev = _events(10)
    before = ev.copy()
    _sim(events=ev)
    pd.testing.assert_frame_equal(ev, before)


# --------------------------------------------------------------------------- prices and limits


def test_closes_never_cross_the_limits(sim: Simulation) -> None:
    f = _firm_prices(sim)
    lim = limit_fractions(boards_of(f["ticker"]).to_numpy(), f["date"].to_numpy())
    assert not np.isnan(lim).any()
    up, down = limit_prices(f["prev_close"].to_numpy(), lim)
    close = f["close"].to_numpy()
    assert (close <= up + 1e-9).all() and (close >= down - 1e-9).all()
    spans = sim.panel.returns.loc[sim.panel.returns["ticker"] != MARKET, "span"].to_numpy()
    assert (spans > 1).sum() > 20  # the check covered first-after-suspension returns too
    assert np.isclose(close, up).sum() > 10  # and limit-up closes exist


def test_prices_on_tick_and_ohlc_consistent(sim: Simulation) -> None:
    f = _firm_prices(sim)
    for col in ("open", "high", "low", "close", "prev_close"):
        cents = f[col].to_numpy() * 100
        assert np.abs(cents - np.round(cents)).max() < 1e-6
    o, h, lo, c = (f[k].to_numpy() for k in ("open", "high", "low", "close"))
    assert (lo <= np.minimum(o, c) + 1e-9).all() and (h >= np.maximum(o, c) - 1e-9).all()
    lim = limit_fractions(boards_of(f["ticker"]).to_numpy(), f["date"].to_numpy())
    up, down = limit_prices(f["prev_close"].to_numpy(), lim)
    assert (h <= up + 1e-9).all() and (lo >= down - 1e-9).all()
    assert (f["volume"] > 0).all() and (f["volume"] % 100 == 0).all()


def test_returns_match_prices_and_chain(sim: Simulation) -> None:
    r, p = sim.panel.returns, sim.panel.prices
    assert list(r.columns) == ["date", "ticker", "ret", "span"]
    assert list(p.columns) == [
        "date",
        "ticker",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "prev_close",
    ]
    np.testing.assert_array_equal(
        r["ret"].to_numpy(), (p["close"] / p["prev_close"] - 1).to_numpy()
    )
    same = p["ticker"].eq(p["ticker"].shift()).to_numpy()
    np.testing.assert_array_equal(
        p["prev_close"].to_numpy()[same], p["close"].shift().to_numpy()[same]
    )
    assert not r.duplicated(["ticker", "date"]).any()


def test_index_unlimited_never_suspended_and_sigma_near_1_3_percent() -> None:
    sds = []
    for seed in range(4):
        s = simulate_market(seed=seed, n_firms=1, start="2021-01-04", end="2024-12-31")
        m = s.panel.returns[s.panel.returns["ticker"] == MARKET]
        assert len(m) == s.params["n_sessions"] and (m["span"] == 1).all()
        assert m["ret"].kurt() > 1.0  # fat tails
        sds.append(m["ret"].std())
        first = s.panel.prices[s.panel.prices["ticker"] == MARKET].iloc[0]
        assert 3000 < first["close"] < 5000
    assert 0.0105 < np.mean(sds) < 0.0155
    assert all(0.009 < x < 0.018 for x in sds)


# --------------------------------------------------------------------------- suspensions


def test_suspended_days_have_no_rows_and_resumption_spans(sim: Simulation) -> None:
    r = sim.panel.returns
    sp = sim.suspensions
    assert list(sp.columns) == ["ticker", "start", "end", "sessions", "kind", "event_id"]
    assert len(sp) > 20
    pos = SESSIONS.get_indexer(r["date"])
    checked = 0
    for row in sp.itertuples():
        rows = r[r["ticker"] == row.ticker]
        inside = (rows["date"] >= row.start) & (rows["date"] <= row.end)
        assert not inside.any()
        nxt = SESSIONS.get_loc(row.end) + 1
        if nxt < len(SESSIONS):
            after = rows[rows["date"] == SESSIONS[nxt]]
            assert len(after) == 1 and int(after["span"].iloc[0]) >= row.sessions + 1
            checked += 1
    assert checked > 10
    # span always equals the sessions since the firm's previous row
    first = ~r["ticker"].eq(r["ticker"].shift()).to_numpy()
    gap = np.where(first, pos + 1, np.diff(pos, prepend=0))
    np.testing.assert_array_equal(r["span"].to_numpy(), gap)


def test_day0_suspension_leaves_no_return_on_day0() -> None:
    s = _sim(
        events=_events(len(TICKERS)),
        day0_suspension_share=1.0,
        event_suspension_share=0.0,
        n_firms=0,
    )
    planted = s.events[s.events["effect"] != 0]
    assert len(planted) > 0
    for ev in planted.itertuples():
        assert _row(s, ev.ticker, ev.day0).empty
    assert set(s.suspensions.loc[s.suspensions["event_id"] != "", "kind"]) == {"day0"}


def test_pre_event_suspension_covers_days_minus2_minus1() -> None:
    s = _sim(
        events=_events(len(TICKERS)),
        day0_suspension_share=0.0,  # one event per firm
        event_suspension_share=1.0,
        n_firms=0,
        suspension_rate=0.0,
    )
    r = s.panel.returns
    for ev in s.events[s.events["effect"] != 0].itertuples():
        k = SESSIONS.get_loc(ev.day0)
        for d in (SESSIONS[k - 2], SESSIONS[k - 1]):
            assert _row(s, ev.ticker, d).empty
        day0 = r[(r["ticker"] == ev.ticker) & (r["date"] == ev.day0)]
        assert int(day0["span"].iloc[0]) >= 3


# --------------------------------------------------------------------------- limit streaks


def _one_big_event(limits: bool) -> tuple[Simulation, int]:
    ev = pd.DataFrame(
        {
            "event_id": ["BIG"],
            "ticker": ["600186.SS"],
            "date": [SESSIONS[200]],
            "timing": ["pre-open"],
        }
    )
    s = simulate_market(
        ev,
        seed=5,
        start=START,
        end=END,
        limits=limits,
        effect_range=(0.30, 0.30),
        split_share=0.0,
        leak_share=0.0,
        reversal_share=0.0,
        suspension_rate=0.0,
        day0_suspension_share=0.0,
        event_suspension_share=0.0,
    )
    return s, 200


def test_thirty_percent_jump_is_a_limit_up_streak_on_a_ten_percent_board() -> None:
    s, k = _one_big_event(limits=True)
    p = s.panel.prices
    f = p[p["ticker"] == "600186.SS"].set_index("date")
    days = f.loc[SESSIONS[k : k + 5]]
    up, _ = limit_prices(days["prev_close"].to_numpy(), 0.10)
    assert np.allclose(days["close"].to_numpy()[:2], up[:2])  # two limit-up closes
    d0 = days.iloc[0]
    assert d0["open"] == d0["high"] == d0["low"] == d0["close"]  # locked one-price day
    assert d0["volume"] < f["volume"].median()
    total = days["close"].iloc[-1] / days["prev_close"].iloc[0]
    assert 1.15 < total < 1.45  # the latent jump is caught up within a few days
    assert s.truth_events["effect"].iloc[0] == pytest.approx(0.30)


def test_without_limits_the_jump_shows_in_one_day() -> None:
    s, k = _one_big_event(limits=False)
    r = s.panel.returns
    ret0 = r[(r["ticker"] == "600186.SS") & (r["date"] == SESSIONS[k])]["ret"].iloc[0]
    assert ret0 > 0.2


# --------------------------------------------------------------------------- planted truth


def test_truth_frames_shapes_and_consistency(sim: Simulation) -> None:
    t, te = sim.truth, sim.truth_events
    assert list(t.columns) == ["event_id", "tau", "planted_ar"]
    assert list(te.columns) == [
        "event_id",
        "leaky",
        "effect",
        "drift",
        "event_type",
        "player_type",
        "board",
        "player_scale",
        "effect_day0",
        "reversal",
    ]
    assert len(te) == 40
    assert (t.groupby("event_id").size() == 81).all()  # tau -20..+60, zeros included
    assert t["tau"].min() == -20 and t["tau"].max() == 60
    wide = t.pivot(index="event_id", columns="tau", values="planted_ar").loc[te["event_id"]]
    np.testing.assert_allclose(wide.loc[:, 0:1].sum(axis=1), te["effect"].to_numpy())
    np.testing.assert_allclose(wide.loc[:, -5:-1].sum(axis=1), te["drift"].to_numpy())
    assert (wide.loc[:, -20:-6] == 0).all().all() and (wide.loc[:, 2:20] == 0).all().all()
    assert (wide.loc[:, 21:60] <= 0).all().all()
    assert te["effect"].between(0.08, 0.30).all()
    ev = sim.events.set_index("event_id").loc[te["event_id"]]
    np.testing.assert_allclose(ev["effect"].to_numpy(), te["effect"].to_numpy())
    assert ev["day0"].notna().all()


def test_leak_share_and_drift_range() -> None:
    s = _sim(events=_events(200, seed=1), n_firms=0, leak_share=0.3)
    te = s.truth_events
    assert te["leaky"].sum() == 60  # an exact share of the planted events
    leaky = te[te["leaky"]]
    assert leaky["drift"].between(0.06, 0.15).all()
    assert (te.loc[~te["leaky"], "drift"] == 0).all()


def test_unplaced_events_get_no_effect_but_their_firms_exist() -> None:
    ev = pd.DataFrame(
        {
            "event_id": ["ok", "nat", "noticker", "early", "month"],
            "ticker": ["600186.SS", "300657.SZ", None, "688041.SS", "002229.SZ"],
            "date": ["2022-06-01", None, "2022-06-01", "2019-05-06", "2022-06"],
        }
    )
    s = simulate_market(ev, seed=1, start=START, end=END)
    assert list(s.truth_events["event_id"]) == ["ok"]
    assert set(s.firms["ticker"]) == {"600186.SS", "300657.SZ", "688041.SS", "002229.SZ"}
    assert (
        s.events.set_index("event_id").loc[["nat", "noticker", "early", "month"], "effect"] == 0
    ).all()
    assert s.events["day0"].iloc[0] == pd.Timestamp("2022-06-01")


def test_extra_firms_only() -> None:
    s = simulate_market(seed=2, n_firms=50, start="2023-01-03", end="2023-06-30")
    assert len(s.firms) == 50 and s.firms["ticker"].is_unique
    assert MARKET not in set(s.firms["ticker"])
    assert set(s.firms["board"]) <= {"sse_main", "szse_main", "chinext", "star"}
    assert s.truth.empty and s.truth_events.empty
    assert list(s.firms.columns) == ["ticker", "board", "beta", "sigma", "alpha", "st", "sector"]
    assert s.firms["beta"].between(0.6, 1.6).all()
    assert s.firms["sigma"].between(0.015, 0.035).all()


def test_provenance_notes_and_files(tmp_path: object, sim: Simulation) -> None:
    assert sim.panel.source == "simulated"
    assert any("SIMULATED" in n for n in sim.panel.notes)
    assert sim.panel.provenance["generator"] == "eventstudy.simulate_market"
    assert sim.panel.provenance["seed"] == 7 and sim.params["seed"] == 7
    paths = to_files(sim, tmp_path / "truth")  # type: ignore[operator]
    assert [p.name for p in paths] == ["truth.csv", "truth_events.csv"]
    assert paths[0].read_text().splitlines()[0] == "event_id,tau,planted_ar"
    assert paths[1].read_text().splitlines()[0].startswith("event_id,leaky,effect,drift,")
    back = pd.read_csv(paths[1])
    np.testing.assert_allclose(back["effect"], sim.truth_events["effect"])


# --------------------------------------------------------------------------- bad input


def test_bad_inputs_are_named() -> None:
    with pytest.raises(CalendarError, match="missing column"):
        simulate_market(pd.DataFrame({"ticker": ["600186.SS"]}), start=START, end=END)
    dup = pd.DataFrame(
        {"event_id": ["a", "a"], "ticker": ["600186.SS"] * 2, "date": ["2022-06-01"] * 2}
    )
    with pytest.raises(CalendarError, match="duplicate event_id"):
        simulate_market(dup, start=START, end=END)
    with pytest.raises(EventStudyError, match="leak_share"):
        simulate_market(leak_share=1.5, start=START, end=END)
    with pytest.raises(EventStudyError, match="effect_range"):
        simulate_market(effect_range=(0.3, 0.1), start=START, end=END)
    with pytest.raises(EventStudyError, match="seed"):
        simulate_market(seed=-1, start=START, end=END)
    with pytest.raises(CalendarError, match="timing"):
        simulate_market(_events(3).assign(timing="evening"), start=START, end=END)


def test_sector_correlation_of_residuals():
    """Firms of one sector have market-model residuals correlated at about sector_corr."""
    s = simulate_market(
        n_firms=60,
        seed=3,
        start="2021-01-04",
        end="2023-12-29",
        limits=False,
        suspension_rate=0.0,
        sector_corr=0.3,
        n_sectors=3,
    )
    wide = s.panel.returns.pivot(index="date", columns="ticker", values="ret")
    m = wide.pop("000300.SS").to_numpy()
    x = np.column_stack([np.ones_like(m), m])
    y = wide.to_numpy()
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    corr = np.corrcoef(resid.T)
    sector = s.firms.set_index("ticker").loc[wide.columns, "sector"].to_numpy()
    same = sector[:, None] == sector[None, :]
    off = ~np.eye(len(sector), dtype=bool)
    assert abs(corr[same & off].mean() - 0.3) < 0.05
    assert abs(corr[~same].mean()) < 0.02
    with pytest.raises(EventStudyError, match="sector_corr"):
        simulate_market(n_firms=2, sector_corr=1.0, start="2024-01-02", end="2024-02-29")
