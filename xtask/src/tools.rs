//! The tools that check memory and concurrency, as steps of `cargo xtask ci`:
//!
//! - `valgrind`: memcheck over every test binary of `asyncio-loop` and `asyncio-pool`
//!   (invalid reads and writes, uses of uninitialised memory, definite leaks), with the
//!   deliberate leaks of `xtask/valgrind.supp` suppressed;
//! - `tsan`: ThreadSanitizer over the cross-thread tests of the loop, the pool and the sync
//!   primitives (std rebuilt with the sanitizer, nightly);
//! - `miri`: Miri over the loop's unsafe core, under Stacked Borrows and again under Tree
//!   Borrows: its unit tests and every integration test that needs no socket (Miri has no
//!   sockets, and its epoll takes only edge-triggered registrations, so the tests of
//!   level-triggered `add_reader` are ignored under Miri and run everywhere else); then
//!   every test of `asyncio-timer` and `asyncio-sync`, with their sizes cut under
//!   `cfg(miri)` (the tests that need what Miri lacks are ignored under it, each saying
//!   why).
//!
//! Each installs what it needs with the machine's own tools (apt-get for valgrind, rustup
//! for the nightly toolchain with its `miri` and `rust-src` components) and fails, rather
//! than skipping, when it cannot.

use std::path::PathBuf;
use std::process::Command;

use crate::cmd::{self, cargo, workspace_root};

/// The loop's integration tests that Miri can run (no sockets).
const MIRI_LOOP_TESTS: &[&str] = &[
    "ordering",
    "cancel",
    "lifecycle",
    "misuse",
    "panics",
    "wakers",
    "timers",
    "threads",
    "debug",
    "future",
    "bridge",
    "identity",
    "catch",
    "handles",
];

/// Memcheck over every test binary of the loop and the pool.
pub fn valgrind() -> Result<(), String> {
    ensure_valgrind()?;
    let binaries = test_binaries(&["asyncio-loop", "asyncio-pool"])?;
    let suppressions = workspace_root().join("xtask/valgrind.supp");
    for (name, binary) in &binaries {
        cmd::run(
            Command::new("valgrind")
                .args([
                    "--quiet",
                    "--leak-check=full",
                    "--errors-for-leak-kinds=definite",
                    "--error-exitcode=99",
                    "--show-leak-kinds=definite",
                ])
                .arg(format!("--suppressions={}", suppressions.display()))
                .arg(binary)
                // One test at a time: valgrind runs every thread on one core anyway.
                .args(["--test-threads=1", "-q"])
                // The stress tests' smaller size (`wake_storm`: 120k wakes, not 1M).
                .env("ASYNCIO_STRESS", "quick")
                .current_dir(workspace_root()),
        )
        .map_err(|e| format!("{name} under valgrind: {e}"))?;
        println!("  {name}: clean under valgrind");
    }
    println!("  valgrind: {} test binaries clean", binaries.len());
    Ok(())
}

/// Installs valgrind with apt-get where it is missing.
pub fn ensure_valgrind() -> Result<(), String> {
    if cmd::succeeds(Command::new("valgrind").arg("--version")) {
        return Ok(());
    }
    println!("  valgrind is missing: installing Debian's package");
    cmd::run(Command::new("apt-get").arg("update"))?;
    cmd::run(Command::new("apt-get").args(["install", "-y", "valgrind"]))?;
    if cmd::succeeds(Command::new("valgrind").arg("--version")) {
        Ok(())
    } else {
        Err("valgrind could not be installed".into())
    }
}

/// The test executables `cargo test --no-run` builds for `packages`, by target name.
fn test_binaries(packages: &[&str]) -> Result<Vec<(String, PathBuf)>, String> {
    let mut command = cargo(["test", "--no-run", "--message-format=json"]);
    for package in packages {
        command.args(["-p", package]);
    }
    let output = command
        .output()
        .map_err(|e| format!("could not run `{}`: {e}", cmd::describe(&command)))?;
    if !output.status.success() {
        return Err(format!("`{}` failed", cmd::describe(&command)));
    }
    let mut binaries = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // Test harnesses only (not the examples cargo builds alongside).
        if !line.contains("\"test\":true") {
            continue;
        }
        // Only std: the two fields are read off the JSON line by hand.
        let (Some(executable), Some(name)) = (json_string(line, "executable"), json_name(line))
        else {
            continue;
        };
        binaries.push((name, PathBuf::from(executable)));
    }
    if binaries.is_empty() {
        return Err("no test binary was built".into());
    }
    Ok(binaries)
}

/// The string value of `"key":"..."` in a JSON line (no escapes in the values read here).
fn json_string(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let end = line[start..].find('"')? + start;
    Some(line[start..end].to_owned())
}

