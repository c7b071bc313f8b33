"""The ``eventstudy`` command (DESIGN 2.1).

Exit codes: 0 success, 1 a check failed (``reproduce`` found a changed file or
number, ``compare`` a difference beyond tolerance), 2 bad input or another
error (the message names what is wrong).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy._text import terminal_safe
from eventstudy.cli_questions import add_question_options, data_days_after, question_kwargs
from eventstudy.exceptions import EventStudyError, NoEventsIncludedError

__all__ = ["main"]


def _window(text: str) -> tuple[int, int]:
    from eventstudy.windows import Window

    try:
        w = Window.parse(text)
    except EventStudyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return (w.start, w.end)


def _study_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and windows")
    g.add_argument(
        "--model",
        default="market",
        choices=[
            "market",
            "market-adjusted",
            "constant-mean",
            "scholes-williams",
            "dimson",
            "factors",
            "ff3",
            "carhart",
            "ch3",
        ],
        help="normal-return model (default: market); factors, ff3, carhart and ch3 need "
        "--factors FILE",
    )
    g.add_argument(
        "--factors",
        type=Path,
        action="append",
        default=None,
        metavar="FILE",
        help="daily factor file (repeatable: the files are joined on the date, e.g. "
        "Ken French's three factors and momentum)",
    )
    g.add_argument(
        "--factors-preset",
        choices=["french", "ch3"],
        default=None,
        help="layout of the factor file: Ken French's daily CSV or the CH-3 daily file "
        "(both in percent)",
    )
    g.add_argument(
        "--factors-columns",
        default=None,
        metavar="MAP",
        help="factor column mapping name=column, e.g. date=trade_date,MKT-RF=mktrf,RF=rf "
        "(only mapped columns are kept)",
    )
    g.add_argument(
        "--factors-units",
        choices=["decimal", "percent"],
        default=None,
        help="units of the factor values (default: the preset's, else decimal)",
    )
    g.add_argument(
        "--dimson-lags",
        type=int,
        default=None,
        metavar="N",
        help="--model dimson: lagged market returns (default 1)",
    )
    g.add_argument(
        "--dimson-leads",
        type=int,
        default=None,
        metavar="N",
        help="--model dimson: leading market returns (default 1)",
    )
    g.add_argument(
        "--dimson-ar",
        choices=["sum", "full"],
        default=None,
        help="--model dimson: AR = R - a - (sum of betas) R_m (sum, default) or the "
        "regression's fitted value with lags and leads (full)",
    )
    g.add_argument(
        "--estimation-window",
        type=_window,
        default=(-250, -21),
        metavar="A,B",
        help="estimation window, e.g. --estimation-window=-250,-21 (default)",
    )
    g.add_argument(
        "--event-window",
        type=_window,
        default=(-20, 20),
        metavar="A,B",
        help="event window, e.g. --event-window=-20,20 (default)",
    )
    g.add_argument(
        "--car-window",
        type=_window,
        action="append",
        default=None,
        metavar="A,B",
        help="CAR window (repeatable); default: the nine windows "
        "of the docs that fit in the event window",
    )
    g.add_argument(
        "--min-estimation-days",
        type=int,
        default=None,
        metavar="N",
        help="exclude events with fewer complete estimation days (default: "
        "min(120, 80%% of the estimation window), i.e. 120 for the default window)",
    )
    g.add_argument(
        "--car-missing",
        choices=["present", "drop"],
        default="present",
        help="CAR over days present (default) or NaN when a day is missing",
    )
    g.add_argument(
        "--max-loss",
        type=float,
        default=None,
        metavar="SHARE",
        help="fail (exit 2, with the top exclusion reasons) when more than this share of "
        "the events is excluded, e.g. 0.2; a run that includes no event always fails",
    )
    g.add_argument("--out", type=Path, default=None, metavar="DIR", help="output directory")
    rep = p.add_argument_group("report")
    rep.add_argument(
        "--title",
        default=None,
        metavar="TEXT",
        help="title of the report (default: the bundled calendar's own; 'Event study "
        "report' for your own calendar)",
    )
    rep.add_argument(
        "--question",
        default=None,
        metavar="TEXT",
        help="the study's question, printed under the title (default: the bundled "
        "calendar's own; none for your own calendar)",
    )
    rep.add_argument(
        "--latex",
        action="store_true",
        help="also write summary.tex: the summary tables as booktabs LaTeX",
    )
    d = p.add_argument_group(
        "price limits (need prices) and leakage (prices give limit-ups and volume)"
    )
    d.add_argument(
        "--st",
        type=Path,
        default=None,
        metavar="FILE",
        help="CSV of risk-warning (ST) periods: ticker,start[,end]",
    )
    d.add_argument(
        "--exclude-limit-days",
        action="store_true",
        help="drop limit-hit days from the estimation window's regression",
    )
    d.add_argument(
        "--no-leakage", action="store_true", help="skip the pre-announcement diagnostics"
    )
    d.add_argument(
        "--leak-alpha",
        type=float,
        default=0.05,
        metavar="A",
        help="share of placebo events the leakage flag may fire on (default 0.05)",
    )
    d.add_argument(
        "--placebo-per-firm",
        type=int,
        default=100,
        metavar="M",
        help="pseudo-event dates drawn per firm for the placebo (default 100)",
    )
    d.add_argument(
        "--placebo-seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the pseudo-event dates (default 0)",
    )
    add_question_options(p)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``eventstudy`` command."""
    from eventstudy import __version__

    p = argparse.ArgumentParser(
        prog="eventstudy",
        description="Event studies of announcement returns on A-shares (see docs/cli.md).",
    )
    p.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="the compute-leasing study on the built-in SIMULATED market")
    d.add_argument("--seed", type=int, default=20240513, help="simulation seed")
    _study_options(d)
    r = sub.add_parser("run", help="the real study on yfinance or a local file")
    r.add_argument(
        "--calendar",
        default="compute-leasing",
        help="'compute-leasing' (bundled) or a calendar CSV file",
    )
    _calendar_options(r)
    r.add_argument(
        "--source",
        choices=["yfinance", "csv"],
        default=None,
        help="data source (default: csv when --prices/--returns is given, else yfinance)",
    )
    src = r.add_mutually_exclusive_group()
    src.add_argument(
        "--prices", type=Path, help="long CSV date,ticker,close[,open,high,low,volume]"
    )
    src.add_argument("--returns", type=Path, help="long CSV date,ticker,ret")
    r.add_argument(
        "--preset",
        choices=["csmar", "tushare"],
        default=None,
        help="column preset for vendor exports",
    )
    r.add_argument(
        "--columns",
        default=None,
        metavar="MAP",
        help="column mapping, e.g. date=Trddt,ticker=Stkcd,close=Clsprc",
    )
    r.add_argument(
        "--returns-unit",
        choices=["decimal", "percent"],
        default=None,
        help="unit of the file's return column (default: the preset's, else decimal)",
    )
    r.add_argument(
        "--market", default="000300.SS", help="market index ticker (default 000300.SS, CSI 300)"
    )
    r.add_argument("--offline", action="store_true", help="yfinance: use the cache only")
    r.add_argument("--cache-dir", type=Path, default=None, help="yfinance cache directory")
    _study_options(r)
    s = sub.add_parser(
        "simulate",
        help="specification and power study of the tests on the SIMULATED market",
        description="Brown-Warner style Monte Carlo: K trials of N random events on the "
        "built-in simulated A-share market; rejection rates of every test at 1%%, 5%% and "
        "10%% with Monte Carlo standard errors (see docs/specification.md).",
    )
    s.add_argument("--trials", type=int, default=1000, metavar="K", help="trials (default 1000)")
    s.add_argument("--events", type=int, default=50, metavar="N", help="events per trial (50)")
    s.add_argument(
        "--effect",
        type=float,
        default=0.0,
        metavar="X",
        help="abnormal return planted on day 0, e.g. 0.01 (default 0: the size of the tests)",
    )
    s.add_argument(
        "--cluster",
        action="store_true",
        help="all events of a trial on one day 0 and from one sector (cross-correlated)",
    )
    s.add_argument("--no-limits", action="store_true", help="simulate without price limits")
    s.add_argument("--seed", type=int, default=0, help="seed of the market and the draws")
    s.add_argument(
        "--window",
        type=_window,
        default=(0, 0),
        metavar="A,B",
        help="CAR window tested (default 0,0: day 0)",
    )
    s.add_argument(
        "--sector-corr",
        type=float,
        default=None,
        metavar="RHO",
        help="residual correlation within a sector (default 0.1 with --cluster, else 0)",
    )
    s.add_argument("--n-firms", type=int, default=640, help="simulated firms (default 640)")
    s.add_argument(
        "--bootstrap-reps", type=int, default=499, help="bootstrap replications per trial (499)"
    )
    s.add_argument(
        "--tests", default=None, metavar="LIST", help="comma-separated tests (default: all)"
    )
    s.add_argument(
        "--bhar-window",
        type=_window,
        default=None,
        metavar="A,B",
        help="instead: size of the long-horizon BHAR tests over this window (t, LBT "
        "skewness-adjusted t and bootstrap; see docs/groups_and_longrun.md)",
    )
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    dk = s.add_mutually_exclusive_group()
    dk.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the blocks of trials on this dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(extra [distributed]; same numbers as the local run)",
    )
    dk.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="run the blocks of trials on a local dask cluster of N worker processes "
        "(extra [distributed]; same numbers as the local run)",
    )
    rp = sub.add_parser(
        "reproduce",
        help="recompute a finished run from its data snapshot and check every number",
    )
    rp.add_argument("dir", type=Path, help="output directory of an earlier run")
    rp.add_argument("--rtol", type=float, default=1e-10, help="relative tolerance (1e-10)")
    rp.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (1e-12)")
    cp = sub.add_parser(
        "compare",
        help="regression report: every number that moved between two output directories",
    )
    cp.add_argument("new", type=Path, help="output directory of the new run")
    cp.add_argument("base", type=Path, help="output directory of the baseline run")
    cp.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance (1e-9)")
    cp.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (1e-12)")
    cp.add_argument(
        "--markdown", type=Path, default=None, metavar="FILE", help="also write the report here"
    )
    cp.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="write the report as JSON here"
    )
    cp.add_argument(
        "--max-rows", type=int, default=200, help="rows of the Markdown table (default 200)"
    )
    c = sub.add_parser("calendar", help="print the calendar with each row's day 0 or reason")
    c.add_argument(
        "file",
        nargs="?",
        default="compute-leasing",
        help="calendar CSV (default: the bundled compute-leasing calendar)",
    )
    _calendar_options(c, short=True)
    return p


