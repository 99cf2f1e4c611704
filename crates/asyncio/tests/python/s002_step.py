# Seed 002, program 6: embed the loop in our own main loop, one iteration per frame
# (stop(); run_forever() is CPython's "run once"). (times relative and rounded: see
# s002_run_forever_stop)
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

count = 1
while not future.done():
    print(count)
    count += 1
    loop.stop()
    loop.run_forever()

print('done')
loop.close()
