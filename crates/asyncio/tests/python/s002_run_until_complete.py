# Seed 002, programs 4-5: run_until_complete(gather(..)) instead of a callback that stops;
# the native-coroutine version (await asyncio.sleep(0) is the yield).
# (times relative and rounded: see s002_run_forever_stop)
import asyncio

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
start = loop.time()

def now():
    return f'{loop.time() - start:.1f}'

async def gen(loop, name, count):
    print(name, now())
    for i in range(count):
        print(name, i, now())
        await asyncio.sleep(0)
    print(name, 'done')

futureA = asyncio.ensure_future(gen(loop, 'a', 3), loop=loop)
futureB = asyncio.ensure_future(gen(loop, 'b', 5), loop=loop)
future = asyncio.gather(futureA, futureB)

loop.run_until_complete(future)
loop.close()
