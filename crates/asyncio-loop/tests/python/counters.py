# Seed 000: three counters with sleep, created as tasks then awaited in order.
# Expected trace of tests/ordering.rs::three_counters_with_sleep.
import asyncio

async def counter(name, max):
    count = 0
    while count < max:
        count += 1
        print(f'{name}: {count}')
        await asyncio.sleep(0.01)
    return f'{name} done'

async def main():
    tasks = [asyncio.create_task(counter(n, m)) for n, m in (('A', 1), ('B', 2), ('C', 3))]
    print([await t for t in tasks])

loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
