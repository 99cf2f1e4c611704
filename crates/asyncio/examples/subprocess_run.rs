//! Subprocesses (`tests/python/subprocess_run.py`, after asyncio's documentation example):
//! shell commands with their output and return code, three at once with `gather` (the slow
//! one holds none of the others up; the reports keep the order given), and a child's
//! stdout read line by line. Python's `{cmd!r}` is written out as `'{cmd}'`.

use std::io;

use asyncio::subprocess::PIPE;

async fn run(cmd: &'static str) -> io::Result<String> {
    let mut proc = asyncio::create_subprocess_shell(cmd)
        .stdout(PIPE)
        .stderr(PIPE)
        .await?;
    let (stdout, stderr) = proc.communicate(None).await?;
    let mut report = format!("['{cmd}' exited with {}]", proc.returncode().unwrap());
    if let Some(stdout) = stdout.filter(|out| !out.is_empty()) {
        report += &format!("\n[stdout]\n{}", String::from_utf8_lossy(&stdout));
    }
    if let Some(stderr) = stderr.filter(|err| !err.is_empty()) {
        report += &format!("\n[stderr]\n{}", String::from_utf8_lossy(&stderr));
    }
    Ok(report)
}

async fn main_() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", run("echo hello").await?);
    println!("{}", run("echo oops >&2; exit 1").await?);
    let reports = asyncio::gather([
        run("sleep 0.1; echo slow"),
        run("echo fast"),
        run("kill -9 $$"),
    ])
    .await?;
    for report in reports {
        println!("{}", report?);
    }
    let mut proc = asyncio::create_subprocess_exec("seq", ["3"])
        .stdout(PIPE)
        .await?;
    let stdout = proc.stdout.as_mut().expect("piped");
    loop {
        let line = stdout.readline().await?;
        if line.is_empty() {
            break;
        }
        println!("line: {}", String::from_utf8_lossy(&line).trim_end());
    }
    println!("seq exited with {}", proc.wait().await);
    Ok(())
}

fn main() {
    asyncio::run(main_()).unwrap().unwrap();
}