/// The target name of a compiler-artifact line (the first `"name"` is the target's).
fn json_name(line: &str) -> Option<String> {
    let target = &line[line.find("\"target\":")?..];
    json_string(target, "name")
}

/// ThreadSanitizer over the cross-thread tests.
pub fn tsan() -> Result<(), String> {
    ensure_nightly(&["rust-src"])?;
    let host = host_triple()?;
    let runs: &[&[&str]] = &[
        &[
            "-p",
            "asyncio-loop",
            "--test",
            "threads",
            "--test",
            "wakers",
            "--test",
            "timers",
            "--test",
            "bridge",
            "--test",
            "identity",
            "--test",
            "wake_storm",
        ],
        &["-p", "asyncio-pool", "--tests"],
        &["-p", "asyncio-sync", "--test", "threads"],
    ];
    for run in runs {
        let mut command = nightly_cargo(&["test", "-Zbuild-std", "--target", &host]);
        command
            .args(*run)
            .env("RUSTFLAGS", "-Zsanitizer=thread")
            .env("CARGO_TARGET_DIR", crate::ci::target_dir().join("tsan"))
            // A report fails the run (TSan's exit code); one at a time keeps them readable.
            .env("TSAN_OPTIONS", "halt_on_error=1");
        cmd::run(&mut command)?;
    }
    println!("  ThreadSanitizer: no data race reported");
    Ok(())
}

/// Miri over the loop's unsafe core and over the timer and sync crates, under Stacked
/// Borrows and under Tree Borrows.
pub fn miri() -> Result<(), String> {
    ensure_nightly(&["miri", "rust-src"])?;
    for (model, flags) in [
        ("Stacked Borrows", ""),
        ("Tree Borrows", "-Zmiri-tree-borrows"),
    ] {
        let mut core = nightly_cargo(&["miri", "test", "-p", "asyncio-loop", "--lib"]);
        for test in MIRI_LOOP_TESTS {
            core.args(["--test", test]);
        }
        // Every test of the two crates: their own unit tests, integration tests and
        // proptests (a few short cases under Miri).
        let rest = nightly_cargo(&[
            "miri",
            "test",
            "-p",
            "asyncio-timer",
            "-p",
            "asyncio-sync",
            "--lib",
            "--tests",
        ]);
        for (what, mut command) in [("the loop", core), ("timer and sync", rest)] {
            let started = std::time::Instant::now();
            command
                // Real time: the loop's timers and parked waits read the clock.
                .env("MIRIFLAGS", format!("-Zmiri-disable-isolation {flags}"))
                .env("CARGO_TARGET_DIR", crate::ci::target_dir().join("miri"));
            cmd::run(&mut command)?;
            println!(
                "  Miri ({model}, {what}): no undefined behaviour, no leak ({:.0?})",
                started.elapsed()
            );
        }
    }
    Ok(())
}

/// A `cargo` of the nightly toolchain, in the workspace root. Through `rustup run`: the
/// cargo running xtask is the stable one's binary itself, which knows no `+nightly`; and
/// without its variables, which name the stable tools.
fn nightly_cargo(args: &[&str]) -> Command {
    let mut command = Command::new("rustup");
    command
        .args(["run", "nightly", "cargo"])
        .args(args)
        .current_dir(workspace_root());
    for variable in [
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTUP_TOOLCHAIN",
        "RUSTC_WRAPPER",
    ] {
        command.env_remove(variable);
    }
    command
}

/// Installs the nightly toolchain with `components` through rustup where they are missing.
fn ensure_nightly(components: &[&str]) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["component", "list", "--toolchain", "nightly", "--installed"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| !installed.lines().any(|line| line.starts_with(c)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "  installing the nightly toolchain's {}",
        missing.join(", ")
    );
    cmd::run(
        Command::new("rustup")
            .args([
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--component",
            ])
            .arg(missing.join(",")),
    )
    .map_err(|e| {
        format!(
            "the nightly toolchain with {} could not be installed: {e}",
            missing.join(", ")
        )
    })
}

/// This machine's target triple, for `-Zbuild-std`.
fn host_triple() -> Result<String, String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("could not run rustc -vV: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV named no host".into())
}

#[cfg(test)]
mod tests {
    use super::{json_name, json_string};

    #[test]
    fn reads_a_test_binary_off_a_cargo_json_line() {
        let line = r#"{"reason":"compiler-artifact","package_id":"x","target":{"kind":["test"],"name":"threads","src_path":"/a/threads.rs"},"profile":{"test":true},"executable":"/t/debug/deps/threads-0123"}"#;
        assert_eq!(
            json_string(line, "executable").as_deref(),
            Some("/t/debug/deps/threads-0123")
        );
        assert_eq!(json_name(line).as_deref(), Some("threads"));
        assert_eq!(
            json_string(r#"{"reason":"build-finished"}"#, "executable"),
            None
        );
    }
}
