"""Thin trading on the simulator: bias of the OLS, Scholes-Williams and Dimson betas.

The simulator's non-synchronous firms (``nonsync=0.5``: half of the firms,
lambda ~ U(0.3, 0.7)) take in a share lambda of each day's systematic return
one session late (docs/simulation.md), so the OLS beta of the market model
estimates (1 - lambda) beta, while the Dimson (1979) and Scholes-Williams
(1977) betas estimate beta.  Per seed: a fresh market, one event per firm on
a random session (estimation window [-250, -11]), the three models fitted on
the same events, and each event's ``results.events["beta"]`` compared with
the firm's true beta.  Two settings: "clean" (no price limits, no
suspensions) and "A-share" (the simulator's defaults: price limits and
suspensions, whose multi-day returns add their own distortion).

The bias of a group is the mean of beta_hat - beta over its events; its
standard error is given two ways: over the seeds (the sd of the per-seed mean
biases / sqrt(seeds), which allows for the market path a seed shares) and
over the events (sd / sqrt(events), treating events as independent).

Usage: ``python benchmarks/bench_nonsync.py [--seeds 5] [--firms 200] [--write docs/methodology.md]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _sections import write_section

from eventstudy import EventStudy, simulate_market

EST, EVW = (-250, -11), (-5, 5)
MODELS = ("market", "scholes-williams", "dimson")
SETTINGS: dict[str, dict[str, Any]] = {
    "clean": {"limits": False, "suspension_rate": 0.0},
    "A-share": {},
}


def one_seed(seed: int, n_firms: int, setting: dict[str, Any]) -> pd.DataFrame:
    """One simulated market: per event the true beta, lambda and each model's beta."""
    sim = simulate_market(
        None,
        seed=seed,
        start="2021-01-04",
        end="2024-12-31",
        n_firms=n_firms,
        nonsync=0.5,
        **setting,
    )
    returns = sim.panel.returns[["date", "ticker", "ret"]]
    sessions = np.sort(returns["date"].unique())
    firms = sim.firms.set_index("ticker")
    rng = np.random.default_rng(1000 + seed)
    events = pd.DataFrame(
        {
            "event_id": [f"S{seed}E{i:04d}" for i in range(len(firms))],
            "ticker": firms.index,
            "date": pd.DatetimeIndex(sessions[rng.integers(260, len(sessions) - 10, len(firms))]),
        }
    )
    out = events.set_index("event_id")[["ticker"]].copy()
    out["seed"] = seed
    out["beta_true"] = firms.loc[out["ticker"], "beta"].to_numpy()
    out["lam"] = firms.loc[out["ticker"], "nonsync_lag"].to_numpy()
    for model in MODELS:
        res = EventStudy(
            events,
            returns,
            model=model,
            estimation_window=EST,
            event_window=EVW,
            tests=["csect_t"],
            calendar_time=False,
            leakage=False,
        ).fit()
        out[model] = res.events.set_index("event_id")["beta"].reindex(out.index).astype(float)
    return out


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Per group (thin / synchronous) and model: n, mean betas, bias and its two SEs."""
    rows = []
    for group, part in (
        ("thin", frame[frame["lam"] > 0]),
        ("synchronous", frame[frame["lam"] == 0]),
    ):
        for model in MODELS:
            d = part[[model, "beta_true", "seed"]].dropna()
            err = d[model] - d["beta_true"]
            per_seed = err.groupby(d["seed"]).mean()
            rows.append(
                {
                    "firms": group,
                    "model": model,
                    "events": len(d),
                    "mean true beta": d["beta_true"].mean(),
                    "mean beta": d[model].mean(),
                    "bias": err.mean(),
                    "se (seeds)": per_seed.std(ddof=1) / np.sqrt(len(per_seed)),
                    "se (events)": err.std(ddof=1) / np.sqrt(len(err)),
                    "t": err.mean() / (per_seed.std(ddof=1) / np.sqrt(len(per_seed))),
                }
            )
    return pd.DataFrame(rows)


def table(summary: pd.DataFrame) -> list[str]:
    lines = [
        "| firms | model | events | mean true beta | mean beta | bias | se (seeds) | "
        "se (events) | bias / se (seeds) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary.itertuples(index=False):
        lines.append(
            f"| {r.firms} | `{r.model}` | {r.events:,} | {r[3]:.3f} | {r[4]:.3f} | "
            f"{r.bias:+.3f} | {r[6]:.3f} | {r[7]:.3f} | {r.t:+.1f} |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--firms", type=int, default=200)
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    body = [
        "#### Measured: the bias of the OLS beta under thin trading",
        "",
        f"Measured by `python benchmarks/bench_nonsync.py --seeds {args.seeds} --firms "
        f"{args.firms} --write docs/methodology.md`: {args.seeds} seeds, each a simulated "
        f"market of {args.firms} firms (2021-2024) with `nonsync=0.5` (half of the firms "
        "take in a share lambda ~ U(0.3, 0.7) of each day's systematic return one session "
        "late, [simulation](simulation.md)), one event per firm on a random session, "
        "estimation window [-250,-11], the three models fitted on the same events; "
        "`beta` of `results.events` against the firm's true beta. Bias = mean of "
        "beta_hat - beta; se (seeds) = sd of the per-seed mean biases / sqrt(seeds) (the "
        "firms of a seed share one market path), se (events) = sd / sqrt(events). For thin "
        "firms the OLS beta should estimate (1 - lambda) beta, i.e. a bias of about "
        "-lambda beta; Scholes-Williams and Dimson (1 lag, 1 lead) should be unbiased.",
        "",
    ]
    for name, setting in SETTINGS.items():
        frame = pd.concat([one_seed(s, args.firms, setting) for s in range(args.seeds)])
        summary = summarise(frame)
        thin = frame[frame["lam"] > 0]
        predicted = float((-(thin["lam"] * thin["beta_true"])).mean())
        print(f"== {name}")
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(f"predicted OLS bias of the thin firms, mean of -lambda*beta: {predicted:+.4f}")
        what = (
            "no price limits, no suspensions"
            if setting
            else "the simulator's defaults: price limits and random suspensions"
        )
        body += [
            f"**{name}** ({what}); predicted OLS bias of the thin firms "
            f"(mean of -lambda beta): {predicted:+.3f}.",
            "",
            *table(summary),
            "",
        ]
    body += [
        f"Run time {time.perf_counter() - t0:.0f} s; seeded, so the numbers repeat exactly. "
        "tests/test_nonsync_bias.py asserts the direction of the bias on a smaller sample.",
    ]
    print(f"done in {time.perf_counter() - t0:.1f} s")
    if args.write:
        write_section(args.write, "nonsync", "\n".join(body), title="# Methodology")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
