//! Layer 4 (the public surface): asyncio's `add_reader` / `add_writer` /
//! `remove_reader` / `remove_writer` on [`EventLoop`], over the registrations of
//! `reactor.rs`.

use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::rc::Rc;

use asyncio_contextvars::{Context, capture, in_use};

use crate::error::IoError;
use crate::event_loop::EventLoop;
use crate::exception::ExceptionContext;
use crate::in_context::run_in;
use crate::poller::Poller;
use crate::reactor::{Io, IoCallback, Stale};
use crate::scheduler::LoopInner;

impl EventLoop {
    /// Runs `callback` in each iteration while `fd` is readable (asyncio's `add_reader`);
    /// replaces an earlier reader of `fd`. Every run is in one copy of the context current
    /// now (asyncio-contextvars), as asyncio's handle keeps one.
    pub fn add_reader(
        &self,
        fd: impl AsFd,
        callback: impl FnMut() + 'static,
    ) -> Result<(), IoError> {
        self.add_io(fd, false, in_copy_of_context(&self.inner, callback))
    }

    /// Runs `callback` in each iteration while `fd` is writable (asyncio's `add_writer`),
    /// in one copy of the context current now.
    pub fn add_writer(
        &self,
        fd: impl AsFd,
        callback: impl FnMut() + 'static,
    ) -> Result<(), IoError> {
        self.add_io(fd, true, in_copy_of_context(&self.inner, callback))
    }

    /// Stops watching `fd` for reading; returns whether a reader was registered.
    pub fn remove_reader(&self, fd: impl AsRawFd) -> bool {
        let inner = &self.inner;
        match inner.shared.existing_poller() {
            Some(poller) => inner.io.borrow_mut().remove(poller, fd.as_raw_fd(), false),
            None => false,
        }
    }

    /// Stops watching `fd` for writing; returns whether a writer was registered.
    pub fn remove_writer(&self, fd: impl AsRawFd) -> bool {
        let inner = &self.inner;
        match inner.shared.existing_poller() {
            Some(poller) => inner.io.borrow_mut().remove(poller, fd.as_raw_fd(), true),
            None => false,
        }
    }

    /// [`add_reader`](Self::add_reader) for a descriptor the caller shares with the loop
    /// instead of lending it: the registration holds it open, with no duplicate made.
    pub(crate) fn add_shared_reader(
        &self,
        fd: Rc<OwnedFd>,
        callback: impl FnMut() + 'static,
    ) -> Result<(), IoError> {
        let callback = in_copy_of_context(&self.inner, callback);
        self.register(|io, poller| io.add_shared(poller, fd, false, callback))
    }

    fn add_io(&self, fd: impl AsFd, writable: bool, callback: IoCallback) -> Result<(), IoError> {
        self.register(|io, poller| io.add(poller, fd.as_fd(), writable, callback))
    }

    /// Runs `add` on the loop's registrations, unless the loop is closed, and reports a
    /// stale registration it dropped on the way.
    fn register(
        &self,
        add: impl FnOnce(&mut Io, &Poller) -> Result<Option<Stale>, IoError>,
    ) -> Result<(), IoError> {
        if self.is_closed() {
            return Err(IoError::Closed);
        }
        let inner = &self.inner;
        let poller = inner.shared.poller().map_err(IoError::Register)?;
        let stale = add(&mut inner.io.borrow_mut(), poller)?;
        if let Some(stale) = stale {
            let message = format!(
                "add_reader/add_writer: descriptor {} was closed without remove_reader() or \
                 remove_writer() and now names another file; its old registration was dropped",
                stale.fd
            );
            self.call_exception_handler(&ExceptionContext::new(message, None, None));
            // User code, dropped here in the caller's call, with nothing borrowed.
            drop(stale.callbacks);
        }
        Ok(())
    }
}

/// `callback` as the loop keeps it: every run in one context, as asyncio's handle keeps
/// one. Added from a context with values, a copy of it. Added from an empty one, none until
/// a run sets a variable: the loop then gave that run a context of its own
/// (`item_context`), which the reader adopts for its later runs. A reader of a program
/// that sets no variable pays one load of a thread-local flag per run.
fn in_copy_of_context(
    event_loop: &Rc<LoopInner>,
    mut callback: impl FnMut() + 'static,
) -> IoCallback {
    match capture() {
        Some(context) => Rc::new(RefCell::new(move || run_in(&context, &mut callback))),
        None => {
            // Weak: the loop keeps the callback.
            let event_loop = Rc::downgrade(event_loop);
            let mut own: Option<Context> = None;
            Rc::new(RefCell::new(move || match &own {
                Some(context) => run_in(context, &mut callback),
                None => {
                    callback();
                    if in_use() {
                        own = event_loop
                            .upgrade()
                            .and_then(|event_loop| event_loop.item_context.take());
                    }
                }
            }))
        }
    }
}
