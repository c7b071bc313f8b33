"""The fixed-cost path of ``align_panel`` against straightforward computations.

Day numbers instead of hashing dates, runs instead of hashing tickers, the
cell grid instead of a (date, ticker) count for duplicates, candidate cells
for the price-limit marks and one bin count for the magnitude profile: each
is compared here with the plain computation it replaces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.align import _day_numbers, _row_dates, align_panel
from eventstudy.dates import factorize_cells
from eventstudy.exceptions import DataError
from eventstudy.guards import _profile, beyond_limit
from eventstudy.market.boards import board_of
from eventstudy.market.limits import limit_fractions

MKT = "000300.SS"


def _plain_days(raw: pd.Series) -> np.ndarray:
    """Calendar day of every row by hashing: factorize, then normalise each value."""
    codes, uniq = pd.factorize(raw)
    return pd.DatetimeIndex(uniq).normalize().values.astype("datetime64[ns]")[codes]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_day_numbers_match_hashing_in_every_unit(unit: str) -> None:
    rng = np.random.default_rng(1)
    base = pd.to_datetime(["1965-03-01", "1999-12-31", "2024-02-29", "2024-03-01"])
    stamps = base[rng.integers(0, 4, 500)] + pd.to_timedelta(rng.integers(0, 86_399, 500), "s")
    raw = pd.Series(stamps.astype(f"datetime64[{unit}]"))
    codes, uniq = _row_dates(raw)
    assert (uniq[codes] == _plain_days(raw)).all()
    assert len(np.unique(uniq[codes])) == 4 and len(np.unique(uniq)) == len(uniq)  # distinct days


def test_day_numbers_leave_missing_and_zoned_values_to_factorize() -> None:
    with_nat = pd.Series(pd.to_datetime(["2024-01-02", None]))
    assert _day_numbers(with_nat) is None
    zoned = pd.Series(pd.to_datetime(["2024-01-02 01:00"]).tz_localize("UTC"))
    assert _day_numbers(zoned) is None
    # zones still go to China time through the slow path: 2024-01-01 20:00 UTC is the 2nd
    late = pd.Series(pd.to_datetime(["2024-01-01 20:00"]).tz_localize("UTC"))
    codes, uniq = _row_dates(late)
    assert str(pd.Timestamp(uniq[codes[0]]).date()) == "2024-01-02"
    with pytest.raises(DataError, match="row 2"):
        _row_dates(with_nat)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(np.repeat([f"{600000 + i}.SS" for i in range(30)], 2_000)),
        pd.Series(np.repeat([f"T{i}" for i in range(30)], 2_000), dtype=object),
        pd.Series(np.repeat(np.array(["b", None, "a", "b", np.nan, "c"], dtype=object), 10_000)),
        pd.Series(np.repeat(np.array(["x", "y", "x"]), 20_000), dtype="string"),
        pd.Series(np.repeat([3, 1, 2, 3], 15_000)),
    ],
    ids=["str", "object", "missing", "string-na", "int"],
)
def test_factorize_by_runs_equals_factorize(column: pd.Series) -> None:
    codes, uniq = factorize_cells(column, what="t", label="ticker")
    ref_codes, ref_uniq = pd.factorize(column, use_na_sentinel=True)
    assert np.array_equal(codes, ref_codes)
    assert list(pd.Index(uniq)) == list(pd.Index(ref_uniq))


def test_factorize_by_runs_still_names_an_unhashable_row() -> None:
    col = pd.Series(np.repeat(np.array(["a", "b"], dtype=object), 30_000))
    col = col.astype(object)
    col.iloc[40_000] = ["b"]
    with pytest.raises(DataError, match=r"row 40001 has a list"):
        factorize_cells(col, what="returns", label="ticker")


def _panel(n_firms: int = 12, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2023-01-02", periods=60)
    names = [MKT] + [f"{600000 + i:06d}.SS" for i in range(n_firms)]
    frame = pd.DataFrame(
        {
            "date": np.tile(days, len(names)),
            "ticker": np.repeat(names, len(days)),
            "ret": rng.normal(0.0, 0.02, len(days) * len(names)),
        }
    )
    return frame


def _grid(frame: pd.DataFrame) -> pd.DataFrame:
    """The firm matrix by pandas: pivot, on the market's dates, firms only."""
    wide = frame.pivot(index="date", columns="ticker", values="ret")
    mkt_days = frame.loc[(frame["ticker"] == MKT) & frame["ret"].notna(), "date"]
    return wide.loc[np.sort(mkt_days.unique())].drop(columns=MKT)


