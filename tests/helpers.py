"""Small synthetic panels built by the tests themselves (no simulator, no network)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_panel(
    n_firms: int = 12,
    n_days: int = 400,
    seed: int = 0,
    start: str = "2021-01-04",
    market: str = "000300.SS",
) -> tuple[pd.DataFrame, list[str]]:
    """Long returns (date, ticker, ret) on business days, market model truth."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    m = rng.normal(0.0003, 0.013, n_days)
    tickers = [f"{600000 + 10 * i}.SS" for i in range(n_firms)]
    frames = [pd.DataFrame({"date": dates, "ticker": market, "ret": m})]
    for t in tickers:
        beta = rng.uniform(0.6, 1.6)
        r = 0.0002 + beta * m + rng.normal(0, rng.uniform(0.015, 0.03), n_days)
        frames.append(pd.DataFrame({"date": dates, "ticker": t, "ret": r}))
    return pd.concat(frames, ignore_index=True), tickers


def make_events(
    tickers: list[str], dates: pd.DatetimeIndex, n: int, seed: int = 1, lo: int = 260, hi: int = 370
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.integers(lo, hi, n)
    return pd.DataFrame(
        {
            "event_id": [f"E{i + 1:03d}" for i in range(n)],
            "ticker": [tickers[i % len(tickers)] for i in range(n)],
            "date": dates[pick],
        }
    )
