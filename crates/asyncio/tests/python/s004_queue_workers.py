# Seed 004: the asyncio.Queue example of the docs: three workers share a queue of 20 sleeps;
# join() waits for every task_done(); the workers are then cancelled.
# Deterministic port: the 20 "random" timings are a fixed list (chosen so that no two
# completions are closer than 0.12 s) and each is slept for a fifth of its value; the
# "slept in parallel" line reports the longest total one worker slept (what the wall clock
# would show, without its jitter).
import asyncio

TIMINGS = [0.28, 1.0, 0.06, 0.51, 0.12, 0.8, 0.93, 0.69, 0.12, 0.71,
           0.35, 0.87, 0.88, 0.9, 0.65, 0.82, 0.82, 0.79, 0.73, 0.67]
SCALE = 0.2
slept = {}

async def worker(name, queue):
    while True:
        sleep_for = await queue.get()
        await asyncio.sleep(sleep_for * SCALE)
        queue.task_done()
        slept[name] = slept.get(name, 0) + sleep_for
        print(f'{name} has slept for {sleep_for:.2f} seconds')

async def main():
    queue = asyncio.Queue()

    total_sleep_time = 0
    for sleep_for in TIMINGS:
        total_sleep_time += sleep_for
        queue.put_nowait(sleep_for)

    tasks = []
    for i in range(3):
        task = asyncio.create_task(worker(f'worker-{i}', queue))
        tasks.append(task)

    await queue.join()
    total_slept_for = max(slept.values())

    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    print('====')
    print(f'3 workers slept in parallel for {total_slept_for:.2f} seconds')
    print(f'total expected sleep time: {total_sleep_time:.2f} seconds')

asyncio.run(main())
