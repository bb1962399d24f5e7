//! The `Cluster` account and its membership on the real SBF binary in LiteSVM: the account's
//! bytes (checked against the IDL), `create_cluster` and its event, and the member slots'
//! life — invited, accepted with a transport key the node proves it holds, suspended,
//! removed, reused — with the events and the named errors of each step.

use encrypted_circuits::ceremony::TransportSecret;
use medshare_client::{Address, PROGRAM_ID, discriminator, events::Event, instructions as ix, pda};
use medshare_tests::{
    chain, program_idl, svm,
    world::{Kind, WINDOW_SLOTS, World, expect_error},
};
use rand::SeedableRng;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// Byte offsets of `Cluster` fields (after the 8-byte discriminator), as laid out by
/// `#[repr(C)]` in `programs/medical-records/src/state/cluster.rs`; the IDL test checks them.
mod layout {
    pub const ADMIN: usize = 8;
    pub const CLUSTER_ID: usize = 40;
    pub const EPOCH: usize = 48;
    pub const KEY_EPOCH: usize = 56;
    pub const CEREMONY_EPOCH: usize = 64;
    pub const PUBLIC_KEY: usize = 72;
    pub const THRESHOLD: usize = 104;
    pub const SIZE: usize = 105;
    pub const STATUS: usize = 106;
    pub const BUMP: usize = 107;
    pub const RESERVED: usize = 108;
    pub const MEMBERS: usize = 112;
    pub const MEMBER_LEN: usize = 104;
    pub const MAX_NODES: usize = 16;

    /// Offsets inside one member slot.
    pub mod member {
        pub const AUTHORITY: usize = 0;
        pub const TRANSPORT_KEY: usize = 32;
        pub const VERIFICATION_SHARE: usize = 64;
        pub const FAULTS: usize = 96;
        pub const INDEX: usize = 100;
        pub const STATUS: usize = 101;
        pub const RESERVED: usize = 102;
    }
}

/// Member slot status bytes.
const EMPTY: u8 = 0;
const INVITED: u8 = 1;
const ACTIVE: u8 = 2;
const SUSPENDED: u8 = 3;
const REMOVED: u8 = 4;

/// The size in bytes of an IDL type (bytemuck layouts: no implicit padding).
fn idl_size(idl: &serde_json::Value, ty: &serde_json::Value) -> usize {
    match ty {
        serde_json::Value::String(s) => match s.as_str() {
            "u8" | "i8" | "bool" => 1,
            "u16" | "i16" => 2,
            "u32" | "i32" => 4,
            "u64" | "i64" => 8,
            "u128" | "i128" => 16,
            "pubkey" => 32,
            other => panic!("unexpected IDL type {other}"),
        },
        serde_json::Value::Object(o) if o.contains_key("array") => {
            let array = o["array"].as_array().unwrap();
            idl_size(idl, &array[0]) * array[1].as_u64().unwrap() as usize
        }
        serde_json::Value::Object(o) if o.contains_key("defined") => {
            idl_fields(idl, o["defined"]["name"].as_str().unwrap()).last().map(|(_, at, len)| at + len).unwrap()
        }
        other => panic!("unexpected IDL type {other}"),
    }
}

/// `(name, offset, size)` of each field of IDL type `name`, offsets from the struct's start.
fn idl_fields(idl: &serde_json::Value, name: &str) -> Vec<(String, usize, usize)> {
    let ty = idl["types"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("{name} in the IDL"));
    if ty["type"]["kind"] == "type" {
        let size = idl_size(idl, &ty["type"]["alias"]);
        return vec![(String::new(), 0, size)];
    }
    let mut at = 0;
    let mut fields = Vec::new();
    for field in ty["type"]["fields"].as_array().unwrap() {
        let size = idl_size(idl, &field["type"]);
        fields.push((field["name"].as_str().unwrap().to_owned(), at, size));
        at += size;
    }
    fields
}

