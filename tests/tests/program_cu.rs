//! Compute units of every instruction on the real `.so`: `cargo xtask cu` runs this with
//! `MEDSHARE_CU_REPORT` set and the report is written there as `{"instruction": units}`.
//! The test itself checks that every instruction of the IDL is measured.

use medshare_client::{instructions as ix, pda};
use medshare_tests::{program_idl, world::World};
use solana_signer::Signer;
use std::collections::BTreeMap;

#[test]
fn every_instruction_is_measured() {
    let mut world = World::new(3, 5);
    let mut units: BTreeMap<String, u64> = world.compute_units.clone();
    let admin = world.admin.insecure_clone();
    let patient = world.user();
    let doctor = world.user();
    units.insert("register_user_key".into(), world.compute_units["register_user_key"]);

    // store_patient_data: a new record with 1 KiB inline in the one instruction
    let args = world.sealed_args(&patient, 1, 1, &vec![0x61; 1024 - 28]);
    assert_eq!(args.chunk.len(), 1024);
    let wallet = patient.wallet.insecure_clone();
    let (store, record) = ix::store_patient_data(&wallet.pubkey(), &world.cluster, 1, &args);
    units.insert("store_patient_data".into(), world.ok("store_patient_data", &wallet, &[], &[store]).compute_units_consumed);
    // append_patient_data: a 600-byte chunk of a second record
    let args2 = world.sealed_args(&patient, 2, 1, &vec![0x62; 1500]);
    let (store2, record2) = ix::store_patient_data(&wallet.pubkey(), &world.cluster, 2, &ix::StoreArgs { chunk: args2.chunk[..600].to_vec(), ..args2.clone() });
    world.ok("store_patient_data", &wallet, &[], &[store2]);
    let append = ix::append_patient_data(&wallet.pubkey(), &record2, 1, 600, &args2.chunk[600..1200]);
    units.insert("append_patient_data".into(), world.ok("append_patient_data", &wallet, &[], &[append]).compute_units_consumed);

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
    units.insert("revoke_share".into(), world.ok("revoke_share", &wallet, &[], &[ix::revoke_share(&wallet.pubkey(), &pending)]).compute_units_consumed);
    units.insert(
        "close_share_request".into(),
        world.ok("close_share_request", &wallet, &[], &[ix::close_share_request(&wallet.pubkey(), &pending)]).compute_units_consumed,
    );
    units.insert("close_record".into(), world.ok("close_record", &wallet, &[], &[ix::close_record(&wallet.pubkey(), &record2)]).compute_units_consumed);
    let node1 = world.nodes[0].authority.insecure_clone();
    let cluster = world.cluster;
    units.insert("close_dealing".into(), world.ok("close_dealing", &node1, &[], &[ix::close_dealing(&node1.pubkey(), &cluster, 0, 1)]).compute_units_consumed);
    assert!(world.account(&pda::dealing(&cluster, 0, 1)).is_none());
    units.insert("suspend_node".into(), world.ok("suspend_node", &admin, &[], &[ix::suspend_node(&admin.pubkey(), &cluster, 5)]).compute_units_consumed);
    units.insert("start_epoch".into(), world.ok("start_epoch", &admin, &[], &[ix::start_epoch(&admin.pubkey(), &cluster)]).compute_units_consumed);

    let idl = program_idl();
    for instruction in idl["instructions"].as_array().unwrap() {
        let name = instruction["name"].as_str().unwrap();
        assert!(units.contains_key(name), "{name} is not measured");
    }
    let json = serde_json::to_string_pretty(&units).unwrap();
    println!("{json}");
    if let Some(path) = std::env::var_os("MEDSHARE_CU_REPORT") {
        std::fs::write(path, json + "\n").expect("write the CU report");
    }
}
