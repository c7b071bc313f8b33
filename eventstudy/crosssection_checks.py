"""Checks of a cross-sectional regression's design before statsmodels fits it.

See :func:`check_design`; used by :func:`eventstudy.crosssection.cross_section`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.exceptions import EventStudyError

if TYPE_CHECKING:
    from eventstudy.crosssection import CrossSectionSpec

__all__ = ["check_design"]

#: leverage above which an event fits itself exactly (HC2/HC3 divide by 1 - h)
_LEVERAGE_ONE = 1.0 - 1e-8


def check_design(formula: str, data: pd.DataFrame, spec: CrossSectionSpec) -> NDArray[np.int64]:
    """Refuse a regression whose numbers would be arbitrary or undefined.

    Builds the design matrix as statsmodels will (patsy, the same formula and
    data) and raises :class:`~eventstudy.exceptions.EventStudyError`, naming
    the events or terms, when

    * the formula cannot be evaluated (syntax, an unknown function);
    * a transformed variable is not finite for some events (``np.log`` of a
      value <= 0, a division by zero, an infinite characteristic): patsy
      would drop those rows silently;
    * there are no more events than coefficients (no residual degrees of
      freedom: every standard error is infinite or undefined);
    * the regressors are collinear (a constant characteristic, a column that
      is a multiple or sum of others): the coefficients are then not
      identified and a pseudo-inverse would report one arbitrary solution;
    * with ``cluster``, fewer than two clusters.

    Returns the positions of the events with leverage :math:`h_i = 1` (a
    category or dummy that holds that event alone) when ``cov_type`` is
    ``HC2`` or ``HC3``: these covariances divide by :math:`1 - h_i`, so the
    event's rounding-noise residual would set the standard errors.  Such an
    event determines only its own coefficient; :func:`cross_section` leaves
    it out with an :class:`~eventstudy.exceptions.AnalysisWarning`.
    """
    from patsy import NAAction, PatsyError, dmatrices

    where = f"cross-section {formula!r} over {spec.window.label}"
    ids = data["event_id"].astype(str).to_numpy()
    try:
        with np.errstate(all="ignore"):  # a log of a value <= 0 is reported below
            y, x = dmatrices(
                formula, data, NA_action=NAAction(NA_types=[]), return_type="dataframe", eval_env=1
            )
    except SyntaxError as exc:
        raise EventStudyError(
            f"cannot evaluate {where}: {exc.msg}; quote a column whose name is not a Python "
            'name (a keyword such as class, spaces) with Q("name")'
        ) from None
    except (PatsyError, NameError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise EventStudyError(f"cannot evaluate {where}: {exc}") from None
    both = pd.concat([y, x], axis=1)
    vals = both.to_numpy(dtype=float)
    bad = ~np.isfinite(vals)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        terms = [str(c) for c, b in zip(both.columns, bad.any(axis=0), strict=True) if b]
        raise EventStudyError(
            f"{where}: {terms} not finite for {len(rows)} event(s) "
            f"({', '.join(ids[rows[:10]])}{' ...' if len(rows) > 10 else ''}), e.g. the log "
            "of a value <= 0, a division by zero or an infinite characteristic; "
            "transform or leave out those events"
        )
    empty = [t for t, sl in x.design_info.term_name_slices.items() if sl.stop == sl.start]
    if empty:
        raise EventStudyError(
            f"{where}: {empty} take(s) a single value over the {len(x)} events used, so the "
            "regression has no coefficient for it; drop the term or give events that differ"
        )
    xm = x.to_numpy(dtype=float)
    n, k = xm.shape
    if k == 0:
        raise EventStudyError(
            f"{where}: the formula has no regressor, not even the intercept (drop '- 1' or "
            "'+ 0', or name a column)"
        )
    if n <= k:
        wide = {
            t: sl.stop - sl.start
            for t, sl in x.design_info.term_name_slices.items()
            if sl.stop - sl.start > 1
        }
        raise EventStudyError(
            f"{where}: {n} event(s) and {k} coefficient(s); a regression needs more events "
            "than coefficients (no residual degrees of freedom, so no standard errors)"
            + (
                f"; categorical terms and their columns: {wide} (a text column is a "
                "category per value: numbers written as text, such as 1,234 or 5%, are not "
                "read as numbers)"
                if wide
                else ""
            )
        )
    if np.linalg.matrix_rank(xm) < k:
        kept: list[int] = []
        redundant: list[str] = []
        for j in range(k):
            if np.linalg.matrix_rank(xm[:, kept + [j]]) == len(kept) + 1:
                kept.append(j)
            else:
                redundant.append(str(x.columns[j]))
        raise EventStudyError(
            f"{where}: the regressors are collinear over the {n} events used: {redundant} "
            f"{'is' if len(redundant) == 1 else 'are'} constant or a linear combination of "
            f"{[str(x.columns[j]) for j in kept]} (up to rounding: rescale a variable whose "
            "values are tiny beside the others), so the coefficients are not identified; "
            "drop or combine the redundant terms"
        )
    if spec.cov_type in ("HC2", "HC3"):
        xw = xm
        if spec.weights == "patell":
            xw = xm / np.sqrt(data["var_car"].to_numpy(dtype=float))[:, None]
        h = np.einsum("ij,ij->i", xw @ np.linalg.pinv(xw.T @ xw), xw)
        return np.flatnonzero(h > _LEVERAGE_ONE).astype(np.int64)
    if spec.cov_type == "cluster":
        g = data[str(spec.cluster)].astype(str).nunique()
        if g < 2:
            raise EventStudyError(
                f"{where}: cluster column {spec.cluster!r} has {g} distinct value(s) over the "
                "events used; clustered standard errors need at least two clusters"
            )
    return np.zeros(0, dtype=np.int64)
