//! Seed 003, aiofiles01.py (`tests/python/aiofiles01_port.py`, with aiofiles and the same
//! device, prints the same lines): one task writes a 50,000-character file one character per
//! `write` and reads it back one character per `read(1)`, twice, while a second task prints
//! a line every tick until the first is done. The file work goes through
//! [`asyncio::fs`], aiofiles' model: every blocking call on the loop's thread pool, the
//! loop free for the ticker meanwhile.
//!
//! Made deterministic, and why: in the seed each phase (write the file, read it back) takes
//! about one 2.5 s tick because aiofiles makes a thread hop per character. Here the file's
//! buffer turns each phase's 50,000 one-character calls into a few pool hops (the file is
//! smaller than the 64 KiB buffer: a close, or a refill, the end, a close), so a phase takes
//! milliseconds, and how many ticks fall in it would depend on the machine.
//! The port keeps the seed's size (50,000) and shortens the tick to 500 ms (2.5 s / 5);
//! at the end of each phase the file task waits for the tick the seed's timing puts there
//! (an `Event` the ticker sets), so the output is the seed's whatever the machine's speed,
//! as long as one phase's work takes less than a tick (about 40 ms in a debug build, a few
//! in a release build). The ticker itself is the seed's `msg()`, unchanged. The file goes to a
//! temporary directory (not the working directory) and is removed at the end.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use asyncio::Event;
use asyncio::fs::{self, FileError};

const TICK: Duration = Duration::from_millis(500);

/// `flg` of the seed (True while `aFileIOr2` runs), and the tick gate described above.
struct Shared {
    flg: Cell<bool>,
    ticked: Event,
}

/// The seed's `aFileIOr2()`: write then read the file, twice.
async fn a_file_io_r2(shared: Rc<Shared>, path: PathBuf) -> Result<(), FileError> {
    for _ in 0..2 {
        shared.ticked.clear();
        println!("ファイルの作成");
        let mut f = fs::open(&path, "w").await?;
        let mut c = [0u8; 4];
        for n in 0..50_000u32 {
            let ch = char::from(b'a' + (n % 26) as u8).encode_utf8(&mut c);
            f.write_str(ch).await?;
            if ch == "z" {
                f.write_str("\n").await?;
            }
        }
        f.close().await?;
        shared.ticked.wait().await; // the seed's phase lasts a tick
        shared.ticked.clear();
        println!("ファイルの読み込み");
        let mut f = fs::open(&path, "r").await?;
        loop {
            let c = f.read_str(1).await?;
            if c.is_empty() {
                break;
            }
        }
        f.close().await?;
        shared.ticked.wait().await;
    }
    shared.flg.set(false);
    Ok(())
}

/// The seed's `msg()`: a line every tick while `aFileIOr2` runs.
async fn msg(shared: Rc<Shared>) {
    while shared.flg.get() {
        asyncio::sleep(TICK).await;
        println!("\t\t別のタスク");
        shared.ticked.set();
    }
}

async fn exe(path: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let shared = Rc::new(Shared {
        flg: Cell::new(true),
        ticked: Event::new(),
    });
    let t1 = asyncio::create_task(a_file_io_r2(shared.clone(), path));
    let t2 = asyncio::create_task(msg(shared));
    t1.await??;
    t2.await?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("asyncio-aiofiles01-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = asyncio::run(exe(dir.join("aiofiles01.bin")));
    std::fs::remove_dir_all(&dir)?;
    result?
}
