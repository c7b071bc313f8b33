"""Text columns handed to frames as arrow arrays, without a round trip through
Python strings (internal: the results builder and the events reader)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["TEXT_DTYPE", "taken_texts"]

#: The dtype a frame gives a column of Python strings (pandas 3: ``str``, arrow-backed;
#: pandas 2: ``object``).
TEXT_DTYPE = pd.Series(np.array(["a"], dtype=object)).dtype


def taken_texts(texts: NDArray[Any] | list[Any], codes: NDArray[Any]) -> Any:
    """``texts[codes]`` as a frame column reads it (same dtype and values).

    The few distinct ``texts`` are converted to :data:`TEXT_DTYPE` once and
    taken, not every cell; a code of -1 takes the last text.  Where no value
    taken is a text (all missing), the object array itself, as a frame
    would keep it.
    """
    texts = np.asarray(texts, dtype=object)
    codes = np.where(np.asarray(codes, dtype=np.intp) < 0, len(texts) - 1, codes)
    if not bool(np.asarray(pd.notna(texts), dtype=bool)[codes].any()):
        return texts[codes]
    return pd.Series(texts, dtype=object).astype(TEXT_DTYPE).array.take(codes)
