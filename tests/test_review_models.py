"""Adversarial review of issue 11 (factor models, Scholes-Williams, Dimson): each defect found, pinned."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.data.factors import read_factors
from eventstudy.exceptions import DataError, DataWarning

MKT = "IDX"


def _study_data(seed: int = 5, n_days: int = 330, n_firms: int = 4):
    """A panel with a known three-factor structure, its factor frame and one event per firm."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n_days)
    rf = np.full(n_days, 6e-5)
    fac = {
        "MKT-RF": rng.normal(0.0003, 0.012, n_days),
        "SMB": rng.normal(0, 0.005, n_days),
        "HML": rng.normal(0, 0.004, n_days),
    }
    frames = [pd.DataFrame({"date": dates, "ticker": MKT, "ret": fac["MKT-RF"] + rf})]
    for i in range(n_firms):
        r = rf + 1.1 * fac["MKT-RF"] + 0.5 * fac["SMB"] - 0.3 * fac["HML"]
        r = r + rng.normal(0, 0.01, n_days)
        frames.append(pd.DataFrame({"date": dates, "ticker": f"F{i}", "ret": r}))
    factors = pd.DataFrame({"date": dates, **fac, "RF": rf})
    events = pd.DataFrame(
        {
            "event_id": [f"E{i}" for i in range(n_firms)],
            "ticker": [f"F{i}" for i in range(n_firms)],
            "date": dates[[300 + i for i in range(n_firms)]],
        }
    )
    return pd.concat(frames, ignore_index=True), factors, events


def _fit(returns, events, factors, model="ff3", **kw):
    opts = dict(
        market=MKT,
        estimation_window=(-250, -11),
        event_window=(-5, 5),
        car_windows=[(-1, 1)],
        tests=["csect_t"],
        calendar_time=False,
        leakage=False,
    )
    opts.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return es.EventStudy(events, returns, model=model, factors=factors, **opts).fit()


# -- finding 1: a day without RF was not counted in n_missing_factor_days -------------


@pytest.mark.parametrize("how", ["rf_value", "whole_row"])
def test_days_without_rf_are_counted_as_missing_factor_days(how):
    returns, factors, events = _study_data()
    est_days = factors["date"].iloc[150:170]  # inside every event's estimation window
    if how == "rf_value":
        factors.loc[factors["date"].isin(est_days), "RF"] = np.nan
    else:
        factors = factors[~factors["date"].isin(est_days)]
    res = _fit(returns, events, factors)
    ev = res.events.set_index("event_id")
    assert (ev["status"] == "included").all()
    # the firms trade every day: the 20 days leave the estimation and are all counted
    assert (ev["n_missing_factor_days"] == 20).all()
    assert (ev["n_estimation"] == 240 - 20).all()


def test_a_day_without_rf_in_the_event_window_has_no_abnormal_return():
    returns, factors, events = _study_data()
    day = events["date"].iloc[0] + pd.offsets.BDay(1)  # day +1 of E0
    factors.loc[factors["date"] == day, "RF"] = np.nan
    res = _fit(returns, events, factors)
    assert res.events.set_index("event_id").loc["E0", "missing_event_days"] == 1
    row = res.ar[(res.ar["event_id"] == "E0") & (res.ar["tau"] == 1)].iloc[0]
    assert np.isnan(row["ar"]) and np.isnan(row["rf"])
    assert not np.isnan(row["ret"])  # the firm's own return is kept, not replaced


# -- finding 2: plain factor files in GBK, semicolon-separated, empty ------------------


def _plain(factors: pd.DataFrame) -> pd.DataFrame:
    out = factors.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out


def test_gbk_plain_factor_file_with_a_chinese_date_header(tmp_path: Path):
    _, factors, _ = _study_data()
    f = _plain(factors).rename(columns={"date": "交易日期"})
    path = tmp_path / "ff3_gbk.csv"
    path.write_bytes(f.to_csv(index=False).encode("gbk"))
    fr = read_factors(path)
    assert any("GB18030" in n for n in fr.notes)
    np.testing.assert_allclose(fr.data["SMB"].to_numpy(), factors["SMB"].to_numpy(), atol=1e-15)


@pytest.mark.parametrize("decimal", [".", ","])
def test_semicolon_factor_file_with_decimal_points_or_commas(tmp_path: Path, decimal: str):
    _, factors, _ = _study_data()
    path = tmp_path / "ff3_semicolon.csv"
    path.write_text(_plain(factors).to_csv(index=False, sep=";", decimal=decimal))
    fr = read_factors(path)
    assert any("semicolon" in n for n in fr.notes)
    assert (decimal == ",") == any("decimal commas" in n for n in fr.notes)
    np.testing.assert_allclose(fr.data["HML"].to_numpy(), factors["HML"].to_numpy(), rtol=1e-12)


def test_empty_plain_factor_file_is_named_as_empty(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_text("\n\n")
    with pytest.raises(DataError, match=r"empty\.csv: the factor file is empty"):
        read_factors(path)


# -- finding 3: day-first / month-first dates were guessed (format="mixed") ------------


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y"])
def test_day_first_or_month_first_factor_dates_are_refused_not_guessed(tmp_path, fmt):
    _, factors, _ = _study_data()
    f = factors.copy()
    f["date"] = f["date"].dt.strftime(fmt)
    path = tmp_path / "dmy.csv"
    f.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"dmy\.csv, line 2: unparseable or empty date .*ambiguous"):
        read_factors(path)
    with pytest.raises(DataError, match=r"row 1: unparseable or empty date .*ambiguous"):
        read_factors(f)


# -- finding 4: reproduce of a factor-model run read from a file reported REGRESSION ---


