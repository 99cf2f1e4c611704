//! What a [`File`](super::File) sends to the pool: plain blocking functions over the
//! descriptor and a byte vector, each giving the vector back with an [`Outcome`]. They run
//! on a pool thread; nothing here touches the loop.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

/// The buffer's size and the least a refill asks the OS for. Larger than CPython's 8 KiB
/// `DEFAULT_BUFFER_SIZE` because each refill here is a thread hop, not just a syscall.
pub(super) const BUFFER_SIZE: usize = 64 * 1024;

/// How far a stream may get ahead of the OS: the most a write buffer holds beside a running
/// flush, and the largest read-ahead (which doubles from [`BUFFER_SIZE`] while refills come
/// back full). A bulk transfer then makes one pool hop per up to this many bytes, not per
/// 64 KiB: each hop wakes a pool thread and then the loop, and at 64 KiB those wake-ups,
/// not the copies, were half the time (`files/bulk`, docs/benchmarks.md).
pub(super) const STREAM_SIZE: usize = 1 << 20;

/// The most one refill asks for, whatever the caller's `read(n)`: a huge `n` must not
/// allocate a huge buffer before the file has shown it has that much.
pub(super) const MAX_FILL: usize = 16 << 20;

/// A refill hint meaning "read to the end of the file".
pub(super) const TO_END: usize = usize::MAX;

/// What a pool job did.
pub(super) enum Outcome {
    /// A refill read this many bytes (the vector holds them); whether it asked for a full
    /// buffer and got it (more may follow: worth reading ahead), and whether it read to
    /// the end of the file.
    Filled {
        result: io::Result<usize>,
        full: bool,
        to_end: bool,
    },
    /// Pending writes were written (or not), the position moving to the `Option` if known.
    Wrote(io::Result<()>, Option<u64>),
    /// A seek the user asked for.
    Sought(io::Result<u64>),
    /// A seek of our own (dropping read-ahead, or learning the position for `tell`).
    Positioned(io::Result<u64>),
    /// The descriptor was closed (after writing what was pending).
    Closed(io::Result<()>),
}

/// Writes `data` at the descriptor's position; gives `data` back emptied.
pub(super) fn flush(
    raw: &std::fs::File,
    mut data: Vec<u8>,
    pos: Option<u64>,
) -> (Vec<u8>, Outcome) {
    let result = (&*raw).write_all(&data);
    data.clear();
    (data, Outcome::Wrote(result, pos))
}

/// Reads into `data` (emptied first): at least `hint` bytes asked for (within
/// [`BUFFER_SIZE`]..=[`MAX_FILL`]), or the rest of the file for [`TO_END`].
pub(super) fn fill(
    raw: &std::fs::File,
    mut data: Vec<u8>,
    hint: usize,
    regular: bool,
) -> (Vec<u8>, Outcome) {
    data.clear();
    let want = hint.clamp(BUFFER_SIZE, MAX_FILL);
    let result = match hint {
        TO_END => (&*raw).read_to_end(&mut data),
        // A regular file gives all it has up to the limit, so reading to the limit is one
        // `read` (plus one at the end of the file), into spare capacity without zeroing it.
        _ if regular => {
            data.reserve(want);
            raw.take(want as u64).read_to_end(&mut data)
        }
        // A FIFO or a device: one `read`, which returns what is there now, as CPython's
        // raw read does (reading to the limit could wait forever).
        _ => {
            data.resize(want, 0);
            let result = loop {
                match (&*raw).read(&mut data) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => break result,
                }
            };
            data.truncate(*result.as_ref().unwrap_or(&0));
            result
        }
    };
    let full = hint != TO_END && regular && result.as_ref().is_ok_and(|&n| n == want);
    let outcome = Outcome::Filled {
        result,
        full,
        to_end: hint == TO_END,
    };
    (data, outcome)
}

/// An `lseek`; `user` says whose (a user's seek reports where it ended).
pub(super) fn seek(
    raw: &std::fs::File,
    data: Vec<u8>,
    to: SeekFrom,
    user: bool,
) -> (Vec<u8>, Outcome) {
    let result = (&*raw).seek(to);
    let outcome = match user {
        true => Outcome::Sought(result),
        false => Outcome::Positioned(result),
    };
    (data, outcome)
}

/// Writes what is pending, then lets go of the descriptor (the last `Arc` closes it).
pub(super) fn close(raw: std::sync::Arc<std::fs::File>, mut data: Vec<u8>) -> (Vec<u8>, Outcome) {
    let result = (&*raw).write_all(&data);
    data.clear();
    drop(raw);
    (data, Outcome::Closed(result))
}

/// A dropped file's last pending bytes: at `at` if given (a flush of earlier bytes may
/// still be running, and positional writes do not depend on its order), else at the
/// descriptor's position. Errors have nobody to go to.
pub(super) fn final_write(raw: &std::fs::File, data: &[u8], at: Option<u64>) {
    let _ = match at {
        Some(offset) => raw.write_all_at(data, offset),
        None => (&*raw).write_all(data),
    };
}
