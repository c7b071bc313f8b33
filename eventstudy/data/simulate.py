r"""The built-in simulated A-share market, with a known truth (DESIGN section 6).

On real XSHG sessions: a GARCH(1,1)-t market index, and firms whose latent
price follows a market model plus planted abnormal returns; the observed close
is that latent price on the 0.01 CNY tick, clipped to each board's dated limit
around the previous *observed* close, so a move beyond the limit spills into
the next sessions (limit-up streaks).  Suspended days have no row.  Returns are
simple; per session ``t`` (full description in ``docs/simulation.md``):

.. math::

    R_{mt} = \mu_m + \sqrt{h_t}\, z_t, \quad
    h_t = \omega + a\,(R_{m,t-1}-\mu_m)^2 + b\,h_{t-1}, \quad z_t \sim t_\nu / \mathrm{sd}

    P^*_{it} = P^*_{i,t-1} (1 + \alpha_i + \beta_i R_{mt} + \sigma_i e_{it} + A_{it}),
    \qquad C_{it} = \min(\max(\mathrm{tick}(P^*_{it}), D_{it}), U_{it})

with :math:`A_{it}` the planted abnormal return and :math:`U, D` the limit
prices of the previous observed close.  ``R_mt`` is the index return as
observed (level rounded to 0.01), so the market model holds exactly in the
data a study sees.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.calendar.sessions import align_day0, timing_from_time, xshg_sessions
from eventstudy.data.base import Panel
from eventstudy.exceptions import CalendarError, EventStudyError
from eventstudy.market.boards import CODE_PREFIXES, board_of, random_tickers
from eventstudy.market.limits import NO_LIMIT_CENTS, close_under_limits, limit_fractions
from eventstudy.tickers import normalize_ticker

__all__ = ["TRUTH_TAUS", "Simulation", "simulate_market", "to_files"]

#: First and last event day (inclusive) listed in ``Simulation.truth``.
TRUTH_TAUS: Final = (-20, 60)
_DRIFT_DAYS: Final = (-5, -1)
_REVERSAL_DAYS: Final = (21, 60)
_DEFAULT_MIX: Final = {"sse_main": 0.40, "szse_main": 0.30, "chinext": 0.18, "star": 0.12}
_NO_LIMIT: Final = NO_LIMIT_CENTS
_SHOCK_CLIP: Final = 10.0
_PAIRS: Final = {
    "effect_range": (-0.9, 5.0),
    "drift_range": (-0.9, 5.0),
    "reversal_range": (0.0, 1.0),
    "beta_range": (-5.0, 5.0),
    "sigma_range": (1e-6, 0.2),
    "price_range": (0.05, 1e5),
    "garch": (0.0, 1.0),
}
_SHARES: Final = (
    "leak_share",
    "event_suspension_share",
    "day0_suspension_share",
    "split_share",
    "reversal_share",
    "st_share",
)
_NONNEG: Final = (
    "suspension_rate",
    "suspension_days",
    "alpha_sd",
    "tail_df",
    "market_sigma",
    "index_start",
    "volume_level",
    "lock_margin",
)
_FINITE: Final = ("market_mu", "leak_volume_boost")
_STREAMS: Final = (
    "market",
    "firms",
    "codes",
    "shocks",
    "events",
    "suspensions",
    "ohlcv",
    "sectors",
)


@dataclass(frozen=True)
class Simulation:
    """A simulated market and the truth planted in it.

    Attributes
    ----------
    panel : Panel
        ``source="simulated"``.  ``returns``: long frame ``date, ticker, ret,
        span`` for the index and every firm (sorted by ticker, then date); a
        suspended day has no row and the first return after it spans the gap
        (``span`` = sessions covered).  ``prices``: ``date, ticker, open, high,
        low, close, volume, prev_close`` for the same rows.
    events : DataFrame
        The input events (a copy) with added columns ``day0`` (datetime64,
        NaT where the date is missing or falls outside the sessions),
        ``leaky`` (bool), ``effect`` and ``drift`` (float, 0 where no effect
        was planted).
    truth : DataFrame
        ``event_id, tau, planted_ar``: the latent planted abnormal return of
        each planted event on each event day ``tau`` in ``TRUTH_TAUS``
        (-20..+60), zero days included; days outside the simulated sessions
        are omitted.  It is the abnormal return the firm would have had
        without price limits; the observed one is spread over later days by
        the limits (and, in simple-return terms, the observed sum of a capped
        streak is smaller than the latent jump, since 1.1 x 1.1 x 1.074 = 1.3
        while 0.1 + 0.1 + 0.074 = 0.274).
    truth_events : DataFrame
        ``event_id, leaky, effect, drift``, one row per planted event:
        ``effect`` = planted AR summed over days 0 and +1 (the announcement
        jump), ``drift`` = planted AR summed over days -5..-1 (0 when not
        leaky); only days inside the sessions count.
    firms : DataFrame
        ``ticker, board, beta, sigma, alpha, st`` of every simulated firm.
    params : dict
        Every parameter (seed included) and derived counts, JSON-serialisable.
    suspensions : DataFrame
        ``ticker, start, end, sessions, kind, event_id``: every suspension
        spell (``kind`` is ``random``, ``pre-event`` (days -2..-1) or ``day0``).
    """

    panel: Panel
    events: pd.DataFrame
    truth: pd.DataFrame
    truth_events: pd.DataFrame
    firms: pd.DataFrame
    params: dict[str, Any]
    suspensions: pd.DataFrame


# ----------------------------------------------------------------------------- helpers


def _streams(seed: int | np.random.Generator | None) -> tuple[Any, dict[str, np.random.Generator]]:
    """One independent generator per model part, so parts do not shift each other."""
    if isinstance(seed, np.random.Generator):
        keys = seed.integers(0, 2**63 - 1, size=len(_STREAMS))
        seqs = [np.random.SeedSequence(int(k)) for k in keys]
        recorded: Any = "numpy.random.Generator supplied (not reproducible from this record)"
    else:
        if seed is None:
            entropy = np.random.SeedSequence().entropy
        elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
            entropy = int(seed)
        else:
            raise EventStudyError(
                f"seed must be a non-negative int, a numpy Generator or None; got {seed!r}"
            )
        recorded = int(entropy) if isinstance(entropy, numbers.Integral) else str(entropy)
        seqs = np.random.SeedSequence(entropy).spawn(len(_STREAMS))
    return recorded, {
        name: np.random.default_rng(s) for name, s in zip(_STREAMS, seqs, strict=True)
    }


def _check_range(name: str, value: Any, lo: float, hi: float) -> tuple[float, float]:
    try:
        a, b = (float(value[0]), float(value[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise EventStudyError(f"{name} must be a pair (low, high); got {value!r}") from exc
    if not (lo <= a <= b <= hi):
        raise EventStudyError(f"{name}=({a}, {b}) must satisfy {lo} <= low <= high <= {hi}")
    return a, b


def _unif(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    return rng.uniform(bounds[0], bounds[1], size=n)


def _exact_pick(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A random subset of exactly round-half-up(share * n) of n items, as a mask."""
    k = min(n, int(np.floor(share * n + 0.5)))
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[:k]] = True
    return mask


