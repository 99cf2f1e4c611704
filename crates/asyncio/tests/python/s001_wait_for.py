# Seed 001, program 6: wait_for with a timeout shorter than the work: TimeoutError, and the
# inner coroutine is interrupted (its end is never printed). Sleeps: 2 s -> 0.02 s, 1 s -> 0.01 s.
import asyncio

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    try:
        results = await asyncio.wait_for(hello("Taro"), timeout=0.01)
        print(results)
    except asyncio.TimeoutError:
        print("timeout!")
    await asyncio.sleep(0.03)
    print('Taro was interrupted')

asyncio.run(main())
