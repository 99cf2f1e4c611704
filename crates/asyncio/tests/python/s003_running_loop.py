# Seed 003, 4.5.5.2: get_running_loop inside a coroutine gives the loop; outside, RuntimeError.
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    print('running:', loop.is_running())

try:
    asyncio.get_running_loop()
except RuntimeError as e:
    print('RuntimeError:', e)
asyncio.run(main())
