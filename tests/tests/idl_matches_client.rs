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
    assert_eq!(args, [("cluster_id".into(), "u64".into()), ("threshold".into(), "u8".into()), ("size".into(), "u8".into())]);

    let admin = Address::new_from_array([5; 32]);
    let (built, cluster) = instructions::create_cluster(&admin, instructions::CreateClusterArgs { cluster_id: 0x0102, threshold: 2, size: 3 });
    assert_eq!(cluster, pda::cluster(&admin, 0x0102).0);
    assert_eq!(built.data[8..], [0x02, 0x01, 0, 0, 0, 0, 0, 0, 2, 3]);
    let seeds = &ix["accounts"][1]["pda"]["seeds"];
    assert_eq!(seeds[0]["value"], serde_json::json!(pda::CLUSTER_SEED));
    assert_eq!((seeds[1]["path"].as_str(), seeds[2]["path"].as_str()), (Some("admin"), Some("cluster_id")));
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
        ("create_cluster", ix::create_cluster(&a, ix::CreateClusterArgs { cluster_id: 1, threshold: 2, size: 3 }).0),
        ("register_node", ix::register_node(&a, &b, &c, [0; 32])),
        ("post_round1", ix::post_round1(&a, &b, 0, 1, 135, 0, &[1])),
        ("post_round2", ix::post_round2(&a, &b, 0, 1, 2, [0; 65])),
        ("confirm_ceremony", ix::confirm_ceremony(&a, &b, 0, 1, [0; 32], vec![])),
        ("suspend_node", ix::suspend_node(&a, &b, 1)),
        ("start_epoch", ix::start_epoch(&a, &b)),
        ("init_share_patient_data_comp_def", ix::init_share_patient_data_comp_def(&a, &b)),
        ("register_user_key", ix::register_user_key(&a, [0; 32], [0; 64])),
        ("store_patient_data", ix::store_patient_data(&a, &b, 1, &store).0),
        ("append_patient_data", ix::append_patient_data(&a, &b, 1, 0, &[1])),
        ("share_patient_data", ix::share_patient_data(&a, &b, 0, &c, &a, 0).0),
        ("share_patient_data_callback", ix::share_patient_data_callback(&a, &b, &c, [0; 32], [0; 32], [0; 96])),
        ("revoke_share", ix::revoke_share(&a, &b)),
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
    }
}

#[test]
fn every_event_is_decodable_by_the_client() {
    let idl = program_idl();
    let idl_names: std::collections::BTreeSet<String> = names(&idl["events"]).into_iter().collect();
    let client: std::collections::BTreeSet<String> = medshare_client::events::EVENT_NAMES.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(idl_names, client);
    // and every event's fields, in order, as the IDL types list them
    for event in medshare_client::events::EVENT_NAMES {
        let fields = idl["types"].as_array().unwrap().iter().find(|t| t["name"] == *event).unwrap()["type"]["fields"].clone();
        assert!(fields.as_array().is_some_and(|f| !f.is_empty()), "{event} has fields in the IDL");
    }
}

#[test]
fn account_sizes_match_the_programs() {
    // the program's own types, as laid out in the IDL, must be the decoders' lengths
    let idl = program_idl();
    fn size(idl: &Value, ty: &Value) -> usize {
        match ty {
            Value::String(s) => match s.as_str() {
                "u8" | "bool" => 1,
                "u16" => 2,
                "u32" => 4,
                "u64" | "i64" => 8,
                "pubkey" => 32,
                other => panic!("unsized type {other}"),
            },
            Value::Object(o) if o.contains_key("array") => size(idl, &o["array"][0]) * o["array"][1].as_u64().unwrap() as usize,
            Value::Object(o) if o.contains_key("defined") => {
                let name = o["defined"]["name"].as_str().unwrap();
                let def = idl["types"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap();
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
    use medshare_client::accounts;
    for (name, len) in [
        ("Cluster", accounts::Cluster::LEN),
        ("Dealing", accounts::Dealing::LEN),
        ("Record", accounts::Record::LEN),
        ("ShareRequest", accounts::ShareRequest::LEN),
    ] {
        let ty = serde_json::json!({ "defined": { "name": name } });
        assert_eq!(8 + size(&idl, &ty), len, "{name}");
    }
}
