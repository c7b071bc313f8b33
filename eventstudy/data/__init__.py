"""Data sources: CSV files, yfinance, and the simulated A-share market."""

from eventstudy.data.base import DataSource, Panel, validate_returns

__all__ = ["DataSource", "Panel", "validate_returns"]
