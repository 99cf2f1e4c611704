# Seed 004: the safer worker: task_done() in `finally`, so a failing item cannot leave
# join() waiting forever. Item 0.35 is bad and fails; the queue still drains.
# Sleeps: each item is slept for a fifth of its value.
import asyncio

async def worker(name, queue):
    while True:
        sleep_for = await queue.get()
        try:
            await asyncio.sleep(sleep_for / 5)
            if sleep_for == 0.35:
                raise ValueError(f'bad item {sleep_for}')
            print(f'{name} has slept for {sleep_for:.2f} seconds')
        except Exception as e:
            print(f'{name} failed: {e}')
        finally:
            queue.task_done()

async def main():
    queue = asyncio.Queue()
    for sleep_for in [0.1, 0.35, 0.2, 0.5]:
        queue.put_nowait(sleep_for)
    tasks = [asyncio.create_task(worker(f'worker-{i}', queue)) for i in range(2)]
    await queue.join()
    print('queue drained')
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print('workers cancelled:', all(t.cancelled() for t in tasks))

asyncio.run(main())
