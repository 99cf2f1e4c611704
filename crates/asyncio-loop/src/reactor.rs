//! Layer 2 (the parts the loop drives): descriptor readiness, the registrations behind
//! asyncio's `add_reader` / `add_writer` (whose public methods are in `io.rs`), on the
//! loop's `polling` poller, the same one the loop sleeps in.
//!
//! Registrations are level-triggered, as asyncio's selector loops: while a descriptor stays
//! readable its reader runs once per iteration. The loop registers a duplicate of the
//! descriptor that it owns, so the registration stays valid whatever the caller does with
//! its own descriptor; `remove_reader` / `remove_writer` (or `close`) end it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use polling::{Event, Events, PollMode, Poller};

use crate::error::IoError;

/// A reader or writer callback.
pub(crate) type IoCallback = Rc<RefCell<dyn FnMut()>>;

struct Registration {
    /// The loop's own duplicate of the caller's descriptor.
    fd: OwnedFd,
    reader: Option<IoCallback>,
    writer: Option<IoCallback>,
}

impl Registration {
    fn interest(&self, key: RawFd) -> Event {
        let key = key as usize;
        match (self.reader.is_some(), self.writer.is_some()) {
            (true, true) => Event::all(key),
            (true, false) => Event::readable(key),
            (false, true) => Event::writable(key),
            (false, false) => Event::none(key),
        }
    }
}

/// The loop's registrations, by the caller's descriptor number.
#[derive(Default)]
pub(crate) struct Io {
    registrations: HashMap<RawFd, Registration>,
    events: Option<Events>,
}

impl Io {
    pub(crate) fn is_empty(&self) -> bool {
        self.registrations.is_empty()
    }

    /// Waits in `poller` (an interrupted wait counts as a wake).
    pub(crate) fn wait(
        &mut self,
        poller: &Poller,
        timeout: Option<Duration>,
    ) -> std::io::Result<()> {
        let events = self.events.get_or_insert_with(Events::new);
        events.clear();
        match poller.wait(events, timeout) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Calls `ready(fd, writable)` for each registered callback whose descriptor is ready.
    pub(crate) fn dispatch(&self, mut ready: impl FnMut(RawFd, bool)) {
        let Some(events) = &self.events else { return };
        for event in events.iter() {
            let fd = event.key as RawFd;
            let Some(registration) = self.registrations.get(&fd) else {
                continue;
            };
            if event.readable && registration.reader.is_some() {
                ready(fd, false);
            }
            if event.writable && registration.writer.is_some() {
                ready(fd, true);
            }
        }
    }

    pub(crate) fn callback(&self, fd: RawFd, writable: bool) -> Option<IoCallback> {
        let registration = self.registrations.get(&fd)?;
        if writable {
            registration.writer.clone()
        } else {
            registration.reader.clone()
        }
    }

    pub(crate) fn add(
        &mut self,
        poller: &Poller,
        fd: std::os::fd::BorrowedFd<'_>,
        writable: bool,
        callback: IoCallback,
    ) -> Result<(), IoError> {
        let key = fd.as_raw_fd();
        if let Some(registration) = self.registrations.get_mut(&key) {
            if writable {
                registration.writer = Some(callback);
            } else {
                registration.reader = Some(callback);
            }
            poller
                .modify_with_mode(
                    &registration.fd,
                    registration.interest(key),
                    PollMode::Level,
                )
                .map_err(IoError::Register)?;
            return Ok(());
        }
        let owned = fd.try_clone_to_owned().map_err(IoError::Register)?;
        let registration = Registration {
            fd: owned,
            reader: (!writable).then(|| Rc::clone(&callback)),
            writer: writable.then_some(callback),
        };
        // SAFETY: `polling` requires the registered descriptor to stay open until it is
        // deleted from the poller. It is our own duplicate, owned by `registration`, which
        // lives in `self.registrations` until `remove` or `close` deletes it from the
        // poller before dropping it.
        unsafe {
            poller.add_with_mode(
                registration.fd.as_raw_fd(),
                registration.interest(key),
                PollMode::Level,
            )
        }
        .map_err(IoError::Register)?;
        self.registrations.insert(key, registration);
        Ok(())
    }

    pub(crate) fn remove(&mut self, poller: &Poller, fd: RawFd, writable: bool) -> bool {
        let Some(registration) = self.registrations.get_mut(&fd) else {
            return false;
        };
        let removed = if writable {
            registration.writer.take()
        } else {
            registration.reader.take()
        };
        if removed.is_none() {
            return false;
        }
        if registration.reader.is_none() && registration.writer.is_none() {
            let registration = self.registrations.remove(&fd).expect("looked up above");
            let _ = poller.delete(&registration.fd);
        } else {
            let _ = poller.modify_with_mode(
                &registration.fd,
                registration.interest(fd),
                PollMode::Level,
            );
        }
        true
    }

    /// Deletes every registration from the poller and closes the loop's duplicates (loop
    /// close), then hands the callbacks back: they are user code, whose `Drop` may panic,
    /// and the caller drops them one by one once every descriptor is released.
    pub(crate) fn close(self, poller: &Poller) -> Vec<IoCallback> {
        let mut callbacks = Vec::new();
        for registration in self.registrations.into_values() {
            let _ = poller.delete(&registration.fd);
            callbacks.extend(registration.reader);
            callbacks.extend(registration.writer);
        }
        callbacks
    }
}
