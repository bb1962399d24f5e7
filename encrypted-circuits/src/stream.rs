//! Records of any size: the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár
//! ("Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015,
//! the nonce-based OAE2 scheme), over AES-256-GCM, in fixed 64 KiB chunks. It is the one
//! format of a record's payload (`docs/protocol.md` §7.1): an inline record is simply one chunk.
//!
//! ```text
//! sealed   = nonce prefix (7) ‖ chunk_0 ‖ chunk_1 ‖ … ‖ chunk_{n−1}
//! chunk_i  = AES-256-GCM(K, nonce_i, AAD, plaintext[i·65536 .. min((i+1)·65536, len)]) ‖ tag (16)
//! nonce_i  = nonce prefix (7) ‖ u32be(i) ‖ (0x01 if i = n − 1 else 0x00)
//! n        = max(1, ⌈len / 65536⌉)
//! ```
//!
//! Every chunk but the last holds exactly [`CHUNK_LEN`] plaintext bytes; the last holds
//! 1..=[`CHUNK_LEN`] bytes, or none when the whole payload is empty (then it is the only chunk).
//! So the sealed length is a function of the plaintext length ([`ciphertext_len`]) and back
//! ([`plaintext_len`]). The position of a chunk and whether it is the last are in its nonce,
//! and every chunk carries the same AAD (a record's [`crate::record::RecordBinding::aad`]):
//! reordered, dropped, duplicated or swapped chunks, chunks from another record or version,
//! a stream cut at a chunk boundary and a chunk appended after the last all fail to open.
//! The random prefix is defence in depth: the record key is already fresh for every payload
//! (a new `M` per version), so nonces never repeat under a key even if a prefix did.
//!
//! The API holds one chunk at a time: [`StreamSealer`] and [`StreamOpener`] take a chunk and
//! append its result to a caller's buffer, so a caller streaming from a file needs memory for a
//! chunk, not for the record (`medshare_client::sealing` does the I/O). [`seal`] and [`open`]
//! do a whole payload in memory.
//!
//! The same shape as age's payload encryption (C2SP age spec: ChaCha20-Poly1305, 64 KiB
//! chunks, an 11-byte counter and a last-chunk flag) and Tink's `AesGcmHkdfStreaming` (a
//! 7-byte nonce prefix, a 4-byte big-endian segment number and a last-segment byte).

use crate::error::{Error, Result};
use alloc::vec::Vec;
use rand_core::CryptoRngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

/// Plaintext bytes in every chunk but the last (64 KiB).
pub const CHUNK_LEN: usize = 64 * 1024;
/// The AES-GCM tag that ends every sealed chunk.
pub const TAG_LEN: usize = 16;
/// A full sealed chunk: [`CHUNK_LEN`] + [`TAG_LEN`].
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// The random nonce prefix that starts a sealed stream (its only header).
pub const NONCE_PREFIX_LEN: usize = 7;
/// Bytes before the first chunk: the nonce prefix.
pub const HEADER_LEN: usize = NONCE_PREFIX_LEN;
/// Chunks in a stream at most: the counter is 32 bits.
pub const MAX_CHUNKS: u64 = 1 << 32;
/// The longest payload: [`MAX_CHUNKS`] full chunks (256 TiB).
pub const MAX_PLAINTEXT_LEN: u64 = MAX_CHUNKS * CHUNK_LEN as u64;

/// The nonce's last byte for every chunk but the last.
const NOT_LAST: u8 = 0x00;
/// The nonce's last byte for the last chunk.
const LAST: u8 = 0x01;

/// The number of chunks a payload of `plaintext_len` bytes is sealed in: at least one.
pub fn chunk_count(plaintext_len: u64) -> u64 {
    plaintext_len.div_ceil(CHUNK_LEN as u64).max(1)
}

/// The sealed length of a payload of `plaintext_len` bytes: `7 + len + 16·n`
/// ([`chunk_count`]); [`Error::StreamTooLong`] beyond [`MAX_PLAINTEXT_LEN`].
pub fn ciphertext_len(plaintext_len: u64) -> Result<u64> {
    if plaintext_len > MAX_PLAINTEXT_LEN {
        return Err(Error::StreamTooLong);
    }
    Ok(HEADER_LEN as u64 + plaintext_len + TAG_LEN as u64 * chunk_count(plaintext_len))
}

