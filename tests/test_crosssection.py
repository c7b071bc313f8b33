"""Cross-sectional regressions of CAR/SCAR/BHAR on characteristics (statsmodels formulas)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from helpers import make_events, make_panel

from eventstudy import EventStudy, EventStudyError
from eventstudy.crosssection import attach_characteristics, formula_names
from eventstudy.exceptions import AnalysisWarning

CFG = dict(
    estimation_window=(-120, -11),
    event_window=(-5, 5),
    car_windows=[(0, 0), (0, 1), (-5, 5)],
    min_estimation_days=60,
    leakage=False,
    calendar_time=False,
    tests=["csect_t", "patell"],
)


def _fit(events, returns, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(events, returns, **{**CFG, **kw}).fit()


@pytest.fixture(scope="module")
def data():
    returns, tickers = make_panel(n_firms=15, n_days=440, seed=21)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 40, seed=8, lo=200, hi=400)
    ev = ev.drop_duplicates(["ticker", "date"]).reset_index(drop=True)
    rng = np.random.default_rng(4)
    ev["player_type"] = rng.choice(["cross-border", "idc", "cloud"], len(ev))
    ev["size"] = rng.normal(10, 1, len(ev)).round(3)
    res = _fit(ev, returns, bhar_windows=[(0, 30)], bhar_options={"reps": 199})
    return ev, returns, res


def _exported_frame(res, window=(0, 1)):
    """The frame a user builds from the exported car.csv and events.csv."""
    car = res.car
    car = car[(car["start"] == window[0]) & (car["end"] == window[1])]
    ev = res.events
    ev = ev[ev["status"] == "included"]
    return ev.merge(car[["event_id", "car", "scar", "var_car"]], on="event_id")


def test_patell_weights_equal_a_hand_built_wls(data):
    _, _, res = data
    fit = res.cross_section("car ~ C(player_type) + size", (0, 1), weights="patell")
    df = _exported_frame(res)
    hand = smf.wls("car ~ C(player_type) + size", data=df, weights=1.0 / df["var_car"]).fit(
        cov_type="HC3", use_t=True
    )
    np.testing.assert_allclose(fit.params, hand.params, rtol=1e-10)
    np.testing.assert_allclose(fit.bse, hand.bse, rtol=1e-10)
    np.testing.assert_allclose(fit.pvalues, hand.pvalues, rtol=1e-10)
    assert fit.use_t and fit.model.__class__.__name__ == "WLS"
    assert fit.nobs == len(df)


def test_cluster_standard_errors_equal_a_hand_built_ols(data):
    _, _, res = data
    fit = res.cross_section("car ~ size", "[0,+1]", cov_type="cluster", cluster="ticker")
    same = res.cross_section(
        "car ~ size", (0, 1), cov_type="cluster", cov_kwds={"groups": "ticker"}
    )
    df = _exported_frame(res)
    codes = pd.factorize(df["ticker"])[0]
    hand = smf.ols("car ~ size", data=df).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    np.testing.assert_allclose(fit.params, hand.params, rtol=1e-10)
    np.testing.assert_allclose(fit.bse, hand.bse, rtol=1e-10)
    np.testing.assert_allclose(same.bse, hand.bse, rtol=1e-10)
    np.testing.assert_allclose(fit.pvalues, hand.pvalues, rtol=1e-10)  # t with G - 1 df
    assert fit.cov_type == "cluster"


def test_scar_and_bhar_dependents(data):
    _, _, res = data
    fit = res.cross_section("scar ~ size", (-5, 5), cov_type="nonrobust")
    df = _exported_frame(res, (-5, 5))
    np.testing.assert_allclose(fit.params, smf.ols("scar ~ size", data=df).fit().params)
    b = res.cross_section("bhar ~ C(player_type)", (0, 30))
    bh = res.bhar[res.bhar["window"] == "[0,+30]"][["event_id", "bhar"]]
    df = _exported_frame(res).merge(bh, on="event_id")
    hand = smf.ols("bhar ~ C(player_type)", data=df).fit(cov_type="HC3", use_t=True)
    np.testing.assert_allclose(b.params, hand.params, rtol=1e-10)
    with pytest.raises(EventStudyError, match=r"bhar over \[0,\+1\] was not computed"):
        res.cross_section("bhar ~ size", (0, 1))
    with pytest.raises(EventStudyError, match=r"\[0,\+30\] is not a CAR window"):
        res.cross_section("car ~ size", (0, 30))
    with pytest.raises(EventStudyError, match="applies to a car regression"):
        res.cross_section("scar ~ size", (0, 1), weights="patell")


def test_unknown_names_and_bad_options_are_clear_errors(data):
    _, _, res = data
    with pytest.raises(EventStudyError, match=r"unknown column\(s\) \['leverage'\]; columns"):
        res.cross_section("car ~ size + leverage")
    with pytest.raises(EventStudyError, match="must use car, scar or bhar"):
        res.cross_section("size ~ player_type")
    with pytest.raises(EventStudyError, match="cov_type must be one of"):
        res.cross_section("car ~ size", cov_type="HAC")
    with pytest.raises(EventStudyError, match="needs a cluster column"):
        res.cross_section("car ~ size", cov_type="cluster")
    with pytest.raises(EventStudyError, match=r"unknown column\(s\) \['sector'\]"):
        res.cross_section("car ~ size", cov_type="cluster", cluster="sector")
    with pytest.raises(EventStudyError, match="must have the form"):
        res.cross_section("car = size")
    assert formula_names("np.log(car) ~ C(a, Treatment(reference='x')) + b:c + Q('d e')") == (
        ["car"],
        ["a", "b", "c", "d e"],
    )


def test_missing_values_are_named_not_dropped_silently(data):
    ev, _, res = data
    inc = res.events[res.events["status"] == "included"]["event_id"].tolist()
    # (a rating that singles out one event would give it leverage 1: HC3 refuses that)
    rating = [1.0, np.nan] + [float(k % 3) for k in range(len(inc) - 2)]
    chars = pd.DataFrame({"event_id": inc, "rating": rating})
    with pytest.warns(AnalysisWarning, match=f"1 event\\(s\\) left out .*{inc[1]}"):
        fit = res.cross_section("car ~ rating", characteristics=chars)
    assert fit.nobs == len(inc) - 1


def test_characteristics_join_and_its_errors(data, tmp_path):
    ev, returns, res = data
    inc = res.events[res.events["status"] == "included"]
    by_key = pd.DataFrame(
        {"ticker": inc["ticker"], "date": inc["date"].dt.strftime("%Y-%m-%d"), "lev": 0.5}
    )
    path = tmp_path / "chars.csv"
    by_key.to_csv(path, index=False)
    fr = res.cross_section_data(characteristics=path)
    assert (fr["lev"].astype(float) == 0.5).all()
    extra = pd.concat(
        [by_key, pd.DataFrame({"ticker": ["600999.SS"], "date": ["2022-01-05"], "lev": [1]})]
    )
    with pytest.raises(
        EventStudyError, match=r"1 characteristics row\(s\) match no event.*600999\.SS"
    ):
        attach_characteristics(inc, extra)
    # rows of excluded events are matched against the whole calendar, not an error
    extra_ev = pd.DataFrame(
        {"event_id": ["X1"], "ticker": ["688999.SS"], "date": [ev["date"].iloc[0]]}
    )
    res2 = _fit(pd.concat([ev, extra_ev], ignore_index=True), returns)
    assert res2.events.set_index("event_id").loc["X1", "status"] == "excluded"
    allrows = pd.DataFrame({"event_id": res2.events["event_id"], "z": 1.0})
    assert len(res2.cross_section_data(characteristics=allrows)) == len(inc)
    assert res2.by("z", characteristics=allrows).order == ("1.0",)
    with pytest.raises(EventStudyError, match="repeats"):
        attach_characteristics(inc, pd.concat([by_key, by_key.iloc[:1]]))
    with pytest.raises(EventStudyError, match="already exist in the calendar"):
        attach_characteristics(inc, pd.DataFrame({"event_id": inc["event_id"], "size": 1}))
    with pytest.raises(EventStudyError, match="need an event_id column or ticker and date"):
        attach_characteristics(inc, pd.DataFrame({"firm": ["x"]}))
    with pytest.raises(EventStudyError, match="does not exist"):
        attach_characteristics(inc, tmp_path / "nope.csv")


def test_configured_regressions_in_outputs_and_reproduce(data, tmp_path):
    from eventstudy.cli import main
    from eventstudy.reproduce import reproduce

    ev, returns, _ = data
    cal = ev.drop(columns=["size"])
    cal.to_csv(tmp_path / "cal.csv", index=False)
    returns.to_csv(tmp_path / "ret.csv", index=False)
    ev[["event_id", "size"]].to_csv(tmp_path / "chars.csv", index=False)
    out = tmp_path / "o"
    args = ["run", "--calendar", str(tmp_path / "cal.csv"), "--returns", str(tmp_path / "ret.csv")]
    args += ["--estimation-window=-120,-11", "--event-window=-5,5", "--no-leakage"]
    args += ["--characteristics", str(tmp_path / "chars.csv")]
    args += ["--cross-section", "car ~ C(player_type) + size", "--cs-weights", "patell"]
    args += ["--cross-section", "scar ~ size", "--cs-cov", "cluster", "--cs-cluster", "ticker"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--out", str(out)]) == 2  # patell with scar: clear error
        args[-8:-6] = []  # drop --cs-weights patell
        assert main([*args, "--out", str(out)]) == 0
        rep = reproduce(out)
    assert rep.ok, rep.report()
    js = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    cs = js["cross_section"]
    assert [c["formula"] for c in cs] == ["car ~ C(player_type) + size", "scar ~ size"]
    assert cs[1]["cov"] == "cluster-robust by ticker"
    df = _exported_frame(
        _fit(cal, returns, car_windows=None, characteristics=tmp_path / "chars.csv")
    )
    codes = pd.factorize(df["ticker"])[0]
    hand = smf.ols("scar ~ size", data=df.assign(size=df["size"].astype(float))).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    assert cs[1]["params"]["size"]["se"] == pytest.approx(hand.bse["size"], rel=1e-10)
    assert cs[0]["nobs"] == len(df) and cs[0]["rsquared"] is not None
    tab = pd.read_csv(out / "cross_section.csv")
    assert set(tab["formula"]) == {"car ~ C(player_type) + size", "scar ~ size"}
    assert (out / "data" / "characteristics.csv").is_file()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Cross-sectional regressions" in md and "cluster-robust by ticker" in md
