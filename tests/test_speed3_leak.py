"""The fast estimation kernels and the leakage diagnostics against plain versions.

The market-model OLS and the estimation checks run on blocks of events with
in-place temporaries, the majority-value check skips rows that cannot hold a
majority (pigeonhole on two pairings of the days), and the leakage
diagnostics gather windows from a transposed firm grid, estimate in blocks
and choose placebo days without a dense cumulative sum.  Each is compared
here with a straightforward implementation written in this file (an
event-by-event ``np.linalg.lstsq``, a ``Counter``, the library's general
gather, the dense placebo construction) on small data with gaps, excluded
days, stale and constant returns and events near the edges of the panel.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel

import eventstudy.estimation_checks as checks
import eventstudy.leakage as leak
import eventstudy.models.market as market
from eventstudy.estimation_checks import CHECK_REASONS, SIGMA_FLOOR, estimation_problems
from eventstudy.exceptions import EventStudyError
from eventstudy.inference.resampling import _canonical_order
from eventstudy.models import MarketModel, ModelFit, get_model
from eventstudy.windows import Window

TOL = 1e-12


def _returns(rng, e, d, miss=0.1):
    y = rng.normal(0.0005, 0.02, (e, d))
    x = rng.normal(0.0003, 0.012, (e, d))
    y[rng.random((e, d)) < miss] = np.nan
    x[rng.random((e, d)) < miss / 3] = np.nan
    return y, x


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=TOL, atol=TOL * 1e-3, equal_nan=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_market_fit_matches_lstsq_event_by_event(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    y, x = _returns(rng, 37, 41)
    y[3, :35] = np.nan  # 6 days left
    y[4] = np.nan  # none
    monkeypatch.setattr(market, "FIT_BLOCK", 5)  # several blocks and a short last one
    fit = MarketModel().fit(y, x)
    for i in range(len(y)):
        m = ~(np.isnan(y[i]) | np.isnan(x[i]))
        assert fit.n[i] == m.sum()
        if m.sum() < 3:
            continue
        z = np.column_stack([np.ones(m.sum()), x[i, m]])
        coef, ssr, *_ = np.linalg.lstsq(z, y[i, m], rcond=None)
        _close(fit.alpha[i], coef[0])
        _close(fit.beta[i], coef[1])
        _close(fit.sigma2[i], ssr[0] / (m.sum() - 2))
        _close(fit.sinv[i, 0, 0], 1.0 / np.sum((x[i, m] - x[i, m].mean()) ** 2))
        _close(fit.xbar[i, 0], x[i, m].mean())
    assert np.isnan(fit.beta[4]) and fit.n[4] == 0


def test_market_fit_does_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(5)
    y, x = _returns(rng, 300, 60, miss=0.2)
    x[7] = 0.004  # flat market: degenerate
    y[8] = 0.01
    one = MarketModel().fit(y, x)
    for size in (1, 7, 299, 1000):
        monkeypatch.setattr(market, "FIT_BLOCK", size)
        other = MarketModel().fit(y, x)
        for f in dataclasses.fields(one):
            a, b = getattr(one, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
        for k, v in one.columns.items():
            np.testing.assert_array_equal(v, other.columns[k])
    assert one.degenerate[7]


def _plain_problems(sigma2, y, x, market_slope):
    """The rules of the module docstring, row by row."""
    out = []
    for s2, yr, xr in zip(sigma2, y, x, strict=True):
        both = ~(np.isnan(yr) | np.isnan(xr))
        n = int(both.sum())
        if n == 0:
            out.append("")
            continue
        if market_slope:
            # the library's sums (over the whole row, zeros off the days), to the bit
            dx = np.where(both, xr - np.where(both, xr, 0.0).sum() / n, 0.0)
            sd = np.sqrt(np.sum(dx * dx) / n)
            if not sd >= SIGMA_FLOOR:
                out.append(CHECK_REASONS["flat_market"].format(sd=sd))
                continue
        value, k = Counter(yr[both].tolist()).most_common(1)[0]
        if k == n:
            out.append(CHECK_REASONS["constant_returns"].format(value=value, n=n))
        elif k > n / 2:
            out.append(CHECK_REASONS["stale_returns"].format(k=k, n=n))
        elif not (np.isfinite(s2) and np.sqrt(s2) >= SIGMA_FLOOR):
            with np.errstate(invalid="ignore"):
                out.append(CHECK_REASONS["zero_variance"].format(sigma=np.sqrt(s2)))
        else:
            out.append("")
    return np.array(out, dtype=object)


@pytest.mark.parametrize("width", [1, 2, 9, 30, 31])
def test_estimation_problems_match_the_rules_row_by_row(width, monkeypatch):
    rng = np.random.default_rng(width)
    e = 400
    y = np.round(rng.normal(0, 0.02, (e, width)), 3) + 0.0  # ties, no -0.0
    x = rng.normal(0, 0.01, (e, width))
    gaps = rng.random(e) < 0.3
    y[gaps] = np.where(rng.random((gaps.sum(), width)) < 0.2, np.nan, y[gaps])
    stale = rng.random(e) < 0.2
    share = rng.uniform(0.3, 0.9, e)
    y[stale] = np.where(rng.random((stale.sum(), width)) < share[stale, None], 0.0, y[stale])
    y[rng.random(e) < 0.05] = 0.013  # constant
    y[10, ::2] = 0.02  # majority in alternate days: no equal neighbour in the first pairing
    y[11, : width // 2 + 1] = -0.01  # majority in a run: no equal pair across the halves
    if width > 2:  # a majority among the values of a row with gaps on every other day
        y[12] = 0.03
        y[12, 1::2] = np.nan
        y[12, 1] = 0.01
    y[13] = np.nan  # no values
    x[rng.random(e) < 0.05] = 0.002  # flat market
    sigma2 = rng.choice([4e-4, 1e-14, np.nan, 0.0], size=e, p=[0.85, 0.05, 0.05, 0.05])
    monkeypatch.setattr(checks, "CHECK_BLOCK", 64)
    for slope in (True, False):
        got = estimation_problems(sigma2, y, x, market_slope=slope)
        want = _plain_problems(sigma2, y, x, slope)
        assert list(got) == list(want)
    assert (got != "").sum() > 40  # the rules fired


def _panel(seed=0, n_firms=15, t_len=700):
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0003, 0.012, t_len)
    firm = 0.0002 + rng.uniform(0.5, 1.5, n_firms) * m[:, None]
    firm = firm + rng.normal(0, 0.02, (t_len, n_firms))
    firm[rng.random(firm.shape) < 0.05] = np.nan
    firm[:200, 3] = np.nan  # a firm that starts late
    firm[300:, 4] = np.nan  # one that stops early
    return SimpleNamespace(
        firm=firm, market=m, tickers=pd.Index([f"{600000 + i}.SS" for i in range(n_firms)])
    )


def _events(panel, n, seed=1):
    rng = np.random.default_rng(seed)
    t_len, f = panel.firm.shape
    tk = rng.integers(0, f, n).astype(np.int64)
    d0 = rng.integers(5, t_len - 2, n).astype(np.int64)  # some without estimation days
    return tk, d0


@pytest.mark.parametrize("with_exclude", [False, True])
def test_leakage_statistics_from_the_grid_match_the_general_gather(with_exclude, monkeypatch):
    panel = _panel()
    tk, d0 = _events(panel, 120)
    model = MarketModel()
    est = Window(-150, -21)
    exclude = None
    if with_exclude:
        exclude = np.random.default_rng(4).random(panel.firm.shape) < 0.05
    grids = leak._grids(panel, model, np.unique(tk), exclude, -150, 1)
    assert grids is not None
    monkeypatch.setattr(leak, "FIT_ROWS", 17)
    fast, fast_path = leak._stats(panel, model, est, tk, d0, None, None, None, 60, exclude, grids)
    plain, plain_path = leak._stats(panel, model, est, tk, d0, None, None, None, 60, exclude)
    pd.testing.assert_frame_equal(fast, plain, check_exact=True)
    np.testing.assert_array_equal(fast_path, plain_path)
    assert fast["usable"].sum() > 50 and (~fast["usable"]).sum() > 5


def test_leakage_estimation_matches_lstsq_without_the_excluded_days():
    panel = _panel(3)
    tk, d0 = _events(panel, 60, seed=2)
    exclude = np.random.default_rng(6).random(panel.firm.shape) < 0.1
    model = MarketModel()
    est = Window(-120, -21)
    grids = leak._grids(panel, model, np.unique(tk), exclude, -120, 1)
    fit, ok = leak._estimate(panel, model, est, tk, d0, 60, exclude, grids)
    assert ok.sum() > 20
    for i in np.flatnonzero(ok):
        days = d0[i] + np.arange(-120, -20)
        days = days[days >= 0]
        y = panel.firm[days, tk[i]]
        x = panel.market[days]
        m = ~(np.isnan(y) | np.isnan(x) | exclude[days, tk[i]])
        z = np.column_stack([np.ones(m.sum()), x[m]])
        coef, ssr, *_ = np.linalg.lstsq(z, y[m], rcond=None)
        _close(fit.alpha[i], coef[0])
        _close(fit.beta[i], coef[1])
        _close(fit.sigma2[i], ssr[0] / (m.sum() - 2))


def test_leakage_of_a_factor_free_other_model_uses_the_general_gather():
    panel = _panel(2)
    tk, d0 = _events(panel, 40)
    assert leak._grids(panel, get_model("scholes-williams"), np.unique(tk), None, -150, 1) is None


def _dense_placebo(panel, tk, d0, event, est, per_firm, rng):
    """The construction before the speed-up: a dense cumulative sum of blocked
    days and a full sort of each firm's keys."""
    t_len = panel.firm.shape[0]
    firms, inv = np.unique(tk, return_inverse=True)
    block = np.zeros((t_len + 1, len(firms)), dtype=np.int64)
    lo = np.clip(d0 + event.start - 1, 0, t_len)
    hi = np.clip(d0 + event.end + 20 + 1, 0, t_len)
    np.add.at(block, (lo, inv), 1)
    np.add.at(block, (hi, inv), -1)
    blocked = np.cumsum(block, axis=0)[:t_len] > 0
    pos = np.arange(t_len)[:, None]
    ok = ~blocked & (pos + est.start >= 0) & (pos + 1 < t_len)
    ok &= ~np.isnan(panel.firm[:, firms])
    keys = np.where(ok, rng.random(ok.shape), np.inf)
    order = np.argsort(keys, axis=0, kind="stable")[:per_firm]
    take = np.take_along_axis(ok, order, axis=0)
    cols = np.broadcast_to(np.arange(len(firms))[None, :], order.shape)
    return firms[cols[take]], order[take]


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("per_firm", [1, 10, 100, 2000])
def test_placebo_positions_are_those_of_the_dense_construction(seed, per_firm):
    panel = _panel(seed)
    tk, d0 = _events(panel, 80, seed=seed)
    tk[:3], d0[:3] = 5, np.array([0, 1, 699])  # windows cut by the edges of the panel
    event, est = Window(-10, 10), Window(-150, -21)
    got = leak._placebo_positions(panel, tk, d0, event, est, per_firm, np.random.default_rng(seed))
    want = _dense_placebo(panel, tk, d0, event, est, per_firm, np.random.default_rng(seed))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    grids = leak._grids(panel, MarketModel(), np.unique(tk), None, -150, 1)
    assert grids is not None
    rows = grids.firm[:, grids.pad : grids.pad + panel.firm.shape[0]]
    again = leak._placebo_positions(
        panel, tk, d0, event, est, per_firm, np.random.default_rng(seed), rows
    )
    for g, w in zip(again, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_fits_of_blocks_concatenate_to_the_fit_of_all():
    rng = np.random.default_rng(9)
    y, x = _returns(rng, 50, 30)
    model = MarketModel()
    whole = model.fit(y, x)
    parts = ModelFit.concat([model.fit(y[:20], x[:20]), model.fit(y[20:], x[20:])])
    for f in dataclasses.fields(whole):
        a = getattr(whole, f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, getattr(parts, f.name))
    assert parts.columns.keys() == whole.columns.keys()


@pytest.mark.parametrize("seed", range(4))
def test_bootstrap_canonical_order_is_the_full_lexsort(seed):
    """The events are put in order by one sort on the first two keys and a second
    sort of the tied runs only; this is exactly ``np.lexsort`` on every key."""
    rng = np.random.default_rng(seed)
    for _ in range(60):
        shape = (int(rng.integers(1, 4)), int(rng.integers(0, 30)), int(rng.integers(0, 5)))
        x = np.round(rng.normal(size=shape), int(rng.integers(0, 3)))  # ties
        x[rng.random(shape) < 0.3] = np.nan
        if shape[1] > 3 and shape[2]:
            x[:, 2] = np.nan  # an event without values
            x[:, 3] = x[:, 1]  # two identical events: kept in their order
            x[:, 0, 0] = -0.0  # equal to 0.0
        has = (~np.isnan(x)).any(axis=-1)
        keys = np.concatenate([np.moveaxis(x, -1, 0)[::-1], (~has)[None]], axis=0)
        np.testing.assert_array_equal(_canonical_order(x, has), np.lexsort(keys, axis=-1))


def test_leakage_given_the_study_fit_gives_the_same_numbers():
    panel = _panel(4)
    tk, d0 = _events(panel, 150, seed=3)
    model, est = MarketModel(), Window(-150, -21)
    exclude = np.random.default_rng(8).random(panel.firm.shape) < 0.03
    fit, ok = leak._estimate(panel, model, est, tk, d0, 60, exclude, None)
    assert 50 < ok.sum() < len(ok)
    events = pd.DataFrame({"event_id": [f"E{i}" for i in range(ok.sum())], "ticker": "x"})
    args = (panel, model, est, Window(-10, 10), events, tk[ok], d0[ok])
    kw = dict(min_days=60, exclude=exclude, placebo_per_firm=20)
    refit = leak.leakage_diagnostics(*args, **kw)
    given = leak.leakage_diagnostics(*args, **kw, fit=fit.subset(ok))
    for name in ("table", "placebo", "placebo_path"):
        pd.testing.assert_frame_equal(getattr(refit, name), getattr(given, name), check_exact=True)
    with pytest.raises(EventStudyError, match="the fit has 3 events"):
        leak.leakage_diagnostics(*args, **kw, fit=fit.subset(np.arange(3)))


def test_a_study_with_the_default_windows_reuses_its_fit(monkeypatch):
    """Default windows: the leakage model's window is the study's, the study passes
    its fit; the leakage table is the one computed by refitting every event."""
    import eventstudy as es

    returns, tickers = make_panel(n_firms=10, n_days=420, seed=2)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 25, seed=4)
    seen = []
    real = leak.leakage_diagnostics

    def spy(*a, **k):
        seen.append(k.get("fit") is not None)
        return real(*a, **k)

    monkeypatch.setattr(leak, "leakage_diagnostics", spy)
    given = es.EventStudy(ev, returns, tests=["csect_t"], calendar_time=False).fit()

    def no_fit(*a, **k):
        k["fit"] = None
        return real(*a, **k)

    monkeypatch.setattr(leak, "leakage_diagnostics", no_fit)
    refit = es.EventStudy(ev, returns, tests=["csect_t"], calendar_time=False).fit()
    assert seen == [True]
    for name in ("leakage", "placebo", "runup_path"):
        pd.testing.assert_frame_equal(getattr(given, name), getattr(refit, name), check_exact=True)