#[test]
fn the_cluster_layout_is_the_idls() {
    let idl = program_idl();
    let expected: Vec<(&str, usize)> = vec![
        ("admin", layout::ADMIN),
        ("cluster_id", layout::CLUSTER_ID),
        ("epoch", layout::EPOCH),
        ("key_epoch", layout::KEY_EPOCH),
        ("ceremony_epoch", layout::CEREMONY_EPOCH),
        ("public_key", layout::PUBLIC_KEY),
        ("threshold", layout::THRESHOLD),
        ("size", layout::SIZE),
        ("status", layout::STATUS),
        ("bump", layout::BUMP),
        ("reserved", layout::RESERVED),
        ("members", layout::MEMBERS),
    ];
    let fields = idl_fields(&idl, "Cluster");
    assert_eq!(fields.iter().map(|(name, at, _)| (name.as_str(), at + 8)).collect::<Vec<_>>(), expected);
    let (_, members_at, members_len) = fields.last().unwrap();
    assert_eq!(*members_len, layout::MAX_NODES * layout::MEMBER_LEN);
    assert_eq!(8 + members_at + members_len, medshare_client::accounts::Cluster::LEN);

    let member: Vec<(String, usize)> = idl_fields(&idl, "Member").into_iter().map(|(name, at, _)| (name, at)).collect();
    use layout::member::*;
    let expected = [
        ("authority", AUTHORITY),
        ("transport_key", TRANSPORT_KEY),
        ("verification_share", VERIFICATION_SHARE),
        ("faults", FAULTS),
        ("index", INDEX),
        ("status", STATUS),
        ("reserved", RESERVED),
    ];
    assert_eq!(member, expected.map(|(n, at)| (n.to_owned(), at)));
    assert_eq!(idl_size(&idl, &serde_json::json!({"defined": {"name": "Member"}})), layout::MEMBER_LEN);
}

#[test]
fn create_cluster_writes_the_account_and_emits_the_event() {
    let mut svm = svm::with_program();
    let admin = svm::funded(&mut svm, 10);
    let (ix, cluster) = ix::create_cluster(&admin.pubkey(), 7);
    let meta =
        svm::send(&mut svm, &admin, &[], std::slice::from_ref(&ix)).unwrap_or_else(|e| panic!("create_cluster: {:?}\n{}", e.err, e.meta.logs.join("\n")));
    println!("create_cluster consumed {} CU", meta.compute_units_consumed);

    let account = svm.get_account(&cluster).expect("the cluster account exists");
    assert_eq!(account.owner, PROGRAM_ID);
    let data = &account.data;
    assert_eq!(data.len(), medshare_client::accounts::Cluster::LEN);
    assert_eq!(layout::MEMBERS + layout::MAX_NODES * layout::MEMBER_LEN, medshare_client::accounts::Cluster::LEN);
    assert_eq!(data[..8], discriminator("account", "Cluster"));
    assert_eq!(&data[layout::ADMIN..layout::ADMIN + 32], admin.pubkey().as_ref());
    assert_eq!(data[layout::CLUSTER_ID..layout::CLUSTER_ID + 8], 7u64.to_le_bytes());
    for (field, at) in [("epoch", layout::EPOCH), ("key_epoch", layout::KEY_EPOCH), ("ceremony_epoch", layout::CEREMONY_EPOCH)] {
        assert_eq!(data[at..at + 8], [0; 8], "{field}: no ceremony yet");
    }
    assert_eq!(data[layout::PUBLIC_KEY..layout::PUBLIC_KEY + 32], [0u8; 32], "no cluster key before a ceremony");
    assert_eq!((data[layout::THRESHOLD], data[layout::SIZE], data[layout::STATUS]), (0, 0, 0), "no threshold, no holders, Registering");
    assert_eq!(data[layout::BUMP], pda::cluster(&admin.pubkey(), 7).1);
    assert_eq!(data[layout::RESERVED..layout::MEMBERS], [0; 4]);
    assert!(data[layout::MEMBERS..].iter().all(|b| *b == 0), "member slots start empty");

    let read = chain::svm_events(&admin.pubkey(), &meta);
    assert!(read.problems.is_empty(), "our events decode: {:?}", read.problems);
    let events = read.events;
    assert_eq!(events.len(), 1);
    let Event::ClusterCreated(event) = &events[0] else { panic!("expected ClusterCreated, got {:?}", events[0]) };
    assert_eq!((event.cluster, event.admin, event.cluster_id), (cluster, admin.pubkey(), 7));
}

