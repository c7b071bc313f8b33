"""Time one version of eventstudy on the benchmark's 10,000 events, for old/new comparisons.

The version timed is whichever ``import eventstudy`` finds, so two versions
are compared by running this script alternately in fresh processes, e.g.
with a checkout of an older commit first on the path::

    git worktree add /tmp/old <commit>
    PYTHONPATH=/tmp/old python benchmarks/bench_versions.py   # old
    python benchmarks/bench_versions.py                        # new
    (and again, interleaved, to see the noise of the machine)

Prints the bare kernel and the three-test and default fits (window set
``[-10,+10]``, best of ``--repeat``), with the ratios; the panel and events
are those of ``bench_core.py`` (the panel is simulated by the version
under test, so both versions must simulate it alike).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from bench_core import build_panel, make_events, run_fit, time_kernel

import eventstudy
from eventstudy.align import align_panel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--events", type=int, default=10_000)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    returns = build_panel()
    events = make_events(returns, args.events)
    kernel = time_kernel(align_panel(returns, "000300.SS"), events, "[-10,+10]", 3)
    best = []
    for minimal in (True, False):
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run_fit(events, returns, "[-10,+10]", minimal)
            runs.append(time.perf_counter() - t0)
        best.append(min(runs))
    where = Path(eventstudy.__file__).parent.parent
    print(
        f"{where}: kernel {kernel:.3f} s, three tests {best[0]:.3f} s "
        f"({best[0] / kernel:.1f}x), default {best[1]:.3f} s ({best[1] / kernel:.1f}x)",
        flush=True,
    )


if __name__ == "__main__":
    main()
