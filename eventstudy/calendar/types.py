"""Event types, player types and boards of calendar rows, as categories.

A study that pools opposite news (an entry and a termination) into one CAAR
answers no question, so the calendar loader turns the free text of three
columns into categories a study can group on (``docs/calendar.md``):

``event_type``
    one of :data:`EVENT_TYPES` (entry, follow-up, termination, scale-back),
    read from the leading phrase of the text: ``"termination (warning)"`` is
    a termination.  The text as written is kept in ``event_type_raw`` when
    the category differs from it.
``player_type``
    one of :data:`PLAYER_TYPES` (the four kinds of firm of the compute-leasing
    story plus ``unclear``), read the same way from ``player_type`` or, when
    the calendar has no such column, from ``player_type_assessed``; an empty
    cell is ``unclear``.  ``"cross-border entrant (dyes)"`` is a cross-border
    entrant.
``board``
    one of :data:`BOARD_LABELS` (main, ChiNext, STAR, BSE, other, unknown),
    taken from the ticker's code prefix
    (:func:`eventstudy.market.boards.board_of`, the same rule that picks the
    price limit); a calendar's own ``board`` column (``"SZSE main"``) is read
    by leading phrase, kept in ``board_raw``, used where the ticker is
    missing and checked against the ticker elsewhere.

The rule (:func:`category_of`): the text is lower-cased, runs of spaces and
underscores become one space, and it must equal a listed phrase or start with
one followed by a character that is not a letter or digit (a space, ``(``,
``/``, ``;`` ...).  The longest matching phrase wins.

The bundled calendar is read strictly: a value no phrase matches is a
:class:`~eventstudy.exceptions.CalendarError`, so a new row cannot fall
through unclassified.  A user calendar is normalised column by column only
when every non-empty value of the column matches; otherwise the column is
the user's own scheme and is left exactly as it is.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from eventstudy.exceptions import CalendarError, CalendarWarning
from eventstudy.market.boards import boards_of

__all__ = [
    "BOARD_LABELS",
    "BOARD_PHRASES",
    "EVENT_TYPES",
    "EVENT_TYPE_PHRASES",
    "PLAYER_TYPES",
    "PLAYER_TYPE_PHRASES",
    "add_type_columns",
    "board_labels",
    "categories_of",
    "category_of",
]

#: Event-type categories, in reporting order.
EVENT_TYPES: Final = ("entry", "follow-up", "termination", "scale-back")

#: Player-type categories: the seed article's four kinds of firm, then ``unclear``.
PLAYER_TYPES: Final = (
    "cloud provider",
    "traditional IDC provider",
    "firm with IDC build/operation capability",
    "cross-border entrant",
    "unclear",
)

#: Board labels: main (SSE and SZSE main boards), ChiNext, STAR, BSE (Beijing),
#: other (indexes, B shares, non-A-share tickers), unknown (no ticker, no board).
BOARD_LABELS: Final = ("main", "ChiNext", "STAR", "BSE", "other", "unknown")

#: Leading phrase (lower case) -> event type.
EVENT_TYPE_PHRASES: Final[Mapping[str, str]] = {
    "entry": "entry",
    "follow-up": "follow-up",
    "follow up": "follow-up",
    "followup": "follow-up",
    "termination": "termination",
    "scale-back": "scale-back",
    "scale back": "scale-back",
    "scaleback": "scale-back",
}

#: Leading phrase (lower case) -> player type.  ``firm with idc`` covers the
#: calendar's "firm with IDC build/operation capability", "firm with
#: IDC/network build capability" and "firm with IDC build capability".
PLAYER_TYPE_PHRASES: Final[Mapping[str, str]] = {
    "cloud provider": "cloud provider",
    "traditional idc provider": "traditional IDC provider",
    "firm with idc": "firm with IDC build/operation capability",
    "cross-border entrant": "cross-border entrant",
    "cross border entrant": "cross-border entrant",
    "unclear": "unclear",
}

#: Leading phrase (lower case) of a calendar's own board column -> board label.
BOARD_PHRASES: Final[Mapping[str, str]] = {
    "main": "main",
    "sse main": "main",
    "szse main": "main",
    "chinext": "ChiNext",
    "star": "STAR",
    "bse": "BSE",
    "beijing": "BSE",
    "other": "other",
    "unknown": "unknown",
}

_BOARD_OF: Final = {
    "sse_main": "main",
    "szse_main": "main",
    "chinext": "ChiNext",
    "star": "STAR",
    "bse": "BSE",
    "other": "other",
}
_SPACES = re.compile(r"[\s_]+")


def _text(value: object) -> str:
    """A cell as stripped text; '' for None and NaN."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    try:
        if bool(pd.isna(value)):  # type: ignore[call-overload]
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def category_of(text: str, phrases: Mapping[str, str]) -> str | None:
    """Category of one text by its leading phrase; None when no phrase matches.

    Parameters
    ----------
    text : str
        The cell as written.
    phrases : mapping
        Lower-case leading phrase -> category (e.g. :data:`EVENT_TYPE_PHRASES`).

    Examples
    --------
    >>> category_of("termination (warning)", EVENT_TYPE_PHRASES)
    'termination'
    >>> category_of("firm with IDC/network build capability", PLAYER_TYPE_PHRASES)
    'firm with IDC build/operation capability'
    >>> category_of("entryway", EVENT_TYPE_PHRASES) is None
    True
    """
    key = _SPACES.sub(" ", text.strip().lower())
    for phrase in sorted(phrases, key=len, reverse=True):
        if key == phrase or (key.startswith(phrase) and not key[len(phrase)].isalnum()):
            return phrases[phrase]
    return None


