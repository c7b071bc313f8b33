"""Vendor announcement lists (Tushare, akshare/东方财富, CSMAR): presets, column mappings,
the .SH ledger note, and the column-wise loader against a row-by-row reference."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import make_panel

from eventstudy.calendar import (
    CALENDAR_PRESETS,
    CALENDAR_TARGETS,
    calendar_table,
    format_calendar_table,
    load_calendar,
)
from eventstudy.calendar.sessions import timing_from_time
from eventstudy.calendar.validate import ticker_notes
from eventstudy.cli import main
from eventstudy.dates import parse_date_value, timing_from_minutes
from eventstudy.exceptions import CalendarError, CalendarWarning
from eventstudy.study import EventStudy
from eventstudy.tickers import normalize_ticker


def _quiet(fn, *args, **kwargs):
    """Call ``fn`` with every CalendarWarning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarWarning)
        return fn(*args, **kwargs)


def _write(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    path.write_bytes(frame.to_csv(index=False).encode(encoding))
    return path


# Tushare pro anns_d: ann_date, ts_code, name, title, url, rec_time (tushare.pro doc_id=176)
TUSHARE = pd.DataFrame(
    {
        "ann_date": ["20230621", "20230621", "20230620", "20230620"],
        "ts_code": ["600590.SH", "300504.SZ", "600212.SH", "600590.SH"],
        "name": ["泰豪科技", "天邑股份", "绿能慧充", "泰豪科技"],
        "title": [
            "第八届董事会第十五次会议决议公告",
            "关于回购注销部分限制性股票的公告",
            "股东大会会议资料",
            "关于签订算力服务合同的公告",
        ],
        "url": ["http://a/1.pdf", "http://a/2.pdf", "http://a/3.pdf", "http://a/4.pdf"],
        "rec_time": ["2023-06-20 19:35:12", "2023-06-20 20:01:00", "", ""],
    }
)

# akshare stock_notice_report (东方财富 notice centre): 代码 名称 公告标题 公告类型 公告日期 网址;
# 公告日期 holds datetime.date objects (akshare applies .dt.date)
AKSHARE = pd.DataFrame(
    {
        "代码": ["600186", "002575", "300657"],
        "名称": ["莲花控股", "群兴玩具", "弘信电子"],
        "公告标题": [
            "关于签订算力服务合同的公告",
            "关于开展算力租赁业务的公告",
            "关于签订算力服务协议的公告",
        ],
        "公告类型": ["重大事项", "重大事项", "重大事项"],
        "公告日期": [dt.date(2023, 9, 28), dt.date(2024, 1, 18), dt.date(2023, 7, 3)],
        "网址": ["https://data.eastmoney.com/notices/detail/600186/A.html"] * 3,
    }
)


# --------------------------------------------------------------------------- presets


@pytest.mark.parametrize("source", ["frame", "csv"])
def test_tushare_preset(tmp_path: Path, source: str) -> None:
    given = TUSHARE if source == "frame" else _write(TUSHARE, tmp_path / "anns.csv")
    cal = _quiet(load_calendar, given, preset="tushare")  # .SH is no warning
    assert list(cal["ticker"]) == ["600590.SS", "300504.SZ", "600212.SS", "600590.SS"]
    assert list(cal["ticker_input"]) == list(TUSHARE["ts_code"])
    assert list(cal["date"]) == list(pd.to_datetime(TUSHARE["ann_date"], format="%Y%m%d"))
    assert list(cal["date_input"]) == list(TUSHARE["ann_date"])
    assert list(cal["firm"]) == list(TUSHARE["name"])
    assert list(cal["title"]) == list(TUSHARE["title"])
    assert list(cal["url"]) == list(TUSHARE["url"])
    # rec_time is carried, never read as a time of ann_date (that would move day 0 a session late)
    assert list(cal["rec_time"]) == list(TUSHARE["rec_time"])
    assert set(cal["timing"]) == {"unknown"}
    assert not {"ts_code", "ann_date", "name"} & set(cal.columns)  # mapped columns are renamed
    assert (cal["calendar_status"] == "ok").all()


def test_tushare_integer_dates_and_reload_identity() -> None:
    frame = TUSHARE.assign(ann_date=TUSHARE["ann_date"].astype(np.int64))
    cal = load_calendar(frame, preset="tushare")
    assert cal["date"].iloc[0] == pd.Timestamp("2023-06-21")
    assert cal["date_input"].iloc[0] == "20230621"
    pd.testing.assert_frame_equal(_quiet(load_calendar, cal), cal)
    pd.testing.assert_frame_equal(_quiet(load_calendar, cal, preset="tushare"), cal)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_akshare_preset_chinese_headers(tmp_path: Path, encoding: str) -> None:
    path = _write(AKSHARE, tmp_path / "notices.csv", encoding)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        cal = load_calendar(path, preset="akshare")
    messages = [str(w.message) for w in rec]
    # bare codes get their exchange from the code: that rewrite keeps its warning
    assert any("ticker 600186 read as 600186.SS" in m for m in messages)
    assert any("GB18030" in m for m in messages) == (encoding == "gbk")
    assert list(cal["ticker"]) == ["600186.SS", "002575.SZ", "300657.SZ"]
    assert list(cal["firm"]) == list(AKSHARE["名称"])
    assert list(cal["title"]) == list(AKSHARE["公告标题"])
    assert list(cal["category"]) == ["重大事项"] * 3
    assert list(cal["date_input"]) == ["2023-09-28", "2024-01-18", "2023-07-03"]
    assert list(cal["date"]) == [pd.Timestamp(d) for d in AKSHARE["公告日期"]]


def test_akshare_frame_with_date_objects() -> None:
    with pytest.warns(CalendarWarning, match="ticker 002575 read as 002575.SZ"):
        cal = load_calendar(AKSHARE, preset="akshare")
    assert list(cal["date_input"]) == ["2023-09-28", "2024-01-18", "2023-07-03"]
    assert "url" in cal.columns and "网址" not in cal.columns


def test_cninfo_layout_reads_announcement_time() -> None:
    # akshare stock_zh_a_disclosure_report_cninfo: 代码 简称 公告标题 公告时间 公告链接
    frame = pd.DataFrame(
        {
            "代码": ["000001", "600186"],
            "简称": ["平安银行", "莲花控股"],
            "公告标题": ["董事会决议公告", "关于签订算力服务合同的公告"],
            "公告时间": ["2023-12-01", "2023-09-28 19:30"],
            "公告链接": ["http://www.cninfo.com.cn/a", "http://www.cninfo.com.cn/b"],
        }
    )
    with pytest.warns(CalendarWarning, match="ticker 000001 read as 000001.SZ"):
        cal = load_calendar(frame, preset="akshare")
    assert list(cal["firm"]) == ["平安银行", "莲花控股"]
    assert list(cal["url"]) == list(frame["公告链接"])
    # a release time in the date is China time and feeds the timing rule
    assert list(cal["timing"]) == ["unknown", "after-close"]
    assert calendar_table(cal)["day0"].iloc[1] == pd.Timestamp("2023-10-09")  # National Day


def test_eastmoney_preset_stock_code_headers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "股票代码": ["688041", "600186"],
            "股票简称": ["海光信息", "莲花控股"],
            "公告标题": ["关于签订算力合同的公告", "关于签订算力服务合同的公告"],
            "公告日期": ["2024-05-13", "2023/09/28"],
        }
    )
    path = _write(frame, tmp_path / "em.csv", "gbk")
    with pytest.warns(CalendarWarning):
        cal = load_calendar(path, preset="eastmoney")
    assert list(cal["ticker"]) == ["688041.SS", "600186.SS"]
    assert list(cal["firm"]) == ["海光信息", "莲花控股"]
    assert list(cal["board"]) == ["STAR", "main"]


