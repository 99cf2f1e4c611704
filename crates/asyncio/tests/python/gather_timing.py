# The frame in which `await gather(t)` resumes, stepping the loop one iteration per frame
# (tests/gather.rs, awaiting_a_gather_resumes_as_in_cpython). Prints 5 under CPython 3.11.
import asyncio
loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
frame = 0
resumed = None
async def child():
    await asyncio.sleep(0)
async def main():
    global resumed
    t = loop.create_task(child())
    await asyncio.gather(t)
    resumed = frame
loop.create_task(main())
for f in range(1, 8):
    frame = f
    loop.stop(); loop.run_forever()
print(resumed)
