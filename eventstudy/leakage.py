r"""Pre-announcement run-up diagnostics and per-event leakage flags (DESIGN 5).

For every included event, on its own market model:

* the CARs over [-20,-1], [-10,-1] and [-5,-1] and their standardised values
  :math:`SCAR = CAR/\sqrt{\gamma'V\gamma}` (exact prediction-error variance,
  as in :mod:`eventstudy.abnormal`);
* the run-up ratio :math:`CAR[-5,-1]/CAR[-5,+1]` (Keown & Pinkerton 1981;
  Schwert 1996), reported only where the denominator is material,
  :math:`|SCAR[-5,+1]| \ge 2`;
* the number of limit-up closes in [-5,-1] (needs prices);
* abnormal volume, :math:`AV = \sqrt{n}\,\overline{z}` over the ``n`` traded
  days of [-5,-1], with :math:`z_t = (\log V_t - \bar v)/s_v` against the mean
  and standard deviation of log volume over the estimation window (needs
  volume; zero-volume days are not traded).

The same statistics are computed at **pseudo-event dates** of the same
firms: up to ``placebo_per_firm`` random trading days per firm (fewer when
the firms are many: the total is capped near ``max_placebo``, default 20,000,
with at least 10 per firm) whose window
[-20,+1] overlaps no event window of that firm.  Each event's statistic gets
an empirical upper-tail p-value against the pooled placebo distribution,
:math:`p = (1 + \#\{placebo \ge x\})/(M + 1)`, which needs no normality.

**Flag.**  Two rules can raise it: the *run-up score*
:math:`(SCAR[-5,-1] + AV)/\sqrt2`, which adds the price and the volume
evidence of informed trading (SCAR[-5,-1] alone without volume), and the
number of limit-up closes in [-5,-1].  An event is flagged when its smaller
placebo p-value is at most :math:`\tau`, where :math:`\tau` is set on the
placebo events (each against the others) so that a share ``alpha``
(default 5%) of them would be flagged: the threshold comes from the placebo
distribution, family-wise over the rules, not from any planted truth.  The
rules that fired are listed with their values and p-values; the other
statistics (SCAR[-5,-1], SCAR[-10,-1], AV) are reported with their own
placebo p-values.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from eventstudy._leak_grid import _Grids, _grids, _placebo_positions
from eventstudy._leak_grid import _smallest_rows as _smallest_rows  # re-exported
from eventstudy.abnormal import compute_abnormal
from eventstudy.align import window_values
from eventstudy.estimation_checks import MAX_STANDARDISED, estimation_problems
from eventstudy.exceptions import EventStudyError, WindowError
from eventstudy.models import ModelFit, NormalReturnModel, regressors_missing
from eventstudy.windows import Window

__all__ = ["LEAK_RULES", "LEAK_STATS", "LeakageResult", "leakage_diagnostics"]

PRE_WINDOWS: Final = ((-20, -1), (-10, -1), (-5, -1))
_TAUS: Final = np.arange(-20, 2, dtype=np.int64)
#: rule name -> (statistic column, words); every statistic gets a placebo p-value
LEAK_STATS: Final = {
    "runup": ("runup_score", "run-up score (price and volume) in [-5,-1]"),
    "limit_ups": ("limit_ups_m5_m1", "limit-up closes in [-5,-1]"),
    "scar_5": ("scar_m5_m1", "standardised CAR[-5,-1]"),
    "scar_10": ("scar_m10_m1", "standardised CAR[-10,-1]"),
    "volume": ("abnormal_volume", "abnormal log volume in [-5,-1]"),
}
#: the statistics whose p-values can raise the flag
LEAK_RULES: Final = {k: LEAK_STATS[k] for k in ("runup", "limit_ups")}
MATERIAL_SCAR: Final = 2.0
#: pseudo-events per firm never drop below this when ``max_placebo`` caps the total
MIN_PER_FIRM: Final = 10


@dataclass(frozen=True)
class LeakageResult:
    """Per-event table, placebo table and the calibration of the flag."""

    table: pd.DataFrame
    placebo: pd.DataFrame
    threshold: float
    alpha: float
    rules: list[str]
    placebo_path: pd.DataFrame = field(default_factory=pd.DataFrame)
    labels: dict[str, str] = field(default_factory=dict)
    estimation_window: tuple[int, int] | None = None
    note: str = ""

    def summary(self) -> dict[str, Any]:
        """Aggregate facts for ``summary.json``."""
        t = self.table
        flagged = t[t["leak_flag"] == True]  # noqa: E712 - nullable boolean
        return {
            "alpha": self.alpha,
            "estimation_window": None
            if self.estimation_window is None
            else list(self.estimation_window),
            "estimation_note": self.note or None,
            "threshold_p": None if not np.isfinite(self.threshold) else float(self.threshold),
            "rules": {r: self.labels.get(r, LEAK_RULES[r][1]) for r in self.rules},
            "n_placebo": len(self.placebo),
            "n_events": len(t),
            "n_flagged": len(flagged),
            "flagged": [
                {"event_id": str(e), "rules": str(r)}
                for e, r in zip(flagged["event_id"], flagged["leak_rules"], strict=True)
            ],
        }


#: Events per block of :func:`_stats` (bounds its temporary arrays).
STATS_BLOCK: Final = 20_000
#: Events per block of the estimation (gather, fit, checks) inside a block of
#: :func:`_stats`: the block's (events x days) arrays stay in the processor's cache.
FIT_ROWS: Final = 1024


def _stats(
    panel: Any,
    model: NormalReturnModel,
    est: Window,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    lu: NDArray[np.int8] | None,
    status: NDArray[np.int8] | None,
    logvol: NDArray[np.float64] | None,
    min_days: int,
    exclude: NDArray[np.bool_] | None = None,
    grids: _Grids | None = None,
    fit: ModelFit | None = None,
) -> tuple[pd.DataFrame, NDArray[np.float64]]:
    """Statistics of events (tk, d0), computed in blocks of :data:`STATS_BLOCK` events.

    ``fit``, when given, is the model already fitted on ``est`` for these
    events, all of which passed the estimation checks (the study's own fit).
    """
    parts = [
        _stats_block(
            panel,
            model,
            est,
            tk[lo : lo + STATS_BLOCK],
            d0[lo : lo + STATS_BLOCK],
            lu,
            status,
            logvol,
            min_days,
            exclude,
            grids,
            None if fit is None else fit.subset(np.arange(lo, min(lo + STATS_BLOCK, len(tk)))),
        )
        for lo in range(0, max(len(tk), 1), STATS_BLOCK)
    ]
    if len(parts) == 1:
        return parts[0]
    return (
        pd.concat([p[0] for p in parts], ignore_index=True),
        np.concatenate([p[1] for p in parts], axis=0),
    )


def _gather(
    panel: Any,
    model: NormalReturnModel,
    grids: _Grids | None,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    offsets: NDArray[np.int64],
    exclude: NDArray[np.bool_] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Firm returns and regressors on ``d0 + offsets``; ``exclude`` days NaN in ``y``."""
    if grids is not None:
        return grids.windows(tk, d0, offsets, est=exclude is not None)
    y, x = model.regressors(panel).windows(panel.firm, d0, offsets, tk)
    if exclude is not None:
        y = np.where(window_values(exclude, d0, offsets, tk, False), np.nan, y)
    return y, x


def _estimate(
    panel: Any,
    model: NormalReturnModel,
    est: Window,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    min_days: int,
    exclude: NDArray[np.bool_] | None,
    grids: _Grids | None,
) -> tuple[ModelFit, NDArray[np.bool_]]:
    """The model fitted on ``est`` and whether each event can be used, in blocks of
    :data:`FIT_ROWS` events (gather, fit and checks on arrays that stay in cache)."""
    est_off = np.arange(est.start, est.end + 1, dtype=np.int64)
    slope = getattr(model, "k", 1) >= 2
    fits, oks = [], []
    for lo in range(0, max(len(tk), 1), FIT_ROWS):
        tk_b, d0_b = tk[lo : lo + FIT_ROWS], d0[lo : lo + FIT_ROWS]
        y_est, x_est = _gather(panel, model, grids, tk_b, d0_b, est_off, exclude)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # rows without estimation days (placebo dates early in a firm's data)
            # give NaN; they are marked unusable here
            fit = model.fit(y_est, x_est)
            ok = (fit.n >= min_days) & np.isfinite(fit.sigma2) & (fit.sigma2 > 0)
            ok &= ~fit.degenerate
            one = x_est.ndim == 2  # a single regressor: the market (or none)
            x_chk = x_est if one else np.where(regressors_missing(x_est), np.nan, 0.0)
            if ok.all():
                ok &= (
                    estimation_problems(fit.sigma2, y_est, x_chk, market_slope=slope and one) == ""
                )
            elif ok.any():
                ok[ok] &= (
                    estimation_problems(
                        fit.sigma2[ok], y_est[ok], x_chk[ok], market_slope=slope and one
                    )
                    == ""
                )
        fits.append(fit)
        oks.append(ok)
    return ModelFit.concat(fits), np.concatenate(oks)


def _stats_block(
    panel: Any,
    model: NormalReturnModel,
    est: Window,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    lu: NDArray[np.int8] | None,
    status: NDArray[np.int8] | None,
    logvol: NDArray[np.float64] | None,
    min_days: int,
    exclude: NDArray[np.bool_] | None = None,
    grids: _Grids | None = None,
    fit: ModelFit | None = None,
) -> tuple[pd.DataFrame, NDArray[np.float64]]:
    """Statistics of events (tk, d0); also returns each event's CAR path over -20..+1."""
    est_off = np.arange(est.start, est.end + 1, dtype=np.int64)
    if fit is None:
        fit, ok = _estimate(panel, model, est, tk, d0, min_days, exclude, grids)
    else:
        ok = np.ones(len(tk), dtype=bool)
    y_ev, x_ev = _gather(panel, model, grids, tk, d0, _TAUS, None)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ar = model.abnormal(fit, y_ev, x_ev)
        ar[~ok] = np.nan
        wins = tuple(Window(a, b) for a, b in (*PRE_WINDOWS, (-5, 1)))
        ab = compute_abnormal(fit, ar, x_ev, _TAUS, wins)
    # a degenerate variance (|SCAR| beyond the bound) gives no statistic, as in the study
    mag = np.where(np.isnan(ab.scar), 0.0, np.abs(ab.scar))
    wild = np.asarray((mag > MAX_STANDARDISED).any(axis=1), dtype=bool)
    ok &= ~wild
    ar[wild] = np.nan
    car = np.where(wild[:, None], np.nan, ab.car)
    scar = np.where(wild[:, None], np.nan, ab.scar)
    out = pd.DataFrame(
        {
            "car_m20_m1": car[:, 0],
            "car_m10_m1": car[:, 1],
            "car_m5_m1": car[:, 2],
            "scar_m20_m1": scar[:, 0],
            "scar_m10_m1": scar[:, 1],
            "scar_m5_m1": scar[:, 2],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = car[:, 2] / car[:, 3]
        material = np.abs(scar[:, 3]) >= MATERIAL_SCAR
    out["runup_ratio"] = np.where(material, ratio, np.nan)
    pre = (_TAUS >= -5) & (_TAUS <= -1)
    if lu is not None and status is not None:
        up = window_values(lu, d0, _TAUS, tk, -1)[:, pre]
        st = window_values(status, d0, _TAUS, tk, 2)[:, pre]
        unknown = (up < 0) & (st != 2)
        cnt = (up == 1).sum(axis=1).astype(float)
        cnt[unknown.any(axis=1)] = np.nan
        out["limit_ups_m5_m1"] = cnt
    else:
        out["limit_ups_m5_m1"] = np.nan
    if logvol is not None:
        v_est = window_values(logvol, d0, est_off, tk)
        v_pre = window_values(logvol, d0, _TAUS, tk)[:, pre]
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = np.nanmean(np.where(np.isfinite(v_est), v_est, np.nan), axis=1)
            sd = np.nanstd(np.where(np.isfinite(v_est), v_est, np.nan), axis=1, ddof=1)
            z = (v_pre - mu[:, None]) / sd[:, None]
            n_v = np.isfinite(z).sum(axis=1)
            av = np.nansum(np.where(np.isfinite(z), z, 0.0), axis=1) / np.sqrt(n_v)
        n_ve = np.isfinite(v_est).sum(axis=1)
        out["abnormal_volume"] = np.where((n_v > 0) & (n_ve >= min_days) & (sd > 0), av, np.nan)
    else:
        out["abnormal_volume"] = np.nan
    av = out["abnormal_volume"].to_numpy(dtype=float)
    out["runup_score"] = np.where(
        np.isfinite(av), (out["scar_m5_m1"].to_numpy() + av) / np.sqrt(2.0), out["scar_m5_m1"]
    )
    path = np.cumsum(np.where(np.isnan(ar), 0.0, ar), axis=1)
    path[~ok] = np.nan
    out["usable"] = ok
    return out, path


def _upper_p(x: NDArray[np.float64], ref: NDArray[np.float64]) -> NDArray[np.float64]:
    """(1 + #{ref >= x}) / (M + 1); NaN where x is NaN or there is no reference."""
    r = np.sort(ref[np.isfinite(ref)])
    m = len(r)
    if m == 0:
        return np.full(x.shape, np.nan)
    ge = m - np.searchsorted(r, x, side="left")
    return np.where(np.isfinite(x), (1.0 + ge) / (m + 1.0), np.nan)


def _confounders(
    events: pd.DataFrame,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    others: pd.DataFrame | None,
) -> NDArray[np.object_]:
    """Ids of other announcements of the same firm with day 0 in [-20,-1], per event.

    In the order of ``others``; sorted searches, not a self-merge
    (:mod:`eventstudy._neighbours`).
    """
    from eventstudy._neighbours import firm_codes, neighbour_ids, neighbour_pairs

    out = np.full(len(tk), "", dtype=object)
    if others is None or len(others) == 0 or len(tk) == 0:
        return out
    o_ids = others["event_id"].to_numpy(dtype=object)
    q_key, r_key = firm_codes(events["event_id"].to_numpy(dtype=object), o_ids)
    qi, rj, count = neighbour_pairs(
        np.asarray(tk, dtype=np.int64),
        np.asarray(d0, dtype=np.int64),
        q_key,
        others["tk"].to_numpy(dtype=np.int64),
        others["d0"].to_numpy(dtype=np.int64),
        r_key,
        PRE_WINDOWS[0][0],
        PRE_WINDOWS[0][1],
    )
    order = np.lexsort((rj, qi))  # each event's list in the order of ``others``
    qi, rj = qi[order], rj[order]
    return neighbour_ids(len(tk), qi, o_ids[rj], count)


def leakage_diagnostics(
    panel: Any,
    model: NormalReturnModel,
    est: Window,
    event: Window,
    events: pd.DataFrame,
    tk: NDArray[np.int64],
    d0: NDArray[np.int64],
    *,
    lu: NDArray[np.int8] | None = None,
    status: NDArray[np.int8] | None = None,
    volume: NDArray[np.float64] | None = None,
    min_days: int = 120,
    exclude: NDArray[np.bool_] | None = None,
    alpha: float = 0.05,
    placebo_per_firm: int = 100,
    max_placebo: int = 20_000,
    seed: int = 0,
    others: pd.DataFrame | None = None,
    note: str = "",
    fit: ModelFit | None = None,
) -> LeakageResult:
    """Leakage statistics, placebo p-values and flags of the included events.

    ``events`` holds ``event_id`` and ``ticker`` of the rows of ``tk``/``d0``;
    ``lu``/``status`` are limit flags and ``volume`` traded volume on the
    panel's (dates x tickers) grid (optional).  ``others`` lists every placed
    announcement (``event_id, tk, d0``, included or not): an event whose
    [-20,-1] holds another announcement of the same firm is not flagged (its
    run-up may be that announcement's reaction); ``leak_flag`` is then empty
    and ``leak_rules`` names the other event.

    ``est`` is the estimation window of the diagnostics' own model.  It must
    end by day -21, before the pre-event windows it measures (a model fitted
    on [-20,-1] leaves every pre-event CAR at zero by construction); the
    study passes :func:`eventstudy.study.leakage_window` of its estimation
    window and states the move in ``note``.

    ``fit``, optional, is the model fitted on ``est`` for the events of
    ``tk``/``d0`` (with the days of ``exclude`` left out), every one of which
    passed the estimation checks with at least ``min_days`` days: the study's
    own fit when its estimation window is ``est``.  It is used instead of
    fitting the events again (the pseudo-events are always fitted here); the
    numbers are the same.

    Raises
    ------
    WindowError
        ``est`` ends after day -21.
    """
    if est.end >= PRE_WINDOWS[0][0]:
        raise WindowError(
            f"leakage estimation window {est.label} ends on day {est.end}, inside the "
            f"pre-event window [{PRE_WINDOWS[0][0]},{PRE_WINDOWS[0][1]}] the diagnostics "
            "measure: the model would be fitted in-sample on the run-up it tests; give a "
            f"window that ends by day {PRE_WINDOWS[0][0] - 1} (eventstudy.study.leakage_window "
            "moves one back, keeping its length)"
        )
    logvol = None
    if volume is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            logvol = np.where(volume > 0, np.log(volume), np.nan)
    rng = np.random.default_rng([seed, 7])
    # pseudo-event windows avoid every placed announcement of the firm, included or not
    if others is not None and len(others):
        o_tk = others["tk"].to_numpy(dtype=np.int64)
        o_d0 = others["d0"].to_numpy(dtype=np.int64)
        firm_set = np.isin(o_tk, tk)
        b_tk, b_d0 = np.concatenate([tk, o_tk[firm_set]]), np.concatenate([d0, o_d0[firm_set]])
    else:
        b_tk, b_d0 = tk, d0
    n_firms = len(np.unique(tk))
    per_firm = min(placebo_per_firm, max(MIN_PER_FIRM, max_placebo // max(n_firms, 1)))
    grids = None
    t_len = panel.firm.shape[0]
    if len(tk) and d0.min() >= 0 and d0.max() < t_len:
        # the placebo firms are the events' firms (``b_tk`` adds only their other events)
        grids = _grids(
            panel,
            model,
            np.unique(tk),
            exclude,
            min(est.start, int(_TAUS[0])),
            max(est.end, int(_TAUS[-1])),
        )
    rows = None if grids is None else grids.firm[:, grids.pad : grids.pad + t_len]
    ptk, pd0 = _placebo_positions(panel, b_tk, b_d0, event, est, per_firm, rng, rows)
    if fit is not None and len(fit.n) != len(tk):
        raise EventStudyError(f"leakage: the fit has {len(fit.n)} events, tk has {len(tk)}")
    stats, path = _stats(
        panel, model, est, tk, d0, lu, status, logvol, min_days, exclude, grids, fit
    )
    pstats, ppath = _stats(
        panel, model, est, ptk, pd0, lu, status, logvol, min_days, exclude, grids
    )
    keep = pstats["usable"].to_numpy()
    pstats, ppath = pstats[keep].reset_index(drop=True), ppath[keep]
    avail = [r for r, (col, _) in LEAK_STATS.items() if np.isfinite(pstats[col].to_numpy()).any()]
    rules: list[str] = [r for r in LEAK_RULES if r in avail]
    has_volume = "volume" in avail
    label = {r: LEAK_STATS[r][1] for r in avail}
    if not has_volume:
        label["runup"] = "run-up score (standardised CAR[-5,-1]; no volume data)"
    pvals = {}
    ppvals = {}
    for r in avail:
        col = LEAK_STATS[r][0]
        ref = pstats[col].to_numpy(dtype=float)
        pvals[r] = _upper_p(stats[col].to_numpy(dtype=float), ref)
        # placebo events against the others (leave one out)
        srt = np.sort(ref[np.isfinite(ref)])
        ge = len(srt) - np.searchsorted(srt, ref, side="left") - 1
        ppvals[r] = np.where(np.isfinite(ref), (1.0 + ge) / max(len(srt), 1), np.nan)
    if rules and len(pstats):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: no statistic
            pmin = np.nanmin(np.column_stack([ppvals[r] for r in rules]), axis=1)
        pmin = pmin[np.isfinite(pmin)]
        cand = np.sort(np.unique(pmin))
        frac = np.searchsorted(np.sort(pmin), cand, side="right") / max(len(pmin), 1)
        ok = cand[frac <= alpha]
        threshold = float(ok.max()) if len(ok) else 0.0
    else:
        threshold = np.nan
    table = pd.DataFrame(
        {
            "event_id": events["event_id"].to_numpy(),
            "ticker": events["ticker"].to_numpy(),
        }
    )
    for c in stats.columns:
        if c != "usable":
            table[c] = stats[c].to_numpy()
    for r in avail:
        table[f"p_{r}"] = pvals[r]
    # the rules that fired, in rule order; text is built only for the events flagged
    texts = np.full(len(table), "", dtype=object)
    flags = np.zeros(len(table), dtype=bool)
    any_p = np.zeros(len(table), dtype=bool)
    for r in rules:
        p = pvals[r]
        fin = np.isfinite(p)
        any_p |= fin
        hit = fin & (p <= threshold)
        flags |= hit
        vals = stats[LEAK_RULES[r][0]].to_numpy(dtype=float)
        for i in np.flatnonzero(hit):
            part = f"{label[r]} = {vals[i]:.3g} (placebo p = {p[i]:.2g})"
            texts[i] = f"{texts[i]}; {part}" if texts[i] else part
    fired: list[str] = [str(t) for t in texts]
    confounded = _confounders(events, tk, d0, others)
    conf = confounded != ""
    fired = [
        f"not assessed: [-20,-1] contains another announcement of the firm ({c})" if c else f
        for f, c in zip(fired, confounded, strict=True)
    ]
    table["leak_flag"] = pd.array(
        [bool(f) if a and not c else None for f, a, c in zip(flags, any_p, conf, strict=True)],
        dtype="boolean",
    )
    table["leak_rules"] = fired
    table["other_event_pre"] = confounded
    ptaus = pd.DataFrame(
        {
            "tau": _TAUS,
            "placebo_mean": np.nanmean(ppath, axis=0) if len(ppath) else np.nan,
            "placebo_sd": np.nanstd(ppath, axis=0, ddof=1) if len(ppath) > 1 else np.nan,
            "events_mean": np.nanmean(path, axis=0) if len(path) else np.nan,
        }
    )
    placebo = pd.concat(
        [pd.DataFrame({"ticker": panel.tickers[ptk[keep]], "day0_pos": pd0[keep]}), pstats], axis=1
    )
    return LeakageResult(
        table,
        placebo,
        threshold,
        alpha,
        rules,
        ptaus,
        labels=label,
        estimation_window=(est.start, est.end),
        note=note,
    )