@pytest.mark.parametrize("date_column", ["DeclareDate", "Annodt"])
def test_csmar_preset(tmp_path: Path, date_column: str) -> None:
    frame = pd.DataFrame(
        {
            "Stkcd": ["600186", "2575", "300657"],  # a spreadsheet dropped the zeros of 002575
            "ShortName": ["莲花控股", "群兴玩具", "弘信电子"],
            date_column: ["2023-09-28", "2024-01-18", "2023-07-03"],
        }
    )
    with pytest.warns(CalendarWarning, match=r"ticker 2575 read as 002575\.SZ \(leading zeros"):
        cal = load_calendar(_write(frame, tmp_path / "csmar.csv"), preset="csmar")
    assert list(cal["ticker"]) == ["600186.SS", "002575.SZ", "300657.SZ"]
    assert list(cal["firm"]) == list(frame["ShortName"])
    assert list(cal["date"]) == list(pd.to_datetime(frame[date_column]))


def test_csmar_with_both_date_columns_says_which_it_took() -> None:
    frame = pd.DataFrame(
        {"Stkcd": ["600186"], "DeclareDate": ["2023-09-28"], "Annodt": ["2023-09-29"]}
    )
    with pytest.warns(CalendarWarning, match=r"several date columns \(DeclareDate, Annodt\)"):
        cal = load_calendar(frame, preset="csmar")
    assert cal["date"].iloc[0] == pd.Timestamp("2023-09-28")
    assert cal["Annodt"].iloc[0] == "2023-09-29"  # the other one is carried


