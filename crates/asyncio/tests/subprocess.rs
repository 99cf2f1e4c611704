//! Subprocesses: `create_subprocess_exec` / `create_subprocess_shell`, their options, and
//! `Process` (return codes, signals, `communicate` without deadlock, pipes as streams).
//! The many-children, no-zombie, no-leak test is `tests/subprocess_many.rs` (its own binary,
//! so that no other test opens descriptors or starts children meanwhile).

use std::io;
use std::time::Duration;

use asyncio::subprocess::{DEVNULL, PIPE, STDOUT};
use asyncio::{create_subprocess_exec, create_subprocess_shell};

const NO_ARGS: [&str; 0] = [];

fn run<T>(future: impl std::future::Future<Output = io::Result<T>>) -> T {
    asyncio::run(future).unwrap().unwrap()
}

/// Pinned to tests/python/subprocess_basics.py (CPython 3.11): the same children give the
/// same trace.
#[test]
fn the_trace_is_asyncios() {
    let trace = run(async {
        let mut trace = Vec::new();
        let p = create_subprocess_exec("sh", ["-c", "exit 3"]).await?;
        trace.push(format!("exit 3 -> {}", p.wait().await));

        let p = create_subprocess_exec("sleep", ["30"]).await?;
        trace.push(format!("running -> {:?}", p.returncode()));
        p.kill()?;
        trace.push(format!("kill -> {}", p.wait().await));
        match p.send_signal(libc::SIGTERM) {
            Ok(()) => trace.push("signal after exit -> sent".to_owned()),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {
                trace.push("signal after exit -> ProcessLookupError".to_owned())
            }
            Err(e) => return Err(e),
        }

        let p = create_subprocess_exec("sleep", ["30"]).await?;
        p.terminate()?;
        trace.push(format!("terminate -> {}", p.wait().await));

        let mut p = create_subprocess_exec("cat", NO_ARGS)
            .stdin(PIPE)
            .stdout(PIPE)
            .await?;
        let out = p.communicate(Some(b"hello")).await?;
        trace.push(format!("communicate -> {out:?} {:?}", p.returncode()));

        let mut p = create_subprocess_shell("echo out; echo err >&2")
            .stdout(PIPE)
            .stderr(STDOUT)
            .await?;
        trace.push(format!("stderr=STDOUT -> {:?}", p.communicate(None).await?));

        let mut p = create_subprocess_shell("echo gone")
            .stdout(DEVNULL)
            .stderr(PIPE)
            .await?;
        trace.push(format!("DEVNULL -> {:?}", p.communicate(None).await?));

        let p = create_subprocess_shell("no-such-command-xyz 2>/dev/null").await?;
        trace.push(format!("shell, no command -> {}", p.wait().await));

        let error = create_subprocess_exec("/no/such/program", NO_ARGS)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        trace.push(format!(
            "exec, no program -> FileNotFoundError {}",
            error.raw_os_error().unwrap()
        ));
        Ok(trace)
    });
    let bytes = |s: &[u8]| s.to_vec();
    assert_eq!(
        trace,
        [
            "exit 3 -> 3".to_owned(),
            "running -> None".to_owned(),
            "kill -> -9".to_owned(),
            "signal after exit -> ProcessLookupError".to_owned(),
            "terminate -> -15".to_owned(),
            // Python prints b'hello'; Rust's Debug of the same bytes is a list.
            format!(
                "communicate -> {:?} Some(0)",
                (Some(bytes(b"hello")), None::<Vec<u8>>)
            ),
            format!(
                "stderr=STDOUT -> {:?}",
                (Some(bytes(b"out\nerr\n")), None::<Vec<u8>>)
            ),
            format!("DEVNULL -> {:?}", (None::<Vec<u8>>, Some(bytes(b"")))),
            "shell, no command -> 127".to_owned(),
            "exec, no program -> FileNotFoundError 2".to_owned(),
        ]
    );
}

#[test]
fn echo_through_cat_with_pipes_both_ways() {
    let (line, rest, code) = run(async {
        let mut p = create_subprocess_exec("cat", NO_ARGS)
            .stdin(PIPE)
            .stdout(PIPE)
            .await?;
        let stdin = p.stdin.as_ref().unwrap();
        stdin.write(b"hello\n")?;
        stdin.drain().await?;
        let line = p.stdout.as_mut().unwrap().readline().await?;
        stdin.write(b"bye")?;
        assert!(stdin.can_write_eof());
        stdin.write_eof()?;
        let rest = p.stdout.as_mut().unwrap().read_to_end().await?;
        Ok((line, rest, p.wait().await))
    });
    assert_eq!(line, b"hello\n");
    assert_eq!(rest, b"bye");
    assert_eq!(code, 0);
}

/// More than a pipe buffer (64 KiB) each way, on stdout and stderr at once: `tee` writes
/// its input back before reading all of it, so writing stdin without reading at the same
/// time would deadlock.
#[test]
fn communicate_moves_a_mebibyte_each_way_without_deadlock() {
    let input: Vec<u8> = (0..(1usize << 20)).map(|i| (i % 251) as u8).collect();
    let (out, err, code) = run({
        let input = input.clone();
        async move {
            let mut p = create_subprocess_exec("tee", ["/dev/fd/2"])
                .stdin(PIPE)
                .stdout(PIPE)
                .stderr(PIPE)
                .await?;
            let (out, err) = p.communicate(Some(&input)).await?;
            Ok((out.unwrap(), err.unwrap(), p.returncode()))
        }
    });
    assert_eq!(out.len(), input.len());
    assert!(out == input, "stdout came back changed");
    assert!(err == input, "stderr came back changed");
    assert_eq!(code, Some(0));
}

