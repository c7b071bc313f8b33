"""Event-study test statistics (registry in :data:`TESTS`)."""

from eventstudy.inference import parametric as _parametric  # noqa: F401  (registers tests)
from eventstudy.inference.base import (
    TESTS,
    EventTest,
    TestColumns,
    TestData,
    TestOutcome,
    get_tests,
    register,
)

__all__ = ["TESTS", "EventTest", "TestColumns", "TestData", "TestOutcome", "get_tests", "register"]
