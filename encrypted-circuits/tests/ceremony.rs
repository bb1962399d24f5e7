//! The key ceremony: key generation and resharing end to end with every check the program
//! makes; what each check refuses; complaints that are upheld, dismissed or forged.

use curve25519_dalek::{Scalar, constants::RISTRETTO_BASEPOINT_POINT as G};
use encrypted_circuits::{
    Error,
    ceremony::{
        self, CeremonyContext, ComplaintVerdict, DealingFault, DealingView, MAX_MEMBERS, TransportSecret, dealing_len, encrypted_share_offset,
        verify_confirmation, verify_dealing,
    },
    hash::{DST_CONFIRM, challenge_128},
    keys::KeyShare,
    threshold::lagrange_at_zero,
};
use rand::{SeedableRng, rngs::StdRng};
use std::collections::BTreeMap;

const PROGRAM_ID: [u8; 32] = [7; 32];
const CLUSTER: [u8; 32] = [8; 32];

fn context(epoch: u64) -> CeremonyContext {
    CeremonyContext { program_id: PROGRAM_ID, cluster: CLUSTER, epoch }
}

/// The members of one ceremony: their transport secrets and keys.
struct Members {
    transports: BTreeMap<u16, TransportSecret>,
    keys: BTreeMap<u16, [u8; 32]>,
}

impl Members {
    fn new(rng: &mut StdRng, indices: &[u16]) -> Members {
        let transports: BTreeMap<u16, TransportSecret> = indices.iter().map(|&j| (j, TransportSecret::random(rng))).collect();
        let keys = transports.iter().map(|(&j, t)| (j, t.public_key())).collect();
        Members { transports, keys }
    }

    fn mask(&self) -> u16 {
        self.keys.keys().fold(0, |mask, j| mask | 1 << (j - 1))
    }
}

/// Every dealer deals (resharing its share in `previous` if given); the program checks each.
fn deal_all(
    rng: &mut StdRng,
    ctx: &CeremonyContext,
    dealers: &[u16],
    t: u8,
    members: &Members,
    previous: Option<&BTreeMap<u16, KeyShare>>,
) -> Vec<(u16, Vec<u8>)> {
    dealers
        .iter()
        .map(|&i| {
            let reshared = previous.map(|shares| &shares[&i]);
            let bytes = ceremony::deal(rng, ctx, i, t, &members.keys, reshared).unwrap();
            assert_eq!(bytes.len(), dealing_len(t));
            let view = DealingView::parse(&bytes, t).unwrap();
            let share = reshared.map(|s| s.verification_share().to_bytes());
            verify_dealing(ctx, i, &view, members.mask(), share.as_ref()).unwrap();
            (i, bytes)
        })
        .collect()
}

fn parse_all(dealings: &[(u16, Vec<u8>)], t: u8) -> Vec<(u16, DealingView<'_>)> {
    dealings.iter().map(|(i, bytes)| (*i, DealingView::parse(bytes, t).unwrap())).collect()
}

/// Every member finishes and confirms; the program checks each confirmation.
fn finish_all(rng: &mut StdRng, ctx: &CeremonyContext, members: &Members, views: &[(u16, DealingView)], resharing: bool) -> BTreeMap<u16, KeyShare> {
    members
        .transports
        .iter()
        .map(|(&j, transport)| {
            let finished = ceremony::finish(rng, ctx, j, transport, views, resharing).unwrap();
            let share = finished.share.verification_share();
            verify_confirmation(ctx, j, &share.to_bytes(), &finished.proof, views, resharing).unwrap();
            assert_eq!(ceremony::verification_share(j, views, resharing).unwrap(), share);
            assert_eq!(finished.share.index(), j);
            (j, finished.share)
        })
        .collect()
}

fn scalar(share: &KeyShare) -> Scalar {
    Scalar::from_canonical_bytes(share.secret_bytes()).unwrap()
}

/// `Σ λ_j·s_j` over the given shares (Lagrange at zero over their indices).
fn interpolate(shares: &[(u16, Scalar)]) -> Scalar {
    let indices: Vec<u16> = shares.iter().map(|(j, _)| *j).collect();
    lagrange_at_zero(&indices).unwrap().iter().zip(shares).map(|(l, (_, s))| l * s).sum()
}