def _parse_dates(col: pd.Series) -> pd.Series:
    """datetime64 dates; text must be YYYY-MM-DD (anything else, e.g. a month, is NaT)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        from eventstudy.dates import parse_dates  # zones -> China time, as everywhere

        days = parse_dates(col, what="events", allow_missing=True).dates
        return pd.Series(days.to_numpy(), index=col.index)
    text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
    ok = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    parsed = pd.to_datetime(text.where(ok), errors="coerce", format="%Y-%m-%d")
    return parsed.astype("datetime64[ns]")


def _prepare_events(
    events: pd.DataFrame, sessions: pd.DatetimeIndex, market: str, start: pd.Timestamp
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Copy and check the events; return (copy, normalised tickers, day-0 positions, day0)."""
    if not isinstance(events, pd.DataFrame):
        raise CalendarError(f"events must be a DataFrame; got {type(events).__name__}")
    missing = [c for c in ("ticker", "date") if c not in events.columns]
    if missing:
        raise CalendarError(
            f"events: missing column(s) {missing}; expected event_id, ticker, "
            f"date[, timing] (found {list(events.columns)})"
        )
    ev = events.copy()
    if "event_id" not in ev.columns:
        ev.insert(0, "event_id", [f"S{i + 1:04d}" for i in range(len(ev))])
    ids = ev["event_id"].astype(str)
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise CalendarError(
            f"events: duplicate event_id {ids[dup].iloc[0]!r} "
            f"({int(dup.sum())} rows); give every event its own id"
        )
    raw = ev["ticker"]
    has_tick = (raw.notna() & (raw.astype(object).astype(str).str.strip() != "")).to_numpy()
    ticks = np.array(
        [normalize_ticker(t) if ok else None for t, ok in zip(raw, has_tick, strict=True)],
        dtype=object,
    )
    on_market = has_tick & (ticks == normalize_ticker(market))
    if on_market.any():
        raise CalendarError(
            f"events: event {ids[on_market].iloc[0]!r} is on the market index "
            f"{market}; events must be on firms"
        )
    dates = _parse_dates(ev["date"])
    if "calendar_status" in ev.columns:  # rows load_calendar already excluded
        dates = dates.where(ev["calendar_status"].astype(object).astype(str) != "excluded")
    if "date_precision" in ev.columns:
        dates = dates.where(
            ev["date_precision"]
            .astype(object)
            .astype(str)
            .str.strip()
            .str.lower()
            .isin(["day", "nan", "none", ""])
        )
    timings: pd.Series | None = None
    if "timing" in ev.columns:
        t = ev["timing"].astype(object).where(ev["timing"].notna(), "unknown").astype(str)
        timings = t.str.strip().replace("", "unknown")
    elif "time" in ev.columns:
        timings = pd.Series(
            [timing_from_time(v if pd.notna(v) else None) for v in ev["time"]],
            index=ev.index,
            dtype=object,
        )
    dates = dates.where(dates >= start)  # before the simulated range: not placed
    pos, day0 = align_day0(pd.Series(dates.to_numpy()), timings, sessions)
    pos = np.where(has_tick & (pos >= 0) & (pos < len(sessions)), pos, -1)
    return ev, ticks, pos, day0


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


