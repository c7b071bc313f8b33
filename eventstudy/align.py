"""Turn a return panel into aligned arrays on the market index's own dates.

Event time counts trading days on the dates on which the market index has a
return (DESIGN section 3).  Firm returns are placed on that calendar; a firm
date without a row (or with an empty return) is a missing return, never a
zero.  Rows of firms on dates the market does not trade are dropped and
counted.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.data.base import Panel
from eventstudy.dates import factorize_runs, parse_dates
from eventstudy.exceptions import DataError, DataWarning
from eventstudy.guards import (
    beyond_limit,
    beyond_limit_note,
    check_return_scale,
    check_unit,
    plausible_grid,
)
from eventstudy.tickers import check_utf8, near_tickers, normalize_market_ticker, normalize_ticker

__all__ = ["AlignedPanel", "align_panel", "window_values"]


@dataclass(frozen=True)
class AlignedPanel:
    """Returns on the market calendar: ``firm[t, j]`` is ticker ``j`` on ``dates[t]``."""

    dates: pd.DatetimeIndex
    market: NDArray[np.float64]
    firm: NDArray[np.float64]
    tickers: pd.Index
    market_ticker: str
    span: NDArray[np.float64] | None = None
    notes: list[str] = field(default_factory=list)
    #: ``beyond_limit[t, j]``: the return lies beyond the board's daily limit
    #: (:func:`eventstudy.guards.beyond_limit`); None when not computed.
    beyond_limit: NDArray[np.bool_] | None = None
    #: tickers of the input that were not aligned because no event reads them
    #: (``align_panel(..., tickers=...)``); kept for messages
    skipped: pd.Index = field(default_factory=lambda: pd.Index([], dtype=object))

    @property
    def known_tickers(self) -> list[str]:
        """Every ticker of the input: aligned, skipped and the market."""
        return [*map(str, self.tickers), *map(str, self.skipped), self.market_ticker]

    def ticker_codes(self, tickers: pd.Series) -> NDArray[np.int64]:
        """Column of each ticker in :attr:`firm`; ``-1`` where absent."""
        return np.asarray(self.tickers.get_indexer(pd.Index(tickers.astype(str))), dtype=np.int64)


def window_values(
    mat: NDArray[Any],
    d0: NDArray[np.int64],
    offsets: NDArray[np.int64],
    cols: NDArray[np.int64] | None = None,
    fill: Any = np.nan,
) -> NDArray[Any]:
    """Values of a (days x columns) grid on each event's days ``d0 + offsets``.

    Returns an (events x offsets) array: row ``i`` holds ``mat[d0[i] + offsets,
    cols[i]]`` (or ``mat[d0[i] + offsets]`` for a days vector, ``cols=None``),
    and ``fill`` where a day falls outside the grid.
    """
    t_len = mat.shape[0]
    pos = d0[:, None] + offsets[None, :]
    same_type = np.result_type(mat.dtype, fill) == mat.dtype  # as np.where would give
    if len(d0) and len(offsets) and mat.flags.c_contiguous and same_type:
        lo = int(d0.min()) + int(offsets.min())
        hi = int(d0.max()) + int(offsets.max())
        if lo >= 0 and hi < t_len:  # every day inside: one flat gather, no fill
            if cols is None and mat.ndim == 1:
                return mat.take(pos)
            if cols is not None and mat.ndim == 2:
                return mat.reshape(-1).take(pos * mat.shape[1] + cols[:, None])
    inside = (pos >= 0) & (pos < t_len)
    posc = np.clip(pos, 0, t_len - 1)
    vals = mat[posc] if cols is None else mat[posc, cols[:, None]]
    return np.where(inside, vals, fill)


def _first_row(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _row_no(rows: NDArray[np.int64] | None, i: int) -> int:
    """1-based row of the input of the ``i``-th row kept (``rows``: the kept rows)."""
    return int(i if rows is None else rows[i]) + 1


def _row_dates(raw: pd.Series) -> tuple[NDArray[np.int64], NDArray[np.datetime64]]:
    """Trading day of every row as codes into a table of distinct days (``days[codes]``).

    A naive datetime column is coded by day numbers (:func:`_day_numbers`):
    the table holds every day from its first to its last, days without rows
    included.  Any other datetime column is reduced to its distinct values
    first (a panel repeats each date once per ticker) and only those are
    parsed; text, numbers and missing values go through
    :func:`~eventstudy.dates.parse_dates` row by row, so that a message names
    the row.  Both of these tables hold only days with rows.
    """
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        fast = _day_numbers(raw)
        if fast is not None:
            try:  # the first and the last day pass the date policy, hence every day between
                parse_dates(pd.Series(fast[1][[0, -1]]), what="returns")
                return fast[0], fast[1].astype("datetime64[ns]")
            except DataError:  # a date out of range: parsed row by row below, naming its row
                pass
        else:
            codes, uniq = pd.factorize(raw, use_na_sentinel=True)
            if len(codes) and (codes >= 0).all():
                try:
                    days = parse_dates(pd.Series(uniq), what="returns").dates.values
                except DataError:  # as above
                    days = None
                if days is not None:
                    dcodes, duniq = pd.factorize(np.asarray(days, dtype="datetime64[ns]"))
                    return np.asarray(dcodes, dtype=np.int64)[codes], np.asarray(duniq)
    dvals = parse_dates(raw, what="returns").dates.values.astype("datetime64[ns]")
    dcodes, duniq = pd.factorize(dvals)
    return np.asarray(dcodes, dtype=np.int64), np.asarray(duniq)


#: Length of a day in each unit a naive datetime column may have.
_DAY: dict[str, int] = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400 * 10**9}


def _day_numbers(raw: pd.Series) -> tuple[NDArray[np.int64], NDArray[np.datetime64]] | None:
    """Day number of every row of a naive datetime column, and its days, or None.

    The day number counts calendar days from the first day of the column
    (the floor of the stamp over one day), so that the stamps of one day
    share a code with neither hashing nor counting; the days come back
    in the column's unit, at midnight, one per day from the first to the
    last (days without rows included).  None (the caller factorises) for
    zone-aware or missing values, other units, or a span of more than
    10**6 days.
    """
    if not isinstance(raw.dtype, np.dtype) or len(raw) == 0:
        return None
    unit = np.datetime_data(raw.dtype)[0]  # type: ignore[arg-type]
    if unit not in _DAY:
        return None
    day = raw.to_numpy().view(np.int64) // _DAY[unit]
    lo, hi = int(day.min()), int(day.max())
    if lo == np.iinfo(np.int64).min // _DAY[unit] or hi - lo > 10**6:  # NaT or a wild date
        return None
    day -= lo
    days = (np.arange(lo, hi + 1, dtype=np.int64) * _DAY[unit]).view(f"datetime64[{unit}]")
    return day, days


class _Codes:
    """Ticker code of every row; a column in runs keeps one code per run.

    ``codes`` holds a code per run (``starts``: the first row of each run)
    or, with ``starts`` None, a code per row; either way the per-row codes
    are :attr:`rows`, built only when asked for.
    """

    def __init__(self, codes: NDArray[np.int64], starts: NDArray[np.int64] | None, n: int):
        self.codes, self.starts, self.n = codes, starts, n
        self.lens = None if starts is None else np.diff(starts, append=n)
        self._rows: NDArray[np.int64] | None = None

    @property
    def rows(self) -> NDArray[np.int64]:
        if self._rows is None:
            self._rows = self.codes if self.lens is None else np.repeat(self.codes, self.lens)
        return self._rows

    def spread(self, per_code: NDArray[Any]) -> NDArray[Any]:
        """``per_code`` looked up for every row (``per_code[rows]``)."""
        if self.lens is None:
            return per_code[self.codes]
        return np.repeat(per_code[self.codes], self.lens)

    def first(self, mask: NDArray[np.bool_]) -> int:
        """First row whose entry of ``codes`` is marked."""
        i = _first_row(mask)
        return i if self.starts is None else int(self.starts[i])

    def counts(self, k: int) -> NDArray[np.int64]:
        """Rows per code."""
        if self.lens is None:
            return np.bincount(self.codes, minlength=k)
        return np.bincount(self.codes, weights=self.lens, minlength=k).astype(np.int64)

    def where(self, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        """Rows whose code is marked in ``mask`` (a mask per code), in order."""
        if self.starts is None or self.lens is None:
            return np.flatnonzero(mask[self.codes])
        hit = mask[self.codes]
        lens = self.lens[hit]
        ends = np.cumsum(lens)
        return np.arange(int(lens.sum())) + np.repeat(self.starts[hit] - ends + lens, lens)

    def recode(self, table: NDArray[np.int64]) -> _Codes:
        return _Codes(table[self.codes], self.starts, self.n)

    def select(self, mask: NDArray[np.bool_], table: NDArray[np.int64]) -> _Codes:
        """The rows of the codes marked in ``mask``, recoded by ``table``."""
        hit = mask[self.codes]
        if self.lens is None:
            return _Codes(table[self.codes[hit]], None, int(hit.sum()))
        lens = self.lens[hit]
        return _Codes(table[self.codes[hit]], np.cumsum(lens) - lens, int(lens.sum()))

    def distinct_cells(self, dcodes: NDArray[np.int64]) -> bool:
        """True when no two rows share a (date, ticker) code: each ticker in one run,
        its date codes increasing (a panel sorted by ticker, then date)."""
        if self.starts is None or len(np.unique(self.codes)) < len(self.codes):
            return False
        inc = dcodes[1:] > dcodes[:-1]
        inc[self.starts[1:] - 1] = True
        return bool(inc.all())


def _no_duplicates(
    dcodes: NDArray[np.int64],
    tcodes: NDArray[np.int64],
    keep_code: NDArray[np.bool_],
    n_days: int,
    norm: pd.Index,
    duniq: NDArray[np.datetime64],
    rows: NDArray[np.int64] | None,
) -> None:
    """Raise on duplicate (date, ticker) rows among the tickers kept; naming the first.

    The full count over every row kept: called where a cheaper test saw a
    duplicate (or could not look), so that the message is always the same.
    """
    days = dcodes
    if n_days * len(norm) > 2 * len(dcodes):  # a table of mostly empty days: days with rows
        used = np.bincount(dcodes, minlength=n_days) > 0
        days, n_days = (np.cumsum(used) - 1)[dcodes], int(used.sum())
    key = days * len(norm) + tcodes
    counts = np.bincount(key, weights=keep_code[tcodes], minlength=n_days * len(norm))
    dupmask = (counts[key] > 1) & keep_code[tcodes]
    if dupmask.any():
        i = _first_row(dupmask)
        raise DataError(
            f"returns: duplicate (date, ticker) rows, first at row {_row_no(rows, i)} "
            f"({norm[tcodes[i]]}, {pd.Timestamp(duniq[dcodes[i]]).date()}); "
            f"{int(dupmask.sum())} rows involved"
        )


def _needed_columns(
    frame: pd.DataFrame, market: str, tickers: Iterable[str]
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Columns of a wide frame that the caller reads (its tickers and the market).

    Column names are normalised as :func:`align_panel` does; returns the
    frame of those columns, the normalised names of the others and of all.
    """
    mkt, _ = normalize_market_ticker(market)
    raw_mkt = str(market).strip()
    want = {str(t) for t in tickers} | {mkt, normalize_ticker(market)}
    names = [str(c) for c in frame.columns]
    norm = [mkt if c.strip() == raw_mkt else normalize_ticker(c) for c in names]
    keep = np.array([n in want for n in norm], dtype=bool)
    skipped = [n for n, k in zip(norm, keep, strict=True) if not k]
    return frame.iloc[:, np.flatnonzero(keep)], skipped, norm


