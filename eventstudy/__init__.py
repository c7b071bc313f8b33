"""eventstudy: event studies of announcement returns, built for A-shares."""

from __future__ import annotations

__version__ = "0.1.0"
