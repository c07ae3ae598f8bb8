"""Group commit: requests that arrive while a write is under way share the next transaction.

A command that would open, write and commit a transaction of its own (a report's case, its projection row, its
events) submits its item instead; the items waiting when the writer is free are handed to one ``write`` call, which
writes them in one transaction and returns each item's outcome (a result, or the exception that item's request
answers with). Each submitter waits for its own outcome, so a request is still answered only once what it wrote has
committed: the contract of one transaction per request, kept for every request, at the cost of one commit (and one
statement per shape of row) per group instead of per request.

No item waits for company: a group is whatever is waiting when the previous one has committed (under light load,
one item; under a burst, up to ``max_items``). A submitter cancelled before its group is taken (a client gone) is
left out of it; one cancelled after that is written with the others, as a request cancelled just after its commit
would have been.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Histogram

T = TypeVar("T")
R = TypeVar("R")

GROUP_SIZE = Histogram(
    "caseflow_group_commit_items",
    "Requests written by one transaction of a group commit, by writer",
    ["writer"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)

Write = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]

log = logging.getLogger(__name__)


async def together_or_each(
    name: str,
    items: Sequence[T],
    together: Write[T, R],
    each: Callable[[T], Awaitable[R | BaseException]],
) -> list[R | BaseException]:
    """A ``write`` for ``GroupCommit``: the items in one transaction (``together``, which raises when that
    transaction failed and nothing of it stayed); then, or for a single item, each in its own (``each``, which answers
    for its item: a result or the exception its request answers with)."""
    if len(items) > 1:
        try:
            return list(await together(items))
        except Exception as exc:  # the transaction rolled back: every item is written again on its own
            log.info("group written item by item", extra={"writer": name, "items": len(items), "reason": repr(exc)})
    return [await each(item) for item in items]


class GroupCommit(Generic[T, R]):
    """One process's queue of items for ``write`` (one writer at a time, in arrival order)."""

    def __init__(self, name: str, *, max_items: int = 64) -> None:
        if max_items < 1:
            raise ValueError("a group holds at least one item")
        self.name, self.max_items = name, max_items
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T, write: Write[T, R]) -> R:
        """Have ``item`` written with whatever else is waiting; its outcome, or the exception ``write`` gave it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(write), name=f"group-commit-{self.name}")
        return await future

    async def _drain(self, write: Write[T, R]) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[: self.max_items], self._waiting[self.max_items :]
            group = [(item, future) for item, future in group if not future.done()]
            if not group:
                continue
            GROUP_SIZE.labels(self.name).observe(len(group))
            try:
                outcomes: Sequence[R | BaseException] = await write([item for item, _ in group])
                if len(outcomes) != len(group):
                    raise RuntimeError(f"{self.name}: {len(outcomes)} outcomes for {len(group)} items")
            except BaseException as exc:  # the write itself failed: every item of the group answers with it
                outcomes = [exc] * len(group)
                if not isinstance(exc, Exception):
                    self._fail_all(group, exc)
                    raise
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _fail_all(self, group: list[tuple[T, asyncio.Future[R]]], exc: BaseException) -> None:
        """The writer itself was cancelled (the loop shutting down): nobody waits forever."""
        for _, future in [*group, *self._waiting]:
            if not future.done():
                future.set_exception(RuntimeError(f"{self.name}: writer stopped ({type(exc).__name__})"))
        self._waiting = []