/// The plaintext length of a sealed stream of `ciphertext_len` bytes, the inverse of
/// [`ciphertext_len`]: [`Error::StreamTruncated`] below one empty chunk (23 bytes),
/// [`Error::InvalidStreamLength`] for a length no payload seals to (a last chunk shorter
/// than a tag, or empty after full chunks), [`Error::StreamTooLong`] past [`MAX_CHUNKS`].
pub fn plaintext_len(ciphertext_len: u64) -> Result<u64> {
    let body = ciphertext_len.checked_sub(HEADER_LEN as u64).filter(|body| *body >= TAG_LEN as u64).ok_or(Error::StreamTruncated)?;
    let (full, rest) = (body / SEALED_CHUNK_LEN as u64, body % SEALED_CHUNK_LEN as u64);
    let (chunks, plaintext) = match rest {
        0 => (full, full * CHUNK_LEN as u64),
        // a lone empty chunk is the empty payload; after full chunks it is not canonical
        _ if rest == TAG_LEN as u64 && full == 0 => (1, 0),
        _ if rest <= TAG_LEN as u64 => return Err(Error::InvalidStreamLength(ciphertext_len)),
        _ => (full + 1, full * CHUNK_LEN as u64 + rest - TAG_LEN as u64),
    };
    if chunks > MAX_CHUNKS {
        return Err(Error::StreamTooLong);
    }
    Ok(plaintext)
}

/// What sealing and opening a stream share: the cipher, the AAD every chunk is bound to, and
/// the nonce prefix the chunk nonces are made from.
struct ChunkCipher {
    cipher: LessSafeKey,
    aad: Vec<u8>,
    prefix: [u8; NONCE_PREFIX_LEN],
}

impl ChunkCipher {
    fn new(key: &[u8; 32], aad: &[u8], prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
        let cipher = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key fits AES-256"));
        ChunkCipher { cipher, aad: aad.to_vec(), prefix }
    }

    /// `prefix ‖ u32be(chunk) ‖ flag`. `chunk` is below [`MAX_CHUNKS`] (checked by the callers).
    fn nonce(&self, chunk: u64, last: bool) -> Nonce {
        let mut nonce = [0u8; 12];
        nonce[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
        nonce[NONCE_PREFIX_LEN..11].copy_from_slice(&(chunk as u32).to_be_bytes());
        nonce[11] = if last { LAST } else { NOT_LAST };
        Nonce::assume_unique_for_key(nonce)
    }
}

/// Seals one payload chunk by chunk. Make one per payload: [`StreamSealer::new`] draws the
/// nonce prefix, [`StreamSealer::header`] is written first, then every full chunk through
/// [`StreamSealer::seal_chunk`] and the rest through [`StreamSealer::seal_last`] (which
/// consumes the sealer, so nothing can follow the last chunk).
///
/// The key is expanded into `ring`'s AES key schedule at construction; the caller's 32 key
/// bytes are not kept (hold them in `Zeroizing`, as [`crate::record`] does).
pub struct StreamSealer {
    chunks: ChunkCipher,
    next_chunk: u64,
}

impl core::fmt::Debug for StreamSealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamSealer").field("next_chunk", &self.next_chunk).finish_non_exhaustive()
    }
}

impl StreamSealer {
    /// A sealer under `key` for a payload bound to `aad`, with a fresh random nonce prefix.
    pub fn new(rng: &mut impl CryptoRngCore, key: &[u8; 32], aad: &[u8]) -> Self {
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        rng.fill_bytes(&mut prefix);
        Self::with_nonce_prefix(key, aad, prefix)
    }

    /// A sealer with a given nonce prefix (test vectors). A prefix must not repeat under a key.
    pub fn with_nonce_prefix(key: &[u8; 32], aad: &[u8], prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
        StreamSealer { chunks: ChunkCipher::new(key, aad, prefix), next_chunk: 0 }
    }

