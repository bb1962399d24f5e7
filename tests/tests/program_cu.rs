//! Compute units of every instruction on the real `.so`, next to the compute-unit limit the
//! client requests for it (`medshare_client::compute`): `cargo xtask cu` runs this with
//! `MEDSHARE_CU_REPORT` set and the report is written there as
//! `{"transaction": {"used": units, "limit": requested}}`.
//! The test checks that every instruction of the IDL is measured and that **every measured
//! use is below the limit the client requests** (so a program change that outgrows a limit
//! fails here). The transactions this file builds itself are sent exactly as
//! `Connection::send` prepares them (`compute::with_compute_budget`, with a price), so the
//! runtime enforces those limits too. The ceremony's instructions are measured in a 3-of-5
//! key generation with a cheating dealer (its complaint upheld) and a wrong complaint
//! (dismissed), and in the largest ceremony (16 members, t' = 16), where the limits are set.

use encrypted_circuits::ceremony::{TransportSecret, encrypted_share_offset};
use medshare_client::{PROGRAM_ID, accounts::CeremonyPhase, compute, discriminator, events::Event, instructions as ix};
use medshare_tests::{
    program_idl,
    world::{Kind, WINDOW_SLOTS, World},
};
use rand::SeedableRng;
use solana_instruction::Instruction;
use solana_signer::Signer;
use std::collections::BTreeMap;

/// `instructions` as `Connection::send` sends them: the table's compute-unit limit (unless
/// the caller set one) and a priority fee of 1 micro-lamport per CU.
fn as_sent(instructions: &[Instruction]) -> Vec<Instruction> {
    compute::with_compute_budget(instructions, 1)
}

/// The limit the client requests for a transaction holding one instruction of the report
/// entry `entry` (named `instruction` or `instruction (case)`), with no limit of the caller's.
fn requested_limit(entry: &str) -> u32 {
    let name = entry.split(" (").next().expect("a name");
    assert!(compute::instruction_limit(name).is_some(), "{name} is not in the client's compute-unit table");
    let instruction = Instruction { program_id: PROGRAM_ID, accounts: Vec::new(), data: discriminator("global", name).to_vec() };
    compute::compute_unit_limit(&[instruction])
}

/// Receiver `j` complains against `dealer`; the transaction's CU and events.
fn complain(world: &mut World, j: u8, dealer: u8) -> (u64, Vec<Event>) {
    let complaint = world.complaint(j, dealer);
    let sent = world.complain(j, dealer, complaint).unwrap_or_else(|e| panic!("complain: {:?}\n{}", e.err, e.logs.join("\n")));
    (sent.compute_units_consumed, sent.events)
}

/// Folds every qualified dealing of the latest ceremony; the CU of each fold.
fn fold_all(world: &mut World) -> Vec<u64> {
    let on_chain = world.ceremony();
    let (admin, cluster) = (world.admin.insecure_clone(), world.cluster);
    on_chain
        .unfolded()
        .into_iter()
        .map(|dealer| world.ok("fold_dealing", &admin, &[], &ix::fold_dealing_transaction(&cluster, on_chain.epoch, dealer)).compute_units_consumed)
        .collect()
}

