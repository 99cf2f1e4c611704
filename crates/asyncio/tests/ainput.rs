//! `asyncio::ainput` against real standard inputs: pipes written in pieces, EOF, a closed
//! stdin, a cancelled call, and a pseudo-terminal opened here (no tool to install). Each
//! case runs in a child process (this test binary again, the scenario named by an
//! environment variable), since standard input is the process's own. The child reports on
//! stdout in lines starting with `@@ `; the test harness's own lines are skipped.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use asyncio::AinputError;

/// Set in the child: the scenario it runs instead of the test.
const SCENARIO: &str = "ASYNCIO_AINPUT_SCENARIO";

/// In the child, runs the scenario named in the environment and returns `true`.
fn ran_as_child() -> bool {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        return false;
    };
    match scenario.as_str() {
        "echo" => echo_lines(),
        "cancel" => cancel_then_echo(),
        "two" => two_waiting(),
        other => panic!("unknown scenario {other}"),
    }
    true
}

/// The status flags of fd 0 (`O_NONBLOCK` among them).
fn stdin_flags() -> i32 {
    // SAFETY: F_GETFL reads the flags of a descriptor; on a closed one it fails with -1.
    unsafe { libc::fcntl(0, libc::F_GETFL) }
}

/// Prints each line as `@@ line "..."` until EOF (`@@ eof`), while a ticker task prints
/// `@@ tick` every 10 ms (the loop runs while `ainput` waits), then whether fd 0's flags
/// are as they were.
fn echo_lines() {
    asyncio::run(async {
        let flags = stdin_flags();
        let _ticker = asyncio::create_task(async {
            loop {
                println!("@@ tick");
                asyncio::sleep(Duration::from_millis(10)).await;
            }
        });
        echo_until_eof().await;
        let same = if stdin_flags() == flags {
            "unchanged"
        } else {
            "changed"
        };
        println!("@@ flags {same}");
    })
    .unwrap();
}

async fn echo_until_eof() {
    loop {
        match asyncio::ainput("").await {
            Ok(line) => println!("@@ line {line:?}"),
            Err(AinputError::Eof) => {
                println!("@@ eof");
                // EOF is an outcome, not a state: on a pipe, the next call sees it again.
                let again = asyncio::ainput("").await;
                println!(
                    "@@ then {}",
                    if matches!(again, Err(AinputError::Eof)) {
                        "eof"
                    } else {
                        "other"
                    }
                );
                return;
            }
            Err(error) => println!("@@ error {error}"),
        }
    }
}

/// Starts an `ainput`, says `@@ waiting`, gives up on it after 200 ms (`@@ timed out`),
/// waits 200 ms with no `ainput` waiting (the rest of the line comes then), then echoes as
/// `echo_lines` does.
fn cancel_then_echo() {
    asyncio::run(async {
        println!("@@ waiting");
        match asyncio::wait_for(Duration::from_millis(200), asyncio::ainput("")).await {
            Err(_) => println!("@@ timed out"),
            Ok(early) => println!("@@ early {early:?}"),
        }
        asyncio::sleep(Duration::from_millis(200)).await;
        echo_until_eof().await;
    })
    .unwrap();
}

/// Two tasks wait for a line at once; each reports what it got.
fn two_waiting() {
    asyncio::run(async {
        let first = asyncio::create_task(asyncio::ainput(""));
        let second = asyncio::create_task(asyncio::ainput(""));
        println!("@@ waiting");
        let (first, second) = (first.await.unwrap(), second.await.unwrap());
        println!("@@ first {first:?}");
        println!("@@ second {second:?}");
    })
    .unwrap();
}

/// This test binary again, running `test`'s scenario `scenario`, stdout piped.
fn child(test: &str, scenario: &str, stdin: Stdio) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, scenario)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The child's reports, one `@@ ` line at a time (the harness's own lines skipped).
struct Reports(BufReader<ChildStdout>);

impl Reports {
    fn of(child: &mut Child) -> Reports {
        Reports(BufReader::new(child.stdout.take().unwrap()))
    }

    /// The next report, ticks included; panics at the end of the output.
    fn next(&mut self) -> String {
        loop {
            let mut line = String::new();
            assert_ne!(
                self.0.read_line(&mut line).unwrap(),
                0,
                "the child's output ended"
            );
            // The harness's "test NAME ... " has no newline before the test's first line.
            if let Some(at) = line.find("@@ ") {
                return line[at + 3..].trim_end().to_owned();
            }
        }
    }

    /// The next report that is not a tick.
    fn next_not_tick(&mut self) -> String {
        loop {
            let report = self.next();
            if report != "tick" {
                return report;
            }
        }
    }

    /// Waits for `n` ticks: the child's loop has run meanwhile.
    fn ticks(&mut self, n: usize) {
        let mut seen = 0;
        while seen < n {
            let report = self.next();
            assert_eq!(report, "tick", "no line was complete yet");
            seen += 1;
        }
    }
}

