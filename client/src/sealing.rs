//! Sealing and opening records of any size with bounded memory: the std I/O around
//! [`encrypted_circuits::stream`] (the record format of `docs/protocol.md` §7.1: a 7-byte
//! nonce prefix, then 64 KiB chunks of AES-256-GCM, the last one flagged).
//!
//! - [`seal`] reads a plaintext from any [`Read`] and writes the sealed record to any
//!   [`Write`], hashing the sealed bytes on the way: the SHA-256 the program stores as the
//!   record's digest comes out with the length.
//! - [`open`] reads a sealed record from any [`Read`] and writes the plaintext to any
//!   [`Write`], hashing the sealed bytes as they arrive and comparing with the on-chain digest
//!   at the end.
//! - [`open_to_file`] is [`open`] into a file that appears only when everything checked
//!   ([`write_file_atomically`]).
//!
//! Both hold about two chunks (≈ 130 KiB) whatever the record's size, and report progress
//! through a callback with the bytes consumed so far (plaintext bytes for [`seal`], sealed
//! bytes for [`open`]), so a caller can draw a bar against the file size or the on-chain
//! `ciphertext_len` ([`stream::ciphertext_len`] gives the latter up front).
//!
//! **Output written before the end.** Every chunk [`open`] writes has authenticated under the
//! record key and binding, and its position in the stream is authenticated too, but two
//! verdicts exist only at the end: that the stream is complete (its last chunk arrived, nothing
//! after it) and that the sealed bytes are the ones whose digest is on chain. When [`open`]
//! fails, what it already wrote is a prefix of *a* plaintext sealed under this record's key,
//! possibly cut short or not the version on chain: the caller must discard it. Writing to a
//! temporary file and renaming it into place only on success does exactly that;
//! [`open_to_file`] does it for files.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use encrypted_circuits::record::{self, RecordBinding, RecordKeyPoint};
//! use medshare_client::sealing;
//! # let binding = RecordBinding { program_id: [1; 32], owner: [2; 32], record_id: 1, version: 1, address: [3; 32] };
//! let mut rng = rand::thread_rng();
//! let m = RecordKeyPoint::random(&mut rng);
//! // seal a file: the digest and length go on chain (with `record::encapsulate`'s capsules)
//! let sealed = sealing::seal(
//!     record::sealer(&binding, &m, &mut rng),
//!     std::fs::File::open("scan.dcm")?,
//!     std::fs::File::create("scan.dcm.sealed")?,
//!     |done| eprint!("\r{done} bytes sealed"),
//! )?;
//! // open it again, checking the on-chain digest; the file appears only if all checks pass
//! sealing::open_to_file(&binding, &m, std::fs::File::open("scan.dcm.sealed")?, "scan.opened.dcm".as_ref(), Some(&sealed.digest), |_| {})?;
//! # Ok(())
//! # }
//! ```

use encrypted_circuits::{
    record::{self, RecordBinding, RecordKeyPoint},
    stream::{self, CHUNK_LEN, HEADER_LEN, SEALED_CHUNK_LEN, StreamOpener, StreamSealer},
};
use sha2::{Digest, Sha256};
use std::{
    fs::{self, File, OpenOptions},
    io::{self, ErrorKind, Read, Write},
    path::{Path, PathBuf},
};