fn subsets(indices: &[u16], size: usize) -> Vec<Vec<u16>> {
    (0u32..1 << indices.len())
        .filter(|mask| mask.count_ones() as usize == size)
        .map(|mask| indices.iter().enumerate().filter(|(n, _)| mask >> n & 1 == 1).map(|(_, &j)| j).collect())
        .collect()
}

/// The key `s` the shares of `shares` open, checked for every `t`-subset.
fn secret_of(shares: &BTreeMap<u16, KeyShare>, t: usize) -> Scalar {
    let indices: Vec<u16> = shares.keys().copied().collect();
    let mut secret = None;
    for subset in subsets(&indices, t) {
        let s = interpolate(&subset.iter().map(|j| (*j, scalar(&shares[j]))).collect::<Vec<_>>());
        assert_eq!(*secret.get_or_insert(s), s, "subset {subset:?} opens another key");
    }
    secret.unwrap()
}

/// A proof of possession `c ‖ z` of `secret` for receiver `j`'s confirmation, made by hand.
fn confirmation_proof(rng: &mut StdRng, ctx: &CeremonyContext, j: u16, share: &[u8; 32], secret: &Scalar) -> [u8; 64] {
    let k = Scalar::random(rng);
    let r = (G * k).compress().to_bytes();
    let c = challenge_128(DST_CONFIRM, &[&ctx.program_id, &ctx.cluster, &ctx.epoch.to_le_bytes(), &j.to_le_bytes(), share, &r]);
    let z = k + Scalar::from_bytes_mod_order(c) * secret;
    let mut proof = [0u8; 64];
    proof[..32].copy_from_slice(&c);
    proof[32..].copy_from_slice(&z.to_bytes());
    proof
}

/// A key generation by members `1..=n`, all dealing.
fn key_generation(rng: &mut StdRng, ctx: &CeremonyContext, n: u16, t: u8) -> (BTreeMap<u16, KeyShare>, [u8; 32]) {
    let indices: Vec<u16> = (1..=n).collect();
    let members = Members::new(rng, &indices);
    let dealings = deal_all(rng, ctx, &indices, t, &members, None);
    let views = parse_all(&dealings, t);
    let shares = finish_all(rng, ctx, &members, &views, false);
    (shares, ceremony::group_key(&views).unwrap().to_bytes())
}

#[test]
fn key_generation_end_to_end() {
    for (t, n) in [(3u8, 5u16), (2, 3)] {
        let mut rng = StdRng::seed_from_u64(u64::from(t) * 100 + u64::from(n));
        let ctx = context(1);
        let (shares, pk) = key_generation(&mut rng, &ctx, n, t);
        let s = secret_of(&shares, usize::from(t));
        assert_eq!((G * s).compress().to_bytes(), pk, "t={t} n={n}");
        // fewer than t shares do not open it
        let fewer: Vec<(u16, Scalar)> = shares.iter().take(usize::from(t) - 1).map(|(j, share)| (*j, scalar(share))).collect();
        assert_ne!(interpolate(&fewer), s);
    }
}

#[test]
fn key_generation_shares_re_encrypt() {
    use encrypted_circuits::{
        keys::{PublicKey, UserSecretKey},
        record::{self, RecordBinding},
        reencrypt::{self, RequestContext},
        threshold,
    };
    let mut rng = StdRng::seed_from_u64(40);
    let (shares, pk) = key_generation(&mut rng, &context(2), 3, 2);
    let pk = PublicKey::from_bytes(&pk, "PK").unwrap();
    let (owner, doctor) = (UserSecretKey::random(&mut rng), UserSecretKey::random(&mut rng));
    let binding = RecordBinding { program_id: PROGRAM_ID, owner: [3; 32], record_id: 1, version: 1, address: [4; 32] };
    let sealed = record::seal(&mut rng, &binding, &CLUSTER, b"record", &pk, &owner.public_key());
    let request = RequestContext { program_id: PROGRAM_ID, cluster: CLUSTER, request: [5; 32], epoch: 2 };
    let partials: Vec<_> = [2u16, 3]
        .iter()
        .map(|j| {
            let partial = shares[j].reencrypt(&mut rng, &request, &sealed.cluster_capsule, &doctor.public_key()).unwrap();
            let share = shares[j].verification_share().to_bytes();
            reencrypt::verify(&request, &share, &sealed.cluster_capsule.c1, &doctor.public_key().to_bytes(), &partial).unwrap();
            partial
        })
        .collect();
    let capsule = threshold::combine(&sealed.cluster_capsule, &partials, 2).unwrap();
    assert_eq!(record::open(&binding, &capsule.open(&doctor).unwrap(), &sealed.ciphertext).unwrap(), b"record");
}

