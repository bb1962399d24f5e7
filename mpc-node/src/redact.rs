//! RPC URLs are never logged in full: providers put API keys in their paths and queries.
//! The node logs its endpoints through [`medshare_client::rpc::redact_url`], and because
//! errors from the HTTP and websocket clients embed the URL they failed on (`error sending
//! request for url (https://…?api-key=…)`), every log line and the final error message also
//! pass through [`scrub_urls`], which redacts any URL in a text.

use medshare_client::rpc::redact_url;
use std::io::{self, Write};

const SCHEMES: [&str; 4] = ["https://", "http://", "wss://", "ws://"];

/// `text` with every `http(s)://` or `ws(s)://` URL redacted to its scheme, host and port.
pub fn scrub_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, _)) = SCHEMES.iter().filter_map(|scheme| rest.find(scheme).map(|at| (at, scheme))).min_by_key(|(at, _)| *at) {
        out.push_str(&rest[..start]);
        let url_len = rest[start..].find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ',' | '`')).unwrap_or(rest.len() - start);
        out.push_str(&redact_url(&rest[start..start + url_len]));
        rest = &rest[start + url_len..];
    }
    out.push_str(rest);
    out
}

/// A log writer that [`scrub_urls`] each write (the `tracing` formatter writes one event per
/// call) before passing it on.
pub struct Scrubbing<W>(pub W);

impl<W: Write> Write for Scrubbing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(scrub_urls(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_error_messages_lose_their_paths_and_queries() {
        let text = "RPC error: error sending request for url (https://mainnet.helius-rpc.com/?api-key=SECRET1): connection reset; \
                    fallback wss://rpc.example.com:8443/SECRET2/ws said \"https://x.example/SECRET3\"";
        let scrubbed = scrub_urls(text);
        for secret in ["SECRET1", "SECRET2", "SECRET3"] {
            assert!(!scrubbed.contains(secret), "{secret} leaked: {scrubbed}");
        }
        assert_eq!(
            scrubbed,
            "RPC error: error sending request for url (https://mainnet.helius-rpc.com/…): connection reset; \
             fallback wss://rpc.example.com:8443/… said \"https://x.example/…\""
        );
    }

    #[test]
    fn text_without_urls_is_unchanged() {
        for text in ["", "no urls here", "http:/ not a url", "port 8899 and host 127.0.0.1"] {
            assert_eq!(scrub_urls(text), text);
        }
    }

    #[test]
    fn the_writer_scrubs_each_line() {
        let mut written = Vec::new();
        let mut writer = Scrubbing(&mut written);
        let line = b"WARN RPC call failed error=\"https://rpc.example.com/v2/KEY?x=1\"\n";
        assert_eq!(writer.write(line).unwrap(), line.len(), "reports the caller's bytes as written");
        let text = String::from_utf8(written).unwrap();
        assert!(!text.contains("KEY") && text.contains("rpc.example.com") && text.ends_with("\"\n"), "{text}");
    }
}
