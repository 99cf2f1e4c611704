# Seed 002, program 3: gather two tasks and stop the loop from the gather's done callback.
# (bare `yield` -> `await asyncio.sleep(0)`, times relative and rounded: see s002_run_forever_stop)
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

taskA = asyncio.ensure_future(gen(loop, 'a', 3), loop=loop)
taskB = asyncio.ensure_future(gen(loop, 'b', 5), loop=loop)
future = asyncio.gather(taskA, taskB)
future.add_done_callback(lambda future: loop.stop())
task = asyncio.ensure_future(future, loop=loop)

loop.run_forever()
loop.close()
