//! Layer 0 (leaf): pinning the calling thread to one CPU (`sched_setaffinity`), for a set
//! of loops, one per core (the facade's `LoopSet`). The facade forbids `unsafe`, so the
//! FFI calls live here behind safe functions.
//!
//! Linux only: elsewhere (macOS has no hard affinity) pinning reports `Unsupported`, and
//! the caller runs unpinned.

use std::io;

/// Pins the calling thread to CPU `cpu` (0-based, as the kernel counts them), so the
/// scheduler keeps it there: a loop per core then keeps its caches warm and never shares
/// a core with another loop of the set.
///
/// Fails with the OS's error (`EINVAL` for a CPU the process may not use), or
/// `Unsupported` off Linux.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// std::thread::spawn(|| asyncio_loop::pin_current_thread(0)).join().unwrap().unwrap();
/// # }
/// ```
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        if cpu >= libc::CPU_SETSIZE as usize {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: `cpu_set_t` is a plain bit array for which all-zero is the empty set;
        // `CPU_SET` writes bit `cpu`, in bounds (checked above against `CPU_SETSIZE`);
        // `sched_setaffinity(0, ..)` reads `size_of::<cpu_set_t>()` bytes of the set we
        // own for the duration of the call and changes only the calling thread.
        let result = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "pinning a thread to a CPU needs Linux's sched_setaffinity",
        ))
    }
}

/// The CPUs the calling thread may run on (`sched_getaffinity`), in the kernel's order:
/// what a set of loops pins to, since a container's or `taskset`'s CPUs need not start at
/// 0. `Unsupported` off Linux.
///
/// ```
/// # #[cfg(target_os = "linux")] {
/// let cpus = asyncio_loop::allowed_cpus().unwrap();
/// assert!(!cpus.is_empty());
/// # }
/// ```
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as in `pin_current_thread`: an all-zero `cpu_set_t` is the empty set;
        // `sched_getaffinity(0, ..)` writes at most `size_of::<cpu_set_t>()` bytes into
        // the set we own; `CPU_ISSET` reads bit `cpu < CPU_SETSIZE` of it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok((0..libc::CPU_SETSIZE as usize)
                .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
                .collect())
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the CPUs a thread may use need Linux's sched_getaffinity",
        ))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(
        miri,
        ignore = "sched_setaffinity and sched_getcpu are foreign calls Miri does not implement"
    )]
    fn a_pinned_thread_runs_on_its_cpu_and_a_bad_cpu_is_refused() {
        let last = *allowed_cpus().unwrap().last().unwrap();
        let on = std::thread::spawn(move || {
            pin_current_thread(last).unwrap();
            // SAFETY: sched_getcpu takes nothing and only reads the caller's CPU.
            let cpu = unsafe { libc::sched_getcpu() };
            (cpu, allowed_cpus().unwrap())
        });
        assert_eq!(on.join().unwrap(), (last as i32, vec![last]));
        let refused = std::thread::spawn(|| pin_current_thread(usize::MAX))
            .join()
            .unwrap();
        assert_eq!(refused.unwrap_err().raw_os_error(), Some(libc::EINVAL));
    }
}