#[test]
fn resharing_keeps_the_key_and_retires_old_shares() {
    let mut rng = StdRng::seed_from_u64(41);
    // 3-of-5 key generation by members 1..=5
    let (old, pk) = key_generation(&mut rng, &context(1), 5, 3);
    let s = secret_of(&old, 3);

    // 3-of-5 → 4-of-6: member 5 leaves, 6 and 7 join; holders 1, 2 and 4 deal (3 is absent)
    let ctx = context(2);
    let members = Members::new(&mut rng, &[1, 2, 3, 4, 6, 7]);
    let dealings = deal_all(&mut rng, &ctx, &[1, 2, 4], 4, &members, Some(&old));
    let views = parse_all(&dealings, 4);
    let new = finish_all(&mut rng, &ctx, &members, &views, true);
    assert_eq!(secret_of(&new, 4), s, "resharing changed the key");
    for j in [1u16, 2, 3, 4] {
        let (old_share, new_share) = (old[&j].verification_share().to_bytes(), new[&j].verification_share().to_bytes());
        assert_ne!(old_share, new_share);
        // the old share, with a valid proof of possession, is not the new share of its index
        let proof = confirmation_proof(&mut rng, &ctx, j, &old_share, &scalar(&old[&j]));
        assert_eq!(verify_confirmation(&ctx, j, &old_share, &proof, &views, true).unwrap_err(), Error::InvalidConfirmation);
    }
    // old and new shares do not combine, at either threshold
    let mixed = [(1, scalar(&old[&1])), (2, scalar(&old[&2])), (3, scalar(&new[&3])), (4, scalar(&new[&4]))];
    assert_ne!(interpolate(&mixed), s);
    assert_ne!(interpolate(&mixed[1..]), s);
    // resharing checks each dealer's C_0 against its S_i
    let (i, bytes) = &dealings[1];
    let view = DealingView::parse(bytes, 4).unwrap();
    let other = old[&3].verification_share().to_bytes();
    assert_eq!(verify_dealing(&ctx, *i, &view, members.mask(), Some(&other)).unwrap_err(), Error::InvalidDealing(DealingFault::ConstantTermNotShare));

    // 4-of-6 → 2-of-3: five of the six holders deal (more than t), to members 2, 5 and 9
    let ctx = context(3);
    let members = Members::new(&mut rng, &[2, 5, 9]);
    let dealings = deal_all(&mut rng, &ctx, &[1, 3, 4, 6, 7], 2, &members, Some(&new));
    let views = parse_all(&dealings, 2);
    let newest = finish_all(&mut rng, &ctx, &members, &views, true);
    assert_eq!(secret_of(&newest, 2), s);
    assert_eq!((G * s).compress().to_bytes(), pk);
    let previous = new[&2].verification_share().to_bytes();
    let proof = confirmation_proof(&mut rng, &ctx, 2, &previous, &scalar(&new[&2]));
    assert_eq!(verify_confirmation(&ctx, 2, &previous, &proof, &views, true).unwrap_err(), Error::InvalidConfirmation);
    // the same dealings read as a key generation fix other shares
    let finished = ceremony::finish(&mut rng, &ctx, 5, &members.transports[&5], &views, false).unwrap();
    assert_ne!(finished.share.verification_share(), newest[&5].verification_share());
    let share = newest[&5].verification_share().to_bytes();
    let proof = confirmation_proof(&mut rng, &ctx, 5, &share, &scalar(&newest[&5]));
    verify_confirmation(&ctx, 5, &share, &proof, &views, true).unwrap();
    assert_eq!(verify_confirmation(&ctx, 5, &share, &proof, &views, false).unwrap_err(), Error::InvalidConfirmation);
}

