"""Announcement calendars, trading sessions and day-0 alignment."""

from eventstudy.calendar.sessions import TIMINGS, align_day0, timing_from_time, xshg_sessions

__all__ = ["TIMINGS", "align_day0", "timing_from_time", "xshg_sessions"]
