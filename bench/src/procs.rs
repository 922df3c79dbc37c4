//! What a process costs (Linux `/proc`): CPU time and the resident-set high-water mark,
//! and the server child the sync cases talk to over pipes.

use serde_json::Value;
use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    time::Duration,
};

/// User plus system CPU time of process `pid` ("self" for this one).
pub fn cpu(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// CPU time of the calling thread: nanoseconds on the CPU from
/// `/proc/thread-self/schedstat`, or the tick-grained `stat` where that is missing.
pub fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_else(|| cpu("thread-self"))
}

/// The peak resident set (VmHWM) of process `pid`, in KiB.
pub fn peak_rss_kb(pid: &str) -> u64 {
    status_kb(pid, "VmHWM:")
}

fn status_kb(pid: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Total size of the files in a folder (not recursive), in bytes.
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The reference server in a child process of this binary (`gridwork-bench serve`),
/// driven by one JSON line per command on its stdin.
pub struct ServerChild {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The child's pid.
    pub pid: String,
    /// The counting proxy in front of the server (what devices use).
    pub url: String,
}

impl ServerChild {
    /// Starts a server on a fresh SQLite database in `dir`.
    pub fn start(dir: &Path) -> ServerChild {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .arg("serve")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server child");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("server ready");
        let ready: Value = serde_json::from_str(&line).expect("ready line");
        ServerChild {
            pid: child.id().to_string(),
            child,
            stdin,
            stdout,
            url: ready["proxy"].as_str().expect("proxy").into(),
        }
    }

    /// Sends one command and reads its answer.
    pub fn ask(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("command");
        self.stdin.flush().expect("command");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("answer");
        serde_json::from_str(&line).expect("answer line")
    }

    /// Bytes through the proxy (up, down) so far.
    pub fn wire(&mut self) -> (u64, u64) {
        let s = self.ask(serde_json::json!({"cmd": "wire"}));
        (
            s["up"].as_u64().unwrap_or(0),
            s["down"].as_u64().unwrap_or(0),
        )
    }

    /// The server process's CPU time so far.
    pub fn cpu(&self) -> Duration {
        cpu(&self.pid)
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", serde_json::json!({"cmd": "quit"}));
        let _ = self.child.wait();
    }
}
