//! Property tests over random keys, payloads from 0 bytes to 1 MiB, and random subsets.

use encrypted_circuits::{
    ceremony::CeremonyContext,
    keys::UserSecretKey,
    record::{self, RecordBinding},
    reencrypt::{self, RequestContext},
    threshold,
    vectors::run_ceremony,
};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng};

/// The cluster account the test capsules are labelled with.
const CLUSTER: [u8; 32] = [0xc1; 32];

fn payload_len() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0usize), 1usize..64, 64usize..4096, Just(1 << 20), (1usize << 19)..(1 << 20)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn seal_open_round_trips(seed in any::<u64>(), len in payload_len(), record_id in any::<u64>(), version in any::<u32>()) {
        let mut rng = StdRng::seed_from_u64(seed);
        let payload: Vec<u8> = (0..len).map(|i| (i as u64).wrapping_mul(seed | 1) as u8).collect();
        let owner = UserSecretKey::random(&mut rng);
        let cluster = UserSecretKey::random(&mut rng);
        let binding = RecordBinding { program_id: [1; 32], owner: [2; 32], record_id, version, address: [3; 32] };
        let sealed = record::seal(&mut rng, &binding, &CLUSTER, &payload, &cluster.public_key(), &owner.public_key());
        prop_assert_eq!(sealed.ciphertext.len() as u64, encrypted_circuits::stream::ciphertext_len(len as u64).unwrap());
        // 7-byte nonce prefix, a 16-byte tag per 64 KiB chunk (at least one)
        prop_assert_eq!(sealed.ciphertext.len(), len + 7 + 16 * len.div_ceil(65536).max(1));
        prop_assert_eq!(record::open(&binding, &sealed.owner_capsule.open(&owner).unwrap(), &sealed.ciphertext).unwrap(), payload.clone());
        prop_assert_eq!(record::open(&binding, &sealed.cluster_capsule.open(&cluster).unwrap(), &sealed.ciphertext).unwrap(), payload);
    }

    #[test]
    fn random_t_subsets_share_and_open(seed in any::<u64>(), n in 2u16..7, t_offset in 0u16..6, pick in any::<u64>(), len in 0usize..2048) {
        let t = 2 + t_offset % (n - 1);
        let mut rng = StdRng::seed_from_u64(seed);
        let nodes = run_ceremony(&mut rng, &CeremonyContext { program_id: [5; 32], cluster: [4; 32], epoch: 2 }, n, u8::try_from(t).unwrap()).unwrap();
        let owner = UserSecretKey::random(&mut rng);
        let recipient = UserSecretKey::random(&mut rng);
        let binding = RecordBinding { program_id: [5; 32], owner: [6; 32], record_id: 1, version: 1, address: [7; 32] };
        let payload = vec![0xa5u8; len];
        let sealed = record::seal(&mut rng, &binding, &CLUSTER, &payload, &nodes[0].cluster_key, &owner.public_key());
        let context = RequestContext { program_id: [5; 32], cluster: [4; 32], request: [8; 32], epoch: 2 };
        // a pseudo-random t-subset of 1..=n
        let mut indices: Vec<u16> = (1..=n).collect();
        for i in (1..indices.len()).rev() {
            indices.swap(i, ((pick >> (i % 60)) as usize + i * 7) % (i + 1));
        }
        indices.truncate(usize::from(t));
        let partials: Vec<_> = indices.iter().map(|&i| {
            let node = &nodes[usize::from(i) - 1];
            let p = node.share.reencrypt(&mut rng, &context, &sealed.cluster_capsule, &recipient.public_key()).unwrap();
            reencrypt::verify(&context, &node.share.verification_share().to_bytes(), &sealed.cluster_capsule.c1, &recipient.public_key().to_bytes(), &p).unwrap();
            p
        }).collect();
        let capsule = threshold::combine(&sealed.cluster_capsule, &partials, usize::from(t)).unwrap();
        prop_assert_eq!(record::open(&binding, &capsule.open(&recipient).unwrap(), &sealed.ciphertext).unwrap(), payload);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = reencrypt::Partial::from_bytes(&bytes);
        let _ = reencrypt::ReencryptionProof::from_bytes(&bytes);
        let _ = record::Capsule::from_bytes(&bytes);
        let _ = encrypted_circuits::keys::KeyPossessionProof::from_bytes(&bytes);
        if bytes.len() >= 32 {
            let mut b = [0u8; 32];
            b.copy_from_slice(&bytes[..32]);
            let _ = encrypted_circuits::keys::PublicKey::from_bytes(&b, "x");
            let _ = encrypted_circuits::group::element(&b, "x");
            let _ = encrypted_circuits::group::canonical_scalar(&b, "x");
            let _ = UserSecretKey::from_bytes(&b);
        }
    }
}
