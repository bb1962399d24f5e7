//! The client library encodes what the program decodes: its instruction discriminators,
//! argument and account order, event discriminators and error table are checked against
//! the IDL that `cargo xtask build-sbf` derives from the program source.

use medshare_client::{Address, discriminator, errors::PROGRAM_ERRORS, instructions, pda};
use medshare_tests::program_idl;
use serde_json::Value;

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

fn instruction<'a>(idl: &'a Value, name: &str) -> &'a Value {
    idl["instructions"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap_or_else(|| panic!("IDL has no {name}"))
}

#[test]
fn program_id_matches() {
    assert_eq!(program_idl()["address"].as_str().unwrap(), medshare_client::PROGRAM_ID.to_string());
}

#[test]
fn every_discriminator_matches() {
    let idl = program_idl();
    for ix in idl["instructions"].as_array().unwrap() {
        let expected: Vec<u8> = serde_json::from_value(ix["discriminator"].clone()).unwrap();
        assert_eq!(discriminator("global", ix["name"].as_str().unwrap()).to_vec(), expected);
    }
    for event in idl["events"].as_array().unwrap() {
        let expected: Vec<u8> = serde_json::from_value(event["discriminator"].clone()).unwrap();
        assert_eq!(discriminator("event", event["name"].as_str().unwrap()).to_vec(), expected);
    }
}

#[test]
fn create_cluster_layout_matches() {
    let idl = program_idl();
    let ix = instruction(&idl, "create_cluster");
    assert_eq!(names(&ix["accounts"]), ["admin", "cluster", "system_program"]);
    let args: Vec<(String, String)> =
        ix["args"].as_array().unwrap().iter().map(|a| (a["name"].as_str().unwrap().to_owned(), a["type"].as_str().unwrap().to_owned())).collect();
    assert_eq!(args, [("cluster_id".into(), "u64".into())]);

    let admin = Address::new_from_array([5; 32]);
    let (built, cluster) = instructions::create_cluster(&admin, 0x0102);
    assert_eq!(cluster, pda::cluster(&admin, 0x0102).0);
    assert_eq!(built.data[8..], [0x02, 0x01, 0, 0, 0, 0, 0, 0]);
    let seeds = &ix["accounts"][1]["pda"]["seeds"];
    assert_eq!(seeds[0]["value"], serde_json::json!(pda::CLUSTER_SEED));
    assert_eq!((seeds[1]["path"].as_str(), seeds[2]["path"].as_str()), (Some("admin"), Some("cluster_id")));
}

