//! End-to-end behaviour of the threshold re-encryption circuit: sealing, sharing through
//! every `t`-subset of a cluster, opening, and what fails to open.

use encrypted_circuits::{
    Error,
    ceremony::CeremonyContext,
    keys::UserSecretKey,
    record::{self, RecordBinding, SealedRecord},
    reencrypt::{self, Partial, RequestContext},
    threshold,
    vectors::{CeremonyOutput, run_ceremony},
};
use rand::{SeedableRng, rngs::StdRng};

/// The cluster account the test capsules are labelled with.
const CLUSTER: [u8; 32] = [0xc1; 32];

const PLAINTEXT: &[u8] = br#"{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Patient"}}]}"#;

fn binding() -> RecordBinding {
    RecordBinding { program_id: [7; 32], owner: [8; 32], record_id: 42, version: 3, address: [9; 32] }
}

fn context() -> RequestContext {
    RequestContext { program_id: [7; 32], cluster: [1; 32], request: [2; 32], epoch: 4 }
}

struct Setup {
    rng: StdRng,
    nodes: Vec<CeremonyOutput>,
    owner: UserSecretKey,
    recipient: UserSecretKey,
    sealed: SealedRecord,
}

fn setup(t: u16, n: u16, seed: u64) -> Setup {
    let mut rng = StdRng::seed_from_u64(seed);
    let nodes = run_ceremony(&mut rng, &CeremonyContext { program_id: [7; 32], cluster: [1; 32], epoch: 4 }, n, u8::try_from(t).unwrap()).unwrap();
    let owner = UserSecretKey::random(&mut rng);
    let recipient = UserSecretKey::random(&mut rng);
    let sealed = record::seal(&mut rng, &binding(), &CLUSTER, PLAINTEXT, &nodes[0].cluster_key, &owner.public_key());
    Setup { rng, nodes, owner, recipient, sealed }
}

fn partials_from(s: &mut Setup, indices: &[u16]) -> Vec<Partial> {
    indices
        .iter()
        .map(|&i| {
            let node = &s.nodes[usize::from(i) - 1];
            let partial = node.share.reencrypt(&mut s.rng, &context(), &s.sealed.cluster_capsule, &s.recipient.public_key()).unwrap();
            reencrypt::verify(
                &context(),
                &node.share.verification_share().to_bytes(),
                &s.sealed.cluster_capsule.c1,
                &s.recipient.public_key().to_bytes(),
                &partial,
            )
            .expect("an honest partial verifies");
            partial
        })
        .collect()
}

fn open_with(s: &Setup, partials: &[Partial], threshold: usize) -> Result<Vec<u8>, Error> {
    let capsule = threshold::combine(&s.sealed.cluster_capsule, partials, threshold)?;
    record::open(&binding(), &capsule.open(&s.recipient)?, &s.sealed.ciphertext)
}

fn subsets(n: u16, t: u16) -> Vec<Vec<u16>> {
    (0u32..1 << n).filter(|mask| mask.count_ones() == u32::from(t)).map(|mask| (1..=n).filter(|i| mask & (1 << (i - 1)) != 0).collect()).collect()
}

#[test]
fn every_t_subset_opens_for_small_clusters() {
    for (t, n) in [(2u16, 2u16), (2, 3), (3, 3), (2, 4), (3, 4), (3, 5), (4, 5), (5, 5)] {
        let mut s = setup(t, n, u64::from(t) * 100 + u64::from(n));
        let all = partials_from(&mut s, &(1..=n).collect::<Vec<_>>());
        for subset in subsets(n, t) {
            let chosen: Vec<Partial> = subset.iter().map(|i| all[usize::from(*i) - 1]).collect();
            assert_eq!(open_with(&s, &chosen, usize::from(t)).unwrap(), PLAINTEXT, "t={t} n={n} subset {subset:?}");
        }
        // the owner opens without the cluster
        let own = record::open(&binding(), &s.sealed.owner_capsule.open(&s.owner).unwrap(), &s.sealed.ciphertext).unwrap();
        assert_eq!(own, PLAINTEXT);
    }
}

#[test]
fn larger_clusters_including_dishonest_majority_setting() {
    for (t, n) in [(8u16, 8u16), (6, 10), (16, 16)] {
        let mut s = setup(t, n, 7 + u64::from(n));
        let chosen: Vec<u16> = (n - t + 1..=n).collect();
        let partials = partials_from(&mut s, &chosen);
        assert_eq!(open_with(&s, &partials, usize::from(t)).unwrap(), PLAINTEXT, "t={t} n={n}");
    }
}

#[test]
fn fewer_than_t_partials_do_not_open() {
    for (t, n) in [(2u16, 3u16), (3, 5), (5, 5)] {
        let mut s = setup(t, n, 99 + u64::from(n));
        let partials = partials_from(&mut s, &(1..t).collect::<Vec<_>>());
        assert_eq!(open_with(&s, &partials, usize::from(t)).unwrap_err(), Error::NotEnoughPartials { needed: usize::from(t), got: usize::from(t - 1) });
        // combining them as if t−1 were enough yields a wrong key: the AEAD rejects
        assert_eq!(open_with(&s, &partials, usize::from(t - 1)).unwrap_err(), Error::DecryptionFailed, "t={t} n={n}");
    }
}

#[test]
fn a_wrong_recipient_cannot_open() {
    let mut s = setup(2, 3, 5);
    let partials = partials_from(&mut s, &[1, 2]);
    let capsule = threshold::combine(&s.sealed.cluster_capsule, &partials, 2).unwrap();
    let eve = UserSecretKey::random(&mut s.rng);
    assert_eq!(record::open(&binding(), &capsule.open(&eve).unwrap(), &s.sealed.ciphertext).unwrap_err(), Error::DecryptionFailed);
    assert_eq!(
        record::open(&binding(), &s.sealed.owner_capsule.open(&s.recipient).unwrap(), &s.sealed.ciphertext).unwrap_err(),
        Error::DecryptionFailed,
        "the owner capsule is not the recipient's"
    );
}

#[test]
fn combine_rejects_duplicate_and_zero_indices() {
    let mut s = setup(2, 3, 6);
    let p = partials_from(&mut s, &[1, 2]);
    assert_eq!(threshold::combine(&s.sealed.cluster_capsule, &[p[0], p[0]], 2).unwrap_err(), Error::DuplicateIndex(1));
    let mut zero = p[1];
    zero.index = 0;
    assert_eq!(threshold::combine(&s.sealed.cluster_capsule, &[p[0], zero], 2).unwrap_err(), Error::InvalidIndex(0));
}

#[test]
fn request_batch_verification_agrees_with_single_verification() {
    let mut s = setup(3, 5, 8);
    let mut partials = partials_from(&mut s, &[1, 2, 3, 4, 5]);
    partials[3].proof.z_r[0] ^= 1; // index 4 cheats
    let recipient = s.recipient.public_key();
    let with_shares: Vec<_> = partials.iter().map(|p| (s.nodes[usize::from(p.index) - 1].share.verification_share(), *p)).collect();
    let outcomes = threshold::verify_request_partials(&context(), &s.sealed.cluster_capsule.c1, &recipient, &with_shares).unwrap();
    for ((share, partial), outcome) in with_shares.iter().zip(&outcomes) {
        let single = reencrypt::verify(&context(), &share.to_bytes(), &s.sealed.cluster_capsule.c1, &recipient.to_bytes(), partial);
        assert_eq!(*outcome, single, "index {}", partial.index);
    }
    assert!(outcomes[3].is_err() && outcomes.iter().filter(|o| o.is_ok()).count() == 4);
}