def _ohlcv(
    rng: np.random.Generator,
    close: np.ndarray,
    prev: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    latent_c: np.ndarray,
    sigma: np.ndarray,
    vol_level: np.ndarray,
    boost: tuple[np.ndarray, np.ndarray, np.ndarray],
    lock_margin: float,
) -> dict[str, np.ndarray]:
    """Open, high, low (cents) and volume (shares) consistent with the close and limits.

    Open = prev x (1 + 0.4 x move + 0.4 sigma z); high and low stretch max/min(open,
    close) by half-normal noise of sd 0.5 sigma; all clipped to the limit prices.
    A limit close with the latent price beyond the limit by ``lock_margin`` is a
    locked one-price day.  Log volume = firm level + 0.35 z + 0.25 min(|move| /
    sigma, 6) (+ ``boost`` on given cells), and a tenth of that on locked days.
    Computed in place, one (days x firms) temporary at a time.
    """
    shape = close.shape
    move = close / prev.astype(float)
    move -= 1.0

    def noise(scale: float) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32) * (scale * sigma)

    op = noise(0.4)
    op += 0.4 * move
    op += 1.0
    op *= prev
    op += 0.5
    op = np.clip(np.floor(op, out=op), down, up).astype(np.int64)
    hi = np.abs(noise(0.5))
    hi += 1.0
    hi *= np.maximum(op, close)
    hi += 0.5
    hi = np.minimum(np.floor(hi, out=hi).astype(np.int64), up)
    lo = -np.abs(noise(0.5))
    lo += 1.0
    lo *= np.minimum(op, close)
    lo += 0.5
    lo = np.maximum(np.floor(lo, out=lo).astype(np.int64), down)
    has_limit = up < _NO_LIMIT
    locked = has_limit & (
        ((close == up) & (latent_c >= up * (1.0 + lock_margin)))
        | ((close == down) & (latent_c <= down * (1.0 - lock_margin)))
    )
    for arr in (op, hi, lo):
        arr[locked] = close[locked]
    logv = rng.standard_normal(shape, dtype=np.float32) * 0.35 + np.log(vol_level)
    np.abs(move, out=move)
    move /= sigma
    np.minimum(move, 6.0, out=move)
    logv += 0.25 * move
    del move
    np.add.at(logv, (boost[0], boost[1]), boost[2])
    logv[locked] += np.log(0.1)
    np.exp(logv, out=logv)
    logv /= 100.0
    logv += 0.5
    volume = np.maximum(np.floor(logv, out=logv), 1.0).astype(np.int64) * 100
    return {"open": op, "high": hi, "low": lo, "volume": volume}


# ----------------------------------------------------------------------------- public API


