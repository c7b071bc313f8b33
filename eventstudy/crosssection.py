r"""Cross-sectional regressions of CAR, SCAR or BHAR on event and firm characteristics.

``results.cross_section("car ~ C(player_type) + C(board) + x", window=(0, 1))``
fits, by statsmodels' formula interface, one regression over the included
events with the dependent variable of the chosen window:

* ``car``: :math:`CAR_i(\tau_1,\tau_2)`, ``scar``: the standardised CAR
  :math:`CAR_i/\hat\sigma_{CAR,i}`, both from ``results.car``;
* ``bhar``: :math:`BHAR_i(\tau_1,\tau_2)` of a BHAR window (``results.bhar``).

The regressors come from the events ledger (every calendar column, the
estimates ``alpha``, ``beta``, ``sigma``, ``n_estimation``, the leakage and
limit columns, and ``board``, the listing board from the ticker when the
calendar has none) and from an optional characteristics table joined on
``event_id`` or on ``(ticker, date)``.

Standard errors (``cov_type``): ``"HC3"`` (default; MacKinnon & White 1985),
``"HC0"``-``"HC2"`` (White 1980), ``"nonrobust"``, or ``"cluster"`` on a column
(``cluster="ticker"`` or ``cov_kwds={"groups": "ticker"}``; statsmodels'
cluster-robust covariance with its small-sample correction,
:math:`\frac{G}{G-1}\frac{N-1}{N-K}`; Liang & Zeger 1986, Cameron & Miller
2015).  ``weights="patell"`` fits weighted least squares with

.. math::

   w_i = 1/\widehat{\operatorname{Var}}(CAR_i),\qquad
   \widehat{\operatorname{Var}}(CAR_i) = \hat\sigma_i^2\Bigl(n_w + c_{0i}n_w^2
   + c_{1i}\bigl(\textstyle\sum_{t\in w}(R_{mt}-\bar R_{mi})\bigr)^2\Bigr),

the exact prediction-error variance of the event's CAR (``var_car`` of
``results.car``), so events whose normal-return model predicts well weigh
more, as in the Patell (1976) standardisation.

Rows with a missing value in any variable of the formula are left out, and
named in a :class:`~eventstudy.exceptions.AnalysisWarning`; the regression
never drops them silently.
"""

from __future__ import annotations

import io
import keyword
import tokenize
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.crosssection_checks import check_design
from eventstudy.exceptions import AnalysisWarning, DataWarning, EventStudyError
from eventstudy.windows import Window, as_window

if TYPE_CHECKING:
    from eventstudy.results import EventStudyResults

__all__ = [
    "COV_TYPES",
    "CrossSectionSpec",
    "attach_characteristics",
    "cross_section",
    "cross_section_data",
    "formula_names",
    "regression_table",
]

COV_TYPES = ("HC3", "HC0", "HC1", "HC2", "nonrobust", "cluster")
DEPENDENT = ("car", "scar", "bhar")
#: names a formula may use that are functions or constants, not columns
_FORMULA_FUNCTIONS = {"C", "I", "Q", "np", "Treatment", "Sum", "Diff", "Poly", "center",
                      "standardize", "scale", "log", "exp", "sqrt", "abs", "True", "False",
                      "None"}  # fmt: skip


# ---------------------------------------------------------------- characteristics


