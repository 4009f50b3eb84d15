"""A GraphQL request's timeout (graphql.request_timeout) behaves as asyncio.timeout_at: the
block cancelled at the deadline and that cancellation raised as the request's timeout, any
other failure or cancellation going through as it is."""

from __future__ import annotations

import asyncio

import pytest

from orgql.graphql.request_timeout import RequestTimedOut, RequestTimeout


def _past() -> float:
    return asyncio.get_running_loop().time() - 1


async def test_a_block_past_its_deadline_is_cancelled_and_answered_as_the_timeout() -> None:
    with pytest.raises(RequestTimedOut) as raised, RequestTimeout(_past(), 15):
        await asyncio.Event().wait()

    assert raised.value.status_code == 503
    assert raised.value.reason == "the request took longer than 15 seconds"
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_block_ended_before_its_timer_ran_leaves_the_task_alone() -> None:
    with RequestTimeout(_past(), 15):
        pass  # ended before the loop ran the timer (due at its next iteration)

    await asyncio.sleep(0)  # a timer left behind would cancel this task here
    await asyncio.sleep(0)


async def test_a_driver_timeout_in_the_block_goes_through_as_it_is() -> None:
    with pytest.raises(TimeoutError), RequestTimeout(_past(), 15):
        raise TimeoutError("the database did not answer")


async def test_a_cancellation_asked_by_another_is_not_turned_into_the_timeout() -> None:
    async def cancelled_from_outside() -> None:
        with RequestTimeout(_past(), 15):
            asyncio.current_task().cancel()  # type: ignore[union-attr]
            await asyncio.Event().wait()

    task = asyncio.ensure_future(cancelled_from_outside())
    with pytest.raises(asyncio.CancelledError):
        await task
