# Seed 003, asyncio12.py: the same with an async iterator class (__aiter__/__anext__).
# Sleeps and ties as in s003_async_generator.
import asyncio

async def msg():
    for x in range(4):
        await asyncio.sleep(0.01)
        print('タスク1')

class AsyncIter:
    def __init__(self):
        self.Q = ['a', 'b']
        self.cur = 0
    def __aiter__(self):
        return self
    async def __anext__(self):
        if self.cur > 1:
            raise StopAsyncIteration
        else:
            await asyncio.sleep(0.02)
            r = self.Q[self.cur]
            self.cur += 1
            return r

async def exe():
    asyncio.create_task(msg())
    A = AsyncIter()
    async for x in A:
        print('\t非同期に値を取得:', x)

asyncio.run(exe())
