# Seed 001, program 5: a fire-and-forget task runs while main sleeps.
# Sleeps: 2 s -> 0.02 s; main sleeps 0.04 s, well after hello's 0.02 s, so hello's end is printed.
import asyncio

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    task = asyncio.create_task(hello("Taro"))
    print('main goes on')
    await asyncio.sleep(0.04)
    print('main done')

asyncio.run(main())
