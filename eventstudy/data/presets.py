"""Column names and units of vendor exports, and plain column mappings.

Vendor exports are read through presets (:data:`PRESETS`: ``"csmar"``,
``"tushare"``) or a plain column mapping such as ``"date=Trddt,ticker=Stkcd"``
(:func:`parse_column_mapping`).  :func:`resolve_columns` turns either into the
file's column for each of the library's names (:data:`COLUMN_TARGETS`).
Imported by :mod:`eventstudy.data.csvfile`, which re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from eventstudy.exceptions import DataError, EventStudyError

__all__ = [
    "COLUMN_TARGETS",
    "PRESETS",
    "Preset",
    "parse_column_mapping",
]

#: Names a column mapping may assign (``target=source``).
COLUMN_TARGETS: Final = (
    "date",
    "ticker",
    "ret",
    "close",
    "open",
    "high",
    "low",
    "volume",
    "prev_close",
    "status",
)
_ALIASES: Final = {"id": "ticker"}

Kind = Literal["auto", "returns", "prices"]


@dataclass(frozen=True)
class Preset:
    """Column names and units of one vendor's daily file.

    Attributes
    ----------
    name : str
        Preset name as given to ``preset=``.
    columns : dict
        ``target -> source column``; source columns that are absent from a
        file are skipped unless the target is required.
    date_format : str or None
        ``strptime`` format of the date column (None: the date policy of
        :mod:`eventstudy.dates`).
    ret_unit : {"decimal", "percent"}
        Unit of the vendor's return column; ``returns_unit=`` overrides it
        (for a file that is already in decimals).
    volume_scale : float
        Factor turning the vendor's volume into shares.
    pad_codes : bool
        Left-pad purely numeric codes to six digits (spreadsheets drop the
        leading zeros of ``000001``).
    """

    name: str
    columns: dict[str, str]
    date_format: str | None = None
    ret_unit: str = "decimal"
    volume_scale: float = 1.0
    pad_codes: bool = False


#: Built-in presets; units are documented in ``docs/data.md``.
PRESETS: Final[dict[str, Preset]] = {
    # CSMAR daily stock file (TRD_Dalyr): Dretwd is the daily return with cash
    # dividends reinvested, as a decimal; Dnshrtrd is volume in shares.
    "csmar": Preset(
        name="csmar",
        columns={
            "ticker": "Stkcd",
            "date": "Trddt",
            "close": "Clsprc",
            "ret": "Dretwd",
            "volume": "Dnshrtrd",
            "status": "Trdsta",
            "open": "Opnprc",
            "high": "Hiprc",
            "low": "Loprc",
        },
        pad_codes=True,
    ),
    # Tushare pro ``daily``: pct_chg in percent, vol in lots of 100 shares.
    "tushare": Preset(
        name="tushare",
        columns={
            "ticker": "ts_code",
            "date": "trade_date",
            "close": "close",
            "open": "open",
            "high": "high",
            "low": "low",
            "prev_close": "pre_close",
            "ret": "pct_chg",
            "volume": "vol",
        },
        date_format="%Y%m%d",
        ret_unit="percent",
        volume_scale=100.0,
    ),
}


def parse_column_mapping(
    text: str,
    *,
    targets: Sequence[str] = COLUMN_TARGETS,
    error: type[EventStudyError] = DataError,
) -> dict[str, str]:
    """Parse ``"date=Trddt,ticker=Stkcd"`` into ``{"date": "Trddt", "ticker": "Stkcd"}``.

    Keys are the library's column names (:data:`COLUMN_TARGETS`, or
    ``targets``), values the file's column names.

    Parameters
    ----------
    text : str
        Comma-separated ``target=column`` items.
    targets : sequence of str
        The names a mapping may assign (the calendar loader passes its own,
        :data:`eventstudy.calendar.reading.CALENDAR_TARGETS`).
    error : EventStudyError subclass
        Class of the error raised (:class:`~eventstudy.exceptions.DataError`
        by default).

    Raises
    ------
    DataError
        (or ``error``) On an item without ``=``, an empty name, an unknown
        target or a target given twice.

    Examples
    --------
    >>> parse_column_mapping("date=Trddt, ticker=Stkcd, ret=Dretwd")
    {'date': 'Trddt', 'ticker': 'Stkcd', 'ret': 'Dretwd'}
    """
    out: dict[str, str] = {}
    items = [p.strip() for p in str(text).split(",")]
    if not any(items):
        raise error("column mapping is empty; expected e.g. 'date=Trddt,ticker=Stkcd'")
    for item in items:
        if not item:
            raise error(f"column mapping {text!r}: empty item (doubled or trailing comma?)")
        target, sep, source = item.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise error(
                f"column mapping {text!r}: item {item!r} is not of the form "
                f"target=column, e.g. 'date=Trddt'"
            )
        if target not in targets:
            raise error(
                f"column mapping {text!r}: unknown target {target!r}; "
                f"allowed targets are {', '.join(targets)}"
            )
        if target in out:
            raise error(f"column mapping {text!r}: target {target!r} is given twice")
        out[target] = source
    return out


def find_column(columns: Sequence[str], name: str) -> str | None:
    """The column called ``name`` (exactly, else the only case-insensitive match)."""
    if name in columns:
        return name
    hits = [c for c in columns if c.lower() == name.lower()]
    return hits[0] if len(hits) == 1 else None


def coerce_mapping(columns: Mapping[str, str] | str | None) -> dict[str, str]:
    """A user's ``columns=`` argument as a checked ``{target: column}`` dict."""
    if columns is None:
        return {}
    if isinstance(columns, str):
        return parse_column_mapping(columns)
    out = dict(columns)
    for target in out:
        if target not in COLUMN_TARGETS:
            raise DataError(
                f"columns: unknown target {target!r}; allowed targets are "
                f"{', '.join(COLUMN_TARGETS)}"
            )
    return out