#[test]
fn every_instruction_is_measured() {
    let mut world = World::new(3, 5);
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let mut units: BTreeMap<String, u64> = world.compute_units.clone();
    let admin = world.admin.insecure_clone();
    let cluster = world.cluster;
    units.insert("post_dealing (last chunk: checks a 3-of-5 dealing)".into(), units["post_dealing"]);
    units.insert("confirm_ceremony (3-of-5, the confirmation that activates)".into(), units["confirm_ceremony"]);

    // --- a 3-of-5 key generation, step by step: dealer 1 encrypts a bad sub-share to node 2
    world.start(Kind::KeyGeneration, 3, WINDOW_SLOTS).expect("start_epoch");
    units.insert("start_epoch".into(), world.compute_units["start_epoch"]);
    let mut cheat = world.dealing_bytes(1);
    cheat[encrypted_share_offset(3, 2)] ^= 1;
    let dealt = world.post_dealing(1, &cheat).expect("a bad sub-share passes the public checks");
    assert!(dealt.events.iter().any(|e| matches!(e, Event::DealingPosted(p) if p.dealer == 1)), "{:?}", dealt.events);
    units.insert("post_dealing".into(), dealt.compute_units_consumed);
    units.insert("post_dealing (last chunk: checks a 3-of-5 dealing)".into(), dealt.compute_units_consumed);
    for i in 2..=5 {
        let sent = world.deal(i).expect("deal");
        if i == 5 {
            assert_eq!(world.ceremony().phase, CeremonyPhase::Confirming);
            units.insert("post_dealing (last dealing: checks it and closes dealing)".into(), sent.compute_units_consumed);
        }
    }
    let (upheld, events) = complain(&mut world, 2, 1);
    assert!(events.iter().any(|e| matches!(e, Event::ComplaintUpheld(c) if c.dealer == 1 && c.receiver == 2)), "{events:?}");
    units.insert("complain".into(), upheld);
    units.insert("complain (upheld: dealer disqualified)".into(), upheld);
    let (dismissed, events) = complain(&mut world, 3, 2);
    assert!(events.iter().any(|e| matches!(e, Event::ComplaintDismissed(c) if c.dealer == 2 && c.receiver == 3)), "{events:?}");
    units.insert("complain (dismissed: complainer at fault)".into(), dismissed);
    let folds = fold_all(&mut world);
    assert_eq!(folds.len(), 4, "Q = {{2, 3, 4, 5}}");
    units.insert("fold_dealing".into(), *folds.iter().max().unwrap());
    units.insert("fold_dealing (t' = 3)".into(), *folds.iter().max().unwrap());
    for j in 1..=5 {
        let sent = world.confirm(j).expect("confirm");
        match j {
            1 => {
                units.insert("confirm_ceremony".into(), sent.compute_units_consumed);
                units.insert("confirm_ceremony (3-of-5)".into(), sent.compute_units_consumed);
            }
            5 => {
                assert!(sent.events.iter().any(|e| matches!(e, Event::ClusterActivated(_))), "{:?}", sent.events);
                units.insert("confirm_ceremony (3-of-5, the confirmation that activates)".into(), sent.compute_units_consumed);
            }
            _ => {}
        }
    }
    assert_eq!(world.epoch(), 2);

    // --- records and shares, under the new key
    let patient = world.user();
    let doctor = world.user();
    units.insert("register_user_key".into(), world.compute_units["register_user_key"]);

    // store_patient_data: a new record with 1 KiB inline in the one instruction
    let args = world.sealed_args(&patient, 1, 1, &vec![0x61; 1024 - 23]);
    assert_eq!(args.chunk.len(), 1024);
    let wallet = patient.wallet.insecure_clone();
    let (store, record) = ix::store_patient_data(&wallet.pubkey(), &cluster, 1, &args);
    units.insert("store_patient_data".into(), world.ok("store_patient_data", &wallet, &[], &as_sent(&[store])).compute_units_consumed);
    // append_patient_data: a 600-byte chunk of a second record
    let args2 = world.sealed_args(&patient, 2, 1, &vec![0x62; 1500]);
    let (store2, record2) = ix::store_patient_data(&wallet.pubkey(), &cluster, 2, &ix::StoreArgs { chunk: args2.chunk[..600].to_vec(), ..args2.clone() });
    world.ok("store_patient_data", &wallet, &[], &as_sent(&[store2]));
    let append = ix::append_patient_data(&wallet.pubkey(), &record2, 1, 600, &args2.chunk[600..1200]);
    units.insert("append_patient_data".into(), world.ok("append_patient_data", &wallet, &[], &as_sent(&[append])).compute_units_consumed);

    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    units.insert("share_patient_data".into(), world.compute_units["share_patient_data"]);
    // the callback: a verified partial that does not complete, the one that completes, and a rejected one
    units.insert("share_patient_data_callback".into(), world.answer(1, &request).unwrap().compute_units_consumed);
    let mut bad = world.partial(4, &request);
    bad.proof.z_r[1] ^= 1;
    units.insert("share_patient_data_callback (rejected proof)".into(), world.post_partial(4, &request, &bad).unwrap().compute_units_consumed);
    world.answer(2, &request).unwrap();
    units.insert("share_patient_data_callback (completing)".into(), world.answer(3, &request).unwrap().compute_units_consumed);

    let pending = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).unwrap();
    units.insert(
        "revoke_share".into(),
        world.ok("revoke_share", &wallet, &[], &as_sent(&[ix::revoke_share(&wallet.pubkey(), &pending)])).compute_units_consumed,
    );
    // expire_share_request: anyone marks a pending request past its expiry
    let now = world.now();
    let expiring = world.share(&patient, &record, &doctor.wallet.pubkey(), now + 10).unwrap();
    world.set_time(now + 11);
    let stranger = world.funded_wallet(1);
    units.insert(
        "expire_share_request".into(),
        world.ok("expire_share_request", &stranger, &[], &as_sent(&[ix::expire_share_request(&expiring)])).compute_units_consumed,
    );
    units.insert(
        "close_share_request".into(),
        world.ok("close_share_request", &wallet, &[], &as_sent(&[ix::close_share_request(&wallet.pubkey(), &pending)])).compute_units_consumed,
    );
    units.insert(
        "close_record".into(),
        world.ok("close_record", &wallet, &[], &as_sent(&[ix::close_record(&wallet.pubkey(), &record2)])).compute_units_consumed,
    );

    // --- housekeeping: epoch 1 is over, so its dealings close
    let node1 = world.nodes[0].authority.insecure_clone();
    units.insert(
        "close_dealing".into(),
        world.ok("close_dealing", &node1, &[], &as_sent(&[ix::close_dealing(&node1.pubkey(), &cluster, 1, 1)])).compute_units_consumed,
    );
    assert!(world.account(&medshare_client::pda::dealing(&cluster, 1, 1)).is_none());

    // --- membership
    let fresh = TransportSecret::random(&mut rng);
    let proof = fresh.prove_possession(&mut rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &node1.pubkey().to_bytes());
    let rotate = ix::rotate_transport_key(&node1.pubkey(), &cluster, fresh.public_key(), proof);
    units.insert("rotate_transport_key".into(), world.ok("rotate_transport_key", &node1, &[], &as_sent(&[rotate])).compute_units_consumed);
    world.nodes[0].transport = fresh;
    units.insert(
        "suspend_node".into(),
        world.ok("suspend_node", &admin, &[], &as_sent(&[ix::suspend_node(&admin.pubkey(), &cluster, 5)])).compute_units_consumed,
    );
    units.insert("remove_node".into(), world.ok("remove_node", &admin, &[], &as_sent(&[ix::remove_node(&admin.pubkey(), &cluster, 5)])).compute_units_consumed);

    // --- a resharing to nodes 1..4 moved on by advance_ceremony at both deadlines
    world.start(Kind::Resharing, 3, WINDOW_SLOTS).expect("reshare");
    units.insert("reshare".into(), world.compute_units["reshare"]);
    for i in 1..=3 {
        world.deal(i).expect("deal");
    }
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    let closed = world.advance().expect("dealing closes without dealer 4");
    assert_eq!(world.ceremony().phase, CeremonyPhase::Confirming);
    units.insert("advance_ceremony".into(), closed.compute_units_consumed);
    units.insert("advance_ceremony (closes dealing)".into(), closed.compute_units_consumed);
    for j in 1..=3 {
        world.confirm(j).expect("confirm");
    }
    world.pass_slots(u64::from(WINDOW_SLOTS) + 1);
    let activated = world.advance().expect("activates with 3 of 4 receivers");
    assert_eq!(world.epoch(), 3);
    units.insert("advance_ceremony (activates without a late receiver)".into(), activated.compute_units_consumed);

    largest_ceremonies(&mut units);

    let idl = program_idl();
    for instruction in idl["instructions"].as_array().unwrap() {
        let name = instruction["name"].as_str().unwrap();
        assert!(units.contains_key(name), "{name} is not measured");
    }
    let report: BTreeMap<String, serde_json::Value> =
        units.iter().map(|(entry, used)| (entry.clone(), serde_json::json!({ "used": used, "limit": requested_limit(entry) }))).collect();
    let json = serde_json::to_string_pretty(&report).unwrap();
    println!("{json}");
    if let Some(path) = std::env::var_os("MEDSHARE_CU_REPORT") {
        std::fs::write(path, json + "\n").expect("write the CU report");
    }
    let outgrown: Vec<String> = units
        .iter()
        .filter(|(entry, used)| **used >= u64::from(requested_limit(entry)))
        .map(|(entry, used)| format!("{entry}: used {used} of {}", requested_limit(entry)))
        .collect();
    assert!(outgrown.is_empty(), "transactions that outgrew the limit the client requests (client/src/compute.rs):\n{}", outgrown.join("\n"));
}

