"""A factor model's coefficients and standard errors in summary() and the report.

Issue 11 item 3: the summary carries the coefficients under the model's
factor names (mean, median and sd over the included events, and the mean of
their OLS standard errors); the report's per-event table has both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_review_models import _fit, _study_data

from eventstudy.report.render import _per_event_blocks
from eventstudy.report.summary import coefficient_table


def test_summary_has_the_coefficients_of_every_factor():
    returns, factors, events = _study_data(n_firms=4)
    res = _fit(returns, events, factors)
    ev = res.events
    inc = ev[ev["status"] == "included"]
    assert len(inc) == 4
    tab = coefficient_table(ev).set_index("coefficient")
    for name in ("MKT-RF", "SMB", "HML"):
        v = inc[f"coef_{name}"].to_numpy(float)
        assert tab.loc[name, "n"] == 4
        np.testing.assert_allclose(tab.loc[name, "mean"], v.mean(), rtol=0, atol=1e-15)
        np.testing.assert_allclose(tab.loc[name, "median"], np.median(v), rtol=0, atol=1e-15)
        np.testing.assert_allclose(tab.loc[name, "sd"], v.std(ddof=1), rtol=0, atol=1e-15)
        se = inc[f"se_{name}"].to_numpy(float).mean()
        np.testing.assert_allclose(tab.loc[name, "mean_se"], se, rtol=0, atol=1e-15)
    # the planted loadings (1.1, 0.5, -0.3) within a few standard errors
    for name, true in (("MKT-RF", 1.1), ("SMB", 0.5), ("HML", -0.3)):
        assert abs(tab.loc[name, "mean"] - true) < 4 * tab.loc[name, "mean_se"]
    text = str(res.summary())
    assert "Model coefficients over the included events" in text and "SMB" in text


def test_market_model_has_no_coefficient_table():
    ev = pd.DataFrame({"status": ["included"], "beta": [1.0]})
    assert coefficient_table(ev) is None


def test_report_per_event_table_carries_standard_errors():
    returns, factors, events = _study_data(n_firms=3)
    res = _fit(returns, events, factors)
    data = res.snapshot()
    inc = data.events[data.events["status"] == "included"]
    table = _per_event_blocks(data, inc)[1].table
    for name in ("MKT-RF", "SMB", "HML"):
        assert f"coef_{name}" in table.columns and f"se_{name}" in table.columns
