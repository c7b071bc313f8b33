"""Factor files: presets (Ken French, CH-3), column mappings, units, checks, alignment, CLI."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.cli import main
from eventstudy.data.factors import FactorFrame, parse_factor_mapping, read_factors
from eventstudy.exceptions import DataError, DataWarning, EventStudyError

DATES = pd.bdate_range("2022-01-03", periods=30)


def _values(seed: int = 0, n: int = len(DATES)) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "Mkt-RF": rng.normal(0.05, 1.1, n),
        "SMB": rng.normal(0, 0.5, n),
        "HML": rng.normal(0, 0.45, n),
        "RF": np.full(n, 0.009),
    }


def french_file(path: Path, vals: dict[str, np.ndarray], dates=DATES, extra: str = "") -> Path:
    """A file shaped like Ken French's F-F_Research_Data_Factors_daily.CSV (percent)."""
    cols = list(vals)
    lines = [
        "This file was created by CMPT_ME_BEME_RETS_DAILY using the 202401 CRSP database.",
        "The Tbill return is the simple daily rate that, over the number of trading days",
        "in the month, compounds to 1-month TBill rate from Ibbotson and Associates Inc.",
        "",
        "," + ",".join(cols),
    ]
    for i, d in enumerate(dates):
        lines.append(d.strftime("%Y%m%d") + "," + ",".join(f"{vals[c][i]:8.3f}" for c in cols))
    lines += ["", extra or "Copyright 2024 Kenneth R. French", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def ch3_file(path: Path, seed: int = 1) -> tuple[Path, pd.DataFrame]:
    """A file shaped like Liu-Stambaugh-Yuan's CH_3_fac_daily_update_YYYYMMDD.csv (percent)."""
    rng = np.random.default_rng(seed)
    n = len(DATES)
    df = pd.DataFrame(
        {
            "date": DATES.strftime("%Y%m%d"),
            "rf_dly": np.full(n, 0.0055),
            "mktrf": rng.normal(0.03, 1.2, n).round(4),
            "VMG": rng.normal(0, 0.6, n).round(4),
            "SMB": rng.normal(0, 0.7, n).round(4),
        }
    )
    head = [
        "CH-3 factors, daily, from Liu, Stambaugh and Yuan (2019), Size and Value in China",
        "Journal of Financial Economics. Returns are in percent.",
        "rf_dly: daily risk-free rate (one-year deposit rate)",
        "mktrf: market excess return; VMG: value factor; SMB: size factor",
        "",
        "",
        "",
        "",
    ]
    path.write_text("\n".join(head) + "\n" + df.to_csv(index=False), encoding="utf-8")
    return path, df


# ------------------------------------------------------------------ presets


def test_french_preset_reads_percent_and_states_the_conversion(tmp_path):
    vals = _values()
    f = read_factors(french_file(tmp_path / "ff.CSV", vals), preset="french")
    assert f.columns == ["Mkt-RF", "SMB", "HML", "RF"]
    assert list(f.data.index) == list(DATES)
    np.testing.assert_allclose(f.data["SMB"], np.round(vals["SMB"], 3) / 100, rtol=0, atol=1e-15)
    np.testing.assert_allclose(f.data["RF"], 0.00009, rtol=1e-12)
    assert f.provenance["units"] == "percent"
    assert f.provenance["conversion"] == "divided by 100"
    assert len(f.provenance["sha256"]) == 64
    assert any("divided by 100" in n for n in f.notes)
    assert f.find("MKT-RF") == "Mkt-RF"  # the ff3 name matches French's spelling


def test_french_missing_value_codes_and_momentum_file_joined(tmp_path):
    vals = _values()
    vals["HML"][4] = -99.99
    three = french_file(tmp_path / "F-F_Research_Data_Factors_daily.CSV", vals)
    rng = np.random.default_rng(9)
    mom = french_file(
        tmp_path / "F-F_Momentum_Factor_daily.CSV", {"Mom   ": rng.normal(0, 0.8, 30)}
    )
    f = read_factors([three, mom], preset="french")
    assert f.columns == ["Mkt-RF", "SMB", "HML", "RF", "Mom"]
    assert np.isnan(f.data["HML"].iloc[4])
    assert any("missing-value codes" in n for n in f.notes)
    model = es.models.get_model("carhart", factors=f)
    assert model.coef_names == ("MKT-RF", "SMB", "HML", "UMD")


def test_ch3_preset_renames_and_converts(tmp_path):
    path, df = ch3_file(tmp_path / "CH_3_fac_daily_update_20240630.csv")
    f = read_factors(path, preset="ch3")
    assert f.columns == ["RF", "MKT", "VMG", "SMB"]
    np.testing.assert_allclose(f.data["MKT"], df["mktrf"] / 100, rtol=1e-15)
    np.testing.assert_allclose(f.data["RF"], 0.000055, rtol=1e-12)
    assert es.models.get_model("ch3", factors=f).coef_names == ("MKT", "SMB", "VMG")


def test_monthly_file_second_table_and_ragged_rows_are_errors(tmp_path):
    monthly = tmp_path / "monthly.csv"
    monthly.write_text("text\n\n,Mkt-RF,SMB\n202401,1.0,0.5\n202402,0.3,0.1\n")
    with pytest.raises(DataError, match="monthly file"):
        read_factors(monthly, preset="french")
    annual = french_file(
        tmp_path / "two.csv",
        _values(),
        extra=" Annual Factors: January-December\n,Mkt-RF\n19270101,1.0",
    )
    with pytest.raises(DataError, match="second table"):
        read_factors(annual, preset="french")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x\n,Mkt-RF,SMB\n20240102,1.0,0.5\n20240103,0.3\n")
    with pytest.raises(DataError, match=r"line 4: 2 fields where the header \(line 2\) has 3"):
        read_factors(ragged, preset="french")
    with pytest.raises(DataError, match="no data rows"):
        read_factors(_write(tmp_path / "none.csv", "just text\nno table\n"), preset="ch3")


def test_french_layout_without_preset_points_to_the_preset(tmp_path):
    path = french_file(tmp_path / "ff.CSV", _values())
    with pytest.raises(DataError, match="preset='french'"):
        read_factors(path)


# ------------------------------------------------- plain files and mappings


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_csv_with_mapping_selects_and_renames(tmp_path):
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "trade_date": DATES.strftime("%Y-%m-%d"),
            "mkt": rng.normal(0, 0.01, 30),
            "size": rng.normal(0, 0.005, 30),
            "junk": "x",
            "rf": 0.0001,
        }
    )
    path = tmp_path / "f.csv"
    df.to_csv(path, index=False)
    f = read_factors(path, columns="date=trade_date,MKT-RF=mkt,SMB=size,RF=rf")
    assert f.columns == ["MKT-RF", "SMB", "RF"]
    np.testing.assert_allclose(f.data["SMB"], df["size"], rtol=1e-15)
    assert f.provenance["units"] == "decimal"
    with pytest.raises(
        DataError, match=r"column\(s\) \['value'\] of the mapping are not in the file"
    ):
        read_factors(path, columns={"date": "trade_date", "HML": "value"})
    assert read_factors(path, columns={"SMB": "size"}).columns == ["SMB"]  # trade_date found
    other = tmp_path / "g.csv"
    df.rename(columns={"trade_date": "day"}).to_csv(other, index=False)
    with pytest.raises(DataError, match="no date column"):
        read_factors(other, columns={"SMB": "size"})
    assert read_factors(other, columns={"date": "day", "SMB": "size"}).columns == ["SMB"]


