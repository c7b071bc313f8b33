"""The fourth speed pass of ``align_panel`` against the paths it short-cuts.

Day numbers without counting (a table of every day of the span), ticker runs
found by comparing pyarrow's bytes and kept per run, the rows outside the
grid sent to one spare cell, and duplicates cleared by sortedness: each is
compared here with the plain computation, and whole panels, clean and
spoiled, with the same panel read with the fast paths switched off and
read from object tickers and text dates.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import eventstudy.align as align_mod
import eventstudy.dates as dates_mod
from eventstudy.align import _Codes, _row_dates, align_panel
from eventstudy.dates import _runs, factorize_cells, factorize_runs
from eventstudy.exceptions import DataError

MKT = "000300.SS"


def _plain_starts(values: list[Any]) -> list[int]:
    """First row of each run, by comparing neighbours one by one."""
    return [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]]


def _arrow_series(values: list[Any], kind: str) -> pd.Series:
    if kind == "str":
        return pd.Series(values, dtype="str")
    if kind == "string":
        return pd.Series(pd.array(values, dtype="string[pyarrow]"))
    if kind == "arrow-small":  # 32-bit offsets
        return pd.Series(values, dtype=pd.ArrowDtype(pa.string()))
    if kind == "chunks":  # two pieces
        half = len(values) // 2
        chunked = pa.chunked_array([pa.array(values[:half]), pa.array(values[half:])])
        return pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    if kind == "sliced":  # an array that starts inside its buffers
        arr = pa.array(["zz"] * 7 + values, type=pa.large_string()).slice(7)
        return pd.Series(pd.arrays.ArrowExtensionArray(arr))
    raise AssertionError(kind)


def _columns() -> dict[str, list[Any]]:
    rng = np.random.default_rng(11)
    n = 60_000
    codes = [f"{600000 + i}.SS" for i in range(40)]
    runs = np.sort(rng.integers(0, 40, 60))
    lens = rng.integers(1, 2_000, 60)
    rows = np.repeat(runs, lens)[:n]
    out = {
        "codes": [codes[i] for i in np.resize(rows, n)],
        # neighbours that differ only in their last byte, or their first
        "last byte": [f"60000{i % 2}.SS" for i in np.repeat(np.arange(300), 200)],
        "first byte": [f"{i % 2}00000.SS" for i in np.repeat(np.arange(300), 200)],
        # a difference in the bytes after the last whole eight (9 x 59,999 = 7 mod 8)
        "last row, last byte": ["600000.SS"] * (n - 1) + ["600000.SZ"],
        "short": [str(i % 7) for i in np.repeat(np.arange(500), 120)],  # width 1
        "width 8": [f"{i % 3:08d}" for i in np.repeat(np.arange(500), 120)],
        "width 16": [f"{i % 3:016d}" for i in np.repeat(np.arange(500), 120)],
        "width 13": [f"{i % 3:013d}" for i in np.repeat(np.arange(700), 90)],
        "unicode": [["算力", "租赁", "算法"][i % 3] for i in np.repeat(np.arange(300), 200)],
        "empty": [""] * n,
        "one run": ["600000.SS"] * n,
        "varying width": [["A", "BB", "A", "CCC"][i % 4] for i in np.repeat(np.arange(400), 150)],
        "too many runs": [f"{i % 5}" for i in np.repeat(np.arange(20_000), 3)],
        "every row": [f"{i % 2}" for i in range(n)],
    }
    return out


COLUMNS = _columns()


@pytest.mark.parametrize("kind", ["str", "string", "arrow-small", "chunks", "sliced"])
@pytest.mark.parametrize("name", list(COLUMNS))
def test_runs_of_arrow_text_equal_neighbour_by_neighbour(name: str, kind: str) -> None:
    values = COLUMNS[name]
    col = _arrow_series(values, kind)
    starts = _plain_starts(values)
    got = _runs(col)
    if len(starts) > len(values) // 4:
        assert got is None
    else:
        assert got is not None and got.tolist() == starts
    codes, uniq = factorize_cells(col, what="t", label="ticker")
    ref_codes, ref_uniq = pd.factorize(col, use_na_sentinel=True)
    assert np.array_equal(codes, ref_codes)
    assert list(pd.Index(uniq)) == list(pd.Index(ref_uniq))


@pytest.mark.parametrize("kind", ["str", "string", "chunks"])
def test_runs_of_arrow_text_with_missing_values_equal_factorize(kind: str) -> None:
    values: list[Any] = [f"{600000 + i % 3}.SS" for i in np.repeat(np.arange(600), 100)]
    for i in (0, 5_000, 5_001, 59_999):
        values[i] = None
    col = _arrow_series(values, kind)
    codes, uniq = factorize_cells(col, what="t", label="ticker")
    ref_codes, ref_uniq = pd.factorize(col, use_na_sentinel=True)
    assert np.array_equal(codes, ref_codes) and (codes[[0, 5_000, 59_999]] == -1).all()
    assert list(pd.Index(uniq)) == list(pd.Index(ref_uniq))


def test_factorize_runs_keeps_one_code_per_run() -> None:
    col = pd.Series(np.repeat(["b", "a", "b", "c"], [20_000, 10_000, 5_000, 25_000]), dtype="str")
    starts, codes, uniq = factorize_runs(col, what="t", label="ticker")
    assert starts is not None and starts.tolist() == [0, 20_000, 30_000, 35_000]
    assert codes.tolist() == [0, 1, 0, 2] and list(uniq) == ["b", "a", "c"]
    short = pd.Series(["b", "a", "b"], dtype="str")  # too short for runs: a code per row
    starts, codes, uniq = factorize_runs(short, what="t", label="ticker")
    assert starts is None and codes.tolist() == [0, 1, 0]


def _random_codes(rng: np.random.Generator, runs: bool) -> tuple[_Codes, np.ndarray]:
    lens = rng.integers(1, 6, 40)
    per_run = rng.integers(-1 if rng.random() < 0.2 else 0, 7, 40)
    rows = np.repeat(per_run, lens)
    if runs:
        return _Codes(per_run, np.cumsum(lens) - lens, len(rows)), rows
    return _Codes(rows, None, len(rows)), rows


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("runs", [True, False])
def test_codes_by_run_answer_as_codes_by_row(seed: int, runs: bool) -> None:
    rng = np.random.default_rng(seed)
    tc, rows = _random_codes(rng, runs)
    assert np.array_equal(tc.rows, rows)
    ok = rows >= 0
    mask = rng.random(8) < 0.5
    table = rng.integers(0, 100, 8)
    if ok.all():
        assert np.array_equal(tc.spread(table), table[rows])
        assert np.array_equal(tc.counts(8), np.bincount(rows, minlength=8))
        assert np.array_equal(tc.where(mask), np.flatnonzero(mask[rows]))
        sel = tc.select(mask, table)
        assert np.array_equal(sel.rows, table[rows[mask[rows]]]) and sel.n == mask[rows].sum()
        assert np.array_equal(tc.recode(table).rows, table[rows])
        days = rng.integers(0, 6, len(rows))
        if tc.distinct_cells(days):  # never claims what a count refutes
            assert not pd.DataFrame({"d": days, "t": rows}).duplicated().any()
    if (~ok).any():
        assert tc.first(tc.codes < 0) == np.flatnonzero(~ok)[0]


def test_distinct_cells_clears_a_sorted_panel_only() -> None:
    days = np.tile(np.arange(5), 3)
    sorted_runs = _Codes(np.array([0, 1, 2]), np.array([0, 5, 10]), 15)
    assert sorted_runs.distinct_cells(days)
    assert not sorted_runs.distinct_cells(np.where(np.arange(15) == 3, 2, days))  # 2, 2
    assert not _Codes(np.array([0, 1, 0]), np.array([0, 5, 10]), 15).distinct_cells(days)
    assert not _Codes(np.repeat([0, 1, 2], 5), None, 15).distinct_cells(days)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_day_table_spans_first_to_last_day(unit: str) -> None:
    stamps = pd.to_datetime(
        ["2024-03-04 09:30", "2024-02-28 00:00", "2024-03-01 23:59", "2024-03-04 00:00"]
    )
    codes, days = _row_dates(pd.Series(stamps.astype(f"datetime64[{unit}]")))
    assert days.dtype == np.dtype("datetime64[ns]")
    assert np.array_equal(days, pd.date_range("2024-02-28", "2024-03-04").values)
    assert codes.tolist() == [5, 0, 2, 5]
    one = _row_dates(pd.Series(stamps[:1]))
    assert one[0].tolist() == [0] and str(pd.Timestamp(one[1][0]).date()) == "2024-03-04"


def test_day_table_refuses_a_day_out_of_range_by_its_row() -> None:
    raw = pd.Series(np.array(["2024-01-02", "2300-01-01", "2024-01-03"], dtype="datetime64[s]"))
    with pytest.raises(DataError, match=r"row 2 has an unparseable or empty date .*year 2300"):
        _row_dates(raw)


# ---------------------------------------------------------------- whole panels


def _base(n_firms: int = 60, n_days: int = 1_000, seed: int = 5) -> pd.DataFrame:
    """A long panel sorted by ticker, then date: big enough for runs (over 50,000 rows)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2019-01-02", periods=n_days)
    names = [f"{600000 + i:06d}.SS" for i in range(n_firms // 2)]
    names += [f"{1 + i:06d}.SZ" for i in range(n_firms - n_firms // 2)]
    names.insert(n_firms // 3, MKT)
    frame = pd.DataFrame(
        {
            "date": np.tile(days.values, len(names)),
            "ticker": np.repeat(names, n_days),
            "ret": rng.normal(0.0, 0.02, n_days * len(names)),
        }
    )
    frame["ticker"] = frame["ticker"].astype("str")
    return frame


def _firm(frame: pd.DataFrame, k: int) -> pd.Index:
    firms = [t for t in pd.unique(frame["ticker"]) if t != MKT]
    return frame.index[frame["ticker"] == firms[k]]


def _dup(frame: pd.DataFrame, idx: Any) -> pd.DataFrame:
    return pd.concat([frame, frame.loc[idx]], ignore_index=True)


def _move_to_end(frame: pd.DataFrame, idx: Any) -> pd.DataFrame:
    return pd.concat([frame.drop(idx), frame.loc[idx]], ignore_index=True)


def _set(frame: pd.DataFrame, idx: Any, col: str, value: Any) -> pd.DataFrame:
    out = frame.copy()
    if col == "ticker":
        out["ticker"] = out["ticker"].astype(object)
        out.loc[idx, "ticker"] = value
        out["ticker"] = out["ticker"].astype("str")
    else:
        out.loc[idx, col] = value
    return out


def _no_market_day(frame: pd.DataFrame, k: int = 17) -> pd.DataFrame:
    return frame.drop(frame.index[frame["ticker"] == MKT][[k]]).reset_index(drop=True)


SPOILS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "clean": lambda f: f,
    "holes": lambda f: _set(f.drop(f.index[::97]).reset_index(drop=True), [3, 500], "ret", np.nan),
    "off calendar": _no_market_day,
    "dup firm": lambda f: _dup(f, _firm(f, 4)[[7]]),
    "dup last firm": lambda f: _dup(f, _firm(f, -1)[[7]]),
    "dup market": lambda f: _dup(f, f.index[f["ticker"] == MKT][[3]]),
    "dup off calendar": lambda f: _dup(_no_market_day(f), [2 * 1_000 + 17]),
    "split run": lambda f: _move_to_end(f, _firm(f, 2)[400:]),
    "split run, dup": lambda f: _dup(_move_to_end(f, _firm(f, 2)[400:]), _firm(f, 2)[[401]]),
    "dates backwards": lambda f: f.iloc[np.r_[0:3_000, 3_999:2_999:-1, 4_000 : len(f)]],
    "percent firm": lambda f: _set(f, _firm(f, 5), "ret", f.loc[_firm(f, 5), "ret"] * 100),
    "percent skipped firm": lambda f: _set(
        f, _firm(f, -2), "ret", f.loc[_firm(f, -2), "ret"] * 100
    ),
    "below -1": lambda f: _set(f, [4_321], "ret", -1.5),
    "infinite": lambda f: _set(f, [12_345], "ret", np.inf),
    "spellings": lambda f: _set(f, _firm(f, 1)[500:], "ticker", "600001.SH"),
    "empty ticker": lambda f: _set(f, [30_000], "ticker", " "),
    "missing ticker": lambda f: _set(f, [30_000], "ticker", None),
    "no market": lambda f: _set(f, f.index[f["ticker"] == MKT], "ticker", "000301.SS"),
    "bare market": lambda f: _set(f, f.index[f["ticker"] == MKT], "ticker", "000300"),
    "short market": lambda f: f.drop(f.index[f["ticker"] == MKT][2:]).reset_index(drop=True),
    "wild date": lambda f: _set(f, [6_000], "date", pd.Timestamp("1950-06-01")),
    "span": lambda f: f.assign(span=np.where(np.arange(len(f)) % 7 == 0, 2.0, np.nan)),
    "seconds": lambda f: f.assign(date=f["date"].astype("datetime64[s]")),
}


def _outcome(frame: pd.DataFrame, wanted: list[str] | None) -> tuple[Any, ...]:
    """What ``align_panel`` gives: its arrays and names, or its error; and its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            a = align_panel(frame, MKT, tickers=wanted)
        except DataError as exc:
            got: tuple[Any, ...] = ("error", str(exc))
        else:
            got = (
                a.dates.tolist(),
                a.market.tolist(),
                np.nan_to_num(a.firm, nan=9.0).tolist(),
                list(a.tickers),
                list(a.skipped),
                a.notes,
                a.market_ticker,
                None if a.beyond_limit is None else a.beyond_limit.tolist(),
                None if a.span is None else np.nan_to_num(a.span, nan=9.0).tolist(),
            )
    return got, [(w.category.__name__, str(w.message)) for w in caught]


def _slow(frame: pd.DataFrame) -> pd.DataFrame:
    """The same panel as object tickers and text dates (no pyarrow bytes, no day numbers)."""
    out = frame.copy()
    out["ticker"] = out["ticker"].astype(object)
    out["date"] = pd.Series(out["date"]).dt.strftime("%Y-%m-%d")
    return out


@pytest.mark.parametrize("keep", [None, 3, 50], ids=["all", "few", "most"])
@pytest.mark.parametrize("spoil", list(SPOILS))
def test_fast_paths_equal_the_fallbacks(spoil: str, keep: int | None, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    frame = SPOILS[spoil](_base())
    firms = [f"{600000 + i:06d}.SS" for i in range(30)] + [f"{1 + i:06d}.SZ" for i in range(30)]
    wanted = None if keep is None else firms[:keep]
    fast = _outcome(frame, wanted)
    slow_text = _outcome(_slow(frame), wanted)
    monkeypatch.setattr(dates_mod, "_runs", lambda raw, min_len=0: None)
    monkeypatch.setattr(align_mod, "_day_numbers", lambda raw: None)
    by_row = _outcome(frame, wanted)
    assert fast == by_row
    assert fast == slow_text
    if spoil in ("clean", "holes", "split run", "span", "seconds"):
        assert fast[0][0] != "error"  # these panels align


def test_sorted_panel_aligns_as_a_pivot() -> None:
    frame = _no_market_day(_base())
    frame.loc[[5, 7_000], "ret"] = np.nan
    with pytest.warns(Warning, match="60 firm row"):  # one day of every firm
        a = align_panel(frame, MKT)
    wide = frame.pivot(index="date", columns="ticker", values="ret")
    mkt = frame.loc[frame["ticker"] == MKT].set_index("date")["ret"].dropna()
    ref = wide.loc[mkt.index, list(a.tickers)]
    assert np.array_equal(a.firm, ref.to_numpy(), equal_nan=True)
    assert a.firm.flags.c_contiguous and a.firm.shape == (999, 60)
    assert np.array_equal(a.market, mkt.to_numpy())
