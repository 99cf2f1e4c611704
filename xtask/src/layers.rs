//! `cargo xtask layers`: checks that the files of `asyncio-loop` form layers whose imports
//! all point down (docs/architecture.md draws them).
//!
//! Each file's layer is declared in [`LAYERS`]. A file may name (`use crate::x`, or a path
//! `crate::x::` in code) only modules of a lower layer; files of one layer never name each
//! other, so no import circle can form. Comments and `#[cfg(test)] mod tests` blocks are
//! not read: doc links and unit tests may reach anywhere.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cmd::workspace_root;

/// The crate checked, and its files by layer, lowest first.
const CRATE: &str = "crates/asyncio-loop/src";
const LAYERS: &[(&str, &[&str])] = &[
    (
        "L0 leaf types: the OS's readiness queue; std's or loom's atomics and locks",
        &["poller", "sync"],
    ),
    (
        "L0 leaf types",
        &["callback", "error", "flags", "in_context", "shared"],
    ),
    (
        "L0 leaf types: the process's signal table and handler",
        &["sigaction"],
    ),
    (
        "L0 leaf types: what a task waits on, for the task dump",
        &["waiting"],
    ),
    (
        "L0 leaf types: pinning a thread to a CPU (sched_setaffinity)",
        &["affinity"],
    ),
    (
        "L0 leaf types: a task's cancellation record",
        &["cancel_state"],
    ),
    (
        "L0 leaf types: a task's tracing spans (feature `tracing`)",
        &["trace"],
    ),
    ("L1 raw task: the header and TaskRc", &["header"]),
    (
        "L1 raw task: cancel requests and their delivery",
        &["cancelling"],
    ),
    ("L1 raw task: the ready queue", &["ready"]),
    ("L1 raw task: the loop as a trait (Schedule)", &["context"]),
    ("L1 raw task: wakers", &["waker"]),
    (
        "L1 raw task: the typed allocation; a task's end",
        &["raw", "done"],
    ),
    (
        "L2 parts: TaskRef, registry, timers, reactor",
        &["task_ref", "registry", "timers", "reactor"],
    ),
    ("L2 parts: the exception context", &["exception"]),
    (
        "L2 parts: a result any thread completes (ConcurrentFuture)",
        &["concurrent"],
    ),
    ("L2 parts: Task<T>", &["task"]),
    (
        "L2 parts: catch scopes; awaiting a task by reference; Err as exception",
        &["catch", "watch", "try_task"],
    ),
    ("L3 iteration: the loop's state (LoopInner)", &["scheduler"]),
    (
        "L3 iteration: run_once, close, the running loop",
        &["iteration", "shutdown", "running"],
    ),
    (
        "L4 surface: remote tasks linked to their ConcurrentFuture's cancel",
        &["linked"],
    ),
    (
        "L4 surface: handles, Future, sleep, LoopHandle, shield",
        &["handle", "future", "sleep", "remote", "shield"],
    ),
    ("L4 surface: the timeout scope object", &["timeout_scope"]),
    ("L4 surface: debug mode's watch on I/O", &["slow_io"]),
    ("L4 surface: I/O sources", &["source"]),
    ("L4 surface: sockets", &["tcp", "udp", "unix"]),
    ("L4 surface: EventLoop", &["event_loop"]),
    ("L4 surface: free functions, add_reader", &["current", "io"]),
    ("L4 surface: add_signal_handler", &["signal"]),
    (
        "L4 surface: pipes; child processes watched through add_reader",
        &["pipe", "child"],
    ),
    ("L4 surface: the task dump", &["dump"]),
];

/// Runs the check and prints the layers with each file's imports.
pub fn run() -> Result<(), String> {
    let dir = workspace_root().join(CRATE);
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, (_, files))| files.iter().map(move |f| (*f, layer)))
        .collect();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("reading {CRATE}: {e}"))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(name) = rust_module(&path) else {
            continue;
        };
        if name != "lib" && !layer_of.contains_key(name.as_str()) {
            problems.push(format!("{name}.rs has no layer in xtask/src/layers.rs"));
        }
    }
    for (layer, (title, files)) in LAYERS.iter().enumerate() {
        println!("layer {layer}: {title}");
        for file in *files {
            let source = std::fs::read_to_string(dir.join(format!("{file}.rs")))
                .map_err(|e| format!("reading {file}.rs: {e}"))?;
            let imports = imports(&source);
            let names: Vec<&str> = imports.iter().map(String::as_str).collect();
            println!("  {file:<12} -> {}", names.join(", "));
            for import in &imports {
                match layer_of.get(import.as_str()) {
                    None if import == "lib" => {}
                    None => problems.push(format!("{file}.rs names `{import}`, which has no layer")),
                    Some(&other) if other >= layer => problems.push(format!(
                        "{file}.rs (layer {layer}) names `{import}` (layer {other}): imports must point down"
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    if problems.is_empty() {
        println!("layers: every import of {CRATE} points down");
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The module a `.rs` file of the crate's `src/` is.
fn rust_module(path: &Path) -> Option<String> {
    if path.extension()? != "rs" {
        return None;
    }
    Some(path.file_stem()?.to_string_lossy().into_owned())
}

/// The modules of the crate a file names outside comments and its test module: every
/// `crate::name` (in `use` lines or paths), and the names inside `use crate::{a, b::c}`.
fn imports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut code = String::new();
    let mut lines = source.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(")
            && trimmed.contains("test")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        code.push_str(line.split("//").next().unwrap_or(""));
        code.push('\n');
    }
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                push_module(&mut found, item.trim());
            }
        } else {
            push_module(&mut found, rest);
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Records the first path segment of `path` (a module, or an item of `lib.rs`).
fn push_module(found: &mut Vec<String>, path: &str) {
    let name: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() {
        return;
    }
    // A lowercase segment followed by `::` is a module; anything else is an item that
    // `lib.rs` re-exports.
    let is_module = path[name.len()..].starts_with("::") && name.starts_with(char::is_lowercase);
    found.push(if is_module { name } else { "lib".to_owned() });
}

#[cfg(test)]
mod tests {
    use super::imports;

    #[test]
    fn finds_modules_in_use_lines_groups_and_paths_but_not_in_comments_or_tests() {
        let source = "\
//! See [`x`](crate::event_loop::EventLoop).
use crate::error::RunError;
use crate::{flags::Flag, header::TaskRc, Task};
fn f() { crate::waker::borrowed(p); } // crate::running::x
#[cfg(test)]
mod tests {
    use crate::scheduler::LoopInner;
}
";
        assert_eq!(
            imports(source),
            ["error", "flags", "header", "lib", "waker"]
        );
    }
}