def test_parse_factor_mapping_errors():
    assert parse_factor_mapping(" date = d , SMB=s ") == {"date": "d", "SMB": "s"}
    with pytest.raises(DataError, match="is not of the form"):
        parse_factor_mapping("SMB")
    with pytest.raises(DataError, match="given twice"):
        parse_factor_mapping("SMB=a,SMB=b")
    with pytest.raises(DataError, match="empty name"):
        parse_factor_mapping("SMB=")
    with pytest.raises(DataError, match="is empty"):
        parse_factor_mapping(" , ")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d.assign(date=["2022-01-03"] * 2 + list(d["date"][2:])),
            "duplicate date 2022-01-03",
        ),
        (
            lambda d: d.assign(SMB=["0.001", "n.a.x"] + list(d["SMB"][2:])),
            r"line 3: column 'SMB' has a non-numeric value 'n.a.x'",
        ),
        (lambda d: d.assign(SMB=[np.inf] + list(d["SMB"][1:])), "infinite value"),
        (
            lambda d: d.assign(date=["not a date"] + list(d["date"][1:])),
            "line 2: unparseable or empty date",
        ),
        (lambda d: d.assign(date=["202201"] + list(d["date"][1:])), "monthly factors"),
        (lambda d: d.rename(columns={"HML": "SMB"}), "repeat"),
        (lambda d: d.iloc[0:0], "no rows"),
    ],
)
def test_bad_rows_are_errors_naming_the_line(tmp_path, change, message):
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "date": DATES.strftime("%Y-%m-%d"),
            "SMB": rng.normal(0, 0.005, 30),
            "HML": rng.normal(0, 0.005, 30),
        }
    )
    path = tmp_path / "f.csv"
    change(df).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        read_factors(path)


