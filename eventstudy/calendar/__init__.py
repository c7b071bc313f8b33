"""Announcement calendars, trading sessions and day-0 alignment."""

from eventstudy.calendar.schema import (
    BUNDLED_CALENDARS,
    EXCLUSION_REASONS,
    TIMING_FLAG,
    calendar_table,
    format_calendar_table,
    load_calendar,
    reason_category,
)
from eventstudy.calendar.sessions import TIMINGS, align_day0, timing_from_time, xshg_sessions

__all__ = [
    "BUNDLED_CALENDARS",
    "EXCLUSION_REASONS",
    "TIMINGS",
    "TIMING_FLAG",
    "align_day0",
    "calendar_table",
    "format_calendar_table",
    "load_calendar",
    "reason_category",
    "timing_from_time",
    "xshg_sessions",
]