def simulate_market(
    events: pd.DataFrame | None = None,
    *,
    seed: int | np.random.Generator | None = 0,
    start: str | pd.Timestamp = "2021-01-04",
    end: str | pd.Timestamp = "2024-12-31",
    market: str = "000300.SS",
    n_firms: int = 0,
    limits: bool = True,
    leak_share: float = 0.3,
    effect_range: tuple[float, float] = (0.08, 0.30),
    suspension_rate: float = 0.3,
    suspension_days: float = 3.0,
    event_suspension_share: float = 0.10,
    day0_suspension_share: float = 0.05,
    drift_range: tuple[float, float] = (0.06, 0.15),
    split_share: float = 0.3,
    reversal_share: float = 0.3,
    reversal_range: tuple[float, float] = (0.2, 0.5),
    st_share: float = 0.0,
    beta_range: tuple[float, float] = (0.6, 1.6),
    sigma_range: tuple[float, float] = (0.015, 0.035),
    alpha_sd: float = 0.0003,
    price_range: tuple[float, float] = (5.0, 40.0),
    tail_df: float = 5.0,
    market_sigma: float = 0.013,
    market_mu: float = 0.0003,
    garch: tuple[float, float] = (0.07, 0.90),
    index_start: float = 4000.0,
    volume_level: float = 5e6,
    lock_margin: float = 0.02,
    leak_volume_boost: float = 0.4,
    board_mix: Mapping[str, float] | None = None,
    sector_corr: float = 0.0,
    n_sectors: int = 8,
) -> Simulation:
    """Simulate an A-share market on XSHG sessions with planted event effects.

    Parameters
    ----------
    events : DataFrame, optional
        ``event_id, ticker, date`` and optionally ``timing`` (pre-open |
        intraday | after-close | unknown; missing = unknown) or ``time``
        (HH:MM), and ``date_precision`` (rows not ``day`` get no effect) and
        ``calendar_status`` (rows ``excluded`` by the calendar loader get none).
        Day 0 follows :func:`~eventstudy.calendar.sessions.align_day0` on the
        simulated sessions.  Rows without ticker or date, or whose day 0 is
        outside the sessions, get no planted effect, but every ticker given
        becomes a simulated firm.  ``None``: only the ``n_firms`` extra firms.
    seed : int, Generator or None
        Same int, same frames, byte for byte.  ``None`` draws fresh entropy
        and records it in ``params["seed"]`` so the run can be repeated.
    start, end : date-like
        Range of XSHG sessions simulated.
    market : str
        Ticker of the index (no price limit, never suspended).
    n_firms : int
        Extra firms with random, non-colliding codes and no events.
    limits : bool
        Enforce the dated price limits; False lets the close follow the latent
        price (still on the 0.01 tick).
    leak_share : float
        Share of planted events (exact count, chosen at random) with a
        pre-announcement drift drawn from ``drift_range`` and spread over days
        -5..-1 with Dirichlet(2) weights.
    effect_range : (low, high)
        Announcement effect E ~ U(low, high) (simple-return scale), planted on
        day 0, or for ``split_share`` of events split w:(1-w) over days 0 and
        +1 with w ~ U(0.5, 0.8).
    suspension_rate, suspension_days : float
        Random suspension spells per firm-year (Poisson) and their mean length
        in sessions (geometric, at most 60).  Kept off days -2..+1 of events.
    event_suspension_share, day0_suspension_share : float
        Shares of planted events (exact counts, disjoint) whose firm is
        suspended on days -2..-1, or on day 0 itself (no return on day 0).
    reversal_share, reversal_range : float, (low, high)
        Share of events given a reversal of rho * E, rho ~ U(low, high),
        spread evenly over days +21..+60 (outside [0, +20]).
    st_share : float
        Share of main-board firms under risk warning (their limit is ±5%
        before 2025-07-07).  Default 0: a study classifies boards from the
        ticker alone and would not know a firm is ST.
    beta_range, sigma_range, alpha_sd, price_range, tail_df : firm parameters
        beta ~ U, idiosyncratic sd ~ U (t shocks with ``tail_df`` degrees of
        freedom scaled to that sd), alpha ~ N(0, alpha_sd), first price ~ U.
    market_sigma, market_mu, garch, index_start : index parameters
        Unconditional daily sd, daily mean, GARCH (a, b) and first level.
    volume_level, lock_margin, leak_volume_boost : volume and locked days
        Median firm volume (shares); a limit day is locked (open = high = low =
        close) when the latent price is beyond the limit price by more than
        ``lock_margin``; log-volume boost on leaky days -5..-1.
    board_mix : mapping, optional
        Board shares of the extra firms; default 40% SSE main, 30% SZSE main,
        18% ChiNext, 12% STAR.
    sector_corr, n_sectors : float, int
        Firms are assigned at random to ``n_sectors`` sectors; a firm's
        idiosyncratic shock is ``sqrt(1 - rho) e_it + sqrt(rho) f_st`` with
        ``f`` a t-distributed sector factor, so market-model residuals of two
        firms of one sector correlate at ``rho = sector_corr`` (default 0: no
        cross-correlation; the specification study uses it for clustered events).

    Returns
    -------
    Simulation
        See :class:`Simulation`.

    Examples
    --------
    >>> sim = simulate_market(n_firms=3, start="2024-01-02", end="2024-03-29", seed=1)
    >>> sorted(sim.panel.returns["ticker"].unique())[:1], sim.panel.source
    (['000300.SS'], 'simulated')
    """
    cfg: dict[str, Any] = {k: v for k, v in locals().items() if k not in ("events", "seed")}
    recorded_seed, rng = _streams(seed)
    cfg.update(
        start=str(pd.Timestamp(start).date()),
        end=str(pd.Timestamp(end).date()),
        market=str(market),
        n_firms=int(n_firms),
        limits=bool(limits),
        board_mix=dict(board_mix if board_mix is not None else _DEFAULT_MIX),
    )
    _validate(cfg)
    sessions = xshg_sessions(start, end)
    n_days = len(sessions)
    if n_days < 2:
        raise EventStudyError(
            f"start={cfg['start']}, end={cfg['end']} cover {n_days} XSHG "
            "session(s); give a range of at least two sessions"
        )

    # events and firms; column 0 of every (days x columns) matrix is the index
    if events is None:
        events = pd.DataFrame(
            {
                "event_id": pd.Series(dtype=object),
                "ticker": pd.Series(dtype=object),
                "date": pd.Series(dtype="datetime64[ns]"),
            }
        )
    ev, ev_ticks, pos, day0 = _prepare_events(
        events, sessions, cfg["market"], pd.Timestamp(cfg["start"])
    )
    event_firms = sorted({t for t in ev_ticks if t is not None})
    extra = sorted(
        random_tickers(
            rng["codes"],
            cfg["n_firms"],
            mix=cfg["board_mix"],
            exclude=set(event_firms) | {normalize_ticker(market)},
        )
    )
    idx_c = _index_cents(rng["market"], n_days, cfg)
    blocks = [_firm_block(rng["firms"], event_firms, cfg), _firm_block(rng["firms"], extra, cfg)]
    index = {
        "ticker": [market],
        "board": ["other"],
        "beta": [0.0],
        "alpha": [0.0],
        "sigma": [cfg["market_sigma"]],
        "st": [False],
        "p0": [idx_c[0]],
        "vol_level": [1.2e10],
    }
    firm = {
        k: np.concatenate(
            [np.asarray(index[k], dtype=blocks[0][k].dtype), blocks[0][k], blocks[1][k]]
        )
        for k in blocks[0]
    }
    n_col = len(firm["ticker"])
    col_of = {t: i for i, t in enumerate(firm["ticker"]) if i > 0}
    cols = np.array([col_of[t] if t is not None else -1 for t in ev_ticks], dtype=np.int64)

    # latent prices: market model + t shocks + planted AR, built in place
    r_m = idx_c[1:] / idx_c[:-1] - 1.0
    growth = np.zeros((n_days, n_col))
    growth[:, 1 : len(event_firms) + 1] = _t_shocks(
        rng["shocks"], (n_days, len(event_firms)), cfg["tail_df"]
    )
    growth[:, len(event_firms) + 1 :] = _t_shocks(
        rng["shocks"], (n_days, len(extra)), cfg["tail_df"]
    )
    sector = rng["sectors"].integers(0, cfg["n_sectors"], size=n_col)
    sector[0] = -1
    firm["sector"] = sector
    if cfg["sector_corr"] > 0:
        f = _t_shocks(rng["sectors"], (n_days, cfg["n_sectors"]), cfg["tail_df"])
        growth[:, 1:] *= np.sqrt(1.0 - cfg["sector_corr"])
        growth[:, 1:] += np.sqrt(cfg["sector_corr"]) * f[:, sector[1:]]
    growth *= firm["sigma"]
    growth += firm["alpha"] + 1.0
    growth += r_m[:, None] * firm["beta"]
    plant_at, truth, truth_events, per_event, boost, designated = _plant(
        rng["events"], ev, pos, cols, n_days, cfg
    )
    np.add.at(growth, (plant_at[0], plant_at[1]), plant_at[2])
    np.maximum(growth, 0.01, out=growth)
    latent = np.cumprod(growth, axis=0, out=growth)
    latent *= firm["p0"]
    latent[:, 0] = idx_c[1:]
    latent += 0.5
    latent_c = np.maximum(np.floor(latent, out=latent), 1.0).astype(np.int64)
    del growth, latent

    # suspensions, then the observed prices under the limits
    susp = _suspension_mask(
        rng["suspensions"], n_days, n_col, cfg["suspension_rate"], cfg["suspension_days"]
    )
    susp[:, 0] = False
    placed = pos >= 0
    for kind, days in (("", range(-2, 2)), ("pre-event", (-2, -1)), ("day0", (0,))):
        sel = placed & ((designated == kind) if kind else placed)
        for k in days:  # random spells are kept off days -2..+1, then events' own are set
            r = pos[sel] + k
            ok = (r >= 0) & (r < n_days)
            susp[r[ok], cols[sel][ok]] = bool(kind)
    traded = ~susp
    bp = _limit_bp(firm, sessions, cfg["limits"])
    close, prev, up, down = close_under_limits(latent_c, bp, traded, firm["p0"])
    ohlcv = _ohlcv(
        rng["ohlcv"],
        close,
        prev,
        up,
        down,
        latent_c,
        firm["sigma"],
        firm["vol_level"],
        boost,
        cfg["lock_margin"],
    )
    del latent_c, up, down

    # outputs
    ev["day0"] = pd.DatetimeIndex(day0).astype("datetime64[ns]")
    for name in ("leaky", "effect", "drift"):
        ev[name] = per_event[name]
    firms = pd.DataFrame(
        {k: firm[k][1:] for k in ("ticker", "board", "beta", "sigma", "alpha", "st", "sector")}
    )
    firms = firms.astype({"ticker": str, "board": str})
    firms = firms.sort_values("ticker", kind="stable").reset_index(drop=True)
    suspensions = _suspension_frame(
        susp, firm["ticker"], sessions, pos, cols, designated, ev["event_id"].astype(str).to_numpy()
    )
    params = {
        "seed": recorded_seed,
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()},
        "n_sessions": n_days,
        "first_session": str(sessions[0].date()),
        "last_session": str(sessions[-1].date()),
        "n_event_firms": len(event_firms),
        "n_events_in": len(ev),
        "n_events_planted": len(truth_events),
        "truth_taus": list(TRUTH_TAUS),
    }
    panel = _build_panel(
        sessions,
        firm["ticker"],
        close,
        prev,
        traded,
        ohlcv,
        {"generator": "eventstudy.simulate_market", **params},
    )
    return Simulation(
        panel=panel,
        events=ev,
        truth=truth,
        truth_events=truth_events,
        firms=firms,
        params=params,
        suspensions=suspensions,
    )


