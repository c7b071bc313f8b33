"""Property tests: malformed inputs end in the library's own error, or in a full ledger.

Random CSV files (returns, prices, ST lists, calendars) and random frames are
fed to the readers and to ``EventStudy(...).fit()``.  Each call must either
raise an :class:`~eventstudy.exceptions.EventStudyError` or return a result
in which every input event is accounted for: included, or excluded with a
non-empty reason.  Any other exception is a bug (a traceback for the user).
Examples are few and small so that the suite stays quick.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from eventstudy import EventStudy, load_calendar, read_prices_csv, read_returns_csv
from eventstudy.data.csvfile import read_st_csv
from eventstudy.exceptions import EventStudyError

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
SMALL = dict(
    estimation_window=(-40, -6),
    event_window=(-3, 3),
    car_windows=[(-1, 1), (0, 0)],
    min_estimation_days=10,
    placebo_per_firm=5,
    max_placebo=200,
)
MARKET = "000300.SS"
FIRMS = ["600000.SS", "000001.SZ", "300750.SZ", "688001.SS"]
DAYS = pd.bdate_range("2023-01-02", periods=70)

# --------------------------------------------------------------------------- cells
# Mostly good values with a few bad ones, so that both outcomes (an error, a
# finished study) are exercised.

GOOD_DATES = [str(d.date()) for d in DAYS]
BAD_DATES = [
    "",
    "NA",
    "2023-02-30",
    "2023-13-01",
    "soon",
    "2023-01",
    "0",
    "99999999",
    "2023-01-05 25:00",
    "03/01/2023",
    "01/03/2023",
    "2023-01-04T16:00:00Z",
    "2023-01-04 15:30",
    "2023-01-04T01:00:00+08:00",
    "20230104",
    "2023/01/04",
]
BAD_TICKERS = ["", "?", "^GSPC", "1", "600000.SH", "SH600000", " 000001 ", "abc.XX", "0" * 12]
BAD_NUMBERS = [
    "",
    "NaN",
    "inf",
    "-inf",
    "-1",
    "-1.5",
    "1e300",
    "abc",
    "0",
    "10",
    "-0.99",
    "1e-320",
    "150",
    "-100",
    "0x10",
    "1_000",
    "nan",
    "None",
    "TRUE",
]
bad_cells = {
    "date": st.sampled_from(BAD_DATES),
    "start": st.sampled_from(BAD_DATES),
    "end": st.sampled_from(BAD_DATES),
    "ticker": st.sampled_from(BAD_TICKERS) | st.text(alphabet="0123456789.SZHAB-", max_size=8),
    "time": st.sampled_from(["25:00", "noon", "15:30", "9", ""]),
    "timing": st.sampled_from(["later", "pre-open", "after_close", "unknown"]),
}
bad_number = st.sampled_from(BAD_NUMBERS) | st.floats(width=32).map(repr)


def _good_row(
    columns: list[str], rng: np.random.Generator, i: int, tickers: list[str]
) -> list[str]:
    t, d = tickers[i % len(tickers)], DAYS[i // len(tickers) % len(DAYS)]
    close = 10.0 * (1 + 0.01 * (i // len(tickers)))
    good = {
        "date": str(d.date()),
        "trade_date": d.strftime("%Y%m%d"),
        "start": str(d.date()),
        "end": str((d + pd.Timedelta(days=30)).date()),
        "ticker": t,
        "ts_code": t,
        "ret": f"{rng.normal(0, 0.02):.6f}",
        "pct_chg": f"{rng.normal(0, 2):.4f}",
        "close": f"{close:.2f}",
        "pre_close": f"{close / 1.01:.2f}",
        "prev_close": f"{close / 1.01:.2f}",
        "volume": str(int(rng.integers(0, 10_000))),
        "vol": str(int(rng.integers(0, 10_000))),
        "time": ["", "09:00", "15:30"][i % 3],
        "timing": "",
    }
    return [good.get(c, "x") for c in columns]


@st.composite
def csv_text(draw: Any, columns: list[str], tickers: list[str] | None = None) -> str:
    """A CSV table of good rows with a few corruptions (cells, rows, header)."""
    tickers = tickers or [MARKET, *FIRMS[:2]]
    n = draw(st.integers(0, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    rows = [_good_row(columns, rng, i, tickers) for i in range(n)]
    header = list(columns)
    for _ in range(draw(st.integers(0, 3))):
        what = draw(st.integers(0, 9))
        if what <= 5 and rows:  # a bad cell
            r, c = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(header) - 1))
            if c < len(rows[r]):
                rows[r][c] = draw(bad_cells.get(header[c], bad_number))
        elif what == 6 and rows:  # a duplicated or ragged row
            r = draw(st.integers(0, len(rows) - 1))
            rows.append(list(rows[r]) if draw(st.booleans()) else rows[r][:-1])
        elif what == 7:  # a column missing, or the header in another order
            header = header[:-1] if draw(st.booleans()) else draw(st.permutations(header))
        elif what == 8:  # a second header row (CSMAR label rows)
            rows.insert(0, [h.upper() for h in header])
    lines = [",".join(header)] + [",".join(f'"{v}"' if "," in v else v for v in r) for r in rows]
    return "\n".join(lines) + "\n"


def _bytes(text: str, mode: int) -> bytes:
    if mode <= 3:
        return text.encode("utf-8")
    if mode == 4:
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if mode == 5:
        return text.encode("gb18030")
    return text.encode("utf-8") + b"\xff\xfe\x80"  # neither UTF-8 nor GB18030


def accounted(res: Any, n_events: int) -> None:
    ev = res.events
    assert len(ev) == n_events
    assert set(ev["status"]) <= {"included", "excluded"}
    reasons = ev.loc[ev["status"] == "excluded", "reason"].astype(str).str.strip()
    assert (reasons != "").all() and (reasons != "nan").all()
    assert (ev.loc[ev["status"] == "included", "reason"].astype(str) == "").all()


def either_error_or(fn: Any, check: Any = None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn()
        except EventStudyError as exc:
            event(f"error: {type(exc).__name__}: {str(exc)[:60]}")
            return
    event("ok")
    if check is not None:
        check(out)


# --------------------------------------------------------------------------- readers


@SETTINGS
@given(
    text=csv_text(["date", "ticker", "ret"]),
    mode=st.integers(0, 6),
    unit=st.sampled_from([None, "decimal", "percent"]),
)
def test_returns_csv_reader(tmp_path: Path, text: str, mode: int, unit: str | None) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(_bytes(text, mode))
    either_error_or(lambda: read_returns_csv(path, returns_unit=unit))


@SETTINGS
@given(
    text=csv_text(["date", "ticker", "close", "volume", "prev_close"])
    | csv_text(["ts_code", "trade_date", "close", "pre_close", "pct_chg", "vol"]),
    unit=st.sampled_from([None, "decimal", "percent"]),
)
def test_prices_csv_reader(tmp_path: Path, text: str, unit: str | None) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("utf-8"))
    preset = "tushare" if text.startswith(("ts_code", "trade_date")) or "pct_chg" in text else None
    either_error_or(lambda: read_prices_csv(path, preset=preset, returns_unit=unit))


@SETTINGS
@given(text=csv_text(["ticker", "start", "end"], tickers=FIRMS), mode=st.integers(0, 6))
def test_st_reader(tmp_path: Path, text: str, mode: int) -> None:
    path = tmp_path / "st.csv"
    path.write_bytes(_bytes(text, mode))
    either_error_or(lambda: read_st_csv(path))


@SETTINGS
@given(
    text=csv_text(["ticker", "date", "time", "timing"], tickers=FIRMS),
    mode=st.integers(0, 6),
)
def test_calendar_reader(tmp_path: Path, text: str, mode: int) -> None:
    path = tmp_path / "cal.csv"
    path.write_bytes(_bytes(text, mode))
    either_error_or(lambda: load_calendar(path))


ODD_CELLS = [
    None,
    np.nan,
    pd.NaT,
    "",
    0,
    -1,
    1.5,
    True,
    b"x",
    "2023-03-01",
    20230301,
    2.5e10,
    pd.Timestamp("2023-03-01 15:30"),
    pd.Timestamp("2023-03-01", tz="US/Eastern"),
    np.datetime64("2023-03-01"),
    pd.Timedelta(1),
    [1],
    {"a": 1},
    float("inf"),
    -1e308,
    "x" * 300,
    "\x00",
    "２０２３-03-01",
]


def _frame_with_odd_cells(draw: Any) -> pd.DataFrame:
    n = len(DAYS[:20])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    frame = pd.DataFrame(
        {
            "date": np.tile(DAYS[:20], 2),
            "ticker": np.repeat([MARKET, FIRMS[0]], n),
            "ret": rng.normal(0, 0.02, 2 * n),
            "close": 10 * np.exp(np.cumsum(rng.normal(0, 0.02, 2 * n))),
            "volume": rng.integers(0, 100, 2 * n),
            "start": np.tile(DAYS[:20], 2),
            "end": pd.NaT,
            "event_id": [f"E{i}" for i in range(2 * n)],
            "time": "15:30",
        }
    )
    for _ in range(draw(st.integers(0, 2))):
        col = draw(st.sampled_from(list(frame.columns)))
        frame[col] = frame[col].astype(object)
        frame.at[draw(st.integers(0, 2 * n - 1)), col] = draw(st.sampled_from(ODD_CELLS))
    return frame


@SETTINGS
@given(data=st.data(), reader=st.sampled_from(["returns", "prices", "st", "calendar", "flags"]))
def test_readers_on_frames_with_odd_cells(data: Any, reader: str) -> None:
    from eventstudy import calendar_table, limit_flags

    f = _frame_with_odd_cells(data.draw)
    calls = {
        "returns": lambda: read_returns_csv(f[["date", "ticker", "ret"]]),
        "prices": lambda: read_prices_csv(f[["date", "ticker", "close", "volume"]]),
        "st": lambda: read_st_csv(f[["ticker", "start", "end"]]),
        "calendar": lambda: calendar_table(f[["event_id", "ticker", "date", "time"]]),
        "flags": lambda: limit_flags(f[["date", "ticker", "close"]], st=f[["ticker", "start"]]),
    }
    either_error_or(calls[reader])


# --------------------------------------------------------------------------- the study


def _clean_panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0, 0.012, len(DAYS))
    parts = [pd.DataFrame({"date": DAYS, "ticker": MARKET, "ret": m})]
    for t in FIRMS:
        r = rng.uniform(0.5, 1.5) * m + rng.normal(0, 0.02, len(DAYS))
        parts.append(pd.DataFrame({"date": DAYS, "ticker": t, "ret": r}))
    return pd.concat(parts, ignore_index=True)


@st.composite
def returns_frames(draw: Any) -> tuple[pd.DataFrame, str]:
    """A clean panel with a few corruptions, in one of the accepted shapes, and its unit."""
    frame = _clean_panel(draw(st.integers(0, 3)))
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(frame) - 1))
        what = draw(st.sampled_from(["ret", "ret", "date", "ticker", "drop", "dup"]))
        if what == "ret":
            frame.loc[i, "ret"] = draw(
                st.sampled_from([np.nan, np.inf, -1.0, -1.5, 10.0, 0.0, 1e300, -0.999])
                | st.floats(-5, 5)
            )
        elif what == "date":
            frame["date"] = frame["date"].astype(object)
            frame.loc[i, "date"] = draw(st.sampled_from(BAD_DATES))
        elif what == "ticker":
            frame.loc[i, "ticker"] = draw(bad_cells["ticker"])
        elif what == "drop":
            frame = frame.drop(index=i).reset_index(drop=True)
        else:
            frame = pd.concat([frame, frame.iloc[[i]]], ignore_index=True)
    unit = draw(st.sampled_from(["decimal", "percent"]))
    if draw(st.integers(0, 3)) > 0 and unit == "percent":  # mostly declared right
        frame = frame.assign(ret=frame["ret"] * 100)
    typed = pd.api.types.is_datetime64_any_dtype(frame["date"])
    shape = draw(st.sampled_from(["long", "long", "wide", "tz", "text"]))
    if shape == "tz" and typed:
        frame = frame.assign(date=frame["date"].dt.tz_localize("Asia/Shanghai"))
    elif shape == "text" and typed:
        frame = frame.assign(date=frame["date"].dt.strftime("%Y%m%d"))
    elif shape == "wide" and typed:
        frame = frame.pivot_table(index="date", columns="ticker", values="ret", aggfunc="first")
    return frame, unit


@st.composite
def event_frames(draw: Any) -> pd.DataFrame:
    """Mostly well-formed events on the panel's firms, some with times, zones or flaws."""
    n = draw(st.integers(1, 6))
    dates: list[Any] = []
    for _ in range(n):
        kind = draw(st.integers(0, 9))
        d = DAYS[draw(st.integers(40, 69))]
        if kind <= 4:
            dates.append(d)
        elif kind == 5:
            dates.append(d + pd.Timedelta(hours=draw(st.integers(0, 23)), minutes=30))
        elif kind == 6:
            dates.append(pd.Timestamp(d).tz_localize("UTC") + pd.Timedelta(hours=17))
        elif kind == 7:
            dates.append(draw(st.sampled_from(BAD_DATES)))
        elif kind == 8:
            dates.append(DAYS[draw(st.integers(0, 10))])  # too early for the estimation window
        else:
            dates.append(None)
    tickers = [
        draw(st.sampled_from(FIRMS)) if draw(st.integers(0, 5)) else draw(bad_cells["ticker"])
        for _ in range(n)
    ]
    frame = pd.DataFrame({"ticker": tickers, "date": dates})
    if all(isinstance(v, pd.Timestamp) for v in dates) and draw(st.booleans()):
        frame["date"] = pd.to_datetime(frame["date"].tolist(), utc=True)
    if draw(st.integers(0, 3)) == 0:
        frame["timing"] = [
            draw(st.sampled_from(["", "unknown", "pre-open", "intraday", "after-close", "x"]))
            for _ in range(n)
        ]
    if draw(st.integers(0, 3)) == 0:
        frame["time"] = [draw(st.sampled_from(["", "09:00", "15:30", "noon"])) for _ in range(n)]
    if draw(st.booleans()):
        ids = [f"E{i}" for i in range(n)]
        if n > 1 and draw(st.integers(0, 5)) == 0:
            ids[-1] = ids[0]
        frame.insert(0, "event_id", ids)
    return frame


@SETTINGS
@given(
    events=event_frames(),
    returns=returns_frames(),
    leakage=st.booleans(),
    model=st.sampled_from(["market", "market-adjusted", "constant-mean"]),
)
def test_study_on_malformed_frames(
    events: pd.DataFrame, returns: tuple[pd.DataFrame, str], leakage: bool, model: str
) -> None:
    frame, unit = returns

    def run() -> Any:
        return EventStudy(
            events,
            frame,
            market=MARKET,
            model=model,
            returns_unit=unit,
            leakage=leakage,
            calendar_time=False,
            **SMALL,
        ).fit()

    either_error_or(run, lambda res: accounted(res, len(events)))


@pytest.mark.parametrize("seed", [0, 1])
def test_clean_inputs_are_not_refused(seed: int) -> None:
    """The guards must not fire on plausible data (the property tests above allow errors)."""
    events = pd.DataFrame({"ticker": FIRMS, "date": DAYS[[50, 55, 60, 62]]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = EventStudy(events, _clean_panel(seed), market=MARKET, **SMALL).fit()
    accounted(res, len(events))
    assert res.n_included == len(events)
