"""The factor reader's unit checks: the shared guard plus the factor-only rules.

``read_factors`` hands every factor column (``RF`` aside) to
``eventstudy.guards.check_return_scale`` with the bounds of daily factor
returns, then refuses a daily factor move beyond ±100% and an ``RF`` that is
not a daily decimal rate (eventstudy/data/factors_checks.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.data.factors import read_factors
from eventstudy.data.factors_checks import check_factor_scale
from eventstudy.exceptions import DataError

DATES = pd.bdate_range("2022-01-03", periods=40)


def _frame(seed: int = 0) -> pd.DataFrame:
    """Plausible daily factors in decimals."""
    rng = np.random.default_rng(seed)
    n = len(DATES)
    return pd.DataFrame(
        {
            "date": DATES.strftime("%Y-%m-%d"),
            "MKT-RF": rng.normal(0.0004, 0.011, n),
            "SMB": rng.normal(0, 0.005, n),
            "HML": rng.normal(0, 0.0045, n),
            "RF": np.full(n, 0.00009),
        }
    )


def test_plain_decimal_and_percent_files_read_to_the_same_decimals(tmp_path):
    dec = _frame()
    pct = dec.assign(**{c: dec[c] * 100 for c in ("MKT-RF", "SMB", "HML", "RF")})
    pct.to_csv(tmp_path / "pct.csv", index=False)
    a = read_factors(dec)
    b = read_factors(tmp_path / "pct.csv", units="percent")
    np.testing.assert_allclose(b.data.to_numpy(), a.data.to_numpy(), rtol=1e-12, atol=1e-15)
    assert any("divided by 100" in n for n in b.notes)
    assert not any("divided by 100" in n for n in a.notes)


def test_one_factor_in_percent_among_decimals_is_named(tmp_path):
    df = _frame()
    df["HML"] = df["HML"] * 100
    df.to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(
        DataError,
        match=r"f\.csv: the returns in column 'HML' do not look like daily simple returns "
        r"as decimals.*look like percent.*units='percent' \(command line: --factors-units",
    ):
        read_factors(tmp_path / "f.csv")


def test_a_single_move_beyond_100_percent_names_the_line_and_date(tmp_path):
    df = _frame()
    df.loc[7, "SMB"] = 1.8  # one row left in percent: the median rule cannot see it
    df.to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(
        DataError,
        match=r"f\.csv, line 9 \(2022-01-12\): factor 'SMB' is 1\.8 \(\+1\.8 as a decimal\), "
        r"a daily move beyond ±100%.*units='percent'",
    ):
        read_factors(tmp_path / "f.csv")


def test_minus_one_is_refused_by_the_shared_guard():
    df = _frame()
    df.loc[3, "MKT-RF"] = -1.0
    with pytest.raises(DataError, match=r"row 4 \(2022-01-06\).*loss of exactly 100%"):
        read_factors(df)


def test_percent_values_still_too_large_do_not_point_to_a_prices_reader():
    df = _frame()
    bp = df.assign(SMB=df["SMB"] * 10_000)  # basis points declared as percent
    with pytest.raises(DataError, match="basis points") as err:
        read_factors(
            bp.assign(**{c: bp[c] * 100 for c in ("MKT-RF", "HML", "RF")}), units="percent"
        )
    assert "read_prices_csv" not in str(err.value)
    assert "far too large for daily returns" in str(err.value)


def test_rf_in_percent_or_annual_is_refused():
    df = _frame()
    with pytest.raises(
        DataError, match=r"RF column 'RF'.*\(declared units: decimal\).*units='percent'"
    ):
        read_factors(df.assign(RF=0.009))
    with pytest.raises(DataError, match=r"RF column 'RF'.*daily rate, not an annual one"):
        read_factors(
            df.assign(**{c: df[c] * 100 for c in ("MKT-RF", "SMB", "HML")}, RF=2.5),
            units="percent",
        )


def test_check_factor_scale_returns_a_new_frame_in_decimals():
    df = _frame().set_index("date")
    pct = df * 100
    out = check_factor_scale(pct, "percent", "x", np.arange(2, len(df) + 2))
    np.testing.assert_allclose(out.to_numpy(), df.to_numpy(), rtol=1e-12)
    assert out is not pct and list(out.columns) == list(df.columns)
    np.testing.assert_allclose(pct.to_numpy(), df.to_numpy() * 100)  # input unchanged
