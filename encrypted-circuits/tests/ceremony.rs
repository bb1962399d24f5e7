//! The key ceremony: every node agrees on `PK` and the `S_i`, the shares interpolate to
//! `PK`, and a bad dealing names its dealer.

use encrypted_circuits::{
    Error,
    ceremony::{CeremonyParams, Participant, TransportSecret},
    threshold::lagrange_at_zero,
    vectors::run_ceremony,
};
use rand::{SeedableRng, rngs::StdRng};
use std::collections::BTreeMap;

#[test]
fn all_nodes_agree_on_the_cluster_key() {
    for (t, n) in [(3u16, 5u16), (5, 5), (2, 2)] {
        let mut rng = StdRng::seed_from_u64(u64::from(t * 10 + n));
        let outputs = run_ceremony(&mut rng, CeremonyParams { cluster: [1; 32], epoch: 0, size: n, threshold: t }).unwrap();
        let pk = outputs[0].cluster_key;
        for (i, output) in outputs.iter().enumerate() {
            assert_eq!(output.cluster_key, pk, "node {} disagrees on PK", i + 1);
            assert_eq!(output.verification_shares, outputs[0].verification_shares);
            assert_eq!(output.share.index() as usize, i + 1);
            assert_eq!(output.verification_shares[&output.share.index()], output.share.verification_share());
        }
        // s = Σ λ_i s_i over any t nodes: checked in the exponent
        let indices: Vec<u16> = (1..=t).collect();
        let lambdas = lagrange_at_zero(&indices).unwrap();
        let secret: curve25519_dalek::Scalar = indices
            .iter()
            .zip(&lambdas)
            .map(|(i, l)| curve25519_dalek::Scalar::from_bytes_mod_order(outputs[usize::from(*i) - 1].share.secret_bytes()) * l)
            .sum();
        assert_eq!((curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT * secret).compress().to_bytes(), pk.to_bytes());
    }
}

/// Runs rounds 1 and 2 for a 3-of-5 cluster and returns what finishing needs.
struct Dealt {
    nodes: Vec<Participant>,
    transports: Vec<TransportSecret>,
    keys: BTreeMap<u16, [u8; 32]>,
    round1: BTreeMap<u16, Vec<u8>>,
    inbox: BTreeMap<u16, BTreeMap<u16, Vec<u8>>>,
}

/// The 3-of-5 ceremony most tests here use.
const THREE_OF_FIVE: CeremonyParams = CeremonyParams { cluster: [2; 32], epoch: 1, size: 5, threshold: 3 };

fn deal(rng: &mut StdRng, params: CeremonyParams, corrupt_round1_of: Option<u16>) -> Result<Dealt, Error> {
    let n = params.size;
    let transports: Vec<TransportSecret> = (0..n).map(|_| TransportSecret::random(rng)).collect();
    let keys: BTreeMap<u16, [u8; 32]> = (1..=n).map(|i| (i, transports[usize::from(i) - 1].public_key())).collect();
    let mut nodes = Vec::new();
    let mut round1 = BTreeMap::new();
    for i in 1..=n {
        let (node, package) = Participant::round1(rng, params, i)?;
        nodes.push(node);
        round1.insert(i, package);
    }
    if let Some(dealer) = corrupt_round1_of {
        // flip a bit of the proof of knowledge: it no longer verifies
        let package = round1.get_mut(&dealer).expect("dealt");
        let last = package.len() - 2;
        package[last] ^= 0x01;
        let honest: u16 = if dealer == 1 { 2 } else { 1 };
        nodes[usize::from(honest) - 1].round2(rng, &transports[usize::from(honest) - 1], &round1, &keys)?;
        unreachable!("round 2 must reject the foreign package");
    }
    let mut inbox: BTreeMap<u16, BTreeMap<u16, Vec<u8>>> = BTreeMap::new();
    for (i, node) in (1..=n).zip(nodes.iter_mut()) {
        for (to, sealed) in node.round2(rng, &transports[usize::from(i) - 1], &round1, &keys)? {
            inbox.entry(to).or_default().insert(i, sealed);
        }
    }
    Ok(Dealt { nodes, transports, keys, round1, inbox })
}

#[test]
fn a_corrupted_round2_package_names_its_dealer() {
    let mut rng = StdRng::seed_from_u64(21);
    let mut dealt = deal(&mut rng, THREE_OF_FIVE, None).unwrap();
    let sealed = dealt.inbox.get_mut(&4).unwrap().get_mut(&2).unwrap();
    let middle = sealed.len() / 2;
    sealed[middle] ^= 0x40;
    let node4 = dealt.nodes.remove(3);
    let error = node4.finish(&dealt.transports[3], &dealt.keys, &dealt.inbox[&4]).unwrap_err();
    assert_eq!(error, Error::BadDealing { dealer: 2 });
}

#[test]
fn a_package_sealed_for_someone_else_names_its_dealer() {
    let mut rng = StdRng::seed_from_u64(22);
    let mut dealt = deal(&mut rng, THREE_OF_FIVE, None).unwrap();
    // node 5 forwards to node 1 the package it dealt to node 3
    let misdirected = dealt.inbox[&3][&5].clone();
    dealt.inbox.get_mut(&1).unwrap().insert(5, misdirected);
    let node1 = dealt.nodes.remove(0);
    assert_eq!(node1.finish(&dealt.transports[0], &dealt.keys, &dealt.inbox[&1]).unwrap_err(), Error::BadDealing { dealer: 5 });
}

#[test]
fn a_bad_round1_package_names_its_dealer() {
    let mut rng = StdRng::seed_from_u64(23);
    let error = deal(&mut rng, THREE_OF_FIVE, Some(3)).err().expect("must fail");
    assert_eq!(error, Error::BadDealing { dealer: 3 });
}

#[test]
fn parameters_are_checked() {
    let mut rng = StdRng::seed_from_u64(24);
    let params = CeremonyParams { cluster: [0; 32], epoch: 0, size: 3, threshold: 2 };
    assert_eq!(Participant::round1(&mut rng, params, 0).unwrap_err(), Error::InvalidIndex(0));
    assert_eq!(Participant::round1(&mut rng, params, 4).unwrap_err(), Error::InvalidIndex(4));
    assert!(Participant::round1(&mut rng, CeremonyParams { threshold: 4, ..params }, 1).is_err());
    assert!(Participant::round1(&mut rng, CeremonyParams { threshold: 1, ..params }, 1).is_err());
}

/// The program sizes its ceremony accounts from these lengths (docs/protocol.md §8).
#[test]
fn package_sizes_are_fixed_by_the_threshold() {
    let mut rng = StdRng::seed_from_u64(25);
    for (t, n) in [(2u16, 3u16), (3, 5), (16, 16)] {
        let params = CeremonyParams { cluster: [3; 32], epoch: 0, size: n, threshold: t };
        let Dealt { round1, inbox, .. } = deal(&mut rng, params, None).unwrap();
        let sealed = &inbox[&2];
        println!("t={t} n={n}: round-1 {} bytes, sealed round-2 {} bytes", round1[&1].len(), sealed[&1].len());
        assert!(round1.values().all(|p| p.len() == encrypted_circuits::ceremony::round1_len(t)));
        assert!(inbox.values().flat_map(|from| from.values()).all(|p| p.len() == encrypted_circuits::ceremony::SEALED_ROUND2_LEN));
    }
}
