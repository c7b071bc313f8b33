"""A-share boards and the dated daily price-limit rules."""

from eventstudy.market.boards import BOARDS, CODE_PREFIXES, board_of, boards_of, random_tickers
from eventstudy.market.limits import (
    LIMIT_RULES,
    NO_LIMIT_CENTS,
    LimitRule,
    close_under_limits,
    limit_for,
    limit_fractions,
    limit_prices,
    limit_table,
    tick_round,
)

__all__ = [
    "BOARDS",
    "CODE_PREFIXES",
    "LIMIT_RULES",
    "NO_LIMIT_CENTS",
    "LimitRule",
    "board_of",
    "boards_of",
    "close_under_limits",
    "limit_for",
    "limit_fractions",
    "limit_prices",
    "limit_table",
    "random_tickers",
    "tick_round",
]
