# Seed 001, program 10: as_completed gives results in completion order, with a tqdm progress
# bar (tqdm writes to stderr; stdout is only the results). Sleeps: 1 s -> 0.01 s.
import asyncio
try:
    from tqdm import tqdm
except ImportError:
    def tqdm(it, **kw):
        return it

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    tasks = [hello("Taro", wait_time=0.03),
             hello("Jiro", wait_time=0.02),
             hello("Saburo", wait_time=0.01)]
    for f in tqdm(asyncio.as_completed(tasks)):
        result = await f
        print(result)

asyncio.run(main())
