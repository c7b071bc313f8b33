"""The subcommands of the ``eventstudy`` command (see docs/cli.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventstudy.cli_output import captured_output, say
from eventstudy.cli_questions import check_option_use, data_days_after, question_kwargs
from eventstudy.exceptions import DataError, EventStudyError, NoEventsIncludedError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "cmd_calendar",
    "cmd_compare",
    "cmd_demo",
    "cmd_reproduce",
    "cmd_run",
    "cmd_simulate",
]


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
    sim_factors: Any = None,
) -> Any:
    from eventstudy.data.csvfile import read_st_csv
    from eventstudy.study import EventStudy

    factors, options = _model_inputs(args)
    factors = factors if sim_factors is None else sim_factors  # demo: the simulator's
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
    """The study's options for the manifest (``--quiet`` changes nothing in a study)."""
    return {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "quiet"
    }


def _usable_out(out: Path) -> None:
    """Refuse an output directory that a study may not be written into, before any work
    (the rules of :func:`eventstudy.report.outdir.prepare_out`)."""
    from eventstudy.report.outdir import prepare_out

    prepare_out(out)


def cmd_demo(args: argparse.Namespace) -> int:
    from eventstudy.calendar import load_calendar
    from eventstudy.cli_questions import sim_end
    from eventstudy.data.simulate import simulate_market
    from eventstudy.report.files import write_outputs

    t0 = time.perf_counter()
    check_option_use(args, flagship=True)
    out = args.out or Path("demo-output")
    _usable_out(out)
    cal = load_calendar("compute-leasing")
    q = question_kwargs(args, cal, flagship=True)
    end = sim_end(cal, q["bhar_windows"], (simulate_market.__kwdefaults__ or {})["end"])
    # a named factor model without --factors: the simulator's own factors (a known truth)
    fm = args.model if args.model in ("ff3", "carhart", "ch3") and not args.factors else None
    sim = simulate_market(cal, seed=args.seed, end=end, factor_model=fm)
    market = sim.panel.provenance.get("market", "000300.SS")
    res = _fit(args, cal, sim.panel, market, q, sim_factors=sim.factors if fm else None)
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
    say(args, res.summary().as_text())
    say(args, f"\nSIMULATED prices. Wrote {out}/ in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from eventstudy.calendar import BUNDLED_CALENDARS
    from eventstudy.data.csvfile import read_prices_csv, read_returns_csv
    from eventstudy.report.files import write_outputs

    t0 = time.perf_counter()
    check_option_use(args, flagship=args.calendar == "compute-leasing")
    out = args.out or Path("eventstudy-output")
    _usable_out(out)
    cal = _load_calendar(args, args.calendar)
    source = args.source or ("csv" if (args.prices or args.returns) else "yfinance")
    bundled = str(args.calendar) in BUNDLED_CALENDARS
    if bundled:
        say(
            args,
            f"calendar: the bundled {args.calendar} calendar ({len(cal)} announcements)"
            + ("; give --calendar FILE to study your own events" if source == "csv" else ""),
        )
    else:
        say(args, f"calendar: {args.calendar} ({len(cal)} rows)")
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
            try:
                panel = read_returns_csv(
                    args.returns,
                    columns=args.columns,
                    preset=args.preset,
                    returns_unit=args.returns_unit,
                )
            except EventStudyError as exc:
                if args.columns is None and args.preset is None and _holds_prices(args.returns):
                    raise DataError(
                        f"{exc}; {args.returns} holds prices (a close column and no ret): "
                        f"give it as --prices {args.returns}"
                    ) from None
                raise
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
        panel = _download(args, cal, q)
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
    say(args, res.summary().as_text())
    say(args, f"\nWrote {out}/ in {time.perf_counter() - t0:.1f} s")
    return 0


def _holds_prices(path: Path) -> bool:
    """Whether a CSV file's header names a close or price column and no ``ret``."""
    from eventstudy.data.base import PRICE_COLUMNS

    try:
        with open(path, "rb") as fh:
            head = fh.readline(65536).decode("utf-8", errors="replace")
    except OSError:
        return False
    names = {c.strip().strip('"').strip().lower() for c in head.lstrip("\ufeff").split(",")}
    return "ret" not in names and any(c in names for c in PRICE_COLUMNS)


def _download(args: argparse.Namespace, cal: pd.DataFrame, q: dict[str, Any]) -> Any:
    """The Yahoo Finance panel of the calendar's tickers and the market; yfinance's own
    output goes to a log file, and an empty download is one clear error."""
    import pandas as pd

    from eventstudy.data.cache import default_cache_dir
    from eventstudy.data.yahoo import download_yahoo
    from eventstudy.tickers import normalize_market_ticker

    ok = cal[cal["calendar_status"] == "ok"]
    if ok.empty:
        raise EventStudyError("no calendar row has a usable date and ticker")
    market = normalize_market_ticker(args.market)[0]
    tickers = sorted(set(ok["ticker"].dropna().astype(str)))
    tickers += [market] if market not in tickers else []
    dates = pd.to_datetime(ok["date"])
    pad_before = int(abs(args.estimation_window[0]) * 1.6) + 30
    pad_after = int(abs(data_days_after(args, q)) * 1.6) + 30
    start = dates.min() - pd.Timedelta(days=pad_before)
    end = dates.max() + pd.Timedelta(days=pad_after)
    cache = Path(args.cache_dir) if args.cache_dir is not None else default_cache_dir()
    with captured_output(cache / "logs") as cap:
        panel = download_yahoo(
            tickers, start, end, cache_dir=cache, offline=args.offline, progress=False
        )
    log = f"; {cap.note()}" if cap.lines else ""
    got = set(panel.returns["ticker"].astype(str)) if len(panel.returns) else set()
    if not got:
        raise DataError(
            f"Yahoo Finance returned no data for any of the {len(tickers)} tickers "
            f"({start.date()}..{end.date()}): no network, a rate limit or unknown tickers?"
            f"{log}"
        )
    if market not in got:
        raise DataError(
            f"Yahoo Finance returned no data for the market index {market} "
            f"({len(got)} of {len(tickers)} tickers downloaded); check --market{log}"
        )
    cap.release()
    if cap.lines:
        say(args, cap.note())
    return panel


def cmd_calendar(args: argparse.Namespace) -> int:
    from eventstudy.calendar import calendar_table, format_calendar_table

    table = calendar_table(_load_calendar(args, args.file))
    print(format_calendar_table(table))
    return 0


#: files that ``simulate`` writes (either study); a directory holding one is an earlier run
_SIMULATE_MARKERS = ("specification.json", "bhar_specification.json")


def _usable_simulate_out(out: Path) -> None:
    """Refuse, before any trial, an ``--out`` that ``simulate`` may not write into: a file,
    a symbolic link, or a non-empty directory that holds no earlier ``simulate`` output
    (its files could be overwritten)."""
    if out.is_symlink():
        raise EventStudyError(
            f"output path {out} is a symbolic link; eventstudy does not write through links: "
            "give the directory itself"
        )
    if out.exists() and not out.is_dir():
        raise EventStudyError(f"output path {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not any((out / m).is_file() for m in _SIMULATE_MARKERS):
            raise EventStudyError(
                f"output directory {out} is not empty and holds no earlier simulate output "
                f"({' or '.join(_SIMULATE_MARKERS)}); choose a new directory"
            )


def cmd_simulate(args: argparse.Namespace) -> int:
    from eventstudy.specification import specification_study

    _usable_simulate_out(args.out)

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
            say(args, f"running the trials on dask: {where}")
            res = specification_study(args.trials, args.events, client=client, **kw)
    paths = res.write(args.out)
    p = res.params
    if args.quiet:
        return 0
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
    say(args, rep.report().rstrip("\n"))
    return 0 if rep.ok else 1


def cmd_compare(args: argparse.Namespace) -> int:
    import json as _json

    from eventstudy.report.compare import compare_dirs

    if args.max_rows < 0:
        raise EventStudyError(f"--max-rows must be 0 or more, got {args.max_rows}")
    cmp = compare_dirs(args.new, args.base, rtol=args.rtol, atol=args.atol)
    text = cmp.to_markdown(limit=args.max_rows)
    say(args, text.rstrip("\n"))
    if args.markdown is not None:
        args.markdown.write_text(text, encoding="utf-8")
    if args.json is not None:  # non-finite numbers are written as "inf", "-inf", "nan"
        args.json.write_text(
            _json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
    return 0 if cmp.same else 1