/// A 3-of-5 dealing by member 2 to members 1..=5.
struct Fixture {
    rng: StdRng,
    ctx: CeremonyContext,
    members: Members,
    bytes: Vec<u8>,
}

fn fixture(seed: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let ctx = context(5);
    let members = Members::new(&mut rng, &[1, 2, 3, 4, 5]);
    let bytes = ceremony::deal(&mut rng, &ctx, 2, 3, &members.keys, None).unwrap();
    Fixture { rng, ctx, members, bytes }
}

fn check(f: &Fixture, bytes: &[u8]) -> Result<(), Error> {
    verify_dealing(&f.ctx, 2, &DealingView::parse(bytes, 3)?, f.members.mask(), None)
}

#[test]
fn verify_dealing_refuses_each_fault() {
    let f = fixture(50);
    check(&f, &f.bytes).unwrap();
    let edit = |offset: usize, value: &[u8]| {
        let mut bytes = f.bytes.clone();
        bytes[offset..offset + value.len()].copy_from_slice(value);
        bytes
    };
    let fault = |bytes: &[u8]| match check(&f, bytes) {
        Err(Error::InvalidDealing(fault)) => fault,
        other => panic!("not a dealing fault: {other:?}"),
    };
    let other_point = (G * Scalar::from(99u64)).compress().to_bytes();
    let mut non_canonical = other_point;
    non_canonical[31] |= 0x80;
    // the proof of knowledge
    let mut z = *DealingView::parse(&f.bytes, 3).unwrap().proof_response();
    z[0] ^= 1;
    assert_eq!(fault(&edit(64, &z)), DealingFault::ProofOfKnowledge);
    assert_eq!(fault(&edit(32, &[0x5a])), DealingFault::ProofOfKnowledge);
    assert_eq!(fault(&edit(96 + 32, &other_point)), DealingFault::ProofOfKnowledge, "C_1 is bound");
    assert_eq!(fault(&edit(96 + 64, &[0; 32])), DealingFault::ProofOfKnowledge, "an identity C_k (k > 0) is canonical, and bound");
    assert_eq!(fault(&edit(0, &other_point)), DealingFault::ProofOfKnowledge, "D_i is bound");
    assert_eq!(fault(&edit(32 + 16, &[1])), DealingFault::ChallengeNotCanonical);
    assert_eq!(fault(&edit(64, &[0xff; 32])), DealingFault::ResponseNotCanonical);
    let view = DealingView::parse(&f.bytes, 3).unwrap();
    for (ctx, dealer) in
        [(context(6), 2), (CeremonyContext { cluster: [9; 32], ..f.ctx }, 2), (CeremonyContext { program_id: [9; 32], ..f.ctx }, 2), (f.ctx, 3)]
    {
        assert_eq!(verify_dealing(&ctx, dealer, &view, f.members.mask(), None).unwrap_err(), Error::InvalidDealing(DealingFault::ProofOfKnowledge));
    }
    // points
    assert_eq!(fault(&edit(0, &[0; 32])), DealingFault::EphemeralKeyIdentity);
    assert_eq!(fault(&edit(0, &non_canonical)), DealingFault::EphemeralKeyNotCanonical);
    assert_eq!(fault(&edit(96 + 32, &non_canonical)), DealingFault::CommitmentNotCanonical { k: 1 });
    assert_eq!(fault(&edit(96, &[0xff; 32])), DealingFault::CommitmentNotCanonical { k: 0 });
    assert_eq!(fault(&edit(96, &[0; 32])), DealingFault::ConstantTermIdentity);
    // zero slots of non-receivers (6..=16), but the receivers' slots are not checked
    assert_eq!(fault(&edit(encrypted_share_offset(3, 6) + 31, &[1])), DealingFault::NonZeroSlot { member: 6 });
    assert_eq!(fault(&edit(encrypted_share_offset(3, 16), &[1])), DealingFault::NonZeroSlot { member: 16 });
    check(&f, &edit(encrypted_share_offset(3, 5), &[0xff; 32])).unwrap();
    assert_eq!(verify_dealing(&f.ctx, 2, &view, 0b01111, None).unwrap_err(), Error::InvalidDealing(DealingFault::NonZeroSlot { member: 5 }));
    // resharing
    assert_eq!(verify_dealing(&f.ctx, 2, &view, f.members.mask(), Some(&other_point)).unwrap_err(), Error::InvalidDealing(DealingFault::ConstantTermNotShare));
    verify_dealing(&f.ctx, 2, &view, f.members.mask(), Some(view.commitment(0))).unwrap();
    // lengths, thresholds and indices
    assert_eq!(DealingView::parse(&f.bytes[1..], 3).unwrap_err(), Error::InvalidLength { what: "dealing", expected: 704, got: 703 });
    assert_eq!(DealingView::parse(&f.bytes, 2).unwrap_err(), Error::InvalidLength { what: "dealing", expected: 672, got: 704 });
    assert!(DealingView::parse(&[f.bytes.as_slice(), &[0; 32]].concat(), 3).is_err());
    assert_eq!(DealingView::parse(&f.bytes, 0).unwrap_err(), Error::InvalidDealing(DealingFault::Threshold));
    for dealer in [0u16, 17] {
        assert_eq!(verify_dealing(&f.ctx, dealer, &view, f.members.mask(), None).unwrap_err(), Error::InvalidIndex(dealer));
    }
}