def read_characteristics(source: pd.DataFrame | str | Path) -> pd.DataFrame:
    """A characteristics table from a frame or a CSV path (all columns as read)."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if path.is_dir():
        raise EventStudyError(f"characteristics {str(path)!r} is a directory, not a CSV file")
    if not path.is_file():
        raise EventStudyError(f"characteristics file {str(path)!r} does not exist")
    try:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
            warnings.warn(
                f"characteristics file {str(path)!r} is not UTF-8; read as GB18030 (GBK)",
                DataWarning,
                stacklevel=2,
            )
            return frame
    except UnicodeDecodeError as exc:
        raise EventStudyError(
            f"characteristics file {str(path)!r} is neither UTF-8 nor GB18030 (GBK) text; "
            "save it as UTF-8 CSV"
        ) from exc
    except (OSError, ValueError) as exc:
        raise EventStudyError(f"cannot read characteristics file {str(path)!r}: {exc}") from exc


def attach_characteristics(
    events: pd.DataFrame, characteristics: pd.DataFrame | str | Path
) -> pd.DataFrame:
    """Join a characteristics table to the events on ``event_id`` or ``(ticker, date)``.

    Raises :class:`~eventstudy.exceptions.EventStudyError` for a table
    without either key, a repeated key, a column that the events already
    have, or a row that matches no event (the rows are named).  Events
    without a row get missing values.
    """
    from eventstudy.tickers import normalize_ticker

    ch = read_characteristics(characteristics)
    ch.columns = [str(c).strip() for c in ch.columns]
    if "event_id" in ch.columns:
        key = ["event_id"]
        ch["event_id"] = ch["event_id"].astype(str).str.strip()
        left = events.assign(_k_event_id=events["event_id"].astype(str))
        lkeys = ["_k_event_id"]
        ch = ch.rename(columns={"event_id": "_k_event_id"})
    elif {"ticker", "date"} <= set(ch.columns):
        key = ["ticker", "date"]
        from eventstudy.dates import parse_dates

        # the library's one date policy (year first; day- or month-first text is
        # ambiguous and an error; zones converted to China time), as for the calendar
        dates = pd.Series(
            parse_dates(ch["date"], what="characteristics", error=EventStudyError).dates
        )
        ch = ch.assign(
            _k_ticker=[normalize_ticker(str(t)) for t in ch["ticker"]],
            _k_date=dates.dt.normalize().to_numpy(),
        ).drop(columns=["ticker", "date"])
        left = events.assign(
            _k_ticker=events["ticker"].astype(str).to_numpy(),
            _k_date=pd.to_datetime(events["date"], errors="coerce").dt.normalize().to_numpy(),
        )
        lkeys = ["_k_ticker", "_k_date"]
    else:
        raise EventStudyError(
            "characteristics need an event_id column or ticker and date columns to be "
            f"joined to the events; found {list(ch.columns)}"
        )
    dup = ch.duplicated(lkeys, keep=False)
    if dup.any():
        rows = list(np.flatnonzero(dup.to_numpy())[:5] + 1)
        raise EventStudyError(
            f"characteristics: {'/'.join(key)} repeats (rows {rows}); give one row per event"
        )
    clash = [c for c in ch.columns if c not in lkeys and c in events.columns]
    if clash:
        raise EventStudyError(
            f"characteristics column(s) {clash} already exist in the calendar; rename them"
        )
    matched = ch[lkeys].merge(left[lkeys].drop_duplicates(), how="left", indicator=True)
    unmatched = np.flatnonzero((matched["_merge"] == "left_only").to_numpy())
    if len(unmatched):
        shown = "; ".join(
            f"row {i + 1} ("
            + ", ".join(f"{k.removeprefix('_k_')}={_text(ch[k].iloc[i])}" for k in lkeys)
            + ")"
            for i in unmatched[:5]
        )
        raise EventStudyError(
            f"{len(unmatched)} characteristics row(s) match no event of the calendar: {shown}"
            + (" ..." if len(unmatched) > 5 else "")
        )
    out = left.merge(ch, how="left", on=lkeys, validate="many_to_one")
    return out.drop(columns=lkeys)


def _text(v: Any) -> str:
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return str(pd.Timestamp(v).date())
    return str(v)


# ---------------------------------------------------------------- formula


def formula_names(formula: str) -> tuple[list[str], list[str]]:
    """Column names used on the left and on the right of a formula.

    A name is a Python identifier that is not called as a function (``C(``,
    ``np.log(``), not an attribute (``np.log``), not a keyword argument
    (``reference=``) and not a known formula function; ``Q("name")`` quotes
    a column name.
    """
    if not isinstance(formula, str):
        raise EventStudyError(
            f"a cross-section formula must be text such as 'car ~ C(player_type)', got {formula!r}"
        )
    if formula.count("~") != 1:
        raise EventStudyError(
            f"cross-section formula {formula!r} must have the form 'car ~ x + C(group)'"
        )
    lhs, rhs = formula.split("~")

    def names(text: str) -> list[str]:
        try:
            toks = [
                t
                for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
            ]
        except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
            raise EventStudyError(f"cannot read the formula {formula!r}: {exc}") from None
        out: list[str] = []
        for k, t in enumerate(toks):
            prev = toks[k - 1].string if k else ""
            nxt = toks[k + 1].string if k + 1 < len(toks) else ""
            if t.type == tokenize.STRING and prev == "(" and k >= 2 and toks[k - 2].string == "Q":
                out.append(str(t.string[1:-1]))
                continue
            if t.type != tokenize.NAME or keyword.iskeyword(t.string):
                continue
            if nxt in ("(", ".", "=") or prev == "." or t.string in _FORMULA_FUNCTIONS:
                continue
            out.append(t.string)
        return list(dict.fromkeys(out))

    return names(lhs), names(rhs)


@dataclass(frozen=True)
class CrossSectionSpec:
    """One configured regression (``EventStudy(..., cross_section=...)``)."""

    formula: str
    window: Window = Window(0, 1)
    cov_type: str = "HC3"
    cluster: str | None = None
    weights: str | None = None

    @classmethod
    def build(cls, value: str | Mapping[str, Any] | CrossSectionSpec) -> CrossSectionSpec:
        """From a formula, a mapping of the fields, or a spec."""
        if isinstance(value, CrossSectionSpec):
            return value
        if isinstance(value, str):
            spec = cls(value)
        elif isinstance(value, Mapping):
            unknown = sorted(set(value) - {"formula", "window", "cov_type", "cluster", "weights"})
            if unknown or "formula" not in value:
                raise EventStudyError(
                    "a cross_section entry takes formula, window, cov_type, cluster and "
                    f"weights; got {sorted(value)}"
                )
            spec = cls(
                str(value["formula"]),
                as_window(value.get("window", (0, 1)), name="cross_section window"),
                str(value.get("cov_type", "HC3")),
                None if value.get("cluster") is None else str(value["cluster"]),
                None if value.get("weights") in (None, "none") else str(value["weights"]),
            )
        else:
            raise EventStudyError(
                f"cross_section must be a formula, a mapping or a list of them, got {value!r}"
            )
        spec.check()
        return spec

    def check(self) -> None:
        """Validate the covariance type, cluster and weights."""
        if self.cov_type not in COV_TYPES:
            raise EventStudyError(
                f"cov_type must be one of {list(COV_TYPES)}, got {self.cov_type!r}"
            )
        if (self.cov_type == "cluster") != (self.cluster is not None):
            raise EventStudyError(
                "cov_type='cluster' needs a cluster column (cluster='ticker'), and a "
                "cluster column needs cov_type='cluster'"
            )
        if self.weights not in (None, "patell"):
            raise EventStudyError(f"weights must be None or 'patell', got {self.weights!r}")
        formula_names(self.formula)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (recorded in the study's config)."""
        return {
            "formula": self.formula,
            "window": [self.window.start, self.window.end],
            "cov_type": self.cov_type,
            "cluster": self.cluster,
            "weights": self.weights,
        }


# ---------------------------------------------------------------- data and fit


def _numeric_if_possible(s: pd.Series) -> pd.Series:
    """A text column whose every non-empty value is a number, as float (else unchanged)."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s
    txt = s.astype("string").str.strip()
    empty = txt.isna() | (txt == "")
    num = pd.to_numeric(txt.where(~empty), errors="coerce")
    if bool((num.notna() | empty).all()) and bool(num.notna().any()):
        return num.astype(float)
    return s


def cross_section_data(
    results: EventStudyResults,
    window: Window | tuple[int, int] | str = (0, 1),
    *,
    characteristics: pd.DataFrame | str | Path | None = None,
) -> pd.DataFrame:
    """One row per included event: ledger columns, ``board``, and car/scar/var_car/bhar.

    ``car``, ``scar`` and ``var_car`` are those of CAR window ``window`` when
    it is one of the study's CAR windows, ``bhar`` that of BHAR window
    ``window`` when the study computed it (missing otherwise).
    """
    from eventstudy.market.boards import board_of

    w = as_window(window, name="cross_section window")
    ev = results.events
    if characteristics is not None:  # matched against every event, included or not
        ev = attach_characteristics(ev, characteristics)
    inc = ev[ev["status"] == "included"].reset_index(drop=True)
    if "board" not in inc.columns or inc["board"].isna().all():
        inc["board"] = [board_of(str(t)) for t in inc["ticker"]]
    car = results.car
    car = car[(car["window"] != "limit") & (car["start"] == w.start) & (car["end"] == w.end)]
    bh = results.bhar
    clash = [c for c in ("car", "scar", "var_car", "bhar") if c in inc.columns]
    if clash:
        raise EventStudyError(
            f"the calendar or characteristics have column(s) {clash}, which the cross-section "
            "reserves for the dependent variables; rename them"
        )
    out = inc.merge(
        car[["event_id", "car", "scar", "var_car"]], how="left", on="event_id", validate="1:1"
    )
    if len(bh):
        b = bh[(bh["start"] == w.start) & (bh["end"] == w.end)][["event_id", "bhar"]]
        out = out.merge(b, how="left", on="event_id", validate="1:1")
    else:
        out["bhar"] = np.nan
    out.attrs["car_window"] = bool(len(car))
    out.attrs["bhar_window"] = bool(len(bh)) and bool(
        ((bh["start"] == w.start) & (bh["end"] == w.end)).any()
    )
    return out


def cross_section(
    results: EventStudyResults,
    formula: str,
    window: Window | tuple[int, int] | str = (0, 1),
    *,
    cov_type: str = "HC3",
    cov_kwds: Mapping[str, Any] | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    characteristics: pd.DataFrame | str | Path | None = None,
) -> Any:
    """Fit a cross-sectional regression; returns a statsmodels results object.

    See the module docstring for the variables, covariance types and
    weights.  ``cov_kwds={"groups": "ticker"}`` is the same as
    ``cluster="ticker"``.  The data used are in ``model.data.frame`` of the
    returned object (``fit.model.data.frame``) with the events' ids.
    """
    import statsmodels.formula.api as smf

    if cov_kwds:
        extra = sorted(set(cov_kwds) - {"groups"})
        if extra:
            raise EventStudyError(f"cov_kwds takes only 'groups' (a column name), got {extra}")
        grp = cov_kwds["groups"]
        if not isinstance(grp, str):
            raise EventStudyError("cov_kwds={'groups': ...} must name a column, e.g. 'ticker'")
        if cluster is not None and cluster != grp:
            raise EventStudyError(f"cluster={cluster!r} and cov_kwds groups={grp!r} disagree")
        cluster = grp
    spec = CrossSectionSpec(
        formula, as_window(window, name="cross_section window"), cov_type, cluster, weights
    )
    spec.check()
    frame = cross_section_data(results, spec.window, characteristics=characteristics)
    lhs, rhs = formula_names(formula)
    dep = [n for n in lhs if n in DEPENDENT]
    if not dep:
        raise EventStudyError(
            f"the left side of {formula!r} must use car, scar or bhar (the dependent variable)"
        )
    w = spec.window
    if "bhar" in dep and not frame.attrs["bhar_window"]:
        bh = results.bhar
        have = (
            sorted({(int(a), int(b)) for a, b in zip(bh["start"], bh["end"], strict=True)})
            if len(bh)
            else []
        )
        raise EventStudyError(
            f"bhar over {w.label} was not computed; BHAR windows of the study: "
            f"{[Window(a, b).label for a, b in have] or 'none (give bhar_windows=...)'}"
        )
    if ("car" in dep or "scar" in dep) and not frame.attrs["car_window"]:
        have = results.config.get("car_windows", [])
        raise EventStudyError(
            f"{w.label} is not a CAR window of the study; CAR windows: "
            f"{[Window(int(a), int(b)).label for a, b in have]}"
        )
    used = list(dict.fromkeys(lhs + rhs + ([cluster] if cluster else [])))
    unknown = [n for n in used if n not in frame.columns]
    if unknown:
        raise EventStudyError(
            f"the formula {formula!r} names unknown column(s) {unknown}; columns available: "
            f"{sorted(map(str, frame.columns))}"
        )
    if spec.weights == "patell" and dep != ["car"]:
        raise EventStudyError(
            "weights='patell' (1/Var(CAR)) applies to a car regression, not to " + ", ".join(dep)
        )
    data = frame.copy()
    for c in used:
        data[c] = _numeric_if_possible(data[c])
    need = used + (["var_car"] if spec.weights == "patell" else [])
    miss = data[need].isna().any(axis=1) | data[need].apply(
        lambda s: s.astype("string").str.strip().eq("")
    ).any(axis=1)
    if miss.any():
        ids = data.loc[miss, "event_id"].astype(str).tolist()
        warnings.warn(
            f"cross-section {formula!r} over {w.label}: {len(ids)} event(s) left out for a "
            f"missing value in {need}: {', '.join(ids[:10])}" + (" ..." if len(ids) > 10 else ""),
            AnalysisWarning,
            stacklevel=3,
        )
        data = data[~miss.to_numpy()].reset_index(drop=True)
    if len(data) < 2:
        raise EventStudyError(
            f"cross-section {formula!r} over {w.label}: {len(data)} event(s) with every "
            "variable; a regression needs more"
        )
    while len(lev1 := check_design(formula, data, spec)):
        ids = data["event_id"].astype(str).to_numpy()[lev1]
        warnings.warn(
            f"cross-section {formula!r} over {w.label}: {len(ids)} event(s) left out, each "
            f"the only event of a category or dummy (leverage 1): {', '.join(ids[:10])}"
            + (" ..." if len(ids) > 10 else "")
            + f"; {spec.cov_type} standard errors divide by 1 - leverage and are undefined for "
            "them, and they determine only their own coefficient (give cov_type='HC1' to "
            "keep them)",
            AnalysisWarning,
            stacklevel=3,
        )
        keep = np.ones(len(data), dtype=bool)
        keep[lev1] = False
        data = data[keep].reset_index(drop=True)
    if spec.weights == "patell":
        model = smf.wls(formula, data=data, weights=1.0 / data["var_car"].to_numpy(dtype=float))
    else:
        model = smf.ols(formula, data=data)
    if cov_type == "cluster":
        codes = pd.factorize(data[str(cluster)])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    else:
        fit = model.fit(cov_type=cov_type, use_t=True)
    return fit


def regression_table(fit: Any, spec: CrossSectionSpec) -> pd.DataFrame:
    """Coefficient table ``term, coef, se, t, p`` with the regression's facts as columns."""
    se = fit.bse
    tab = pd.DataFrame(
        {
            "term": list(fit.params.index),
            "coef": fit.params.to_numpy(dtype=float),
            "se": se.to_numpy(dtype=float),
            "t": fit.tvalues.to_numpy(dtype=float),
            "p": fit.pvalues.to_numpy(dtype=float),
        }
    )
    tab.insert(0, "formula", spec.formula)
    tab.insert(1, "window", spec.window.label)
    tab["nobs"] = int(fit.nobs)
    tab["rsquared"] = float(fit.rsquared)
    tab["rsquared_adj"] = float(fit.rsquared_adj)
    tab["cov_type"] = cov_label(spec)
    tab["weights"] = spec.weights or "none"
    return tab


def cov_label(spec: CrossSectionSpec) -> str:
    """How the standard errors were computed, in words."""
    if spec.cov_type == "cluster":
        return f"cluster-robust by {spec.cluster}"
    if spec.cov_type == "nonrobust":
        return "OLS (homoskedastic)"
    return f"{spec.cov_type} (heteroskedasticity-robust)"


@dataclass(frozen=True)
class CrossSectionTable:
    """A configured regression's outcome: its table and the events it used or left out."""

    spec: CrossSectionSpec
    table: pd.DataFrame
    nobs: int
    dropped: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The entry of the ``cross_section`` block of ``summary.json``."""
        t = self.table
        return {
            **self.spec.to_dict(),
            "cov": cov_label(self.spec),
            "nobs": self.nobs,
            "rsquared": float(t["rsquared"].iloc[0]) if len(t) else None,
            "rsquared_adj": float(t["rsquared_adj"].iloc[0]) if len(t) else None,
            "params": {
                str(r.term): {"coef": _f(r.coef), "se": _f(r.se), "t": _f(r.t), "p": _f(r.p)}
                for r in t.itertuples(index=False)
            },
            "dropped": list(self.dropped),
        }


def _f(v: Any) -> float | None:
    f = float(v)
    return f if np.isfinite(f) else None


def run_configured(
    results: EventStudyResults, specs: tuple[CrossSectionSpec, ...]
) -> tuple[CrossSectionTable, ...]:
    """Fit the study's configured regressions (an invalid formula raises at fit time)."""
    out = []
    for spec in specs:
        fit = cross_section(
            results,
            spec.formula,
            spec.window,
            cov_type=spec.cov_type,
            cluster=spec.cluster,
            weights=spec.weights,
        )
        frame = cross_section_data(results, spec.window)
        used = set(fit.model.data.frame["event_id"].astype(str))
        dropped = tuple(e for e in frame["event_id"].astype(str) if e not in used)
        out.append(CrossSectionTable(spec, regression_table(fit, spec), int(fit.nobs), dropped))
    return tuple(out)