    /// The bytes that start the sealed stream: the nonce prefix.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        self.chunks.prefix
    }

    /// How many chunks this sealer has sealed so far.
    pub fn chunks_sealed(&self) -> u64 {
        self.next_chunk
    }

    /// Seals a chunk that is not the last: exactly [`CHUNK_LEN`] bytes (else
    /// [`Error::InvalidLength`]), appending [`SEALED_CHUNK_LEN`] bytes to `out`.
    /// [`Error::StreamTooLong`] when it would leave no room for the last chunk.
    pub fn seal_chunk(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(chunk);
        match self.seal_chunk_in_place(&mut out[start..]) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Ok(())
            }
            Err(error) => {
                out.truncate(start);
                Err(error)
            }
        }
    }

    /// Seals the last chunk, 0..=[`CHUNK_LEN`] bytes, appending `chunk.len() + 16` bytes to
    /// `out`. It may be empty only as the only chunk (the empty payload): an empty last chunk
    /// after full ones, or an oversized one, is [`Error::InvalidLength`].
    pub fn seal_last(self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.extend_from_slice(chunk);
        match self.seal_last_in_place(&mut out[start..]) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Ok(())
            }
            Err(error) => {
                out.truncate(start);
                Err(error)
            }
        }
    }

    /// [`StreamSealer::seal_chunk`] in place: encrypts the [`CHUNK_LEN`] bytes of `chunk` where
    /// they are and returns the tag that follows them in the stream (a caller reading from a
    /// file seals in its read buffer, with no copy).
    pub fn seal_chunk_in_place(&mut self, chunk: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        if chunk.len() != CHUNK_LEN {
            return Err(Error::InvalidLength { what: "stream chunk (not the last)", expected: CHUNK_LEN, got: chunk.len() });
        }
        if self.next_chunk + 1 >= MAX_CHUNKS {
            return Err(Error::StreamTooLong);
        }
        let tag = self.seal(chunk, false);
        self.next_chunk += 1;
        Ok(tag)
    }

    /// [`StreamSealer::seal_last`] in place: encrypts `chunk` where it is and returns its tag.
    pub fn seal_last_in_place(mut self, chunk: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        if chunk.len() > CHUNK_LEN {
            return Err(Error::InvalidLength { what: "last stream chunk", expected: CHUNK_LEN, got: chunk.len() });
        }
        if chunk.is_empty() && self.next_chunk > 0 {
            return Err(Error::InvalidLength { what: "last stream chunk after full chunks (at least)", expected: 1, got: 0 });
        }
        let tag = self.seal(chunk, true);
        self.next_chunk += 1;
        Ok(tag)
    }

    fn seal(&self, chunk: &mut [u8], last: bool) -> [u8; TAG_LEN] {
        let ChunkCipher { cipher, aad, .. } = &self.chunks;
        let tag = cipher
            .seal_in_place_separate_tag(self.chunks.nonce(self.next_chunk, last), Aad::from(aad), chunk)
            .expect("a 64 KiB chunk is within AES-GCM's limit");
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

/// Opens a sealed stream chunk by chunk: [`StreamOpener::new`] takes the header, then every
/// chunk but the last goes through [`StreamOpener::open_chunk`] and the last through
/// [`StreamOpener::open_last`]. A chunk's plaintext is appended to the caller's buffer only
/// once its tag verifies; the stream is whole only when `open_last` succeeds.
///
/// Failures are named: chunk 0 failing is [`Error::DecryptionFailed`] (wrong key, wrong
/// binding or a tampered first chunk: they cannot be told apart); once chunk 0 has opened the
/// key and binding are right, so a later chunk failing is [`Error::StreamChunkInvalid`]
/// (tampered, reordered, or from another record); the stream ending on a chunk that is not
/// the last is [`Error::StreamTruncated`]; a last chunk where more must follow is
/// [`Error::StreamTrailingData`].
pub struct StreamOpener {
    chunks: ChunkCipher,
    next_chunk: u64,
}

impl core::fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamOpener").field("next_chunk", &self.next_chunk).finish_non_exhaustive()
    }
}

