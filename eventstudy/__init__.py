"""eventstudy: event studies of announcement returns, built for A-shares.

The public API is listed in ``__all__``; heavy modules (matplotlib, yfinance)
are imported only when used.

Examples
--------
>>> import eventstudy as es
>>> sim = es.simulate_market(es.load_calendar("compute-leasing"), seed=1)
>>> res = es.EventStudy(es.load_calendar("compute-leasing"), sim.panel).fit()
>>> res.n_included > 0
True
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "EventStudy": "eventstudy.study",
    "EXCLUSION_REASONS": "eventstudy.study",
    "EventStudyResults": "eventstudy.results",
    "Window": "eventstudy.windows",
    "load_calendar": "eventstudy.calendar",
    "calendar_table": "eventstudy.calendar",
    "Panel": "eventstudy.data.base",
    "read_returns_csv": "eventstudy.data.csvfile",
    "read_prices_csv": "eventstudy.data.csvfile",
    "read_factors": "eventstudy.data.factors",
    "FactorFrame": "eventstudy.data.factors",
    "download_yahoo": "eventstudy.data.yahoo",
    "simulate_market": "eventstudy.data.simulate",
    "TESTS": "eventstudy.inference",
    "EventStudyError": "eventstudy.exceptions",
    "CalendarError": "eventstudy.exceptions",
    "DataError": "eventstudy.exceptions",
    "WindowError": "eventstudy.exceptions",
    "ExclusionError": "eventstudy.exceptions",
    "NoEventsIncludedError": "eventstudy.exceptions",
    "EventStudyWarning": "eventstudy.exceptions",
    "OutputError": "eventstudy.exceptions",
    "OutputWarning": "eventstudy.exceptions",
    "write_outputs": "eventstudy.report.files",
    "plot_caar": "eventstudy.report.plots",
    "plot_car_distribution": "eventstudy.report.plots",
    "plot_ar_heatmap": "eventstudy.report.plots",
    "plot_runup": "eventstudy.report.plots",
    "plot_price_paths": "eventstudy.report.plots",
    "limit_flags": "eventstudy.market.flags",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "models":  # es.models.Dimson(lags=2, leads=2)
        return importlib.import_module("eventstudy.models")
    raise AttributeError(f"module 'eventstudy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
