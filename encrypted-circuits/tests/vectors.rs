//! The published test vectors hold, and are exactly what the generator makes.

use encrypted_circuits::vectors::{self, VectorFile};

fn published() -> VectorFile {
    let text = include_str!("vectors/reencrypt.json");
    serde_json::from_str(text).expect("the vectors file parses")
}

#[test]
fn every_published_case_checks() {
    let file = published();
    assert_eq!(file.version, "medshare/v1");
    let shapes: Vec<(u16, u16, bool)> = file.cases.iter().map(|c| (c.t, c.n, c.record.plaintext.is_empty())).collect();
    for required in [(2, 3, false), (3, 5, false), (5, 5, false), (2, 3, true)] {
        assert!(shapes.contains(&required), "missing case {required:?}");
    }
    for case in &file.cases {
        assert_eq!(case.partials.len(), usize::from(case.t));
        vectors::check(case).unwrap();
    }
    assert!(!file.key_possession.is_empty());
    for vector in &file.key_possession {
        vectors::check_key_possession(vector).unwrap();
    }
}

#[test]
fn changed_nonces_and_proofs_fail_the_check() {
    let flip = |text: &mut String| {
        let mut bytes = text.clone().into_bytes();
        bytes[0] = if bytes[0] == b'0' { b'1' } else { b'0' };
        *text = String::from_utf8(bytes).unwrap();
    };
    for edit in [
        (|c: &mut vectors::Case| &mut c.capsule_proof.z) as fn(&mut vectors::Case) -> &mut String,
        |c| &mut c.capsule_proof.nonce,
        |c| &mut c.capsule_proof.commitment,
        |c| &mut c.capsule_randomness,
        |c| &mut c.owner_capsule_randomness,
        |c| &mut c.partials[0].nonces.k_s,
        |c| &mut c.partials[0].nonces.r,
        |c| &mut c.partials[0].commitments[2],
    ] {
        let mut file = published();
        flip(edit(&mut file.cases[1]));
        assert!(vectors::check(&file.cases[1]).is_err());
    }
    let mut file = published();
    flip(&mut file.key_possession[0].nonce);
    assert!(vectors::check_key_possession(&file.key_possession[0]).is_err());
}

#[test]
fn a_changed_byte_fails_the_check() {
    let mut file = published();
    let case = &mut file.cases[1];
    let mut e = case.partials[0].e.clone().into_bytes();
    e[0] = if e[0] == b'0' { b'1' } else { b'0' };
    case.partials[0].e = String::from_utf8(e).unwrap();
    assert!(vectors::check(case).is_err());
    let mut file = published();
    file.cases[0].record.plaintext.push_str("00");
    assert!(vectors::check(&file.cases[0]).is_err());
    let mut file = published();
    file.cases[2].record_key = file.cases[2].record_key.to_uppercase();
    assert!(vectors::check(&file.cases[2]).is_err(), "uppercase hex is refused");
}

#[test]
fn the_file_is_what_the_generator_makes() {
    // compared without printing both files on a mismatch
    let same = vectors::generate().unwrap() == published();
    assert!(same, "the vectors differ from the generator's: run `cargo run -p encrypted-circuits --example make_test_vectors`");
}

fn published_ceremonies() -> vectors::CeremonyVectorFile {
    serde_json::from_str(include_str!("vectors/ceremony.json")).expect("the ceremony vectors file parses")
}

#[test]
fn the_published_ceremonies_check() {
    let file = published_ceremonies();
    let kinds: Vec<&str> = file.ceremonies.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["key_generation", "resharing"]);
    let key_generation = &file.ceremonies[0];
    assert_eq!((key_generation.threshold, key_generation.members.len()), (2, 3));
    assert!(key_generation.dealings.iter().any(|d| d.corruption.is_some()));
    let verdicts: Vec<&str> = key_generation.complaints.iter().map(|c| c.verdict.as_str()).collect();
    assert_eq!(verdicts, ["upheld", "dismissed"]);
    vectors::check_ceremonies(&file).unwrap();
}

