# Seed 003, asyncio07.py: CPU-bound tasks that yield with sleep(0) share the loop.
# Deterministic port: random.random() is replaced by a small linear congruential generator
# (the same in the Rust example) and the thresholds are raised so it runs in milliseconds;
# the final line reports the number of draws instead of the wall time.
import asyncio

class Lcg:
    def __init__(self, seed):
        self.state = seed
    def random(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.state >> 11) / 2**53

rng = Lcg(2021)
draws = 0

async def long_task(n, v):
    global draws
    while True:
        r = rng.random()
        draws += 1
        if r < v:
            break
        await asyncio.sleep(0)
    print(n, f'{r:.6e}')

async def asyncIteration(n, v, i):
    for x in range(i):
        await long_task(n, v)

async def exe():
    await asyncio.gather(
        asyncIteration('task1', 2**(-9), 2),
        asyncIteration('task2', 2**(-8), 4)
    )

print('開始')
asyncio.run(exe())
print('終了:', draws, '回')
