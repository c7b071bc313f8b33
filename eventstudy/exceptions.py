"""Exception and warning classes of eventstudy.

Every error raised at the public boundary is an :class:`EventStudyError`, a
subclass of :class:`ValueError`, and its message names the argument, row,
ticker or date that is wrong and, where possible, what to do about it.
"""

from __future__ import annotations

__all__ = [
    "AnalysisWarning",
    "CalendarError",
    "CalendarWarning",
    "DataError",
    "DataWarning",
    "EventStudyError",
    "EventStudyWarning",
    "MissingDependencyError",
    "OutputError",
    "OutputWarning",
    "ExclusionError",
    "NoEventsIncludedError",
    "WindowError",
]


class EventStudyError(ValueError):
    """Base class of every error raised by eventstudy on bad input."""


class CalendarError(EventStudyError):
    """The announcement calendar is malformed (missing column, bad date, ...)."""


class DataError(EventStudyError):
    """A return or price panel is malformed, or a data source failed."""


class WindowError(EventStudyError):
    """An estimation, event or CAR window is invalid or inconsistent."""


class OutputError(EventStudyError):
    """An output directory cannot be written, read, reproduced or compared as asked."""


class ExclusionError(EventStudyError):
    """The study excluded more events than it may (``max_loss``, or every event).

    The message names the most frequent exclusion reasons; ``exclusions`` holds
    the excluded events (``event_id, ticker, date, reason``) and ``n_events``
    the number of input events.
    """

    def __init__(self, message: str, exclusions: object = None, n_events: int = 0) -> None:
        super().__init__(message)
        self.exclusions = exclusions
        self.n_events = n_events


class NoEventsIncludedError(ExclusionError):
    """No event of the calendar could be included in the study."""


class MissingDependencyError(EventStudyError, ImportError):
    """An optional dependency is not installed; the message gives the install command.

    Also an :class:`ImportError`, so ``except ImportError`` catches it too.  The
    Yahoo Finance source, for example, needs the ``yahoo`` extra:
    ``pip install 'ashare-eventstudy[yahoo]'``.
    """


class EventStudyWarning(UserWarning):
    """Base class of every warning issued by eventstudy."""


class CalendarWarning(EventStudyWarning):
    """Something in the calendar was normalised or is doubtful (not fatal)."""


class DataWarning(EventStudyWarning):
    """Something in the data was normalised or is doubtful (not fatal)."""


class OutputWarning(EventStudyWarning):
    """Something in an output directory was left alone or is doubtful (not fatal)."""


class AnalysisWarning(EventStudyWarning):
    """A group, cross-section or long-run analysis left events out (they are named)."""
