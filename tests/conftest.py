"""Shared fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REF = Path(__file__).parent / "reference"


def load_ref(name: str) -> dict[str, Any]:
    with open(REF / name, encoding="utf-8") as fh:
        return json.load(fh)


def ref_inputs(gaps: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = REF / "data" / ("gaps" if gaps else "")
    returns = pd.read_csv(base / "returns.csv")
    events = pd.read_csv(base / "events.csv").rename(columns={"id": "ticker", "event_date": "date"})
    events.insert(0, "event_id", [f"ev{i + 1:03d}" for i in range(len(events))])
    return returns, events


REF_CONFIG: dict[str, Any] = dict(
    market="000300.SH",
    estimation_window=(-130, -11),
    event_window=(-5, 5),
    car_windows=[(-5, 5), (-1, 1), (0, 1)],
    min_estimation_days=100,
)


@pytest.fixture(scope="session")
def ref_clean():
    from eventstudy import EventStudy

    returns, events = ref_inputs(False)
    return EventStudy(events, returns, **REF_CONFIG).fit()


@pytest.fixture(scope="session")
def ref_gaps():
    from eventstudy import EventStudy

    returns, events = ref_inputs(True)
    return EventStudy(events, returns, **REF_CONFIG).fit()
