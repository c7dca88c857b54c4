"""Sans-I/O exchanges: one generator holds the logic of a multi-step exchange and yields what to
send; a driver does the I/O and feeds back each reply (or throws in each error).

So one piece of logic (a gateway's send, the operator's per-request bookkeeping) serves both the
blocking driver (:func:`drive`) and the asyncio one (:func:`adrive`): only the I/O differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")


def _resume(steps: Generator[S, Any, T], reply: Any, failure: BaseException | None) -> S:
    """The next step after ``reply`` (or ``failure``, raised at the ``yield``)."""
    return steps.throw(failure) if failure is not None else steps.send(reply)


def drive(steps: Generator[S, R, T], send: Callable[[S], R]) -> T:
    """Drive ``steps`` with a blocking ``send``; return the generator's result."""
    try:
        step = next(steps)
        while True:
            reply, failure = None, None
            try:
                reply = send(step)
            except Exception as exc:
                failure = exc
            step = _resume(steps, reply, failure)  # outside the handler: no added __context__
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def adrive(steps: Generator[S, R, T], send: Callable[[S], Awaitable[R]]) -> T:
    """Drive ``steps`` with an awaitable ``send`` (the asyncio twin of :func:`drive`)."""
    try:
        step = next(steps)
        while True:
            reply, failure = None, None
            try:
                reply = await send(step)
            except Exception as exc:
                failure = exc
            step = _resume(steps, reply, failure)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
