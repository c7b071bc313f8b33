"""``simulate_market`` and the ``Simulation`` it returns: the model parts put together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.calendar.sessions import xshg_sessions
from eventstudy.data.base import Panel
from eventstudy.data.simulate.config import _DEFAULT_MIX, _streams, _validate
from eventstudy.data.simulate.events import TRUTH_TAUS, _plant, _prepare_events
from eventstudy.data.simulate.factors import (
    _check_factor_config,
    add_systematic,
    factor_frame,
)
from eventstudy.data.simulate.market import (
    _firm_block,
    _index_cents,
    _limit_bp,
    _suspension_mask,
    _t_shocks,
)
from eventstudy.data.simulate.prices import _build_panel, _ohlcv, _suspension_frame
from eventstudy.exceptions import EventStudyError
from eventstudy.market.boards import random_tickers
from eventstudy.market.limits import close_under_limits
from eventstudy.tickers import normalize_ticker

__all__ = ["Simulation", "simulate_market"]


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
        ``event_id, leaky, effect, drift, event_type, player_type, board,
        player_scale, effect_day0, reversal``, one row per planted event:
        ``effect`` = planted AR summed over days 0 and +1 (the announcement
        jump), ``drift`` = planted AR summed over days -5..-1 (0 when not
        leaky), ``event_type`` and ``player_type`` as planted (``entry`` and
        ``unclear`` when the event has none), ``board`` the ticker's board
        label, ``player_scale`` the multiplier applied, ``effect_day0`` the
        planted AR on day 0, ``reversal`` the planted AR summed over days
        +21..+60; only days inside the sessions count.
    firms : DataFrame
        ``ticker, board, beta, sigma, alpha, st, sector`` of every simulated
        firm; with ``factor_model`` also ``beta_<factor>`` (the true loading
        on each factor column, ``beta_MKT-RF`` = ``beta``), with ``nonsync``
        also ``nonsync_lag`` (the delayed share lambda; 0 for synchronous
        firms).  ``beta`` is always the true (total) market loading.
    params : dict
        Every parameter (seed included) and derived counts, JSON-serialisable.
    suspensions : DataFrame
        ``ticker, start, end, sessions, kind, event_id``: every suspension
        spell (``kind`` is ``random``, ``pre-event`` (days -2..-1) or ``day0``).
    factors : DataFrame or None
        With ``factor_model``: the daily factor returns in decimals, indexed
        by ``date`` (every session), columns named as in the standard files:
        ``MKT-RF, SMB, HML, RF`` (ff3), ``MKT-RF, SMB, HML, UMD, RF``
        (carhart), ``MKT, SMB, VMG, RF`` (ch3).  The market factor is the
        index return in the panel minus ``RF``.  None otherwise.
    """

    panel: Panel
    events: pd.DataFrame
    truth: pd.DataFrame
    truth_events: pd.DataFrame
    firms: pd.DataFrame
    params: dict[str, Any]
    suspensions: pd.DataFrame
    factors: pd.DataFrame | None = None


def _jsonable(value: Any) -> Any:
    """Tuples as lists, also inside dicts (for ``params`` and the run manifest)."""
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


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
    type_effects: Mapping[str, tuple[float, float]] | None = None,
    player_scale: Mapping[str, float] | None = None,
    factor_model: str | None = None,
    factor_sd: Mapping[str, float] | None = None,
    factor_mean: Mapping[str, float] | None = None,
    loading_ranges: Mapping[str, tuple[float, float]] | None = None,
    risk_free: float = 6e-5,
    nonsync: float = 0.0,
    nonsync_lag: tuple[float, float] = (0.3, 0.7),
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
    type_effects : mapping of str to (low, high), optional
        Effect range per ``event_type`` (read from the events by the
        calendar's leading-phrase rule); ``entry`` and types not listed use
        ``effect_range``.  None: :data:`DEFAULT_TYPE_EFFECTS` (follow-up
        U(0.02, 0.08), termination U(-0.15, -0.05), scale-back
        U(-0.10, -0.03)).  A leak takes the sign of its event's effect.
    player_scale : mapping of str to float, optional
        Multiplier of the effect per ``player_type`` (or
        ``player_type_assessed``); types not listed get 1.  None:
        :data:`DEFAULT_PLAYER_SCALE` (0.5 for IDC-capable firms, traditional
        IDC providers and cloud providers, so cross-border entrants react
        twice as much); ``{}``: no difference between player types.  The
        effect is ``scale * (low + (high - low) * u)`` with one uniform ``u``
        per event, whatever the type.
    factor_model : {"ff3", "carhart", "ch3"}, optional
        Add a factor structure: daily SMB, HML (ff3), UMD (carhart) or SMB,
        VMG (ch3) returns, t-distributed with ``factor_mean`` and
        ``factor_sd`` (mappings by factor name, merged over
        :data:`DEFAULT_FACTOR_MEAN` and :data:`DEFAULT_FACTOR_SD`), loadings
        per firm ~ U(``loading_ranges[name]``) (merged over
        :data:`DEFAULT_LOADING_RANGES`), and ``R_i - RF = alpha + beta (R_m -
        RF) + sum_k b_k F_k + sigma e + A``.  The factors are in
        ``Simulation.factors``, the loadings in ``Simulation.firms``.
        Default None: no factors, and the outputs are those of earlier
        versions.
    risk_free : float
        Constant daily risk-free rate ``RF`` (default 6e-5, about 1.5% a
        year); used only with ``factor_model``.
    nonsync, nonsync_lag : float, (low, high)
        Share of firms (exact count) with non-synchronous prices: a share
        lambda ~ U(``nonsync_lag``) of the firm's systematic return arrives
        one session late, so the OLS beta estimates (1 - lambda) beta while
        Dimson and Scholes-Williams betas estimate beta.  Default 0: off.

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
    _check_factor_config(cfg)
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
    systematic: dict[str, np.ndarray] = {}
    if cfg["factor_model"] is not None or cfg["nonsync"] > 0:
        systematic = add_systematic(growth, r_m, firm["beta"], cfg, rng)
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
    for name, values in systematic.items():
        if not name.startswith("series:"):
            firms[name] = values[1:]
    firms = firms.astype({"ticker": str, "board": str})
    firms = firms.sort_values("ticker", kind="stable").reset_index(drop=True)
    suspensions = _suspension_frame(
        susp, firm["ticker"], sessions, pos, cols, designated, ev["event_id"].astype(str).to_numpy()
    )
    params = {
        "seed": recorded_seed,
        **{k: _jsonable(v) for k, v in cfg.items()},
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
    factors = None
    if cfg["factor_model"] is not None:
        rets = panel.returns
        index_ret = rets.loc[rets["ticker"] == firm["ticker"][0]].set_index("date")["ret"]
        factors = factor_frame(cfg, systematic, index_ret)
    return Simulation(
        factors=factors,
        panel=panel,
        events=ev,
        truth=truth,
        truth_events=truth_events,
        firms=firms,
        params=params,
        suspensions=suspensions,
    )
