# Cancelling a task that awaits a gather cancels the gather's children first; the task's
# own cleanup runs once they have finished theirs. Expected trace of
# tests/gather.rs::a_cancelled_awaiter_cleans_up_after_the_gathered_children.
import asyncio

async def child(name):
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print(name, 'cleanup')
        await asyncio.sleep(0)
        print(name, 'cleanup done')
        raise

async def awaiter():
    try:
        await asyncio.gather(child('a'), child('b'))
    except asyncio.CancelledError:
        print('awaiter cleanup')
        raise

async def main():
    t = asyncio.create_task(awaiter())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        print('awaiter cancelled', t.cancelled())

asyncio.run(main())

# wait_for on a gather: the timeout comes after the children's cleanup.
# Expected trace of tests/gather.rs::wait_for_a_gather_reports_after_the_children_cleanup.
async def timed():
    try:
        await asyncio.wait_for(asyncio.gather(child('c'), child('d')), 0.01)
    except asyncio.TimeoutError:
        print('TimeoutError')

asyncio.run(timed())