# ------------------------------------------------------------------- units


def test_units_that_contradict_the_values_are_errors(tmp_path):
    vals = {k: v for k, v in _values().items()}
    pct = pd.DataFrame({"date": DATES, **vals})
    with pytest.raises(DataError, match="look like percent.*units='percent'"):
        read_factors(pct)  # percent values read as decimals
    dec = pct.assign(**{c: pct[c] / 100 for c in ("Mkt-RF", "SMB", "HML", "RF")})
    with pytest.raises(DataError, match="seems to hold decimals already.*units='decimal'"):
        read_factors(dec, units="percent")
    with pytest.raises(DataError, match="RF column 'RF'.*not a daily decimal rate"):
        read_factors(dec.assign(RF=0.009))  # RF left in percent
    with pytest.raises(
        DataError, match="even in percent these are far too large for daily returns"
    ):
        read_factors(pct.assign(SMB=pct["SMB"] * 100), units="percent")
    ok = read_factors(pct, units="percent")
    np.testing.assert_allclose(ok.data["SMB"], vals["SMB"] / 100, rtol=1e-15)
    # the same check guards a preset file that was already converted by hand
    path = french_file(tmp_path / "ff.CSV", {k: v / 100 for k, v in vals.items()})
    with pytest.raises(DataError, match="seems to hold decimals already"):
        read_factors(path, preset="french")
    with pytest.raises(DataError, match="units must be"):
        read_factors(pct, units="basis points")
    with pytest.raises(DataError, match="preset 'bloomberg' is not known"):
        read_factors(pct, preset="bloomberg")


def test_two_sources_with_different_values_in_one_column_are_an_error():
    a = pd.DataFrame({"date": DATES, "SMB": np.linspace(-0.01, 0.01, 30)})
    b = pd.DataFrame({"date": DATES, "SMB": np.linspace(-0.01, 0.01, 30) + 1e-4})
    with pytest.raises(DataError, match="appears in two sources with different values"):
        read_factors([a, b])
    both = read_factors([a, a.rename(columns={"SMB": "HML"})])
    assert both.columns == ["SMB", "HML"]


# --------------------------------------------------------------- alignment


def test_alignment_on_sessions_with_notes_and_warnings():
    rng = np.random.default_rng(4)
    days = pd.date_range("2022-01-03", periods=40, freq="D")  # includes weekends
    f = read_factors(pd.DataFrame({"date": days, "SMB": rng.normal(0, 0.005, 40)}))
    sessions = pd.bdate_range("2021-12-27", "2022-02-18")
    sessions = sessions.delete(10)  # a session the factors have but the market does not
    with pytest.warns(DataWarning, match="do the factors belong to this market"):
        vals, notes = f.align(sessions, ["SMB"])
    assert vals.shape == (len(sessions), 1)
    assert np.isnan(vals[: sessions.get_indexer([pd.Timestamp("2022-01-03")])[0]]).all()
    text = " ".join(notes)
    assert "session(s) of the panel before" in text
    assert "row(s) fall on dates that are not market sessions" in text
    with pytest.raises(DataError, match="no session has factors"):
        f.align(pd.bdate_range("2023-01-02", periods=10), ["SMB"])
    gap = read_factors(pd.DataFrame({"date": DATES.delete(5), "SMB": rng.normal(0, 0.005, 29)}))
    _, notes = gap.align(DATES, ["SMB"])
    assert any("1 market session(s) between" in n for n in notes)


def test_factor_frame_is_returned_unchanged_and_dataframe_index_is_accepted():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"SMB": rng.normal(0, 0.005, 30)}, index=DATES)
    f = read_factors(frame)
    assert isinstance(f, FactorFrame) and read_factors(f) is f
    with pytest.raises(DataError, match="takes no preset"):
        read_factors(f, units="percent")


# --------------------------------------------------------------------- CLI


