//! A `redis-server` of one's own, for tests and benchmarks: started on a Unix socket in a fresh
//! temporary folder (no port to collide with), stopped and its folder removed when dropped.
//! Nothing here is used by a store; a fleet runs on a Redis its operators run.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::{RedisStore, Store};

/// A `redis-server` child process.
pub struct RedisServer {
    child: Option<Child>,
    dir: PathBuf,
    durable: bool,
    /// The URL to open a [`RedisStore`] on (`redis+unix://...`).
    pub url: String,
}

static STARTED: AtomicUsize = AtomicUsize::new(0);

impl RedisServer {
    /// Starts one, `durable` with its append-only file synced at every write (so a kill loses
    /// nothing it acknowledged, and [`RedisServer::restart`] reads it back). `Ok(None)` when
    /// this machine has no `redis-server`.
    pub fn start(durable: bool) -> Result<Option<RedisServer>, String> {
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let name = format!("shopkeeper-redis-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let url = format!("redis+unix://{}", dir.join("redis.sock").display());
        let mut server = RedisServer {
            child: None,
            dir,
            durable,
            url,
        };
        match server.spawn() {
            Ok(()) => Ok(Some(server)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot start redis-server: {e}")),
        }?
        .map(|mut server| server.ready().map(|()| server))
        .transpose()
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let (appendonly, fsync) = if self.durable {
            ("yes", "always")
        } else {
            ("no", "no")
        };
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(self.dir.join("redis.sock"))
            .args(["--unixsocketperm", "700", "--save", ""])
            .args(["--appendonly", appendonly, "--appendfsync", fsync, "--dir"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits (at most 10 s) until it answers.
    fn ready(&mut self) -> Result<(), String> {
        let store = RedisStore::with_connections(&self.url, 1).map_err(|e| e.to_string())?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("redis-server stopped at once: {status}"));
            }
            if store.alias("ping").is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer within 10 s".into())
    }

    /// Kills it (SIGKILL: what it acknowledged is only what its file holds).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same socket and folder (with the same file, when durable).
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        self.spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        self.ready()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