def categories_of(
    values: Iterable[object], phrases: Mapping[str, str], *, empty: str | None = None
) -> list[str | None]:
    """:func:`category_of` of many cells, each distinct text classified once.

    Parameters
    ----------
    values : iterable
        Cells (str, None or NaN; other values are read as text).
    phrases : mapping
        Lower-case leading phrase -> category.
    empty : str, optional
        Category of an empty cell (None: no category).

    Returns
    -------
    list
        One category per cell; None where no phrase matches (or the cell is
        empty and ``empty`` is None).

    >>> categories_of(["entry (x)", None, "merger"], EVENT_TYPE_PHRASES, empty="entry")
    ['entry', 'entry', None]
    """
    texts = [_text(v) for v in values]
    found = {t: (category_of(t, phrases) if t else empty) for t in set(texts)}
    return [found[t] for t in texts]


def board_labels(tickers: pd.Series) -> pd.Series:
    """Board label (:data:`BOARD_LABELS`) of each ticker; ``unknown`` where it is missing.

    >>> board_labels(pd.Series(["600186.SS", "300657.SZ", "688041.SS", None])).tolist()
    ['main', 'ChiNext', 'STAR', 'unknown']
    """
    values = pd.Series(tickers).reset_index(drop=True)
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    present = np.array([_text(u) != "" for u in np.asarray(uniq, dtype=object)] + [False])[codes]
    labels = boards_of(values).map(_BOARD_OF)
    return pd.Series(labels.where(present, "unknown").tolist(), name="board")


def _classify(
    cal: pd.DataFrame, source: str, phrases: Mapping[str, str], empty: str | None, strict: bool
) -> tuple[list[str], list[int]]:
    """Categories of ``cal[source]`` and the rows that did not map.

    An empty cell gets ``empty``; when ``empty`` is None it stays empty, and
    under ``strict`` it counts as not mapped.
    """
    texts = [_text(v) for v in cal[source].tolist()]
    cats = categories_of(texts, phrases, empty=empty)
    bad = [
        i for i, (c, t) in enumerate(zip(cats, texts, strict=True)) if c is None and (t or strict)
    ]
    return [t if c is None else c for c, t in zip(cats, texts, strict=True)], bad


def _report(cal: pd.DataFrame, column: str, source: str, bad: Sequence[int], known: str) -> None:
    ids = cal["event_id"].tolist() if "event_id" in cal.columns else list(range(len(cal)))
    listed = "; ".join(
        f"row {i + 1} (event_id {ids[i]}): {_text(cal[source].iloc[i])!r}" for i in bad
    )
    raise CalendarError(
        f"calendar {source} value(s) match no {column} category ({known}): {listed}; "
        f"add the leading phrase to eventstudy.calendar.types"
    )


def _warn_spellings(
    cal: pd.DataFrame, column: str, source: str, values: list[str], bad: Sequence[int]
) -> None:
    """Warn when a user column left as written spells one category in several ways.

    The column is the user's own scheme (some value matches no category), so it
    is not normalised; if it holds, say, ``entry`` and ``Entry``, they stay two
    values, and grouping on the column would split one kind of event.
    """
    skip = set(bad)
    spell: dict[str, set[str]] = {}
    for i, (cat, raw) in enumerate(zip(values, cal[source].tolist(), strict=True)):
        if i not in skip and _text(raw):
            spell.setdefault(cat, set()).add(_text(raw))
    many = {c: sorted(v) for c, v in spell.items() if len(v) > 1}
    if not many:
        return
    ids = cal["event_id"].tolist() if "event_id" in cal.columns else list(range(len(cal)))
    shown = "; ".join(
        f"row {i + 1} (event_id {ids[i]}): {_text(cal[source].iloc[i])!r}" for i in bad[:3]
    )
    warnings.warn(
        f"calendar {source} is left as written because {len(bad)} value(s) match no "
        f"{column} category ({shown}{' ...' if len(bad) > 3 else ''}), but it spells "
        f"categories in several ways: {many}; these stay distinct values (groups on the "
        "column would split them): write one spelling, or categories throughout",
        CalendarWarning,
        stacklevel=4,
    )


