# Seed 002, program 2: two generator-based tasks interleave, one step per iteration, and the
# first to finish stops the loop (the other's step in that iteration still runs).
# Generator-based coroutines are gone in Python 3.11: a bare `yield` becomes
# `await asyncio.sleep(0)`, which is the same single-iteration yield.
# loop.time() is printed relative to the start, rounded to 0.1 s, so the output is
# deterministic while still showing that every step happens at (about) the same time.
import asyncio

loop = asyncio.new_event_loop()
start = loop.time()

def now():
    return f'{loop.time() - start:.1f}'

async def gen(loop, name, count):
    print(name, now())
    for i in range(count):
        print(name, i, now())
        await asyncio.sleep(0)
    print(name, 'done')
    loop.stop()

loop.create_task(gen(loop, 'a', 3))
loop.create_task(gen(loop, 'b', 3))
loop.run_forever()
loop.close()
