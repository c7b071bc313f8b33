"""Issue 13 finding 5: prices in one obvious step.

``EventStudy(events, prices=df)`` and ``Panel.from_prices(df)`` (long or wide
closes), a ``Simulation`` accepted where returns are taken, a frame of prices
given as returns refused with a hint at the prices route; issue 9: the unit of
the returns and ``max_loss`` recorded so that ``reproduce`` rebuilds the study.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel

from eventstudy import EventStudy, load_calendar, write_outputs
from eventstudy.data import Panel
from eventstudy.exceptions import DataError
from eventstudy.reproduce import reproduce

KW = dict(estimation_window=(-120, -11), event_window=(-5, 5), car_windows=[(0, 1), (-5, 5)])


@pytest.fixture(scope="module")
def closes() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long closes built from a return panel, and the events."""
    rets, tickers = make_panel(n_firms=6, n_days=260, seed=3)
    rets = rets.sort_values(["ticker", "date"]).reset_index(drop=True)
    rng = np.random.default_rng(5)
    start = {t: rng.uniform(5, 50) for t in rets["ticker"].unique()}
    close = rets.groupby("ticker")["ret"].transform(lambda r: (1 + r).cumprod())
    rets["close"] = close * rets["ticker"].map(start)
    dates = pd.DatetimeIndex(sorted(rets["date"].unique()))
    events = make_events(tickers, dates, 8, seed=2, lo=150, hi=240)
    return rets[["date", "ticker", "close"]], events


def expected_returns(long: pd.DataFrame) -> pd.DataFrame:
    """Close-to-close returns computed here, independently of the library."""
    out = long.sort_values(["ticker", "date"]).copy()
    out["ret"] = out.groupby("ticker")["close"].pct_change()
    return out.dropna(subset=["ret"])[["date", "ticker", "ret"]]


def test_prices_keyword_gives_close_to_close_study(closes):
    long, events = closes
    by_prices = EventStudy(events, prices=long, leakage=False, **KW).fit()
    by_returns = EventStudy(events, expected_returns(long), leakage=False, **KW).fit()
    a = by_prices.car.sort_values(["event_id", "window"]).reset_index(drop=True)
    b = by_returns.car.sort_values(["event_id", "window"]).reset_index(drop=True)
    assert len(a) == 16
    np.testing.assert_allclose(a["car"], b["car"], rtol=1e-12, atol=1e-14)
    assert by_prices.data_source["source"] == "csv"


