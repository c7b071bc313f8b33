"""Events: checking them, placing day 0, and planting the abnormal returns (the truth)."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.calendar.sessions import align_day0, timing_from_time
from eventstudy.calendar.types import (
    EVENT_TYPE_PHRASES,
    PLAYER_TYPE_PHRASES,
    board_labels,
    categories_of,
)
from eventstudy.data.simulate.config import _unif
from eventstudy.exceptions import CalendarError
from eventstudy.tickers import normalize_ticker

#: First and last event day (inclusive) listed in ``Simulation.truth``.
TRUTH_TAUS: Final = (-20, 60)
_DRIFT_DAYS: Final = (-5, -1)
_REVERSAL_DAYS: Final = (21, 60)

_Cells = tuple[np.ndarray, np.ndarray, np.ndarray]


def _exact_pick(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A random subset of exactly round-half-up(share * n) of n items, as a mask."""
    k = min(n, int(np.floor(share * n + 0.5)))
    mask = np.zeros(n, dtype=bool)
    mask[rng.permutation(n)[:k]] = True
    return mask


def _parse_dates(col: pd.Series) -> pd.Series:
    """datetime64 dates; text must be YYYY-MM-DD (anything else, e.g. a month, is NaT)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        out = pd.to_datetime(col)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.dt.normalize().astype("datetime64[ns]")
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


def _cells(ev: pd.DataFrame, column: str) -> list[str]:
    values = ev[column].astype(object).where(ev[column].notna(), "")
    return [str(v).strip() for v in values]


def _types(ev: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Event type and player type of every event, as planted.

    Values are read by the calendar's leading-phrase rule
    (:func:`~eventstudy.calendar.types.category_of`), so a raw calendar and a
    loaded one plant the same; a value no phrase matches is kept as written.
    No ``event_type`` (column or cell) is ``entry``; no ``player_type`` (nor
    ``player_type_assessed``) is ``unclear``.
    """
    out = []
    for sources, phrases, empty in (
        (("event_type",), EVENT_TYPE_PHRASES, "entry"),
        (("player_type", "player_type_assessed"), PLAYER_TYPE_PHRASES, "unclear"),
    ):
        source = next((c for c in sources if c in ev.columns), None)
        texts = _cells(ev, source) if source is not None else [""] * len(ev)
        cats = categories_of(texts, phrases, empty=empty)
        out.append(np.array([t if c is None else c for c, t in zip(cats, texts, strict=True)]))
    return out[0].astype(object), out[1].astype(object)


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
    etype, ptype = (a[placed] for a in _types(ev))
    ranges = {t: cfg["type_effects"].get(t, cfg["effect_range"]) for t in set(etype)}
    kinds = pd.Series(etype, dtype=object)
    lo = kinds.map({t: r[0] for t, r in ranges.items()}).to_numpy(dtype=float).reshape(m)
    hi = kinds.map({t: r[1] for t, r in ranges.items()}).to_numpy(dtype=float).reshape(m)
    players = pd.Series(ptype, dtype=object)
    scales = {p: cfg["player_scale"].get(p, 1.0) for p in set(ptype)}
    scale = players.map(scales).to_numpy(dtype=float).reshape(m)
    u = rng.uniform(0.0, 1.0, size=m)  # the draws of U(effect_range) before types existed
    e = lo + (hi - lo) * u
    e *= scale
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
    drift_total *= np.where(e < 0, -1.0, 1.0)  # bad news leaks as a fall
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
        {
            "event_id": pd.Series(ids, dtype=str),
            "leaky": leaky,
            "effect": effect,
            "drift": drift,
            "event_type": pd.Series(etype, dtype=str),
            "player_type": pd.Series(ptype, dtype=str),
            "board": pd.Series(board_labels(ev["ticker"]).to_numpy()[placed], dtype=str),
            "player_scale": scale,
            "effect_day0": inpath[:, z],
            "reversal": inpath[:, r0:r1].sum(axis=1),
        }
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
