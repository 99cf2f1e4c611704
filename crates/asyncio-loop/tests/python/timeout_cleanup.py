# wait_for reports the timeout only after the inner work finished its cancellation.
# Expected traces of tests/catch.rs (the timeout_* tests). The order of events is pinned,
# not iteration counts: 3.11's wait_for wraps a coroutine in a task and cancels through
# callbacks, a few iterations our inline timeout does not spend.
import asyncio

async def worker(swallow):
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print('worker caught')
        await asyncio.sleep(0)
        print('worker cleanup done')
        if not swallow:
            raise
    return 'worker swallowed'

async def run(name, make):
    print('--', name)
    aw = make()
    try:
        r = await asyncio.wait_for(aw, 0.01)
        print('result', r)
    except asyncio.TimeoutError:
        print('TimeoutError')
    if isinstance(aw, asyncio.Task):
        print('task done', aw.done(), 'cancelled', aw.cancelled())
    await asyncio.sleep(0.05)

async def main():
    await run('coroutine reraises', lambda: worker(False))
    await run('coroutine swallows', lambda: worker(True))
    await run('task reraises', lambda: asyncio.ensure_future(worker(False)))
    await run('task swallows', lambda: asyncio.ensure_future(worker(True)))

asyncio.run(main())