impl StreamOpener {
    /// An opener under `key` and `aad` for the stream that starts with `header`
    /// ([`HEADER_LEN`] bytes; fewer is [`Error::StreamTruncated`], more [`Error::InvalidLength`]).
    pub fn new(key: &[u8; 32], aad: &[u8], header: &[u8]) -> Result<Self> {
        let prefix: [u8; NONCE_PREFIX_LEN] = match header.len() {
            len if len < HEADER_LEN => return Err(Error::StreamTruncated),
            HEADER_LEN => header.try_into().expect("the length was checked"),
            len => return Err(Error::InvalidLength { what: "sealed stream header", expected: HEADER_LEN, got: len }),
        };
        Ok(StreamOpener { chunks: ChunkCipher::new(key, aad, prefix), next_chunk: 0 })
    }

    /// How many chunks have opened so far.
    pub fn chunks_opened(&self) -> u64 {
        self.next_chunk
    }

    /// Opens a chunk that more bytes follow: exactly [`SEALED_CHUNK_LEN`] bytes (else
    /// [`Error::InvalidLength`]), appending [`CHUNK_LEN`] plaintext bytes to `out`. A chunk
    /// sealed as the last is [`Error::StreamTrailingData`] here (its plaintext is not released).
    pub fn open_chunk(&mut self, sealed_chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if sealed_chunk.len() != SEALED_CHUNK_LEN {
            return Err(Error::InvalidLength { what: "sealed stream chunk (not the last)", expected: SEALED_CHUNK_LEN, got: sealed_chunk.len() });
        }
        if self.next_chunk + 1 >= MAX_CHUNKS {
            return Err(Error::StreamTooLong);
        }
        if self.open(sealed_chunk, false, out) {
            self.next_chunk += 1;
            return Ok(());
        }
        // Only on failure, a second try tells an appended chunk from a tampered one.
        if self.open(sealed_chunk, true, out) {
            out.truncate(out.len() - CHUNK_LEN);
            return Err(Error::StreamTrailingData);
        }
        Err(self.failure())
    }

    /// Opens the last chunk (what remains of the stream, `16..=65552` bytes), appending its
    /// plaintext to `out`. Fewer than 16 bytes, or a full chunk that was sealed as not the
    /// last, is [`Error::StreamTruncated`]; an empty last chunk after full ones (no sealer
    /// makes it) is [`Error::StreamChunkInvalid`].
    pub fn open_last(self, sealed_chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if sealed_chunk.len() < TAG_LEN {
            return Err(Error::StreamTruncated);
        }
        if sealed_chunk.len() > SEALED_CHUNK_LEN {
            return Err(Error::InvalidLength { what: "last sealed stream chunk", expected: SEALED_CHUNK_LEN, got: sealed_chunk.len() });
        }
        if sealed_chunk.len() == TAG_LEN && self.next_chunk > 0 {
            return Err(self.failure());
        }
        if self.open(sealed_chunk, true, out) {
            return Ok(());
        }
        if sealed_chunk.len() == SEALED_CHUNK_LEN && self.next_chunk + 1 < MAX_CHUNKS && self.open(sealed_chunk, false, out) {
            out.truncate(out.len() - CHUNK_LEN);
            return Err(Error::StreamTruncated);
        }
        Err(self.failure())
    }

    /// Decrypts `sealed_chunk` as chunk `next_chunk` onto `out`; on a bad tag leaves `out` as
    /// it was and says false.
    fn open(&self, sealed_chunk: &[u8], last: bool, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        out.extend_from_slice(sealed_chunk);
        let nonce = self.chunks.nonce(self.next_chunk, last);
        match self.chunks.cipher.open_in_place(nonce, Aad::from(&self.chunks.aad), &mut out[start..]) {
            Ok(plaintext) => {
                let len = plaintext.len();
                out.truncate(start + len);
                true
            }
            Err(_) => {
                out.truncate(start);
                false
            }
        }
    }

    fn failure(&self) -> Error {
        match self.next_chunk {
            0 => Error::DecryptionFailed,
            chunk => Error::StreamChunkInvalid { chunk },
        }
    }
}

