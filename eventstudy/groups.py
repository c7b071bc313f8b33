r"""Groups of events: per-group AAR/CAAR with every test, and tests of their differences.

``results.by(column)`` (or ``EventStudy(..., groups=column)``) splits the
included events by the values of one column of the events ledger (a
calendar column such as ``event_type``, a characteristic, or ``board``) and
re-evaluates the study's whole test battery on each group.  Nothing is
refitted: every test works on the rows of the already computed arrays
(:class:`~eventstudy.inference.TestData`) that belong to the group, so a
group's numbers are exactly those of the study run on that group's events
alone.

Differences between groups, per CAR window, over the events with a CAR
(the first group in the order is the reference :math:`a`):

* ``welch_t``: Welch's (1947) t for :math:`\bar x_b - \bar x_a` with unequal
  variances, :math:`t = (\bar x_b - \bar x_a)/\sqrt{s_b^2/n_b + s_a^2/n_a}`,
  Welch-Satterthwaite degrees of freedom (``scipy.stats.ttest_ind(...,
  equal_var=False)``);
* ``rank_sum``: the Mann-Whitney (1947) / Wilcoxon rank-sum test (U of group
  :math:`b`, ``scipy.stats.mannwhitneyu``, two-sided); its estimate is the
  Hodges-Lehmann shift, the median of all differences :math:`x_b - x_a`;
* ``kruskal``: with more than two groups, the Kruskal-Wallis (1952) H test
  that all groups share one distribution;
* ``regression``: OLS of the CAR on group dummies (statsmodels formula
  ``car ~ C(group)``) with HC3 standard errors (MacKinnon & White 1985); the
  coefficient of group :math:`b` is :math:`\bar x_b - \bar x_a`;
  ``regression_wald`` is the joint F test (HC3) that all dummies are zero.

Events whose group value is missing form the group ``(missing)``: reported
with its own AAR/CAAR and tests, and left out of the difference tests (the
count is stated).  Groups with fewer than two events with a CAR are left out
of the difference tests of that window, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy.exceptions import EventStudyError
from eventstudy.group_tests import DIFF_COLUMNS, difference_tests
from eventstudy.intervals import LEVEL_REMOVED, check_alpha, reject_level
from eventstudy.tables import opt, tests_dict, tests_frame
from eventstudy.windows import Window, as_window, window_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from eventstudy.inference import TestData
    from eventstudy.report.summary import Summary

__all__ = [
    "MISSING_GROUP",
    "GroupResults",
    "difference_tests",
    "group_labels",
    "group_results",
    "subset_data",
]

MISSING_GROUP = "(missing)"
MAX_GROUPS = 20


def group_labels(values: pd.Series, column: str) -> tuple[NDArray[np.object_], list[str], int]:
    """Text labels of a group column, their order, and the number of missing values.

    Missing values (NaN, None, empty text) become :data:`MISSING_GROUP`.  The
    order follows a categorical column's categories, otherwise the group
    size (largest first, then the label); the missing group comes last.
    """
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_float_dtype(s) and not bool((s.dropna() % 1 == 0).all()):
        raise EventStudyError(
            f"group column {column!r} holds continuous numbers; groups need a categorical "
            "column (regress on it with results.cross_section instead)"
        )
    miss = s.isna().to_numpy() | (s.astype("string").fillna("").str.strip() == "").to_numpy()
    text = s.astype("string").fillna("").str.strip().to_numpy(dtype=object)
    text[miss] = MISSING_GROUP
    present = pd.Series(text[~miss])
    if (present == MISSING_GROUP).any():
        raise EventStudyError(
            f"group column {column!r}: {int((present == MISSING_GROUP).sum())} event(s) have "
            f"the value {MISSING_GROUP!r}, which names the group of events without a value; "
            "rename that value"
        )
    if s.dtype == object:
        # distinct values that print alike (1 and "1") would be pooled silently
        raw = s[~miss]
        kind = raw.map(lambda v: "text" if isinstance(v, str) else type(v).__name__)
        per = pd.DataFrame({"text": present.to_numpy(), "kind": kind.to_numpy()})
        mixed = per.groupby("text")["kind"].nunique()
        if (mixed > 1).any():
            t = str(mixed[mixed > 1].index[0])
            kinds = sorted(per.loc[per["text"] == t, "kind"].unique())
            raise EventStudyError(
                f"group column {column!r} holds the value {t!r} as {' and as '.join(kinds)}: "
                "values of different types that print alike would be pooled into one group; "
                "give the column one type"
            )
    uniq = pd.Series(present.unique(), dtype=object)
    folded = uniq.str.casefold().str.replace(r"[\s_]+", " ", regex=True)
    clash = folded[folded.duplicated(keep=False)]
    if len(clash):
        same = sorted(uniq[folded == clash.iloc[0]])
        raise EventStudyError(
            f"group column {column!r} spells one value in several ways {same}: they would "
            "form separate groups; give them one spelling (es.load_calendar normalises "
            "event_type, player_type and board)"
        )
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in s.cat.categories]
        order = [c for c in cats if c in set(present)]
    else:
        counts = present.value_counts()
        order = sorted(counts.index, key=lambda g: (-int(counts[g]), str(g)))
    if len(order) > MAX_GROUPS:
        raise EventStudyError(
            f"group column {column!r} has {len(order)} distinct values (more than "
            f"{MAX_GROUPS}); groups need a categorical column (regress on a continuous "
            "characteristic with results.cross_section instead)"
        )
    n_missing = int(miss.sum())
    if n_missing:
        order.append(MISSING_GROUP)
    return text, [str(g) for g in order], n_missing


def subset_data(data: TestData, rows: NDArray[np.int64]) -> TestData:
    """The rows ``rows`` (events) of every per-event array of ``data``."""
    per_event = ("ar", "sar", "car", "scar", "dof", "n_est", "est_ar", "sigma2", "day0")
    upd = {}
    for f in fields(data):
        v = getattr(data, f.name)
        if f.name in per_event and v is not None:
            upd[f.name] = v[rows]
    return replace(data, **upd)


def _nanmean_n(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    n = (~np.isnan(x)).sum(axis=0).astype(np.int64)
    with np.errstate(invalid="ignore"):
        m = np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)
    return m, n


@dataclass(frozen=True)
class GroupResults:
    """Per-group results of one group column (read-only; accessors return copies).

    Attributes
    ----------
    column : str
        The group column.
    order : tuple of str
        The groups, reference first (see :func:`group_labels`).
    n_missing : int
        Events without a value; they form the group ``(missing)`` and are
        left out of the difference tests.
    """

    column: str
    order: tuple[str, ...]
    n_missing: int
    _counts: pd.DataFrame
    _caar: pd.DataFrame
    _aar: pd.DataFrame
    _tests: pd.DataFrame
    _path: pd.DataFrame
    _difference: pd.DataFrame
    simulated: bool = False
    _bhar: pd.DataFrame = field(default_factory=pd.DataFrame)
    _reversal: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def counts(self) -> pd.DataFrame:
        """``group, n_events``."""
        return self._counts.copy()

    @property
    def caar(self) -> pd.DataFrame:
        """``group, window, start, end, caar, n, t`` and ``p_<test>`` for every test."""
        return self._caar.copy()

    @property
    def aar(self) -> pd.DataFrame:
        """``group, tau, aar, n`` and ``p_<test>`` for every test."""
        return self._aar.copy()

    @property
    def tests(self) -> pd.DataFrame:
        """Tidy table of every test for every group, event day and window."""
        return self._tests.copy()

    @property
    def path(self) -> pd.DataFrame:
        """``group, tau, caar, sd, n``: mean cumulative AR from the first event day."""
        return self._path.copy()

    @property
    def bhar(self) -> pd.DataFrame:
        """Per group and BHAR window: ``group`` and the columns of ``results.bhar_tests``."""
        return self._bhar.copy()

    @property
    def reversal(self) -> pd.DataFrame:
        """Per group: ``group`` and the columns of ``results.reversal``."""
        return self._reversal.copy()

    @property
    def difference(self) -> pd.DataFrame:
        """Tests of the difference between groups per window (module docstring)."""
        return self._difference.copy()

    def group(self, name: str) -> pd.DataFrame:
        """The CAAR rows of one group."""
        if name not in self.order:
            raise KeyError(f"no group {name!r} in column {self.column!r}; groups: {self.order}")
        return self._caar[self._caar["group"] == name].reset_index(drop=True)

    def notes(
        self,
        window: Window | tuple[int, int] | str | None = None,
        alpha: float = 0.05,
        *,
        level: Any = LEVEL_REMOVED,
    ) -> list[str]:
        """Plain-language lines on the difference tests of one window (default [0,+1]),
        at significance level ``alpha``; ``window`` may be a label such as ``"[0,+1]"``."""
        reject_level(level, "GroupResults.notes", meant="significance")
        alpha = check_alpha(alpha, where="GroupResults.notes alpha")
        d = self._difference
        wins = list(dict.fromkeys(zip(d["start"], d["end"], strict=True)))
        if not wins:
            return []
        if window is not None:
            w = as_window(window, name="window")
            a, b = w.start, w.end
        else:
            a, b = (0, 1) if (0, 1) in wins else wins[0]
        sel = d[(d["start"] == a) & (d["end"] == b)]
        out = []
        for why in sel.loc[sel["test"].isin(["left_out", "none"]), "reason"]:
            out.append(f"CAR{window_label(a, b)}: {why}.")
        tested = sel[sel["test"].isin(["welch_t", "rank_sum", "regression"])]
        for comp, g in tested.groupby("comparison", sort=False):
            ok = g[g["pvalue"].notna()]
            if ok.empty:
                continue
            est = ok[ok["test"] == "welch_t"]["estimate"]
            ps = ", ".join(
                f"{t} p = {p:.3g}" for t, p in zip(ok["test"], ok["pvalue"], strict=True)
            )
            rej = int((ok["pvalue"] < alpha).sum())
            head = f"CAR{window_label(a, b)} {comp}"
            if len(est):
                head += f": difference in means {float(est.iloc[0]):+.2%}"
            out.append(f"{head} ({ps}); {rej} of {len(ok)} reject equality at {alpha:.0%}.")
        if self.n_missing:
            out.append(
                f"{self.n_missing} event(s) without a {self.column!r} value form the group "
                f"{MISSING_GROUP!r} and are left out of the difference tests."
            )
        return out

    def summary(self, alpha: float = 0.05, *, level: Any = LEVEL_REMOVED) -> Summary:
        """CAAR by group and window with p-values, and the difference tests (notes at
        significance level ``alpha``)."""
        from eventstudy.report.summary import Summary

        reject_level(level, "GroupResults.summary", meant="significance")
        head = [
            ("Group column", self.column),
            ("Groups", ", ".join(f"{g} ({n})" for g, n in self._counts.itertuples(index=False))),
            ("Reference", self.order[0] if self.order else ""),
        ]
        tables = [
            ("CAAR by group and window (p-values by test)", self.caar),
            ("Differences between groups", self.difference),
        ]
        return Summary(head, tables, tuple(self.notes(alpha=alpha)), title="Groups")

    def to_dict(self) -> dict[str, Any]:
        """The ``groups`` block of ``summary.json``."""
        tests = self._tests
        sizes = dict(zip(self._counts["group"], self._counts["n_events"], strict=True))
        out_groups = []
        for g in self.order:
            tg = tests[tests["group"] == g]
            win = {k: v for k, v in tg[tg["scope"] == "window"].groupby(["start", "end"])}
            day = {k: v for k, v in tg[tg["scope"] == "day"].groupby("tau")}
            cg = self._caar[self._caar["group"] == g]
            ag = self._aar[self._aar["group"] == g]
            empty = tests.iloc[0:0]
            out_groups.append(
                {
                    "group": g,
                    "n_events": int(sizes[g]),
                    "caar": [
                        {
                            "window": [int(s), int(e)],
                            "caar": opt(c),
                            "n": int(n),
                            "tests": tests_dict(win.get((int(s), int(e)), empty)),
                        }
                        for s, e, c, n in zip(
                            cg["start"], cg["end"], cg["caar"], cg["n"], strict=True
                        )
                    ],
                    "aar": [
                        {
                            "tau": int(t),
                            "aar": opt(m),
                            "n": int(n),
                            "tests": tests_dict(day.get(int(t), empty)),
                        }
                        for t, m, n in zip(ag["tau"], ag["aar"], ag["n"], strict=True)
                    ],
                }
            )
        diff = []
        for r in self._difference.to_dict(orient="records"):
            diff.append(
                {
                    "window": [int(r["start"]), int(r["end"])],
                    "test": r["test"],
                    "comparison": None if pd.isna(r["comparison"]) else str(r["comparison"]),
                    "estimate": opt(r["estimate"]),
                    "stat": opt(r["stat"]),
                    "pvalue": opt(r["pvalue"]),
                    "df": opt(r["df"]),
                    "n": None if pd.isna(r["n"]) else int(r["n"]),
                    "reason": str(r["reason"]) if r["reason"] else None,
                }
            )
        from eventstudy.longrun import json_row

        long_run: dict[str, Any] = {"bhar": None, "reversal": None}
        for key, frame in (("bhar", self._bhar), ("reversal", self._reversal)):
            if len(frame):
                long_run[key] = [
                    {
                        "group": g,
                        "rows": [
                            json_row(r) for r in sub.drop(columns="group").to_dict(orient="records")
                        ],
                    }
                    for g, sub in frame.groupby("group", sort=False)
                ]
        return {
            "column": self.column,
            "reference": self.order[0] if self.order else None,
            "n_missing": self.n_missing,
            "missing": "own group, left out of the difference tests",
            "groups": out_groups,
            "difference": diff,
            **long_run,
        }

    def plot(
        self, ax: Axes | None = None, *, alpha: float = 0.05, level: Any = LEVEL_REMOVED
    ) -> Axes:
        """CAAR path of every group with its ``1 - alpha`` confidence band; returns the Axes."""
        from eventstudy.report.questions import plot_groups

        reject_level(level, "GroupResults.plot", meant="confidence")
        return plot_groups(self, ax=ax, alpha=alpha)


def group_results(
    column: str,
    values: pd.Series,
    data: TestData,
    tests: list[Any],
    spec: Any,
    *,
    simulated: bool = False,
    event_ids: NDArray[Any] | None = None,
    bhar: Any = None,
) -> GroupResults:
    """Evaluate every test on each group's rows of ``data`` (internal; see ``results.by``).

    ``values`` holds the group value of each row of ``data`` (the included
    events, in order); ``spec`` is the study's window specification.  With
    the study's :class:`~eventstudy.longrun.BHARResult` and the rows'
    ``event_ids``, the BHAR tests and the reversal table are also given per
    group.
    """
    labels, order, n_missing = group_labels(values, column)
    taus = data.taus
    caar_rows, aar_rows, test_frames, path_rows, counts = [], [], [], [], []
    names = [t.name for t in tests]
    for g in order:
        rows = np.flatnonzero(labels == g).astype(np.int64)
        sub = subset_data(data, rows)
        counts.append({"group": g, "n_events": len(rows)})
        out = {t.name: (t, t.daily(sub), t.window(sub)) for t in tests}
        tf = tests_frame(out, taus, spec)
        tf.insert(0, "group", g)
        test_frames.append(tf)
        caar, n_w = _nanmean_n(sub.car)
        aar, n_t = _nanmean_n(sub.ar)
        caar_rows.append(
            pd.DataFrame(
                {
                    "group": g,
                    "window": [window_label(a, b) for a, b in data.windows],
                    "start": [a for a, _ in data.windows],
                    "end": [b for _, b in data.windows],
                    "caar": caar,
                    "n": n_w,
                }
            )
        )
        aar_rows.append(pd.DataFrame({"group": g, "tau": taus, "aar": aar, "n": n_t}))
        cum = np.cumsum(np.where(np.isnan(sub.ar), 0.0, sub.ar), axis=1)
        e = len(rows)
        path_rows.append(
            pd.DataFrame(
                {
                    "group": g,
                    "tau": taus,
                    "caar": cum.mean(axis=0) if e else np.full(len(taus), np.nan),
                    "sd": cum.std(axis=0, ddof=1) if e > 1 else np.full(len(taus), np.nan),
                    "n": e,
                }
            )
        )
    tests_df = pd.concat(test_frames, ignore_index=True)
    caar_df = _with_pvalues(pd.concat(caar_rows, ignore_index=True), tests_df, "window", names)
    aar_df = _with_pvalues(pd.concat(aar_rows, ignore_index=True), tests_df, "day", names)
    diffs = []
    compare = [g for g in order if g != MISSING_GROUP]
    for j, (a, b) in enumerate(data.windows):
        vals = {g: data.car[labels == g, j] for g in compare}
        diffs.append(difference_tests(vals, compare, (a, b)))
    diff = pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame(columns=DIFF_COLUMNS)
    return GroupResults(
        column=column,
        order=tuple(order),
        n_missing=n_missing,
        _counts=pd.DataFrame(counts, columns=["group", "n_events"]),
        _caar=caar_df,
        _aar=aar_df,
        _tests=tests_df,
        _path=pd.concat(path_rows, ignore_index=True),
        _difference=diff,
        simulated=simulated,
        **_group_long_run(bhar, event_ids, labels, order),
    )


def _group_long_run(
    bhar: Any, event_ids: NDArray[Any] | None, labels: NDArray[Any], order: list[str]
) -> dict[str, pd.DataFrame]:
    """BHAR tests and reversal table of every group (empty without BHAR)."""
    if bhar is None or event_ids is None or not len(bhar.frame):
        return {}
    from eventstudy.longrun_tests import bhar_tests, reversal_table

    st = bhar.settings
    wins = [Window(int(a), int(b)) for a, b in st["windows"]]
    initial = Window(*(int(v) for v in st["initial_window"]))
    boot = st["bootstrap"]
    of = dict(zip(np.asarray(event_ids).astype(str), labels, strict=True))
    fr = bhar.frame
    grp = fr["event_id"].astype(str).map(of)
    tests, revs = [], []
    for g in order:
        sub = fr[(grp == g).to_numpy()]
        t = bhar_tests(sub, wins, reps=boot["reps"], fraction=boot["fraction"], seed=boot["seed"])
        tests.append(t.assign(group=g))
        revs.append(reversal_table(sub, initial, wins, t).assign(group=g))
    first = ["group"]
    bt = pd.concat(tests, ignore_index=True)
    rv = pd.concat(revs, ignore_index=True)
    return {
        "_bhar": bt[first + [c for c in bt.columns if c != "group"]],
        "_reversal": rv[first + [c for c in rv.columns if c != "group"]],
    }


def _with_pvalues(
    base: pd.DataFrame, tests: pd.DataFrame, scope: str, names: list[str]
) -> pd.DataFrame:
    """Add ``t`` (cross-sectional t) and one ``p_<test>`` column per test."""
    t = tests[tests["scope"] == scope]
    keys = ["group", "start", "end"] if scope == "window" else ["group", "tau"]
    t = t.assign(**{k: t[k].astype("int64") for k in keys if k != "group"})
    wide = t.pivot_table(index=keys, columns="test", values="pvalue", dropna=False)
    wide = wide.reindex(columns=names)
    wide.columns = [f"p_{c}" for c in wide.columns]
    st = t[t["test"] == "csect_t"].set_index(keys)["stat"].rename("t")
    out = base.merge(st, how="left", left_on=keys, right_index=True)
    return out.merge(wide, how="left", left_on=keys, right_index=True)
