"""Read parquet files that may come from someone else: plain columns only.

The cache and ``reproduce`` read parquet files from directories they are
handed.  :func:`read_plain_parquet` opens them with pyarrow, refuses any
column whose type is not a plain scalar (no extension types, whose
deserialisation has run code in old pyarrow releases, no nested or binary
columns), ignores the pandas metadata stored in the file (so no pandas
extension dtype is constructed from it) and only then converts to pandas.
Nothing is unpickled.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from eventstudy.exceptions import DataError

__all__ = ["read_plain_parquet"]


def _plain(t: object) -> bool:
    import pyarrow as pa
    import pyarrow.types as pt

    if isinstance(t, pa.ExtensionType):
        return False
    if pt.is_dictionary(t):
        return bool(pt.is_string(t.value_type) or pt.is_large_string(t.value_type))  # type: ignore[attr-defined]
    return bool(
        pt.is_null(t)
        or pt.is_boolean(t)
        or pt.is_integer(t)
        or pt.is_floating(t)
        or pt.is_string(t)
        or pt.is_large_string(t)
        or pt.is_timestamp(t)
        or pt.is_date(t)
    )


def read_plain_parquet(path: str | Path, what: str) -> pd.DataFrame:
    """Read ``path`` into a DataFrame if every column is a plain scalar type.

    Parameters
    ----------
    path : path
        The parquet file.
    what : str
        How to name the file in an error message.

    Raises
    ------
    DataError
        When the file is not parquet, cannot be read, or holds a column of
        another type (naming the column and its type).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise DataError(f"{what}: not a readable parquet file ({exc})") from exc
    odd = [f"{f.name} ({f.type})" for f in schema if not _plain(f.type)]
    if odd:
        raise DataError(
            f"{what}: column(s) of a type eventstudy never writes: {', '.join(odd)}; "
            "the file is not read"
        )
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise DataError(f"{what}: not a readable parquet file ({exc})") from exc
    return table.to_pandas(ignore_metadata=True)
