//! A real S3-compatible server for the tests: `s3s-fs` (the s3s project's file-system-backed
//! S3 server, from crates.io, installed by `cargo xtask setup` into the tools dir), started on
//! a free port of 127.0.0.1 as the localnet tests start the validator, and stopped on drop —
//! printing its log when the test failed.
//!
//! `s3s-fs` keeps bucket `b`'s object `k` as the file `<root>/b/k`, so a test can look at,
//! tamper with or delete what the clients stored. It authenticates one access key per
//! process; servers started on the same root serve the same objects, so two of them with two
//! key pairs stand for one store and two users' credentials (and one without a key for a
//! public endpoint).

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The region the tests' clients sign for (`s3s-fs` accepts any).
pub const REGION: &str = "us-east-1";

/// An access key pair.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: String,
}

impl Credentials {
    /// A key pair named after its user.
    pub fn for_user(user: &str) -> Credentials {
        Credentials { access_key: format!("{user}-access-key"), secret_key: format!("{user}-secret-key-{}", std::process::id()) }
    }
}

/// A running `s3s-fs`.
pub struct S3Server {
    child: Child,
    root: PathBuf,
    port: u16,
    credentials: Option<Credentials>,
    log: PathBuf,
}

/// Where `s3s-fs` is: `$MEDSHARE_S3S_FS`, else `<tools>/bin/s3s-fs` (tools: `$MEDSHARE_CACHE/tools`,
/// default `~/.cache/medshare/tools`, where `cargo xtask setup` installs it).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("MEDSHARE_S3S_FS") {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("MEDSHARE_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
        home.join(".cache").join("medshare")
    });
    let path = cache.join("tools").join("bin").join("s3s-fs");
    assert!(path.is_file(), "{} is missing: run `cargo xtask setup` (it installs s3s-fs)", path.display());
    path
}

/// How long the server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);

impl S3Server {
    /// Starts a server over `root` (created if missing) that accepts only `credentials`, or
    /// anyone when `None`.
    pub fn start(root: &Path, credentials: Option<Credentials>) -> S3Server {
        std::fs::create_dir_all(root).expect("create the S3 root");
        // the kernel's free port, released just before the server binds it: another
        // process may take it in between, so a server that exits at once is retried
        for attempt in 1..=3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
            let log = std::env::temp_dir().join(format!("medshare-s3s-fs-{}-{port}.log", std::process::id()));
            let log_file = std::fs::File::create(&log).expect("create the S3 server log");
            let mut command = Command::new(binary());
            command.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
            if let Some(credentials) = &credentials {
                command.args(["--access-key", &credentials.access_key, "--secret-key", &credentials.secret_key]);
            }
            let child = command
                .arg(root)
                .env("RUST_LOG", "s3s_fs=debug,s3s=info")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("log"))
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", binary().display()));
            let mut server = S3Server { child, root: root.to_path_buf(), port, credentials: credentials.clone(), log };
            if server.wait_listening() {
                eprintln!("s3: s3s-fs serving {} at {}", root.display(), server.endpoint());
                return server;
            }
            eprintln!("s3: attempt {attempt}: s3s-fs did not come up on port {port}:\n{}", server.log_text());
        }
        panic!("s3s-fs did not start (see the logs above)");
    }

    /// Whether it listens before [`START_TIMEOUT`] (false once it exited).
    fn wait_listening(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates bucket `name` (a directory of the root, as `s3s-fs` keeps buckets).
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir_all(self.root.join(name)).expect("create the bucket directory");
    }

    /// The file holding object `key` of `bucket`.
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        key.split('/').fold(self.root.join(bucket), |path, part| path.join(part))
    }

    /// Every file under the root (objects, upload parts, metadata), relative, sorted.
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &self.root, &mut out);
        out.sort();
        out
    }

    /// The environment a client of this server runs with: the standard AWS variables (its
    /// key pair, if any, the endpoint, plain HTTP allowed, the region).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL".to_owned(), self.endpoint()),
            ("AWS_ALLOW_HTTP".to_owned(), "true".to_owned()),
            ("AWS_REGION".to_owned(), REGION.to_owned()),
        ];
        if let Some(credentials) = &self.credentials {
            env.push(("AWS_ACCESS_KEY_ID".to_owned(), credentials.access_key.clone()));
            env.push(("AWS_SECRET_ACCESS_KEY".to_owned(), credentials.secret_key.clone()));
        }
        env
    }

    /// [`S3Server::env`] as `object_store` options (lowercase names), for in-process clients.
    pub fn options(&self) -> Vec<(String, String)> {
        self.env().into_iter().map(|(key, value)| (key.to_ascii_lowercase(), value)).collect()
    }

    /// What it logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let text = self.log_text();
            let tail: Vec<&str> = text.lines().rev().take(200).collect();
            eprintln!("s3: the log of s3s-fs at {} (last {} lines):", self.endpoint(), tail.len());
            for line in tail.into_iter().rev() {
                eprintln!("  {line}");
            }
        }
        let _ = std::fs::remove_file(&self.log);
    }
}