#[test]
fn dealing_layout_and_parameters() {
    let mut f = fixture(51);
    let view = DealingView::parse(&f.bytes, 3).unwrap();
    assert_eq!(view.threshold(), 3);
    assert_eq!(view.proof_challenge()[16..], [0; 16]);
    for j in 6..=MAX_MEMBERS as u16 {
        assert_eq!(view.encrypted_share(j), &[0; 32]);
    }
    for j in 1..=5u16 {
        assert_ne!(view.encrypted_share(j), &[0; 32]);
    }
    let keys = &f.members.keys;
    assert!(ceremony::deal(&mut f.rng, &f.ctx, 2, 1, keys, None).is_err(), "t' >= 2");
    assert!(ceremony::deal(&mut f.rng, &f.ctx, 2, 6, keys, None).is_err(), "t' <= |R|");
    assert_eq!(ceremony::deal(&mut f.rng, &f.ctx, 0, 3, keys, None).unwrap_err(), Error::InvalidIndex(0));
    assert_eq!(ceremony::deal(&mut f.rng, &f.ctx, 17, 3, keys, None).unwrap_err(), Error::InvalidIndex(17));
    let mut bad_keys = keys.clone();
    bad_keys.insert(6, [0; 32]);
    assert!(ceremony::deal(&mut f.rng, &f.ctx, 2, 3, &bad_keys, None).is_err(), "identity transport key");
    let share = KeyShare::from_parts(3, &Scalar::from(5u64).to_bytes()).unwrap();
    assert!(ceremony::deal(&mut f.rng, &f.ctx, 2, 3, keys, Some(&share)).is_err(), "another member's share");
    let all: BTreeMap<u16, [u8; 32]> = (1..=16).map(|j| (j, keys[&1])).collect();
    let full = ceremony::deal(&mut f.rng, &f.ctx, 16, 16, &all, None).unwrap();
    assert_eq!(full.len(), 608 + 32 * 16);
    verify_dealing(&f.ctx, 16, &DealingView::parse(&full, 16).unwrap(), u16::MAX, None).unwrap();
}

