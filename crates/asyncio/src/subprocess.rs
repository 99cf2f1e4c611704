//! asyncio's `create_subprocess_exec` / `create_subprocess_shell`: a builder over
//! `std::process::Command` (std spawns: it handles descriptors and reports a failed exec as
//! an error), whose keyword arguments are asyncio's (`stdin`, `stdout`, `stderr` as
//! [`PIPE`], [`DEVNULL`], [`STDOUT`], inherited or a file; `cwd`; the environment; `limit`).
//! Awaiting it gives a [`Process`].

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::future::{IntoFuture, Ready, ready};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::process::Command;

use asyncio_loop::{ChildWatch, PipeReader, PipeWriter, pipe};
use asyncio_streams::{DEFAULT_LIMIT, StreamReader};

pub use crate::process::{PipeSink, Process, ProcessReader, ProcessWriter};

/// Where one of a child's standard streams goes (asyncio's `stdin=`/`stdout=`/`stderr=`).
#[derive(Debug)]
pub enum Stdio {
    /// The parent's own stream (asyncio's `None`, the default).
    Inherit,
    /// A new pipe; the [`Process`] gets its end as a stream (asyncio's `PIPE`).
    Pipe,
    /// `/dev/null` (asyncio's `DEVNULL`).
    DevNull,
    /// For `stderr` only: wherever `stdout` goes (asyncio's `STDOUT`).
    Stdout,
    /// An open file or descriptor, duplicated into the child (asyncio's file object or
    /// fd number). `From<File>` and `From<OwnedFd>` make one.
    Fd(OwnedFd),
}

/// asyncio's `subprocess.PIPE`.
pub const PIPE: Stdio = Stdio::Pipe;
/// asyncio's `subprocess.DEVNULL`.
pub const DEVNULL: Stdio = Stdio::DevNull;
/// asyncio's `subprocess.STDOUT` (for `stderr`).
pub const STDOUT: Stdio = Stdio::Stdout;

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio::Fd(file.into())
    }
}

impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Stdio {
        Stdio::Fd(fd)
    }
}

/// A subprocess to start: asyncio's `create_subprocess_exec(program, *args, **kwds)` as a
/// builder. `.await` it (or call [`spawn`](Self::spawn)) inside the loop for the
/// [`Process`].
///
/// ```
/// use asyncio::subprocess::PIPE;
///
/// let out = asyncio::run(async {
///     let mut process = asyncio::create_subprocess_exec("cat", [] as [&str; 0])
///         .stdin(PIPE)
///         .stdout(PIPE)
///         .await?;
///     let (stdout, _) = process.communicate(Some(b"echo")).await?;
///     Ok::<_, std::io::Error>((stdout.unwrap(), process.returncode()))
/// });
/// assert_eq!(out.unwrap().unwrap(), (b"echo".to_vec(), Some(0)));
/// ```
#[must_use = "a subprocess starts when the builder is awaited or spawned"]
pub struct CreateSubprocess {
    command: Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
    limit: usize,
}

/// asyncio's `create_subprocess_exec(program, *args)`: runs `program` (searched in `PATH`
/// as `execvp` does) with `args`; set the streams and other options on the builder, then
/// await it.
///
/// A program that cannot be started fails the await with the OS's error: `NotFound`
/// (asyncio's `FileNotFoundError`) for a program that does not exist, `PermissionDenied`
/// for one that is not executable.
pub fn create_subprocess_exec<I, S>(program: impl AsRef<OsStr>, args: I) -> CreateSubprocess
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command.args(args);
    CreateSubprocess::new(command)
}

/// asyncio's `create_subprocess_shell(cmd)`: runs `cmd` with `/bin/sh -c`, as asyncio does
/// on Unix. The shell's own exit status is the return code (127 for a command not found).
///
/// ```
/// use asyncio::subprocess::PIPE;
///
/// let out = asyncio::run(async {
///     let mut process = asyncio::create_subprocess_shell("echo $((6 * 7)); exit 2")
///         .stdout(PIPE)
///         .await?;
///     let line = process.stdout.as_mut().unwrap().readline().await?;
///     Ok::<_, std::io::Error>((line, process.wait().await))
/// });
/// assert_eq!(out.unwrap().unwrap(), (b"42\n".to_vec(), 2));
/// ```
pub fn create_subprocess_shell(cmd: impl AsRef<OsStr>) -> CreateSubprocess {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(cmd);
    CreateSubprocess::new(command)
}

impl CreateSubprocess {
    /// A subprocess of `command` (its program, arguments, directory and environment as
    /// set there; its streams are the builder's, inherited unless set).
    pub fn new(command: Command) -> CreateSubprocess {
        CreateSubprocess {
            command,
            stdin: Stdio::Inherit,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
            limit: DEFAULT_LIMIT,
        }
    }

    /// The child's standard input (asyncio's `stdin=`).
    pub fn stdin(mut self, stdio: Stdio) -> Self {
        self.stdin = stdio;
        self
    }

    /// The child's standard output (asyncio's `stdout=`).
    pub fn stdout(mut self, stdio: Stdio) -> Self {
        self.stdout = stdio;
        self
    }

    /// The child's standard error (asyncio's `stderr=`; [`STDOUT`] joins it to stdout).
    pub fn stderr(mut self, stdio: Stdio) -> Self {
        self.stderr = stdio;
        self
    }