def _set_category(
    cal: pd.DataFrame, column: str, values: list[str], raw: str, after: str | None
) -> None:
    """Write the category column; keep the text in ``raw`` when any value changed."""
    names = [str(c) for c in cal.columns]
    if column in cal.columns:
        changed = [_text(v) for v in cal[column].tolist()] != values
        if raw not in cal.columns and changed:
            cal.insert(names.index(column) + 1, raw, cal[column].to_numpy())
        cal[column] = pd.Series(values, index=cal.index)
    else:
        loc = names.index(after) + 1 if after is not None else len(names)
        cal.insert(loc, column, pd.Series(values, index=cal.index))


def add_type_columns(cal: pd.DataFrame, *, strict: bool = False) -> pd.DataFrame:
    """Add the ``event_type``, ``player_type`` and ``board`` categories to a calendar.

    Called by :func:`~eventstudy.calendar.load_calendar` on its result.

    Parameters
    ----------
    cal : DataFrame
        A calendar with ``ticker`` (and usually ``event_id``); not modified.
    strict : bool, default False
        True for the bundled calendar: a value that matches no phrase, or a
        board that contradicts the ticker, raises :class:`CalendarError`.
        False for user calendars: a column with any such value is left as
        it is, and a contradicting board is a :class:`CalendarWarning`.

    Returns
    -------
    DataFrame
        A copy with

        * ``event_type`` replaced by its category when the column exists
          (and, in a user calendar, all its non-empty values match), the text
          kept in ``event_type_raw`` (inserted after it) when any value
          changed; an empty cell stays empty;
        * ``player_type``: from ``player_type`` itself (text kept in
          ``player_type_raw``) or else from ``player_type_assessed`` (the
          column is inserted after it, which keeps the text); empty cells
          are ``unclear``;
        * ``board``: the ticker's board label; a calendar's own ``board``
          column is read as above (text kept in ``board_raw``) and used
          where the ticker is missing; a calendar without one gets ``board``
          as its last column.

    Raises
    ------
    CalendarError
        (strict only) a value that matches no phrase, or a board that
        contradicts the ticker; the message names the row, event_id and value.

    Notes
    -----
    The columns ``event_type_raw``, ``player_type_raw`` and ``board_raw``
    are read back as the source text, so applying this to its own output
    gives the same frame.
    """
    out = cal.copy()
    rules = (
        ("event_type", ("event_type_raw", "event_type"), EVENT_TYPE_PHRASES, None, EVENT_TYPES),
        (
            "player_type",
            ("player_type_raw", "player_type", "player_type_assessed"),
            PLAYER_TYPE_PHRASES,
            "unclear",
            PLAYER_TYPES,
        ),
    )
    for column, sources, phrases, empty, known in rules:
        source = next((s for s in sources if s in out.columns), None)
        if source is None:
            continue
        values, bad = _classify(out, source, phrases, empty, strict)
        if bad:
            if strict:
                _report(out, column, source, bad, ", ".join(known))
            _warn_spellings(out, column, source, values, bad)
            continue
        if source == "player_type_assessed":
            _set_category(out, column, values, "player_type_raw", after=source)
        elif source == f"{column}_raw":
            out[column] = pd.Series(values, index=out.index)
        else:
            _set_category(out, column, values, f"{column}_raw", after=None)
    _add_board(out, strict)
    return out


def _add_board(out: pd.DataFrame, strict: bool) -> None:
    from_ticker = board_labels(out["ticker"]).tolist()
    source = next((s for s in ("board_raw", "board") if s in out.columns), None)
    if source is None:
        out["board"] = pd.Series(from_ticker, index=out.index)
        return
    given, bad = _classify(out, source, BOARD_PHRASES, "unknown", strict)
    if bad:
        if strict:
            _report(out, "board", source, bad, ", ".join(BOARD_LABELS))
        return  # the calendar's own board scheme: left as it is
    g, t = np.array(given, dtype=object), np.array(from_ticker, dtype=object)
    values = np.where(t == "unknown", g, t).tolist()
    ids = out["event_id"].tolist() if "event_id" in out.columns else list(range(len(out)))
    clash = [
        f"row {i + 1} (event_id {ids[i]}): board {_text(out[source].iloc[i])!r} "
        f"but ticker {out['ticker'].iloc[i]} is {t[i]}"
        for i in np.flatnonzero((t != "unknown") & (g != "unknown") & (g != t))
    ]
    if clash:
        msg = "calendar board contradicts the ticker: " + "; ".join(clash)
        if strict:
            raise CalendarError(msg)
        warnings.warn(msg + "; using the ticker's board", CalendarWarning, stacklevel=4)
    if source == "board_raw":
        out["board"] = pd.Series(values, index=out.index)
    else:
        _set_category(out, "board", values, "board_raw", after=None)
