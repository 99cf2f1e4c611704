# Seed 001, programs 2-3: gather of three coroutines, as arguments and from a list;
# the result is the list of return values in argument order. Sleeps: 2 s -> 0.02 s.
import asyncio

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    print(f'{name}!')
    return name

async def main():
    result = await asyncio.gather(
        hello("Taro"),
        hello("Jiro"),
        hello("Saburo")
    )
    print(result)
    co_list = [hello("Taro"), hello("Jiro"), hello("Saburo")]
    result = await asyncio.gather(*co_list)
    print(result)

asyncio.run(main())
