# Seed 000, program 2: a Future filled by a coroutine run with ensure_future.
# Sleeps shortened: 1 s -> 0.01 s.
import asyncio

async def counter_coroutine(max, future):
    count = 0
    while count < max:
        count += 1
        print(count)
        await asyncio.sleep(0.01)
    future.set_result('数え終わりました')

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
future = loop.create_future()  # the seed's asyncio.Future(), bound to the loop
counter = counter_coroutine(3, future)

task = asyncio.ensure_future(counter)
print(f'task is {task}')

loop.run_until_complete(future)
print(future.result())
loop.close()