#[test]
fn complaints_are_judged() {
    let mut f = fixture(52);
    // dealer 2 cheats receiver 4: one flipped bit of y_4. The dealing still passes.
    let offset = encrypted_share_offset(3, 4);
    let mut cheating = f.bytes.clone();
    cheating[offset] ^= 0x01;
    check(&f, &cheating).unwrap();
    let honest = DealingView::parse(&f.bytes, 3).unwrap();
    let view = DealingView::parse(&cheating, 3).unwrap();
    let (ctx, transports, keys) = (f.ctx, &f.members.transports, &f.members.keys);
    assert_eq!(ceremony::open_sub_share(&ctx, 2, 4, &transports[&4], &view).unwrap_err(), Error::BadDealing { dealer: 2 });
    assert_eq!(ceremony::finish(&mut f.rng, &ctx, 4, &transports[&4], &[(2, view)], false).unwrap_err(), Error::BadDealing { dealer: 2 });
    for j in [1u16, 2, 3, 5] {
        ceremony::open_sub_share(&ctx, 2, j, &transports[&j], &view).unwrap();
    }
    let judge = |j: u16, view: &DealingView, complaint: &[u8; 96]| ceremony::judge_complaint(&ctx, 2, j, &keys[&j], view, complaint);

    // receiver 4's complaint is upheld; against the honest dealing it would be dismissed
    let complaint = ceremony::complain(&mut f.rng, &ctx, 2, 4, &transports[&4], &view).unwrap();
    assert_eq!(judge(4, &view, &complaint).unwrap(), ComplaintVerdict::Upheld);
    let against_honest = ceremony::complain(&mut f.rng, &ctx, 2, 4, &transports[&4], &honest).unwrap();
    assert_eq!(judge(4, &honest, &against_honest).unwrap(), ComplaintVerdict::Dismissed);
    for j in [1u16, 3] {
        let complaint = ceremony::complain(&mut f.rng, &ctx, 2, j, &transports[&j], &view).unwrap();
        assert_eq!(judge(j, &view, &complaint).unwrap(), ComplaintVerdict::Dismissed, "receiver {j}'s sub-share is honest");
    }
    // a sub-share that is not even a scalar is upheld too
    let mut garbage = f.bytes.clone();
    garbage[offset + 31] ^= 0xf0;
    let garbage = DealingView::parse(&garbage, 3).unwrap();
    let complaint_garbage = ceremony::complain(&mut f.rng, &ctx, 2, 4, &transports[&4], &garbage).unwrap();
    assert_eq!(judge(4, &garbage, &complaint_garbage).unwrap(), ComplaintVerdict::Upheld);

    // forged complaints are refused
    let other_point = (G * Scalar::from(1234u64)).compress().to_bytes();
    let mut wrong_k = complaint;
    wrong_k[..32].copy_from_slice(&other_point);
    assert_eq!(judge(4, &view, &wrong_k).unwrap_err(), Error::InvalidComplaintProof);
    for k in [[0u8; 32], [0xff; 32]] {
        let mut bad = complaint;
        bad[..32].copy_from_slice(&k);
        assert_eq!(judge(4, &view, &bad).unwrap_err(), Error::InvalidComplaintProof);
    }
    let mut bad_c = complaint;
    bad_c[32 + 16] = 1;
    assert_eq!(judge(4, &view, &bad_c).unwrap_err(), Error::InvalidComplaintProof);
    let mut bad_z = complaint;
    bad_z[64..].copy_from_slice(&[0xff; 32]);
    assert_eq!(judge(4, &view, &bad_z).unwrap_err(), Error::InvalidComplaintProof);
    let mut bent_z = complaint;
    bent_z[64] ^= 1;
    assert_eq!(judge(4, &view, &bent_z).unwrap_err(), Error::InvalidComplaintProof);
    // receiver 3 cannot complain in 4's name (its own τ: the proof is for T_3, not T_4)
    let impostor = ceremony::complain(&mut f.rng, &ctx, 2, 4, &transports[&3], &view).unwrap();
    assert_eq!(judge(4, &view, &impostor).unwrap_err(), Error::InvalidComplaintProof);
    // nor replay 4's complaint as its own, or against another dealing, epoch or dealer
    assert_eq!(judge(3, &view, &complaint).unwrap_err(), Error::InvalidComplaintProof);
    let other = ceremony::deal(&mut f.rng, &ctx, 2, 3, keys, None).unwrap();
    assert_eq!(judge(4, &DealingView::parse(&other, 3).unwrap(), &complaint).unwrap_err(), Error::InvalidComplaintProof);
    assert_eq!(ceremony::judge_complaint(&context(6), 2, 4, &keys[&4], &view, &complaint).unwrap_err(), Error::InvalidComplaintProof);
    assert_eq!(ceremony::judge_complaint(&ctx, 3, 4, &keys[&4], &view, &complaint).unwrap_err(), Error::InvalidComplaintProof);

    // what a complaint reveals is one receiver's agreed key: each receiver's K_ij differs
    let revealed: Vec<[u8; 32]> =
        (1..=5u16).map(|j| ceremony::complain(&mut f.rng, &ctx, 2, j, &transports[&j], &view).unwrap()[..32].try_into().unwrap()).collect();
    for (a, ka) in revealed.iter().enumerate() {
        for kb in &revealed[a + 1..] {
            assert_ne!(ka, kb);
        }
    }
    // and the agreed key is deterministic (the same for both parties): the same K_ij again
    let again = ceremony::complain(&mut f.rng, &ctx, 2, 4, &transports[&4], &view).unwrap();
    assert_eq!(again[..32], complaint[..32]);
    assert_ne!(again[32..], complaint[32..]);
}

