//! The client library encodes what the program decodes: its instruction discriminators,
//! argument and account order, event discriminators and error table are checked against
//! the IDL that `cargo xtask build-sbf` derives from the program source.

use medshare_client::{discriminator, errors::PROGRAM_ERRORS, instructions, pda, Address};
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
    let args: Vec<(String, String)> = ix["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_owned(), a["type"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(args, [("cluster_id".into(), "u64".into()), ("threshold".into(), "u8".into()), ("size".into(), "u8".into())]);

    let admin = Address::new_from_array([5; 32]);
    let (built, cluster) =
        instructions::create_cluster(&admin, instructions::CreateClusterArgs { cluster_id: 0x0102, threshold: 2, size: 3 });
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