def _validate(cfg: dict[str, Any]) -> None:
    """Check the parameters in place (pairs become float tuples), naming the bad one."""
    for name, (lo, hi) in _PAIRS.items():
        cfg[name] = _check_range(name, cfg[name], lo, hi)
    for name in _SHARES:
        cfg[name] = float(cfg[name])
        if not 0.0 <= cfg[name] <= 1.0:
            raise EventStudyError(f"{name} must lie in [0, 1]; got {cfg[name]!r}")
    for name in (*_NONNEG, *_FINITE):
        cfg[name] = float(cfg[name])
        if not np.isfinite(cfg[name]) or (name in _NONNEG and cfg[name] < 0):
            sign = " >= 0" if name in _NONNEG else ""
            raise EventStudyError(f"{name} must be a finite number{sign}; got {cfg[name]}")
    if cfg["n_firms"] < 0 or cfg["n_firms"] > 20_000:
        raise EventStudyError(f"n_firms must be between 0 and 20000; got {cfg['n_firms']}")
    if not 0.0 <= float(cfg["sector_corr"]) < 1.0:
        raise EventStudyError(f"sector_corr must lie in [0, 1); got {cfg['sector_corr']!r}")
    if isinstance(cfg["n_sectors"], bool) or int(cfg["n_sectors"]) < 1:
        raise EventStudyError(f"n_sectors must be a positive integer; got {cfg['n_sectors']!r}")
    cfg["sector_corr"] = float(cfg["sector_corr"])
    cfg["n_sectors"] = int(cfg["n_sectors"])
    if cfg["tail_df"] <= 2.0:
        raise EventStudyError(f"tail_df must exceed 2 (finite variance); got {cfg['tail_df']}")
    a, b = cfg["garch"]
    if a + b >= 1.0:
        raise EventStudyError(f"garch=(a, b) needs a + b < 1 (stationary); got {a} + {b}")
    bad = [b for b in cfg["board_mix"] if b not in CODE_PREFIXES]
    if (
        bad
        or not cfg["board_mix"]
        or min(cfg["board_mix"].values()) < 0
        or sum(cfg["board_mix"].values()) <= 0
    ):
        raise EventStudyError(
            f"board_mix must map boards from {list(CODE_PREFIXES)} to "
            f"non-negative shares; got {cfg['board_mix']}"
        )


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


