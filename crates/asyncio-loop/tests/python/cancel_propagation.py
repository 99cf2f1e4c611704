# Cancelling a task suspended on another task cancels that one first; the outer ends the
# iteration after the inner did. Under shield the inner goes on.
# Expected trace of tests/cancel.rs::cancel_propagates_through_awaited_task.
import asyncio

def ticker(loop, n, limit):
    print('iter', n)
    if n < limit:
        loop.call_soon(ticker, loop, n + 1, limit)

async def inner():
    try:
        await asyncio.sleep(3600)
    finally:
        print('inner cleanup')

async def outer(t):
    try:
        await t
    finally:
        print('outer cleanup')

async def main():
    loop = asyncio.get_running_loop()
    t_inner = asyncio.create_task(inner())
    t_outer = asyncio.create_task(outer(t_inner))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    loop.call_soon(ticker, loop, 1, 4)
    print('cancel', t_outer.cancel())
    for _ in range(4):
        await asyncio.sleep(0)
    print('inner cancelled', t_inner.cancelled(), 'outer cancelled', t_outer.cancelled())
    print('cancel again', t_outer.cancel())

loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
