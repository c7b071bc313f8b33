"""Command-line options of the study's questions (groups, BHAR, cross-sections, overlaps).

Used by ``eventstudy demo`` and ``eventstudy run`` (see docs/cli.md).  The
flagship study (``demo``, ``run --calendar compute-leasing``) gets defaults
that answer its questions: groups by ``event_type`` headlined by the entry
announcements, and BHAR windows for the reversal question.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.flagship import FLAGSHIP_QUESTION, FLAGSHIP_TITLE

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FLAGSHIP_BHAR",
    "FLAGSHIP_QUESTION",
    "FLAGSHIP_TITLE",
    "add_question_options",
    "cmd_bhar_specification",
    "question_kwargs",
    "sim_end",
]

#: BHAR windows of the flagship study: the initial reaction, the drift after it, and the total
FLAGSHIP_BHAR = ((0, 1), (2, 20), (2, 60), (2, 120), (0, 120))
FLAGSHIP_GROUPS = "event_type"
FLAGSHIP_HEADLINE = "entry"


def _window(text: str) -> tuple[int, int] | None:
    from eventstudy.exceptions import EventStudyError
    from eventstudy.windows import Window

    if text.strip().lower() == "none":
        return None
    try:
        w = Window.parse(text)
    except EventStudyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return (w.start, w.end)


def add_question_options(p: argparse.ArgumentParser) -> None:
    """Add the groups, overlap, BHAR and cross-section options to a sub-command."""
    g = p.add_argument_group("groups, overlapping events, long-run BHAR, cross-sections")
    g.add_argument(
        "--group-by",
        default=None,
        metavar="COLUMN",
        help="per-group CAAR with every test and difference tests by this events column "
        "('none' to switch off; flagship default: event_type)",
    )
    g.add_argument(
        "--headline",
        default=None,
        metavar="VALUE",
        help="value of --group-by whose CAAR leads the report (flagship default: entry)",
    )
    g.add_argument(
        "--overlap",
        choices=["keep", "first", "drop-all"],
        default="keep",
        help="events of one firm whose day 0 lies in another's event window: keep and "
        "name them (default), keep the first, or drop them all",
    )
    g.add_argument(
        "--bhar-window",
        type=_window,
        action="append",
        default=None,
        metavar="A,B",
        help="buy-and-hold abnormal return window (repeatable; may reach past the event "
        "window), e.g. --bhar-window=2,120; 'none' to switch off (flagship default: "
        "0,1 2,20 2,60 2,120 0,120)",
    )
    g.add_argument(
        "--bhar-benchmark",
        choices=["market", "model"],
        default=None,
        help="BHAR benchmark: the market index (default) or the fitted model",
    )
    g.add_argument(
        "--bhar-missing",
        choices=["fill", "truncate", "exclude"],
        default=None,
        help="a firm whose returns stop before the window ends: fill with the benchmark "
        "(default), truncate both, or exclude",
    )
    g.add_argument(
        "--bhar-reps",
        type=int,
        default=None,
        metavar="B",
        help="resamples of the LBT bootstrap (default 1000)",
    )
    g.add_argument(
        "--cross-section",
        action="append",
        default=None,
        metavar="FORMULA",
        help="cross-sectional regression, e.g. 'car ~ C(player_type) + C(board)' (repeatable)",
    )
    g.add_argument(
        "--cs-window",
        type=_window,
        default=None,
        metavar="A,B",
        help="window of the cross-section's car/scar/bhar (default 0,1)",
    )
    g.add_argument(
        "--cs-cov",
        choices=["HC3", "HC0", "HC1", "HC2", "nonrobust", "cluster"],
        default=None,
        help="standard errors of the cross-section (default HC3; cluster needs --cs-cluster)",
    )
    g.add_argument(
        "--cs-cluster", default=None, metavar="COLUMN", help="cluster column, e.g. ticker"
    )
    g.add_argument(
        "--cs-weights",
        choices=["none", "patell"],
        default=None,
        help="patell: WLS with weights 1/Var(CAR) (default none: OLS)",
    )
    g.add_argument(
        "--characteristics",
        type=Path,
        default=None,
        metavar="FILE",
        help="CSV of characteristics joined on event_id or ticker,date",
    )


#: options of the cross-sections and of the BHAR, with their defaults when they apply
_CS_OPTIONS = {"cs_window": (0, 1), "cs_cov": "HC3", "cs_cluster": None, "cs_weights": "none"}
_BHAR_OPTIONS = {"bhar_benchmark": "market", "bhar_missing": "fill", "bhar_reps": 1000}


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def check_option_use(args: argparse.Namespace, *, flagship: bool) -> None:
    """Refuse, before any work, options that would be silently ignored: ``--cs-*``
    without ``--cross-section``, ``--bhar-benchmark/-missing/-reps`` without a BHAR
    window, ``--dimson-*`` without ``--model dimson`` and ``--factors-*`` without
    ``--factors``; then fill in the defaults of the options that apply (the manifest
    records them)."""
    from eventstudy.exceptions import EventStudyError

    def given(names: dict[str, Any] | tuple[str, ...]) -> list[str]:
        return [_flag(n) for n in names if getattr(args, n, None) is not None]

    cs = given(_CS_OPTIONS)
    if cs and not args.cross_section:
        raise EventStudyError(
            f"{'/'.join(cs)} appl{'ies' if len(cs) == 1 else 'y'} to --cross-section "
            "FORMULA, which was not given"
        )
    windows = args.bhar_window
    if windows is None:
        windows = list(FLAGSHIP_BHAR) if flagship else []
    bh = given(_BHAR_OPTIONS)
    if bh and not [w for w in windows if w is not None]:
        raise EventStudyError(
            f"{'/'.join(bh)} appl{'ies' if len(bh) == 1 else 'y'} to the BHAR, and no "
            "--bhar-window was given"
        )
    dims = given(("dimson_lags", "dimson_leads", "dimson_ar"))
    if dims and args.model != "dimson":
        raise EventStudyError("--dimson-lags/--dimson-leads/--dimson-ar apply to --model dimson")
    if given(("factors_preset", "factors_columns", "factors_units")) and not args.factors:
        raise EventStudyError(
            "--factors-preset/--factors-columns/--factors-units need --factors FILE"
        )
    for flag in ("title", "question"):
        text = getattr(args, flag, None)
        if text is not None and not text.strip():
            raise EventStudyError(f"--{flag} is empty; give a text or leave the option out")
        if text is not None:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise EventStudyError(
                    f"--{flag} is not valid text in the terminal's encoding (bytes that are "
                    f"not UTF-8: {text!r}); give it as UTF-8"
                ) from None
    _fill_defaults(args)


def _fill_defaults(args: argparse.Namespace) -> None:
    for name, default in {**_CS_OPTIONS, **_BHAR_OPTIONS}.items():
        if getattr(args, name, None) is None:
            setattr(args, name, default)


def question_kwargs(
    args: argparse.Namespace, cal: pd.DataFrame, *, flagship: bool
) -> dict[str, Any]:
    """``EventStudy`` keyword arguments from the options (flagship defaults when asked)."""
    _fill_defaults(args)
    group_by = args.group_by
    headline = args.headline
    if group_by is None and flagship and FLAGSHIP_GROUPS in cal.columns:
        group_by = FLAGSHIP_GROUPS
        if headline is None and (cal[FLAGSHIP_GROUPS].astype(str) == FLAGSHIP_HEADLINE).any():
            headline = FLAGSHIP_HEADLINE
    if group_by is not None and group_by.strip().lower() == "none":
        group_by, headline = None, None
    windows = args.bhar_window
    if windows is None:
        windows = list(FLAGSHIP_BHAR) if flagship else []
    windows = [w for w in windows if w is not None]
    cs = None
    if args.cross_section:
        cs = [
            {
                "formula": f,
                "window": args.cs_window,
                "cov_type": args.cs_cov,
                "cluster": args.cs_cluster,
                "weights": None if args.cs_weights == "none" else args.cs_weights,
            }
            for f in args.cross_section
        ]
    return {
        "groups": group_by,
        "headline": headline,
        "overlap": args.overlap,
        "bhar_windows": windows or None,
        "bhar_benchmark": args.bhar_benchmark,
        "bhar_missing": args.bhar_missing,
        "bhar_options": {"reps": args.bhar_reps},
        "cross_section": cs,
        "characteristics": args.characteristics,
    }


def sim_end(cal: pd.DataFrame, windows: list[tuple[int, int]] | None, default: str) -> str:
    """Last simulated date: the default, or later so that every BHAR window fits."""
    import pandas as pd

    ends = [b for _, b in windows or []]
    if not ends or "date" not in cal.columns:
        return default
    dates = pd.to_datetime(cal["date"], errors="coerce")
    if dates.isna().all():
        return default
    last = dates.max() + pd.Timedelta(days=int(max(ends) * 1.6) + 45)
    return str(max(pd.Timestamp(default), last).date())


def data_days_after(args: argparse.Namespace, kwargs: dict[str, Any]) -> int:
    """Trading days the data must reach after the last day 0 (event and BHAR windows)."""
    ends = [int(args.event_window[1])] + [b for _, b in kwargs.get("bhar_windows") or []]
    return max(ends)


def cmd_bhar_specification(args: argparse.Namespace) -> int:
    """``eventstudy simulate --bhar-window A,B``: size of the BHAR tests under the null."""
    from eventstudy.specification_longrun import bhar_specification

    if args.effect or args.cluster or args.tests or args.sector_corr is not None:
        from eventstudy.exceptions import EventStudyError

        raise EventStudyError(
            "--bhar-window runs the long-horizon size study under the null; "
            "--effect, --cluster, --sector-corr and --tests do not apply to it"
        )
    res = bhar_specification(
        args.trials,
        args.events,
        window=args.bhar_window,
        reps=max(args.bootstrap_reps, 99),
        seed=args.seed,
        n_firms=args.n_firms,
        limits=not args.no_limits,
    )
    paths = res.write(args.out)
    p = res.params
    if getattr(args, "quiet", False):
        return 0
    print(
        f"BHAR{p['window']} under the null: {p['trials']} trials x {p['events']} events, "
        f"bootstrap {p['reps']} resamples of {p['n_b']} events (SIMULATED market)"
    )
    for level in (0.05, 0.10):
        print(f"\nrejection rates at {level:.0%} (two-sided; each tail at {level / 2:.1%})")
        print(res.table(level).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nWrote {paths['csv']} in {res.seconds:.1f} s")
    return 0
