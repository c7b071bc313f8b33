"""Tests of announcement calendars: loading, validation, day 0 and the text table."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.calendar import (
    EXCLUSION_REASONS,
    TIMING_FLAG,
    TIMINGS,
    calendar_table,
    format_calendar_table,
    load_calendar,
    reason_category,
    xshg_sessions,
)
from eventstudy.exceptions import CalendarError, CalendarWarning

SCHEMA = [
    "event_id",
    "ticker",
    "firm",
    "date",
    "date_input",
    "date_precision",
    "timing",
    "calendar_status",
    "calendar_reason",
]


def bundled_raw() -> pd.DataFrame:
    text = (
        resources.files("eventstudy.calendar")
        .joinpath("data")
        .joinpath("compute_leasing.csv")
        .read_text(encoding="utf-8")
    )
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarWarning)  # the shipped file needs no rewrites
        return load_calendar()


def row(cal: pd.DataFrame, event_id: str) -> pd.Series:
    out = cal.set_index("event_id").loc[event_id]
    assert isinstance(out, pd.Series)
    return out


# --------------------------------------------------------------------------- bundled


def test_bundled_shape_and_schema(bundled: pd.DataFrame) -> None:
    assert len(bundled) == 62
    assert list(bundled.columns[: len(SCHEMA)]) == SCHEMA
    assert "ticker_input" not in bundled.columns  # every ticker is already Yahoo style
    assert list(bundled["event_id"]) == [f"E{i:03d}" for i in range(1, 63)]
    assert bundled["date"].dtype == "datetime64[ns]"
    assert isinstance(bundled.index, pd.RangeIndex)


def test_bundled_counts_by_status_and_reason(bundled: pd.DataFrame) -> None:
    # The data README counts 30 day-precise dates, 16 month-only, 16 undated.
    # One month-only row (E024, 2024-03) also has no resolved company, and a
    # ticker problem is reported before a date problem: an unidentified firm
    # cannot be studied whatever its date.  So 15 + 1 rather than 16.
    assert bundled["calendar_status"].value_counts().to_dict() == {"ok": 30, "excluded": 32}
    by_reason = (
        bundled.loc[bundled["calendar_status"] == "excluded", "calendar_reason"]
        .map(reason_category)
        .value_counts()
        .to_dict()
    )
    assert by_reason == {"no date": 16, "date only known to the month": 15, "unresolved ticker": 1}
    assert set(by_reason) <= set(EXCLUSION_REASONS)
    assert row(bundled, "E024")["calendar_reason"] == "unresolved ticker"
    assert pd.isna(row(bundled, "E024")["ticker"])
    assert row(bundled, "E007")["calendar_reason"] == "date only known to the month (2023-10)"
    assert row(bundled, "E047")["calendar_reason"] == "no date"
    ok = bundled["calendar_status"] == "ok"
    assert (bundled.loc[ok, "calendar_reason"] == "").all()
    assert bundled.loc[ok, "date"].notna().all()
    assert bundled.loc[~ok, "date"].isna().all()  # excluded rows here all lack a day
    assert (bundled.loc[ok, "date_precision"] == "day").all()


def test_bundled_keeps_every_provenance_column(bundled: pd.DataFrame) -> None:
    raw = bundled_raw()
    for col in raw.columns:
        if col in ("event_id", "date_precision"):
            continue
        assert col in bundled.columns, col
        # event_type and board become categories; their text moves to *_raw
        kept = f"{col}_raw" if col in ("event_type", "board") else col
        assert list(bundled[kept]) == list(raw[col]), col
    assert list(bundled["date_precision"]) == list(raw["date_precision"])
    assert list(bundled["firm"]) == list(raw["company_cn"])
    assert list(bundled["date_input"]) == list(raw["announcement_date"])
    assert list(bundled["ticker"].fillna("")) == list(raw["ticker_yahoo"])


@pytest.mark.parametrize(
    ("event_id", "timing"),
    [
        ("E003", "after-close"),  # "after close"
        ("E005", "after-close"),  # "after close (halt from next open)"
        ("E045", "after-close"),  # "after close (15:56)"
        ("E032", "pre-open"),  # "pre-open (00:13)"
        ("E044", "intraday"),  # "intraday (midday)"
        ("E011", "unknown"),  # "unknown (board met same day; likely after close)"
        ("E001", "unknown"),
    ],
)
def test_bundled_timing_from_announcement_time(
    bundled: pd.DataFrame, event_id: str, timing: str
) -> None:
    assert row(bundled, event_id)["timing"] == timing


@pytest.mark.parametrize(
    ("event_id", "day0"),
    [
        ("E003", "2023-07-04"),  # after close on Monday 2023-07-03
        ("E020", "2024-01-19"),  # released the evening of 01-18, limit-up on 01-19
        ("E045", "2024-12-02"),  # after close on a Friday -> Monday
        ("E046", "2024-12-02"),  # Sunday evening -> Monday
        ("E032", "2024-04-18"),  # pre-open on a session
        ("E014", "2023-12-18"),  # timing unknown, a session: the date itself
    ],
)
def test_bundled_day0(bundled: pd.DataFrame, event_id: str, day0: str) -> None:
    table = calendar_table(bundled)
    assert row(table, event_id)["day0"] == pd.Timestamp(day0)


def test_bundled_table(bundled: pd.DataFrame) -> None:
    table = calendar_table(bundled)
    assert list(table.columns) == [
        "event_id",
        "ticker",
        "firm",
        "date_input",
        "timing",
        "day0",
        "status",
        "reason",
        "flag",
    ]
    assert (table["status"] == bundled["calendar_status"]).all()
    assert (table["reason"] == bundled["calendar_reason"]).all()
    placed = table["status"] == "ok"
    assert table.loc[placed, "day0"].notna().all() and table.loc[~placed, "day0"].isna().all()
    flagged = table["flag"] == TIMING_FLAG
    assert flagged.sum() == 13  # 30 placed: 15 after-close, 1 pre-open, 1 intraday, 13 unknown
    assert (table.loc[flagged, "timing"] == "unknown").all()
    assert (table.loc[~placed, "flag"] == "").all()
    assert calendar_table("compute-leasing").equals(table)


def test_format_calendar_table(bundled: pd.DataFrame) -> None:
    text = format_calendar_table(calendar_table(bundled))
    lines = text.splitlines()
    assert lines[0].split() == [
        "event_id",
        "ticker",
        "firm",
        "date_input",
        "timing",
        "day0",
        "status",
        "note",
    ]
    e003 = next(x for x in lines if x.startswith("E003"))
    assert "2023-07-04" in e003 and "after-close" in e003
    assert "62 rows: 30 ok, 32 excluded" in text
    assert "excluded, date only known to the month: 15" in text
    assert f"ok, {TIMING_FLAG}: 13" in text

    def grid(line: str) -> str:  # one character per terminal column, CJK taking two
        return "".join(c + "\0" if unicodedata.east_asian_width(c) in "WF" else c for c in line)

    status_at = lines[0].index("status")
    for line in lines[2:64]:
        assert grid(line)[status_at:].startswith(("ok", "excluded")), line


def test_format_rejects_other_frames() -> None:
    with pytest.raises(CalendarError, match="not a calendar table"):
        format_calendar_table(pd.DataFrame({"a": [1]}))


# --------------------------------------------------------------------------- user calendars


def test_csv_path_with_aliases(tmp_path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "symbol,announcement_date,firm,size\n600186.SS,2023-09-28,莲花,big\n"
        "002575.SZ,2024/01/18,群兴,small\n",
        encoding="utf-8",
    )
    for source in (path, str(path)):
        cal = load_calendar(source)
        assert list(cal["ticker"]) == ["600186.SS", "002575.SZ"]
        assert list(cal["date"]) == [pd.Timestamp("2023-09-28"), pd.Timestamp("2024-01-18")]
        assert list(cal["event_id"]) == ["R0001", "R0002"]
        assert list(cal["firm"]) == ["莲花", "群兴"]
        assert list(cal["symbol"]) == ["600186.SS", "002575.SZ"]  # alias column kept
        assert list(cal["size"]) == ["big", "small"]  # other column carried


def test_csv_with_bom_and_gbk(tmp_path) -> None:
    text = "ticker,date,firm\n600186.SS,2023-09-28,莲花控股\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(text.encode("utf-8-sig"))
    assert list(load_calendar(bom)["firm"]) == ["莲花控股"]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    with pytest.warns(CalendarWarning, match="GB18030"):
        cal = load_calendar(gbk)
    assert list(cal["firm"]) == ["莲花控股"]


def test_missing_file_and_bad_source(tmp_path) -> None:
    with pytest.raises(CalendarError, match="not found.*compute-leasing"):
        load_calendar(tmp_path / "nope.csv")
    with pytest.raises(CalendarError, match="not found"):
        load_calendar("compute-leasin")
    with pytest.raises(CalendarError, match="not int"):
        load_calendar(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("alias", ["ticker", "id", "code", "symbol", "Ticker", " CODE "])
def test_ticker_aliases(alias: str) -> None:
    cal = load_calendar(pd.DataFrame({alias: ["600186.SS"], "date": ["2023-09-28"]}))
    assert cal["ticker"].iloc[0] == "600186.SS"
    assert alias in cal.columns or alias.strip().lower() == "ticker"


@pytest.mark.parametrize("alias", ["date", "event_date", "announcement_date", "Date"])
def test_date_aliases(alias: str) -> None:
    cal = load_calendar(pd.DataFrame({"ticker": ["600186.SS"], alias: ["2023-09-28"]}))
    assert cal["date"].iloc[0] == pd.Timestamp("2023-09-28")
    assert cal["date_input"].iloc[0] == "2023-09-28"


def test_several_alias_columns_warn() -> None:
    frame = pd.DataFrame({"code": ["600186"], "id": ["7"], "date": ["2023-09-28"]})
    with pytest.warns(CalendarWarning, match="several ticker columns \\(code, id\\); using 'code'"):
        cal = load_calendar(frame)
    assert cal["ticker"].iloc[0] == "600186.SS"
    assert cal["id"].iloc[0] == "7"


def test_case_clash_is_an_error() -> None:
    with pytest.raises(CalendarError, match="differ only in case"):
        load_calendar(
            pd.DataFrame({"ticker": ["600186.SS"], "date": ["2023-09-28"], "Date": ["2023-09-29"]})
        )


@pytest.mark.parametrize(
    "value",
    [
        "2023-09-28",
        "2023/09/28",
        "20230928",
        "2023-9-28",
        "2023-09-28 00:00:00",
        20230928,
        20230928.0,
        pd.Timestamp("2023-09-28"),
        dt.date(2023, 9, 28),
        np.datetime64("2023-09-28"),
    ],
)
def test_day_formats(value: object) -> None:
    cal = load_calendar(pd.DataFrame({"ticker": ["600186.SS"], "date": [value]}))
    assert cal["date"].iloc[0] == pd.Timestamp("2023-09-28")
    assert cal["date_precision"].iloc[0] == "day"
    assert cal["calendar_status"].iloc[0] == "ok"
    assert cal["date"].dtype == "datetime64[ns]"


def test_datetime_column_in_a_frame() -> None:
    frame = pd.DataFrame(
        {"ticker": ["600186.SS", "002575.SZ"], "date": pd.DatetimeIndex(["2023-09-28", pd.NaT])}
    )
    cal = load_calendar(frame)
    assert list(cal["calendar_reason"]) == ["", "no date"]
    assert list(cal["date_input"]) == ["2023-09-28", ""]


@pytest.mark.parametrize(
    "value",
    # a time of day is no longer refused: it feeds the timing rule (tests/test_guards.py)
    ["2021-13-45", "soon", "2023-02-30", "28/09/2023", "2023-00", "1492-10-12", "2023-09-28 25:30"],
)
def test_unreadable_date_names_row_event_and_value(value: str) -> None:
    frame = pd.DataFrame(
        {
            "event_id": ["A1", "A2", "A3"],
            "ticker": ["600186.SS"] * 3,
            "date": ["2023-09-26", "2023-09-27", value],
        }
    )
    with pytest.raises(CalendarError, match=rf"row 3 \(event_id A3\): date '{value}'"):
        load_calendar(frame)


def test_all_bad_rows_are_listed() -> None:
    frame = pd.DataFrame({"ticker": ["600186.SS"] * 3, "date": ["x", "2023-09-27", "y"]})
    with pytest.raises(CalendarError, match="(?s)2 invalid.*row 1 .*'x'.*row 3 .*'y'"):
        load_calendar(frame)


def test_missing_columns() -> None:
    with pytest.raises(
        CalendarError, match=r"no date column .*columns found: \['ticker', 'when'\]"
    ):
        load_calendar(pd.DataFrame({"ticker": ["600186.SS"], "when": ["2023-09-28"]}))
    with pytest.raises(
        CalendarError, match=r"no ticker column .*columns found: \['stock', 'date'\]"
    ):
        load_calendar(pd.DataFrame({"stock": ["600186.SS"], "date": ["2023-09-28"]}))


def test_empty_calendar() -> None:
    with pytest.raises(CalendarError, match="no rows"):
        load_calendar(pd.DataFrame({"ticker": [], "date": []}))


def test_duplicate_event_ids() -> None:
    frame = pd.DataFrame(
        {
            "event_id": ["E1", "E2", "E1"],
            "ticker": ["600186.SS"] * 3,
            "date": ["2023-09-26", "2023-09-27", "2023-09-28"],
        }
    )
    with pytest.raises(CalendarError, match="duplicate event_id: 'E1' on rows 1, 3"):
        load_calendar(frame)


def test_blank_event_ids_are_generated() -> None:
    frame = pd.DataFrame(
        {"event_id": ["X", ""], "ticker": ["600186.SS"] * 2, "date": ["2023-09-26", "2023-09-27"]}
    )
    assert list(load_calendar(frame)["event_id"]) == ["X", "R0002"]


def test_same_ticker_and_date_stay() -> None:
    frame = pd.DataFrame(
        {"ticker": ["600186.SS", "600186.SH"], "date": ["2023-09-28", "2023/09/28"]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarWarning)  # .SH -> .SS: a note, not a warning
        cal = load_calendar(frame)
    assert list(cal["calendar_status"]) == ["ok", "ok"]


@pytest.mark.parametrize(
    ("date", "precision", "reason"),
    [
        ("2023-10", "", "date only known to the month (2023-10)"),
        ("2023/10", "month", "date only known to the month (2023-10)"),
        ("2023-10-19", "month", "date only known to the month (2023-10)"),
        ("2023-10", "day", "date only known to the month (2023-10)"),
        ("", "day", "no date"),
        ("", "", "no date"),
        ("2023-10-19", "unknown", ""),
        ("2023-10-19", "DAY", ""),
    ],
)
def test_date_precision(date: str, precision: str, reason: str) -> None:
    frame = pd.DataFrame({"ticker": ["600186.SS"], "date": [date], "date_precision": [precision]})
    cal = load_calendar(frame)
    assert cal["calendar_reason"].iloc[0] == reason
    assert cal["calendar_status"].iloc[0] == ("excluded" if reason else "ok")
    assert cal["date_input"].iloc[0] == date
    if reason:
        assert pd.isna(cal["date"].iloc[0])  # never guessed
    expected = {"": "day", "no date": "unknown"}.get(reason, "month")
    assert cal["date_precision"].iloc[0] == expected


def test_bad_date_precision() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["600186.SS"] * 2,
            "date": ["2023-10-19"] * 2,
            "event_id": ["a", "b"],
            "date_precision": ["day", "quarter"],
        }
    )
    with pytest.raises(CalendarError, match=r"row 2 \(event_id b\): date_precision 'quarter'"):
        load_calendar(frame)


@pytest.mark.parametrize(
    ("ticker", "reason"),
    [
        ("", "no ticker"),
        (None, "no ticker"),
        ("?", "unresolved ticker"),
        ("unresolved", "unresolved ticker"),
    ],
)
def test_missing_or_placeholder_ticker(ticker: str | None, reason: str) -> None:
    frame = pd.DataFrame({"ticker": [ticker], "date": ["2023-10-19"]})
    assert load_calendar(frame)["calendar_reason"].iloc[0] == reason


def test_name_resolution_unresolved_and_ticker_first() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["600186.SS", ""],
            "date": ["2023-10-19", "2023-10"],
            "name_resolution": ["unresolved", "exact"],
        }
    )
    assert list(load_calendar(frame)["calendar_reason"]) == ["unresolved ticker", "no ticker"]


def test_ticker_normalisation() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["600186.SH", "SZ002575", "300657", "2575", "688685.SS", "AAPL"],
            "date": ["2023-09-28"] * 6,
        }
    )
    with pytest.warns(CalendarWarning) as rec:
        cal = load_calendar(frame)
    message = str(rec[0].message)
    for note in (
        "ticker 600186.SH read as 600186.SS",
        "ticker SZ002575 read as 002575.SZ",
        "ticker 300657 read as 300657.SZ",
        "ticker 2575 read as 002575.SZ (leading zeros restored)",
    ):
        assert note in message
    assert "688685" not in message and "AAPL" not in message
    assert list(cal["ticker"]) == [
        "600186.SS",
        "002575.SZ",
        "300657.SZ",
        "002575.SZ",
        "688685.SS",
        "AAPL",
    ]
    assert list(cal["ticker_input"]) == list(frame["ticker"])


@pytest.mark.parametrize(
    ("columns", "timing"),
    [
        ({"timing": "after-close"}, "after-close"),
        ({"timing": "After Close"}, "after-close"),
        ({"timing": "pre_open"}, "pre-open"),
        ({"timing": ""}, "unknown"),
        ({"time": "08:45"}, "pre-open"),
        ({"time": "11:30"}, "intraday"),
        ({"time": "15:00"}, "after-close"),
        ({"time": ""}, "unknown"),
        ({"timing": "unknown", "time": "20:10"}, "after-close"),
        ({"timing": "after-close", "time": "19:00"}, "after-close"),
        ({"announcement_time": "after close (15:56)"}, "after-close"),
        ({"announcement_time": "unknown (likely after close)"}, "unknown"),
        ({"timing": "", "announcement_time": "after close"}, "unknown"),  # prose only as fallback
        ({}, "unknown"),
    ],
)
def test_timing(columns: dict[str, str], timing: str) -> None:
    frame = pd.DataFrame(
        {"ticker": ["600186.SS"], "date": ["2023-09-28"], **{k: [v] for k, v in columns.items()}}
    )
    cal = load_calendar(frame)
    assert cal["timing"].iloc[0] == timing
    assert cal["timing"].iloc[0] in TIMINGS


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        ({"timing": "evening"}, r"row 1 \(event_id R0001\): timing 'evening'"),
        ({"time": "25:00"}, r"row 1 \(event_id R0001\): time '25:00'"),
        ({"time": "noon"}, r"row 1 .*time 'noon'"),
        ({"timing": "pre-open", "time": "20:00"}, "contradicts time '20:00'"),
    ],
)
def test_bad_timing(columns: dict[str, str], match: str) -> None:
    frame = pd.DataFrame(
        {"ticker": ["600186.SS"], "date": ["2023-09-28"], **{k: [v] for k, v in columns.items()}}
    )
    with pytest.raises(CalendarError, match=match):
        load_calendar(frame)


def test_input_frame_not_mutated() -> None:
    frame = pd.DataFrame(
        {
            "code": ["600186.SH", "2575"],
            "date": ["2023-09-28", "2023-10"],
            "time": ["20:00", ""],
            "extra": [1, 2],
        },
        index=[10, 20],
    )
    before = frame.copy(deep=True)
    with pytest.warns(CalendarWarning):
        cal = load_calendar(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert isinstance(cal.index, pd.RangeIndex)
    assert list(cal["extra"]) == [1, 2] and cal["extra"].dtype == frame["extra"].dtype
    assert list(cal["time"]) == ["20:00", ""]
    cal.loc[0, "extra"] = 99
    assert frame.loc[10, "extra"] == 1


def test_reloading_a_loaded_calendar_gives_it_back(bundled: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(load_calendar(bundled), bundled)
    frame = pd.DataFrame({"ticker": ["600186.SH", "002575.SZ"], "date": ["20230928", "2023-10"]})
    once = load_calendar(frame)  # .SH -> .SS: kept in ticker_input, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarWarning)  # no second round of notes
        twice = load_calendar(once)
    pd.testing.assert_frame_equal(twice, once)
    assert list(twice["date_input"]) == ["20230928", "2023-10"]
    assert list(twice["ticker_input"]) == ["600186.SH", "002575.SZ"]


def test_supplying_the_day_includes_a_month_row(bundled: pd.DataFrame) -> None:
    edited = bundled.copy()
    i = edited.index[edited["event_id"] == "E007"][0]
    edited.loc[i, "date"] = pd.Timestamp("2023-10-23")
    edited.loc[i, "date_precision"] = "day"
    cal = load_calendar(edited)
    assert row(cal, "E007")["calendar_status"] == "ok"
    assert row(cal, "E007")["date_input"] == "2023-10-23"


# --------------------------------------------------------------------------- calendar_table


def test_weekend_and_holiday_dates_are_fine() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["600186.SS"] * 3,
            "date": ["2023-09-30", "2023-10-01", "2024-02-10"],
            "timing": ["pre-open", "after-close", "unknown"],
        }
    )
    cal = load_calendar(frame)
    assert (cal["calendar_status"] == "ok").all()
    table = calendar_table(cal)
    # National Day week 2023 ends 10-06; Spring Festival 2024 closes 02-09..02-16
    assert list(table["day0"]) == [pd.Timestamp("2023-10-09")] * 2 + [pd.Timestamp("2024-02-19")]


def test_table_outside_known_sessions() -> None:
    sessions = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"])
    frame = pd.DataFrame(
        {
            "ticker": ["600186.SS"] * 5,
            "date": ["2023-12-29", "2024-01-03", "2024-01-04", "2024-01-05", ""],
            "timing": ["unknown", "after-close", "after-close", "pre-open", ""],
        }
    )
    table = calendar_table(frame, sessions=sessions)
    assert list(table["status"]) == ["excluded", "ok", "excluded", "excluded", "excluded"]
    assert list(table["reason"]) == [
        "date before the first known session",
        "",
        "day 0 after the last known session",
        "day 0 after the last known session",
        "no date",
    ]
    assert table["day0"].iloc[1] == pd.Timestamp("2024-01-04")
    assert table["day0"].iloc[[0, 2, 3, 4]].isna().all()
    assert list(table["flag"]) == [""] * 5
    assert "firm" not in table.columns


def test_table_sessions_validation() -> None:
    frame = pd.DataFrame({"ticker": ["600186.SS"], "date": ["2024-01-03"]})
    with pytest.raises(CalendarError, match="sorted and unique"):
        calendar_table(frame, sessions=pd.DatetimeIndex(["2024-01-03", "2024-01-02"]))
    with pytest.raises(CalendarError, match="DatetimeIndex"):
        calendar_table(frame, sessions=["2024-01-03"])  # type: ignore[arg-type]
    with pytest.raises(CalendarError, match="non-empty"):
        calendar_table(frame, sessions=pd.DatetimeIndex([]))


_SESSIONS = xshg_sessions()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(
                min_value=dt.date(2005, 1, 4),
                max_value=(_SESSIONS[-1] - pd.Timedelta(days=1)).date(),
            ),
            st.sampled_from(TIMINGS),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_day0_property(events: list[tuple[dt.date, str]]) -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["600186.SS"] * len(events),
            "date": [d.isoformat() for d, _ in events],
            "timing": [t for _, t in events],
        }
    )
    table = calendar_table(frame)
    dates = pd.to_datetime(frame["date"])
    day0 = table["day0"]
    assert (table["status"] == "ok").all()
    assert day0.isin(_SESSIONS).all()
    assert (day0 >= dates).all()
    after = frame["timing"] == "after-close"
    assert (day0[after] > dates[after]).all()
    # day 0 is the *first* such session: no session lies between the date and day 0
    for date, d0, is_after in zip(dates, day0, after, strict=True):
        between = _SESSIONS[
            (_SESSIONS < d0) & ((_SESSIONS > date) if is_after else (_SESSIONS >= date))
        ]
        assert len(between) == 0
