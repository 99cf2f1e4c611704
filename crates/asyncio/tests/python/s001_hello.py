# Seed 001, program 1: Hello World. Sleeps shortened: 2 s -> 0.02 s.
import asyncio

async def main():
    print('Hello ...')
    await asyncio.sleep(0.02)
    print('World!')

if __name__ == "__main__":
    asyncio.run(main())