#[test]
fn an_upheld_complaint_removes_the_dealer_from_the_key() {
    let mut rng = StdRng::seed_from_u64(53);
    let ctx = context(9);
    let members = Members::new(&mut rng, &[1, 2, 3]);
    let mut dealings = deal_all(&mut rng, &ctx, &[1, 2, 3], 2, &members, None);
    let offset = encrypted_share_offset(2, 1);
    dealings[2].1[offset + 3] ^= 0x10; // dealer 3 cheats receiver 1
    let all = parse_all(&dealings, 2);
    assert_eq!(ceremony::finish(&mut rng, &ctx, 1, &members.transports[&1], &all, false).unwrap_err(), Error::BadDealing { dealer: 3 });
    let complaint = ceremony::complain(&mut rng, &ctx, 3, 1, &members.transports[&1], &all[2].1).unwrap();
    assert_eq!(ceremony::judge_complaint(&ctx, 3, 1, &members.keys[&1], &all[2].1, &complaint).unwrap(), ComplaintVerdict::Upheld);
    // Q = {1, 2}: the program subtracts C_{3,0} from its running sum
    let qualified = &all[..2];
    let shares = finish_all(&mut rng, &ctx, &members, qualified, false);
    let pk = ceremony::group_key(qualified).unwrap().to_bytes();
    assert_eq!((G * secret_of(&shares, 2)).compress().to_bytes(), pk);
    let running = all.iter().fold([0u8; 32], |sum, (_, view)| ceremony::add_points(&sum, view.commitment(0)).unwrap());
    assert_eq!(ceremony::subtract_points(&running, all[2].1.commitment(0)).unwrap(), pk);
    assert_eq!(running, ceremony::group_key(&all).unwrap().to_bytes());
}