def _run_files(tmp_path):
    rng = np.random.default_rng(6)
    dates = pd.bdate_range("2021-01-04", periods=320)
    mkt = rng.normal(0.0003, 0.012, 320)
    smb, hml = rng.normal(0, 0.005, 320), rng.normal(0, 0.004, 320)
    rows = [pd.DataFrame({"date": dates, "ticker": "INDEX", "ret": mkt + 0.0001})]
    tick = [f"F{i}" for i in range(4)]
    for t in tick:
        r = 0.0001 + 0.9 * mkt + 0.5 * smb - 0.3 * hml + rng.normal(0, 0.015, 320)
        rows.append(pd.DataFrame({"date": dates, "ticker": t, "ret": r}))
    returns = tmp_path / "returns.csv"
    pd.concat(rows).assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d")).to_csv(
        returns, index=False
    )
    ff = french_file(
        tmp_path / "ff.CSV",
        {"Mkt-RF": mkt * 100, "SMB": smb * 100, "HML": hml * 100, "RF": np.full(320, 0.01)},
        dates=dates,
    )
    cal = tmp_path / "cal.csv"
    pd.DataFrame({"ticker": tick, "date": dates[[290, 295, 300, 305]].strftime("%Y-%m-%d")}).to_csv(
        cal, index=False
    )
    return returns, ff, cal


def test_cli_run_with_a_french_factor_file(tmp_path, capsys):
    returns, ff, cal = _run_files(tmp_path)
    out = tmp_path / "out"
    base = [
        "run", "--calendar", str(cal), "--returns", str(returns), "--market", "INDEX",
        "--estimation-window=-250,-11", "--event-window=-5,5", "--no-leakage",
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(
            [
                *base,
                "--model",
                "ff3",
                "--factors",
                str(ff),
                "--factors-preset",
                "french",
                "--out",
                str(out),
            ]
        )
    assert rc == 0
    assert "ff3 (MKT-RF, SMB, HML; firm returns in excess of RF)" in capsys.readouterr().out
    ev = pd.read_csv(out / "events.csv")
    assert {"coef_MKT-RF", "se_SMB", "coef_HML", "se_alpha"} <= set(ev.columns)
    assert (ev["status"] == "included").all()
    assert ev["coef_SMB"].between(0.2, 0.8).all()  # the planted 0.5
    assert (out / "data" / "factors.parquet").is_file()
    import json

    cfg = json.loads((out / "summary.json").read_text())["config"]
    assert cfg["factors"]["provenance"]["preset"] == "french"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "factors" in manifest["inputs"]
    # errors: exit 2 with the message
    assert main([*base, "--model", "ff3", "--out", str(tmp_path / "x")]) == 2
    assert "needs a factor frame" in capsys.readouterr().err
    assert main([*base, "--factors-preset", "french", "--out", str(tmp_path / "y")]) == 2
    assert "need --factors FILE" in capsys.readouterr().err
    assert main([*base, "--dimson-lags", "2", "--out", str(tmp_path / "z")]) == 2
    assert "apply to --model dimson" in capsys.readouterr().err
    assert main([*base, "--model", "ff3", "--factors", str(ff), "--out", str(tmp_path / "w")]) == 2
    assert "preset='french'" in capsys.readouterr().err


def test_cli_dimson_options_are_recorded(tmp_path):
    returns, _, cal = _run_files(tmp_path)
    out = tmp_path / "dim"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(
            [
                "run", "--calendar", str(cal), "--returns", str(returns), "--market", "INDEX",
                "--estimation-window=-250,-11", "--event-window=-5,5", "--no-leakage",
                "--model", "dimson", "--dimson-lags", "2", "--dimson-leads", "1",
                "--dimson-ar", "full", "--out", str(out),
            ]
        )  # fmt: skip
    assert rc == 0
    import json

    cfg = json.loads((out / "summary.json").read_text())["config"]
    assert cfg["model"] == "dimson"
    assert cfg["model_options"] == {"lags": 2, "leads": 1, "ar": "full"}
    ev = pd.read_csv(out / "events.csv")
    assert {"coef_MKT_lag2", "coef_MKT_lag1", "coef_MKT", "coef_MKT_lead1"} <= set(ev.columns)
    np.testing.assert_allclose(
        ev["beta"], ev[["coef_MKT_lag2", "coef_MKT_lag1", "coef_MKT", "coef_MKT_lead1"]].sum(axis=1)
    )


def test_event_study_accepts_a_factor_path(tmp_path):
    returns, ff, cal = _run_files(tmp_path)
    plain = tmp_path / "plain.csv"
    fr = read_factors(ff, preset="french")
    fr.data.reset_index().to_csv(plain, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(
            es.load_calendar(str(cal)), es.read_returns_csv(returns), market="INDEX",
            model="ff3", factors=str(plain), estimation_window=(-250, -11),
            event_window=(-5, 5), leakage=False, calendar_time=False,
        ).fit()  # fmt: skip
    assert res.n_included == 4
    with pytest.raises(EventStudyError, match="uses no factors"):
        es.EventStudy(
            es.load_calendar(str(cal)), es.read_returns_csv(returns), market="INDEX", factors=fr
        ).fit()
