//! The web app's server for the playground (`cargo xtask localnet`) and the browser tests: the
//! static files `cargo xtask web` built (`target/web`), the deployment's `GET /config.json`,
//! and a content-addressed blob store for records too large to keep inline on chain.
//!
//! | request | answer |
//! |---|---|
//! | `GET /config.json` | the [`AppConfig`] it was started with, `blobUploadUrl` pointing at itself |
//! | `PUT /blobs/<64 hex>` | the body is stored when its SHA-256 is that digest: 201 (200 when already stored); 400 `DigestMismatch`, 413 `TooLarge`, 411 `LengthRequired` otherwise |
//! | `GET /blobs/<64 hex>` | the stored bytes, or 404 |
//! | `GET /<path>` | a file of the site directory (`/` is `index.html`) with its content type; a path that leaves the directory is refused (400 `PathRefused`) |
//!
//! A record stored through it carries the URI `http://localhost:PORT/blobs/<hex>` with its
//! digest and length; the CLI (`client/src/blob.rs`) and the web app read it back and check
//! both. Every error answers with a status and a `Name: message` body; a malformed request
//! ends its own connection and nothing else. HTTP/1.1 with one request per connection
//! (`Connection: close`): this serves one browser on the loopback, not the Internet, and needs
//! no dependency beyond tokio.

