"""The wording of the flagship study (the bundled ``compute-leasing`` calendar).

Its title and question belong to that calendar only: ``eventstudy demo`` and
``eventstudy run --calendar compute-leasing`` use them unless ``--title`` or
``--question`` is given; a study of one's own calendar gets the neutral title
``"Event study report"`` and no question (see docs/cli.md).
"""

from __future__ import annotations

__all__ = ["FLAGSHIP_QUESTION", "FLAGSHIP_TITLE"]

FLAGSHIP_TITLE = "Compute-leasing announcements: event study"
FLAGSHIP_QUESTION = (
    "How did share prices react when A-share listed companies announced entry into "
    "compute leasing (算力租赁)? How large was the reaction, was it significant, and "
    "did prices move before the news?"
)