def _wide_codes(
    frame: pd.DataFrame,
) -> tuple[NDArray[np.int64], NDArray[np.datetime64], NDArray[np.int64], Any, pd.Series]:
    """Date and ticker codes of every cell of a wide frame, read as long rows.

    Row ``t * n + j`` (0-based) is the cell of date ``t`` and column ``j``, as
    if the frame were stacked date by date; the codes come from the index and
    the column names (each read once), not from a long frame of strings.
    """
    idx = parse_dates(pd.Series(pd.Index(frame.index)), what="returns (index)").dates
    vals = frame.to_numpy()
    t, n = vals.shape
    day_c, days = pd.factorize(np.asarray(idx.values, dtype="datetime64[ns]"))
    col_c, names = pd.factorize(np.asarray(frame.columns.astype(str), dtype=object))
    dcodes = np.repeat(np.asarray(day_c, dtype=np.int64), n)
    tcodes = np.tile(np.asarray(col_c, dtype=np.int64), t)
    return dcodes, np.asarray(days), tcodes, names, pd.Series(vals.reshape(-1), copy=False)


def align_panel(
    returns: pd.DataFrame | Panel,
    market: str,
    *,
    returns_unit: str = "decimal",
    tickers: Iterable[str] | None = None,
) -> AlignedPanel:
    """Validate a return panel and align it on the market index's dates.

    Parameters
    ----------
    returns : DataFrame or Panel
        Long frame ``date, ticker, ret`` (``id`` accepted for ``ticker``), or a
        wide frame (dates x tickers), or a :class:`~eventstudy.data.Panel`.
    market : str
        Ticker of the market index inside ``returns``.
    returns_unit : {"decimal", "percent"}
        Unit of the returns handed over (the readers' panels hold decimals);
        percent returns are divided by 100.
    tickers : iterable of str, optional
        The (normalised) tickers the caller reads, besides the market.  The
        panel's other tickers are then neither validated nor aligned (a
        study passes its events' tickers, so the fixed cost follows the
        events, not the panel: a wide frame keeps only those columns before
        anything else); their names are kept in
        :attr:`AlignedPanel.skipped` for messages.  None: every ticker.

    Raises
    ------
    DataError
        Missing columns, dates outside the date policy (:mod:`eventstudy.dates`),
        non-numeric or infinite returns, magnitudes that do not fit the declared
        unit (:func:`eventstudy.guards.check_return_scale`), duplicate (date,
        ticker) rows, or a market ticker that is absent.
    """
    unit = check_unit(returns_unit)
    notes: list[str] = []
    skipped_wide: list[str] = []
    every: list[str] | None = None  # every ticker of a wide input, for messages
    if isinstance(returns, Panel):
        notes.extend(returns.notes)
        returns = returns.returns
    if not isinstance(returns, pd.DataFrame):
        raise DataError(f"returns must be a DataFrame or Panel, got {type(returns).__name__}")
    if "ticker" not in returns.columns and "id" in returns.columns:
        returns = returns.rename(columns={"id": "ticker"})
    if not {"date", "ticker", "ret"} <= set(returns.columns):
        if isinstance(returns.index, pd.DatetimeIndex) or "date" not in returns.columns:
            if returns.shape[1] == 0 or not all(
                pd.api.types.is_numeric_dtype(d) for d in returns.dtypes
            ):
                raise DataError(
                    "returns: expected a long frame with columns date, ticker, ret "
                    "or a wide numeric frame (dates x tickers); found columns "
                    f"{list(returns.columns)[:10]}"
                )
            if isinstance(returns.columns, pd.MultiIndex) and returns.columns.nlevels == 1:
                returns = returns.set_axis(returns.columns.get_level_values(0), axis=1)
            if isinstance(returns.columns, pd.MultiIndex):
                raise DataError(
                    "returns: a wide frame needs one level of column names (the tickers); "
                    f"found {returns.columns.nlevels} levels, e.g. {returns.columns[0]!r}: "
                    "select one level first, e.g. frame['Close'] or frame.droplevel(0, axis=1)"
                )
            check_utf8(
                list(returns.columns),
                "returns",
                "column name",
                DataError,
                lambda j: f"column {j + 1}",
            )
            if tickers is not None:
                returns, skipped_wide, every = _needed_columns(returns, market, tickers)
            dcodes, duniq, tcodes, tuniq, raw_ret = _wide_codes(returns)
            tc = _Codes(tcodes, None, len(tcodes))
            returns = pd.DataFrame()  # no span column
        else:
            missing = [c for c in ("date", "ticker", "ret") if c not in returns.columns]
            raise DataError(f"returns: missing column(s) {missing}; expected date, ticker, ret")
    else:
        # dates: one policy for every boundary (year first; zones to China time)
        dcodes, duniq = _row_dates(returns["date"])
        # tickers (normalised once per distinct value), kept per run when sorted
        starts, tcodes, tuniq = factorize_runs(returns["ticker"], what="returns", label="ticker")
        tc = _Codes(tcodes, starts, len(returns))
        raw_ret = returns["ret"]
    if (tc.codes < 0).any():
        raise DataError(f"returns: row {tc.first(tc.codes < 0) + 1} has an empty ticker")

    def day_of(i: int) -> object:
        return pd.Timestamp(duniq[dcodes[i]]).date()

    # the market's own spelling takes the index reading (eventstudy.tickers)
    mkt, mkt_note = normalize_market_ticker(market)
    raw_mkt = str(market).strip()
    given = [str(t) for t in np.asarray(tuniq, dtype=object)]
    check_utf8(
        given, "returns", "ticker", DataError, lambda j: f"row {tc.first(tc.codes == j) + 1}"
    )
    names = [mkt if t.strip() == raw_mkt else normalize_ticker(t) for t in given]
    blank = np.array([t == "" for t in names], dtype=bool)  # "" or spaces: as empty as missing
    if blank.any():
        raise DataError(f"returns: row {tc.first(blank[tc.codes]) + 1} has an empty ticker")
    renamed = [f"{a} read as {b}" for a, b in zip(given, names, strict=True) if a != b]
    if renamed:
        notes.append(f"{len(renamed)} ticker(s) normalised, e.g. {renamed[0]}")
    norm = pd.Index(names)
    given_tc = tc  # codes into ``given``, the spellings of the input (for messages)
    if len(set(names)) < len(names):
        # two spellings of one ticker: merge codes
        uniq2, remap = np.unique(np.asarray(norm), return_inverse=True)
        tc = tc.recode(remap.reshape(-1))
        norm = pd.Index(uniq2)
        names = norm.tolist()
    # returns
    if pd.api.types.is_numeric_dtype(raw_ret) and not pd.api.types.is_bool_dtype(raw_ret):
        ret = raw_ret.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        num = pd.to_numeric(raw_ret, errors="coerce")
        text = raw_ret.astype("string").str.strip()
        bad = num.isna() & raw_ret.notna() & (text != "") & (text.str.lower() != "nan")
        if bad.any():
            i = _first_row(bad.to_numpy(dtype=bool))
            raise DataError(
                f"returns: row {i + 1} ({given[given_tc.rows[i]]}, {day_of(i)}) has a non-numeric "
                f"return {raw_ret.iloc[i]!r}"
            )
        ret = num.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(ret)
    if inf.any():
        i = _first_row(inf)
        raise DataError(
            f"returns: row {i + 1} ({names[tc.rows[i]]}, {day_of(i)}) has an infinite return"
        )
    # only the rows of the tickers read (and the market): the others are never used.
    # Few of them: their rows are left out of the grid (and their returns out of the
    # row checks); many: the rows read are selected (``rows`` maps back to the input).
    rows: NDArray[np.int64] | None = None
    skipped = pd.Index(skipped_wide, dtype=object)
    norm_all = pd.Index(every) if every is not None else norm
    keep_code = np.ones(len(norm), dtype=bool)
    n_rows: NDArray[np.int64] | None = None  # rows per ticker, when counted
    if tickers is not None:
        want = {str(t) for t in tickers} | {mkt, normalize_ticker(market)}
        keep_code = np.array([t in want for t in names], dtype=bool)
        if not keep_code.all():
            skipped = skipped.append(pd.Index(norm[~keep_code], dtype=object))
            n_rows = tc.counts(len(norm))
            if 2 * int(n_rows[keep_code].sum()) < tc.n:
                rows = tc.where(keep_code)
                tc = tc.select(keep_code, np.cumsum(keep_code) - 1)
                norm = pd.Index(norm[keep_code])
                names = norm.tolist()
                n_rows = n_rows[keep_code]
                keep_code = np.ones(len(norm), dtype=bool)
                dcodes, ret = dcodes[rows], ret[rows]

    # magnitudes, per ticker and pooled, in the declared unit: screened on the grid
    # below (one pass per count); the exact check on the rows, with its messages,
    # runs where the screen cannot clear the data, and before any other error
    def row_check() -> None:
        check_return_scale(
            ret if keep_code.all() else np.where(keep_code[tc.rows], ret, np.nan),
            what="returns",
            unit=unit,
            tickers=tc.rows,
            labels=names,
            dates=duniq,
            date_codes=dcodes,
            rows=rows,
        )

    def check_rows() -> None:
        """The checks that look at rows, in the order of their errors: magnitudes, then
        duplicate (date, ticker) rows (called where a cheaper test could not clear them)."""
        row_check()
        _no_duplicates(dcodes, tc.rows, keep_code, len(duniq), norm, duniq, rows)

    scale = 0.01 if unit == "percent" else 1.0
    if unit == "percent":
        notes.append("returns declared in percent (returns_unit='percent'); divided by 100")
    # market
    mloc = names.index(mkt) if mkt in names else -1
    share = normalize_ticker(market)
    if mloc < 0 and share != mkt and share in names:
        # a bare index code in a file was read as a share: that series is the market
        msg = (
            f"market ticker {market!r}: the returns have no {mkt} but have {share} "
            f"(a bare {raw_mkt} in a file reads as a share); {share} is used as the "
            f"market index: label it {mkt} in the file, or pass market={share!r}"
        )
        notes.append(msg)
        warnings.warn(msg, DataWarning, stacklevel=3)
        mkt, mloc, mkt_note = share, names.index(share), None
    if mloc < 0:
        check_rows()
        shown = ", ".join(map(str, norm_all[:8]))
        near = near_tickers(mkt, norm_all)
        raise DataError(
            f"market ticker {market!r} is absent from the returns ("
            + (f"read as {mkt}; " if mkt != raw_mkt else "")
            + f"{len(norm_all)} tickers, e.g. {shown})"
            + (f"; did you mean {' or '.join(near)}?" if near else "")
        )
    if mkt_note is not None:
        notes.append(mkt_note)
    m_rows = tc.where(np.arange(len(norm)) == mloc)
    if (np.bincount(dcodes[m_rows], minlength=len(duniq)) > 1).any():
        check_rows()
    m_rows = m_rows[~np.isnan(ret[m_rows])]
    m_days = duniq[dcodes[m_rows]]
    order = np.argsort(m_days, kind="stable")
    mdates = m_days[order]
    mret = ret[m_rows][order] * scale
    if len(mdates) < 2:
        check_rows()
        raise DataError(f"market ticker {mkt} has fewer than 2 returns")
    # firms on the market calendar: the cell of each row in the (days x firms) grid,
    # from its day's row and its ticker's column; rows the grid does not hold (the
    # market, a skipped ticker, a date without a market return) go to one cell past
    # the grid, ``n_cells``
    upos = np.searchsorted(mdates, duniq)
    uon = (upos < len(mdates)) & (mdates[np.minimum(upos, len(mdates) - 1)] == duniq)
    firm_code = keep_code.copy()
    firm_code[mloc] = False
    firm_cols = np.flatnonzero(firm_code)
    n_f = len(firm_cols)
    n_cells = len(mdates) * n_f
    colmap = np.full(len(norm), n_cells, dtype=np.int64)
    colmap[firm_cols] = np.arange(n_f)
    flat = np.where(uon, upos * n_f, n_cells)[dcodes]
    flat += tc.spread(colmap)
    n_out = int(np.count_nonzero(flat >= n_cells))
    np.minimum(flat, n_cells, out=flat)
    if not tc.distinct_cells(dcodes):  # two rows may share a cell: count the cells
        seen = np.zeros(n_cells + 1, dtype=bool)
        seen[flat] = True
        if int(np.count_nonzero(seen[:n_cells])) < len(flat) - n_out:
            check_rows()
    # the rows left out are the other tickers' and the firms' rows off the calendar
    if n_rows is None and n_out:
        n_rows = tc.counts(len(norm))
    n_off = n_out - int(n_rows[~firm_code].sum()) if n_rows is not None else 0
    if n_off:  # rows the grid does not hold: checked as rows
        check_rows()
        msg = (
            f"{n_off} firm row(s) fall on dates without a market return and are "
            "ignored (event time counts the market index's dates)"
        )
        notes.append(msg)
        warnings.warn(msg, DataWarning, stacklevel=3)
    cells = np.full(n_cells + 1, np.nan)
    cells[flat] = ret
    mat = cells[:n_cells].reshape(len(mdates), n_f)
    if unit == "percent":
        mat *= scale
    if not n_off and not plausible_grid(mat, mret, unit):
        row_check()
    span = None
    if "span" in returns.columns:
        sp = pd.to_numeric(returns["span"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        sp = sp if rows is None else sp[rows]
        span_cells = np.full(n_cells + 1, np.nan)
        span_cells[flat] = sp
        span = span_cells[:n_cells].reshape(mat.shape)
    firm_names = pd.Index(norm[firm_cols])
    beyond = beyond_limit(mat, firm_names, pd.DatetimeIndex(mdates), span)
    note = beyond_limit_note(beyond, mat, firm_names, pd.DatetimeIndex(mdates))
    if note:
        notes.append(note)
    return AlignedPanel(
        pd.DatetimeIndex(mdates), mret, mat, firm_names, mkt, span, notes, beyond, skipped
    )
