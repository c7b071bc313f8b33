"""CSV data source: returns and price files, presets, column mappings, validation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import (
    CsvSource,
    DataSource,
    parse_column_mapping,
    read_prices_csv,
    read_returns_csv,
    returns_from_prices,
)
from eventstudy.exceptions import DataError


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def ret_of(panel, ticker: str, date: str) -> float:
    r = panel.returns
    row = r[(r["ticker"] == ticker) & (r["date"] == pd.Timestamp(date))]
    assert len(row) == 1, f"no single return for {ticker} on {date}"
    return float(row["ret"].iloc[0])


# --------------------------------------------------------------------------- #
# returns files
# --------------------------------------------------------------------------- #


def test_returns_file_with_id_alias_and_provenance(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
date,id,ret
2024-05-06,600186.SH,0.01
2024-05-07,600186.SH,-0.02
2024-05-06,000300.SS,0.005
2024-05-07,000300.SS,
""",
    )
    panel = read_returns_csv(path)
    r = panel.returns
    assert list(r.columns) == ["date", "ticker", "ret", "span"]
    assert r["date"].dtype == "datetime64[ns]"
    assert set(r["ticker"]) == {"600186.SS", "000300.SS"}
    # the empty cell is a day without trading: no row
    assert len(r) == 3
    assert ret_of(panel, "600186.SS", "2024-05-07") == pytest.approx(-0.02)
    assert "ticker 600186.SH read as 600186.SS" in panel.notes
    assert panel.source == "csv" and panel.prices is None
    prov = panel.provenance
    assert prov["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["rows_read"] == 4 and prov["return_rows"] == 3
    assert prov["columns"]["ticker"] == "id"


def test_returns_span_after_missing_day(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
date,ticker,ret
2024-05-06,000300.SS,0.001
2024-05-07,000300.SS,0.002
2024-05-08,000300.SS,0.003
2024-05-06,600186.SS,0.01
2024-05-08,600186.SS,0.03
""",
    )
    r = read_returns_csv(path).returns.set_index(["ticker", "date"])["span"]
    assert r[("600186.SS", pd.Timestamp("2024-05-08"))] == 2
    assert r[("000300.SS", pd.Timestamp("2024-05-08"))] == 1


def test_input_frame_is_not_mutated() -> None:
    frame = pd.DataFrame(
        {"date": ["2024-05-06", "2024-05-07"], "ticker": ["600186", "600186"], "ret": [0.01, 0.02]}
    )
    before = frame.copy()
    panel = read_returns_csv(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert panel.provenance["sha256"] is None
    assert set(panel.returns["ticker"]) == {"600186.SS"}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "date,ticker,ret\n2024-05-06,600186.SS,0.01\n2024-05-06,600186.SS,0.02",
            r"duplicate \(date, ticker\) rows, first at row 1 \(600186\.SS, 2024-05-06\)",
        ),
        (
            "date,ticker,ret\n2024-05-06,600186.SS,0.01\n2024-05-07,600186.SS,abc",
            r"row 2 \(600186\.SS, 2024-05-07\) has a non-numeric return 'abc'",
        ),
        (
            "date,ticker,ret\n2024-05-06,600186.SS,inf",
            r"row 1 \(600186\.SS, 2024-05-06\) has an infinite return",
        ),
        (
            "date,ticker,ret\n2024-05-06,600186.SS,0.01\n2024-05-07,600186.SS,0.0\n"
            "2024-13-45,600186.SS,0.01",
            r"row 3 has an unparseable or empty date '2024-13-45'",
        ),
        ("date,ticker,ret\n2024-05-06,,0.01", r"row 1 has an empty ticker"),
        ("date,ticker,close\n2024-05-06,600186.SS,1.0", r"missing column\(s\) \['ret'\]"),
        # the same day twice under two spellings of one ticker
        (
            "date,ticker,ret\n2024-05-06,600186.SS,0.01\n2024-05-06,SH600186,0.01",
            r"duplicate \(date, ticker\) rows",
        ),
    ],
)
def test_returns_validation_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        read_returns_csv(write(tmp_path, text))


def test_missing_file_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_returns_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="unknown preset 'wind'; choose one of csmar, tushare"):
        read_returns_csv(
            write(tmp_path, "date,ticker,ret\n2024-05-06,600186.SS,0.1"), preset="wind"
        )


def test_second_header_row_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "Stkcd,Trddt,Dretwd\n证券代码,交易日期,回报率\n600186,2024-05-06,0.01")
    with pytest.raises(DataError, match="row 1 has an unparseable.*second header row"):
        read_returns_csv(path, preset="csmar")


# --------------------------------------------------------------------------- #
# prices files
# --------------------------------------------------------------------------- #

PRICES = """
date,ticker,open,high,low,close,volume
2024-05-06,000300.SS,3600,3620,3590,3600,100000
2024-05-07,000300.SS,3600,3640,3590,3636,100000
2024-05-08,000300.SS,3636,3640,3600,3618,100000
2024-05-09,000300.SS,3618,3640,3600,3654,100000
2024-05-06,600186.SS,10.00,10.10,9.90,10.00,5000
2024-05-07,600186.SS,10.00,11.00,10.00,11.00,8000
2024-05-08,600186.SS,11.00,11.00,11.00,11.00,0
2024-05-09,600186.SS,11.00,12.10,11.00,12.10,9000
"""


def test_prices_to_returns_with_zero_volume_gap(tmp_path: Path) -> None:
    panel = read_prices_csv(write(tmp_path, PRICES))
    r = panel.returns
    stock = r[r["ticker"] == "600186.SS"].set_index("date")
    # the first row has no return; the zero-volume day has none either
    assert list(stock.index) == [pd.Timestamp("2024-05-07"), pd.Timestamp("2024-05-09")]
    assert stock.loc["2024-05-07", "ret"] == pytest.approx(0.1)
    assert stock.loc["2024-05-09", "ret"] == pytest.approx(12.10 / 11.00 - 1)
    assert list(stock["span"]) == [1, 2]
    index = r[r["ticker"] == "000300.SS"]
    assert list(index["span"]) == [1, 1, 1]
    assert index["ret"].iloc[0] == pytest.approx(0.01)
    # the day without trading leaves the prices frame and is counted
    assert panel.prices is not None and len(panel.prices) == 7
    assert panel.provenance["zero_volume_days"] == {"600186.SS": 1}
    assert any("1 zero-volume row(s)" in n for n in panel.notes)
    assert panel.provenance["returns_from"] == "close-to-close"


def test_prices_gap_without_row_spans_panel_dates(tmp_path: Path) -> None:
    text = "\n".join(
        line for line in PRICES.strip().splitlines() if not line.startswith("2024-05-08,600186")
    )
    r = read_prices_csv(write(tmp_path, text)).returns
    stock = r[r["ticker"] == "600186.SS"]
    assert list(stock["span"]) == [1, 2]


def test_prices_prev_close_is_used(tmp_path: Path) -> None:
    # an ex-rights day: prev_close is the adjusted previous close
    path = write(
        tmp_path,
        """
date,ticker,close,prev_close
2024-05-06,600186.SS,20.00,19.80
2024-05-07,600186.SS,10.50,10.00
""",
    )
    panel = read_prices_csv(path)
    assert ret_of(panel, "600186.SS", "2024-05-07") == pytest.approx(0.05)
    assert panel.provenance["returns_from"] == "close / prev_close"


def test_index_without_volume_is_not_suspended(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
date,ticker,close,volume
2024-05-06,000300.SS,3600,0
2024-05-07,000300.SS,3636,0
2024-05-08,000300.SS,3618,0
""",
    )
    panel = read_prices_csv(path)
    assert len(panel.returns) == 2
    assert panel.provenance["volume_unreported"] == ["000300.SS"]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("2024-05-07,600186.SS,0", r"row 2 \(600186\.SS, 2024-05-07\) has a non-positive close"),
        ("2024-05-07,600186.SS,-1.5", r"row 2 .* non-positive close '-1\.5'"),
        (
            "2024-05-07,600186.SS,ten",
            r"row 2 \(600186\.SS, 2024-05-07\) has a non-numeric close "
            r"'ten' in column 'close'",
        ),
        ("2024-05-07,600186.SS,inf", r"row 2 .* has an infinite close"),
    ],
)
def test_bad_closes_name_the_row(tmp_path: Path, line: str, match: str) -> None:
    path = write(tmp_path, f"date,ticker,close\n2024-05-06,600186.SS,10\n{line}")
    with pytest.raises(DataError, match=match):
        read_prices_csv(path)


