//! A throwaway PostgreSQL cluster in a temp folder on a spare port, that a test may stop
//! and start at will.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::free_port;

const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

pub struct PgCluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl PgCluster {
    /// Initialises and starts a cluster; None when the PostgreSQL binaries are missing.
    pub fn start_new() -> Option<Self> {
        if !Path::new(BIN_DIR).join("initdb").exists()
            || !Path::new(BIN_DIR).join("pg_ctl").exists()
        {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        hand_to_postgres(dir.path());
        let cluster = Self {
            dir,
            port: free_port(),
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data().to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-instructions",
            ],
        );
        cluster.start();
        Some(cluster)
    }

    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// Starts the server and waits until it accepts connections. fsync stays on, so
    /// what was committed survives an immediate stop.
    pub fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=50",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-l",
                &self.dir.path().join("server.log").to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server the hard way: no checkpoint, sessions cut (crash recovery on
    /// the next start).
    pub fn stop_immediately(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// SIGSTOPs the server and its backends (connections stay open, nothing answers)
    /// until the guard is dropped.
    pub fn freeze(&self) -> Frozen<'_> {
        self.signal_all("-STOP");
        Frozen(self)
    }

    fn thaw(&self) {
        self.signal_all("-CONT");
    }

    /// Signals the postmaster (its pid heads postmaster.pid) and then its children. The
    /// children are listed only after the postmaster has the signal, so that when it is
    /// SIGSTOP no backend forked in between escapes it.
    fn signal_all(&self, signal: &str) {
        let Ok(pid_file) = std::fs::read_to_string(self.data().join("postmaster.pid")) else {
            return;
        };
        let Some(postmaster) = pid_file.lines().next().map(str::trim) else {
            return;
        };
        let _ = Command::new("kill").args([signal, postmaster]).status();
        let children = Command::new("pgrep")
            .args(["-P", postmaster])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for pid in children.split_whitespace() {
            let _ = Command::new("kill").args([signal, pid]).status();
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let mut command = tool_command(tool);
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }
}

/// Thaws the cluster when dropped, also when a test fails while it is frozen.
pub struct Frozen<'a>(&'a PgCluster);

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        self.0.thaw();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.thaw();
        let _ = tool_command("pg_ctl")
            .args([
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
    }
}

/// A PostgreSQL tool, run as the `postgres` user when we are root (initdb refuses root).
fn tool_command(tool: &str) -> Command {
    let program = Path::new(BIN_DIR).join(tool);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    id(&["-u"]) == 0
}

fn id(args: &[&str]) -> u32 {
    let output = Command::new("id").args(args).output().expect("run id");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("a numeric id")
}

/// The cluster's folder must belong to the user that runs the server.
fn hand_to_postgres(dir: &Path) {
    if is_root() {
        let uid = id(&["-u", "postgres"]);
        let gid = id(&["-g", "postgres"]);
        std::os::unix::fs::chown(dir, Some(uid), Some(gid)).expect("chown the cluster folder");
    }
}