#[test]
fn create_cluster_needs_the_admin_signature_and_a_fresh_address() {
    let mut svm = svm::with_program();
    let admin = svm::funded(&mut svm, 10);
    let payer = svm::funded(&mut svm, 10);

    // the admin's account listed but not signing: Anchor's Signer check refuses
    let (mut unsigned, cluster) = ix::create_cluster(&admin.pubkey(), 9);
    unsigned.accounts[0].is_signer = false;
    let failure = svm::send(&mut svm, &payer, &[], &[unsigned]).expect_err("unsigned admin");
    assert!(format!("{:?}", failure.err).contains("MissingRequiredSignature"), "expected MissingRequiredSignature, got {:?}", failure.err);
    assert!(svm.get_account(&cluster).is_none_or(|a| a.data.is_empty()));

    // a second create at the same address fails and leaves the first untouched
    let (create, _) = ix::create_cluster(&admin.pubkey(), 9);
    svm::send(&mut svm, &admin, &[], std::slice::from_ref(&create)).expect("first create");
    let before = svm.get_account(&cluster).unwrap().data;
    svm::send(&mut svm, &admin, &[], &[create]).expect_err("the address is taken");
    assert_eq!(svm.get_account(&cluster).unwrap().data, before);
    // another id is another cluster
    let (other, other_cluster) = ix::create_cluster(&admin.pubkey(), 10);
    svm::send(&mut svm, &admin, &[], &[other]).expect("another id");
    assert_ne!(other_cluster, cluster);
}

/// The raw bytes of member slot `index` (1-based).
fn slot(world: &World, index: u8) -> Vec<u8> {
    let data = world.account(&world.cluster).expect("cluster");
    let at = layout::MEMBERS + (usize::from(index) - 1) * layout::MEMBER_LEN;
    data[at..at + layout::MEMBER_LEN].to_vec()
}

fn status(world: &World, index: u8) -> u8 {
    slot(world, index)[layout::member::STATUS]
}

/// A fresh transport key and its proof for `authority` in `cluster`.
fn transport_key(rng: &mut rand::rngs::StdRng, cluster: &Address, authority: &Address) -> (TransportSecret, [u8; 64]) {
    let secret = TransportSecret::random(rng);
    let proof = secret.prove_possession(rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &authority.to_bytes());
    (secret, proof)
}

#[test]
fn an_invited_node_accepts_with_its_transport_key() {
    use layout::member::*;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let mut world = World::registered(2, 0);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    let node = world.funded_wallet(5);

    let invited = world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &node.pubkey())]);
    let [Event::NodeInvited(event)] = invited.events.as_slice() else { panic!("expected NodeInvited, got {:?}", invited.events) };
    assert_eq!((event.cluster, event.index, event.authority), (cluster, 1, node.pubkey()));
    let bytes = slot(&world, 1);
    assert_eq!(&bytes[AUTHORITY..AUTHORITY + 32], node.pubkey().as_ref());
    assert_eq!((bytes[INDEX], bytes[STATUS]), (1, INVITED));
    assert!(bytes[TRANSPORT_KEY..INDEX].iter().all(|b| *b == 0), "no transport key, share or faults yet");
    assert_eq!(bytes[RESERVED..], [0, 0]);
    assert!(slot(&world, 2).iter().all(|b| *b == 0), "the other slots stay empty");

    let (secret, proof) = transport_key(&mut rng, &cluster, &node.pubkey());
    let accepted = world.ok("accept_invitation", &node, &[], &[ix::accept_invitation(&node.pubkey(), &cluster, secret.public_key(), proof)]);
    let [Event::NodeAccepted(event)] = accepted.events.as_slice() else { panic!("expected NodeAccepted, got {:?}", accepted.events) };
    assert_eq!((event.cluster, event.index, event.authority, event.transport_key), (cluster, 1, node.pubkey(), secret.public_key()));
    let bytes = slot(&world, 1);
    assert_eq!((&bytes[AUTHORITY..AUTHORITY + 32], &bytes[TRANSPORT_KEY..TRANSPORT_KEY + 32]), (node.pubkey().as_ref(), &secret.public_key()[..]));
    assert_eq!((bytes[INDEX], bytes[STATUS]), (1, ACTIVE));
    assert_eq!(bytes[VERIFICATION_SHARE..VERIFICATION_SHARE + 32], [0; 32], "no share before a ceremony");
    assert_eq!(bytes[FAULTS..FAULTS + 4], [0; 4]);
    let decoded = world.cluster_account();
    assert_eq!(decoded.members.len(), 1);
    assert_eq!((decoded.members[0].index, decoded.members[0].transport_key), (1, secret.public_key()));
    // accepting is once
    let (again, again_proof) = transport_key(&mut rng, &cluster, &node.pubkey());
    expect_error(world.send("x", &node, &[], &[ix::accept_invitation(&node.pubkey(), &cluster, again.public_key(), again_proof)]), "NotInvited");
    // the next invitation takes the next slot
    let second = world.funded_wallet(5);
    world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &second.pubkey())]);
    assert_eq!((slot(&world, 2)[INDEX], status(&world, 2)), (2, INVITED));
    // only the admin invites
    let stranger = world.funded_wallet(5);
    expect_error(world.send("x", &stranger, &[], &[ix::invite_node(&stranger.pubkey(), &cluster, &stranger.pubkey())]), "NotClusterAdmin");
}

