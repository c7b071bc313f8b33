"""What the study's questions write and read back: their ``summary.json`` blocks,
their CSV files, and the ``EventStudy`` options ``reproduce`` rebuilds from a run's
``config`` (the questions themselves: :mod:`eventstudy.questions`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.crosssection import read_characteristics
from eventstudy.exceptions import EventStudyError

if TYPE_CHECKING:
    from eventstudy.groups import GroupResults
    from eventstudy.longrun import BHARResult
    from eventstudy.overlap import OverlapOutcome
    from eventstudy.questions import QuestionSettings
    from eventstudy.results import EventStudyResults

__all__ = ["question_files", "question_json", "reproduce_kwargs"]


def question_json(res: EventStudyResults) -> dict[str, Any]:
    """The ``groups``, ``headline``, ``cross_section``, ``bhar``, ``reversal`` and
    ``overlap`` blocks of ``summary.json`` (null when not run)."""
    extra = res._extra
    qs: QuestionSettings | None = extra.get("settings")
    g: GroupResults | None = extra.get("groups")
    b: BHARResult | None = extra.get("bhar")
    o: OverlapOutcome | None = extra.get("overlap")
    head = None
    if g is not None and qs is not None and qs.headline is not None:
        blk = g.to_dict()
        one = next(x for x in blk["groups"] if x["group"] == qs.headline)
        head = {"column": g.column, "group": qs.headline, "n_events": one["n_events"],
                "caar": one["caar"]}  # fmt: skip
    bj = b.to_dict() if b is not None else {"bhar": None, "reversal": None}
    return {
        "groups": None if g is None else g.to_dict(),
        "headline": head,
        "cross_section": [t.to_dict() for t in extra.get("cross_section") or ()] or None,
        "bhar": bj["bhar"],
        "reversal": bj["reversal"],
        "overlap": None
        if o is None
        else {
            "policy": o.policy,
            "pairs": [
                {
                    "event_id": str(r.event_id),
                    "other": str(r.other),
                    "ticker": str(r.ticker),
                    "sessions_apart": int(r.sessions_apart),
                }
                for r in _rows(o.pairs)
            ],
            "excluded": int(o.exclude.sum()),
        },
    }


def question_files(res: EventStudyResults) -> dict[str, pd.DataFrame]:
    """CSV files of the questions for the output directory (name -> frame)."""
    extra = res._extra
    out: dict[str, pd.DataFrame] = {}
    g: GroupResults | None = extra.get("groups")
    if g is not None:
        out["groups.csv"] = g.caar
        out["group_differences.csv"] = g.difference
    b: BHARResult | None = extra.get("bhar")
    if b is not None:
        out["bhar.csv"] = b.frame
        out["bhar_tests.csv"] = b.tests
        out["reversal.csv"] = b.reversal
    cs = extra.get("cross_section") or ()
    if cs:
        out["cross_section.csv"] = pd.concat([t.table for t in cs], ignore_index=True)
    o: OverlapOutcome | None = extra.get("overlap")
    if o is not None and len(o.pairs):
        out["overlaps.csv"] = o.pairs
    ch = extra.get("characteristics")
    if ch is not None:
        out["data/characteristics.csv"] = ch
    return out


def reproduce_kwargs(config: Mapping[str, Any], data_dir: Path) -> dict[str, Any]:
    """``EventStudy`` options of the questions from a run's ``config`` (for ``reproduce``)."""
    out: dict[str, Any] = {}
    if "overlap" in config:
        out["overlap"] = config["overlap"]
    if config.get("groups"):
        out["groups"] = config["groups"]
        out["headline"] = config.get("headline")
    bh = config.get("bhar")
    if bh:
        out["bhar_windows"] = [tuple(w) for w in bh["windows"]]
        out["bhar_benchmark"] = bh["benchmark"]
        out["bhar_missing"] = bh["missing"]
        out["bhar_options"] = {
            "reps": bh["reps"],
            "fraction": bh["fraction"],
            "seed": bh["seed"],
            "initial": tuple(bh["initial"]),
        }
    if config.get("cross_section"):
        out["cross_section"] = list(config["cross_section"])
    if config.get("characteristics"):
        path = data_dir / "characteristics.csv"
        if not path.is_file():
            raise EventStudyError(f"{path} is missing: the run used characteristics")
        # the output writer escaped text cells a spreadsheet would run as formulas
        # ("=E1" -> "'=E1"); undo that exactly, as for the calendar
        from eventstudy._text import spreadsheet_unescape

        ch = read_characteristics(path)
        ch.columns = [spreadsheet_unescape(str(c)) for c in ch.columns]
        out["characteristics"] = ch.map(spreadsheet_unescape)
    return out


def _rows(df: pd.DataFrame) -> Any:
    return df.itertuples(index=False)