    /// The child's working directory (asyncio's `cwd=`).
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Sets one environment variable for the child (on top of the inherited ones).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Removes one variable from the child's environment.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Starts the child's environment empty: with [`env`](Self::env) after it, asyncio's
    /// `env={...}` (a whole new environment).
    pub fn env_clear(mut self) -> Self {
        self.command.env_clear();
        self
    }

    /// The buffer limit of the stdout/stderr [`StreamReader`]s (asyncio's `limit=`,
    /// 64 KiB by default).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The `std::process::Command` underneath, for options asyncio passes through to
    /// `subprocess.Popen` (`process_group`, `uid`, `pre_exec`... through std's
    /// `CommandExt`).
    pub fn command_mut(&mut self) -> &mut Command {
        &mut self.command
    }

    /// Starts the child now, on the running loop (what awaiting the builder does).
    ///
    /// Errors: the OS's error when the program cannot be started (`NotFound`,
    /// `PermissionDenied`...); `InvalidInput` for `stdout(STDOUT)` or `stdin(STDOUT)`, or
    /// a `limit` of 0; `NotConnected` without a running loop. No descriptor is left open
    /// on error, and a started child is never left unreaped.
    pub fn spawn(mut self) -> io::Result<Process> {
        if let Err(error) = asyncio_loop::get_running_loop() {
            return Err(io::Error::new(io::ErrorKind::NotConnected, error));
        }
        let limit = self.limit;
        if limit == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Limit cannot be <= 0",
            ));
        }
        let stdin_pipe = matches!(self.stdin, Stdio::Pipe);
        let stdout_pipe = matches!(self.stdout, Stdio::Pipe);
        let stderr_pipe = matches!(self.stderr, Stdio::Pipe);
        // stderr=STDOUT: the child's stderr is a second descriptor of its stdout's target.
        // A stdout pipe is made here, so that both ends can be handed to the child.
        let mut shared_stdout = None;
        let stderr = match self.stderr {
            Stdio::Stdout => Some(match &self.stdout {
                Stdio::Inherit => {
                    std::process::Stdio::from(io::stdout().as_fd().try_clone_to_owned()?)
                }
                Stdio::Pipe => {
                    let (read, write) = pipe()?;
                    let second = write.try_clone()?;
                    shared_stdout = Some((read, write));
                    std::process::Stdio::from(second)
                }
                Stdio::DevNull => std::process::Stdio::null(),
                Stdio::Fd(fd) => std::process::Stdio::from(fd.try_clone()?),
                Stdio::Stdout => return Err(not_for("stdout")),
            }),
            other => {
                self.stderr = other;
                None
            }
        };
        let stdout_read = match shared_stdout {
            Some((read, write)) => {
                self.command.stdout(write);
                Some(read)
            }
            None => {
                self.command.stdout(std_stdio(self.stdout, "stdout")?);
                None
            }
        };
        self.command.stdin(std_stdio(self.stdin, "stdin")?);
        match stderr {
            Some(stderr) => self.command.stderr(stderr),
            None => self.command.stderr(std_stdio(self.stderr, "stderr")?),
        };
        let mut child = self.command.spawn()?;
        // Our copies of the child's ends close with the command.
        drop(self.command);
        let stdin = child.stdin.take().map(OwnedFd::from);
        let stdout = child.stdout.take().map(OwnedFd::from).or(stdout_read);
        let stderr = child.stderr.take().map(OwnedFd::from);
        let watch = ChildWatch::new(child)?;
        // From here the child is watched: an error below drops the watch, and the loop
        // still reaps the child.
        let stdin = match stdin {
            Some(fd) if stdin_pipe => Some(ProcessWriter::with_write_eof(PipeSink::new(
                PipeWriter::new(fd)?,
            ))),
            _ => None,
        };
        let reader = |fd: Option<OwnedFd>, piped: bool| -> io::Result<Option<ProcessReader>> {
            match fd {
                Some(fd) if piped => Ok(Some(
                    StreamReader::with_limit(PipeReader::new(fd)?, limit)
                        .map_err(io::Error::from)?,
                )),
                _ => Ok(None),
            }
        };
        let stdout = reader(stdout, stdout_pipe)?;
        let stderr = reader(stderr, stderr_pipe)?;
        Ok(Process::new(watch, stdin, stdout, stderr))
    }
}

/// The error for `STDOUT` given where it means nothing.
fn not_for(stream: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "STDOUT is only valid for stderr, not for {stream} (or for stderr when stdout is STDOUT)"
        ),
    )
}

fn std_stdio(stdio: Stdio, stream: &str) -> io::Result<std::process::Stdio> {
    Ok(match stdio {
        Stdio::Inherit => std::process::Stdio::inherit(),
        Stdio::Pipe => std::process::Stdio::piped(),
        Stdio::DevNull => std::process::Stdio::null(),
        Stdio::Fd(fd) => std::process::Stdio::from(fd),
        Stdio::Stdout => return Err(not_for(stream)),
    })
}

impl IntoFuture for CreateSubprocess {
    type Output = io::Result<Process>;
    type IntoFuture = Ready<io::Result<Process>>;

    /// Spawns at once ([`spawn`](CreateSubprocess::spawn)): starting a child does not
    /// wait for anything, so the future is ready.
    ///
    /// Cancel safety: the child has started once `.await` began; dropping the ready
    /// future drops the [`Process`] (its pipes close; the loop still reaps the child).
    fn into_future(self) -> Self::IntoFuture {
        ready(self.spawn())
    }
}

impl fmt::Debug for CreateSubprocess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateSubprocess")
            .field("command", &self.command)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("limit", &self.limit)
            .finish()
    }
}
