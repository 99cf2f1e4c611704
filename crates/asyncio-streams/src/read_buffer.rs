//! The reader's buffer: bytes read from the source and not yet returned.
//!
//! It is the only place a [`StreamReader`](crate::StreamReader) keeps data, which is what makes
//! its reads cancel-safe: bytes go from the source straight into it, and leave it only when an
//! operation completes.
//!
//! One `Vec<u8>` holds the unread bytes at `start..end`; the room after `end` is where the next
//! read lands. The vector is kept initialized (zeroed when it grows) so the source can be
//! handed `&mut [u8]` without `unsafe`; consuming only moves `start`, and the bytes are moved
//! to the front only when the room behind them runs short.

/// The least room offered to the source per read; below it the buffer compacts or grows.
pub(crate) const MIN_READ: usize = 8 * 1024;

/// An empty buffer holding more than this much memory gives it back: one huge
/// `readexactly` or `read_to_end` should not pin its memory for the life of a connection.
const KEEP_AT_MOST: usize = 256 * 1024;

#[derive(Debug, Default)]
pub(crate) struct ReadBuffer {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuffer {
    /// The unread bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    pub(crate) fn len(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Drops the first `n` unread bytes (at most all of them).
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.is_empty() {
            self.start = 0;
            self.end = 0;
            if self.data.len() > KEEP_AT_MOST {
                self.data = Vec::new();
            }
        }
    }

    /// Takes the first `n` unread bytes (at most all of them) out.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.len());
        if n == self.len() {
            return self.take_all();
        }
        let taken = self.data[self.start..self.start + n].to_vec();
        self.consume(n);
        taken
    }

    /// Takes every unread byte out.
    pub(crate) fn take_all(&mut self) -> Vec<u8> {
        // When the unread bytes fill most of the vector (`read_to_end`, a large
        // `readexactly`), hand the vector itself over instead of copying it.
        if self.len() >= self.data.len() / 2 && self.len() > MIN_READ {
            let mut data = std::mem::take(&mut self.data);
            data.truncate(self.end);
            data.drain(..self.start);
            self.start = 0;
            self.end = 0;
            return data;
        }
        let taken = self.as_slice().to_vec();
        self.consume(taken.len());
        taken
    }

    /// Room for the next read from the source: at least [`MIN_READ`] bytes after the unread
    /// ones. Fill a prefix of it, then [`commit`](Self::commit) how much was filled.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.data.len() - self.end < MIN_READ && self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.data.len() - self.end < MIN_READ {
            let grown = (self.data.len() * 2).max(self.end + MIN_READ);
            self.data.resize(grown, 0);
        }
        &mut self.data[self.end..]
    }

    /// Marks `n` bytes of the room returned by [`spare`](Self::spare) as read.
    pub(crate) fn commit(&mut self, n: usize) {
        debug_assert!(self.end + n <= self.data.len(), "committed beyond the room");
        self.end = (self.end + n).min(self.data.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a source does: fills a prefix of the room, as many times as needed.
    fn push(buffer: &mut ReadBuffer, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = buffer.spare();
            let n = room.len().min(bytes.len());
            room[..n].copy_from_slice(&bytes[..n]);
            buffer.commit(n);
            bytes = &bytes[n..];
        }
    }

    #[test]
    fn bytes_come_out_in_order() {
        let mut buffer = ReadBuffer::default();
        push(&mut buffer, b"hello ");
        push(&mut buffer, b"world");
        assert_eq!(buffer.as_slice(), b"hello world");
        assert_eq!(buffer.take(6), b"hello ");
        assert_eq!(buffer.len(), 5);
        assert_eq!(buffer.take(100), b"world");
        assert!(buffer.is_empty());
    }

    #[test]
    fn compacts_before_growing() {
        let mut buffer = ReadBuffer::default();
        let chunk = vec![7u8; 2 * MIN_READ];
        push(&mut buffer, &chunk);
        let capacity = buffer.data.len();
        buffer.consume(2 * MIN_READ - 1);
        push(&mut buffer, &chunk[..MIN_READ]);
        assert_eq!(
            buffer.data.len(),
            capacity,
            "moved the one byte left instead of growing"
        );
        assert_eq!(buffer.len(), 1 + MIN_READ);
    }

    #[test]
    fn grows_for_large_reads_and_gives_memory_back_when_empty() {
        let mut buffer = ReadBuffer::default();
        let chunk = vec![1u8; MIN_READ];
        for _ in 0..64 {
            push(&mut buffer, &chunk);
        }
        assert_eq!(buffer.len(), 64 * MIN_READ);
        let all = buffer.take_all();
        assert_eq!(all.len(), 64 * MIN_READ);
        assert!(buffer.data.is_empty(), "the big vector was handed over");
        push(&mut buffer, b"x");
        assert_eq!(buffer.take_all(), b"x");
    }

    #[test]
    fn take_all_after_partial_consume() {
        let mut buffer = ReadBuffer::default();
        let chunk: Vec<u8> = (0..=255).cycle().take(3 * MIN_READ).collect();
        push(&mut buffer, &chunk[..MIN_READ]);
        push(&mut buffer, &chunk[MIN_READ..]);
        buffer.consume(10);
        assert_eq!(buffer.take_all(), &chunk[10..]);
        assert!(buffer.is_empty());
    }
}