use serde_json::json;
use sha2::{Digest, Sha256};
use std::{
    io,
    net::{Ipv4Addr, Ipv6Addr},
    path::{Component, Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// The largest blob accepted by default: 64 MiB (sealed records are a little larger than the
/// FHIR they hold; the CLI's FHIR limit is 16 MiB).
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 64 * 1024 * 1024;
/// The most a request line and its headers may take.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client may take to send its request line and headers.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a client may take to send a body (64 MiB over the loopback takes well under this).
const BODY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long unread request bytes are read and dropped after the answer, before closing.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

/// What the web app reads from `config.json` (web/app/src/main.tsx); `blobUploadUrl` is the
/// server's own `/blobs/`.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The validator's JSON-RPC URL, as the browser reaches it.
    pub rpc_url: String,
    /// The program id (base58).
    pub program_id: String,
    /// The cluster account (base58).
    pub cluster: String,
    /// The key domain the app derives user keys for; `None`: `localhost:PORT`, what a browser
    /// at the server's URL uses by default.
    pub key_domain: Option<String>,
    /// The Wallet Standard chain, e.g. `solana:localnet`.
    pub chain: String,
}

/// How to start a [`WebServer`].
#[derive(Clone, Debug)]
pub struct WebOptions {
    /// The built site (`target/web`): `index.html`, `assets/`.
    pub site_dir: PathBuf,
    /// Where blobs are kept (made if missing), one file per digest.
    pub blob_dir: PathBuf,
    /// The port on 127.0.0.1 (and ::1 when the host has it); 0 picks a free one.
    pub port: u16,
    /// The configuration served as `config.json`.
    pub config: AppConfig,
    /// The largest blob accepted.
    pub max_blob_bytes: u64,
}

/// A running server; dropping it stops it.
pub struct WebServer {
    port: u16,
    config_json: String,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the connection handlers share.
struct Shared {
    site_dir: PathBuf,
    blob_dir: PathBuf,
    max_blob_bytes: u64,
    config_json: String,
}

impl WebServer {
    /// Binds the port on 127.0.0.1 (and the same port on ::1, where the host has IPv6, since a
    /// browser may resolve `localhost` to either), then serves on a thread of its own.
    pub fn start(options: WebOptions) -> io::Result<WebServer> {
        std::fs::create_dir_all(&options.blob_dir)?;
        let site_dir = options.site_dir.canonicalize().map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", options.site_dir.display())))?;
        let blob_dir = options.blob_dir.canonicalize()?;
        let v4 = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))?;
        let port = v4.local_addr()?.port();
        // best effort: a host without IPv6 still serves on 127.0.0.1
        let v6 = std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, port)).ok();
        for listener in std::iter::once(&v4).chain(v6.as_ref()) {
            listener.set_nonblocking(true)?;
        }
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let config_json = config_json(&options.config, port);
        let shared = Arc::new(Shared { site_dir, blob_dir, max_blob_bytes: options.max_blob_bytes, config_json: config_json.clone() });
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new().name("web-server".into()).spawn(move || {
            runtime.block_on(async move {
                let mut listeners = Vec::new();
                for listener in std::iter::once(v4).chain(v6) {
                    listeners.push(tokio::spawn(accept_loop(TcpListener::from_std(listener).expect("tokio listener"), Arc::clone(&shared), stopped.clone())));
                }
                let mut stopped = stopped;
                let _ = stopped.wait_for(|stop| *stop).await;
                for listener in listeners {
                    listener.abort();
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
        Ok(WebServer { port, config_json, stop, thread: Some(thread) })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where a browser opens the app: `http://localhost:PORT` (the origin whose host is the
    /// default key domain).
    pub fn url(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// The `config.json` it serves.
    pub fn config_json(&self) -> &str {
        &self.config_json
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `config.json` for a server on `port`.
fn config_json(config: &AppConfig, port: u16) -> String {
    let key_domain = config.key_domain.clone().unwrap_or_else(|| format!("localhost:{port}"));
    let value = json!({
        "rpcUrl": config.rpc_url,
        "programId": config.program_id,
        "cluster": config.cluster,
        "keyDomain": key_domain,
        "blobUploadUrl": format!("http://localhost:{port}/blobs/"),
        "chain": config.chain,
    });
    serde_json::to_string_pretty(&value).expect("JSON") + "\n"
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // out of descriptors or the like: wait a little instead of spinning
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stopped.changed() => return,
        }
    }
}

/// An answer: status, content type, body and extra headers.
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response { status, content_type, body, headers: Vec::new() }
    }

    /// An error: `Name: message` as plain text.
    fn error(status: u16, name: &str, message: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", format!("{name}: {message}\n").into_bytes())
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

/// The request line and the headers this server uses.
#[derive(Debug)]
struct Head {
    method: String,
    path: String,
    content_length: Option<u64>,
    chunked: bool,
    expect_continue: bool,
}

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let (response, send_body) = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Err(_) => (Response::error(408, "RequestTimeout", "the request's headers took too long"), true),
        Ok(Err(response)) => (response, true),
        Ok(Ok((head, leftover))) => {
            // HEAD: the headers GET would send, without the bytes
            let send_body = head.method != "HEAD";
            (route(&mut stream, &shared, head, leftover).await, send_body)
        }
    };
    if write_response(&mut stream, response, send_body).await.is_ok() && stream.shutdown().await.is_ok() {
        // A refused request may leave a body unread; closing a socket with unread bytes resets
        // the connection, and the client could lose the answer: read what is left first.
        let mut sink = [0u8; 16 * 1024];
        let drain = async { while matches!(stream.read(&mut sink).await, Ok(read) if read > 0) {} };
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, drain).await;
    }
}

/// Reads up to the end of the headers; returns them and the body bytes read with them.
async fn read_head(stream: &mut TcpStream) -> Result<(Head, Vec<u8>), Response> {
    let mut buffer = Vec::with_capacity(1024);
    let end = loop {
        let mut chunk = [0u8; 2048];
        let read = stream.read(&mut chunk).await.map_err(|e| Response::error(400, "BadRequest", &e.to_string()))?;
        if read == 0 {
            return Err(Response::error(400, "BadRequest", "the connection closed before the end of the headers"));
        }
        buffer.extend_from_slice(&chunk[..read]);
        let end = buffer.windows(4).position(|window| window == b"\r\n\r\n");
        if end.unwrap_or(buffer.len()) > MAX_HEAD_BYTES {
            return Err(Response::error(431, "HeadersTooLarge", &format!("the request line and headers exceed {MAX_HEAD_BYTES} bytes")));
        }
        if let Some(end) = end {
            break end;
        }
    };
    let leftover = buffer.split_off(end + 4);
    let text = std::str::from_utf8(&buffer[..end]).map_err(|_| Response::error(400, "BadRequest", "the headers are not UTF-8"))?;
    parse_head(text).map(|head| (head, leftover))
}

/// Parses `METHOD TARGET HTTP/1.x` and the headers.
fn parse_head(text: &str) -> Result<Head, Response> {
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Response::error(400, "BadRequest", "the request line is not `METHOD TARGET HTTP/1.1`"));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Response::error(400, "BadRequest", "the request line is not `METHOD TARGET HTTP/1.1`"));
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(Response::error(400, "BadRequest", "the request target must be an absolute path"));
    }
    let mut head = Head { method: method.to_owned(), path: path.to_owned(), content_length: None, chunked: false, expect_continue: false };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(Response::error(400, "BadRequest", &format!("a header line without a colon: {line:?}")));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let length = value.parse().map_err(|_| Response::error(400, "BadRequest", &format!("Content-Length {value:?} is not a number")))?;
                if head.content_length.is_some_and(|seen| seen != length) {
                    return Err(Response::error(400, "BadRequest", "two different Content-Length headers"));
                }
                head.content_length = Some(length);
            }
            "transfer-encoding" => head.chunked = value.to_ascii_lowercase().contains("chunked"),
            "expect" => head.expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    Ok(head)
}