def test_csmar_label_rows_are_named(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Stkcd": ["证券代码", "没有单位", "600186", "300657"],
            "DeclareDate": ["公告日期", "没有单位", "2023-09-28", "2023-07-03"],
        }
    )
    with pytest.raises(CalendarError, match=r"(?s)row 1 .*'公告日期'.*second header row"):
        load_calendar(frame, preset="csmar")


def test_presets_are_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "calendar.md").read_text(encoding="utf-8")
    for name, preset in CALENDAR_PRESETS.items():
        assert f'preset="{name}"' in doc
        for candidates in preset.columns.values():
            for column in candidates:
                assert f"`{column}`" in doc, column
    for target in CALENDAR_TARGETS:
        assert f"`{target}`" in doc


# --------------------------------------------------------------------------- mappings


@pytest.mark.parametrize(
    "columns",
    [
        "ticker=ts_code,date=ann_date,firm=name",
        {"ticker": "ts_code", "date": "ann_date", "firm": "name"},
    ],
)
def test_column_mapping(columns: object) -> None:
    cal = _quiet(load_calendar, TUSHARE, columns=columns)
    assert list(cal["ticker"])[:2] == ["600590.SS", "300504.SZ"]
    assert list(cal["firm"]) == list(TUSHARE["name"])
    assert "title" in cal.columns  # carried under its own name


def test_mapping_overrides_the_preset_and_matches_case() -> None:
    frame = TUSHARE.rename(columns={"rec_time": "REC_TIME"})
    cal = load_calendar(frame, preset="tushare", columns="date=rec_time")
    # the release timestamp as the date: its evening time makes the row after-close
    assert cal["date"].iloc[0] == pd.Timestamp("2023-06-20")
    assert cal["timing"].iloc[0] == "after-close"
    assert cal["ann_date"].iloc[0] == "20230621"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"preset": "wind"},
            r"unknown preset 'wind'; choose one of akshare, csmar, eastmoney, tushare",
        ),
        ({"columns": "tick=ts_code"}, r"unknown target 'tick'; allowed targets are ticker, date, "),
        ({"columns": {"stock": "ts_code"}}, r"unknown target 'stock'; allowed targets are ticker"),
        (
            {"columns": "ticker=nope"},
            r"ticker=nope: the file has no column 'nope' \(columns found: \['ann_date'",
        ),
        ({"columns": "ticker"}, r"item 'ticker' is not of the form target=column"),
        ({"columns": "ticker=ts_code,ticker=name"}, r"target 'ticker' is given twice"),
        ({"columns": ["ticker"]}, r"a 'target=column,...' text or a dict, not list"),
        ({"columns": "ticker=ts_code,date=ann_date,firm=title"}, None),
    ],
)
def test_mapping_errors(kwargs: dict[str, object], match: str | None) -> None:
    if match is None:
        assert list(load_calendar(TUSHARE, **kwargs)["firm"]) == list(TUSHARE["title"])
        return
    with pytest.raises(CalendarError, match=match):
        load_calendar(TUSHARE, **kwargs)


def test_mapping_onto_an_existing_column_is_an_error() -> None:
    frame = TUSHARE.assign(ticker="x")
    with pytest.raises(
        CalendarError, match="'ts_code' is mapped to 'ticker', but the file also has"
    ):
        load_calendar(frame, preset="tushare")