#[test]
fn a_transport_key_needs_the_nodes_own_proof() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let mut world = World::registered(2, 0);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    let node = world.funded_wallet(5);
    let other = world.funded_wallet(5);
    world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &node.pubkey())]);
    let (other_cluster_ix, other_cluster) = ix::create_cluster(&admin.pubkey(), 2);
    world.ok("create_cluster", &admin, &[], &[other_cluster_ix]);

    let secret = TransportSecret::random(&mut rng);
    let key = secret.public_key();
    let prove = |rng: &mut rand::rngs::StdRng, program: &Address, cluster: &Address, authority: &Address| {
        secret.prove_possession(rng, &program.to_bytes(), &cluster.to_bytes(), &authority.to_bytes())
    };
    let accept = |proof: [u8; 64]| ix::accept_invitation(&node.pubkey(), &cluster, key, proof);
    let cases = [
        ("another authority", prove(&mut rng, &PROGRAM_ID, &cluster, &other.pubkey())),
        ("another cluster", prove(&mut rng, &PROGRAM_ID, &other_cluster, &node.pubkey())),
        ("another program", prove(&mut rng, &Address::new_from_array([7; 32]), &cluster, &node.pubkey())),
        ("another key", TransportSecret::random(&mut rng).prove_possession(&mut rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &node.pubkey().to_bytes())),
        ("no proof", [0; 64]),
    ];
    for (what, proof) in cases {
        let failure = world.send("x", &node, &[], &[accept(proof)]);
        assert_eq!(expect_error(failure, "InvalidTransportKeyProof"), 6038, "a proof made for {what}");
    }
    let mut tampered = prove(&mut rng, &PROGRAM_ID, &cluster, &node.pubkey());
    tampered[40] ^= 1;
    expect_error(world.send("x", &node, &[], &[accept(tampered)]), "InvalidTransportKeyProof");
    // not a key at all
    for bad in [[0u8; 32], [0xff; 32]] {
        expect_error(world.send("x", &node, &[], &[ix::accept_invitation(&node.pubkey(), &cluster, bad, tampered)]), "InvalidTransportKey");
    }
    // the admin cannot accept in the node's place, even with the node's proof
    let proof = prove(&mut rng, &PROGRAM_ID, &cluster, &node.pubkey());
    expect_error(world.send("x", &admin, &[], &[ix::accept_invitation(&admin.pubkey(), &cluster, key, proof)]), "NotInvited");
    assert_eq!(status(&world, 1), INVITED, "nothing changed");
    world.ok("accept_invitation", &node, &[], &[accept(proof)]);
    assert_eq!(status(&world, 1), ACTIVE);
}