async fn route(stream: &mut TcpStream, shared: &Shared, head: Head, leftover: Vec<u8>) -> Response {
    let path = match decode_path(&head.path) {
        Ok(path) => path,
        Err(response) => return response,
    };
    if let Some(digest) = path.strip_prefix("/blobs/") {
        let cors = |response: Response| {
            // the app may be opened as 127.0.0.1 while config.json says localhost: both may upload
            response.header("Access-Control-Allow-Origin", "*")
        };
        return cors(match head.method.as_str() {
            "PUT" => put_blob(stream, shared, &head, digest, leftover).await,
            "GET" | "HEAD" => get_blob(shared, digest).await,
            "OPTIONS" => Response::new(204, "text/plain", Vec::new())
                .header("Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS")
                .header("Access-Control-Allow-Headers", "content-type")
                .header("Access-Control-Max-Age", "600"),
            other => method_not_allowed(other, "GET, HEAD, PUT, OPTIONS"),
        });
    }
    if head.method != "GET" && head.method != "HEAD" {
        return method_not_allowed(&head.method, "GET, HEAD");
    }
    if path == "/config.json" {
        return Response::new(200, "application/json", shared.config_json.clone().into_bytes()).header("Cache-Control", "no-store");
    }
    static_file(shared, &path).await
}

fn method_not_allowed(method: &str, allowed: &str) -> Response {
    Response::error(405, "MethodNotAllowed", &format!("{method} is not served here (allowed: {allowed})")).header("Allow", allowed)
}

/// The request path with `%XX` escapes decoded; refused when it is not UTF-8 or holds a NUL
/// or a backslash (the separators checked later are `/` only).
fn decode_path(raw: &str) -> Result<String, Response> {
    let refused = |why: &str| Response::error(400, "PathRefused", &format!("{raw}: {why}"));
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3).and_then(|pair| std::str::from_utf8(pair).ok()).and_then(|pair| u8::from_str_radix(pair, 16).ok());
            decoded.push(hex.ok_or_else(|| refused("a malformed %-escape"))?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    let path = String::from_utf8(decoded).map_err(|_| refused("not UTF-8"))?;
    if path.contains('\0') || path.contains('\\') {
        return Err(refused("a NUL or backslash"));
    }
    Ok(path)
}

/// The file of the site directory a URL path names: only normal components, and the result
/// (symbolic links resolved) still inside the site directory.
async fn static_file(shared: &Shared, path: &str) -> Response {
    let relative = if path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
    let mut file = shared.site_dir.clone();
    for component in Path::new(relative.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return Response::error(400, "PathRefused", &format!("{path}: only plain names may follow the site root")),
        }
    }
    let Ok(resolved) = tokio::fs::canonicalize(&file).await else {
        return Response::error(404, "NotFound", &format!("{path} is not part of the web app"));
    };
    if !resolved.starts_with(&shared.site_dir) {
        return Response::error(400, "PathRefused", &format!("{path} leaves the web app's directory"));
    }
    if !tokio::fs::metadata(&resolved).await.is_ok_and(|meta| meta.is_file()) {
        return Response::error(404, "NotFound", &format!("{path} is not a file of the web app"));
    }
    match tokio::fs::read(&resolved).await {
        Ok(bytes) => {
            // hashed names under assets/ never change content; the rest is checked every time
            let cache = if path.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            Response::new(200, content_type(&resolved), bytes).header("Cache-Control", cache)
        }
        Err(error) => Response::error(500, "ReadFailed", &format!("{path}: {error}")),
    }
}