_Cells = tuple[np.ndarray, np.ndarray, np.ndarray]


def _plant(
    rng: np.random.Generator,
    ev: pd.DataFrame,
    pos: np.ndarray,
    col: np.ndarray,
    n_days: int,
    cfg: dict[str, Any],
) -> tuple[_Cells, pd.DataFrame, pd.DataFrame, dict[str, np.ndarray], _Cells, np.ndarray]:
    """Planted AR and leak-volume boost as (rows, columns, values) cells; truth frames;
    per-event columns; the suspension designated for each event."""
    n_ev = len(ev)
    placed = np.flatnonzero(pos >= 0)
    m = len(placed)
    e = _unif(rng, cfg["effect_range"], m)
    split = _exact_pick(rng, m, cfg["split_share"])
    w0 = np.where(split, rng.uniform(0.5, 0.8, size=m), 1.0)
    leaky = _exact_pick(rng, m, cfg["leak_share"])
    drift_total = _unif(rng, cfg["drift_range"], m)
    n_drift = _DRIFT_DAYS[1] - _DRIFT_DAYS[0] + 1
    weights = rng.dirichlet(np.full(n_drift, 2.0), size=m)
    reverse = _exact_pick(rng, m, cfg["reversal_share"])
    rho = _unif(rng, cfg["reversal_range"], m)
    order = rng.permutation(m)
    k0 = min(m, int(np.floor(cfg["day0_suspension_share"] * m + 0.5)))
    k1 = min(m - k0, int(np.floor(cfg["event_suspension_share"] * m + 0.5)))
    kind = np.full(m, "", dtype=object)
    kind[order[:k0]] = "day0"
    kind[order[k0 : k0 + k1]] = "pre-event"

    taus = np.arange(TRUTH_TAUS[0], TRUTH_TAUS[1] + 1)
    z = -TRUTH_TAUS[0]
    path = np.zeros((m, len(taus)))
    path[:, z] = e * w0
    path[:, z + 1] = e * (1.0 - w0)
    d0, d1 = z + _DRIFT_DAYS[0], z + _DRIFT_DAYS[1] + 1
    path[:, d0:d1] = np.where(leaky[:, None], drift_total[:, None] * weights, 0.0)
    r0, r1 = z + _REVERSAL_DAYS[0], z + _REVERSAL_DAYS[1] + 1
    n_rev = r1 - r0
    path[:, r0:r1] = np.where(reverse[:, None], (-rho * e / n_rev)[:, None], 0.0)

    cols = col[placed]
    rows = pos[placed][:, None] + taus[None, :]
    inside = (rows >= 0) & (rows < n_days)
    fcols = np.broadcast_to(cols[:, None], rows.shape)
    planted = (rows[inside], fcols[inside], path[inside])
    leak_days = (
        inside
        & leaky[:, None]
        & (np.arange(len(taus)) >= d0)[None, :]
        & (np.arange(len(taus)) < d1)[None, :]
    )
    boost = (
        rows[leak_days],
        fcols[leak_days],
        np.full(int(leak_days.sum()), cfg["leak_volume_boost"]),
    )

    ids = ev["event_id"].astype(str).to_numpy()[placed]
    inpath = np.where(inside, path, 0.0)
    truth = pd.DataFrame(
        {
            "event_id": np.broadcast_to(ids[:, None], rows.shape)[inside],
            "tau": np.broadcast_to(taus[None, :], rows.shape)[inside].astype(np.int64),
            "planted_ar": path[inside],
        }
    )
    truth["event_id"] = truth["event_id"].astype(str)
    effect = inpath[:, z : z + 2].sum(axis=1)
    drift = inpath[:, d0:d1].sum(axis=1)
    truth_events = pd.DataFrame(
        {"event_id": pd.Series(ids, dtype=str), "leaky": leaky, "effect": effect, "drift": drift}
    )
    per_event = {
        "leaky": np.zeros(n_ev, dtype=bool),
        "effect": np.zeros(n_ev),
        "drift": np.zeros(n_ev),
    }
    for name, values in (("leaky", leaky), ("effect", effect), ("drift", drift)):
        per_event[name][placed] = values
    designated = np.full(n_ev, "", dtype=object)
    designated[placed] = kind
    return planted, truth, truth_events, per_event, boost, designated


