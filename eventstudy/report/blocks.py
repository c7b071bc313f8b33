"""The report's building block: one heading, paragraph, item, table, figure or fold."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Block"]


@dataclass(frozen=True)
class Block:
    """A heading (``kind="h1"/"h2"/"h3"``), paragraph (``p``), list item (``item``),
    ``banner``, ``table``, ``figure`` (``text`` is the caption, ``path`` the PNG) or
    ``details`` (a table folded away in HTML under the summary line ``text``)."""

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None
    path: str = ""