/// Seals a whole in-memory payload with `sealer`: header and every chunk
/// ([`ciphertext_len`] bytes); [`Error::StreamTooLong`] beyond [`MAX_PLAINTEXT_LEN`].
pub fn seal(mut sealer: StreamSealer, plaintext: &[u8]) -> Result<Vec<u8>> {
    let len = ciphertext_len(plaintext.len() as u64)?;
    let mut out = Vec::with_capacity(usize::try_from(len).map_err(|_| Error::StreamTooLong)?);
    out.extend_from_slice(&sealer.header());
    let mut rest = plaintext;
    while rest.len() > CHUNK_LEN {
        let (chunk, tail) = rest.split_at(CHUNK_LEN);
        sealer.seal_chunk(chunk, &mut out)?;
        rest = tail;
    }
    sealer.seal_last(rest, &mut out)?;
    Ok(out)
}

/// Opens a whole in-memory sealed stream under `key` and `aad` (the errors of [`StreamOpener`]).
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    if sealed.len() < HEADER_LEN {
        return Err(Error::StreamTruncated);
    }
    let (header, mut rest) = sealed.split_at(HEADER_LEN);
    let mut opener = StreamOpener::new(key, aad, header)?;
    // sized from the length; a forged length costs at most the input's size
    let mut out = Vec::with_capacity(rest.len().saturating_sub(TAG_LEN));
    while rest.len() > SEALED_CHUNK_LEN {
        let (chunk, tail) = rest.split_at(SEALED_CHUNK_LEN);
        opener.open_chunk(chunk, &mut out)?;
        rest = tail;
    }
    opener.open_last(rest, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    const KEY: [u8; 32] = [7; 32];
    const AAD: &[u8] = b"program id, owner, record id, version";

    fn payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    fn sealed(len: usize) -> Vec<u8> {
        seal(StreamSealer::with_nonce_prefix(&KEY, AAD, [9; NONCE_PREFIX_LEN]), &payload(len)).unwrap()
    }

    /// Splits a sealed stream into header and chunks as the format frames it.
    fn chunks(sealed: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let (header, body) = sealed.split_at(HEADER_LEN);
        (header.to_vec(), body.chunks(SEALED_CHUNK_LEN).map(<[u8]>::to_vec).collect())
    }

    #[test]
    fn round_trips_at_every_chunk_boundary() {
        for len in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 2 * CHUNK_LEN, 3 * CHUNK_LEN + 5] {
            let sealed = sealed(len);
            assert_eq!(sealed.len() as u64, ciphertext_len(len as u64).unwrap(), "len {len}");
            assert_eq!(plaintext_len(sealed.len() as u64).unwrap(), len as u64, "len {len}");
            assert_eq!(chunks(&sealed).1.len() as u64, chunk_count(len as u64), "len {len}");
            assert_eq!(open(&KEY, AAD, &sealed).unwrap(), payload(len), "len {len}");
        }
    }

    #[test]
    fn lengths_follow_the_formula_and_refuse_impossible_ones() {
        assert_eq!(ciphertext_len(0).unwrap(), 23);
        assert_eq!(ciphertext_len(1).unwrap(), 24);
        assert_eq!(ciphertext_len(CHUNK_LEN as u64).unwrap(), 7 + 65536 + 16);
        assert_eq!(ciphertext_len(CHUNK_LEN as u64 + 1).unwrap(), 7 + 65537 + 32);
        assert_eq!(ciphertext_len(1 << 30).unwrap(), 7 + (1 << 30) + 16 * 16384);
        assert_eq!(ciphertext_len(MAX_PLAINTEXT_LEN + 1), Err(Error::StreamTooLong));
        assert_eq!(plaintext_len(ciphertext_len(MAX_PLAINTEXT_LEN).unwrap()).unwrap(), MAX_PLAINTEXT_LEN);
        assert_eq!(plaintext_len(22), Err(Error::StreamTruncated));
        assert_eq!(plaintext_len(0), Err(Error::StreamTruncated));
        // a full chunk then 1..=16 bytes: a last chunk shorter than a tag, or empty
        for extra in 1..=16u64 {
            let len = 7 + SEALED_CHUNK_LEN as u64 + extra;
            assert_eq!(plaintext_len(len), Err(Error::InvalidStreamLength(len)));
        }
        assert_eq!(plaintext_len(7 + SEALED_CHUNK_LEN as u64 + 17).unwrap(), CHUNK_LEN as u64 + 1);
        for len in 23..200_000u64 {
            if let Ok(plaintext) = plaintext_len(len) {
                assert_eq!(ciphertext_len(plaintext).unwrap(), len);
            }
        }
    }

    #[test]
    fn the_sealer_refuses_misframed_chunks() {
        let mut sealer = StreamSealer::with_nonce_prefix(&KEY, AAD, [1; 7]);
        let mut out = Vec::new();
        assert!(matches!(sealer.seal_chunk(&[0; 10], &mut out), Err(Error::InvalidLength { .. })));
        sealer.seal_chunk(&payload(CHUNK_LEN), &mut out).unwrap();
        assert_eq!(out.len(), SEALED_CHUNK_LEN);
        let sealer_again = StreamSealer::with_nonce_prefix(&KEY, AAD, [1; 7]);
        assert!(matches!(sealer_again.seal_last(&payload(CHUNK_LEN + 1), &mut out), Err(Error::InvalidLength { .. })));
        assert!(matches!(sealer.seal_last(&[], &mut out), Err(Error::InvalidLength { .. })), "empty last chunk after a full one");
    }

    #[test]
    fn a_flipped_bit_anywhere_names_its_chunk() {
        let sealed = sealed(2 * CHUNK_LEN + 100);
        for (position, expected) in [
            (0, Error::DecryptionFailed), // the prefix changes every nonce: chunk 0 is the first to fail
            (HEADER_LEN, Error::DecryptionFailed),
            (HEADER_LEN + SEALED_CHUNK_LEN - 1, Error::DecryptionFailed),
            (HEADER_LEN + SEALED_CHUNK_LEN, Error::StreamChunkInvalid { chunk: 1 }),
            (sealed.len() - 1, Error::StreamChunkInvalid { chunk: 2 }),
        ] {
            let mut tampered = sealed.clone();
            tampered[position] ^= 0x80;
            assert_eq!(open(&KEY, AAD, &tampered), Err(expected), "byte {position}");
        }
        assert_eq!(open(&[8; 32], AAD, &sealed), Err(Error::DecryptionFailed), "wrong key");
        assert_eq!(open(&KEY, b"another record", &sealed), Err(Error::DecryptionFailed), "wrong binding");
    }

    #[test]
    fn reordered_and_swapped_chunks_are_refused() {
        let (header, parts) = chunks(&sealed(3 * CHUNK_LEN));
        let mut swapped = header.clone();
        for index in [1, 0, 2] {
            swapped.extend_from_slice(&parts[index]);
        }
        assert_eq!(open(&KEY, AAD, &swapped), Err(Error::DecryptionFailed));
        let mut duplicated = header.clone();
        for index in [0, 0, 2] {
            duplicated.extend_from_slice(&parts[index]);
        }
        assert_eq!(open(&KEY, AAD, &duplicated), Err(Error::StreamChunkInvalid { chunk: 1 }));
        // chunk 1 of another stream under the same key and AAD (another prefix)
        let other = seal(StreamSealer::with_nonce_prefix(&KEY, AAD, [10; 7]), &payload(3 * CHUNK_LEN)).unwrap();
        let mut spliced = header.clone();
        spliced.extend_from_slice(&parts[0]);
        spliced.extend_from_slice(&chunks(&other).1[1]);
        spliced.extend_from_slice(&parts[2]);
        assert_eq!(open(&KEY, AAD, &spliced), Err(Error::StreamChunkInvalid { chunk: 1 }));
    }

    #[test]
    fn truncation_and_appended_chunks_are_named() {
        let sealed = sealed(2 * CHUNK_LEN + 100);
        let (header, parts) = chunks(&sealed);
        // cut at a chunk boundary: the final chunk was sealed as not the last
        assert_eq!(open(&KEY, AAD, &sealed[..HEADER_LEN + 2 * SEALED_CHUNK_LEN]), Err(Error::StreamTruncated));
        assert_eq!(open(&KEY, AAD, &sealed[..HEADER_LEN + SEALED_CHUNK_LEN]), Err(Error::StreamTruncated));
        // cut inside the header, or before a whole tag
        assert_eq!(open(&KEY, AAD, &sealed[..3]), Err(Error::StreamTruncated));
        assert_eq!(open(&KEY, AAD, &sealed[..HEADER_LEN + 15]), Err(Error::StreamTruncated));
        assert_eq!(open(&KEY, AAD, &sealed[..HEADER_LEN + SEALED_CHUNK_LEN + 4]), Err(Error::StreamTruncated));
        // cut inside a chunk: that chunk does not authenticate
        assert_eq!(open(&KEY, AAD, &sealed[..HEADER_LEN + SEALED_CHUNK_LEN + 500]), Err(Error::StreamChunkInvalid { chunk: 1 }));
        // a full last chunk with anything after it
        let exact = self::sealed(2 * CHUNK_LEN);
        for appended in [&[0u8][..], &parts[0], &[1; 40]] {
            let mut longer = exact.clone();
            longer.extend_from_slice(appended);
            assert_eq!(open(&KEY, AAD, &longer), Err(Error::StreamTrailingData), "{} bytes appended", appended.len());
        }
        // an empty chunk appended after the last (sealed by the key holder): not canonical
        let mut opener = StreamOpener::new(&KEY, AAD, &header).unwrap();
        let mut out = Vec::new();
        opener.open_chunk(&parts[0], &mut out).unwrap();
        opener.open_chunk(&parts[1], &mut out).unwrap();
        assert_eq!(opener.open_last(&[0; TAG_LEN], &mut out), Err(Error::StreamChunkInvalid { chunk: 2 }));
    }

    #[test]
    fn a_failed_chunk_releases_no_plaintext() {
        let (header, parts) = chunks(&sealed(CHUNK_LEN + 10));
        let mut opener = StreamOpener::new(&KEY, AAD, &header).unwrap();
        let mut out = vec![0xaa];
        opener.open_chunk(&parts[0], &mut out).unwrap();
        assert_eq!(out.len(), 1 + CHUNK_LEN);
        let mut bad = parts[1].clone();
        bad[0] ^= 1;
        assert_eq!(opener.open_last(&bad, &mut out), Err(Error::StreamChunkInvalid { chunk: 1 }));
        assert_eq!(out.len(), 1 + CHUNK_LEN, "nothing of the bad chunk was appended");
    }

    #[test]
    fn sealing_in_place_is_the_same_stream() {
        let data = payload(CHUNK_LEN + 300);
        let mut sealer = StreamSealer::with_nonce_prefix(&KEY, AAD, [9; NONCE_PREFIX_LEN]);
        let mut stream = sealer.header().to_vec();
        let mut first = data[..CHUNK_LEN].to_vec();
        let tag = sealer.seal_chunk_in_place(&mut first).unwrap();
        stream.extend_from_slice(&first);
        stream.extend_from_slice(&tag);
        let mut last = data[CHUNK_LEN..].to_vec();
        let tag = sealer.seal_last_in_place(&mut last).unwrap();
        stream.extend_from_slice(&last);
        stream.extend_from_slice(&tag);
        assert_eq!(stream, sealed(CHUNK_LEN + 300));
        let mut short = vec![0; 5];
        let mut fresh = StreamSealer::with_nonce_prefix(&KEY, AAD, [9; NONCE_PREFIX_LEN]);
        assert!(matches!(fresh.seal_chunk_in_place(&mut short), Err(Error::InvalidLength { .. })));
        assert_eq!(short, [0; 5], "a refused chunk is left as it was");
    }

    #[test]
    fn the_prefix_is_random_and_first() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = seal(StreamSealer::new(&mut rng, &KEY, AAD), b"same").unwrap();
        let b = seal(StreamSealer::new(&mut rng, &KEY, AAD), b"same").unwrap();
        assert_ne!(a[..HEADER_LEN], b[..HEADER_LEN]);
        assert_ne!(a[HEADER_LEN..], b[HEADER_LEN..]);
        assert_eq!(open(&KEY, AAD, &a).unwrap(), b"same");
        assert!(matches!(StreamOpener::new(&KEY, AAD, &[0; 8]), Err(Error::InvalidLength { .. })));
    }
}