def _build_panel(
    sessions: pd.DatetimeIndex,
    tickers: np.ndarray,
    close: np.ndarray,
    prev: np.ndarray,
    traded: np.ndarray,
    ohlcv: dict[str, np.ndarray],
    provenance: dict[str, Any],
) -> Panel:
    """Long return and price frames of the traded (day, column) cells, by ticker then date."""
    n_days, n_col = close.shape
    order = np.argsort(tickers.astype(str), kind="stable")
    mask = traded[:, order].T  # (columns in ticker order, days)
    j, t = np.nonzero(mask)
    flat = t * n_col + order[j]  # positions in the (days, columns) matrices
    # span = sessions since the previous traded session (the sample start counts as one)
    last = np.maximum.accumulate(np.where(mask, np.arange(n_days)[None, :], -1), axis=1)
    before = np.concatenate([np.full((n_col, 1), -1), last[:, :-1]], axis=1)
    span = t - before[j, t]
    c = close.ravel()[flat] / 100.0
    p = prev.ravel()[flat] / 100.0  # the last observed close, carried over suspensions
    dates = sessions.values.astype("datetime64[ns]")[t]
    names = pd.array(tickers[order].astype(str), dtype="str")
    ticker = names.take(j)
    returns = pd.DataFrame(
        {"date": dates, "ticker": ticker, "ret": c / p - 1.0, "span": span.astype(np.int64)},
        copy=False,
    )
    prices = pd.DataFrame(
        {
            "date": dates,
            "ticker": ticker,
            **{k: ohlcv[k].ravel()[flat] / 100.0 for k in ("open", "high", "low")},
            "close": c,
            "volume": ohlcv["volume"].ravel()[flat],
            "prev_close": p,
        },
        copy=False,
    )
    notes = [
        "SIMULATED prices: not market data",
        f"simulated on {n_days} XSHG sessions {sessions[0].date()}..{sessions[-1].date()}; "
        f"the index {tickers[0]} has no price limit and is never suspended",
        "a suspended day has no row; the first return after it spans the gap (span > 1)",
    ]
    return Panel(
        returns=returns, prices=prices, source="simulated", provenance=provenance, notes=notes
    )


