# Seed 002: two tasks yielding with sleep(0), the loop stepped one iteration at a time
# (stop(); run_forever()) from the program's own loop, counting iterations. gather is
# replaced by a future completed from the tasks' done callbacks (what gather does).
# Expected trace of tests/ordering.rs::stepping_with_run_once.
import asyncio

async def gen(name, count):
    print(name, 'start')
    for i in range(count):
        print(name, i)
        await asyncio.sleep(0)
    print(name, 'done')

loop = asyncio.new_event_loop()
all_done = loop.create_future()
left = [2]
def child_done(_):
    left[0] -= 1
    if left[0] == 0:
        all_done.set_result(None)
a = loop.create_task(gen('a', 3))
b = loop.create_task(gen('b', 5))
a.add_done_callback(child_done)
b.add_done_callback(child_done)
count = 1
while not all_done.done():
    print(count)
    count += 1
    loop.stop()
    loop.run_forever()
print('done')
loop.close()
