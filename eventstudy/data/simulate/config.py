"""Simulator parameters: validation (naming the bad parameter) and the seeded random streams."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import numpy as np

from eventstudy.exceptions import EventStudyError
from eventstudy.market.boards import CODE_PREFIXES

_DEFAULT_MIX: Final = {"sse_main": 0.40, "szse_main": 0.30, "chinext": 0.18, "star": 0.12}

#: Announcement-effect range per event type (simple-return scale) when
#: ``type_effects=None``; ``entry``, and any type not listed, uses ``effect_range``.
DEFAULT_TYPE_EFFECTS: Final[Mapping[str, tuple[float, float]]] = MappingProxyType(
    {
        "follow-up": (0.02, 0.08),
        "termination": (-0.15, -0.05),
        "scale-back": (-0.10, -0.03),
    }
)

#: Multiplier of the announcement effect per player type when
#: ``player_scale=None``; a type not listed gets 1 (cross-border entrants,
#: unclear).  Pass ``player_scale={}`` for no difference between player types.
DEFAULT_PLAYER_SCALE: Final[Mapping[str, float]] = MappingProxyType(
    {
        "cloud provider": 0.5,
        "traditional IDC provider": 0.5,
        "firm with IDC build/operation capability": 0.5,
    }
)
_MAX_SCALE: Final = 10.0
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
    "factors",
    "nonsync",
)


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


def _check_types(cfg: dict[str, Any]) -> None:
    """``type_effects`` and ``player_scale``: None -> defaults; dicts with checked values."""
    effects = DEFAULT_TYPE_EFFECTS if cfg["type_effects"] is None else cfg["type_effects"]
    scales = DEFAULT_PLAYER_SCALE if cfg["player_scale"] is None else cfg["player_scale"]
    for name, value in (("type_effects", effects), ("player_scale", scales)):
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and k.strip() for k in value
        ):
            raise EventStudyError(
                f"{name} must be a mapping from type names (non-empty str) to values; got {value!r}"
            )
    lo, hi = _PAIRS["effect_range"]
    cfg["type_effects"] = {
        k: _check_range(f"type_effects[{k!r}]", v, lo, hi) for k, v in effects.items()
    }
    out: dict[str, float] = {}
    for k, v in scales.items():
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = float("nan")
        if not 0.0 <= x <= _MAX_SCALE:
            raise EventStudyError(
                f"player_scale[{k!r}] must be a number in [0, {_MAX_SCALE:g}]; got {v!r}"
            )
        out[k] = x
    cfg["player_scale"] = out


def _validate(cfg: dict[str, Any]) -> None:
    """Check the parameters in place (pairs become float tuples), naming the bad one."""
    _check_types(cfg)
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