#[test]
fn a_changed_ceremony_value_fails_the_check() {
    let flip = |text: &mut String| {
        let mut bytes = text.clone().into_bytes();
        bytes[1] = if bytes[1] == b'0' { b'1' } else { b'0' };
        *text = String::from_utf8(bytes).unwrap();
    };
    for edit in [
        (|f: &mut vectors::CeremonyVectorFile| &mut f.ceremonies[0].dealings[0].dealing) as fn(&mut vectors::CeremonyVectorFile) -> &mut String,
        |f| &mut f.ceremonies[0].dealings[1].coefficients[1],
        |f| &mut f.ceremonies[0].dealings[2].proof_nonce,
        |f| &mut f.ceremonies[0].dealings[0].ephemeral_secret,
        |f| &mut f.ceremonies[0].members[1].transport_key_proof_nonce,
        |f| &mut f.ceremonies[0].complaints[0].nonce,
        |f| &mut f.ceremonies[0].confirmations[2].nonce,
        |f| &mut f.ceremonies[0].confirmations[0].secret_share,
        |f| &mut f.ceremonies[0].cluster_public_key,
        |f| &mut f.ceremonies[1].dealings[1].coefficients[0],
        |f| &mut f.ceremonies[1].confirmations[3].proof,
    ] {
        let mut file = published_ceremonies();
        flip(edit(&mut file));
        assert!(vectors::check_ceremonies(&file).is_err());
    }
    let mut file = published_ceremonies();
    file.ceremonies[0].complaints[1].verdict = "upheld".into();
    assert!(vectors::check_ceremonies(&file).is_err());
    let mut file = published_ceremonies();
    file.ceremonies[1].weights[0] += 1;
    assert!(vectors::check_ceremonies(&file).is_err());
}

#[test]
fn the_ceremony_file_is_what_the_generator_makes() {
    let same = vectors::generate_ceremonies().unwrap() == published_ceremonies();
    assert!(same, "the ceremony vectors differ from the generator's: run `cargo run -p encrypted-circuits --example make_test_vectors`");
}

fn published_streams() -> vectors::StreamVectorFile {
    serde_json::from_str(include_str!("vectors/stream.json")).expect("the stream vectors file parses")
}

#[test]
fn the_published_streams_check() {
    let file = published_streams();
    const C: u64 = encrypted_circuits::stream::CHUNK_LEN as u64;
    let shapes: Vec<(u64, u64)> = file.cases.iter().map(|c| (c.plaintext_len, c.chunks)).collect();
    // the empty record, exactly one chunk, one byte either side of it, and several chunks
    for required in [(0, 1), (C - 1, 1), (C, 1), (C + 1, 2), (2 * C, 2), (3 * C + 100, 4)] {
        assert!(shapes.contains(&required), "missing stream case {required:?}");
    }
    assert!(file.cases.iter().filter(|c| c.sealed.is_some()).count() >= 3, "the short streams are published in full");
    vectors::check_streams(&file).unwrap();
}

#[test]
fn a_changed_stream_value_fails_the_check() {
    let flip = |text: &mut String| {
        let mut bytes = text.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
        *text = String::from_utf8(bytes).unwrap();
    };
    for edit in [
        (|f: &mut vectors::StreamVectorFile| &mut f.cases[0].key) as fn(&mut vectors::StreamVectorFile) -> &mut String,
        |f| &mut f.cases[1].nonce_prefix,
        |f| &mut f.cases[2].aad,
        |f| f.cases[2].sealed.as_mut().unwrap(),
        |f| &mut f.cases[5].tags[1],
        |f| &mut f.cases[7].sealed_sha256,
        |f| &mut f.cases[4].plaintext_sha256,
    ] {
        let mut file = published_streams();
        flip(edit(&mut file));
        assert!(vectors::check_streams(&file).is_err());
    }
    let mut file = published_streams();
    file.cases[6].sealed_len += 16;
    assert!(vectors::check_streams(&file).is_err());
    let mut file = published_streams();
    file.cases[3].chunks = 2;
    assert!(vectors::check_streams(&file).is_err());
}

#[test]
fn the_stream_file_is_what_the_generator_makes() {
    let same = vectors::generate_stream().unwrap() == published_streams();
    assert!(same, "the stream vectors differ from the generator's: run `cargo run -p encrypted-circuits --example make_test_vectors`");
}