#[test]
fn duplicate_members_and_transport_keys_are_refused() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let mut world = World::registered(2, 2);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    let node1 = world.nodes[0].authority.insecure_clone();
    let node2 = world.nodes[1].authority.insecure_clone();
    expect_error(world.send("x", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &node1.pubkey())]), "AlreadyMember");
    let newcomer = world.funded_wallet(5);
    world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &newcomer.pubkey())]);
    expect_error(world.send("x", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &newcomer.pubkey())]), "AlreadyMember");

    // node 1's transport key, whatever the proof
    let taken = world.cluster_account().members[0].transport_key;
    let (_, proof) = transport_key(&mut rng, &cluster, &newcomer.pubkey());
    expect_error(world.send("x", &newcomer, &[], &[ix::accept_invitation(&newcomer.pubkey(), &cluster, taken, proof)]), "DuplicateTransportKey");
    let (secret, proof) = transport_key(&mut rng, &cluster, &newcomer.pubkey());
    world.ok("accept_invitation", &newcomer, &[], &[ix::accept_invitation(&newcomer.pubkey(), &cluster, secret.public_key(), proof)]);
    // nor can a member rotate to another member's key
    let (_, proof) = transport_key(&mut rng, &cluster, &node2.pubkey());
    expect_error(world.send("x", &node2, &[], &[ix::rotate_transport_key(&node2.pubkey(), &cluster, taken, proof)]), "DuplicateTransportKey");
    let keys: std::collections::BTreeSet<[u8; 32]> = world.cluster_account().members.iter().map(|m| m.transport_key).collect();
    assert_eq!(keys.len(), 3, "three members, three keys");
}

#[test]
fn removing_an_invitation_empties_its_slot() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut world = World::registered(2, 2);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    let invitee = world.funded_wallet(5);
    world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &invitee.pubkey())]);
    expect_error(world.send("x", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 3)]), "WrongMemberStatus");
    let stranger = world.funded_wallet(5);
    expect_error(world.send("x", &stranger, &[], &[ix::remove_node(&stranger.pubkey(), &cluster, 3)]), "NotClusterAdmin");
    let removed = world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 3)]);
    let [Event::NodeRemoved(event)] = removed.events.as_slice() else { panic!("expected NodeRemoved, got {:?}", removed.events) };
    assert_eq!((event.cluster, event.index, event.authority), (cluster, 3, invitee.pubkey()));
    let bytes = slot(&world, 3);
    assert_eq!(bytes[layout::member::STATUS], EMPTY);
    assert!(bytes[..layout::member::INDEX].iter().all(|b| *b == 0), "the authority is gone");
    assert!(world.cluster_account().member(&invitee.pubkey()).is_none());
    expect_error(world.send("x", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 3)]), "NotAMember");
    // the withdrawn invitation cannot be accepted
    let (secret, proof) = transport_key(&mut rng, &cluster, &invitee.pubkey());
    expect_error(world.send("x", &invitee, &[], &[ix::accept_invitation(&invitee.pubkey(), &cluster, secret.public_key(), proof)]), "NotInvited");
    // and the slot is the next one offered
    assert_eq!(world.add_member(), 3);
    assert_eq!(status(&world, 3), ACTIVE);
}

#[test]
fn a_removed_member_frees_its_slot_once_it_holds_no_share() {
    // no ceremony yet: a removed member holds no share, and its slot is free at once
    let mut world = World::registered(2, 3);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 2)]);
    assert_eq!(status(&world, 2), REMOVED);
    expect_error(world.send("x", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 2)]), "WrongMemberStatus");
    expect_error(world.send("x", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 2)]), "WrongMemberStatus");
    assert_eq!(world.add_member(), 2, "the removed member's slot is reused");

    // a removed member that holds a share keeps its slot until a ceremony activates without it
    let mut world = World::new(2, 3);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 2)]);
    assert!(world.cluster_account().member_at(2).unwrap().holds_share());
    assert_eq!(world.add_member(), 4, "slot 2 still holds a share of the serving epoch");
    world.start(Kind::Resharing, 2, WINDOW_SLOTS).expect("reshare to 1, 3 and 4");
    assert_eq!(world.ceremony().receivers, 0b1101);
    assert_eq!(world.ceremony().dealers, 0b0101, "the removed member does not deal");
    world.run_ceremony();
    let after = world.cluster_account();
    assert!(!after.member_at(2).unwrap().holds_share(), "the resharing left its share behind");
    assert_eq!((after.size, after.threshold), (3, 2));
    assert_eq!(world.add_member(), 2, "now the slot is free");
}