#[test]
fn ceremony_seeds_and_accounts_match() {
    let idl = program_idl();
    let cluster = Address::new_from_array([6; 32]);
    for name in ["start_epoch", "reshare"] {
        let ix = instruction(&idl, name);
        assert_eq!(names(&ix["accounts"]), ["admin", "cluster", "ceremony", "system_program"], "{name}");
        let seeds = &ix["accounts"][2]["pda"]["seeds"];
        assert_eq!(seeds[0]["value"], serde_json::json!(pda::CEREMONY_SEED), "{name}");
        assert_eq!((seeds[1]["path"].as_str(), seeds[2]["path"].as_str()), (Some("cluster"), Some("epoch")), "{name}");
        assert_eq!(names(&ix["args"]), ["epoch", "threshold", "window_slots", "members"], "{name}");
    }
    let built = instructions::start_epoch(&cluster, &cluster, 3, 2, 150, 0b111);
    assert_eq!(built.accounts[2].pubkey, pda::ceremony(&cluster, 3));
    assert_eq!(names(&instruction(&idl, "post_dealing")["accounts"]), ["authority", "cluster", "ceremony", "dealing", "system_program"]);
    assert_eq!(names(&instruction(&idl, "post_dealing")["args"]), ["epoch", "dealer", "offset", "chunk"]);
    assert_eq!(names(&instruction(&idl, "complain")["accounts"]), ["authority", "cluster", "ceremony", "dealing"]);
    assert_eq!(names(&instruction(&idl, "complain")["args"]), ["epoch", "dealer", "complaint"]);
    assert_eq!(names(&instruction(&idl, "fold_dealing")["accounts"]), ["cluster", "ceremony", "dealing"]);
    assert_eq!(names(&instruction(&idl, "fold_dealing")["args"]), ["epoch", "dealer"]);
    assert_eq!(names(&instruction(&idl, "confirm_ceremony")["accounts"]), ["authority", "cluster", "ceremony"]);
    assert_eq!(names(&instruction(&idl, "confirm_ceremony")["args"]), ["epoch", "verification_share", "proof"]);
    assert_eq!(names(&instruction(&idl, "advance_ceremony")["accounts"]), ["cluster", "ceremony"]);
    // the ceremony and dealing accounts the builders name are the PDAs of the ceremony's epoch and dealer
    let fold = instructions::fold_dealing(&cluster, 3, 5);
    assert_eq!((fold.accounts[1].pubkey, fold.accounts[2].pubkey), (pda::ceremony(&cluster, 3), pda::dealing(&cluster, 3, 5)));
    let confirm = instructions::confirm_ceremony(&cluster, &cluster, 3, [0; 32], [0; 64]);
    assert_eq!(confirm.accounts[2].pubkey, pda::ceremony(&cluster, 3));
}