/// A child that exits without reading its input: the broken pipe is not an error.
#[test]
fn communicate_ignores_a_child_that_reads_nothing() {
    let (out, code) = run(async {
        let mut p = create_subprocess_shell("echo done; exit 4")
            .stdin(PIPE)
            .stdout(PIPE)
            .await?;
        let (out, _) = p.communicate(Some(&vec![0; 1 << 20])).await?;
        Ok((out.unwrap(), p.returncode()))
    });
    assert_eq!(out, b"done\n");
    assert_eq!(code, Some(4));
}

#[test]
fn communicate_with_input_but_no_stdin_pipe_is_invalid_input() {
    let kind = run(async {
        let mut p = create_subprocess_exec("true", NO_ARGS).await?;
        let error = p.communicate(Some(b"x")).await.unwrap_err();
        p.wait().await;
        Ok(error.kind())
    });
    assert_eq!(kind, io::ErrorKind::InvalidInput);
}

#[test]
fn cwd_and_environment() {
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let (pwd, env, cleared) = run({
        let dir = dir.clone();
        async move {
            let mut p = create_subprocess_exec("pwd", NO_ARGS)
                .cwd(&dir)
                .stdout(PIPE)
                .await?;
            let pwd = p.communicate(None).await?.0.unwrap();
            let mut p = create_subprocess_shell("echo \"$ASYNCIO_T1-$HOME_GONE\"")
                .env("ASYNCIO_T1", "one")
                .env("HOME_GONE", "x")
                .env_remove("HOME_GONE")
                .stdout(PIPE)
                .await?;
            let env = p.communicate(None).await?.0.unwrap();
            // asyncio's env={...}: only those variables.
            let mut p = create_subprocess_exec("/usr/bin/env", NO_ARGS)
                .env_clear()
                .env("ONLY", "this")
                .stdout(PIPE)
                .await?;
            let cleared = p.communicate(None).await?.0.unwrap();
            Ok((pwd, env, cleared))
        }
    });
    assert_eq!(pwd, format!("{}\n", dir.display()).into_bytes());
    assert_eq!(env, b"one-\n");
    assert_eq!(cleared, b"ONLY=this\n");
}

#[test]
fn stdout_redirected_to_a_file() {
    let path = std::env::temp_dir().join(format!("asyncio-subprocess-{}.txt", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    let code = run(async {
        let p = create_subprocess_shell("echo into the file")
            .stdout(file.into())
            .await?;
        assert!(p.stdout.is_none());
        Ok(p.wait().await)
    });
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&path).unwrap(), b"into the file\n");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn stdout_as_stdin_is_refused_before_anything_starts() {
    let kind = run(async {
        let error = create_subprocess_exec("true", NO_ARGS)
            .stdin(STDOUT)
            .await
            .unwrap_err();
        Ok(error.kind())
    });
    assert_eq!(kind, io::ErrorKind::InvalidInput);
}

/// Many tasks may wait for one child; the return code is set before any of them resumes.
#[test]
fn several_waiters_all_resume() {
    let codes = run(async {
        let p = std::rc::Rc::new(create_subprocess_shell("exit 5").await?);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let p = std::rc::Rc::clone(&p);
                asyncio::create_task(async move { (p.wait().await, p.returncode()) })
            })
            .collect();
        let mut codes = Vec::new();
        for waiter in waiters {
            codes.push(waiter.await.unwrap());
        }
        Ok(codes)
    });
    assert_eq!(codes, [(5, Some(5)); 3]);
}

/// A `Process` dropped while its child runs: the loop still reaps the child when it
/// exits (its stdin closing ends it here).
#[test]
fn a_dropped_process_is_still_reaped() {
    let pid = run(async {
        let p = create_subprocess_exec("cat", NO_ARGS)
            .stdin(PIPE)
            .stdout(DEVNULL)
            .await?;
        let pid = p.pid();
        drop(p);
        // Nothing to await: look, between loop iterations, until the loop reaped it.
        for _ in 0..5000 {
            if !exists_unreaped(pid) {
                return Ok(pid);
            }
            asyncio::sleep(Duration::from_millis(1)).await;
        }
        panic!("child {pid} not reaped after 5 s");
    });
    assert!(!exists_unreaped(pid));
}

/// Whether `pid` is a child of ours not yet reaped (running or a zombie); looks without
/// reaping (`WNOWAIT`).
fn exists_unreaped(pid: u32) -> bool {
    // SAFETY: all-zero is a valid siginfo_t; waitid writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is valid and writable.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if r < 0 {
        assert_eq!(
            io::Error::last_os_error().raw_os_error(),
            Some(libc::ECHILD)
        );
        return false;
    }
    true
}

#[test]
fn stdout_is_a_stream_reader_line_by_line() {
    let lines = run(async {
        let mut p = create_subprocess_shell("printf 'a\\nb\\nc'")
            .stdout(PIPE)
            .await?;
        let stdout = p.stdout.as_mut().unwrap();
        let mut lines = Vec::new();
        loop {
            let line = stdout.readline().await?;
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        p.wait().await;
        Ok(lines)
    });
    assert_eq!(lines, [b"a\n".to_vec(), b"b\n".to_vec(), b"c".to_vec()]);
}
