# Seed 001, program 4: gather(..., return_exceptions=True) hands back the exception in place
# and lets the others finish. The seed's hello never fails; Jiro fails here to show it.
# Sleeps: 2 s -> 0.02 s.
import asyncio

async def hello(name: str, wait_time: float = 0.02):
    print('Hello ...')
    await asyncio.sleep(wait_time)
    if name == "Jiro":
        raise ValueError(f'{name} failed')
    print(f'{name}!')
    return name

async def main():
    result = await asyncio.gather(
        hello("Taro"),
        hello("Jiro"),
        hello("Saburo"),
        return_exceptions=True
    )
    for r in result:
        print(repr(r))

asyncio.run(main())
