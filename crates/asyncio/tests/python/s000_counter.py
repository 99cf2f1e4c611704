# Seed 000, program 1: a coroutine object does nothing until the loop runs it.
# Sleeps shortened: 1 s -> 0.01 s.
import asyncio

async def counter_coroutine(max):
    count = 0
    while count < max:
        count += 1
        print(count)
        await asyncio.sleep(0.01)
    return '数え終わりました'

counter = counter_coroutine(3)
print(f'counter is {counter}')
loop = asyncio.get_event_loop()
result = loop.run_until_complete(counter)
print(result)
loop.close()
