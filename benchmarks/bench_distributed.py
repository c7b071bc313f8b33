"""Speed-up of a specification study on dask.distributed with 1 and 2 workers.

Runs ``specification_study(--trials, 50, ...)`` (every test, bootstrap 499
replications per trial) locally and on a ``LocalCluster`` of 1 and 2
single-threaded worker processes, checks that the p-values are identical to
the local run, and writes the times to ``docs/performance.md`` (section
``distributed``).  The cluster's start-up is timed separately.

Usage: ``python benchmarks/bench_distributed.py [--trials 1000] [--write]``
(needs the extra ``[distributed]``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import pandas as pd
from _sections import write_section

from eventstudy.distributed import connect
from eventstudy.specification import specification_study

ROOT = Path(__file__).resolve().parents[1]
WARM = ("eventstudy.specification", "eventstudy.align", "eventstudy.models", "eventstudy.abnormal")


def _warm() -> None:
    import importlib

    for name in WARM:
        importlib.import_module(name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    kw = dict(seed=args.seed, limits=False)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "")
    load = os.getloadavg()
    t0 = time.perf_counter()
    local = specification_study(args.trials, args.events, **kw)
    t_local = time.perf_counter() - t0
    print(f"local: {t_local:.1f} s", flush=True)
    rows = [("local (no dask)", t_local, None)]
    for n in (1, 2):
        t0 = time.perf_counter()
        with connect(workers=n) as client:  # LocalCluster of n single-threaded processes
            client.run(_warm)  # import what a block needs before the clock starts
            # a first block on every worker: the first run of a fresh worker process is
            # up to twice as slow (imports, memory pools); counted as start-up
            specification_study(250 * n, args.events, client=client, **kw)
            t_start = time.perf_counter() - t0
            t1 = time.perf_counter()
            res = specification_study(args.trials, args.events, client=client, **kw)
            t_run = time.perf_counter() - t1
        pd.testing.assert_frame_equal(res.pvalues, local.pvalues, check_exact=True)
        rows.append((f"dask, {n} worker{'s' if n > 1 else ''}", t_run, t_start))
        print(f"{n} worker(s): {t_run:.1f} s (+ {t_start:.1f} s to start), identical", flush=True)
    if args.write:
        lines = [
            f"Measured by `python benchmarks/bench_distributed.py --write`: "
            f"`specification_study({args.trials}, {args.events}, seed={args.seed}, "
            "limits=False)`, every test (bootstrap 499 replications per trial), blocks of "
            "250 trials; the same call locally and with `client=` a `LocalCluster` of "
            "single-threaded worker processes on this machine, started by "
            "`eventstudy.distributed.connect(workers=N)` (dask's worker environment without "
            "`MALLOC_TRIM_THRESHOLD_`; BLAS single-threaded in the workers; the local run "
            + (
                f"with OPENBLAS_NUM_THREADS={blas}"
                if blas
                else "may use every core in BLAS (OPENBLAS_NUM_THREADS unset)"
            )
            + "). Every dask run gave exactly the local p-values (checked by the script).",
            "",
            f"- machine: {platform.machine()}, {os.cpu_count()} cores (shared; load average "
            f"{load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), "
            f"Python {platform.python_version()}",
            f"- date: {time.strftime('%Y-%m-%d')}",
            "",
            "| run | seconds | speed-up | cluster start-up and a first block per worker, s |",
            "|---|---:|---:|---:|",
        ]
        for name, sec, start in rows:
            st = "" if start is None else f"{start:.1f}"
            lines.append(f"| {name} | {sec:.1f} | {t_local / sec:.2f}x | {st} |")
        write_section(ROOT / "docs" / "performance.md", "distributed", "\n".join(lines))
        print("wrote docs/performance.md")


if __name__ == "__main__":
    main()
