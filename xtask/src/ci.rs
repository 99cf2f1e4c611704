//! `cargo xtask ci`: every check CI makes, in order, stopping at the first failure.
//!
//! Each step prints a header, and a summary of how long each took closes the run, so a slow
//! step is visible in CI logs without digging.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cmd::{self, cargo, workspace_root};

/// One CI step: a name for the log and the work it does.
struct Step {
    name: &'static str,
    run: fn() -> Result<(), String>,
}

/// Every build, lint, test and doc step turns every feature of every crate on: one feature
/// set for all of them, so the test and examples steps share their build, and the
/// optional parts (the facade's `hyper` and `tokio` features, asyncio-loop's `tracing`) are
/// checked like the rest. asyncio-loop with `tracing` off, as users get it by default, is
/// linted and tested once more on its own (`clippy`, `test`).
const ALL_FEATURES: &str = "--all-features";

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        run: fmt,
    },
    Step {
        name: "clippy",
        run: clippy,
    },
    Step {
        name: "layers",
        run: crate::layers::run,
    },
    Step {
        name: "test",
        run: test,
    },
    Step {
        name: "loom",
        run: crate::loom::run,
    },
    Step {
        name: "doc",
        run: doc,
    },
    Step {
        name: "examples",
        run: examples,
    },
    Step {
        name: "leaks",
        run: leaks,
    },
    Step {
        name: "valgrind",
        run: crate::tools::valgrind,
    },
    Step {
        name: "tsan",
        run: crate::tools::tsan,
    },
    Step {
        name: "miri",
        run: crate::tools::miri,
    },
    Step {
        name: "bench --quick",
        run: bench_smoke,
    },
];

/// Runs every step; the first failure ends the run with a message naming the step.
pub fn run() -> Result<(), String> {
    let started = Instant::now();
    let mut timings: Vec<(&str, Duration)> = Vec::new();
    for step in STEPS {
        println!("\n==> ci: {}", step.name);
        let step_started = Instant::now();
        let outcome = (step.run)();
        timings.push((step.name, step_started.elapsed()));
        if let Err(message) = outcome {
            print_timings(&timings);
            return Err(format!("ci step `{}` failed: {message}", step.name));
        }
    }
    print_timings(&timings);
    println!("ci: all steps passed in {:.1?}", started.elapsed());
    Ok(())
}

fn print_timings(timings: &[(&str, Duration)]) {
    println!("\n==> ci: step timings");
    for (name, took) in timings {
        println!("  {name:<16} {:>8.1?}", took);
    }
}

fn fmt() -> Result<(), String> {
    cmd::run(&mut cargo(["fmt", "--all", "--check"]))
}

