"""The estimation stage's fast paths against the plain computations they replace.

The windows as rows of a sliding-window view (against ``window_values``),
the market OLS in blocks (against the plain ``np.where`` formula), the
estimation checks' shortcuts (a column pair certifying the market's spread,
majority candidates without a masked copy) against a row-by-row check, and
the grid marks in row blocks (``beyond_limit``, ``plausible_grid``) against
each cell's own bound and the counts of the whole grid.  Inputs are made to
hurt: NaN and infinite values, repeated values, gaps, odd lengths, one row,
empty arrays, unsorted and non-consecutive offsets.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from eventstudy.align import window_values
from eventstudy.estimation_checks import (
    CHECK_BLOCK,
    CHECK_REASONS,
    SIGMA_FLOOR,
    _masked_sd,
    _may_hold_majority,
    estimation_problems,
)
from eventstudy.guards import MIN_SERIES_OBS, TYPICAL_DAILY_ABS, beyond_limit, plausible_grid
from eventstudy.limit_marks import GRID_BLOCK
from eventstudy.market.boards import board_of
from eventstudy.market.limits import limit_fractions
from eventstudy.models.base import GATHER_BLOCK, Regressors, _safe_div, window_rows
from eventstudy.models.market import FIT_BLOCK, market_ols

# ----------------------------------------------------------------- windows


def _grid(rng: np.random.Generator, t: int, j: int) -> np.ndarray:
    g = rng.normal(0.0, 0.02, (t, j))
    g[rng.random((t, j)) < 0.1] = np.nan
    return g


@pytest.mark.parametrize(
    "offsets",
    [
        np.arange(-30, -5),
        np.arange(0, 1),
        np.arange(-3, 4)[::-1].copy(),  # consecutive but descending
        np.array([-5, -3, 0, 2]),  # gaps
        np.array([2, 0, 1]),  # unsorted
        np.array([], dtype=np.int64),
    ],
)
def test_window_rows_equal_window_values(offsets: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    grid = _grid(rng, 80, 9)
    n_ev = 60
    d0 = rng.integers(31, 75, n_ev)
    tk = rng.integers(0, 9, n_ev)
    tk[:5] = 4  # repeated ticker and day
    d0[:5] = 40
    for d, c in [(d0, tk), (d0[:1], tk[:1]), (d0[:0], tk[:0]), (d0 - 40, tk), (d0 + 10, tk)]:
        want = window_values(grid, d, offsets, c)  # (d0 - 40, d0 + 10: outside, NaN-filled)
        got = window_rows(grid, d, offsets, c)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        col = grid[:, 2]  # a strided column: the days vector of a regressor
        np.testing.assert_array_equal(window_rows(col, d, offsets), window_values(col, d, offsets))


def test_window_rows_layouts_and_types() -> None:
    rng = np.random.default_rng(4)
    grid = _grid(rng, 50, 6)
    d0 = rng.integers(12, 40, 25)
    tk = rng.integers(0, 6, 25)
    off = np.arange(-10, 3)
    want = window_values(grid, d0, off, tk)
    np.testing.assert_array_equal(window_rows(np.asfortranarray(grid), d0, off, tk), want)
    np.testing.assert_array_equal(window_rows(grid, d0.astype(np.int32), off, tk), want)
    flags = rng.random((50, 6)) < 0.3  # not float: the general path
    np.testing.assert_array_equal(
        window_rows(flags, d0, off, tk), window_values(flags, d0, off, tk)
    )
    many = rng.integers(12, 40, 2 * GATHER_BLOCK + 5)  # several blocks of events
    many_tk = rng.integers(0, 6, len(many))
    np.testing.assert_array_equal(
        window_rows(grid, many, off, many_tk), window_values(grid, many, off, many_tk)
    )
    for bad in (tk - 6, tk + 6):  # columns outside the grid: as window_values has it
        np.testing.assert_array_equal(
            window_rows(grid, d0, off, bad), window_values(grid, d0, off, bad)
        )
    ints = np.arange(300.0).reshape(50, 6).astype(np.int64)
    np.testing.assert_array_equal(window_rows(ints, d0, off, tk), window_values(ints, d0, off, tk))


@pytest.mark.parametrize("p", [0, 3])
def test_regressors_windows_equal_window_values(p: int) -> None:
    rng = np.random.default_rng(5)
    firm = _grid(rng, 70, 5)
    x = rng.normal(0.0, 0.01, 70) if p == 0 else rng.normal(0.0, 0.01, (70, p))
    rf = np.where(rng.random(70) < 0.1, np.nan, 1e-4)
    d0 = rng.integers(0, 70, 40)  # some windows cross either end of the data
    tk = rng.integers(0, 5, 40)
    off = np.arange(-20, 1)
    y, xw = Regressors(x, rf).windows(firm, d0, off, tk)
    r = window_values(rf, d0, off)
    want_y = window_values(firm, d0, off, tk) - np.where(np.isnan(r), 0.0, r)
    np.testing.assert_array_equal(y, want_y)
    if p == 0:
        want_x = np.where(np.isnan(r), np.nan, window_values(x, d0, off))
    else:
        want_x = np.stack([window_values(x[:, j], d0, off) for j in range(p)], axis=-1)
        want_x[np.isnan(r)] = np.nan
    np.testing.assert_array_equal(xw, want_x)


# ----------------------------------------------------------------- market OLS


def _ols_where(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """The market OLS with ``np.where`` masks, in blocks of FIT_BLOCK rows (the old form)."""
    parts = []
    for lo in range(0, len(y), FIT_BLOCK):
        yb, xb = y[lo : lo + FIT_BLOCK], x[lo : lo + FIT_BLOCK]
        miss = np.isnan(yb) | np.isnan(xb)
        nb = yb.shape[1] - np.count_nonzero(miss, axis=1).astype(np.int64)
        nf = nb.astype(np.float64)
        xc, yc = np.where(miss, 0.0, xb), np.where(miss, 0.0, yb)
        raw = np.einsum("ij,ij->i", xc, xc)
        xm, ym = _safe_div(xc.sum(axis=1), nf), _safe_div(yc.sum(axis=1), nf)
        with np.errstate(invalid="ignore"):
            xc = np.where(miss, 0.0, xc - xm[:, None])
            yc = np.where(miss, 0.0, yc - ym[:, None])
        sxx = np.einsum("ij,ij->i", xc, xc)
        b = _safe_div(np.einsum("ij,ij->i", xc, yc), sxx)
        res = yc - xc * b[:, None]
        ssr = np.einsum("ij,ij->i", res, res)
        parts.append((ym - b * xm, b, ssr, sxx, raw, nb, xm))
    return tuple(np.concatenate(c) for c in zip(*parts, strict=True))


def test_market_ols_bit_identical_to_the_plain_form() -> None:
    rng = np.random.default_rng(6)
    e, d = FIT_BLOCK + 37, 41
    x = rng.normal(0.0, 0.01, (e, d))
    y = 0.001 + 1.1 * x + rng.normal(0.0, 0.02, (e, d))
    y[rng.random((e, d)) < 0.2] = np.nan
    x[rng.random((e, d)) < 0.05] = np.nan
    y[3] = np.nan  # no day
    y[4, 1:] = np.nan  # one day
    x[5] = 0.002  # flat market
    y[6] = np.round(y[6], 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        got = market_ols(y, x)
        want = _ols_where(y, x)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
        for g, w in zip(market_ols(y[:1], x[:1]), want, strict=True):
            np.testing.assert_array_equal(g, w[:1])


# ----------------------------------------------------------------- estimation checks


def _problems_by_row(sigma2: np.ndarray, y: np.ndarray, x: np.ndarray, slope: bool) -> list[str]:
    """Each row on its own: exact market spread, the most common value by counting."""
    out: list[str] = []
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(len(y)):
            out.append(_row_problem(sigma2[i], y[i], x[i], slope))
    return out


def _row_problem(sigma2: float, y: np.ndarray, x: np.ndarray, slope: bool) -> str:
    ok = ~(np.isnan(y) | np.isnan(x))
    n = int(ok.sum())
    if n == 0:
        return ""
    if slope:
        sd = _masked_sd(x[None, :], ~ok[None, :], np.array([n]))[0]
        if not sd >= SIGMA_FLOOR:
            return CHECK_REASONS["flat_market"].format(sd=sd)
    value, k = Counter(y[ok] + 0.0).most_common(1)[0]
    if k == n:
        return CHECK_REASONS["constant_returns"].format(value=value, n=n)
    if k > n / 2:
        return CHECK_REASONS["stale_returns"].format(k=k, n=n)
    if not (np.isfinite(sigma2) and np.sqrt(sigma2) >= SIGMA_FLOOR):
        return CHECK_REASONS["zero_variance"].format(sigma=np.sqrt(sigma2))
    return ""


def _hard_case(
    rng: np.random.Generator, e: int, d: int, x_gaps: bool = True
) -> tuple[np.ndarray, ...]:
    y = rng.normal(0.0, 0.02, (e, d))
    y[::3] = np.round(y[::3], 2)  # prices on a tick: repeated returns
    y[1::3] = np.round(y[1::3], 3)
    x = rng.normal(0.0003, 0.01, (e, d))
    stale = rng.random(e) < 0.3
    fill = rng.random((e, d)) < rng.uniform(0.3, 1.0, (e, 1))
    y = np.where(stale[:, None] & fill, rng.choice([0.0, -0.0, 0.01], (e, 1)), y)
    y[rng.random((e, d)) < rng.uniform(0.0, 0.6, (e, 1))] = np.nan
    if x_gaps:  # (without: the market's spread certified by column pairs)
        x[rng.random((e, d)) < 0.03] = np.nan
    flat = rng.random(e) < 0.25
    scale = rng.choice([0.0, 1e-9, 5e-7, 1e-6, 1.5e-6, 3e-6], (e, 1))
    x[flat] = (0.004 + scale * rng.normal(size=(e, d)))[flat]
    sigma2 = rng.choice([1e-4, 1e-14, 0.0, np.nan, np.inf, -1.0], e, p=[0.8, 0.04] + [0.04] * 4)
    return sigma2, y, x


@pytest.mark.parametrize(
    "shape", [(1, 1), (5, 1), (7, 2), (9, 3), (40, 4), (60, 11), (30, 250), (CHECK_BLOCK + 3, 9)]
)
def test_estimation_problems_equal_a_row_by_row_check(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    for x_gaps in (True, False):
        sigma2, y, x = _hard_case(rng, *shape, x_gaps=x_gaps)
        for slope in (True, False):
            got = estimation_problems(sigma2, y, x, market_slope=slope)
            assert list(got) == _problems_by_row(sigma2, y, x, slope)


def test_estimation_problems_untamed_market_values() -> None:
    """Infinite, huge or all-missing market values: the exact spread, as before."""
    rng = np.random.default_rng(8)
    sigma2, y, x = _hard_case(rng, 50, 12)
    x[::4, 3] = np.inf
    x[1::4, 5] = 1e300
    x[2::4, 6] = -1e300
    x[3::8] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        got = estimation_problems(sigma2, y, x, market_slope=True)
        assert list(got) == _problems_by_row(sigma2, y, x, True)
    assert any("market return constant" in g and "nan" in g for g in got)


def test_estimation_problems_empty_and_no_days() -> None:
    assert (
        len(estimation_problems(np.zeros(0), np.zeros((0, 5)), np.zeros((0, 5)), market_slope=True))
        == 0
    )
    got = estimation_problems(np.ones(3), np.zeros((3, 0)), np.zeros((3, 0)), market_slope=True)
    assert list(got) == ["", "", ""]


def test_majority_candidates_never_miss_a_majority() -> None:
    """Every row whose most common value fills more than half of its days is a candidate."""
    rng = np.random.default_rng(9)
    for d in (1, 2, 3, 4, 5, 8, 9):
        y = rng.choice([0.0, 1.0, 2.0], (4000, d), p=[0.6, 0.2, 0.2])
        miss = rng.random((4000, d)) < rng.uniform(0.0, 0.7, (4000, 1))
        miss[:1000] = False  # complete rows
        y[miss] = np.nan
        n = d - miss.sum(axis=1)
        look = _may_hold_majority(y, miss, n)
        for i in range(len(y)):
            vals = y[i][~miss[i]]
            if len(vals) and Counter(vals).most_common(1)[0][1] > len(vals) / 2:
                assert look[i], (d, y[i])
        assert not look.all()  # and it does filter


# ----------------------------------------------------------------- grid marks


def _beyond_by_cell(
    ret: np.ndarray,
    tickers: list[str],
    dates: pd.DatetimeIndex,
    span: np.ndarray | None,
    tol: float,
) -> np.ndarray:
    lim = limit_fractions(
        np.array([board_of(str(t)) for t in tickers], dtype=object)[None, :],
        pd.DatetimeIndex(dates).values.astype("datetime64[ns]")[:, None],
    )
    s = np.ones(ret.shape) if span is None else np.maximum(np.nan_to_num(span, nan=1.0), 1.0)
    with np.errstate(invalid="ignore"):
        up = (1.0 + lim) ** s - 1.0 + tol
        down = (1.0 - lim) ** s - 1.0 - tol
        return ~np.isnan(lim) & ((ret > up) | (ret < down))


@pytest.mark.parametrize("tol", [0.01, 0.0, -0.05])
def test_beyond_limit_equals_each_cells_bound(tol: float) -> None:
    rng = np.random.default_rng(10)
    tickers = ["600000.SS", "300001.SZ", "688001.SS", "830799.BJ", "000300.SS", "AAPL", "000001.SZ"]
    dates = pd.bdate_range("2020-07-01", periods=GRID_BLOCK + 60)  # ChiNext: 10% to 20%
    ret = rng.normal(0.0, 0.12, (len(dates), len(tickers)))
    ret[rng.random(ret.shape) < 0.1] = np.nan
    ret[5, :] = [np.inf, -np.inf, 0.21, 0.31, -2.0, 9.0, 0.11]
    ret[6, :] = [0.11, -0.11, 0.2 + tol, -(0.2 + tol), 0.0, -0.0, 0.1 + tol]  # at the bounds
    span = np.where(rng.random(ret.shape) < 0.2, 3.0, np.nan)
    for sp in (None, span):
        for tk in (tickers, pd.Index(tickers), np.array(tickers, dtype=object)):
            got = beyond_limit(ret, tk, dates, sp, tol=tol)
            np.testing.assert_array_equal(got, _beyond_by_cell(ret, tickers, dates, sp, tol))
    one = beyond_limit(ret[5:6], tickers, dates[5:6])
    np.testing.assert_array_equal(one, _beyond_by_cell(ret[5:6], tickers, dates[5:6], None, 0.01))
    assert beyond_limit(ret[:0], tickers, dates[:0]).shape == (0, len(tickers))
    nolimit = beyond_limit(ret[:, 4:6], tickers[4:6], dates)  # index and foreign: no bound
    assert not nolimit.any()


def _plausible_whole(
    grid: np.ndarray,
    market: np.ndarray,
    unit: str,
    typical: tuple[float, float] = TYPICAL_DAILY_ABS,
    min_obs: int = MIN_SERIES_OBS,
) -> bool:
    """plausible_grid's counts over the whole grid at once (its earlier form)."""
    lo, hi = typical
    cols = [grid, market[:, None]]
    with np.errstate(invalid="ignore"):
        if any((c <= -1.0).any() for c in cols):
            return False
        n = np.concatenate([np.count_nonzero(~np.isnan(c), axis=0) for c in cols])
        a = [np.abs(c) for c in cols]
        above = np.concatenate([np.count_nonzero(v > hi, axis=0) for v in a])
        if ((n >= min_obs) & (above >= n // 2)).any():
            return False
        if n.sum() >= 5 and above.sum() >= n.sum() // 2:
            return False
        if unit == "percent" and lo > 0:
            nz = np.concatenate([np.count_nonzero(v > 0.0, axis=0) for v in a])
            small = np.concatenate([np.count_nonzero((v > 0.0) & (v < lo), axis=0) for v in a])
            if ((nz >= min_obs) & (small >= nz // 2)).any():
                return False
    return True


def test_plausible_grid_equals_whole_grid_counts() -> None:
    rng = np.random.default_rng(11)
    t = GRID_BLOCK * 2 + 17
    cases = []
    base = rng.normal(0.0, 0.02, (t, 6))
    base[rng.random(base.shape) < 0.2] = np.nan
    cases.append(base)
    big = base.copy()
    big[: t // 2 + 1, 2] = 0.5  # one series mostly beyond 20%
    cases.append(big)
    tiny = base.copy()
    tiny[:, 3] = np.round(tiny[:, 3], 6) * 1e-3  # a percent series read as decimals
    cases.append(tiny)
    floor = base.copy()
    floor[t - 1, 5] = -1.0  # a loss of 100%, in the last block
    cases.append(floor)
    neg_inf = base.copy()
    neg_inf[GRID_BLOCK, 0] = -np.inf
    cases.append(neg_inf)
    cases += [base[:1], base[:0], base[:, :1], np.full((t, 3), np.nan), base.astype(np.float32)]
    for grid in cases:
        for market in (rng.normal(0.0, 0.012, len(grid)), np.full(len(grid), -1.0)):
            for unit in ("decimal", "percent"):
                want = _plausible_whole(grid, market, unit)
                assert plausible_grid(grid, market, unit) == want
                assert plausible_grid(grid, market, unit, (0.0, 0.05), 3) == _plausible_whole(
                    grid, market, unit, (0.0, 0.05), 3
                )