@pytest.mark.parametrize("keep", [None, 2, 10], ids=["all", "few", "most"])
def test_aligned_grid_equals_a_pivot(keep: int | None) -> None:
    frame = _panel()
    frame = frame.drop(frame.index[[5, 70, 71]])  # holes: missing returns
    frame = frame.drop(frame[(frame["ticker"] == MKT)].index[[7]])  # a day without the market
    firms = sorted(set(frame["ticker"]) - {MKT})
    wanted = firms if keep is None else firms[:keep]
    with pytest.warns(Warning, match="without a market return"):
        aligned = align_panel(frame.sample(frac=1, random_state=3), MKT, tickers=wanted)
    assert sorted(aligned.tickers) == wanted  # in the order of first appearance
    ref = _grid(frame)[list(aligned.tickers)]
    assert np.array_equal(aligned.firm, ref.to_numpy(), equal_nan=True)
    assert sorted(aligned.skipped) == [f for f in firms if f not in wanted]


@pytest.mark.parametrize("keep", [None, 2, 10], ids=["all", "few", "most"])
def test_duplicates_are_found_wherever_they_are(keep: int | None) -> None:
    frame = _panel()
    firms = sorted(set(frame["ticker"]) - {MKT})
    wanted = firms if keep is None else firms[:keep]
    gap = frame[frame["ticker"] == MKT].index[[9]]
    no_mkt_day = frame.loc[gap[0], "date"]
    frame = frame.drop(gap).reset_index(drop=True)
    cases = {
        "firm": frame.index[(frame["ticker"] == firms[1])][[3]],
        "market": frame.index[(frame["ticker"] == MKT)][[4]],
        "off-calendar": frame.index[(frame["ticker"] == firms[0]) & (frame["date"] == no_mkt_day)],
    }
    for _what, idx in cases.items():
        dup = pd.concat([frame, frame.loc[idx]], ignore_index=True)
        first = int(idx[0]) + 1
        day = pd.Timestamp(frame.loc[idx[0], "date"]).date()
        with pytest.raises(DataError, match=rf"first at row {first} \(.*, {day}\); 2 rows"):
            align_panel(dup, MKT, tickers=wanted)
    # a duplicate in a ticker no event reads is not looked at
    idx = frame.index[(frame["ticker"] == firms[-1])][[3]]
    dup = pd.concat([frame, frame.loc[idx]], ignore_index=True)
    if keep is None:
        with pytest.raises(DataError, match="duplicate"):
            align_panel(dup, MKT, tickers=wanted)
    else:
        with pytest.warns(Warning, match="without a market return"):
            assert align_panel(dup, MKT, tickers=wanted).firm.shape[1] == keep


def test_beyond_limit_equals_every_cell_against_its_bound() -> None:
    rng = np.random.default_rng(7)
    tickers = ["600000.SS", "300001.SZ", "688001.SS", "830799.BJ", MKT, "AAPL", "000001.SZ"]
    dates = pd.bdate_range("2020-08-10", periods=40)  # ChiNext limits change on 2020-08-24
    ret = rng.normal(0.0, 0.12, (len(dates), len(tickers)))
    ret[3, 1] = np.nan
    span = np.where(rng.random(ret.shape) < 0.2, 2.0, np.nan)
    for sp in (None, span):
        got = beyond_limit(ret, tickers, dates, sp)
        lim = limit_fractions(
            np.array([board_of(t) for t in tickers], dtype=object)[None, :],
            dates.values.astype("datetime64[ns]")[:, None],
        )
        s = np.ones(ret.shape) if sp is None else np.maximum(np.nan_to_num(sp, nan=1.0), 1.0)
        with np.errstate(invalid="ignore"):
            up = (1.0 + lim) ** s - 1.0 + 0.01
            down = (1.0 - lim) ** s - 1.0 - 0.01
            want = (ret > up) | (ret < down)
        assert got.any() and np.array_equal(got, want)


@pytest.mark.parametrize("nonzero", [False, True])
def test_profile_counts_equal_per_series_counts(nonzero: bool) -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 6, 4_000)
    dec = rng.normal(0.0, 0.3, 4_000) * np.where(codes == 2, 10.0, 1.0)
    dec[rng.random(4_000) < 0.1] = np.nan
    dec[rng.random(4_000) < 0.05] = 0.0
    prof = _profile(dec, codes, 7, nonzero, 0.2, 5e-4)  # series 6 is empty: left out
    assert list(prof.index) == [0, 1, 2, 3, 4, 5]
    for g, row in prof.iterrows():
        v = dec[(codes == g) & ~np.isnan(dec)]
        assert row["n"] == len(v)
        assert row["n_beyond"] == (np.abs(v) > 1).sum()
        assert row["n_negative"] == (v < 0).sum()
        assert row["above"] == (np.abs(v) > 0.2).sum()
        med = np.median(np.abs(v))
        assert np.isnan(row["median"]) and med <= 0.2 or row["median"] == med
        assert row["n_nonzero"] == ((np.abs(v) > 0).sum() if nonzero else 0)


