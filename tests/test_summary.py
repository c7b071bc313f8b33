"""The plain-language reading of which tests agree."""

from __future__ import annotations

import pandas as pd

from eventstudy.report.summary import agreement, reading


def _tests(pvalues: dict[str, float | None], stats: dict[str, float] | None = None) -> pd.DataFrame:
    stats = stats or {}
    return pd.DataFrame(
        {
            "scope": "window",
            "tau": pd.array([pd.NA] * len(pvalues), dtype="Int64"),
            "start": 0,
            "end": 1,
            "test": list(pvalues),
            "stat": [
                stats.get(k, 1.0) if p is not None else float("nan") for k, p in pvalues.items()
            ],
            "nobs": 20,
            "pvalue": [p if p is not None else float("nan") for p in pvalues.values()],
        }
    )


def test_all_reject_and_none_reject():
    row = agreement(_tests({"csect_t": 0.001, "sign": 0.01})).iloc[0]
    assert row["label"] == "CAR[0,+1]" and row["rejecting"] == 2
    text = reading(row, estimate=0.123, n=28)
    assert text.startswith("CAR[0,+1]: CAAR +12.30% over 28 events; all 2 tests reject")
    none = reading(agreement(_tests({"csect_t": 0.5, "sign": 0.3})).iloc[0])
    assert "none of the 2 tests rejects" in none


def test_kp_disagreement_is_explained():
    row = agreement(_tests({"csect_t": 0.2, "bmp": 0.01, "bmp_kp": 0.3})).iloc[0]
    text = reading(row)
    assert "1 of 3 tests reject at 5% (bmp)" in text
    assert "clustered event dates" in text
    # no note when the adjusted test agrees with the unadjusted one
    calm = reading(agreement(_tests({"bmp": 0.01, "bmp_kp": 0.02, "sign": 0.4})).iloc[0])
    assert "clustered" not in calm


def test_sign_and_bootstrap_notes_and_not_computed():
    row = agreement(
        _tests({"csect_t": 0.01, "sign": 0.4, "bootstrap": 0.2, "patell_kp": None})
    ).iloc[0]
    text = reading(row)
    assert "a few large abnormal returns" in text
    assert "normality" in text
    assert "Not computed: patell_kp" in text
    assert row["not_computed"] == "patell_kp" and row["computed"] == 3


def test_level_changes_the_verdict():
    t = _tests({"csect_t": 0.03, "sign": 0.08})
    assert agreement(t, 0.05).iloc[0]["rejecting"] == 1
    assert agreement(t, 0.10).iloc[0]["rejecting"] == 2


def test_opposite_directions_are_not_agreement():
    t = _tests(
        {"csect_t": 0.001, "sign": 0.004, "wilcoxon": 0.01},
        {"csect_t": 3.1, "sign": -2.8, "wilcoxon": 40.0},  # W+ = 40 < 20*21/4 = 105
    )
    row = agreement(t).iloc[0]
    assert row["reject_up"] == "csect_t" and row["reject_down"] == "sign, wilcoxon"
    text = reading(row)
    assert "opposite directions" in text and "all 3 tests" not in text
    same = agreement(_tests({"csect_t": 0.001, "wilcoxon": 0.01}, {"wilcoxon": 180.0})).iloc[0]
    assert same["reject_down"] == "" and "all 2 tests reject" in reading(same)