/// A pipe as (read end, write end), both close-on-exec.
fn pipe() -> (OwnedFd, File) {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` writes two descriptors into the array we pass.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors are new and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}

/// The status flags of `fd`.
fn flags_of(fd: &impl AsRawFd) -> i32 {
    // SAFETY: F_GETFL reads a live descriptor's flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0);
    flags
}

#[test]
fn lines_arriving_in_pieces_through_a_pipe() {
    if ran_as_child() {
        return;
    }
    let (read_end, mut input) = pipe();
    // A copy of the child's stdin: same open file description, so its flags are the child's.
    let ours = read_end.try_clone().unwrap();
    let flags = flags_of(&ours);
    let mut child = child(
        "lines_arriving_in_pieces_through_a_pipe",
        "echo",
        Stdio::from(read_end),
    );
    let mut reports = Reports::of(&mut child);
    reports.ticks(1);
    // Pieces, with the child's loop running in between (its ticks are awaited, not slept
    // for): a line is delivered only once its newline came, and whole.
    input.write_all(b"hel").unwrap();
    reports.ticks(3);
    input.write_all("lo\nwör".as_bytes()).unwrap();
    assert_eq!(reports.next_not_tick(), r#"line "hello""#);
    reports.ticks(3);
    input.write_all(b"ld\n\ntwo\nlines\nlast").unwrap();
    assert_eq!(reports.next_not_tick(), r#"line "wörld""#);
    assert_eq!(reports.next_not_tick(), r#"line """#);
    assert_eq!(reports.next_not_tick(), r#"line "two""#);
    assert_eq!(reports.next_not_tick(), r#"line "lines""#);
    reports.ticks(3);
    drop(input);
    // The last line needs no newline (Python's input() returns it too); then EOF.
    assert_eq!(reports.next_not_tick(), r#"line "last""#);
    assert_eq!(reports.next_not_tick(), "eof");
    assert_eq!(reports.next_not_tick(), "then eof");
    assert_eq!(reports.next_not_tick(), "flags unchanged");
    assert!(child.wait().unwrap().success());
    assert_eq!(
        flags_of(&ours),
        flags,
        "the shared description's flags are as they were"
    );
}

#[test]
fn eof_at_once_from_an_empty_a_null_and_a_closed_stdin() {
    if ran_as_child() {
        return;
    }
    let test = "eof_at_once_from_an_empty_a_null_and_a_closed_stdin";
    let (read_end, input) = pipe();
    drop(input);
    let mut closed = Command::new(std::env::current_exe().unwrap());
    closed
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(SCENARIO, "echo")
        .stdout(Stdio::piped());
    // SAFETY: the hook only calls `close`, which is async-signal-safe, in the forked child.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut closed, || {
            libc::close(0);
            Ok(())
        });
    }
    let children = [
        child(test, "echo", Stdio::from(read_end)), // a pipe with no writer
        child(test, "echo", Stdio::null()),
        // No fd 0 at all: Rust's runtime opens /dev/null there at start, so this too is EOF
        // rather than a read of whatever descriptor would take number 0 (the loop's epoll).
        closed.spawn().unwrap(),
    ];
    for mut child in children {
        let mut reports = Reports::of(&mut child);
        assert_eq!(reports.next_not_tick(), "eof");
        assert_eq!(reports.next_not_tick(), "then eof");
        assert_eq!(reports.next_not_tick(), "flags unchanged");
        assert!(child.wait().unwrap().success());
    }
}

#[test]
fn a_regular_file_as_stdin() {
    if ran_as_child() {
        return;
    }
    // A file epoll could not watch: read like any other stdin.
    let path = std::env::temp_dir().join(format!("asyncio-ainput-{}.txt", std::process::id()));
    std::fs::write(&path, "first\nsecond\n").unwrap();
    let file = File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut child = child("a_regular_file_as_stdin", "echo", Stdio::from(file));
    let mut reports = Reports::of(&mut child);
    assert_eq!(reports.next_not_tick(), r#"line "first""#);
    assert_eq!(reports.next_not_tick(), r#"line "second""#);
    assert_eq!(reports.next_not_tick(), "eof");
    assert_eq!(reports.next_not_tick(), "then eof");
    assert_eq!(reports.next_not_tick(), "flags unchanged");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_cancelled_ainput_loses_no_input() {
    if ran_as_child() {
        return;
    }
    let (read_end, mut input) = pipe();
    let mut child = child(
        "a_cancelled_ainput_loses_no_input",
        "cancel",
        Stdio::from(read_end),
    );
    let mut reports = Reports::of(&mut child);
    assert_eq!(reports.next(), "waiting");
    // Half a line while the first call waits; it is cancelled before the rest comes.
    input.write_all(b"par").unwrap();
    assert_eq!(reports.next(), "timed out");
    input.write_all(b"tial\nnext\n").unwrap();
    assert_eq!(reports.next(), r#"line "partial""#);
    assert_eq!(reports.next(), r#"line "next""#);
    drop(input);
    assert_eq!(reports.next(), "eof");
    assert!(child.wait().unwrap().success());
}

#[test]
fn two_waiting_calls_get_successive_lines_first_caller_first() {
    if ran_as_child() {
        return;
    }
    let (read_end, mut input) = pipe();
    let mut child = child(
        "two_waiting_calls_get_successive_lines_first_caller_first",
        "two",
        Stdio::from(read_end),
    );
    let mut reports = Reports::of(&mut child);
    assert_eq!(reports.next(), "waiting");
    input.write_all(b"a\nb\n").unwrap();
    assert_eq!(reports.next(), r#"first Ok("a")"#);
    assert_eq!(reports.next(), r#"second Ok("b")"#);
    assert!(child.wait().unwrap().success());
}

/// A new pseudo-terminal as (master, slave).
fn openpty() -> (File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: `openpty` writes two descriptors to the ints we pass; the name, termios and
    // window size pointers may be null.
    let done = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(done, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors are new and owned by nobody else.
    unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// The terminal's mode, as bytes to compare (`termios` has no `PartialEq`).
fn terminal_mode(tty: &OwnedFd) -> Vec<u8> {
    // SAFETY: an all-zero termios is a valid value for `tcgetattr` to overwrite.
    let mut mode: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `tcgetattr` fills the struct we pass from a live terminal descriptor.
    assert_eq!(unsafe { libc::tcgetattr(tty.as_raw_fd(), &mut mode) }, 0);
    let size = std::mem::size_of::<libc::termios>();
    // SAFETY: a termios is plain integers, readable as `size` bytes for as long as `mode`
    // lives, which outlives the copy.
    unsafe { std::slice::from_raw_parts((&raw const mode).cast::<u8>(), size) }.to_vec()
}

/// Echoes what is typed into a terminal: lines, Ctrl-D as EOF; the terminal's mode and
/// fd 0's flags are as they were afterwards.
#[test]
fn a_terminal_gives_lines_and_keeps_its_mode() {
    if ran_as_child() {
        return;
    }
    let (mut master, slave) = openpty();
    let mode = terminal_mode(&slave);
    let flags = flags_of(&slave);
    let mut child = child(
        "a_terminal_gives_lines_and_keeps_its_mode",
        "echo",
        Stdio::from(slave.try_clone().unwrap()),
    );
    let mut reports = Reports::of(&mut child);
    reports.ticks(1);
    master.write_all("hello\nこんにちは\n".as_bytes()).unwrap();
    assert_eq!(reports.next_not_tick(), r#"line "hello""#);
    assert_eq!(reports.next_not_tick(), r#"line "こんにちは""#);
    // Ctrl-D at the start of a line: the terminal's EOF.
    master.write_all(b"\x04").unwrap();
    assert_eq!(reports.next_not_tick(), "eof");
    // A terminal's EOF is not final: the next call reads again.
    master.write_all(b"again\n").unwrap();
    assert_eq!(reports.next_not_tick(), "then other");
    assert_eq!(reports.next_not_tick(), "flags unchanged");
    assert!(child.wait().unwrap().success());
    assert_eq!(
        terminal_mode(&slave),
        mode,
        "the terminal's mode is as it was"
    );
    assert_eq!(
        flags_of(&slave),
        flags,
        "the terminal's flags are as they were"
    );
}

/// Ctrl-C (SIGINT) while `ainput` waits on a terminal with half a line typed: the process
/// dies, and the terminal and its descriptor are as they were (nothing was changed, so
/// nothing had to be restored).
#[test]
fn ctrl_c_during_ainput_leaves_the_terminal_as_it_was() {
    if ran_as_child() {
        return;
    }
    let (mut master, slave) = openpty();
    let mode = terminal_mode(&slave);
    let flags = flags_of(&slave);
    let mut child = child(
        "ctrl_c_during_ainput_leaves_the_terminal_as_it_was",
        "echo",
        Stdio::from(slave.try_clone().unwrap()),
    );
    let mut reports = Reports::of(&mut child);
    master.write_all(b"half a li").unwrap();
    reports.ticks(3);
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: `kill` sends a signal to our own child, which has not been reaped yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGINT)
    );
    assert_eq!(
        terminal_mode(&slave),
        mode,
        "the terminal's mode is as it was"
    );
    assert_eq!(
        flags_of(&slave),
        flags,
        "the terminal's flags are as they were"
    );
}

/// Seed 003's `asyncio10` example typed at a terminal: the same output as piped input
/// gives (`tests/expected/s003_asyncio10.txt`), and the terminal as it was. The example is
/// built by `cargo test` (examples are built with the tests) or `cargo build --examples`.
#[test]
fn seed_asyncio10_at_a_terminal() {
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().parent().unwrap().join("examples");
    let example = examples.join("s003_asyncio10");
    assert!(
        example.is_file(),
        "{} is not built: run `cargo build -p asyncio --examples` (plain `cargo test` builds it)",
        example.display()
    );
    let (mut master, slave) = openpty();
    let mode = terminal_mode(&slave);
    let child = Command::new(example)
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = include_str!("input/s003_asyncio10.txt");
    master.write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let expected = include_str!("expected/s003_asyncio10.txt");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert_eq!(
        terminal_mode(&slave),
        mode,
        "the terminal's mode is as it was"
    );
}
