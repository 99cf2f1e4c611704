# Seed 000, program 3: three counters scheduled together with gather.
# Sleeps shortened: 1 s -> 0.01 s.
import asyncio

async def counter_coroutine(name, max):
    count = 0
    while count < max:
        count += 1
        print(f'{name}: {count}')
        await asyncio.sleep(0.01)
    return f'{name} 数え終わりました'

loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
counters = asyncio.gather(
    counter_coroutine('A', 1),
    counter_coroutine('B', 2),
    counter_coroutine('C', 3),
)
print(f'counters is {counters}')

result = loop.run_until_complete(counters)
print(result)
loop.close()
