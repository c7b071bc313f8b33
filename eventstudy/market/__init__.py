"""A-share boards and the dated daily price-limit rules."""

from eventstudy.market.boards import BOARDS, board_of, boards_of
from eventstudy.market.limits import (
    LIMIT_RULES,
    LimitRule,
    limit_for,
    limit_fractions,
    limit_prices,
    limit_table,
    tick_round,
)

__all__ = [
    "BOARDS",
    "LIMIT_RULES",
    "LimitRule",
    "board_of",
    "boards_of",
    "limit_for",
    "limit_fractions",
    "limit_prices",
    "limit_table",
    "tick_round",
]