/// Lints everything with every feature on (the facade's optional `hyper` module, its
/// example and tests), then the facade's library once more as users get it by default,
/// so code that only the default feature set compiles is linted too.
fn clippy() -> Result<(), String> {
    cmd::run(&mut cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        ALL_FEATURES,
        "--",
        "-D",
        "warnings",
    ]))?;
    cmd::run(&mut cargo([
        "clippy", "-p", "asyncio", "--lib", "--", "-D", "warnings",
    ]))?;
    // asyncio-loop without `tracing`: the `#[cfg]`s of the feature leave code that builds.
    cmd::run(&mut cargo([
        "clippy",
        "-p",
        "asyncio-loop",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// Unit, integration and doc tests of every crate, every feature on (so the facade's
/// `tests/hyper.rs` and `tests/tokio_compat.rs` and asyncio-loop's `tests/tracing.rs`
/// run). nextest runs the first two when present (it does not run doc tests, so
/// `cargo test --doc` follows). Then asyncio-loop's unit and integration tests once more
/// with `tracing` off, its default: the loop users get unless they ask for the feature.
fn test() -> Result<(), String> {
    test_all_features()?;
    cmd::run(&mut cargo([
        "test",
        "-p",
        "asyncio-loop",
        "--lib",
        "--tests",
        "--no-fail-fast",
    ]))
}

fn test_all_features() -> Result<(), String> {
    if cmd::cargo_has("nextest") {
        cmd::run(&mut cargo([
            "nextest",
            "run",
            "--workspace",
            ALL_FEATURES,
            "--no-fail-fast",
        ]))?;
        cmd::run(&mut cargo(["test", "--workspace", ALL_FEATURES, "--doc"]))
    } else {
        cmd::run(&mut cargo([
            "test",
            "--workspace",
            ALL_FEATURES,
            "--no-fail-fast",
        ]))
    }
}

fn doc() -> Result<(), String> {
    let mut command = cargo(["doc", "--workspace", ALL_FEATURES, "--no-deps"]);
    command.env("RUSTDOCFLAGS", "-D warnings");
    cmd::run(&mut command)
}

/// Builds every example of the workspace, runs each, and where an expected output is stored
/// (`crates/<crate>/tests/expected/<example>.txt`) requires stdout to match it line for line.
/// An example with an input file (`crates/<crate>/tests/input/<example>.txt`, the console
/// seeds) gets it on a pipe as its stdin; the others get an empty stdin.
/// Every feature is on: an example with `required-features` (the facade's `hyper_hello`)
/// would otherwise not be built, and its binary would be missing here.
fn examples() -> Result<(), String> {
    cmd::run(&mut cargo([
        "build",
        "--workspace",
        "--examples",
        ALL_FEATURES,
    ]))?;
    let examples = find_examples()?;
    let bin_dir = target_dir().join("debug").join("examples");
    for example in &examples {
        let started = Instant::now();
        let binary = bin_dir.join(format!("{}{}", example.name, std::env::consts::EXE_SUFFIX));
        let output = run_example(&binary, example.input.as_deref())
            .map_err(|e| format!("could not run example {}: {e}", binary.display()))?;
        if !output.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            return Err(format!(
                "example `{}` of `{}` exited with {}",
                example.name, example.package, output.status
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let verdict = match &example.expected {
            Some(path) => compare_output(&example.name, &stdout, path)?,
            None => "ran (no expected output stored)",
        };
        println!(
            "  example {}/{}: {verdict} in {:.1?}",
            example.package,
            example.name,
            started.elapsed()
        );
    }
    println!("  {} examples passed", examples.len());
    Ok(())
}

struct Example {
    package: String,
    name: String,
    expected: Option<PathBuf>,
    input: Option<PathBuf>,
}

/// Runs `binary` to its end, `input`'s contents on a pipe as its stdin if given (written
/// whole before the output is read: input files are a few lines, far below a pipe's buffer).
fn run_example(binary: &Path, input: Option<&Path>) -> std::io::Result<std::process::Output> {
    use std::io::Write;
    use std::process::Stdio;

    let mut command = Command::new(binary);
    command.current_dir(workspace_root());
    let Some(input) = input else {
        return command.output();
    };
    let contents = std::fs::read(input)?;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(&contents)?;
    drop(stdin); // the example sees the end of its input
    child.wait_with_output()
}

/// Examples are `crates/<package>/examples/<name>.rs` or `.../examples/<name>/main.rs`; a
/// crate's directory name is its package name.
fn find_examples() -> Result<Vec<Example>, String> {
    let mut found = Vec::new();
    for crate_dir in sorted_dir(&workspace_root().join("crates"))? {
        let examples_dir = crate_dir.join("examples");
        if !examples_dir.is_dir() {
            continue;
        }
        let package = file_name(&crate_dir);
        for entry in sorted_dir(&examples_dir)? {
            let name = if entry.extension().is_some_and(|e| e == "rs") {
                entry.file_stem().map(|s| s.to_string_lossy().into_owned())
            } else if entry.join("main.rs").is_file() {
                Some(file_name(&entry))
            } else {
                None
            };
            if let Some(name) = name {
                let stored = |kind: &str| {
                    let path = crate_dir
                        .join("tests")
                        .join(kind)
                        .join(format!("{name}.txt"));
                    path.is_file().then_some(path)
                };
                found.push(Example {
                    package: package.clone(),
                    expected: stored("expected"),
                    input: stored("input"),
                    name,
                });
            }
        }
    }
    Ok(found)
}

fn compare_output(name: &str, stdout: &str, expected_path: &Path) -> Result<&'static str, String> {
    let expected = std::fs::read_to_string(expected_path)
        .map_err(|e| format!("could not read {}: {e}", expected_path.display()))?;
    let got: Vec<&str> = stdout.lines().collect();
    let want: Vec<&str> = expected.lines().collect();
    if got == want {
        return Ok("output matches");
    }
    let first_difference = got
        .iter()
        .zip(&want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    Err(format!(
        "example `{name}` printed other lines than {}: first difference at line {}\n  expected: {:?}\n  got:      {:?}",
        expected_path.display(),
        first_difference + 1,
        want.get(first_difference),
        got.get(first_difference),
    ))
}

/// Examples that drop or close loops with every kind of work pending, run under valgrind's
/// leak checker when valgrind is installed (the issue asks for it "if installed": it is not
/// part of the Rust toolchain, and the examples step has already run them without it).
const LEAK_CHECKED_EXAMPLES: &[&str] = &["drop_pending"];

fn leaks() -> Result<(), String> {
    crate::tools::ensure_valgrind()?;
    let bin_dir = target_dir().join("debug").join("examples");
    for name in LEAK_CHECKED_EXAMPLES {
        let binary = bin_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        cmd::run(
            Command::new("valgrind")
                .args(["--quiet", "--leak-check=full", "--error-exitcode=1"])
                .arg(&binary)
                .current_dir(workspace_root()),
        )?;
        println!("  {name}: no leaks, no memory errors under valgrind");
    }
    Ok(())
}

/// Every group once, briefly, rendered into a report under `target/` (never `docs/`): proves
/// the benchmarks, the results file and the report writer all work.
fn bench_smoke() -> Result<(), String> {
    let out = target_dir().join("bench-report-ci");
    crate::bench::run(&[
        "--quick".to_string(),
        "--report".to_string(),
        "--out".to_string(),
        out.to_string_lossy().into_owned(),
    ])
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` if set, else `<root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

fn sorted_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("could not list {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_seeds_are_found_with_their_input() {
        let examples = find_examples().unwrap();
        let asyncio10 = examples
            .iter()
            .find(|e| e.name == "s003_asyncio10")
            .expect("the example is found");
        assert!(asyncio10.expected.is_some());
        assert!(
            asyncio10
                .input
                .as_ref()
                .is_some_and(|p| p.ends_with("crates/asyncio/tests/input/s003_asyncio10.txt"))
        );
        let no_input = examples.iter().find(|e| e.name == "s000_gather").unwrap();
        assert!(no_input.input.is_none());
    }

    #[test]
    fn an_input_file_arrives_on_stdin_and_ends_it() {
        let input = workspace_root().join("crates/asyncio/tests/input/s003_asyncio10.txt");
        let output = run_example(Path::new("cat"), Some(&input)).unwrap();
        assert!(output.status.success());
        assert_eq!(output.stdout, std::fs::read(&input).unwrap());
        // Without an input file, stdin is empty (`cat` ends at once).
        let output = run_example(Path::new("cat"), None).unwrap();
        assert_eq!(output.stdout, b"");
    }
}
