r"""Significance levels and Student-t intervals shared by the results and the report.

``alpha`` means what it means in statsmodels: the significance level of a
test, and ``1 - alpha`` the coverage of a confidence interval
(``alpha=0.05``: tests at 5%, 95% intervals).  Every function of eventstudy
that takes a level takes ``alpha=`` and checks it with :func:`check_alpha`.

The former ``level=`` keyword meant opposite things (significance in
``summary()``, confidence in ``conf_int()`` and the plots); it now raises
an error that says which ``alpha`` to give (:func:`reject_level`).

The interval of a mean :math:`\bar x` of :math:`n` values with standard
deviation :math:`s` is

.. math::

   \bar x \pm t_{n-1,\,1-\alpha/2}\, s/\sqrt{n},

the classic interval of the eventstudies R package for a CAAR.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from eventstudy.exceptions import EventStudyError, EventStudyWarning

__all__ = [
    "LEVEL_REMOVED",
    "caar_interval",
    "check_alpha",
    "confidence_alpha",
    "reject_level",
    "t_half_width",
]

#: sentinel default of the removed ``level=`` keyword
LEVEL_REMOVED: Any = object()


def check_alpha(alpha: Any, *, where: str = "alpha") -> float:
    """``alpha`` as a float, or an :class:`EventStudyError` unless ``0 < alpha < 0.5``.

    A significance level of one half or more is never meant: it is a
    confidence level given where a significance level is asked (``0.95``
    for ``0.05``), and is refused rather than read as "reject at 95%".
    """
    ok = isinstance(alpha, (int, float, np.integer, np.floating)) and not isinstance(alpha, bool)
    a = float(alpha) if ok else float("nan")
    if not ok or not np.isfinite(a) or not 0 < a < 1:
        raise EventStudyError(
            f"{where} must be a significance level with 0 < alpha < 1 (as in statsmodels: "
            f"alpha=0.05 tests at 5% and gives 95% intervals), got {alpha!r}"
        )
    if a >= 0.5:
        raise EventStudyError(
            f"{where}={a:g} is not a usable significance level: alpha is the significance "
            f"level as in statsmodels (alpha=0.05 tests at 5% and gives 95% intervals); "
            f"for a {a:.0%} confidence level give alpha={1 - a:.10g}"
        )
    return a


def confidence_alpha(value: Any, *, where: str = "conf_int") -> float:
    """The ``alpha`` of :meth:`EventStudyResults.conf_int`'s first argument.

    A value below one half is a significance level (statsmodels'
    ``conf_int(alpha=0.05)``).  A value above one half can only be the
    confidence level that the first argument meant before ``alpha`` (the
    positional ``conf_int(0.95)``): it is read as ``alpha = 1 - value``, with
    an :class:`~eventstudy.exceptions.EventStudyWarning`.
    """
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else float("nan")
    if ok and np.isfinite(v) and 0.5 < v < 1:
        warnings.warn(
            f"{where}({v:g}): the argument is alpha, the significance level (as in "
            f"statsmodels); {v:g} was read as a {v:.0%} confidence level, i.e. "
            f"alpha={1 - v:.10g}. Write {where}(alpha={1 - v:.10g}).",
            EventStudyWarning,
            stacklevel=3,
        )
        return 1.0 - v
    return check_alpha(value, where=f"{where} alpha")


def reject_level(level: Any, where: str, *, meant: str) -> None:
    """Raise when the removed ``level=`` keyword was given (``meant``: what it was)."""
    if level is LEVEL_REMOVED:
        return
    hint = ""
    if isinstance(level, (int, float)) and not isinstance(level, bool) and 0 < level < 1:
        a = 1 - level if meant == "confidence" else level
        hint = f"; for level={level:g} give alpha={a:.10g}"
    raise EventStudyError(
        f"{where}: level= was removed because it meant significance in summary() and "
        f"confidence in conf_int() and the plots; give alpha=, the significance level as "
        f"in statsmodels (alpha=0.05: tests at 5%, 95% intervals){hint}"
    )


def t_half_width(sd: ArrayLike, n: ArrayLike, alpha: float) -> NDArray[np.float64]:
    r"""Half-width :math:`t_{n-1,1-\alpha/2}\, s/\sqrt{n}` (NaN where ``n < 2``)."""
    from scipy import stats

    s = np.asarray(sd, dtype=np.float64)
    k = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stats.t.ppf(1 - alpha / 2, np.maximum(k - 1, 1))
        half = q * s / np.sqrt(k)
    return np.asarray(np.where(k > 1, half, np.nan), dtype=np.float64)


def caar_interval(
    car: pd.DataFrame, alpha: float, event_ids: Iterable[str] | None = None
) -> pd.DataFrame:
    """``window, start, end, caar, lower, upper, n`` per CAR window of a long CAR frame.

    Over the events ``event_ids`` (all by default) with a CAR in the window;
    the limit-aware window (``window == "limit"``) is left out.
    """
    regular = car[car["window"] != "limit"]
    if event_ids is not None:
        keep = {str(e) for e in event_ids}
        regular = regular[regular["event_id"].astype(str).isin(keep)]
    rows = []
    for (lab, s, e), g in regular.groupby(["window", "start", "end"], sort=False):
        x = g["car"].dropna().to_numpy(dtype=np.float64)
        n = len(x)
        m = float(x.mean()) if n else np.nan
        half = float(t_half_width(x.std(ddof=1) if n > 1 else np.nan, n, alpha))
        rows.append(
            {
                "window": lab,
                "start": s,
                "end": e,
                "caar": m,
                "lower": m - half,
                "upper": m + half,
                "n": n,
            }  # fmt: skip
        )
    return pd.DataFrame(rows, columns=["window", "start", "end", "caar", "lower", "upper", "n"])
