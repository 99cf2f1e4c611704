# Cancelling a task that awaits a future cancels the future: its other awaiters get
# CancelledError too. Expected trace of tests/catch.rs::cancelling_an_awaiter_cancels_the_awaited_future.
import asyncio

async def waiter(name, fut):
    try:
        await fut
        print(name, 'got a result')
    except asyncio.CancelledError:
        print(name, 'cancelled')
        raise

async def main():
    fut = asyncio.get_running_loop().create_future()
    a = asyncio.create_task(waiter('a', fut))
    b = asyncio.create_task(waiter('b', fut))
    await asyncio.sleep(0)
    a.cancel()
    await asyncio.gather(a, b, return_exceptions=True)
    print('future cancelled', fut.cancelled(), 'a', a.cancelled(), 'b', b.cancelled())

asyncio.run(main())