def test_bad_volume_names_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, "date,ticker,close,volume\n2024-05-06,600186.SS,10,-5")
    with pytest.raises(DataError, match=r"row 1 \(600186\.SS, 2024-05-06\) has a negative volume"):
        read_prices_csv(path)


def test_prices_need_close(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"missing column\(s\) \['close'\]"):
        read_prices_csv(write(tmp_path, "date,ticker,ret\n2024-05-06,600186.SS,0.1"))


def test_empty_close_is_no_trade(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
date,ticker,close
2024-05-06,600186.SS,10
2024-05-07,600186.SS,
2024-05-08,600186.SS,11
""",
    )
    panel = read_prices_csv(path)
    assert list(panel.returns["span"]) == [2]
    assert panel.returns["ret"].iloc[0] == pytest.approx(0.1)
    assert panel.prices is not None and len(panel.prices) == 2


# --------------------------------------------------------------------------- #
# presets and mappings
# --------------------------------------------------------------------------- #


def test_tushare_preset() -> None:
    frame = pd.DataFrame(
        {
            "ts_code": ["600000.SH", "600000.SH", "000001.SZ", "000001.SZ"],
            "trade_date": [20240506, 20240507, 20240506, 20240507],
            "open": [7.0, 7.1, 10.0, 10.1],
            "high": [7.2, 7.3, 10.2, 10.3],
            "low": [6.9, 7.0, 9.9, 10.0],
            "close": [7.1, 7.2, 10.1, 9.9],
            "pre_close": [7.0, 7.1, 10.0, 10.1],
            "change": [0.1, 0.1, 0.1, -0.2],
            "pct_chg": [1.4286, 1.4085, 1.0, -1.9802],
            "vol": [1000.0, 1200.0, 3000.0, 0.0],
            "amount": [710.0, 864.0, 3030.0, 0.0],
        }
    )
    panel = read_prices_csv(frame, preset="tushare")
    # percent -> decimal, YYYYMMDD -> dates, .SH -> .SS
    assert ret_of(panel, "600000.SS", "2024-05-07") == pytest.approx(0.014085)
    assert ret_of(panel, "600000.SS", "2024-05-06") == pytest.approx(0.014286)
    assert panel.returns["date"].min() == pd.Timestamp("2024-05-06")
    # a zero-volume row is a day without trading even though pct_chg is given
    assert len(panel.returns[panel.returns["ticker"] == "000001.SZ"]) == 1
    prices = panel.prices
    assert prices is not None
    assert {"open", "high", "low", "close", "volume", "prev_close"} <= set(prices.columns)
    # vol is in lots of 100 shares
    assert prices.loc[prices["ticker"] == "600000.SS", "volume"].tolist() == [100000.0, 120000.0]
    assert any("percent" in n for n in panel.notes)
    assert panel.provenance["preset"] == "tushare"


def test_tushare_dates_as_text(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ts_code,trade_date,pct_chg\n600000.SH,20240506,2.5\n600000.SH,20240507,-1"
    )
    panel = read_returns_csv(path, preset="tushare")
    assert ret_of(panel, "600000.SS", "2024-05-06") == pytest.approx(0.025)
    assert ret_of(panel, "600000.SS", "2024-05-07") == pytest.approx(-0.01)


def test_csmar_preset(tmp_path: Path) -> None:
    # a spreadsheet export lost the leading zeros of the Shenzhen code
    path = write(
        tmp_path,
        """
Stkcd,Trddt,Opnprc,Hiprc,Loprc,Clsprc,Dnshrtrd,Dretwd,Trdsta
600186,2024-05-06,5.00,5.50,5.00,5.50,1000,0.10,1
600186,2024-05-07,6.05,6.05,6.05,6.05,200,0.10,1
2575,2024-05-06,8.00,8.10,7.90,8.00,3000,-0.005,1
2575,2024-05-07,8.00,8.20,7.95,8.10,2500,0.0125,2
""",
    )
    panel = read_prices_csv(path, preset="csmar")
    # the given Dretwd is used, not the closes
    assert ret_of(panel, "600186.SS", "2024-05-06") == pytest.approx(0.10)
    assert ret_of(panel, "002575.SZ", "2024-05-07") == pytest.approx(0.0125)
    prices = panel.prices
    assert prices is not None
    # sorted by ticker, then date; Trdsta kept as the status column
    assert prices["ticker"].tolist() == ["002575.SZ"] * 2 + ["600186.SS"] * 2
    assert prices["status"].tolist() == [1, 2, 1, 1]
    assert "ticker 2575 read as 002575.SZ" not in panel.notes  # padded before normalising
    assert any("returns taken from column 'Dretwd'" in n for n in panel.notes)
    assert panel.provenance["returns_from"] == "column 'Dretwd'"


def test_csmar_returns_only() -> None:
    frame = pd.DataFrame({"Stkcd": ["000001"], "Trddt": ["2024-05-06"], "Dretwd": [0.02]})
    panel = read_returns_csv(frame, preset="csmar")
    assert panel.returns["ticker"].tolist() == ["000001.SZ"]


def test_generic_mapping_string(tmp_path: Path) -> None:
    path = write(tmp_path, "day,code,r\n2024-05-06,sz002575,0.01\n2024-05-07,sz002575,0.02")
    panel = read_returns_csv(path, columns="date=day,ticker=code,ret=r")
    assert panel.returns["ticker"].unique().tolist() == ["002575.SZ"]
    assert panel.provenance["columns"] == {"date": "day", "ticker": "code", "ret": "r"}


def test_mapping_overrides_preset() -> None:
    frame = pd.DataFrame(
        {"Stkcd": ["600186"], "Trddt": ["2024-05-06"], "Dretnd": [0.03], "Dretwd": [0.05]}
    )
    panel = read_returns_csv(frame, preset="csmar", columns={"ret": "Dretnd"})
    assert panel.returns["ret"].tolist() == [pytest.approx(0.03)]


def test_mapping_to_absent_column(tmp_path: Path) -> None:
    path = write(tmp_path, "date,ticker,ret\n2024-05-06,600186.SS,0.1")
    with pytest.raises(DataError, match=r"ret=Dretwd: the file has no column 'Dretwd'"):
        read_returns_csv(path, columns={"ret": "Dretwd"})


def test_parse_column_mapping() -> None:
    assert parse_column_mapping("date=Trddt,ticker=Stkcd") == {"date": "Trddt", "ticker": "Stkcd"}
    assert parse_column_mapping(" date = Trddt , ret=Dretwd ") == {"date": "Trddt", "ret": "Dretwd"}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("date=Trddt,ticker", r"item 'ticker' is not of the form target=column"),
        ("date=", r"item 'date=' is not of the form"),
        ("=Trddt", r"item '=Trddt' is not of the form"),
        ("day=Trddt", r"unknown target 'day'; allowed targets are date, ticker, ret"),
        ("date=a,date=b", r"target 'date' is given twice"),
        ("date=a,,ret=b", r"empty item"),
        ("", r"column mapping is empty"),
    ],
)
def test_parse_column_mapping_errors(text: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        parse_column_mapping(text)


def test_unknown_target_in_dict() -> None:
    frame = pd.DataFrame({"date": ["2024-05-06"], "ticker": ["600186"], "ret": [0.1]})
    with pytest.raises(DataError, match="unknown target 'price'"):
        read_returns_csv(frame, columns={"price": "close"})


# --------------------------------------------------------------------------- #
# the source object and the shared helper
# --------------------------------------------------------------------------- #


def test_csv_source_load(tmp_path: Path) -> None:
    source = CsvSource(write(tmp_path, PRICES))
    assert isinstance(source, DataSource)
    panel = source.load(
        ["600186.SH", "601000.SS"], pd.Timestamp("2024-05-08"), pd.Timestamp("2024-05-09")
    )
    assert panel.returns["ticker"].unique().tolist() == ["600186.SS"]
    # the span computed on the whole file survives the cut
    assert panel.returns["span"].tolist() == [2]
    assert panel.provenance["missing_tickers"] == ["601000.SS"]
    assert panel.prices is not None and set(panel.prices["ticker"]) == {"600186.SS"}


def test_csv_source_kind() -> None:
    frame = pd.DataFrame(
        {
            "date": ["2024-05-06", "2024-05-07"],
            "ticker": ["600186"] * 2,
            "close": [10.0, 11.0],
            "ret": [np.nan, 0.1],
        }
    )
    assert CsvSource(frame, kind="returns").panel().prices is None
    assert CsvSource(frame).panel().prices is not None
    with pytest.raises(DataError, match="unknown kind"):
        CsvSource(frame, kind="bars")  # type: ignore[arg-type]


def test_returns_from_prices_does_not_mutate() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-05-07", "2024-05-06"]),
            "ticker": ["A", "A"],
            "close": [11.0, 10.0],
        }
    )
    before = frame.copy()
    out, stats = returns_from_prices(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["ret"].tolist() == [pytest.approx(0.1)]
    assert stats["zero_volume_days"] == {}


def test_gb18030_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("date,ticker,ret,firm\n2024-05-06,600186.SS,0.01,莲花健康\n".encode("gb18030"))
    panel = read_returns_csv(path)
    assert len(panel.returns) == 1
    assert any("GB18030" in n for n in panel.notes)
