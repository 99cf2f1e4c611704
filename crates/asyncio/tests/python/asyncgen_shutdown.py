# What asyncio.run does with async generators at its end (tests/async_gen.rs,
# run_closes_generators_as_cpython_does): one dropped with main's frame is closed when
# main returns; one held by a task is closed after that task's own cleanup, when run
# cancels it; one still alive after that (here: kept in a global) is closed by
# shutdown_asyncgens(), after every cancelled task's cleanup and before run returns.
import asyncio


async def numbers(name):
    print(name, "starts")
    try:
        yield 1
        yield 2
    finally:
        print(name, "finally")


async def worker():
    g = numbers("worker's generator")
    await anext(g)
    try:
        await asyncio.sleep(10)
    finally:
        print("worker finally")


kept = []


async def main():
    g = numbers("kept")
    await anext(g)
    kept.append(g)
    local = numbers("local")
    await anext(local)
    asyncio.create_task(worker())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print("main returns")


asyncio.run(main())
print("run returned")
