//! Running the binary as operators do.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A port that was free a moment ago (the hub binds it by number).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs the binary to completion with only the given environment, in an empty folder
/// (no `.env`), with `stdin` as its input (none: closed at once).
pub fn run_binary(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_llcp-hub"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run llcp-hub");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait for llcp-hub")
}

/// What the binary wrote to stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