#[test]
fn suspension_is_for_active_members() {
    let mut world = World::registered(2, 3);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    let suspended = world.ok("suspend_node", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 1)]);
    let [Event::NodeSuspended(event)] = suspended.events.as_slice() else { panic!("expected NodeSuspended, got {:?}", suspended.events) };
    assert_eq!((event.cluster, event.index), (cluster, 1));
    assert_eq!(status(&world, 1), SUSPENDED);
    expect_error(world.send("x", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 1)]), "WrongMemberStatus");
    expect_error(world.send("x", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 9)]), "NotAMember");
    let stranger = world.funded_wallet(5);
    expect_error(world.send("x", &stranger, &[], &[ix::suspend_node(&stranger.pubkey(), &cluster, 2)]), "NotClusterAdmin");
    // a suspended member may still be removed
    world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 1)]);
    assert_eq!(status(&world, 1), REMOVED);
}

#[test]
fn a_member_rotates_its_transport_key_until_it_is_removed() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut world = World::registered(2, 3);
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    let rotate = |who: &Keypair, key: [u8; 32], proof: [u8; 64]| ix::rotate_transport_key(&who.pubkey(), &cluster, key, proof);

    let node1 = world.nodes[0].authority.insecure_clone();
    let (fresh, proof) = transport_key(&mut rng, &cluster, &node1.pubkey());
    // the old key's proof does not prove the new key
    let old_proof = world.nodes[0].transport.prove_possession(&mut rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &node1.pubkey().to_bytes());
    expect_error(world.send("x", &node1, &[], &[rotate(&node1, fresh.public_key(), old_proof)]), "InvalidTransportKeyProof");
    let rotated = world.ok("rotate_transport_key", &node1, &[], &[rotate(&node1, fresh.public_key(), proof)]);
    let [Event::TransportKeyRotated(event)] = rotated.events.as_slice() else { panic!("expected TransportKeyRotated, got {:?}", rotated.events) };
    assert_eq!((event.cluster, event.index, event.transport_key), (cluster, 1, fresh.public_key()));
    let bytes = slot(&world, 1);
    assert_eq!(bytes[layout::member::TRANSPORT_KEY..layout::member::TRANSPORT_KEY + 32], fresh.public_key());
    assert_eq!(bytes[layout::member::STATUS], ACTIVE);

    // suspended: still rotates
    let node2 = world.nodes[1].authority.insecure_clone();
    world.ok("suspend_node", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 2)]);
    let (fresh2, proof2) = transport_key(&mut rng, &cluster, &node2.pubkey());
    world.ok("rotate_transport_key", &node2, &[], &[rotate(&node2, fresh2.public_key(), proof2)]);
    assert_eq!(world.cluster_account().member_at(2).unwrap().transport_key, fresh2.public_key());

    // removed: refused, and the key stays
    let node3 = world.nodes[2].authority.insecure_clone();
    world.ok("remove_node", &admin, &[], &[ix::remove_node(&admin.pubkey(), &cluster, 3)]);
    let before = slot(&world, 3);
    let (fresh3, proof3) = transport_key(&mut rng, &cluster, &node3.pubkey());
    expect_error(world.send("x", &node3, &[], &[rotate(&node3, fresh3.public_key(), proof3)]), "WrongMemberStatus");
    assert_eq!(slot(&world, 3), before);

    // invited, not accepted: refused; a stranger: not a member
    let invitee = world.funded_wallet(5);
    world.ok("invite_node", &admin, &[], &[ix::invite_node(&admin.pubkey(), &cluster, &invitee.pubkey())]);
    let (fresh4, proof4) = transport_key(&mut rng, &cluster, &invitee.pubkey());
    expect_error(world.send("x", &invitee, &[], &[rotate(&invitee, fresh4.public_key(), proof4)]), "WrongMemberStatus");
    let stranger = world.funded_wallet(5);
    let (fresh5, proof5) = transport_key(&mut rng, &cluster, &stranger.pubkey());
    expect_error(world.send("x", &stranger, &[], &[rotate(&stranger, fresh5.public_key(), proof5)]), "NotAMember");
}
