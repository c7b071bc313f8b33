r"""Factor models on a user-supplied factor frame: any named factors, FF3, Carhart, CH-3.

.. math::

   R_{it} - RF_t = \alpha_i + \sum_{j=1}^{p} b_{ij} f_{jt} + \varepsilon_{it}

by OLS over the estimation days on which the firm and every factor (and
``RF``) have a value, for all events at once (:func:`~eventstudy.models.base.ols_batch`).
The factor columns are used as given (a market factor ``MKT-RF`` is already
an excess return); an ``RF`` column, where the frame has one, turns the firm's
returns into excess returns (``excess=False`` keeps raw returns).  A session
without factors is treated like a day without a market return: it leaves the
estimation and has no abnormal return.

``AR_it = R_it - RF_t - α̂_i - Σ_j b̂_ij f_jt`` with the exact prediction-error
covariance :math:`\hat\sigma_i^2(I + F_0(Z'Z)^{-1}F_0')`.

References: Fama & French (1993), JFE 33, 3-56 (FF3: MKT-RF, SMB, HML);
Carhart (1997), JF 52, 57-82 (adds momentum, UMD); Liu, Stambaugh & Yuan
(2019), JFE 134, 48-69 (CH-3 for China: MKT, SMB, VMG).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd

from eventstudy.data.factors import FactorFrame, factor_key, read_factors
from eventstudy.exceptions import EventStudyError
from eventstudy.models.base import (
    FloatArray,
    ModelFit,
    NormalReturnModel,
    Regressors,
    _safe_div,
    ols_batch,
    regressors_missing,
)

__all__ = ["CH3", "FF3", "Carhart", "FactorModel"]

#: names a market factor may carry (matched by :func:`factor_key`)
MARKET_KEYS = ("MKTRF", "MKT", "RMRF", "MARKET", "MKTEXCESS", "RM")


@dataclass(frozen=True, eq=False)
class FactorModel(NormalReturnModel):
    """Regression on any named factors of a :class:`~eventstudy.data.factors.FactorFrame`.

    Parameters
    ----------
    factors : FactorFrame, DataFrame or path, optional
        The factor frame (read with :func:`~eventstudy.data.factors.read_factors`
        when not one already).  May be bound later by
        ``EventStudy(..., factors=...)``.
    columns : sequence of str, optional
        Factor columns to use (default: every column except ``RF``).
    excess : bool, optional
        Subtract ``RF`` from firm returns (default: when the frame has ``RF``).

    Notes
    -----
    ``beta`` in ``events.csv`` is the coefficient of the market factor (the
    column named MKT-RF, Mkt-RF, MKT, RMRF, ...), NaN if there is none; every
    coefficient is reported as ``coef_<name>`` with its ``se_<name>``, and
    ``n_missing_factor_days`` counts the estimation days on which the firm
    had a return but a factor (or RF) was missing.
    """

    factors: FactorFrame | None = None
    columns: tuple[str, ...] | None = None
    excess: bool | None = None

    name: ClassVar[str] = "factors"
    #: (canonical name, accepted aliases) of the factors a named model needs
    required: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()

    def __post_init__(self) -> None:
        if self.factors is not None and not isinstance(self.factors, FactorFrame):
            object.__setattr__(self, "factors", read_factors(self.factors))
        if self.columns is not None:
            if self.required:
                raise EventStudyError(
                    f"model {self.name!r} uses fixed factors; use model='factors' with "
                    "columns=... to choose them"
                )
            if isinstance(self.columns, str) or not len(self.columns):
                raise EventStudyError(
                    f"factors: columns must be a non-empty list of names, got {self.columns!r}"
                )
            object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))
        if self.excess is not None and not isinstance(self.excess, (bool, np.bool_)):
            raise EventStudyError(f"factors: excess must be True or False, got {self.excess!r}")
        if self.factors is not None:
            self._resolve()

    def with_factors(self, factors: Any) -> FactorModel:
        """A copy bound to ``factors`` (read with ``read_factors`` if needed)."""
        return replace(self, factors=read_factors(factors))

    # -- columns -----------------------------------------------------------
    def _frame(self) -> FactorFrame:
        if self.factors is None:
            raise EventStudyError(
                f"model {self.name!r} needs a factor frame: EventStudy(..., factors=frame "
                "or path) or CLI --factors FILE (see docs/data.md, 'Factor files')"
            )
        return self.factors

    def _resolve(self) -> tuple[list[tuple[str, str]], str | None]:
        """[(coefficient name, frame column)], and the RF column to subtract (or None)."""
        fr = self._frame()
        rf = fr.find("RF")
        pairs: list[tuple[str, str]] = []
        if self.required:
            for canon, aliases in self.required:
                col = fr.find(*aliases)
                if col is None:
                    raise EventStudyError(
                        f"model {self.name!r} needs factor {canon} (accepted names: "
                        f"{', '.join(aliases)}); the factor frame has {fr.columns}"
                    )
                pairs.append((canon, col))
        elif self.columns is not None:
            for c in self.columns:
                col = fr.find(c)
                if col is None:
                    raise EventStudyError(f"factors: column {c!r} is not in the frame {fr.columns}")
                if col == rf:
                    raise EventStudyError("factors: RF is the risk-free rate, not a factor")
                if (col, col) in pairs:
                    raise EventStudyError(
                        f"factors: columns {list(self.columns)} name factor {col!r} twice"
                    )
                pairs.append((col, col))
        else:
            pairs = [(c, c) for c in fr.columns if c != rf]
            if not pairs:
                raise EventStudyError(f"factors: the frame has no factor columns ({fr.columns})")
        use_rf = (rf is not None) if self.excess is None else bool(self.excess)
        if use_rf and rf is None:
            raise EventStudyError(
                f"factors: excess=True needs an RF column; the frame has {fr.columns}"
            )
        return pairs, (rf if use_rf else None)

    @property
    def k(self) -> int:
        if self.factors is None:
            return len(self.required or self.columns or ()) + 1
        return len(self._resolve()[0]) + 1

    @property
    def coef_names(self) -> tuple[str, ...]:
        if self.factors is None:
            return tuple(c for c, _ in self.required) or tuple(self.columns or ())
        return tuple(c for c, _ in self._resolve()[0])

    @property
    def options(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.columns is not None:
            out["columns"] = list(self.columns)
        if self.excess is not None:
            out["excess"] = bool(self.excess)
        return out

    @property
    def label(self) -> str:
        names = ", ".join(self.coef_names)
        if self.factors is None:
            return f"{self.name} ({names})"
        rf = self._resolve()[1]
        tail = "firm returns in excess of RF" if rf else "raw firm returns (no RF subtracted)"
        return f"{self.name} ({names}; {tail})"

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.factors is not None:
            rf = self._resolve()[1]
            fr = self.factors
            out["excess_returns"] = rf is not None
            out["factors"] = {
                "columns": fr.columns,
                "date_range": [str(fr.data.index[0].date()), str(fr.data.index[-1].date())],
                "provenance": fr.provenance,
                "notes": list(fr.notes),
            }
        return out

    # -- estimation --------------------------------------------------------
    def regressors(self, panel: Any) -> Regressors:
        # aligned once per panel: the study and its leakage diagnostics ask again
        cached = self.__dict__.get("_aligned")
        if cached is not None and cached[0].equals(panel.dates):
            return cast(Regressors, cached[1])
        pairs, rf = self._resolve()
        cols = [c for _, c in pairs] + ([rf] if rf else [])
        vals, notes = self._frame().align(panel.dates, cols)
        p = len(pairs)
        reg = Regressors(
            x=vals[:, :p],
            rf=vals[:, p] if rf else None,
            notes=tuple(self._frame().notes) + tuple(notes),
        )
        object.__setattr__(self, "_aligned", (pd.DatetimeIndex(panel.dates), reg))
        return reg

    def day0_missing(self, reg: Regressors, d0: Any) -> tuple[Any, str]:
        d0 = np.asarray(d0, dtype=np.int64)
        x0 = reg.gather(d0, np.zeros(1, dtype=np.int64))
        gone = regressors_missing(x0)[:, 0]
        if reg.rf is not None:
            gone |= np.isnan(reg.rf[d0])
        idx = self._frame().data.index
        return gone, (
            f"no factors on day 0 (missing factor or RF; the factor frame covers "
            f"{idx[0].date()}..{idx[-1].date()})"
        )

    def fit(self, y: FloatArray, x: FloatArray) -> ModelFit:
        names = self.coef_names
        if x.ndim == 2:
            x = x[..., None]
        if x.shape[-1] != len(names):
            raise EventStudyError(
                f"{self.name}: {x.shape[-1]} regressor column(s) for {len(names)} factors"
            )
        r = ols_batch(y, x)
        se = r.se()
        mkt = [j for j, nm in enumerate(names) if factor_key(nm) in MARKET_KEYS]
        j_m = mkt[0] if mkt else None
        cols: dict[str, FloatArray] = {"se_alpha": r.se_alpha()}
        beta = np.full(len(r.n), np.nan)
        if j_m is not None:
            beta = r.coef[:, j_m].copy()
            cols["se_beta"] = se[:, j_m]
        for j, nm in enumerate(names):
            cols[f"coef_{nm}"] = r.coef[:, j]
            cols[f"se_{nm}"] = se[:, j]
        cols["n_missing_factor_days"] = (~np.isnan(y) & ~r.mask).sum(axis=1).astype(np.float64)
        return ModelFit(
            alpha=r.alpha,
            beta=beta,
            sigma2=r.sigma2,
            n=r.n,
            dof=r.dof,
            c0=_safe_div(1.0, r.n.astype(np.float64)),
            xbar=r.xbar,
            sinv=r.sinv,
            degenerate=r.degenerate,
            pred=tuple(range(len(names))),
            names=names,
            columns=cols,
        )

    def abnormal(self, fit: ModelFit, y: FloatArray, x: FloatArray) -> FloatArray:
        if x.ndim == 2:
            x = x[..., None]
        out = y - fit.alpha[:, None]
        for j, nm in enumerate(fit.names):  # one (E, D) pass per regressor, contiguous
            out -= fit.columns[f"coef_{nm}"][:, None] * x[..., j]
        return out


@dataclass(frozen=True, eq=False)
class FF3(FactorModel):
    """Fama & French (1993) three factors: MKT-RF (or Mkt-RF), SMB, HML."""

    name: ClassVar[str] = "ff3"
    required: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = (
        ("MKT-RF", ("MKT-RF", "RMRF")),
        ("SMB", ("SMB",)),
        ("HML", ("HML",)),
    )


@dataclass(frozen=True, eq=False)
class Carhart(FactorModel):
    """Carhart (1997) four factors: FF3 plus momentum (UMD, also read from MOM or WML)."""

    name: ClassVar[str] = "carhart"
    required: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = (
        *FF3.required,
        ("UMD", ("UMD", "MOM", "WML", "Momentum")),
    )


@dataclass(frozen=True, eq=False)
class CH3(FactorModel):
    """Liu, Stambaugh & Yuan (2019) CH-3 for China: MKT (or MKT-RF), SMB, VMG."""

    name: ClassVar[str] = "ch3"
    required: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = (
        ("MKT", ("MKT", "MKT-RF")),
        ("SMB", ("SMB",)),
        ("VMG", ("VMG",)),
    )