#[test]
fn verify_confirmation_refuses_wrong_shares_and_proofs() {
    let mut rng = StdRng::seed_from_u64(54);
    let ctx = context(10);
    let members = Members::new(&mut rng, &[1, 2, 3, 4]);
    let dealings = deal_all(&mut rng, &ctx, &[1, 2, 3, 4], 3, &members, None);
    let views = parse_all(&dealings, 3);
    let one = ceremony::finish(&mut rng, &ctx, 1, &members.transports[&1], &views, false).unwrap();
    let two = ceremony::finish(&mut rng, &ctx, 2, &members.transports[&2], &views, false).unwrap();
    let (s1, s2) = (one.share.verification_share().to_bytes(), two.share.verification_share().to_bytes());
    verify_confirmation(&ctx, 1, &s1, &one.proof, &views, false).unwrap();
    // 2's valid confirmation is not 1's
    assert_eq!(verify_confirmation(&ctx, 1, &s2, &two.proof, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &two.proof, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    // a wrong S'_j, with a valid proof of possession of its logarithm
    let x = Scalar::random(&mut rng);
    let wrong = (G * x).compress().to_bytes();
    let proof = confirmation_proof(&mut rng, &ctx, 1, &wrong, &x);
    assert_eq!(verify_confirmation(&ctx, 1, &wrong, &proof, &views, false).unwrap_err(), Error::InvalidConfirmation);
    // the right S'_j from someone who does not know s'_j
    let proof = confirmation_proof(&mut rng, &ctx, 1, &s1, &x);
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &proof, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    // another epoch, a changed or non-canonical proof
    assert_eq!(verify_confirmation(&context(11), 1, &s1, &one.proof, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    let mut bad = one.proof;
    bad[40] ^= 1;
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &bad, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    bad = one.proof;
    bad[31] = 1;
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &bad, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    bad[32..].copy_from_slice(&[0xff; 32]);
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &bad, &views, false).unwrap_err(), Error::InvalidConfirmationProof);
    // another qualified set, the wrong kind of ceremony
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &one.proof, &views[..3], false).unwrap_err(), Error::InvalidConfirmation);
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &one.proof, &views, true).unwrap_err(), Error::InvalidConfirmation);
    // malformed inputs
    assert_eq!(verify_confirmation(&ctx, 1, &[0; 32], &one.proof, &views, false).unwrap_err(), Error::IdentityPoint("verification share S'_j"));
    assert!(matches!(verify_confirmation(&ctx, 1, &[0xff; 32], &one.proof, &views, false).unwrap_err(), Error::InvalidPoint(_)));
    assert_eq!(verify_confirmation(&ctx, 0, &s1, &one.proof, &views, false).unwrap_err(), Error::InvalidIndex(0));
    assert!(verify_confirmation(&ctx, 1, &s1, &one.proof, &[], false).is_err());
    let reversed: Vec<_> = views.iter().rev().copied().collect();
    assert!(verify_confirmation(&ctx, 1, &s1, &one.proof, &reversed, false).is_err());
    let doubled = [views[0], views[0]];
    assert_eq!(verify_confirmation(&ctx, 1, &s1, &one.proof, &doubled, false).unwrap_err(), Error::DuplicateIndex(1));
}

#[test]
fn transport_keys_prove_possession() {
    let mut rng = StdRng::seed_from_u64(55);
    let transport = TransportSecret::random(&mut rng);
    let key = transport.public_key();
    let authority = [3u8; 32];
    let proof = transport.prove_possession(&mut rng, &PROGRAM_ID, &CLUSTER, &authority);
    ceremony::verify_transport_key(&PROGRAM_ID, &CLUSTER, &authority, &key, &proof).unwrap();
    for (program_id, cluster, authority) in [(PROGRAM_ID, CLUSTER, [4u8; 32]), (PROGRAM_ID, [9; 32], authority), ([9; 32], CLUSTER, authority)] {
        assert_eq!(ceremony::verify_transport_key(&program_id, &cluster, &authority, &key, &proof).unwrap_err(), Error::InvalidTransportKeyProof);
    }
    let other = TransportSecret::random(&mut rng).public_key();
    assert_eq!(ceremony::verify_transport_key(&PROGRAM_ID, &CLUSTER, &authority, &other, &proof).unwrap_err(), Error::InvalidTransportKeyProof);
    let mut bad = proof;
    bad[32..].copy_from_slice(&[0xff; 32]);
    assert_eq!(ceremony::verify_transport_key(&PROGRAM_ID, &CLUSTER, &authority, &key, &bad).unwrap_err(), Error::InvalidTransportKeyProof);
    assert!(matches!(ceremony::verify_transport_key(&PROGRAM_ID, &CLUSTER, &authority, &[0; 32], &proof).unwrap_err(), Error::IdentityPoint(_)));
    assert!(matches!(ceremony::verify_transport_key(&PROGRAM_ID, &CLUSTER, &authority, &[0xff; 32], &proof).unwrap_err(), Error::InvalidPoint(_)));
    // stored and restored; never printed
    let restored = TransportSecret::from_bytes(transport.to_bytes()).unwrap();
    assert_eq!(restored.public_key(), key);
    assert_eq!(format!("{restored:?}"), "TransportSecret(..)");
    assert!(TransportSecret::from_bytes([0; 32]).is_err());
    assert!(TransportSecret::from_bytes([0xff; 32]).is_err());
}