def test_vendor_file_without_preset_suggests_it() -> None:
    with pytest.raises(
        CalendarError,
        match=r"no ticker column .*'ts_code'.*--calendar-preset\); the columns fit preset 'tushare'",
    ):
        load_calendar(TUSHARE)
    with pytest.raises(CalendarError, match=r"fit preset 'akshare' or 'eastmoney'"):
        load_calendar(AKSHARE)
    with pytest.raises(CalendarError, match=r"no date column .*preset 'csmar' reads CSMAR"):
        load_calendar(pd.DataFrame({"Stkcd": ["600186"], "Trddt": ["2023-09-28"]}), preset="csmar")


# --------------------------------------------------------------------------- the .SH note


def test_sh_rewrite_is_one_ledger_note() -> None:
    cal = _quiet(load_calendar, TUSHARE, preset="tushare")
    notes = ticker_notes(cal)
    assert notes == [
        "3 ticker(s) rewritten from .SH to .SS (Yahoo spelling of Shanghai codes; 2 distinct "
        "code(s)); the spelling as written is kept in ticker_input"
    ]
    table = calendar_table(cal)
    assert table.attrs["notes"] == notes
    text = format_calendar_table(table)
    assert text.count(".SH to .SS") == 1
    # a reloaded calendar (as `reproduce` reads data/calendar.csv) gives the same note
    reread = _quiet(load_calendar, cal.astype({"date": str}))
    assert ticker_notes(reread) == notes


def test_other_rewrites_still_warn_and_mention_the_sh_ones() -> None:
    frame = TUSHARE.assign(ts_code=["600590.SH", "300504", "600212.SH", "600590.SH"])
    with pytest.warns(CalendarWarning) as rec:
        load_calendar(frame, preset="tushare")
    message = str(rec[0].message)
    assert "ticker 300504 read as 300504.SZ" in message
    assert "and 2 ticker(s) from .SH to .SS, e.g. ticker 600590.SH read as 600590.SS" in message


def _study_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    # an index name without an exchange suffix: the panel's business days are not XSHG's
    returns, tickers = make_panel(n_firms=4, n_days=320, seed=3, market="INDEX")
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    events = pd.DataFrame(
        {
            "ts_code": [t.replace(".SS", ".SH") for t in tickers],
            "ann_date": [d.strftime("%Y%m%d") for d in dates[[280, 282, 285, 290]]],
        }
    )
    return returns, events


def test_study_reports_the_sh_note_once() -> None:
    returns, events = _study_inputs()
    cal = _quiet(load_calendar, events, preset="tushare")
    res = _quiet(
        lambda: EventStudy(
            cal,
            returns,
            market="INDEX",
            event_window=(-5, 5),
            estimation_window=(-200, -11),
            leakage=False,
        ).fit()
    )
    assert sum(".SH to .SS" in n for n in res.notes) == 1
    assert "4 ticker(s) rewritten from .SH to .SS" in " ".join(res.notes)
    assert list(res.events["ticker_input"]) == list(events["ts_code"])  # in the ledger
    # the typed-frame path of EventStudy says the same, without a warning
    typed = events.rename(columns={"ts_code": "ticker"}).assign(
        date=pd.to_datetime(events["ann_date"], format="%Y%m%d")
    )[["ticker", "date"]]
    res2 = _quiet(
        lambda: EventStudy(
            typed,
            returns,
            market="INDEX",
            event_window=(-5, 5),
            estimation_window=(-200, -11),
            leakage=False,
        ).fit()
    )
    assert [n for n in res2.notes if ".SH" in n] == [n for n in res.notes if ".SH" in n]


def test_cli_calendar_and_run_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    returns, events = _study_inputs()
    cal = _write(events, tmp_path / "anns.csv", "gbk")
    ret = _write(returns, tmp_path / "returns.csv")
    assert main(["calendar", str(cal), "--preset", "tushare"]) == 0
    out = capsys.readouterr().out
    assert "4 rows: 4 ok, 0 excluded" in out and out.count(".SH to .SS") == 1
    assert main(["calendar", str(cal), "--calendar-columns", "ticker=ts_code,date=ann_date"]) == 0
    assert main(["calendar", str(cal)]) == 2
    assert "--calendar-preset" in capsys.readouterr().err
    assert main(["calendar", "--preset", "tushare"]) == 2  # the bundled calendar needs none
    args = ["run", "--calendar", str(cal), "--calendar-preset", "tushare", "--returns", str(ret)]
    args += ["--market", "INDEX"]
    args += ["--estimation-window=-200,-11", "--event-window=-5,5", "--car-window=0,1"]
    args += ["--min-estimation-days", "100", "--no-leakage", "--out", str(tmp_path / "out")]
    assert main(args) == 0
    ledger = pd.read_csv(tmp_path / "out" / "events.csv", dtype=str)
    assert list(ledger["ticker_input"]) == list(events["ts_code"])
    assert (ledger["status"] == "included").all()


