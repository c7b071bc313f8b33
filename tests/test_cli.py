"""The command line: demo, run on CSV files, calendar."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import REF

from eventstudy.cli import main

EXPECTED = [
    "summary.json",
    "events.csv",
    "car.csv",
    "abnormal_returns.csv",
    "report.md",
    "report.html",
    "figures/caar.png",
    "figures/car_distribution.png",
    "manifest.json",
    "data/returns.parquet",
    "data/calendar.csv",
    "truth.csv",
    "truth_events.csv",
]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--seed", "7"]) == 0
    return out


def test_demo_writes_every_file(demo_dir):
    for name in EXPECTED:
        assert (demo_dir / name).is_file(), name
    summary = json.loads((demo_dir / "summary.json").read_text())
    assert summary["simulated"] is True
    assert summary["data_source"]["source"] == "simulated"
    ev = pd.read_csv(demo_dir / "events.csv")
    cal = pd.read_csv(
        REF.parent.parent / "eventstudy" / "calendar" / "data" / "compute_leasing.csv"
    )
    assert len(ev) == len(cal) == summary["events"]["in"]
    assert set(ev["event_id"]) == set(cal["event_id"])
    assert (ev.loc[ev["status"] == "excluded", "reason"].fillna("") != "").all()
    assert {
        "event_id",
        "ticker",
        "date",
        "day0",
        "status",
        "reason",
        "n_estimation",
        "alpha",
        "beta",
        "sigma",
    } <= set(ev.columns)
    truth = pd.read_csv(demo_dir / "truth.csv")
    assert list(truth.columns) == ["event_id", "tau", "planted_ar"]
    te = pd.read_csv(demo_dir / "truth_events.csv")
    assert list(te.columns[:4]) == ["event_id", "leaky", "effect", "drift"]
    assert {"event_type", "player_type", "effect_day0"} <= set(te.columns)
    assert "SIMULATED" in (demo_dir / "report.md").read_text()
    html = (demo_dir / "report.html").read_text()
    assert "SIMULATED" in html and "data:image/png;base64" in html
    manifest = json.loads((demo_dir / "manifest.json").read_text())
    assert "data/returns.parquet" in manifest["files"]


def test_demo_recovers_planted_effect(demo_dir):
    car = pd.read_csv(demo_dir / "car.csv")
    te = pd.read_csv(demo_dir / "truth_events.csv").set_index("event_id")
    c = car[(car["start"] == 0) & (car["end"] == 20)].set_index("event_id")["car"]
    diff = c - te.loc[c.index, "effect"]
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert abs(diff.mean()) < 3 * se


def test_leaky_events_have_higher_pre_event_car():
    """Pooled over three seeds (about 80 events), the planted leaky events have a
    clearly higher mean CAR[-10,-1] than the others; with ~28 events per demo run
    the idiosyncratic noise of a 10-day CAR (sd about 9%) makes one run alone a
    weak comparison.  The CAR is signed by the planted news (terminations and
    scale-backs are bad news, and their leaks are falls)."""
    import eventstudy as es

    cal = es.load_calendar("compute-leasing")
    pre, leaky = [], []
    for seed in (7, 8, 9):
        sim = es.simulate_market(cal, seed=seed)
        res = es.EventStudy(cal, sim.panel).fit()
        car = res.car
        c = car[(car["start"] == -10) & (car["end"] == -1)].set_index("event_id")["car"]
        te = sim.truth_events.set_index("event_id").loc[c.index]
        pre.append(c.to_numpy() * np.sign(te["effect"].to_numpy()))
        leaky.append(te["leaky"].to_numpy())
    x, lk = np.concatenate(pre), np.concatenate(leaky).astype(bool)
    assert lk.sum() >= 10 and (~lk).sum() >= 30
    gap = x[lk].mean() - x[~lk].mean()
    se_gap = np.sqrt(x[lk].var(ddof=1) / lk.sum() + x[~lk].var(ddof=1) / (~lk).sum())
    assert gap > 0.03 and gap > 2.5 * se_gap


def _heldback_like(tmp_path):
    """A panel shaped like the held-back check: returns CSV date,ticker,ret with
    the market as one ticker, a calendar ticker,date with clustered dates, a
    weekend date, a suspension on day 0, and invalid rows."""
    ret = pd.read_csv(REF / "data" / "returns.csv").rename(columns={"id": "ticker"})
    # suspension: 600040.SH has no rows around its event day 0 (2022-02-14)
    drop = (ret["ticker"] == "600040.SH") & ret["date"].between("2022-02-14", "2022-02-15")
    ret = ret[~drop]
    rp = tmp_path / "returns.csv"
    ret.to_csv(rp, index=False)
    cal = pd.DataFrame(
        {
            "ticker": [
                "600000.SH",
                "600010.SH",
                "600020.SH",
                "600030.SH",
                "600040.SH",
                "600050.SH",
                "999999.SH",
                "600060.SH",
                "600070.SH",
                "600080.SH",
                "",
            ],
            "date": [
                "2021-08-02",
                "2021-08-02",
                "2021-08-02",
                "2021-12-11",
                "2022-02-14",
                "2023-04-19",
                "2022-01-10",
                "2021-03-01",
                "",
                "2022-12",
                "2022-06-01",
            ],
        }
    )
    cp = tmp_path / "calendar.csv"
    cal.to_csv(cp, index=False)
    return rp, cp, cal


def test_run_on_csv_accounts_for_every_event(tmp_path):
    rp, cp, cal = _heldback_like(tmp_path)
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--calendar",
            str(cp),
            "--returns",
            str(rp),
            "--market",
            "000300.SH",
            "--estimation-window=-130,-11",
            "--event-window=-5,5",
            "--car-window=-5,5",
            "--car-window=-1,1",
            "--car-window=0,1",
            "--min-estimation-days",
            "100",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    ev = pd.read_csv(out / "events.csv", keep_default_na=False)
    assert len(ev) == len(cal)
    reasons = dict(zip(ev["event_id"], ev["reason"], strict=True))
    st = dict(zip(ev["event_id"], ev["status"], strict=True))
    assert st["R0001"] == st["R0002"] == st["R0003"] == "included"  # clustered date
    assert st["R0004"] == "included"  # Saturday 2021-12-11 -> Monday 2021-12-13
    assert ev.loc[ev["event_id"] == "R0004", "day0"].item() == "2021-12-13"
    assert reasons["R0005"] == "no return on day 0 (suspended or not traded)"
    assert reasons["R0006"] == "event window past the end of the data"
    assert reasons["R0007"] == "unknown ticker (not in the return panel)"
    assert reasons["R0008"].startswith("too few estimation days")
    assert reasons["R0009"] == "no date"
    assert reasons["R0010"].startswith("date only known to the month")
    assert reasons["R0011"] == "no ticker"
    car = pd.read_csv(out / "car.csv")
    assert set(car["event_id"]) == {"R0001", "R0002", "R0003", "R0004"}


def test_run_bad_input_exits_2_with_message(tmp_path, capsys):
    rp, cp, _ = _heldback_like(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("ticker,date\n600000.SH,2021-08-02\n600010.SH,someday\n")
    code = main(
        [
            "run",
            "--calendar",
            str(bad),
            "--returns",
            str(rp),
            "--market",
            "000300.SH",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "someday" in err
    code = main(
        [
            "run",
            "--calendar",
            str(cp),
            "--returns",
            str(rp),
            "--market",
            "399001.SZ",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "399001.SZ" in capsys.readouterr().err


def test_window_option_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--event-window=5,-5"])
    assert exc.value.code == 2
    assert "start > end" in capsys.readouterr().err


def test_calendar_command(capsys):
    assert main(["calendar"]) == 0
    out = capsys.readouterr().out
    assert "E003" in out and "2023-07-04" in out
    assert "date only known to the month" in out
