# Seed 001, program 7: wait_for(shield(..)) times out but the shielded work goes on.
# Sleeps: 2 s -> 0.02 s, 0.5 s -> 0.005 s.
import asyncio

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    try:
        results = await asyncio.wait_for(asyncio.shield(hello("Taro")),
                                         timeout=0.005)
        print(results)
    except asyncio.TimeoutError as e:
        print("timeout!")
    await asyncio.sleep(0.02)

asyncio.run(main())
