# aclose() of an async generator (tests/async_gen.rs, aclose_matches_cpython): the
# generator's `finally` runs where it is suspended; a closed generator is exhausted;
# closing one that never started or has finished does nothing.
import asyncio


async def numbers(name):
    print(name, "starts")
    try:
        yield 1
        print(name, "resumed")
        yield 2
    finally:
        print(name, "finally")


async def main():
    g = numbers("g")
    print("anext:", await anext(g))
    await g.aclose()
    print("g closed")
    print("anext after aclose:", await anext(g, "exhausted"))
    await g.aclose()
    print("g closed again")

    unstarted = numbers("unstarted")
    await unstarted.aclose()
    print("unstarted closed")
    print("anext after aclose:", await anext(unstarted, "exhausted"))

    finished = numbers("finished")
    async for n in finished:
        print("got", n)
    await finished.aclose()
    print("finished closed")


asyncio.run(main())
