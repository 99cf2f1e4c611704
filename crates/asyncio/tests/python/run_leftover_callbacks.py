# Callbacks queued at the very end of main still run before asyncio.run closes the loop:
# run's clean-up runs the loop for shutdown_asyncgens() whether or not there are
# generators (tests/run.rs, callbacks_main_left_queued_run_before_the_loop_closes).
import asyncio
async def main():
    loop = asyncio.get_running_loop()
    t = asyncio.current_task()
    t.add_done_callback(lambda _: loop.call_soon(print, "scheduled by main's done callback"))
    loop.call_soon(print, "scheduled in main's last step")
    print("main returns")
asyncio.run(main())
print("after run")
