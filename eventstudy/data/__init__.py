"""Data sources: CSV files, yfinance, and the simulated A-share market."""

from eventstudy.data.base import DataSource, Panel, validate_returns
from eventstudy.data.csvfile import (
    PRESETS,
    CsvSource,
    parse_column_mapping,
    read_prices_csv,
    read_returns_csv,
    read_st_csv,
    returns_from_prices,
)
from eventstudy.data.factors import FACTOR_PRESETS, FactorFrame, read_factors
from eventstudy.data.yahoo import YahooSource, download_yahoo

__all__ = [
    "FACTOR_PRESETS",
    "PRESETS",
    "CsvSource",
    "DataSource",
    "FactorFrame",
    "Panel",
    "YahooSource",
    "download_yahoo",
    "parse_column_mapping",
    "read_factors",
    "read_prices_csv",
    "read_returns_csv",
    "read_st_csv",
    "returns_from_prices",
    "validate_returns",
]