def test_reproduce_of_a_run_with_a_percent_factor_file_is_same(tmp_path: Path):
    from eventstudy.cli import main
    from eventstudy.reproduce import reproduce

    returns, factors, events = _study_data()
    returns.to_csv(tmp_path / "returns.csv", index=False)
    events.assign(date=events["date"].dt.strftime("%Y-%m-%d")).to_csv(
        tmp_path / "events.csv", index=False
    )
    pct = _plain(factors)
    pct[["MKT-RF", "SMB", "HML", "RF"]] *= 100
    pct.to_csv(tmp_path / "ff3_pct.csv", index=False)
    out = tmp_path / "out"
    args = ["run", "-q", "--calendar", str(tmp_path / "events.csv")]
    args += ["--returns", str(tmp_path / "returns.csv"), "--market", MKT, "--model", "ff3"]
    args += ["--factors", str(tmp_path / "ff3_pct.csv"), "--factors-units", "percent"]
    args += ["--estimation-window=-250,-11", "--event-window=-5,5", "--out", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    fcfg = summary["config"]["factors"]
    assert fcfg["provenance"]["conversion"] == "divided by 100"
    assert any("divided by 100" in n for n in fcfg["notes"])
    rep = reproduce(out)
    assert rep.ok, rep.report()


# -- finding 5: a Dimson model with many lags leaked pandas' PerformanceWarning --------


def test_dimson_with_many_lags_builds_the_ledger_without_pandas_warnings():
    # prices (limit columns) and the leakage columns: well over 100 ledger columns
    sim = es.simulate_market(
        seed=3, n_firms=6, start="2022-01-01", end="2023-06-30", suspension_rate=0
    )
    dates = pd.DatetimeIndex(sorted(sim.panel.returns["date"].unique()))
    firms = sim.firms["ticker"].tolist()
    events = pd.DataFrame(
        {"event_id": [f"E{i}" for i in range(len(firms))], "ticker": firms, "date": dates[-40]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        res = es.EventStudy(
            events, sim.panel, model="dimson", model_options={"lags": 20, "leads": 20}
        ).fit()
    assert res.events.shape[1] > 110
    assert {"coef_MKT_lag20", "se_MKT_lead20"} <= set(res.events.columns)


# -- finding 6: events after the end of the factor file were included with no ARs -----


def test_events_after_the_factor_file_ends_are_excluded_with_a_reason():
    returns, factors, events = _study_data()
    cut = events["date"].iloc[2]  # the file ends the session before E2's day 0
    res = _fit(returns, events, factors[factors["date"] < cut])
    ev = res.events.set_index("event_id")
    assert list(ev["status"]) == ["included", "included", "excluded", "excluded"]
    last = (cut - pd.offsets.BDay(1)).date()
    assert ev.loc["E2", "reason"] == (
        f"no factors on day 0 (missing factor or RF; the factor frame covers 2021-01-04..{last})"
    )
    # the included ones keep their days after the file's end as missing event days
    assert ev.loc["E1", "missing_event_days"] == 5  # days +1..+5
    assert ev.loc["E0", "missing_event_days"] == 4  # days +2..+5


def test_a_missing_rf_on_day_0_excludes_the_event():
    returns, factors, events = _study_data()
    factors.loc[factors["date"] == events["date"].iloc[1], "RF"] = np.nan
    res = _fit(returns, events, factors)
    ev = res.events.set_index("event_id")
    assert ev.loc["E1", "status"] == "excluded"
    assert ev.loc["E1", "reason"].startswith("no factors on day 0")
    assert (ev.drop(index="E1")["status"] == "included").all()


# -- finding 7: a monthly RF passed as daily; the simulator made RF the reader refuses --


def test_a_monthly_risk_free_rate_is_refused():
    _, factors, _ = _study_data()
    monthly = factors.assign(RF=0.0015 / 12 * 10)  # 0.00125: 1.5% a year, per month
    with pytest.raises(DataError, match=r"RF column 'RF' has a median of 0.00125 .*monthly"):
        read_factors(monthly)
    read_factors(factors.assign(RF=0.0006))  # a daily 16% a year still passes


def test_simulated_factors_are_always_readable():
    with pytest.raises(es.EventStudyError, match=r"risk_free is a daily rate and must lie in"):
        es.simulate_market(seed=1, n_firms=2, factor_model="ff3", risk_free=0.005)
    sim = es.simulate_market(
        seed=1, n_firms=2, start="2023-01-01", end="2023-03-31", factor_model="ff3", risk_free=0.001
    )
    assert read_factors(sim.factors).data["RF"].eq(0.001).all()


# -- finding 8: a factor named twice in columns= excluded every event as collinear -----


def test_a_factor_named_twice_in_columns_is_an_error():
    _, factors, _ = _study_data()
    with pytest.raises(
        es.EventStudyError, match=r"columns \['SMB', 'smb'\] name factor 'SMB' twice"
    ):
        es.models.get_model("factors", factors=factors, columns=["SMB", "smb"])


# -- finding 9: `eventstudy demo --model ff3` stopped: no factors, though the simulator has them


def test_demo_with_a_named_factor_model_uses_the_simulators_factors(tmp_path: Path):
    from eventstudy.cli import main

    out = tmp_path / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["demo", "-q", "--model", "ch3", "--no-leakage", "--out", str(out)]) == 0
    ev = pd.read_csv(out / "events.csv")
    assert {"coef_MKT", "coef_SMB", "coef_VMG", "se_VMG"} <= set(ev.columns)
    assert ev.loc[ev["status"] == "included", "coef_VMG"].notna().all()
    fac = pd.read_parquet(out / "data" / "factors.parquet")
    assert list(fac.columns) == ["date", "MKT", "SMB", "VMG", "RF"]
