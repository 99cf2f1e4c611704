//! Python's `open()` mode strings ("r", "wb", "a+", "x"...), parsed as CPython's `io.open`
//! parses them, with its `ValueError` wording for a bad one.

use std::fs::OpenOptions;

use super::error::FileError;

/// A parsed `open()` mode: which of create/read/write/append, whether `+` (updating) and
/// whether `b` (binary: bytes) or text (the default, UTF-8 `String`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    primary: Primary,
    plus: bool,
    binary: bool,
}

/// The one of "r", "w", "a", "x" a mode must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Primary {
    Read,
    Write,
    Append,
    Create,
}

impl Mode {
    /// Parses `mode` as Python's `open()` does: each of `rwxab+t` at most once, exactly one
    /// of `rwxa`, not both `b` and `t`. Errors are [`FileError::InvalidMode`] with CPython's
    /// message.
    ///
    /// ```
    /// use asyncio::fs::Mode;
    ///
    /// let mode = Mode::parse("rb+").unwrap();
    /// assert!(mode.readable() && mode.writable() && mode.binary());
    /// let err = Mode::parse("rw").unwrap_err();
    /// assert_eq!(err.to_string(), "must have exactly one of create/read/write/append mode");
    /// ```
    pub fn parse(mode: &str) -> Result<Mode, FileError> {
        let invalid = || FileError::InvalidMode(format!("invalid mode: '{mode}'"));
        let mut seen = String::new();
        for c in mode.chars() {
            if !"rwxab+t".contains(c) || seen.contains(c) {
                return Err(invalid());
            }
            seen.push(c);
        }
        let has = |c| seen.contains(c);
        if has('t') && has('b') {
            return Err(FileError::InvalidMode(
                "can't have text and binary mode at once".into(),
            ));
        }
        let primaries: Vec<Primary> = [
            ('r', Primary::Read),
            ('w', Primary::Write),
            ('a', Primary::Append),
            ('x', Primary::Create),
        ]
        .into_iter()
        .filter(|(c, _)| has(*c))
        .map(|(_, p)| p)
        .collect();
        match primaries[..] {
            [primary] => Ok(Mode {
                primary,
                plus: has('+'),
                binary: has('b'),
            }),
            [] => Err(FileError::InvalidMode(
                "Must have exactly one of create/read/write/append mode and at most one plus"
                    .into(),
            )),
            _ => Err(FileError::InvalidMode(
                "must have exactly one of create/read/write/append mode".into(),
            )),
        }
    }

    /// Whether reads are allowed ("r" or any "+").
    pub fn readable(&self) -> bool {
        self.primary == Primary::Read || self.plus
    }

    /// Whether writes are allowed (anything but a plain "r").
    pub fn writable(&self) -> bool {
        self.primary != Primary::Read || self.plus
    }

    /// Whether every write goes to the end of the file ("a").
    pub fn appending(&self) -> bool {
        self.primary == Primary::Append
    }

    /// Whether the mode has `b`: Python's methods would give `bytes`, not `str`.
    pub fn binary(&self) -> bool {
        self.binary
    }

    /// The `OpenOptions` CPython's `FileIO` would use for this mode (`O_CREAT`, `O_TRUNC`,
    /// `O_EXCL`, `O_APPEND` as it sets them).
    pub(crate) fn options(&self) -> OpenOptions {
        let mut options = OpenOptions::new();
        options.read(self.readable());
        match self.primary {
            Primary::Read => options.write(self.plus),
            Primary::Write => options.write(true).create(true).truncate(true),
            Primary::Append => options.append(true).create(true),
            Primary::Create => options.write(true).create_new(true),
        };
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPython 3.11's verdicts on the same strings (`open(path, mode)`).
    #[test]
    fn parses_as_cpython() {
        let ok = |m: &str| Mode::parse(m).unwrap();
        assert!(ok("r").readable() && !ok("r").writable() && !ok("r").binary());
        assert!(ok("w").writable() && !ok("w").readable());
        assert!(ok("a").appending() && ok("a").writable());
        assert!(ok("x").writable());
        assert!(ok("r+").readable() && ok("r+").writable());
        assert!(ok("wb").binary() && ok("br").binary() && !ok("wt").binary());
        let err = |m: &str| Mode::parse(m).unwrap_err().to_string();
        assert_eq!(err("z"), "invalid mode: 'z'");
        assert_eq!(err("rr"), "invalid mode: 'rr'");
        assert_eq!(err("r++"), "invalid mode: 'r++'");
        assert_eq!(err("U"), "invalid mode: 'U'");
        assert_eq!(err("rbt"), "can't have text and binary mode at once");
        assert_eq!(
            err("rw"),
            "must have exactly one of create/read/write/append mode"
        );
        for m in ["", "b", "+"] {
            assert_eq!(
                err(m),
                "Must have exactly one of create/read/write/append mode and at most one plus"
            );
        }
    }
}