# --------------------------------------------------------------------------- large calendars


def _reference_row(ticker: str, date: str, time: str) -> dict[str, object]:
    """One row by the documented rules, cell by cell (an independent reference)."""
    code = ticker.zfill(6) if ticker.isdigit() and len(ticker) < 6 else ticker
    norm = normalize_ticker(code) if code else None
    kind, day, minutes = (
        parse_date_value(date, allow_month=True) if date else ("missing", None, np.nan)
    )
    from_date = str(timing_from_minutes(np.array([minutes]))[0]) if kind == "day" else "unknown"
    from_time = timing_from_time(time)
    timing = from_time if from_time != "unknown" else from_date
    if norm is None:
        reason = "no ticker"
    elif kind == "month":
        reason = f"date only known to the month ({day:%Y-%m})"
    elif kind != "day":
        reason = "no date"
    else:
        reason = ""
    return {
        "ticker": norm,
        "date": day if kind == "day" else pd.NaT,
        "date_precision": {"day": "day", "month": "month"}.get(kind, "unknown"),
        "timing": timing,
        "calendar_reason": reason,
    }


def test_large_calendar_matches_row_by_row_reference() -> None:
    rng = np.random.default_rng(11)
    n = 200_000
    codes = np.array(
        [f"{c:06d}" for c in rng.choice(np.r_[600000:604000, 1:3000, 300001:301500], 3000)]
    )
    pick = codes[rng.integers(0, len(codes), n)]
    style = rng.integers(0, 5, n)
    sh = np.char.add(pick, np.where(np.char.startswith(pick, "6"), ".SH", ".SZ"))
    ticker = np.where(
        style == 0,
        sh,
        np.where(style == 1, pick, np.where(style == 2, np.char.lstrip(pick, "0"), "")),
    )
    ticker = np.where(
        style == 4, np.char.add(np.where(np.char.startswith(pick, "6"), "sh", "sz"), pick), ticker
    )
    days = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    dstyle = rng.integers(0, 5, n)
    date = np.select(
        [dstyle == 0, dstyle == 1, dstyle == 2, dstyle == 3],
        [
            days.strftime("%Y%m%d"),
            days.strftime("%Y-%m-%d"),
            days.strftime("%Y-%m-%d 19:30"),
            days.strftime("%Y-%m"),
        ],
        "",
    )
    time = np.where(
        (dstyle < 2) & (rng.random(n) < 0.5),
        np.array(["08:45", "11:00", "16:00"])[rng.integers(0, 3, n)],
        "",
    )
    frame = pd.DataFrame(
        {"event_id": [f"A{i}" for i in range(n)], "ts_code": ticker, "ann_date": date, "time": time}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarWarning)
        cal = load_calendar(frame, columns="ticker=ts_code,date=ann_date")
        rows = np.sort(rng.choice(n, 400, replace=False))
        alone = load_calendar(frame.iloc[rows], columns="ticker=ts_code,date=ann_date")
    assert len(cal) == n and list(cal["event_id"][:3]) == ["A0", "A1", "A2"]
    got = cal.iloc[rows].reset_index(drop=True)
    # each row reads the same in a large calendar as in a small one
    pd.testing.assert_frame_equal(got, alone)
    for k, i in enumerate(rows):
        want = _reference_row(ticker[i], date[i], time[i])
        have = got.iloc[k]
        for column, value in want.items():
            if value is None or value is pd.NaT:
                assert pd.isna(have[column]), (i, column)
            else:
                assert have[column] == value, (i, column, have[column], value)
        assert have["calendar_status"] == ("excluded" if want["calendar_reason"] else "ok")
        assert have["date_input"] == date[i]
    written = cal["ticker_input"].to_numpy()
    assert (written[rows] == ticker[rows]).all()
