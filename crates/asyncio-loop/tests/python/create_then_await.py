# Seed 003: tasks created then awaited (concurrent) vs coroutines awaited one by one
# (sequential). A ticker callback logs each loop iteration so the trace pins iteration
# boundaries, not just order. Expected trace of tests/ordering.rs::create_then_await_*.
import asyncio

def ticker(loop, n, limit):
    print('iter', n)
    if n < limit:
        loop.call_soon(ticker, loop, n + 1, limit)

async def say(what):
    for _ in range(2):
        await asyncio.sleep(0)
    print(what)
    return what

async def concurrent():
    asyncio.get_running_loop().call_soon(ticker, asyncio.get_running_loop(), 1, 5)
    t1 = asyncio.create_task(say('hello'))
    t2 = asyncio.create_task(say('world'))
    print('started')
    print(await t1)
    print(await t2)
    print('finished')

async def sequential():
    asyncio.get_running_loop().call_soon(ticker, asyncio.get_running_loop(), 1, 8)
    print('started')
    print(await say('hello'))
    print(await say('world'))
    print('finished')

loop = asyncio.new_event_loop()
print('-- concurrent')
loop.run_until_complete(concurrent())
print('-- sequential')
loop.run_until_complete(sequential())
loop.close()
