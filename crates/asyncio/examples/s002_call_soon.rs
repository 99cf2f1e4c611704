//! Seed 002, program 1 (`tests/python/s002_call_soon.py`): `call_soon` a function that
//! stops the loop; `run_forever` runs it and returns.

fn main() -> Result<(), asyncio::RunError> {
    let event_loop = asyncio::new_event_loop();
    let handle = event_loop.clone();
    event_loop.call_soon(move || handle.stop()); // Python: loop.call_soon(func, loop)
    event_loop.run_forever()?;
    println!("done");
    event_loop.close()
}
