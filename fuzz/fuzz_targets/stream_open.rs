//! The sealed-record stream opener (`encrypted_circuits::stream`, docs/protocol.md §7.1.1):
//! opening arbitrary bytes is one of the four named stream errors (never a panic), anything
//! it accepts is exactly what sealing its plaintext with that prefix gives, and a stream
//! sealed from the input and then damaged (a flipped byte, a cut, appended bytes, two chunks
//! swapped) is always refused — by the chunk the damage is in.
//!
//! Layout: key (32) ‖ nonce prefix (7) ‖ u8 AAD length ‖ that many AAD bytes (zero past the
//! end) ‖ u32 plaintext length (mod 3·64 KiB + 2) ‖ u8 damage kind ‖ u32 position ‖ u8 value
//! ‖ the rest: opened as a sealed stream, and repeated to make the plaintext.
#![no_main]

use encrypted_circuits::{
    Error,
    stream::{self, CHUNK_LEN, HEADER_LEN, NONCE_PREFIX_LEN, SEALED_CHUNK_LEN, StreamOpener, StreamSealer},
};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

/// Up to three full chunks and two bytes: every boundary case (one chunk, one byte over) fits.
const MAX_PLAINTEXT: u32 = 3 * CHUNK_LEN as u32 + 2;

fn is_stream_error(error: &Error) -> bool {
    matches!(error, Error::DecryptionFailed | Error::StreamTruncated | Error::StreamChunkInvalid { .. } | Error::StreamTrailingData)
}

/// The error a flipped byte at `position` of a well-formed stream must give.
fn flipped_byte_error(position: usize) -> Error {
    match position.saturating_sub(HEADER_LEN) / SEALED_CHUNK_LEN {
        // the prefix changes every nonce, so chunk 0 fails first
        0 => Error::DecryptionFailed,
        chunk => Error::StreamChunkInvalid { chunk: chunk as u64 },
    }
}

/// Opens `sealed` through the incremental API the way a reader of a file does, in segments
/// cut where the format frames them: must agree with the one-shot `stream::open`.
fn open_incrementally(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Error> {
    if sealed.len() < HEADER_LEN {
        return Err(Error::StreamTruncated);
    }
    let mut opener = StreamOpener::new(key, aad, &sealed[..HEADER_LEN])?;
    let mut out = Vec::new();
    let mut rest = &sealed[HEADER_LEN..];
    while rest.len() > SEALED_CHUNK_LEN {
        opener.open_chunk(&rest[..SEALED_CHUNK_LEN], &mut out)?;
        rest = &rest[SEALED_CHUNK_LEN..];
    }
    opener.open_last(rest, &mut out)?;
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let key: [u8; 32] = input.array();
    let prefix: [u8; NONCE_PREFIX_LEN] = input.array();
    let aad_len = usize::from(input.u8());
    let aad: Vec<u8> = (0..aad_len).map(|_| input.u8()).collect();
    let plaintext_len = (input.u32() % MAX_PLAINTEXT) as usize;
    let (damage, position, value) = (input.u8(), input.u32() as usize, input.u8());
    let rest = input.rest();

    // arbitrary bytes: a named error, or a stream that is exactly what sealing gives
    let opened = stream::open(&key, &aad, rest);
    assert_eq!(opened, open_incrementally(&key, &aad, rest), "one-shot and incremental opening agree");
    match &opened {
        Ok(plaintext) => {
            let resealed = stream::seal(StreamSealer::with_nonce_prefix(&key, &aad, rest[..HEADER_LEN].try_into().unwrap()), plaintext).unwrap();
            assert_eq!(resealed, rest, "an accepted stream is the canonical sealing of its plaintext");
            assert_eq!(stream::plaintext_len(rest.len() as u64), Ok(plaintext.len() as u64));
        }
        Err(error) => assert!(is_stream_error(error), "{error:?} is not a stream error"),
    }
    // the length inverse never panics and agrees with the formula
    if let Ok(len) = stream::plaintext_len(rest.len() as u64) {
        assert_eq!(stream::ciphertext_len(len), Ok(rest.len() as u64));
    }

    // a stream sealed from the input, then damaged
    let plaintext: Vec<u8> = rest.iter().copied().cycle().take(if rest.is_empty() { 0 } else { plaintext_len }).collect();
    let sealed = stream::seal(StreamSealer::with_nonce_prefix(&key, &aad, prefix), &plaintext).unwrap();
    assert_eq!(sealed.len() as u64, stream::ciphertext_len(plaintext.len() as u64).unwrap());
    assert_eq!(stream::open(&key, &aad, &sealed).as_deref(), Ok(&plaintext[..]));
    let chunks = stream::chunk_count(plaintext.len() as u64) as usize;
    let mut damaged = sealed.clone();
    let expected = match damage % 4 {
        0 => {
            let at = position % sealed.len();
            damaged[at] ^= value | 1;
            Some(flipped_byte_error(at))
        }
        1 => {
            let cut = position % sealed.len();
            damaged.truncate(cut);
            // cut at a chunk boundary (after a chunk that is not the last), or before one tag
            let boundary = cut >= HEADER_LEN + SEALED_CHUNK_LEN && (cut - HEADER_LEN) % SEALED_CHUNK_LEN == 0;
            (boundary || cut < HEADER_LEN + stream::TAG_LEN).then_some(Error::StreamTruncated)
        }
        2 => {
            let appended = 1 + position % (SEALED_CHUNK_LEN + 1);
            damaged.extend(std::iter::repeat_n(value, appended));
            // after a full last chunk the framing holds: the last chunk is seen with bytes after it
            (plaintext.len() % CHUNK_LEN == 0 && !plaintext.is_empty()).then_some(Error::StreamTrailingData)
        }
        _ => {
            if chunks < 2 {
                return;
            }
            // swap chunk i with the last full chunk before the final one, or the two first
            let i = position % (chunks - 1);
            let j = if i == 0 { 1 } else { 0 };
            let span = |k: usize| HEADER_LEN + k * SEALED_CHUNK_LEN..HEADER_LEN + (k + 1) * SEALED_CHUNK_LEN;
            if span(i.max(j)).end > sealed.len() {
                return;
            }
            let (first, second) = (sealed[span(i)].to_vec(), sealed[span(j)].to_vec());
            damaged[span(i)].copy_from_slice(&second);
            damaged[span(j)].copy_from_slice(&first);
            Some(Error::DecryptionFailed)
        }
    };
    let error = stream::open(&key, &aad, &damaged).expect_err("a damaged stream is refused");
    assert!(is_stream_error(&error), "{error:?}");
    assert_eq!(open_incrementally(&key, &aad, &damaged), Err(error.clone()));
    if let Some(expected) = expected {
        assert_eq!(error, expected, "damage kind {}", damage % 4);
    }
});
