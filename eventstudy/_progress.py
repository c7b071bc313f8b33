"""Progress of long work, shown only when a caller asks for it.

The library reports progress through :func:`progress`; nothing is shown
unless a caller installed a bar factory with :func:`showing_progress` (the
``eventstudy`` command does so with tqdm when standard error is a terminal
and ``--quiet`` is not given).  Library users see nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

__all__ = ["Bar", "progress", "showing_progress", "tracked"]

T = TypeVar("T")


class Bar(Protocol):
    """What :func:`progress` yields: tqdm's ``update``, ``set_postfix_str`` and ``close``."""

    def update(self, n: float = 1) -> Any: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...

    def close(self) -> Any: ...


class _NoBar:
    def update(self, n: float = 1) -> None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None

    def close(self) -> None:
        return None


BarFactory = Callable[..., Bar]
_FACTORY: ContextVar[BarFactory | None] = ContextVar("eventstudy_progress", default=None)


@contextlib.contextmanager
def progress(desc: str, total: float | None, unit: str = "it") -> Iterator[Bar]:
    """A progress bar for ``total`` steps of ``desc``; a no-op unless one is being shown."""
    factory = _FACTORY.get()
    if factory is None:
        yield _NoBar()
        return
    bar = factory(desc=desc, total=total, unit=unit)
    try:
        yield bar
    finally:
        bar.close()


def tracked(
    items: Iterable[T],
    desc: str,
    total: float | None,
    unit: str = "it",
    size: Callable[[T], float] | None = None,
) -> Iterator[T]:
    """Iterate over ``items``, advancing a :func:`progress` bar by ``size(item)`` (or 1)
    once each item's work is done."""
    with progress(desc, total, unit) as bar:
        for item in items:
            yield item
            bar.update(1 if size is None else size(item))


@contextlib.contextmanager
def showing_progress(factory: BarFactory | None) -> Iterator[None]:
    """Show the progress of the work inside the block with ``factory(desc=, total=, unit=)``
    (e.g. ``tqdm.tqdm``); ``None`` shows nothing."""
    token = _FACTORY.set(factory)
    try:
        yield
    finally:
        _FACTORY.reset(token)