#[test]
fn error_table_matches() {
    let idl = program_idl();
    let from_idl: Vec<(u64, String, String)> = idl["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_u64().unwrap(), e["name"].as_str().unwrap().to_owned(), e["msg"].as_str().unwrap().to_owned()))
        .collect();
    let from_client: Vec<(u64, String, String)> =
        PROGRAM_ERRORS.iter().enumerate().map(|(i, (n, m))| (6000 + i as u64, (*n).to_owned(), (*m).to_owned())).collect();
    assert_eq!(from_idl, from_client);
}

/// Every builder of the client, with placeholder addresses, by instruction name.
fn client_instructions() -> Vec<(&'static str, solana_instruction::Instruction)> {
    use medshare_client::instructions as ix;
    let a = Address::new_from_array([1; 32]);
    let b = Address::new_from_array([2; 32]);
    let c = Address::new_from_array([3; 32]);
    let store = ix::StoreArgs {
        version: 1,
        cluster_capsule: [0; 64],
        capsule_proof: [0; 64],
        owner_capsule: [0; 64],
        storage: 0,
        ciphertext_len: 28,
        digest: [0; 32],
        uri: vec![],
        chunk: vec![],
    };
    vec![
        ("create_cluster", ix::create_cluster(&a, 1).0),
        ("invite_node", ix::invite_node(&a, &b, &c)),
        ("accept_invitation", ix::accept_invitation(&a, &b, [0; 32], [0; 64])),
        ("rotate_transport_key", ix::rotate_transport_key(&a, &b, [0; 32], [0; 64])),
        ("suspend_node", ix::suspend_node(&a, &b, 1)),
        ("remove_node", ix::remove_node(&a, &b, 1)),
        ("start_epoch", ix::start_epoch(&a, &b, 1, 2, 150, 0b11)),
        ("reshare", ix::reshare(&a, &b, 2, 2, 150, 0b11)),
        ("post_dealing", ix::post_dealing(&a, &b, 1, 1, 0, &[1, 2, 3])),
        ("complain", ix::complain(&a, &b, 1, 2, [0; 96])),
        ("fold_dealing", ix::fold_dealing(&b, 1, 2)),
        ("confirm_ceremony", ix::confirm_ceremony(&a, &b, 1, [0; 32], [0; 64])),
        ("advance_ceremony", ix::advance_ceremony(&b, 1)),
        ("init_share_patient_data_comp_def", ix::init_share_patient_data_comp_def(&a, &b)),
        ("register_user_key", ix::register_user_key(&a, [0; 32], [0; 64])),
        ("store_patient_data", ix::store_patient_data(&a, &b, 1, &store).0),
        ("append_patient_data", ix::append_patient_data(&a, &b, 1, 0, &[1])),
        ("share_patient_data", ix::share_patient_data(&a, &b, 0, &c, &a, 0).0),
        ("share_patient_data_callback", ix::share_patient_data_callback(&a, &b, &c, [0; 32], [0; 32], [0; 96], 0)),
        ("revoke_share", ix::revoke_share(&a, &b)),
        ("expire_share_request", ix::expire_share_request(&a)),
        ("close_record", ix::close_record(&a, &b)),
        ("close_share_request", ix::close_share_request(&a, &b)),
        ("close_dealing", ix::close_dealing(&a, &b, 0, 1)),
    ]
}

#[test]
fn every_instruction_has_a_builder_with_the_programs_account_flags() {
    let idl = program_idl();
    let built = client_instructions();
    let idl_names: std::collections::BTreeSet<String> = names(&idl["instructions"]).into_iter().collect();
    let client_names: std::collections::BTreeSet<String> = built.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(idl_names, client_names);
    for (name, ix) in built {
        let accounts = instruction(&idl, name)["accounts"].as_array().unwrap().clone();
        assert_eq!(accounts.len(), ix.accounts.len(), "{name}: account count");
        for (expected, meta) in accounts.iter().zip(&ix.accounts) {
            let (signer, writable) = (expected["signer"].as_bool().unwrap_or(false), expected["writable"].as_bool().unwrap_or(false));
            assert_eq!((meta.is_signer, meta.is_writable), (signer, writable), "{name}: account {}", expected["name"]);
            if let Some(address) = expected["address"].as_str() {
                assert_eq!(meta.pubkey.to_string(), address, "{name}: fixed address of {}", expected["name"]);
            }
        }
        assert_eq!(ix.data[..8], discriminator("global", name), "{name}");
        // and the data is the IDL's arguments in borsh: exactly their size, or at least it
        // when a `vec` is among them (its 4-byte length counted, the builder's bytes not)
        let (least, variable) =
            instruction(&idl, name)["args"].as_array().unwrap().iter().map(|a| borsh_size(&idl, &a["type"])).fold((0, false), |(n, v), (m, w)| (n + m, v || w));
        if variable {
            assert!(ix.data.len() >= 8 + least, "{name}: {} data bytes for at least {least} argument bytes", ix.data.len());
        } else {
            assert_eq!(ix.data.len(), 8 + least, "{name}: argument bytes");
        }
    }
}

/// The least borsh size of an IDL argument type, and whether it can be longer (holds a `vec`).
fn borsh_size(idl: &Value, ty: &Value) -> (usize, bool) {
    match ty {
        Value::Object(o) if o.contains_key("vec") => (4, true),
        Value::Object(o) if o.contains_key("array") => {
            let (each, variable) = borsh_size(idl, &o["array"][0]);
            (each * o["array"][1].as_u64().unwrap() as usize, variable)
        }
        Value::Object(o) if o.contains_key("defined") && !o["defined"]["name"].as_str().unwrap().starts_with("Pod") => {
            let name = o["defined"]["name"].as_str().unwrap();
            let def = idl["types"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("IDL has no type {name}"));
            def["type"]["fields"].as_array().unwrap().iter().map(|f| borsh_size(idl, &f["type"])).fold((0, false), |(n, v), (m, w)| (n + m, v || w))
        }
        _ => (size(idl, ty), false),
    }
}

/// Bytes of an IDL type in borsh / bytemuck (fixed-size types only).
fn size(idl: &Value, ty: &Value) -> usize {
    match ty {
        Value::String(s) => match s.as_str() {
            "u8" | "bool" | "i8" => 1,
            "u16" | "i16" => 2,
            "u32" | "i32" => 4,
            "u64" | "i64" => 8,
            "pubkey" => 32,
            other => panic!("unsized type {other}"),
        },
        Value::Object(o) if o.contains_key("array") => size(idl, &o["array"][0]) * o["array"][1].as_u64().unwrap() as usize,
        Value::Object(o) if o.contains_key("defined") => {
            let name = o["defined"]["name"].as_str().unwrap();
            let def = idl["types"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("IDL has no type {name}"));
            match name {
                "PodU16" => 2,
                "PodU32" => 4,
                "PodU64" | "PodI64" => 8,
                "PodBool" => 1,
                _ => def["type"]["fields"].as_array().unwrap().iter().map(|f| size(idl, &f["type"])).sum(),
            }
        }
        other => panic!("unexpected IDL type {other}"),
    }
}

#[test]
fn every_event_is_decodable_by_the_client() {
    let idl = program_idl();
    let idl_names: std::collections::BTreeSet<String> = names(&idl["events"]).into_iter().collect();
    let client: std::collections::BTreeSet<String> = medshare_client::events::EVENT_NAMES.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(idl_names, client);
    // and every event's body, as long as the IDL's fields, decodes exactly (no byte short or left over)
    for event in medshare_client::events::EVENT_NAMES {
        let fields = idl["types"].as_array().unwrap().iter().find(|t| t["name"] == *event).unwrap()["type"]["fields"].clone();
        let fields = fields.as_array().unwrap_or_else(|| panic!("{event} has no fields in the IDL"));
        assert!(!fields.is_empty(), "{event} has fields in the IDL");
        let body_len: usize = fields.iter().map(|f| size(&idl, &f["type"])).sum();
        let mut raw = discriminator("event", event).to_vec();
        raw.resize(8 + body_len, 0);
        let decoded = medshare_client::events::decode(&raw).unwrap_or_else(|e| panic!("{event}: {e}"));
        assert_eq!(decoded.name(), *event);
        raw.push(0);
        assert!(medshare_client::events::decode(&raw).is_err(), "{event}: a byte too many");
    }
}

#[test]
fn account_sizes_match_the_programs() {
    // the program's own types, as laid out in the IDL, must be the decoders' lengths
    let idl = program_idl();
    use medshare_client::accounts;
    for (name, len) in [
        ("Cluster", accounts::Cluster::LEN),
        ("Ceremony", accounts::Ceremony::LEN),
        ("Dealing", accounts::Dealing::LEN),
        ("Record", accounts::Record::LEN),
        ("ShareRequest", accounts::ShareRequest::LEN),
    ] {
        let ty = serde_json::json!({ "defined": { "name": name } });
        assert_eq!(8 + size(&idl, &ty), len, "{name}");
    }
    // and the fields the decoders read, in order
    let fields = |name: &str| -> Vec<String> { names(&idl["types"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["type"]["fields"]) };
    assert_eq!(fields("Member"), ["authority", "transport_key", "verification_share", "faults", "index", "status", "reserved"]);
    assert_eq!(
        fields("Cluster"),
        ["admin", "cluster_id", "epoch", "key_epoch", "ceremony_epoch", "public_key", "threshold", "size", "status", "bump", "reserved", "members"]
    );
    assert_eq!(
        fields("Ceremony"),
        [
            "cluster",
            "epoch",
            "deal_deadline",
            "confirm_deadline",
            "kind",
            "phase",
            "threshold",
            "old_threshold",
            "bump",
            "reserved",
            "dealers",
            "receivers",
            "dealt",
            "disqualified",
            "qualified",
            "confirmed",
            "folded",
            "aggregate",
            "transport_keys",
            "verification_shares"
        ]
    );
    assert_eq!(fields("Dealing"), ["cluster", "epoch", "len", "written", "dealer", "threshold", "bump", "reserved", "data"]);
}
