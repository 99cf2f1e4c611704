# Seed 001, program 8: to_thread runs a blocking function on the default pool while the
# coroutines run. heavy_task is not shown in the seed: it blocks its thread for 0.01 s and
# returns its argument. Sleeps: 2 s -> 0.02 s.
import asyncio, time

def heavy_task(s):
    time.sleep(0.01)
    return s

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    co = asyncio.to_thread(heavy_task, "heavy!")
    results = await asyncio.gather(
        hello("Taro"),
        hello("Jiro"),
        hello("Saburo"),
        co
    )
    print(results)

asyncio.run(main())