/// The content type by file extension (`application/wasm` matters: browsers compile a module
/// while it downloads only with that type).
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A blob name: 64 hex digits (SHA-256), lower-cased.
fn parse_digest(text: &str) -> Result<String, Response> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(Response::error(400, "NotADigest", &format!("/blobs/{text}: a blob is named by its SHA-256 as 64 hex digits")))
    }
}

async fn put_blob(stream: &mut TcpStream, shared: &Shared, head: &Head, digest: &str, mut body: Vec<u8>) -> Response {
    let digest = match parse_digest(digest) {
        Ok(digest) => digest,
        Err(response) => return response,
    };
    if head.chunked {
        return Response::error(411, "LengthRequired", "send the blob with a Content-Length, not chunked");
    }
    let Some(length) = head.content_length else {
        return Response::error(411, "LengthRequired", "a blob upload needs a Content-Length");
    };
    if length > shared.max_blob_bytes {
        return Response::error(413, "TooLarge", &format!("{length} bytes is more than this store's limit of {} bytes", shared.max_blob_bytes));
    }
    if head.expect_continue && body.is_empty() && stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.is_err() {
        return Response::error(400, "BadRequest", "the connection closed");
    }
    let length = length as usize;
    if body.len() > length {
        return Response::error(400, "BadRequest", "more bytes than the Content-Length");
    }
    let start = body.len();
    body.resize(length, 0);
    match tokio::time::timeout(BODY_TIMEOUT, stream.read_exact(&mut body[start..])).await {
        Err(_) => return Response::error(408, "RequestTimeout", "the blob took too long to arrive"),
        Ok(Err(error)) => return Response::error(400, "BadRequest", &format!("the body ended early: {error}")),
        Ok(Ok(_)) => {}
    }
    let actual = hex::encode(Sha256::digest(&body));
    if actual != digest {
        return Response::error(400, "DigestMismatch", &format!("the body's SHA-256 is {actual}, not {digest}"));
    }
    let path = shared.blob_dir.join(&digest);
    let answer = |status| {
        let value = json!({ "sha256": digest, "length": length, "path": format!("/blobs/{digest}") });
        Response::new(status, "application/json", (value.to_string() + "\n").into_bytes())
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|meta| meta.is_file()) {
        return answer(200);
    }
    // written aside then renamed: a reader never sees half a blob
    let partial = shared.blob_dir.join(format!(".{digest}.{}.partial", std::process::id()));
    let stored = async {
        tokio::fs::write(&partial, &body).await?;
        tokio::fs::rename(&partial, &path).await
    };
    match stored.await {
        Ok(()) => answer(201),
        Err(error) => {
            let _ = tokio::fs::remove_file(&partial).await;
            Response::error(500, "StoreFailed", &error.to_string())
        }
    }
}

async fn get_blob(shared: &Shared, digest: &str) -> Response {
    let digest = match parse_digest(digest) {
        Ok(digest) => digest,
        Err(response) => return response,
    };
    match tokio::fs::read(shared.blob_dir.join(&digest)).await {
        Ok(bytes) => Response::new(200, "application/octet-stream", bytes).header("Cache-Control", "public, max-age=31536000, immutable"),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Response::error(404, "NotFound", &format!("no blob {digest}")),
        Err(error) => Response::error(500, "ReadFailed", &error.to_string()),
    }
}

