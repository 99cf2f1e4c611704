//! Python's `asyncio` for Rust.
//!
//!
//! The facade crate: asyncio's API under asyncio's names. This first part needs no event
//! loop: async generators ([`async_generator`]) and async iteration ([`anext`]).
#![forbid(unsafe_code)]

mod anext;
mod async_gen;

pub use anext::{Next, anext};
pub use async_gen::{AsyncGenerator, Yield, Yielder, async_generator};
pub use futures_core::Stream;
