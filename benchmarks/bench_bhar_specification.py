"""Size of the long-horizon BHAR tests under the null (Lyon, Barber & Tsai 1999).

Runs ``eventstudy.specification_longrun.bhar_specification`` on the scenarios
below (1000 samples each, seed 0) and writes the tables to
``docs/groups_and_longrun.md`` between the ``bhar-spec`` markers.

Usage: ``python benchmarks/bench_bhar_specification.py [--trials 1000] [--write]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _sections import write_section

from eventstudy.specification_longrun import bhar_specification

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [
    ("A", 50, (0, 120)),
    ("B", 50, (0, 250)),
    ("C", 200, (0, 250)),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    lines: list[str] = []
    for key, events, window in SCENARIOS:
        res = bhar_specification(args.trials, events, window=window, reps=1000, seed=0)
        label = f"[{window[0]},+{window[1]}]"
        skew = float(res.trials["skewness"].mean())
        lines += [
            f"**{key}. {events} events, BHAR{label} against the market, {args.trials} samples** "
            f"(mean sample skewness of the BHARs {skew:.2f}; bootstrap resamples of "
            f"{res.params['n_b']} events; {res.seconds:.0f} s)",
            "",
            "| test | 5%: two-sided | lower 2.5% | upper 2.5% | 10%: two-sided | lower 5% | upper 5% |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        t5 = res.table(0.05).set_index("test")
        t10 = res.table(0.10).set_index("test")
        for test in t5.index:
            a, b = t5.loc[test], t10.loc[test]
            lines.append(
                f"| `{test}` | {a['two-sided']:.3f} | {a['lower']:.3f} | {a['upper']:.3f} | "
                f"{b['two-sided']:.3f} | {b['lower']:.3f} | {b['upper']:.3f} |"
            )
        se = (0.025 * 0.975 / args.trials) ** 0.5
        lines += ["", f"Monte Carlo s.e. of a 2.5% tail rate: {se:.3f}.", ""]
        print("\n".join(lines[-(len(t5) + 6) :]))
    if args.write:
        write_section(
            ROOT / "docs" / "groups_and_longrun.md",
            "bhar-spec",
            "\n".join(lines),
            title="# Groups",
        )
        print("wrote docs/groups_and_longrun.md")


if __name__ == "__main__":
    main()