def test_wide_closes_equal_long_closes(closes):
    long, _ = closes
    wide = long.pivot(index="date", columns="ticker", values="close")
    a = Panel.from_prices(wide).returns.sort_values(["ticker", "date"]).reset_index(drop=True)
    b = Panel.from_prices(long).returns.sort_values(["ticker", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    with_col = Panel.from_prices(wide.reset_index())  # the dates in a 'date' column
    pd.testing.assert_frame_equal(
        with_col.returns.sort_values(["ticker", "date"]).reset_index(drop=True), b
    )
    exp = expected_returns(long).sort_values(["ticker", "date"]).reset_index(drop=True)
    got = b.dropna(subset=["ret"]).reset_index(drop=True)
    np.testing.assert_allclose(got["ret"], exp["ret"], rtol=1e-12)


def test_prices_turn_on_limit_columns(closes):
    long, events = closes
    with_prices = EventStudy(events, prices=long, leakage=False, **KW).fit()
    returns_only = EventStudy(events, expected_returns(long), leakage=False, **KW).fit()
    assert "car_limit" in with_prices.events.columns
    assert "car_limit" not in returns_only.events.columns


def test_frame_of_prices_as_returns_names_the_prices_route(closes):
    long, events = closes
    with pytest.raises(DataError, match=r"no 'ret' column but has 'close'.*prices=df"):
        EventStudy(events, long, **KW).fit()
    renamed = long.rename(columns={"close": "Adj_Close"})
    with pytest.raises(DataError, match=r"has 'Adj_Close'.*Panel\.from_prices"):
        EventStudy(events, renamed, **KW).fit()


def test_returns_and_prices_together_or_neither(closes):
    long, events = closes
    with pytest.raises(DataError, match="not both"):
        EventStudy(events, expected_returns(long), prices=long).fit()
    with pytest.raises(DataError, match=r"needs returns= .* or prices="):
        EventStudy(events).fit()


def test_panel_without_prices_is_refused(closes):
    long, _ = closes
    panel = Panel(returns=expected_returns(long))
    with pytest.raises(DataError, match="has no prices"):
        Panel.from_prices(panel)


def test_wide_frame_without_dates_is_refused():
    frame = pd.DataFrame({"600000.SS": [10.0, 10.5], "000300.SS": [3500.0, 3510.0]})
    with pytest.raises(DataError, match="wide frame of closes with the dates as its index"):
        Panel.from_prices(frame)


def test_vendor_layout_goes_to_the_reader_with_its_mapping(closes):
    long, _ = closes
    vendor = long.rename(columns={"date": "Trddt", "ticker": "Stkcd", "close": "Clsprc"})
    with pytest.raises(DataError, match=r"missing column\(s\)"):
        Panel.from_prices(vendor)
    mapped = Panel.from_prices(vendor, columns="date=Trddt,ticker=Stkcd,close=Clsprc")
    pd.testing.assert_frame_equal(mapped.returns, Panel.from_prices(long).returns)


def test_bad_price_is_named_by_the_existing_reader(closes):
    long, _ = closes
    bad = long.copy()
    bad.loc[5, "close"] = -1.0
    with pytest.raises(DataError, match="row 6"):
        Panel.from_prices(bad)


def test_simulation_object_is_accepted():
    import eventstudy as es

    cal = es.load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=1)
    kw = dict(leakage=False, tests=["csect_t"], calendar_time=False)
    a = es.EventStudy(cal, sim, **kw).fit()
    b = es.EventStudy(cal, sim.panel, **kw).fit()
    pd.testing.assert_frame_equal(a.car, b.car)
    assert Panel.from_prices(sim) is sim.panel
    c = es.EventStudy(cal, prices=sim, **kw).fit()
    pd.testing.assert_frame_equal(a.car, c.car)


def test_returns_unit_and_max_loss_recorded_and_reproduced(tmp_path):
    rets, tickers = make_panel(n_firms=6, n_days=260, seed=4)
    dates = pd.DatetimeIndex(sorted(rets["date"].unique()))
    events = make_events(tickers, dates, 6, seed=3, lo=150, hi=240)
    events = load_calendar(events.assign(date=events["date"].dt.strftime("%Y-%m-%d")))
    pct = rets.assign(ret=rets["ret"] * 100)
    panel = Panel(returns=pct, source="dataframe")
    res = EventStudy(events, panel, returns_unit="percent", max_loss=0.5, leakage=False, **KW).fit()
    dec = EventStudy(events, rets, leakage=False, **KW).fit()
    np.testing.assert_allclose(res.car["car"], dec.car["car"], rtol=1e-12)
    assert res.config["returns_unit"] == "percent" and res.config["max_loss"] == 0.5
    assert "returns_unit" not in dec.config and "max_loss" not in dec.config
    out = tmp_path / "out"
    write_outputs(res, out, panel=panel, calendar=events, parameters={}, figures=False, html=False)
    config = json.loads((out / "summary.json").read_text(encoding="utf-8"))["config"]
    assert config["returns_unit"] == "percent"
    rep = reproduce(out)
    assert rep.ok, rep.report()


def test_empty_returns_say_so_instead_of_an_absent_market(closes):
    _, events = closes
    empty = pd.DataFrame({"date": [], "ticker": [], "ret": []})
    with pytest.raises(DataError, match=r"the frame is empty \(nothing was read or downloaded\)$"):
        EventStudy(events, empty).fit()
    panel = Panel(returns=empty, provenance={"missing_tickers": ["600000.SS", "000300.SS"]})
    with pytest.raises(DataError, match="no data for 2 ticker.s.: 600000.SS, 000300.SS"):
        EventStudy(events, panel).fit()