def _calendar_options(p: argparse.ArgumentParser, short: bool = False) -> None:
    """--calendar-preset and --calendar-columns (also --preset/--columns for `calendar`)."""
    p.add_argument(
        *(["--calendar-preset", "--preset"] if short else ["--calendar-preset"]),
        dest="calendar_preset",
        choices=["akshare", "csmar", "eastmoney", "tushare"],
        default=None,
        help="column preset of a vendor's announcement list (see docs/calendar.md)",
    )
    p.add_argument(
        *(["--calendar-columns", "--columns"] if short else ["--calendar-columns"]),
        dest="calendar_columns",
        default=None,
        metavar="MAP",
        help="calendar column mapping, e.g. ticker=ts_code,date=ann_date",
    )


def _load_calendar(args: argparse.Namespace, source: str) -> pd.DataFrame:
    from eventstudy.calendar import BUNDLED_CALENDARS, load_calendar

    if str(source) in BUNDLED_CALENDARS and (args.calendar_preset or args.calendar_columns):
        raise EventStudyError(
            "--calendar-preset/--calendar-columns apply to a calendar FILE, not the bundled "
            f"{source} calendar"
        )
    return load_calendar(source, columns=args.calendar_columns, preset=args.calendar_preset)


def _model_inputs(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The factor frame and the model options given by the model flags."""
    dims = {"lags": args.dimson_lags, "leads": args.dimson_leads, "ar": args.dimson_ar}
    opts = {k: v for k, v in dims.items() if v is not None}
    if opts and args.model != "dimson":
        raise EventStudyError("--dimson-lags/--dimson-leads/--dimson-ar apply to --model dimson")
    factors = None
    if args.factors:
        from eventstudy.data.factors import read_factors

        factors = read_factors(
            args.factors[0] if len(args.factors) == 1 else args.factors,
            preset=args.factors_preset,
            columns=args.factors_columns,
            units=args.factors_units,
        )
    elif args.factors_preset or args.factors_columns or args.factors_units:
        raise EventStudyError(
            "--factors-preset/--factors-columns/--factors-units need --factors FILE"
        )
    return factors, opts


def _fit(
    args: argparse.Namespace,
    events: pd.DataFrame,
    returns: Any,
    market: str,
    questions: dict[str, Any] | None = None,
) -> Any:
    from eventstudy.data.csvfile import read_st_csv
    from eventstudy.study import EventStudy

    factors, options = _model_inputs(args)
    return EventStudy(
        events,
        returns,
        market=market,
        model=args.model,
        factors=factors,
        model_options=options or None,
        estimation_window=args.estimation_window,
        event_window=args.event_window,
        car_windows=args.car_window,
        min_estimation_days=args.min_estimation_days,
        car_missing=args.car_missing,
        max_loss=args.max_loss,
        st=None if args.st is None else read_st_csv(args.st),
        exclude_limit_days=args.exclude_limit_days,
        leakage=not args.no_leakage,
        leak_alpha=args.leak_alpha,
        placebo_per_firm=args.placebo_per_firm,
        seed=args.placebo_seed,
        **(questions or {}),
    ).fit()


def _report_text(args: argparse.Namespace, *, flagship: bool, simulated: bool) -> dict[str, Any]:
    """Title, question and LaTeX flag of ``write_outputs``: the flagship wording belongs to
    the bundled calendar; ``--title`` and ``--question`` replace it."""
    from eventstudy.flagship import FLAGSHIP_QUESTION, FLAGSHIP_TITLE

    title = args.title
    if title is None:
        title = (FLAGSHIP_TITLE if flagship else "Event study report") + (
            " (SIMULATED market)" if simulated else ""
        )
    question = (
        args.question if args.question is not None else (FLAGSHIP_QUESTION if flagship else None)
    )
    return {"title": title, "question": question, "latex": args.latex}


def _params(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def cmd_demo(args: argparse.Namespace) -> int:
    from eventstudy.calendar import load_calendar
    from eventstudy.cli_questions import sim_end
    from eventstudy.data.simulate import simulate_market
    from eventstudy.report.files import write_outputs

    t0 = time.perf_counter()
    out = args.out or Path("demo-output")
    cal = load_calendar("compute-leasing")
    q = question_kwargs(args, cal, flagship=True)
    end = sim_end(cal, q["bhar_windows"], (simulate_market.__kwdefaults__ or {})["end"])
    sim = simulate_market(cal, seed=args.seed, end=end)
    res = _fit(args, cal, sim.panel, sim.panel.provenance.get("market", "000300.SS"), q)
    write_outputs(
        res,
        out,
        panel=sim.panel,
        calendar=cal,
        parameters=_params(args),
        inputs={"characteristics": args.characteristics} if args.characteristics else None,
        extra={"truth.csv": sim.truth, "truth_events.csv": sim.truth_events},
        **_report_text(args, flagship=True, simulated=True),
    )
    print(res.summary().as_text())
    print(f"\nSIMULATED prices. Wrote {out}/ in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from eventstudy.calendar import BUNDLED_CALENDARS
    from eventstudy.data.csvfile import read_prices_csv, read_returns_csv
    from eventstudy.report.files import write_outputs
    from eventstudy.tickers import normalize_market_ticker

    t0 = time.perf_counter()
    out = args.out or Path("eventstudy-output")
    cal = _load_calendar(args, args.calendar)
    source = args.source or ("csv" if (args.prices or args.returns) else "yfinance")
    bundled = str(args.calendar) in BUNDLED_CALENDARS
    if bundled:
        print(
            f"calendar: the bundled {args.calendar} calendar ({len(cal)} announcements)"
            + ("; give --calendar FILE to study your own events" if source == "csv" else "")
        )
    else:
        print(f"calendar: {args.calendar} ({len(cal)} rows)")
    inputs: dict[str, Path] = {}
    if Path(str(args.calendar)).is_file():
        inputs["calendar"] = Path(args.calendar)
    for i, f in enumerate(args.factors or []):
        inputs["factors" if i == 0 else f"factors{i + 1}"] = f
    q = question_kwargs(args, cal, flagship=args.calendar == "compute-leasing")
    if args.characteristics is not None:
        inputs["characteristics"] = args.characteristics
    if source == "yfinance" and (
        args.returns or args.prices or args.preset or args.columns or args.returns_unit
    ):
        raise EventStudyError(
            "--returns/--prices/--preset/--columns/--returns-unit apply to --source csv, "
            "not yfinance"
        )
    if source == "csv" and (args.offline or args.cache_dir):
        raise EventStudyError("--offline/--cache-dir apply to --source yfinance, not csv")
    if source == "csv":
        if args.returns is not None:
            panel = read_returns_csv(
                args.returns,
                columns=args.columns,
                preset=args.preset,
                returns_unit=args.returns_unit,
            )
            inputs["returns"] = args.returns
        elif args.prices is not None:
            panel = read_prices_csv(
                args.prices,
                columns=args.columns,
                preset=args.preset,
                returns_unit=args.returns_unit,
            )
            inputs["prices"] = args.prices
        else:
            raise EventStudyError("--source csv needs --returns FILE or --prices FILE")
    else:
        from eventstudy.data.yahoo import download_yahoo

        ok = cal[cal["calendar_status"] == "ok"]
        tickers = sorted(set(ok["ticker"].dropna().astype(str))) + [
            normalize_market_ticker(args.market)[0]
        ]
        if ok.empty:
            raise EventStudyError("no calendar row has a usable date and ticker")
        dates = pd.to_datetime(ok["date"])
        pad_before = int(abs(args.estimation_window[0]) * 1.6) + 30
        pad_after = int(abs(data_days_after(args, q)) * 1.6) + 30
        start = dates.min() - pd.Timedelta(days=pad_before)
        end = dates.max() + pd.Timedelta(days=pad_after)
        panel = download_yahoo(
            tickers, start, end, cache_dir=args.cache_dir, offline=args.offline, progress=True
        )
    try:
        res = _fit(args, cal, panel, args.market, q)
    except NoEventsIncludedError as exc:
        if bundled and source == "csv":
            raise NoEventsIncludedError(
                f"{exc} (the calendar was the bundled {args.calendar} calendar, because no "
                "--calendar was given: pass --calendar FILE with your own events)",
                exc.exclusions,
                exc.n_events,
            ) from None
        raise
    write_outputs(
        res,
        out,
        panel=panel,
        calendar=cal,
        parameters=_params(args),
        inputs=inputs,
        **_report_text(args, flagship=args.calendar == "compute-leasing", simulated=False),
    )
    print(res.summary().as_text())
    print(f"\nWrote {out}/ in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    from eventstudy.calendar import calendar_table, format_calendar_table

    table = calendar_table(_load_calendar(args, args.file))
    print(format_calendar_table(table))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from eventstudy.specification import specification_study

    if args.bhar_window is not None:
        from eventstudy.cli_questions import cmd_bhar_specification

        return cmd_bhar_specification(args)

    tests = [t.strip() for t in args.tests.split(",") if t.strip()] if args.tests else None
    kw = dict(
        effect=args.effect,
        cluster=args.cluster,
        limits=not args.no_limits,
        seed=args.seed,
        window=args.window,
        tests=tests,
        bootstrap_reps=args.bootstrap_reps,
        n_firms=args.n_firms,
        sector_corr=args.sector_corr,
    )
    if args.scheduler is None and args.workers is None:
        res = specification_study(args.trials, args.events, **kw)
    else:
        from eventstudy.distributed import connect

        with connect(args.scheduler, args.workers) as client:
            where = args.scheduler or f"a local cluster of {args.workers} worker(s)"
            print(f"running the trials on dask: {where}")
            res = specification_study(args.trials, args.events, client=client, **kw)
    paths = res.write(args.out)
    p = res.params
    print(
        f"{p['scenario']}: {p['trials']} trials x {p['events']} events, window "
        f"{p['window']}, {'clustered' if p['cluster'] else 'random'} dates, limits "
        f"{'on' if p['limits'] else 'off'}, sector correlation {p['sector_corr']:g} "
        "(SIMULATED market)"
    )
    tab = res.table(0.01)[["test", "rate"]].rename(columns={"rate": "1%"})
    for lev, name in ((0.05, "5%"), (0.10, "10%")):
        tab[name] = res.table(lev)["rate"].to_numpy()
    tab["mc_se(5%)"] = res.table(0.05)["mc_se"].to_numpy()
    print(tab.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nWrote {paths['csv']} and the figure in {res.seconds:.1f} s")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from eventstudy.report.compare import check_tolerances
    from eventstudy.reproduce import reproduce

    check_tolerances(args.rtol, args.atol)
    rep = reproduce(args.dir, rtol=args.rtol, atol=args.atol)
    print(rep.report(), end="")
    return 0 if rep.ok else 1


def cmd_compare(args: argparse.Namespace) -> int:
    import json as _json

    from eventstudy.report.compare import compare_dirs

    if args.max_rows < 0:
        raise EventStudyError(f"--max-rows must be 0 or more, got {args.max_rows}")
    cmp = compare_dirs(args.new, args.base, rtol=args.rtol, atol=args.atol)
    text = cmp.to_markdown(limit=args.max_rows)
    print(text, end="")
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json is not None:  # non-finite numbers are written as "inf", "-inf", "nan"
        args.json.write_text(
            _json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
    return 0 if cmp.same else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` command."""
    with _terminal_safe_output():
        return _main(argv)


class _SafeStream:
    """A text stream that shows control characters as escapes (see :mod:`eventstudy._text`)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _terminal_safe_output() -> Iterator[None]:
    """Everything the command prints goes through :func:`eventstudy._text.terminal_safe`."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "demo": cmd_demo,
        "run": cmd_run,
        "calendar": cmd_calendar,
        "simulate": cmd_simulate,
        "reproduce": cmd_reproduce,
        "compare": cmd_compare,
    }
    try:
        return handlers[args.command](args)
    except EventStudyError as exc:
        print(f"eventstudy: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"eventstudy: error: file not found: {exc.filename}", file=sys.stderr)
        return 2
    except OSError as exc:  # permissions, a folder where a file was expected, disk full
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"eventstudy: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an unexpected failure is an error (2), not a failed check (1)
        import traceback

        traceback.print_exc()
        print(f"eventstudy: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
