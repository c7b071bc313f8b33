"""Announcement calendars, trading sessions and day-0 alignment."""

from eventstudy.calendar.schema import (
    BUNDLED_CALENDARS,
    CALENDAR_PRESETS,
    CALENDAR_TARGETS,
    EXCLUSION_REASONS,
    TIMING_FLAG,
    calendar_table,
    format_calendar_table,
    load_calendar,
    reason_category,
)
from eventstudy.calendar.sessions import TIMINGS, align_day0, timing_from_time, xshg_sessions
from eventstudy.calendar.types import BOARD_LABELS, EVENT_TYPES, PLAYER_TYPES, board_labels

__all__ = [
    "BOARD_LABELS",
    "BUNDLED_CALENDARS",
    "CALENDAR_PRESETS",
    "CALENDAR_TARGETS",
    "EVENT_TYPES",
    "EXCLUSION_REASONS",
    "PLAYER_TYPES",
    "TIMINGS",
    "TIMING_FLAG",
    "align_day0",
    "board_labels",
    "calendar_table",
    "format_calendar_table",
    "load_calendar",
    "reason_category",
    "timing_from_time",
    "xshg_sessions",
]