/// Why sealing or opening a record stream failed.
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    /// Reading the input failed.
    #[error("reading the {what} failed: {source}")]
    Read {
        /// What was being read ("plaintext" or "sealed record").
        what: &'static str,
        /// The I/O error.
        source: io::Error,
    },
    /// Writing the output failed.
    #[error("writing the {what} failed: {source}")]
    Write {
        /// What was being written ("sealed record" or "plaintext").
        what: &'static str,
        /// The I/O error.
        source: io::Error,
    },
    /// The sealed record does not open: truncated, a tampered or misplaced chunk, trailing
    /// bytes, or a wrong key or binding (the named [`encrypted_circuits::Error`]).
    #[error("the sealed record does not open: {0}")]
    Crypto(#[from] encrypted_circuits::Error),
    /// Every chunk opened but the sealed bytes are not the ones whose SHA-256 is on chain
    /// (another sealing under the same key, e.g. a blob swapped by someone holding it).
    #[error("the sealed record's SHA-256 is {actual}, not the on-chain digest {expected}")]
    DigestMismatch {
        /// The on-chain digest, hex.
        expected: String,
        /// The digest of the bytes read, hex.
        actual: String,
    },
    /// Creating, syncing, renaming or removing the temporary file of [`write_file_atomically`].
    #[error("{action} {path}: {source}")]
    File {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// What [`seal`] or [`open`] processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSummary {
    /// Plaintext bytes (read by [`seal`], written by [`open`]).
    pub plaintext_len: u64,
    /// Sealed bytes (written by [`seal`], read by [`open`]): the record's `ciphertext_len`.
    pub sealed_len: u64,
    /// SHA-256 of the sealed bytes: the record's on-chain digest.
    pub digest: [u8; 32],
    /// Chunks sealed or opened.
    pub chunks: u64,
}

/// Reads until `buffer[*filled..]` is full or the input ends; true when it ended.
fn fill(input: &mut impl Read, buffer: &mut [u8], filled: &mut usize, what: &'static str) -> Result<bool, SealingError> {
    while *filled < buffer.len() {
        match input.read(&mut buffer[*filled..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(source) => return Err(SealingError::Read { what, source }),
        }
    }
    Ok(false)
}

fn write_all(output: &mut impl Write, bytes: &[u8], what: &'static str) -> Result<(), SealingError> {
    output.write_all(bytes).map_err(|source| SealingError::Write { what, source })
}

/// Seals everything `input` yields with `sealer` (from [`record::sealer`]) into `output`,
/// hashing the sealed bytes: the summary's `digest` and `sealed_len` are what the program
/// stores. `progress` gets the plaintext bytes sealed so far after every chunk. The input's
/// length need not be known: one byte of look-ahead tells the last chunk. `output` is flushed.
pub fn seal(mut sealer: StreamSealer, mut input: impl Read, mut output: impl Write, mut progress: impl FnMut(u64)) -> Result<StreamSummary, SealingError> {
    const WHAT_IN: &str = "plaintext";
    const WHAT_OUT: &str = "sealed record";
    let mut hasher = Sha256::new();
    let header = sealer.header();
    write_all(&mut output, &header, WHAT_OUT)?;
    hasher.update(header);
    // A full chunk is sealed as "not the last" only once a byte after it has been read: the
    // buffer holds a chunk, that byte, and room for the tag. Chunks are sealed where they
    // were read (no copy); the look-ahead byte is set aside while the tag takes its place.
    let mut buffer = vec![0u8; SEALED_CHUNK_LEN];
    let mut filled = 0;
    let mut summary = StreamSummary { plaintext_len: 0, sealed_len: HEADER_LEN as u64, digest: [0; 32], chunks: 0 };
    let mut emit = |sealed: &[u8], plaintext_len: usize, summary: &mut StreamSummary| -> Result<(), SealingError> {
        write_all(&mut output, sealed, WHAT_OUT)?;
        hasher.update(sealed);
        summary.plaintext_len += plaintext_len as u64;
        summary.sealed_len += sealed.len() as u64;
        summary.chunks += 1;
        progress(summary.plaintext_len);
        Ok(())
    };
    while !fill(&mut input, &mut buffer[..CHUNK_LEN + 1], &mut filled, WHAT_IN)? {
        let look_ahead = buffer[CHUNK_LEN];
        let tag = sealer.seal_chunk_in_place(&mut buffer[..CHUNK_LEN])?;
        buffer[CHUNK_LEN..].copy_from_slice(&tag);
        emit(&buffer, CHUNK_LEN, &mut summary)?;
        buffer[0] = look_ahead;
        filled = 1;
    }
    // the input ended: what is left (possibly a full chunk, or nothing) is the last chunk
    let tag = sealer.seal_last_in_place(&mut buffer[..filled])?;
    buffer[filled..filled + stream::TAG_LEN].copy_from_slice(&tag);
    emit(&buffer[..filled + stream::TAG_LEN], filled, &mut summary)?;
    output.flush().map_err(|source| SealingError::Write { what: WHAT_OUT, source })?;
    summary.digest = hasher.finalize().into();
    Ok(summary)
}

/// Opens the sealed record `input` yields under `m` at `binding` into `output`, hashing the
/// sealed bytes and, when `expected_digest` is given (a blob's on-chain digest), comparing at
/// the end ([`SealingError::DigestMismatch`]). `progress` gets the sealed bytes consumed
/// so far after every chunk. On any error, discard what was written (module docs;
/// [`open_to_file`] does it for files). `output` is flushed.
pub fn open(
    binding: &RecordBinding,
    m: &RecordKeyPoint,
    mut input: impl Read,
    mut output: impl Write,
    expected_digest: Option<&[u8; 32]>,
    mut progress: impl FnMut(u64),
) -> Result<StreamSummary, SealingError> {
    const WHAT_IN: &str = "sealed record";
    const WHAT_OUT: &str = "plaintext";
    let mut hasher = Sha256::new();
    let mut header = [0u8; HEADER_LEN];
    let mut filled = 0;
    fill(&mut input, &mut header, &mut filled, WHAT_IN)?;
    // a short header is StreamTruncated, named by the opener
    let mut opener: StreamOpener = record::opener(binding, m, &header[..filled])?;
    hasher.update(header);
    let mut buffer = vec![0u8; SEALED_CHUNK_LEN + 1];
    let mut filled = 0;
    let mut plaintext = Vec::with_capacity(CHUNK_LEN);
    let mut summary = StreamSummary { plaintext_len: 0, sealed_len: HEADER_LEN as u64, digest: [0; 32], chunks: 0 };
    let mut emit = |plaintext: &[u8], sealed_len: usize, summary: &mut StreamSummary| -> Result<(), SealingError> {
        write_all(&mut output, plaintext, WHAT_OUT)?;
        summary.plaintext_len += plaintext.len() as u64;
        summary.sealed_len += sealed_len as u64;
        summary.chunks += 1;
        progress(summary.sealed_len);
        Ok(())
    };
    // a full chunk with a byte after it is not the last; the chunk the input ends on is
    while !fill(&mut input, &mut buffer, &mut filled, WHAT_IN)? {
        hasher.update(&buffer[..SEALED_CHUNK_LEN]);
        plaintext.clear();
        opener.open_chunk(&buffer[..SEALED_CHUNK_LEN], &mut plaintext)?;
        emit(&plaintext, SEALED_CHUNK_LEN, &mut summary)?;
        buffer.copy_within(SEALED_CHUNK_LEN..filled, 0);
        filled -= SEALED_CHUNK_LEN;
    }
    hasher.update(&buffer[..filled]);
    plaintext.clear();
    opener.open_last(&buffer[..filled], &mut plaintext)?;
    emit(&plaintext, filled, &mut summary)?;
    output.flush().map_err(|source| SealingError::Write { what: WHAT_OUT, source })?;
    summary.digest = hasher.finalize().into();
    if let Some(expected) = expected_digest
        && *expected != summary.digest
    {
        return Err(SealingError::DigestMismatch { expected: hex::encode(expected), actual: hex::encode(summary.digest) });
    }
    Ok(summary)
}

/// [`open`] into the file `dest`, which appears (atomically replacing any file there) only
/// when every chunk opened, the stream was complete and the digest matched; on any failure
/// nothing is left behind ([`write_file_atomically`]).
pub fn open_to_file(
    binding: &RecordBinding,
    m: &RecordKeyPoint,
    input: impl Read,
    dest: &Path,
    expected_digest: Option<&[u8; 32]>,
    progress: impl FnMut(u64),
) -> Result<StreamSummary, SealingError> {
    write_file_atomically(dest, |file| open(binding, m, input, io::BufWriter::with_capacity(CHUNK_LEN, file), expected_digest, progress))
}

/// Runs `write` on a new temporary file next to `dest` (same directory, so the rename is
/// atomic), then syncs it and renames it to `dest` if `write` succeeded, or removes it if
/// `write` failed. A reader of `dest` never sees a partial or unverified file. The file is
/// created readable by its owner only (0600 on Unix): it holds a record's plaintext.
pub fn write_file_atomically<T>(dest: &Path, write: impl FnOnce(&mut File) -> Result<T, SealingError>) -> Result<T, SealingError> {
    let temporary = temporary_path(dest);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(file_error("creating", &temporary))?;
    let written = write(&mut file).and_then(|value| {
        file.sync_all().map_err(file_error("syncing", &temporary))?;
        Ok(value)
    });
    drop(file);
    match written {
        Ok(value) => {
            fs::rename(&temporary, dest).map_err(file_error("renaming into place", &temporary))?;
            Ok(value)
        }
        Err(error) => {
            // the first error is the one to report; a leftover temporary file is named by it
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// `.<name>.partial-<pid>-<random>` in `dest`'s directory: hidden, and unique per attempt.
/// The [`SealingError::File`] of `action` on `path`, for `map_err`.
fn file_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SealingError + 'a {
    move |source| SealingError::File { action, path: path.to_path_buf(), source }
}

fn temporary_path(dest: &Path) -> PathBuf {
    let name = dest.file_name().map_or_else(|| "record".into(), |name| name.to_string_lossy().into_owned());
    let unique: u64 = rand::random();
    dest.with_file_name(format!(".{name}.partial-{}-{unique:016x}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encrypted_circuits::Error;
    use rand::{SeedableRng, rngs::StdRng};

    /// A fresh directory under the system's temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!("medshare-sealing-{name}-{}-{:016x}", std::process::id(), rand::random::<u64>()));
            fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn binding(version: u32) -> RecordBinding {
        RecordBinding { program_id: [1; 32], owner: [2; 32], record_id: 9, version, address: [3; 32] }
    }

    fn plaintext(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i.wrapping_mul(31) % 253) as u8).collect()
    }

    /// Seals `len` bytes from a file into a file; returns the key point, the paths and the summary.
    fn sealed_file(dir: &TempDir, len: usize, seed: u64) -> (RecordKeyPoint, PathBuf, StreamSummary) {
        let mut rng = StdRng::seed_from_u64(seed);
        let m = RecordKeyPoint::random(&mut rng);
        let source = dir.0.join(format!("plain-{len}"));
        fs::write(&source, plaintext(len)).unwrap();
        let sealed_path = dir.0.join(format!("sealed-{len}"));
        let mut reported = Vec::new();
        let summary =
            seal(record::sealer(&binding(1), &m, &mut rng), File::open(&source).unwrap(), File::create(&sealed_path).unwrap(), |done| reported.push(done))
                .unwrap();
        // progress after every chunk, ending at the whole plaintext
        assert_eq!(reported.len() as u64, summary.chunks);
        assert!(reported.windows(2).all(|w| w[0] < w[1] || (w[0] == w[1] && len == 0)));
        assert_eq!(reported.last().copied(), Some(len as u64));
        (m, sealed_path, summary)
    }

    #[test]
    fn files_of_every_chunk_shape_round_trip_and_the_summary_is_what_goes_on_chain() {
        let dir = TempDir::new("round-trip");
        for len in [0, 1, 2000, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN, 3 * CHUNK_LEN + 777] {
            let (m, sealed_path, summary) = sealed_file(&dir, len, len as u64);
            let sealed = fs::read(&sealed_path).unwrap();
            assert_eq!(summary.sealed_len, sealed.len() as u64, "len {len}");
            assert_eq!(summary.sealed_len, stream::ciphertext_len(len as u64).unwrap(), "len {len}");
            assert_eq!(summary.plaintext_len, len as u64);
            assert_eq!(summary.chunks, stream::chunk_count(len as u64));
            assert_eq!(summary.digest, <[u8; 32]>::from(Sha256::digest(&sealed)), "the digest is of the sealed bytes");
            // the in-memory opener agrees with the streaming sealer
            assert_eq!(record::open(&binding(1), &m, &sealed).unwrap(), plaintext(len));

            let opened_path = dir.0.join(format!("opened-{len}"));
            let mut reported = Vec::new();
            let opened =
                open_to_file(&binding(1), &m, File::open(&sealed_path).unwrap(), &opened_path, Some(&summary.digest), |done| reported.push(done)).unwrap();
            assert_eq!(fs::read(&opened_path).unwrap(), plaintext(len), "len {len}");
            assert_eq!(opened, summary, "open reports the same lengths, chunks and digest");
            assert_eq!(reported.last().copied(), Some(summary.sealed_len));
        }
    }

    #[test]
    fn the_input_may_arrive_in_any_pieces() {
        /// A reader that hands out at most 1000 bytes a call, with an interruption between.
        struct Trickle<'a>(&'a [u8], bool);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.1 = !self.1;
                if self.1 {
                    return Err(io::Error::from(ErrorKind::Interrupted));
                }
                let n = buf.len().min(self.0.len()).min(1000);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut rng = StdRng::seed_from_u64(3);
        let m = RecordKeyPoint::random(&mut rng);
        let data = plaintext(2 * CHUNK_LEN + 5);
        let mut sealed = Vec::new();
        let summary = seal(record::sealer(&binding(1), &m, &mut rng), Trickle(&data, false), &mut sealed, |_| {}).unwrap();
        assert_eq!(summary.chunks, 3);
        let mut opened = Vec::new();
        open(&binding(1), &m, Trickle(&sealed, false), &mut opened, Some(&summary.digest), |_| {}).unwrap();
        assert_eq!(opened, data);
    }

    #[test]
    fn a_failed_open_leaves_no_file_and_names_the_failure() {
        let dir = TempDir::new("failures");
        let (m, sealed_path, summary) = sealed_file(&dir, 2 * CHUNK_LEN + 10, 5);
        let sealed = fs::read(&sealed_path).unwrap();
        let dest = dir.0.join("opened");
        let attempt = |bytes: &[u8], digest: Option<&[u8; 32]>| open_to_file(&binding(1), &m, bytes, &dest, digest, |_| {});

        let mut tampered = sealed.clone();
        tampered[HEADER_LEN + SEALED_CHUNK_LEN + 3] ^= 1;
        assert!(matches!(attempt(&tampered, Some(&summary.digest)), Err(SealingError::Crypto(Error::StreamChunkInvalid { chunk: 1 }))));
        assert!(matches!(attempt(&sealed[..HEADER_LEN + 2 * SEALED_CHUNK_LEN], None), Err(SealingError::Crypto(Error::StreamTruncated))));
        assert!(matches!(attempt(&sealed[..4], None), Err(SealingError::Crypto(Error::StreamTruncated))));
        let mut appended = sealed.clone();
        appended.extend_from_slice(&sealed[HEADER_LEN..HEADER_LEN + SEALED_CHUNK_LEN]);
        assert!(matches!(attempt(&appended, None), Err(SealingError::Crypto(Error::StreamChunkInvalid { chunk: 2 }))));
        assert!(
            matches!(open_to_file(&binding(2), &m, &sealed[..], &dest, None, |_| {}), Err(SealingError::Crypto(Error::DecryptionFailed))),
            "another version's binding"
        );
        // every chunk opens, but the digest on chain is another's
        let mut other_digest = summary.digest;
        other_digest[0] ^= 1;
        let error = attempt(&sealed, Some(&other_digest)).unwrap_err();
        assert!(
            matches!(&error, SealingError::DigestMismatch { expected, actual } if *expected == hex::encode(other_digest) && *actual == hex::encode(summary.digest))
        );
        assert!(error.to_string().contains("not the on-chain digest"), "{error}");

        let left: Vec<_> = fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(!dest.exists() && !left.iter().any(|name| name.contains("partial")), "nothing left behind: {left:?}");
        // and the good stream still lands
        attempt(&sealed, Some(&summary.digest)).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), plaintext(2 * CHUNK_LEN + 10));
    }

    #[test]
    fn a_failing_reader_or_writer_is_named() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk gone"))
            }
        }
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut rng = StdRng::seed_from_u64(4);
        let m = RecordKeyPoint::random(&mut rng);
        let error = seal(record::sealer(&binding(1), &m, &mut rng), Broken, Vec::new(), |_| {}).unwrap_err();
        assert!(matches!(&error, SealingError::Read { what: "plaintext", .. }), "{error}");
        let error = seal(record::sealer(&binding(1), &m, &mut rng), &b"x"[..], Broken, |_| {}).unwrap_err();
        assert!(matches!(&error, SealingError::Write { what: "sealed record", .. }), "{error}");
        let error = open(&binding(1), &m, Broken, Vec::new(), None, |_| {}).unwrap_err();
        assert!(matches!(&error, SealingError::Read { what: "sealed record", .. }), "{error}");
    }

    #[test]
    fn an_existing_file_is_replaced_only_by_a_verified_one() {
        let dir = TempDir::new("replace");
        let (m, sealed_path, summary) = sealed_file(&dir, 100, 6);
        let dest = dir.0.join("record.json");
        fs::write(&dest, b"the previous version").unwrap();
        let sealed = fs::read(&sealed_path).unwrap();
        let mut wrong = summary.digest;
        wrong[31] ^= 1;
        assert!(open_to_file(&binding(1), &m, &sealed[..], &dest, Some(&wrong), |_| {}).is_err());
        assert_eq!(fs::read(&dest).unwrap(), b"the previous version");
        open_to_file(&binding(1), &m, &sealed[..], &dest, Some(&summary.digest), |_| {}).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), plaintext(100));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600, "a plaintext file is its owner's only");
        }
    }
}