def get_preset(name: str | None) -> Preset | None:
    """The preset called ``name`` (case-insensitive), None for None."""
    if name is None:
        return None
    try:
        return PRESETS[name.lower()]
    except (KeyError, AttributeError):
        raise DataError(
            f"preset: unknown preset {name!r}; choose one of "
            f"{', '.join(sorted(PRESETS))}, or give columns="
        ) from None


def resolve_columns(
    found: Sequence[str], preset: Preset | None, user: dict[str, str], kind: Kind, what: str
) -> dict[str, str]:
    """Map each target to the file's column: the user's mapping, the preset, then the name."""
    wanted = dict(preset.columns) if preset else {}
    wanted.update(user)
    resolved: dict[str, str] = {}
    for target in COLUMN_TARGETS:
        source = wanted.get(target)
        if source is not None:
            actual = find_column(found, source)
            if actual is None and target in user:
                raise DataError(
                    f"{what}: column mapping {target}={source}: the file has no "
                    f"column {source!r} (found {list(found)})"
                )
        else:
            actual = find_column(found, target)
            if actual is None:
                alias = [a for a, t in _ALIASES.items() if t == target]
                actual = next((c for a in alias if (c := find_column(found, a))), None)
        if actual is not None:
            twice = [t for t, c in resolved.items() if c == actual]
            if twice and (target in user or twice[0] in user):
                # one column cannot be two: the date read as tickers, or the close as volume
                raise DataError(
                    f"{what}: column mapping: the file's column {actual!r} would be both "
                    f"{twice[0]!r} and {target!r}; map each column once"
                )
            resolved[target] = actual
    need = ["date", "ticker"] + {"returns": ["ret"], "prices": ["close"], "auto": []}[kind]
    missing = [t for t in need if t not in resolved]
    if kind == "auto" and "ret" not in resolved and "close" not in resolved:
        missing.append("ret or close")
    if missing:
        how = (
            f" (preset {preset.name!r} expects {preset.columns})"
            if preset
            else "; map them with columns='date=...,ticker=...' or a preset"
        )
        raise DataError(f"{what}: missing column(s) {missing}; found {list(found)}{how}")
    return resolved
