"""Estimation, event and CAR windows in trading-day offsets from day 0."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eventstudy.exceptions import WindowError

__all__ = ["DEFAULT_CAR_WINDOWS", "Window", "WindowSpec", "as_window", "window_label"]


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range ``[start, end]`` of trading days relative to day 0.

    Examples
    --------
    >>> Window(-1, 1).label
    '[-1,+1]'
    >>> Window.parse("-5,-1")
    Window(start=-5, end=-1)
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise WindowError(
                    f"window {name} must be an integer number of trading days, got {v!r}"
                )
        if self.start > self.end:
            raise WindowError(
                f"window [{self.start},{self.end}] has start > end; "
                "give it as start,end with start <= end"
            )

    @property
    def length(self) -> int:
        """Number of trading days in the window."""
        return self.end - self.start + 1

    @property
    def label(self) -> str:
        """Text label such as ``[-1,+1]``."""
        return window_label(self.start, self.end)

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse ``"A,B"`` (also ``"A:B"``, ``"[A,B]"`` or ``"(A,B)"``) into a window.

        Both ends are inclusive, whatever the brackets (``(-1,+1)`` is the
        literature's CAR(-1,+1)); brackets must come in a matching pair, so a
        half-open ``[0,1)`` or a lone ``[0,1`` is an error, not a guess.
        """
        body = str(text).strip()
        if body[:1] in "[(" or body[-1:] in "])":
            if body[:1] + body[-1:] not in ("[]", "()") or len(body) < 2:
                raise WindowError(
                    f"window {text!r}: brackets must match, [A,B] or (A,B) (both ends "
                    "inclusive), or none: A,B"
                )
            body = body[1:-1]
        parts = body.replace(":", ",").split(",")
        if len(parts) != 2:
            raise WindowError(f"window {text!r} is not of the form A,B (for example -5,5)")
        try:
            a, b = (int(p.strip()) for p in parts)
        except ValueError as exc:
            raise WindowError(f"window {text!r} is not of the form A,B with integers") from exc
        return cls(a, b)

    def __str__(self) -> str:
        return self.label


def _signed(v: int) -> str:
    return f"+{v}" if v > 0 else str(v)


def window_label(start: int, end: int) -> str:
    """Text label of a window given as two offsets, e.g. ``window_label(0, 1) == '[0,+1]'``."""
    return f"[{_signed(int(start))},{_signed(int(end))}]"


def as_window(value: Window | Sequence[int] | str, *, name: str = "window") -> Window:
    """Coerce a :class:`Window`, a pair of ints or an ``"A,B"`` string."""
    if isinstance(value, Window):
        return value
    if isinstance(value, str):
        return Window.parse(value)
    try:
        items = list(value)
    except TypeError as exc:
        raise WindowError(f"{name} must be a pair (start, end), got {value!r}") from exc
    if len(items) != 2:
        raise WindowError(f"{name} must be a pair (start, end), got {value!r}")
    a, b = items
    try:
        ia, ib = int(a), int(b)
    except (TypeError, ValueError) as exc:
        raise WindowError(f"{name} must hold integers, got {value!r}") from exc
    if ia != a or ib != b:
        raise WindowError(f"{name} must hold integers, got {value!r}")
    try:
        return Window(ia, ib)
    except WindowError as exc:
        raise WindowError(f"{name}: {exc}") from None


DEFAULT_CAR_WINDOWS: tuple[Window, ...] = (
    Window(-20, -1),
    Window(-10, -1),
    Window(-5, -1),
    Window(-1, 1),
    Window(0, 0),
    Window(0, 1),
    Window(0, 5),
    Window(0, 20),
    Window(-20, 20),
)


@dataclass(frozen=True)
class WindowSpec:
    """The validated set of windows of one study.

    The estimation window must end before the event window starts (an
    overlap would let the event contaminate the normal-return model), and
    every CAR window must lie inside the event window.
    """

    estimation: Window
    event: Window
    car: tuple[Window, ...]

    @classmethod
    def build(
        cls,
        estimation: Window | Sequence[int] | str,
        event: Window | Sequence[int] | str,
        car: Iterable[Window | Sequence[int] | str] | None = None,
    ) -> WindowSpec:
        est = as_window(estimation, name="estimation_window")
        ev = as_window(event, name="event_window")
        if est.end >= ev.start:
            raise WindowError(
                f"estimation_window {est.label} overlaps the event window "
                f"{ev.label}: the estimation window must end before day "
                f"{ev.start}"
            )
        if ev.start > 0 or ev.end < 0:
            raise WindowError(f"event_window {ev.label} must contain day 0")
        cars: list[Window] = []
        source = DEFAULT_CAR_WINDOWS if car is None else car
        for w in source:
            cw = as_window(w, name="car window")
            if car is None and (cw.start < ev.start or cw.end > ev.end):
                continue  # default windows that do not fit a custom event window
            if cw.start < ev.start or cw.end > ev.end:
                raise WindowError(f"CAR window {cw.label} lies outside the event window {ev.label}")
            if cw not in cars:
                cars.append(cw)
        if not cars:
            raise WindowError("no CAR window: give at least one inside the event window")
        return cls(est, ev, tuple(cars))
