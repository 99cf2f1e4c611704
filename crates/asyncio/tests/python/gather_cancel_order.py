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
