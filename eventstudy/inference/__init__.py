"""Event-study test statistics (registry in :data:`TESTS`).

Importing this package registers, in this order: ``csect_t``, ``patell``,
``patell_kp``, ``bmp``, ``bmp_kp``, ``bw1985``, ``sign``, ``gsign``,
``rank``, ``grank``, ``wilcoxon``, ``skew_t``, ``bootstrap``.
"""

from eventstudy.inference import nonparametric as _nonparametric
from eventstudy.inference import parametric as _parametric
from eventstudy.inference import resampling as _resampling
from eventstudy.inference import skewness as _skewness
from eventstudy.inference.base import (
    TESTS,
    EventTest,
    TestColumns,
    TestData,
    TestOutcome,
    get_tests,
    register,
)

_ORDER = (
    "csect_t",
    "patell",
    "patell_kp",
    "bmp",
    "bmp_kp",
    "bw1985",
    "sign",
    "gsign",
    "csign",
    "rank",
    "grank",
    "wilcoxon",
    "skew_t",
    "bootstrap",
)
_registered = dict(TESTS)
TESTS.clear()
TESTS.update({k: _registered[k] for k in _ORDER})
TESTS.update({k: v for k, v in _registered.items() if k not in TESTS})
del _registered, _nonparametric, _parametric, _resampling, _skewness

__all__ = ["TESTS", "EventTest", "TestColumns", "TestData", "TestOutcome", "get_tests", "register"]