def _suspension_frame(
    susp: np.ndarray,
    tickers: np.ndarray,
    sessions: pd.DatetimeIndex,
    pos: np.ndarray,
    cols: np.ndarray,
    designated: np.ndarray,
    ids: np.ndarray,
) -> pd.DataFrame:
    """Every suspension run: ticker, first and last session, length, kind, event."""
    width = susp.shape[0] + 2  # each firm's days padded with one idle day on both sides
    flat = np.zeros((susp.shape[1], width), dtype=np.int8)
    flat[:, 1:-1] = susp.T
    d = np.diff(flat.ravel())
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    firm_i, first, last = starts // width, starts % width, ends % width - 1
    kind = np.full(len(firm_i), "random", dtype=object)
    event_id = np.full(len(firm_i), "", dtype=object)
    starts += 1
    for label, offset in (("pre-event", -1), ("day0", 0)):
        sel = np.flatnonzero(
            (designated == label) & (pos + offset >= 0) & (pos + offset < susp.shape[0])
        )
        if len(sel):
            key = cols[sel] * width + pos[sel] + offset + 1
            spell = np.searchsorted(starts, key, side="right") - 1
            kind[spell] = label
            event_id[spell] = ids[sel]
    frame = pd.DataFrame(
        {
            "ticker": tickers[firm_i].astype(str),
            "start": sessions.values[first],
            "end": sessions.values[last],
            "sessions": (last - first + 1).astype(np.int64),
            "kind": kind.astype(str),
            "event_id": event_id.astype(str),
        }
    )
    return frame.sort_values(["ticker", "start"], kind="stable").reset_index(drop=True)


def to_files(sim: Simulation, directory: str | Path) -> list[Path]:
    """Write ``truth.csv`` and ``truth_events.csv`` into ``directory``; return the paths.

    ``truth.csv``: ``event_id, tau, planted_ar`` (latent planted AR per event
    day, -20..+60, zeros included).  ``truth_events.csv``: ``event_id, leaky,
    effect, drift``.  The directory is created if needed.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "truth.csv", out / "truth_events.csv"]
    sim.truth.to_csv(paths[0], index=False, lineterminator="\n")
    sim.truth_events.to_csv(paths[1], index=False, lineterminator="\n")
    return paths
