"""Reading CSV bytes and parsing cells, shared by every CSV reader.

Files are read as UTF-8 (a BOM is allowed), falling back to GB18030 (the
superset of GBK, which Excel on Chinese Windows writes) with a note; every
column is read as text so that leading zeros survive.  Numbers are parsed
here with errors that name the row, ticker and date; dates follow the one
policy of :mod:`eventstudy.dates`.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from eventstudy.exceptions import DataError

__all__ = ["NA_TOKENS", "as_text", "parse_number", "read_csv_bytes", "read_input", "show"]

#: Cell texts read as missing.
NA_TOKENS: Final = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]

PathOrFrame = str | os.PathLike[str] | pd.DataFrame


def read_csv_bytes(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Parse CSV bytes (UTF-8, else GB18030) into a frame of text; return it and notes.

    Raises
    ------
    DataError
        When the bytes are neither encoding or not a CSV table, naming ``name``.
    """
    notes: list[str] = []
    kwargs: dict[str, Any] = {
        "dtype": str,
        "keep_default_na": False,
        "na_values": NA_TOKENS,
        "skipinitialspace": True,
    }
    try:
        try:
            frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", **kwargs)
        except UnicodeDecodeError:
            frame = pd.read_csv(io.BytesIO(data), encoding="gb18030", **kwargs)
            notes.append(f"{Path(name).name}: not UTF-8; read as GB18030")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: neither UTF-8 nor GB18030 (GBK) text; save it as UTF-8 CSV"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"{name}: cannot be read as CSV ({exc})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, notes


def read_input(path_or_frame: PathOrFrame) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """A file (read as text) or a copy of a frame, with its provenance and notes."""
    notes: list[str] = []
    if isinstance(path_or_frame, pd.DataFrame):
        frame = path_or_frame.copy()
        frame.columns = [str(c).strip() for c in frame.columns]
        prov: dict[str, Any] = {"path": None, "sha256": None, "input": "DataFrame"}
        return frame, prov, notes
    if not isinstance(path_or_frame, str | os.PathLike):
        raise DataError(f"expected a CSV path or a DataFrame, got {type(path_or_frame).__name__}")
    path = Path(path_or_frame)
    if path.is_dir():
        raise DataError(f"{path} is a directory; give the path of a CSV file")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    data = path.read_bytes()
    prov = {
        "path": str(path.resolve()),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    frame, notes = read_csv_bytes(data, str(path))
    return frame, prov, notes


def show(value: object) -> str:
    """A cell for an error message (text quoted)."""
    return repr(value) if isinstance(value, str) else str(value)


def as_text(raw: pd.Series) -> pd.Series:
    """Stripped text with empty cells as missing (vectorised)."""
    text = raw.astype("string").str.strip()
    return text.mask(text == "")


def parse_number(
    raw: pd.Series,
    col: str,
    label: str,
    what: str,
    tick: pd.Series,
    date: pd.Series,
    *,
    positive: bool = False,
) -> pd.Series:
    """Numbers of one column; raise naming the row, ticker and date of the first bad cell.

    Non-numeric and infinite values are refused; with ``positive`` also zero
    and negative ones (prices), and for ``label == "volume"`` negative ones.
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.astype("float64")
    else:
        text = as_text(raw)
        num = pd.Series(
            pd.to_numeric(text, errors="coerce").to_numpy("float64", na_value=np.nan),
            index=raw.index,
        )
        bad = (num.isna() & text.notna()).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{what}: row {i + 1} ({tick.iloc[i]}, {date.iloc[i].date()}) has a "
                f"non-numeric {label} {show(raw.iloc[i])} in column {col!r}"
            )
    arr = num.to_numpy()
    checks = [(np.isinf(arr), "an infinite")]
    if positive:
        checks.append((arr <= 0, "a non-positive"))
    elif label == "volume":
        checks.append((arr < 0, "a negative"))
    for mask, adj in checks:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise DataError(
                f"{what}: row {i + 1} ({tick.iloc[i]}, {date.iloc[i].date()}) has "
                f"{adj} {label} {show(raw.iloc[i])} in column {col!r}"
            )
    return num
