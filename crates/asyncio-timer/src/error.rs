//! The crate's one error.

use std::fmt;
use std::time::Duration;

/// Why a [`Wheel`](crate::Wheel) could not be built.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum WheelError {
    /// The tick resolution given to
    /// [`Wheel::try_with_resolution`](crate::Wheel::try_with_resolution) was zero.
    ZeroResolution(Duration),
}

impl fmt::Display for WheelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WheelError::ZeroResolution(resolution) => write!(
                f,
                "Wheel::with_resolution: resolution {resolution:?} is zero; a tick must last \
                 at least one nanosecond"
            ),
        }
    }
}

impl std::error::Error for WheelError {}
