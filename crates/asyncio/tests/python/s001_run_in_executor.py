# Seed 001, program 9: run_in_executor on a ThreadPoolExecutor of our own.
# Sleeps: 2 s -> 0.02 s.
import asyncio
import concurrent.futures
import time

def heavy_task(s):
    time.sleep(0.01)
    return s

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    with concurrent.futures.ThreadPoolExecutor() as executor:
        loop = asyncio.get_running_loop()
        co = loop.run_in_executor(executor, heavy_task, "heavy!")
        results = await asyncio.gather(
            hello("Taro"),
            hello("Jiro"),
            hello("Saburo"),
            co
        )
        print(results)

asyncio.run(main())