async fn write_response(stream: &mut TcpStream, response: Response, send_body: bool) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n",
        response.status,
        reason(response.status),
        response.content_type
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
    stream.write_all(head.as_bytes()).await?;
    if send_body {
        stream.write_all(&response.body).await?;
    }
    stream.flush().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        io::{Read, Write},
        net::SocketAddr,
    };

    /// The address a server on `port` answers on over IPv4.
    fn loopback(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    /// A site and blob directory under the temp dir, removed on drop.
    struct Fixture {
        root: PathBuf,
        server: WebServer,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn config() -> AppConfig {
        AppConfig {
            rpc_url: "http://127.0.0.1:8899".into(),
            program_id: "Prog1111111111111111111111111111111111111111".into(),
            cluster: "Clus1111111111111111111111111111111111111111".into(),
            key_domain: None,
            chain: "solana:localnet".into(),
        }
    }

    fn fixture(name: &str, max_blob_bytes: u64) -> Fixture {
        let root = std::env::temp_dir().join(format!("medshare-web-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let site = root.join("site");
        std::fs::create_dir_all(site.join("assets")).unwrap();
        std::fs::write(site.join("index.html"), "<!doctype html><title>MedShare</title>").unwrap();
        std::fs::write(site.join("assets").join("main-ABC.js"), "console.log(1)").unwrap();
        std::fs::write(site.join("assets").join("medshare_wasm_bg-123.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(site.join("assets").join("style-DEF.css"), "body{}").unwrap();
        // what a traversal would reach: next to the site, not in it
        std::fs::write(root.join("secret.txt"), "SECRET").unwrap();
        let server = WebServer::start(WebOptions { site_dir: site, blob_dir: root.join("blobs"), port: 0, config: config(), max_blob_bytes }).unwrap();
        Fixture { root, server }
    }

    /// Status, headers (lower-cased names) and body of one raw request.
    fn request(port: u16, raw: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut stream = std::net::TcpStream::connect(loopback(port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(raw).unwrap();
        // as a client that has said everything does (the server then stops reading at once)
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let end = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
        let head = String::from_utf8(answer[..end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())).collect();
        (status, headers, answer[end + 4..].to_vec())
    }

    fn get(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        request(port, format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
    }

    fn put(port: u16, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut raw = format!("PUT {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        raw.extend_from_slice(body);
        let (status, _, body) = request(port, &raw);
        (status, body)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
        headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
    }

    #[test]
    fn config_json_carries_the_started_values_and_points_uploads_at_itself() {
        let f = fixture("config", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let (status, headers, body) = get(port, "/config.json");
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "application/json");
        assert_eq!(header(&headers, "cache-control"), "no-store");
        let config: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(config["rpcUrl"], "http://127.0.0.1:8899");
        assert_eq!(config["programId"], "Prog1111111111111111111111111111111111111111");
        assert_eq!(config["cluster"], "Clus1111111111111111111111111111111111111111");
        assert_eq!(config["keyDomain"], format!("localhost:{port}"), "the key domain a browser at the server's URL derives for");
        assert_eq!(config["blobUploadUrl"], format!("http://localhost:{port}/blobs/"));
        assert_eq!(config["chain"], "solana:localnet");
        assert_eq!(f.server.url(), format!("http://localhost:{port}"));
    }

    #[test]
    fn a_blob_is_stored_under_its_digest_and_read_back() {
        let f = fixture("blob", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let body = b"sealed record bytes".repeat(1000);
        let digest = hex::encode(Sha256::digest(&body));
        let (status, answer) = put(port, &format!("/blobs/{digest}"), &body);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["sha256"], digest.as_str());
        assert_eq!(answer["length"], body.len());
        // the same bytes again: already there
        assert_eq!(put(port, &format!("/blobs/{digest}"), &body).0, 200);
        // upper-case hex names the same blob
        let (status, headers, read) = get(port, &format!("/blobs/{}", digest.to_ascii_uppercase()));
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "application/octet-stream");
        assert_eq!(header(&headers, "access-control-allow-origin"), "*");
        assert_eq!(read, body);
        assert_eq!(std::fs::read(f.root.join("blobs").join(&digest)).unwrap(), body);
    }

    #[test]
    fn a_blob_whose_bytes_do_not_hash_to_its_name_is_refused_and_not_stored() {
        let f = fixture("digest", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let claimed = hex::encode(Sha256::digest(b"what the record should be"));
        let (status, answer) = put(port, &format!("/blobs/{claimed}"), b"something else");
        assert_eq!(status, 400);
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with("DigestMismatch: "), "{answer}");
        assert!(answer.contains(&hex::encode(Sha256::digest(b"something else"))), "{answer}");
        assert_eq!(get(port, &format!("/blobs/{claimed}")).0, 404);
        // a name that is not a digest at all
        let (status, answer) = put(port, "/blobs/not-a-digest", b"x");
        assert_eq!(status, 400);
        assert!(String::from_utf8(answer).unwrap().starts_with("NotADigest: "));
    }

    #[test]
    fn a_blob_over_the_limit_or_without_a_length_is_refused() {
        let f = fixture("large", 1024);
        let port = f.server.port();
        let body = vec![7u8; 1025];
        let digest = hex::encode(Sha256::digest(&body));
        let (status, answer) = put(port, &format!("/blobs/{digest}"), &body);
        assert_eq!(status, 413);
        assert!(String::from_utf8(answer).unwrap().starts_with("TooLarge: 1025 bytes"));
        assert_eq!(get(port, &format!("/blobs/{digest}")).0, 404);
        // exactly at the limit is fine
        let body = vec![7u8; 1024];
        assert_eq!(put(port, &format!("/blobs/{}", hex::encode(Sha256::digest(&body))), &body).0, 201);
        let chunked = format!("PUT /blobs/{digest} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        let (status, _, answer) = request(port, chunked.as_bytes());
        assert_eq!(status, 411);
        assert!(String::from_utf8(answer).unwrap().starts_with("LengthRequired: "));
    }

    #[test]
    fn paths_that_leave_the_site_are_refused() {
        let f = fixture("traversal", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        // a symbolic link inside the site that points out of it
        std::os::unix::fs::symlink(f.root.join("secret.txt"), f.root.join("site").join("link.txt")).unwrap();
        for path in ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/assets/%2E%2E/%2E%2E/secret.txt", "/..%2fsecret.txt", "/link.txt"] {
            let (status, _, body) = get(port, path);
            assert_eq!(status, 400, "{path}");
            let body = String::from_utf8(body).unwrap();
            assert!(body.starts_with("PathRefused: "), "{path}: {body}");
            assert!(!body.contains("SECRET"), "{path}");
        }
        for path in ["/%5c..%5csecret.txt", "/a%00b", "/%zz"] {
            assert_eq!(get(port, path).0, 400, "{path}");
        }
        assert_eq!(get(port, "/missing.js").0, 404);
        assert_eq!(get(port, "/assets").0, 404, "a directory is not a file");
    }

    #[test]
    fn files_are_served_with_their_content_types() {
        let f = fixture("types", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let cases = [
            ("/", "text/html; charset=utf-8", "no-cache"),
            ("/index.html", "text/html; charset=utf-8", "no-cache"),
            ("/assets/main-ABC.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
            ("/assets/style-DEF.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable"),
            ("/assets/medshare_wasm_bg-123.wasm", "application/wasm", "public, max-age=31536000, immutable"),
        ];
        for (path, content_type, cache) in cases {
            let (status, headers, body) = get(port, path);
            assert_eq!(status, 200, "{path}");
            assert_eq!(header(&headers, "content-type"), content_type, "{path}");
            assert_eq!(header(&headers, "cache-control"), cache, "{path}");
            assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
            assert_eq!(header(&headers, "content-length"), body.len().to_string());
        }
        assert_eq!(get(port, "/assets/medshare_wasm_bg-123.wasm").2, b"\0asm\x01\0\0\0");
        // HEAD: the headers of GET, no body
        let (status, headers, body) = request(port, b"HEAD /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert_eq!((status, body.len()), (200, 0));
        assert_eq!(header(&headers, "content-length"), "38");
    }

    #[test]
    fn bad_requests_get_named_errors_and_the_server_keeps_serving() {
        let f = fixture("bad", DEFAULT_MAX_BLOB_BYTES);
        let port = f.server.port();
        let (status, _, body) = request(port, b"NONSENSE\r\n\r\n");
        assert_eq!(status, 400);
        assert!(String::from_utf8(body).unwrap().starts_with("BadRequest: "));
        let (status, headers, _) = request(port, b"DELETE /index.html HTTP/1.1\r\n\r\n");
        assert_eq!(status, 405);
        assert_eq!(header(&headers, "allow"), "GET, HEAD");
        let (status, _, _) = request(port, format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD_BYTES)).as_bytes());
        assert_eq!(status, 431);
        // a client that connects and leaves without a word
        drop(std::net::TcpStream::connect(loopback(port)).unwrap());
        let (status, headers, _) = request(port, b"OPTIONS /blobs/00 HTTP/1.1\r\n\r\n");
        assert_eq!(status, 204);
        assert!(header(&headers, "access-control-allow-methods").contains("PUT"));
        assert_eq!(get(port, "/index.html").0, 200, "still serving");
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type(Path::new("a/b.WASM")), "application/wasm");
        assert_eq!(content_type(Path::new("x.js.map")), "application/json");
        assert_eq!(content_type(Path::new("LICENSE")), "application/octet-stream");
    }
}
