"""The second speed pass (issue 12) against plain implementations.

Each rewritten piece is compared with a plain, element-by-element (or
series-by-series) implementation written here: the magnitude profile of
:func:`eventstudy.guards.check_return_scale`, :func:`eventstudy.guards.beyond_limit`,
the flat gather of :func:`eventstudy.align.window_values`, the placebo
draw's selection in :mod:`eventstudy.leakage`, and the alignment of only
the tickers a study reads.  No timing here (benchmarks/bench_core.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.align import align_panel, window_values
from eventstudy.exceptions import DataError
from eventstudy.guards import _profile, beyond_limit, check_return_scale
from eventstudy.leakage import _smallest_rows
from eventstudy.market.boards import board_of
from eventstudy.market.limits import limit_fractions


def _plain_medians(dec, codes, k):
    med, med_nz = np.full(k, np.nan), np.full(k, np.nan)
    for g in range(k):
        v = np.abs(dec[(codes == g) & ~np.isnan(dec)])
        if len(v):
            med[g] = np.median(v)
        nz = v[v > 0]
        if len(nz):
            med_nz[g] = np.median(nz)
    return med, med_nz


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_profile_medians_match_series_by_series(seed):
    rng = np.random.default_rng(seed)
    k = 40
    codes = rng.integers(0, k, 6000)
    scale = np.where(rng.random(k) < 0.3, 1.0, 0.01)[codes]  # some series in percent
    tiny = np.where(rng.random(k) < 0.2, 1e-5, 1.0)[codes]  # some far too small
    dec = rng.standard_normal(len(codes)) * scale * tiny
    dec[rng.random(len(dec)) < 0.1] = np.nan
    dec[rng.random(len(dec)) < 0.05] = 0.0
    hi, lo = 0.2, 5e-4
    prof = _profile(dec, codes, k, True, hi, lo)
    med, med_nz = _plain_medians(dec, codes, k)
    n = np.bincount(codes[~np.isnan(dec)], minlength=k)
    assert list(prof.index) == list(np.flatnonzero(n > 0))
    got = prof["median"].reindex(range(k)).to_numpy()
    # exact where computed; where not, the plain median cannot exceed the bound
    done = ~np.isnan(got)
    np.testing.assert_allclose(got[done], med[done], rtol=1e-12, atol=0)
    assert (med[~done & (n > 0)] <= hi).all()
    assert (med > hi)[n > 0].sum() == (got > hi)[n > 0].sum() > 0
    got_nz = prof["median_nonzero"].reindex(range(k)).to_numpy()
    done = ~np.isnan(got_nz)
    np.testing.assert_allclose(got_nz[done], med_nz[done], rtol=1e-12, atol=0)
    assert (med_nz[~done & ~np.isnan(med_nz)] >= lo).all()
    assert (med_nz < lo).sum() == (got_nz < lo).sum() > 0
    a = np.abs(dec)
    for g in prof.index:
        v, s = a[(codes == g) & ~np.isnan(dec)], dec[(codes == g) & ~np.isnan(dec)]
        assert prof.loc[g, "n"] == len(v)
        assert prof.loc[g, "beyond_one"] == pytest.approx((v > 1).mean(), abs=1e-12)
        assert prof.loc[g, "negative"] == pytest.approx((s < 0).mean(), abs=1e-12)
        assert prof.loc[g, "n_nonzero"] == (v > 0).sum()


def test_check_return_scale_names_the_series_and_the_plain_medians():
    rng = np.random.default_rng(4)
    codes = np.repeat(np.arange(5), 60)
    dec = rng.standard_normal(300) * 0.01
    dec[codes == 3] *= 100  # one series in percent
    labels = ["A", "B", "C", "D", "E"]
    med, _ = _plain_medians(dec, codes, 5)
    with pytest.raises(DataError, match=rf"of 1 of 5 series .*D: median \|ret\| {med[3]:.3g}"):
        check_return_scale(dec, tickers=codes, labels=labels)
    # the plausible example is the first series, with its exact median
    with pytest.raises(DataError, match=rf"e\.g\. A: median \|ret\| {med[0]:.3g}"):
        check_return_scale(dec, tickers=codes, labels=labels)


def test_check_return_scale_rows_map_back_to_the_input():
    dec = np.array([0.01, -0.02, 0.0, -1.5, 0.01])
    with pytest.raises(DataError, match=r"row 8 \(B\)"):
        check_return_scale(
            dec, tickers=np.array([0, 0, 1, 1, 1]), labels=["A", "B"], rows=[0, 3, 5, 7, 9]
        )


def _plain_beyond(ret, tickers, dates, span, tol=0.01):
    out = np.zeros(ret.shape, dtype=bool)
    for j, t in enumerate(tickers):
        b = board_of(str(t))
        for i, d in enumerate(dates):
            lim = limit_fractions(np.array([b], dtype=object), np.array([d.to_datetime64()]))[0]
            s = 1.0 if span is None or np.isnan(span[i, j]) else max(span[i, j], 1.0)
            up = (1.0 + lim) ** s - 1.0 + tol
            down = (1.0 - lim) ** s - 1.0 - tol
            r = ret[i, j]
            out[i, j] = bool(~np.isnan(lim) and ~np.isnan(r) and (r > up or r < down))
    return out


@pytest.mark.parametrize("with_span", [False, True])
def test_beyond_limit_matches_the_plain_rule(with_span):
    rng = np.random.default_rng(7)
    tickers = ["600000.SS", "300750.SZ", "688981.SS", "000300.SS", "830799.BJ", "000001.SZ"]
    dates = pd.bdate_range("2020-08-17", periods=12)  # ChiNext moves to 20% on 2020-08-24
    ret = rng.uniform(-0.35, 0.35, (len(dates), len(tickers)))
    ret[0, 0] = 0.11  # exactly at the 10% bound plus tolerance: inside
    ret[rng.random(ret.shape) < 0.1] = np.nan
    span = None
    if with_span:
        span = rng.choice([np.nan, 1.0, 2.0, 3.0], size=ret.shape)
    got = beyond_limit(ret, tickers, dates, span)
    want = _plain_beyond(ret, tickers, dates, span)
    np.testing.assert_array_equal(got, want)
    assert want.any() and (~want).any()


def _plain_window(mat, d0, offsets, cols, fill):
    out = []
    for i, d in enumerate(d0):
        row = []
        for o in offsets:
            t = d + o
            inside = 0 <= t < mat.shape[0]
            if cols is None:
                row.append(mat[t] if inside else fill)
            else:
                row.append(mat[t, cols[i]] if inside else fill)
        out.append(row)
    return np.array(out, dtype=np.result_type(mat.dtype, fill))


@pytest.mark.parametrize("inside", [True, False])
def test_window_values_flat_gather_matches_the_plain_loop(inside):
    rng = np.random.default_rng(1)
    mat = rng.standard_normal((60, 7))
    mat[rng.random(mat.shape) < 0.1] = np.nan
    d0 = rng.integers(20, 45, 15) if inside else rng.integers(0, 60, 15)
    off = np.arange(-12, 6)
    cols = rng.integers(0, 7, 15)
    for m, fill in ((mat, np.nan), (mat > 0, False), ((mat > 0).astype(np.int8), -1)):
        got = window_values(m, d0, off, cols, fill)
        want = _plain_window(m, d0, off, cols, fill)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    got = window_values(mat[:, 0].copy(), d0, off)
    np.testing.assert_array_equal(got, _plain_window(mat[:, 0], d0, off, None, np.nan))
    # a bool grid with a NaN fill comes back as float, as np.where gives it
    assert window_values(mat > 0, d0, off, cols).dtype == np.float64


def test_placebo_selection_matches_a_full_sort():
    rng = np.random.default_rng(3)
    keys = rng.random((300, 25))
    keys[rng.random(keys.shape) < 0.9] = np.inf  # most days unusable
    keys[:, 3] = np.inf  # a firm without any usable day
    for k in (1, 10, 40, 300, 400):
        got = _smallest_rows(keys, k)
        want = np.argsort(keys, axis=0, kind="stable")[:k]
        fin_got = np.take_along_axis(keys, got, axis=0)
        fin_want = np.take_along_axis(keys, want, axis=0)
        np.testing.assert_array_equal(fin_got, fin_want)  # same keys, same order
        ok = np.isfinite(fin_want)
        np.testing.assert_array_equal(got[ok], want[ok])  # the same usable days


def _long_panel(seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=80)
    tickers = [f"{600000 + 10 * i}.SS" for i in range(12)]
    rows = [
        (d, t, rng.normal(0, 0.02))
        for d in dates
        for t in [*tickers, "000300.SS"]
        if rng.random() > 0.05 or t == "000300.SS"
    ]
    frame = pd.DataFrame(rows, columns=["date", "ticker", "ret"])
    frame.loc[7, "ret"] = 0.25  # beyond the 10% limit
    return frame


@pytest.mark.parametrize("wide", [False, True])
def test_aligning_only_the_tickers_read_gives_their_columns_of_the_full_alignment(wide):
    frame = _long_panel()
    if wide:
        frame = frame.pivot(index="date", columns="ticker", values="ret")
    full = align_panel(frame, "000300.SS")
    read = {"600030.SS", "600110.SS", str(full.tickers[int(np.argmax(full.beyond_limit.any(0)))])}
    part = align_panel(frame, "000300.SS", tickers=read)
    assert set(part.tickers) == read
    cols = full.ticker_codes(pd.Series(list(part.tickers)))
    np.testing.assert_array_equal(part.firm, full.firm[:, cols])
    np.testing.assert_array_equal(part.beyond_limit, full.beyond_limit[:, cols])
    np.testing.assert_array_equal(part.market, full.market)
    assert part.dates.equals(full.dates)
    assert part.beyond_limit.any()
    assert sorted(part.known_tickers) == sorted(full.known_tickers)
    assert len(part.skipped) == len(full.tickers) - len(read)


def test_errors_of_a_ticker_read_name_the_row_of_the_input():
    frame = _long_panel()
    i = int(np.flatnonzero(frame["ticker"].to_numpy() == "600110.SS")[5])
    frame.loc[i, "ret"] = -1.0
    with pytest.raises(DataError, match=rf"row {i + 1} \(600110\.SS"):
        align_panel(frame, "000300.SS", tickers={"600110.SS"})
    dup = pd.concat([frame, frame.iloc[[i]]], ignore_index=True)
    dup.loc[i, "ret"] = 0.01
    dup.loc[len(dup) - 1, "ret"] = 0.01
    with pytest.raises(DataError, match=rf"duplicate \(date, ticker\) rows, first at row {i + 1} "):
        align_panel(dup, "000300.SS", tickers={"600110.SS"})


@pytest.mark.parametrize("n", [0, 1, 7])
def test_repeated_text_column_is_the_repeated_array(n):
    from eventstudy.results_build import _repeat_text

    ids = np.array([f"E{i}" for i in range(n)], dtype=object)
    want = pd.DataFrame({"event_id": np.repeat(ids, 4), "x": np.arange(4 * n, dtype=float)})
    got = pd.DataFrame({"event_id": _repeat_text(ids, 4), "x": np.arange(4 * n, dtype=float)})
    pd.testing.assert_frame_equal(got, want)
