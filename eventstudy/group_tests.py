"""Tests of the difference between groups of events over one CAR window.

See :mod:`eventstudy.groups` for the definitions (Welch t, rank-sum with the
Hodges-Lehmann shift, Kruskal-Wallis, the HC3 dummy regression and its Wald
test); :func:`difference_tests` is re-exported there.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.estimation_checks import SIGMA_FLOOR
from eventstudy.windows import window_label

__all__ = ["DIFF_COLUMNS", "difference_tests"]

DIFF_COLUMNS = [
    "window",
    "start",
    "end",
    "test",
    "comparison",
    "group",
    "reference",
    "estimate",
    "stat",
    "pvalue",
    "df",
    "n",
    "n_group",
    "n_reference",
    "reason",
]


def difference_tests(
    values: dict[str, NDArray[np.float64]], order: list[str], window: tuple[int, int]
) -> pd.DataFrame:
    """Welch t, rank-sum, Kruskal-Wallis and the HC3 dummy regression for one window.

    ``values`` maps each group to its CARs (NaN allowed, dropped); groups
    with fewer than 2 values are left out.  The first usable group of
    ``order`` is the reference.
    """
    import statsmodels.formula.api as smf
    from scipy import stats

    a, b = window
    label = window_label(a, b)
    clean = {g: v[~np.isnan(v)] for g, v in values.items()}
    rows: list[dict[str, Any]] = []
    small = [g for g in order if g in clean and len(clean[g]) < 2]
    usable = [g for g in order if g in clean and len(clean[g]) >= 2]

    def row(test: str, **kw: Any) -> dict[str, Any]:
        base: dict[str, Any] = dict.fromkeys(DIFF_COLUMNS, np.nan)
        base.update(window=label, start=a, end=b, test=test, reason="")
        base.update(kw)
        return base

    ref = usable[0] if usable else None
    for g in small:
        rows.append(
            row(
                "left_out",
                comparison=f"{g} - {ref}" if ref is not None else g,
                group=g,
                reference=ref,
                n_group=len(clean[g]),
                reason=f"group {g!r} has {len(clean[g])} event(s) with a CAR; "
                "left out of the difference tests (needs at least 2)",
            )
        )
    if ref is None or len(usable) < 2:
        rows.append(
            row("none", comparison="all groups", reason="fewer than two groups with 2+ events")
        )
        return _typed(pd.DataFrame(rows, columns=DIFF_COLUMNS))
    dev = np.concatenate([clean[g] - clean[g].mean() for g in usable])
    within = float(np.sqrt((dev * dev).sum() / max(len(dev) - len(usable), 1)))
    if within < SIGMA_FLOOR:  # every group constant: t and F would be infinite
        rows.append(
            row(
                "none",
                comparison="all groups",
                reason=f"no variance of the CARs within the groups (pooled sd {within:.2g} "
                f"< {SIGMA_FLOOR:g}): the difference tests are undefined",
            )
        )
        return _typed(pd.DataFrame(rows, columns=DIFF_COLUMNS))
    xa = clean[ref]
    flat: set[str] = set()  # groups that, like the reference, have constant CARs
    for g in usable[1:]:
        xb = clean[g]
        comp = f"{g} - {ref}"
        common = {
            "comparison": comp,
            "group": g,
            "reference": ref,
            "n": len(xa) + len(xb),
            "n_group": len(xb),
            "n_reference": len(xa),
        }
        se = float(np.sqrt(xb.var(ddof=1) / len(xb) + xa.var(ddof=1) / len(xa)))
        if se < SIGMA_FLOOR:  # both groups constant: Welch's t is infinite
            flat.add(g)
            rows.append(
                row(
                    "welch_t",
                    estimate=float(xb.mean() - xa.mean()),
                    reason=f"no variance of the CARs within {g!r} and {ref!r}",
                    **common,
                )
            )
        else:
            with warnings.catch_warnings():  # one constant group: t is still defined
                warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
                w = stats.ttest_ind(xb, xa, equal_var=False)
            rows.append(
                row(
                    "welch_t",
                    estimate=float(xb.mean() - xa.mean()),
                    stat=float(w.statistic),
                    pvalue=float(w.pvalue),
                    df=float(w.df),
                    **common,
                )
            )
        u = stats.mannwhitneyu(xb, xa, alternative="two-sided")
        rows.append(
            row(
                "rank_sum",
                estimate=float(np.median(np.subtract.outer(xb, xa))),
                stat=float(u.statistic),
                pvalue=float(u.pvalue),
                **common,
            )
        )
    if len(usable) > 2:
        kw = stats.kruskal(*[clean[g] for g in usable])
        rows.append(
            row(
                "kruskal",
                comparison="all groups",
                stat=float(kw.statistic),
                pvalue=float(kw.pvalue),
                df=float(len(usable) - 1),
                n=int(sum(len(clean[g]) for g in usable)),
            )
        )
    # the regression form: CAR on group dummies, HC3
    codes = {g: f"g{k:03d}" for k, g in enumerate(usable)}
    df = pd.DataFrame(
        {
            "car": np.concatenate([clean[g] for g in usable]),
            "group": np.concatenate([[codes[g]] * len(clean[g]) for g in usable]),
        }
    )
    fit = smf.ols("car ~ C(group)", data=df).fit(cov_type="HC3", use_t=True)
    names = list(fit.params.index)
    for g in usable[1:]:
        term = f"C(group)[T.{codes[g]}]"
        same = dict(
            comparison=f"{g} - {ref}",
            group=g,
            reference=ref,
            estimate=float(fit.params[term]),
            n=int(fit.nobs),
        )
        if g in flat:  # its HC3 variance is made of zero residuals only
            why = f"no variance of the CARs within {g!r} and {ref!r}"
            rows.append(row("regression", **same, reason=why))
            continue
        rows.append(
            row(
                "regression",
                **same,
                stat=float(fit.tvalues[term]),
                pvalue=float(fit.pvalues[term]),
                df=float(fit.df_resid),
                n_group=len(clean[g]),
                n_reference=len(xa),
            )
        )
    if len(usable) > 2 and flat:
        rows.append(
            row(
                "regression_wald",
                comparison="all groups",
                reference=ref,
                n=int(fit.nobs),
                reason=f"not computed: no variance of the CARs within {sorted(flat)} and {ref!r}",
            )
        )
    elif len(usable) > 2:
        r = np.zeros((len(usable) - 1, len(names)))
        for k, g in enumerate(usable[1:]):
            r[k, names.index(f"C(group)[T.{codes[g]}]")] = 1.0
        wt = fit.wald_test(r, use_f=True, scalar=True)
        rows.append(
            row(
                "regression_wald",
                comparison="all groups",
                reference=ref,
                stat=float(np.squeeze(wt.statistic)),
                pvalue=float(wt.pvalue),
                df=float(wt.df_denom),
                n=int(fit.nobs),
            )
        )
    return _typed(pd.DataFrame(rows, columns=DIFF_COLUMNS))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Counts as nullable integers."""
    for c in ("start", "end", "n", "n_group", "n_reference"):
        df[c] = pd.array(df[c].to_numpy(dtype=float), dtype="Float64").astype("Int64")
    return df
