"""Group commit: requests waiting while a write is under way share the next one, each answered with its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from caseflow_common.group_commit import GroupCommit, together_or_each


class Store:
    """A write that records its groups; an item named 'bad' is refused on its own, 'boom' fails the whole write."""

    def __init__(self, pause: asyncio.Event | None = None) -> None:
        self.groups: list[list[str]] = []
        self.pause = pause

    async def write(self, items: Sequence[str]) -> list[str | BaseException]:
        self.groups.append(list(items))
        if self.pause is not None:
            await self.pause.wait()
        if "boom" in items:
            raise OSError("database gone")
        return [ValueError(f"refused {i}") if i == "bad" else f"stored {i}" for i in items]


async def test_requests_submitted_together_share_one_write_and_each_gets_its_own_outcome():
    store, writes = Store(), GroupCommit[str, str]("test")
    outcomes = await asyncio.gather(*(writes.submit(i, store.write) for i in ["a", "bad", "c"]), return_exceptions=True)
    assert store.groups == [["a", "bad", "c"]]
    assert outcomes[0] == "stored a" and outcomes[2] == "stored c"
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "refused bad"


async def test_requests_arriving_during_a_write_form_the_next_group_in_arrival_order():
    release = asyncio.Event()
    store, writes = Store(pause=release), GroupCommit[str, str]("test")
    first = asyncio.create_task(writes.submit("a", store.write))
    await asyncio.sleep(0.01)  # "a" is being written
    later = [asyncio.create_task(writes.submit(i, store.write)) for i in ["b", "c", "d"]]
    await asyncio.sleep(0.01)
    assert store.groups == [["a"]]
    release.set()
    assert await first == "stored a"
    assert await asyncio.gather(*later) == ["stored b", "stored c", "stored d"]
    assert store.groups == [["a"], ["b", "c", "d"]]


async def test_a_group_holds_at_most_max_items():
    store, writes = Store(), GroupCommit[str, str]("test", max_items=2)
    assert await asyncio.gather(*(writes.submit(str(i), store.write) for i in range(5))) == [
        f"stored {i}" for i in range(5)
    ]
    assert store.groups == [["0", "1"], ["2", "3"], ["4"]]


async def test_a_failed_write_answers_every_request_of_its_group_and_the_next_group_still_runs():
    release = asyncio.Event()
    store, writes = Store(pause=release), GroupCommit[str, str]("test")
    doomed = [asyncio.create_task(writes.submit(i, store.write)) for i in ["x", "boom"]]
    await asyncio.sleep(0.01)
    after = asyncio.create_task(writes.submit("y", store.write))
    await asyncio.sleep(0.01)
    release.set()
    for task in doomed:
        with pytest.raises(OSError, match="database gone"):
            await task
    assert await after == "stored y"


async def test_a_request_cancelled_before_its_group_is_taken_is_not_written():
    release = asyncio.Event()
    store, writes = Store(pause=release), GroupCommit[str, str]("test")
    first = asyncio.create_task(writes.submit("a", store.write))
    await asyncio.sleep(0.01)
    gone = asyncio.create_task(writes.submit("gone", store.write))
    kept = asyncio.create_task(writes.submit("kept", store.write))
    await asyncio.sleep(0.01)
    gone.cancel()
    release.set()
    assert (await first, await kept) == ("stored a", "stored kept")
    assert store.groups == [["a"], ["kept"]]
    assert gone.cancelled()


async def test_a_write_returning_the_wrong_number_of_outcomes_fails_its_requests_rather_than_guessing():
    async def short(items: Sequence[str]) -> list[str | BaseException]:
        return ["one"]

    writes = GroupCommit[str, str]("test")
    outcomes = await asyncio.gather(writes.submit("a", short), writes.submit("b", short), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) and "1 outcomes for 2 items" in str(o) for o in outcomes)


async def test_a_group_whose_transaction_fails_is_written_again_item_by_item():
    store, alone = Store(), []

    async def each(item: str) -> str | BaseException:
        alone.append(item)
        return OSError("database gone") if item == "boom" else f"stored {item}"

    assert await together_or_each("test", ["a", "b"], store.write, each) == ["stored a", "stored b"]
    assert alone == []  # the group committed: nobody written twice
    outcomes = await together_or_each("test", ["c", "boom", "d"], store.write, each)
    assert alone == ["c", "boom", "d"]
    assert outcomes[0] == "stored c" and isinstance(outcomes[1], OSError) and outcomes[2] == "stored d"
    assert await together_or_each("test", ["e"], store.write, each) == ["stored e"]  # one item: on its own at once
    assert store.groups == [["a", "b"], ["c", "boom", "d"]]
