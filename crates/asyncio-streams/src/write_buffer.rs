//! The writer's buffer: bytes accepted by `write` that the sink has not taken yet.
//!
//! A `Vec<u8>` with the unsent bytes at `start..`: the sink takes a prefix, which only moves
//! `start`; the bytes are moved to the front when the sent part outgrows the unsent one, so
//! each byte moves at most about once on average.

#[derive(Debug, Default)]
pub(crate) struct WriteBuffer {
    data: Vec<u8>,
    start: usize,
}

impl WriteBuffer {
    /// The bytes not sent yet.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.data[self.start..]
    }

    pub(crate) fn len(&self) -> usize {
        self.data.len() - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.len() {
            self.data.drain(..self.start);
            self.start = 0;
        }
        self.data.extend_from_slice(bytes);
    }

    /// Drops the first `n` unsent bytes: the sink took them.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.is_empty() {
            self.clear();
        }
    }

    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.start = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_partial_sends() {
        let mut buffer = WriteBuffer::default();
        buffer.extend(b"hello ");
        buffer.consume(2);
        buffer.extend(b"world");
        assert_eq!(buffer.as_slice(), b"llo world");
        buffer.consume(7);
        buffer.extend(b"!");
        assert_eq!(buffer.as_slice(), b"ld!");
        assert_eq!(
            buffer.start, 0,
            "compacted once the sent part outgrew the rest"
        );
        buffer.consume(100);
        assert!(buffer.is_empty());
    }
}
