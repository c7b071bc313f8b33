"""The specification / power study (``eventstudy simulate``): small seeded runs in CI,
the 500-trial size and clustering checks of the docs as ``slow`` tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.exceptions import EventStudyError
from eventstudy.inference import TESTS
from eventstudy.specification import LEVELS, specification_study


@pytest.fixture(scope="module")
def small_null():
    return specification_study(40, 20, seed=1, limits=False, bootstrap_reps=99)


def test_rates_table_shape_and_values(small_null):
    r = small_null.rates
    assert list(r.columns[:5]) == ["scenario", "test", "level", "rate", "mc_se"]
    assert set(r["scenario"]) == {"null"}
    assert list(dict.fromkeys(r["test"])) == list(TESTS)
    assert sorted(set(r["level"])) == list(LEVELS)
    assert (r["n_valid"] == 40).all()
    # rate is the share of p-values below the level; its MC standard error follows
    for name in TESTS:
        p = small_null.pvalues[name].to_numpy()
        for lev in LEVELS:
            row = r[(r["test"] == name) & np.isclose(r["level"], lev)].iloc[0]
            assert row["rate"] == pytest.approx((p < lev).mean())
            assert row["mc_se"] == pytest.approx(np.sqrt(row["rate"] * (1 - row["rate"]) / 40))
    # rates can only grow with the level
    wide = r.pivot(index="test", columns="level", values="rate")
    assert (np.diff(wide.to_numpy(), axis=1) >= 0).all()


def test_seeded_and_block_independent(small_null):
    again = specification_study(40, 20, seed=1, limits=False, bootstrap_reps=99, block=7)
    pd.testing.assert_frame_equal(small_null.pvalues, again.pvalues)
    other = specification_study(40, 20, seed=2, limits=False, bootstrap_reps=99)
    assert not np.allclose(
        small_null.pvalues["csect_t"].to_numpy(), other.pvalues["csect_t"].to_numpy()
    )


def test_clustered_cross_correlation_inflates_bmp_not_kp():
    res = specification_study(
        60, 30, seed=4, cluster=True, sector_corr=0.3, limits=False, tests=["bmp", "bmp_kp"]
    )
    t = res.table(0.05).set_index("test")["rate"]
    assert t["bmp"] > t["bmp_kp"] + 0.2
    assert res.params["cluster"] and res.params["sector_corr"] == 0.3


def test_power_with_a_large_effect():
    res = specification_study(30, 30, seed=5, effect=0.05, limits=False, tests=["csect_t", "rank"])
    assert res.rates["scenario"].iloc[0] == "effect=+0.05"
    assert (res.table(0.05)["rate"] > 0.9).all()


def test_limits_cap_the_planted_return():
    # a +30% day-0 jump is clipped at the 10% / 20% up-limit; without limits it is kept
    capped = specification_study(8, 30, seed=6, effect=0.3, limits=True, tests=["csect_t"])
    free = specification_study(8, 30, seed=6, effect=0.3, limits=False, tests=["csect_t"])
    assert free.pvalues["caar"].mean() == pytest.approx(0.3, abs=0.03)
    assert capped.pvalues["caar"].max() < 0.2
    assert capped.pvalues["caar"].mean() > 0.08


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(events=2), "events"),
        (dict(trials=0), "trials"),
        (dict(effect=1.5), "effect"),
        (dict(window=(-30, 0)), "estimation window"),
        (dict(tests=["nope"]), "not known"),
        (dict(cluster=True, events=200), "sector"),
    ],
)
def test_bad_input(kw, match):
    args = dict(trials=5, events=10, limits=False)
    args.update(kw)
    with pytest.raises(EventStudyError, match=match):
        specification_study(**args)


def test_cli_writes_the_contract(tmp_path, capsys):
    out = tmp_path / "spec"
    rc = main(
        [
            "simulate",
            "--trials",
            "20",
            "--events",
            "15",
            "--no-limits",
            "--seed",
            "3",
            "--bootstrap-reps",
            "49",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    csv = pd.read_csv(out / "rejection_rates.csv", keep_default_na=False)
    assert list(csv.columns) == ["scenario", "test", "level", "rate", "mc_se"]
    assert set(csv["scenario"]) == {"null"}
    assert sorted(set(csv["level"])) == [0.01, 0.05, 0.1]
    assert (out / "rejection_rates.png").stat().st_size > 1000
    assert (out / "rejection_rates.pdf").exists() and (out / "specification.json").exists()
    assert "SIMULATED" in capsys.readouterr().out
    rc = main(
        [
            "simulate",
            "--trials",
            "10",
            "--events",
            "15",
            "--effect",
            "0.02",
            "--cluster",
            "--tests",
            "csect_t,bmp_kp",
            "--out",
            str(tmp_path / "p"),
        ]
    )
    assert rc == 0
    p = pd.read_csv(tmp_path / "p" / "rejection_rates.csv")
    assert set(p["scenario"]) == {"effect=+0.02"} and set(p["test"]) == {"csect_t", "bmp_kp"}
    assert main(["simulate", "--trials", "5", "--events", "1", "--out", str(tmp_path / "x")]) == 2


# ------------------------------------------------------------------ slow (docs)

#: Documented exceptions to the 3%-7% band (docs/specification.md): the sign test's
#: exact size at N = 50 is 6.49% (binomial discreteness), skew_t over-rejects mildly
#: under symmetric fat tails.
SIGN_EXACT_SIZE_50 = 0.0649


@pytest.mark.slow
def test_size_random_dates_no_limits_500_trials():
    res = specification_study(500, 50, seed=20240513, limits=False)
    t = res.table(0.05).set_index("test")
    print(t)
    for name, row in t.iterrows():
        if name == "sign":
            assert abs(row["rate"] - SIGN_EXACT_SIZE_50) < 3 * row["mc_se"]
        elif name == "skew_t":
            assert 0.03 <= row["rate"] <= 0.10
        else:
            assert 0.03 <= row["rate"] <= 0.07, name


@pytest.mark.slow
def test_clustered_bmp_over_rejects_kp_near_nominal_500_trials():
    res = specification_study(500, 50, seed=20240513, limits=False, cluster=True)
    t = res.table(0.05).set_index("test")["rate"]
    print(t)
    assert t["bmp"] > 0.2 and t["patell"] > 0.2
    assert 0.03 <= t["bmp_kp"] <= 0.10 and 0.03 <= t["patell_kp"] <= 0.10


@pytest.mark.slow
def test_power_one_percent_500_trials():
    res = specification_study(500, 50, seed=20240513, limits=False, effect=0.01)
    t = res.table(0.05).set_index("test")["rate"]
    print(t)
    assert (t > 0.5).all()


def test_table_takes_alpha_among_the_computed_levels():
    from eventstudy.exceptions import EventStudyError
    from eventstudy.specification import LEVELS, SpecificationResult

    rates = pd.DataFrame(
        [
            {"scenario": "null", "test": t, "level": lev, "rate": lev, "mc_se": 0.01, "n_valid": 10}
            for t in ("csect_t", "patell")
            for lev in LEVELS
        ]
    )
    res = SpecificationResult(rates=rates, pvalues=pd.DataFrame(), params={}, seconds=0.0)
    assert res.table(alpha=0.10)["rate"].tolist() == [0.10, 0.10]
    assert res.table(0.01)["rate"].tolist() == [0.01, 0.01]
    with pytest.raises(EventStudyError, match=r"computed at alpha in \[0.01, 0.05, 0.1\]"):
        res.table(alpha=0.02)
    with pytest.raises(EventStudyError, match="confidence level give alpha=0.05"):
        res.table(0.95)