def _stacked(wide: pd.DataFrame) -> pd.DataFrame:
    """The long frame a wide one reads as: date by date, columns in order."""
    t, n = wide.shape
    return pd.DataFrame(
        {
            "date": np.repeat(wide.index.values, n),
            "ticker": np.tile(np.asarray(wide.columns.astype(str)), t),
            "ret": wide.to_numpy().reshape(-1),
        }
    )


@pytest.mark.parametrize("keep", [None, 2, 10], ids=["all", "few", "most"])
def test_wide_frame_reads_as_its_stacked_long_frame(keep: int | None) -> None:
    wide = _panel().pivot(index="date", columns="ticker", values="ret")
    wide.loc[wide.index[6], MKT] = np.nan  # a day without the market
    firms = sorted(set(wide.columns) - {MKT})
    wanted = firms if keep is None else firms[:keep]
    with pytest.warns(Warning, match="without a market return"):
        a = align_panel(wide, MKT, tickers=wanted)
    with pytest.warns(Warning, match="without a market return"):
        b = align_panel(_stacked(wide[[*wanted, MKT]]), MKT)
    assert list(a.tickers) == list(b.tickers) == wanted
    assert np.array_equal(a.firm, b.firm, equal_nan=True)
    assert np.array_equal(a.market, b.market) and a.dates.equals(b.dates)
    assert a.notes == b.notes


@pytest.mark.parametrize(
    "spoil",
    [
        lambda w: w.iloc[[0, 1, 2, 1]],  # a date twice
        lambda w: w.set_axis([*w.columns[:-1], w.columns[0]], axis=1),  # a ticker twice
        lambda w: w.where(np.arange(w.size).reshape(w.shape) != 40, -1.5),
        lambda w: w.where(np.arange(w.size).reshape(w.shape) != 27, np.inf),
        lambda w: w * 100,
    ],
    ids=["date twice", "ticker twice", "below -1", "infinite", "percent"],
)
def test_wide_frame_errors_name_the_row_of_its_stacked_frame(spoil) -> None:  # type: ignore[no-untyped-def]
    wide = spoil(_panel(n_firms=4).pivot(index="date", columns="ticker", values="ret"))
    with pytest.raises(DataError) as wide_err:
        align_panel(wide, MKT)
    with pytest.raises(DataError) as long_err:
        align_panel(_stacked(wide), MKT)
    assert str(wide_err.value) == str(long_err.value)


def _scale_refuses(grid: np.ndarray, market: np.ndarray, unit: str) -> bool:
    """Does the exact row check refuse these decimals (as rows, declared in ``unit``)?"""
    from eventstudy.guards import check_return_scale

    raw = np.concatenate([grid.reshape(-1), market]) / (0.01 if unit == "percent" else 1.0)
    codes = np.concatenate(
        [np.tile(np.arange(grid.shape[1]), grid.shape[0]), np.full(len(market), grid.shape[1])]
    )
    try:
        check_return_scale(
            raw, unit=unit, tickers=codes, labels=[str(i) for i in range(grid.shape[1] + 1)]
        )
    except DataError:
        return True
    return False


@pytest.mark.parametrize("seed", range(40))
def test_grid_screen_clears_only_what_the_row_check_accepts(seed: int) -> None:
    from eventstudy.guards import plausible_grid

    rng = np.random.default_rng(seed)
    t, n = int(rng.integers(3, 60)), int(rng.integers(1, 6))
    grid = rng.normal(0.0, rng.choice([0.001, 0.02, 0.15, 0.3, 2.0]), (t, n))
    grid[rng.random(grid.shape) < rng.choice([0.0, 0.3, 0.9])] = np.nan
    if rng.random() < 0.3:
        grid[:, 0] *= rng.choice([0.001, 100.0])
    if rng.random() < 0.2:
        grid[rng.integers(t), rng.integers(n)] = rng.choice([-1.0, -1.2])
    if rng.random() < 0.2:
        grid[: t // 2] = 0.0
    market = rng.normal(0.0, 0.01, t)
    for unit in ("decimal", "percent"):
        if plausible_grid(grid, market, unit):
            assert not _scale_refuses(grid, market, unit)


def test_grid_screen_clears_ordinary_returns() -> None:
    from eventstudy.guards import plausible_grid

    rng = np.random.default_rng(0)
    grid = rng.normal(0.0, 0.025, (250, 30))
    grid[:3, 4] = 0.35  # a few listing days beyond any limit
    grid[5:, 7] = np.nan  # a short series
    grid[0, 7] = 0.5
    assert plausible_grid(grid, rng.normal(0.0, 0.012, 250), "decimal")
    assert plausible_grid(grid, rng.normal(0.0, 0.012, 250), "percent")
    assert not plausible_grid(grid * 100, rng.normal(0.0, 0.012, 250), "decimal")
    assert not plausible_grid(grid / 100, rng.normal(0.0, 0.012, 250), "percent")
