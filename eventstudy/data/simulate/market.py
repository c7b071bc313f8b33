"""The index (GARCH-t), firm parameters, shocks, random suspensions and limit rules per cell."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.data.simulate.config import _unif
from eventstudy.market.boards import board_of
from eventstudy.market.limits import limit_fractions

_SHOCK_CLIP: Final = 10.0


def _firm_block(
    rng: np.random.Generator, tickers: list[str], cfg: dict[str, Any]
) -> dict[str, np.ndarray]:
    n = len(tickers)
    boards = np.array([board_of(t) for t in tickers], dtype=object)
    st = (rng.random(n) < cfg["st_share"]) & np.isin(boards, ["sse_main", "szse_main"])
    return {
        "ticker": np.array(tickers, dtype=object),
        "board": boards,
        "beta": _unif(rng, cfg["beta_range"], n),
        "sigma": _unif(rng, cfg["sigma_range"], n),
        "alpha": rng.normal(0.0, cfg["alpha_sd"], size=n),
        "st": st,
        "p0": np.floor(_unif(rng, cfg["price_range"], n) * 100 + 0.5),
        "vol_level": np.exp(rng.normal(np.log(cfg["volume_level"]), 0.7, size=n)),
    }


def _t_shocks(rng: np.random.Generator, shape: tuple[int, int], df: float) -> np.ndarray:
    """Student-t draws scaled to unit variance, clipped at +-10 sd."""
    z = rng.standard_t(df, size=shape) * np.sqrt((df - 2.0) / df)
    return np.clip(z, -_SHOCK_CLIP, _SHOCK_CLIP, out=z)


def _index_cents(rng: np.random.Generator, n_days: int, cfg: dict[str, Any]) -> np.ndarray:
    """GARCH(1,1)-t index levels in cents of a point (length n_days + 1, start first)."""
    a, b = cfg["garch"]
    s2 = cfg["market_sigma"] ** 2
    omega = s2 * (1.0 - a - b)
    burn = 250
    z = _t_shocks(rng, (n_days + burn, 1), cfg["tail_df"])[:, 0]
    eps = np.empty(n_days + burn)
    h = s2
    for i in range(n_days + burn):
        e = np.sqrt(h) * z[i]
        eps[i] = e
        h = omega + a * e * e + b * h
    growth = np.maximum(1.0 + cfg["market_mu"] + eps[burn:], 0.05)
    level = cfg["index_start"] * 100.0 * np.concatenate([[1.0], np.cumprod(growth)])
    return np.floor(level + 0.5)


def _suspension_mask(
    rng: np.random.Generator, n_days: int, n_firms: int, rate: float, mean_days: float
) -> np.ndarray:
    """Random multi-day suspensions: Poisson(rate per firm-year) spells, geometric lengths."""
    counts = rng.poisson(rate * n_days / 244.0, size=n_firms)
    total = int(counts.sum())
    firm = np.repeat(np.arange(n_firms), counts)
    start = rng.integers(1, max(n_days, 2), size=total)
    length = np.minimum(rng.geometric(1.0 / max(mean_days, 1.0), size=total), 60)
    diff = np.zeros((n_days + 1, n_firms), dtype=np.int32)
    np.add.at(diff, (start, firm), 1)
    np.add.at(diff, (np.minimum(start + length, n_days), firm), -1)
    return np.cumsum(diff[:n_days], axis=0) > 0


def _limit_bp(firm: dict[str, np.ndarray], sessions: pd.DatetimeIndex, limits: bool) -> np.ndarray:
    """Limit of every (day, firm) in basis points; -1 where there is none."""
    n_all = len(firm["ticker"])
    bp = np.full((len(sessions), n_all), -1, dtype=np.int64)
    if not limits or n_all == 0:
        return bp
    keys = [f"{b}|{int(s)}" for b, s in zip(firm["board"], firm["st"], strict=True)]
    uniq, inv = np.unique(np.array(keys), return_inverse=True)
    u_board = np.array([k.split("|")[0] for k in uniq], dtype=object)
    u_st = np.array([k.endswith("|1") for k in uniq])
    frac = limit_fractions(u_board[:, None], sessions.values[None, :], u_st[:, None])
    table = np.where(np.isnan(frac), -1, np.round(np.nan_to_num(frac) * 10_000)).astype(np.int64)
    bp = table[inv].T.copy()
    bp[:, 0] = -1  # the index
    return bp