/// The largest ceremonies (16 members, t' = 16), whose dealings, folds, confirmations and
/// complaints cost the most: an honest one that activates, and one where dealer 1 encrypts a
/// bad sub-share to node 2 (upheld), node 3 wrongly accuses dealer 2 (dismissed) and the
/// ceremony is moved past its confirmation deadline.
fn largest_ceremonies(units: &mut BTreeMap<String, u64>) {
    let mut world = World::registered(16, 16);
    world.start(Kind::KeyGeneration, 16, WINDOW_SLOTS).expect("start_epoch");
    let mut dealing = Vec::new();
    for i in 1..=16 {
        let bytes = world.dealing_bytes(i);
        let authority = world.nodes[usize::from(i) - 1].authority.insecure_clone();
        let cluster = world.cluster;
        for instructions in ix::post_dealing_transactions(&authority.pubkey(), &cluster, 1, i, &bytes) {
            dealing.push(world.ok("post_dealing", &authority, &[], &instructions).compute_units_consumed);
        }
    }
    let folds = fold_all(&mut world);
    assert_eq!(folds.len(), 16);
    let mut confirms = Vec::new();
    for j in 1..=16 {
        confirms.push(world.confirm(j).expect("confirm").compute_units_consumed);
    }
    assert_eq!(world.epoch(), 1);
    let (last_chunks, first_chunks): (Vec<_>, Vec<_>) = dealing.chunks(2).map(|pair| (pair[1], pair[0])).unzip();
    let max = |v: &[u64]| *v.iter().max().unwrap();
    units.insert("post_dealing (first chunk of a 16-member dealing)".into(), max(&first_chunks));
    units.insert("post_dealing (last chunk: checks a 16-member dealing)".into(), max(&last_chunks));
    units.insert("fold_dealing (t' = 16)".into(), max(&folds));
    units.insert("confirm_ceremony (16 members)".into(), max(&confirms[..15]));
    units.insert("confirm_ceremony (16 members, the confirmation that activates)".into(), confirms[15]);

    // one complaint per ceremony: either verdict leaves fewer than t' = 16 dealers or
    // receivers, which ends the ceremony
    let mut world = sixteen_dealt(Some((1, 2)));
    let (upheld, events) = complain(&mut world, 2, 1);
    assert!(events.iter().any(|e| matches!(e, Event::ComplaintUpheld(c) if c.dealer == 1 && c.receiver == 2)), "{events:?}");
    units.insert("complain (t' = 16, upheld)".into(), upheld);
    let mut world = sixteen_dealt(None);
    let (dismissed, events) = complain(&mut world, 3, 2);
    assert!(events.iter().any(|e| matches!(e, Event::ComplaintDismissed(c) if c.dealer == 2 && c.receiver == 3)), "{events:?}");
    units.insert("complain (t' = 16, dismissed)".into(), dismissed);
    let mut world = sixteen_dealt(None);
    world.pass_slots(2 * u64::from(WINDOW_SLOTS) + 1);
    units.insert("advance_ceremony (16 members, past the confirmation deadline)".into(), world.advance().expect("advance").compute_units_consumed);
}

/// A 16-member, t' = 16 key generation with every dealing posted; with `cheat = (dealer,
/// receiver)`, that dealer's sub-share to that receiver is bad.
fn sixteen_dealt(cheat: Option<(u8, u16)>) -> World {
    let mut world = World::registered(16, 16);
    world.start(Kind::KeyGeneration, 16, WINDOW_SLOTS).expect("start_epoch");
    for i in 1..=16 {
        let mut bytes = world.dealing_bytes(i);
        if let Some((dealer, receiver)) = cheat
            && dealer == i
        {
            bytes[encrypted_share_offset(16, receiver)] ^= 1;
        }
        world.post_dealing(i, &bytes).expect("a dealing (a bad sub-share passes the public checks)");
    }
    assert_eq!(world.ceremony().phase, CeremonyPhase::Confirming);
    world
}
