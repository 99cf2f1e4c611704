# Cancellation a coroutine catches: each scenario logs the order of cleanup steps against
# a ticker that marks iterations. Expected traces of tests/catch.rs.
import asyncio
import sys

def ticker(loop, n, limit):
    print('iter', n)
    if n < limit:
        loop.call_soon(ticker, loop, n + 1, limit)

def start_ticker(limit):
    loop = asyncio.get_running_loop()
    loop.call_soon(ticker, loop, 1, limit)

async def swallow():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError as e:
        print('caught', e.args)
        await asyncio.sleep(0)
        print('cleanup done')
    return 'swallowed'

async def reraise():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print('caught')
        await asyncio.sleep(0)
        print('cleanup done')
        raise
    return 'unreachable'

async def nested():
    try:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print('inner caught')
            await asyncio.sleep(0)
            raise
    except asyncio.CancelledError:
        print('outer caught')
        await asyncio.sleep(0)
    return 'outer swallowed'

async def scenario(name, coro_fn, cancel=lambda t: t.cancel(), warm=1):
    print('--', name)
    t = asyncio.create_task(coro_fn())
    for _ in range(warm):
        await asyncio.sleep(0)
    start_ticker(5)
    print('cancel', cancel(t), 'cancelling', t.cancelling())
    try:
        r = await t
        print('result', r)
    except asyncio.CancelledError:
        print('awaiter: cancelled')
    print('cancelled', t.cancelled(), 'cancelling', t.cancelling())
    for _ in range(6):
        await asyncio.sleep(0)

async def inner_task():
    try:
        await asyncio.sleep(3600)
    finally:
        print('inner cleanup')
        await asyncio.sleep(0)
        print('inner cleanup done')

async def outer_awaits_inner():
    t = asyncio.create_task(inner_task())
    try:
        await t
    except asyncio.CancelledError:
        print('outer caught; inner done', t.done())
        await asyncio.sleep(0)
        raise

async def cancelling_counts():
    print('--', 'cancelling counts')
    t = asyncio.create_task(swallow())
    await asyncio.sleep(0)
    print(t.cancel(), t.cancel(), 'cancelling', t.cancelling())
    print('uncancel', t.uncancel(), 'cancelling', t.cancelling())
    print('result', await t, 'cancelling', t.cancelling())
    print('cancel done task', t.cancel())

async def main():
    await scenario('swallow', swallow)
    await scenario('message', swallow, lambda t: t.cancel('bye'))
    await scenario('reraise', reraise)
    await scenario('nested', nested)
    await scenario('outer awaits inner', outer_awaits_inner, warm=2)
    await cancelling_counts()

asyncio.run(main())
