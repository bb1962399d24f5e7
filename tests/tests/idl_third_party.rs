//! The program's IDL (`target/idl/medical_records.json`) used as a third-party developer
//! would, with the real npm packages pinned in `tests/js/package.json`:
//!
//! - (a) Codama (`@codama/nodes-from-anchor`, `@codama/renderers-js`) converts it and renders
//!   a JavaScript client, and the account sizes it computes are the program's;
//! - (b) the Anchor TS client (`@coral-xyz/anchor` 0.32) decodes every account type, from a
//!   LiteSVM run of the real `.so`, and every event, from bytes made for each event of the
//!   IDL and from real transaction logs read by its `EventParser`; every field is compared;
//! - (c) the Anchor TS client names program errors from the logs of real failed transactions
//!   (the program's `AnchorError occurred` line), with code, number and message.
//!
//! Node.js and the packages come from `cargo xtask setup` (Debian's `nodejs`/`npm` when
//! missing, then `npm ci` in `tests/js`); without them the tests fail and say so.

use medshare_client::{Address, PROGRAM_ID, accounts, discriminator, errors::PROGRAM_ERRORS, events, instructions as ix, pda};
use medshare_tests::{
    chain::Failure,
    program_idl,
    world::{Kind, WINDOW_SLOTS, World},
};
use serde_json::{Map, Value, json};
use solana_signer::Signer;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

fn idl_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("idl").join("medical_records.json")
}

/// Every dependency of `tests/js/package.json` installed at its pinned version, or why not.
fn packages_installed() -> Result<(), String> {
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(js_dir().join("package.json")).expect("tests/js/package.json")).expect("JSON");
    for (name, version) in manifest["dependencies"].as_object().expect("dependencies") {
        let installed = js_dir().join("node_modules").join(name).join("package.json");
        let found = std::fs::read_to_string(&installed).ok().and_then(|text| serde_json::from_str::<Value>(&text).ok()).map(|p| p["version"].clone());
        if found.as_ref() != Some(version) {
            return Err(format!("{name} {version} is not installed in tests/js/node_modules (found {found:?})"));
        }
    }
    Ok(())
}

/// Runs `node <script> <args>` in `tests/js` and parses what it prints.
fn node(script: &str, args: &[&Path]) -> Value {
    let version = Command::new("node").arg("--version").output();
    let version = match version {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => panic!("Node.js is not installed (`node` not found): run `cargo xtask setup`"),
    };
    if let Err(why) = packages_installed() {
        panic!("{why}: run `cargo xtask setup` (it runs `npm ci` in tests/js)");
    }
    let out = Command::new("node").arg(script).args(args).current_dir(js_dir()).output().expect("run node");
    assert!(out.status.success(), "node {script} failed (Node.js {version}):\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("node {script} printed no JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}

/// Writes `value` to a fresh temporary file for a script to read.
fn temp_json(name: &str, value: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medshare-idl-third-party-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
    path
}

/// Anchor TS's names: `cluster_id` → `clusterId`, `ShareRequest` → `shareRequest`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    for (i, part) in name.split('_').enumerate() {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(if i == 0 { first.to_lowercase().collect::<Vec<_>>() } else { first.to_uppercase().collect() });
            out.push_str(chars.as_str());
        }
    }
    out
}

fn type_def<'a>(idl: &'a Value, name: &str) -> &'a Value {
    idl["types"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("IDL type {name}"))
}

fn fields(idl: &Value, name: &str) -> Vec<Value> {
    type_def(idl, name)["type"]["fields"].as_array().unwrap_or_else(|| panic!("{name} has named fields")).clone()
}

/// Reads one value of IDL type `ty` from `bytes` at `at`, as `decode.mjs` prints what the
/// Anchor client decoded: the expected side of every comparison, read by our own walk of
/// the IDL (the layout the program's bytes have: the decoders' sizes are checked too).
fn read(idl: &Value, ty: &Value, bytes: &[u8], at: &mut usize) -> Value {
    let mut take = |n: usize| -> &[u8] {
        let slice = bytes.get(*at..*at + n).unwrap_or_else(|| panic!("{n} bytes at {at} of {}", bytes.len()));
        *at += n;
        slice
    };
    match ty {
        Value::String(primitive) => match primitive.as_str() {
            "u8" => json!(take(1)[0]),
            "bool" => json!(take(1)[0] != 0),
            "u16" => json!(u16::from_le_bytes(take(2).try_into().unwrap())),
            "u32" => json!(u32::from_le_bytes(take(4).try_into().unwrap())),
            "u64" => json!(u64::from_le_bytes(take(8).try_into().unwrap()).to_string()),
            "i64" => json!(i64::from_le_bytes(take(8).try_into().unwrap()).to_string()),
            "pubkey" => json!(Address::new_from_array(take(32).try_into().unwrap()).to_string()),
            other => panic!("the test reads no IDL type {other}: extend `read` and `sample`"),
        },
        Value::Object(o) if o.contains_key("array") => {
            let count = o["array"][1].as_u64().unwrap() as usize;
            Value::Array((0..count).map(|_| read(idl, &o["array"][0], bytes, at)).collect())
        }
        Value::Object(o) if o.contains_key("defined") => {
            let name = o["defined"]["name"].as_str().unwrap();
            let object: Map<String, Value> = fields(idl, name).iter().map(|f| (camel(f["name"].as_str().unwrap()), read(idl, &f["type"], bytes, at))).collect();
            Value::Object(object)
        }
        other => panic!("the test reads no IDL type {other}"),
    }
}

/// Bytes of IDL type `ty` in which every field differs from its neighbours (`seed` counts
/// the scalars written so far), so that a decoder reading a field at a wrong offset or
/// width gets a wrong value.
fn sample(idl: &Value, ty: &Value, seed: &mut u64, out: &mut Vec<u8>) {
    *seed += 1;
    let s = *seed;
    match ty {
        Value::String(primitive) => match primitive.as_str() {
            "u8" => out.push(s as u8),
            "bool" => out.push((s % 2) as u8),
            "u16" => out.extend_from_slice(&(0x0100 + s as u16).to_le_bytes()),
            "u32" => out.extend_from_slice(&(0x0102_0000 + s as u32).to_le_bytes()),
            "u64" => out.extend_from_slice(&(0x0102_0304_0000_0000 + s).to_le_bytes()),
            "i64" => out.extend_from_slice(&(-1_000_000_007 * s as i64).to_le_bytes()),
            "pubkey" => out.extend((0..32u8).map(|i| (s as u8).wrapping_mul(31).wrapping_add(i))),
            other => panic!("the test samples no IDL type {other}: extend `read` and `sample`"),
        },
        Value::Object(o) if o.contains_key("array") => {
            for _ in 0..o["array"][1].as_u64().unwrap() {
                sample(idl, &o["array"][0], seed, out);
            }
        }
        Value::Object(o) if o.contains_key("defined") => {
            for field in fields(idl, o["defined"]["name"].as_str().unwrap()) {
                sample(idl, &field["type"], seed, out);
            }
        }
        other => panic!("the test samples no IDL type {other}"),
    }
}

/// The IDL's account or event `name` read from `data` (discriminator first), every field.
fn expected(idl: &Value, name: &str, data: &[u8]) -> Value {
    let mut at = 8;
    let value = read(idl, &json!({ "defined": { "name": name } }), data, &mut at);
    assert_eq!(at, data.len(), "{name}: the IDL's fields cover the {} bytes exactly", data.len());
    value
}

fn idl_names(idl: &Value, list: &str) -> Vec<String> {
    idl[list].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn codama_renders_a_client_with_the_programs_layouts() {
    let idl = program_idl();
    // the IDL keeps no alias definitions, the form Codama's converter refuses
    let aliases: Vec<&str> = idl["types"].as_array().unwrap().iter().filter(|t| t["type"]["kind"] == "type").map(|t| t["name"].as_str().unwrap()).collect();
    assert!(aliases.is_empty(), "type aliases left in the IDL: {aliases:?}");

    let out_dir = std::env::temp_dir().join(format!("medshare-codama-client-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out_dir);
    let rendered = node("render-client.mjs", &[&idl_path(), &out_dir]);

    let files: Vec<&str> = rendered["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    for ix_name in idl_names(&idl, "instructions") {
        let file = format!("src/generated/instructions/{}.ts", camel(&ix_name));
        assert!(files.contains(&file.as_str()), "Codama rendered {file}: {files:?}");
        assert!(out_dir.join(&file).is_file());
    }
    for account in idl_names(&idl, "accounts") {
        let file = format!("src/generated/accounts/{}.ts", camel(&account));
        assert!(files.contains(&file.as_str()), "Codama rendered {file}");
    }
    assert!(files.contains(&"src/generated/errors/medicalRecords.ts"), "{files:?}");
    let instructions: Vec<String> = rendered["instructions"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect();
    assert_eq!(instructions.len(), idl["instructions"].as_array().unwrap().len());

    // every account's fixed size, as Codama computes it, is the program's
    let sizes = &rendered["accounts"];
    for (name, len) in [
        ("cluster", accounts::Cluster::LEN),
        ("ceremony", accounts::Ceremony::LEN),
        ("dealing", accounts::Dealing::LEN),
        ("record", accounts::Record::LEN),
        ("shareRequest", accounts::ShareRequest::LEN),
        // the two the client does not decode, field by field as in programs/medical-records/src/state
        // (and against live accounts in the next test): wallet, public_key, registered_at, bump, reserved
        ("userKey", 8 + 32 + 32 + 8 + 1 + 7),
        // cluster, domain, version, bump, reserved
        ("circuitDefinition", 8 + 32 + 32 + 2 + 1 + 5),
    ] {
        assert_eq!(sizes[name], json!(len), "Codama's size of {name}");
    }
    assert_eq!(sizes.as_object().unwrap().len(), idl["accounts"].as_array().unwrap().len());

    // and the errors, with their codes and messages
    let errors: Vec<(u64, String, String)> = rendered["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_u64().unwrap(), e[1].as_str().unwrap().to_owned(), e[2].as_str().unwrap().to_owned()))
        .collect();
    let program: Vec<(u64, String, String)> = PROGRAM_ERRORS.iter().enumerate().map(|(i, (n, m))| (6000 + i as u64, camel(n), (*m).to_owned())).collect();
    assert_eq!(errors, program);
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn anchor_ts_decodes_every_account_and_event() {
    let idl = program_idl();
    let mut world = World::new(2, 2);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 4, 1, br#"{"resourceType":"Observation","status":"final"}"#);
    let request = world.share(&patient, &record, &doctor.wallet.pubkey(), 0).expect("share");
    let first = world.answer(1, &request).expect("partial 1");
    let second = world.answer(2, &request).expect("partial 2");

    let epoch = world.epoch();
    let live: Vec<(&str, Address)> = vec![
        ("Cluster", world.cluster),
        ("Ceremony", pda::ceremony(&world.cluster, epoch)),
        ("Dealing", pda::dealing(&world.cluster, epoch, 1)),
        ("CircuitDefinition", pda::circuit(&world.cluster)),
        ("UserKey", pda::user_key(&patient.wallet.pubkey())),
        ("Record", record),
        ("ShareRequest", request),
    ];
    let mut names: Vec<&str> = live.iter().map(|(n, _)| *n).collect();
    names.sort();
    assert_eq!(names, idl_names(&idl, "accounts"), "a live account of every type");
    let data: Vec<Vec<u8>> = live.iter().map(|(name, address)| world.account(address).unwrap_or_else(|| panic!("{name} exists"))).collect();

    // one made-up body per IDL event, every field distinct
    let event_names = idl_names(&idl, "events");
    let event_bytes: Vec<Vec<u8>> = event_names
        .iter()
        .map(|name| {
            let mut bytes = discriminator("event", name).to_vec();
            sample(&idl, &json!({ "defined": { "name": name } }), &mut 0, &mut bytes);
            // our own client reads the same bytes as the same event, to the last byte
            assert_eq!(events::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")).name(), name);
            bytes
        })
        .collect();

    let input = json!({
        "idl": idl_path(),
        "accounts": live.iter().zip(&data).map(|((name, _), bytes)| json!({ "name": name, "data": bytes })).collect::<Vec<_>>(),
        "events": event_bytes,
        "logs": [first.logs, second.logs],
    });
    let decoded = node("decode.mjs", &[&temp_json("decode.json", &input)]);

    for (i, ((name, _), bytes)) in live.iter().zip(&data).enumerate() {
        let got = &decoded["accounts"][i];
        assert_eq!(got["name"], camel(name));
        assert_eq!(got["idlSize"], json!(bytes.len()), "{name}: the Anchor client's size from the IDL is the account's");
        assert_eq!(got["decoded"], expected(&idl, name, bytes), "{name}: every field");
    }
    // what the fields mean, against the client's own decoders and the world
    let account = |name: &str| &decoded["accounts"][live.iter().position(|(n, _)| *n == name).unwrap()]["decoded"];
    let cluster = world.cluster_account();
    assert_eq!(account("Cluster")["admin"], world.admin.pubkey().to_string());
    assert_eq!(account("Cluster")["clusterId"], "1");
    assert_eq!(account("Cluster")["threshold"], 2);
    assert_eq!(account("Cluster")["publicKey"], json!(cluster.public_key));
    assert_eq!(account("Cluster")["members"][1]["authority"], world.nodes[1].authority.pubkey().to_string());
    assert_eq!(account("Ceremony")["epoch"], epoch.to_string());
    assert_eq!(account("Dealing")["cluster"], world.cluster.to_string());
    assert_eq!(account("CircuitDefinition")["cluster"], world.cluster.to_string());
    assert_eq!(account("UserKey")["publicKey"], json!(patient.key.public_key().to_bytes()));
    let stored = world.record(&record);
    assert_eq!(account("Record")["owner"], patient.wallet.pubkey().to_string());
    assert_eq!((account("Record")["recordId"].clone(), account("Record")["version"].clone()), (json!("4"), json!(1)));
    assert_eq!(account("Record")["ciphertextLen"], stored.ciphertext_len);
    assert_eq!(account("Record")["digest"], json!(stored.digest));
    let shared = world.request(&request);
    assert_eq!(account("ShareRequest")["recipient"], doctor.wallet.pubkey().to_string());
    assert_eq!((account("ShareRequest")["acceptedCount"].clone(), account("ShareRequest")["status"].clone()), (json!(2), json!(shared.status)));

    for (i, (name, bytes)) in event_names.iter().zip(&event_bytes).enumerate() {
        let got = &decoded["events"][i];
        assert_eq!(got["name"], camel(name));
        assert_eq!(got["decoded"], expected(&idl, name, bytes), "{name}: every field");
    }

    // real logs, read by the Anchor client's EventParser: the events our client reads, in order
    for (i, outcome) in [&first, &second].into_iter().enumerate() {
        let parsed = decoded["parsedLogs"][i].as_array().unwrap();
        let ours: Vec<String> = outcome.events.iter().map(|e| camel(e.name())).collect();
        let theirs: Vec<&str> = parsed.iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(theirs, ours, "transaction {i}");
        let accepted = &parsed[0]["decoded"];
        assert_eq!(
            (accepted["request"].clone(), accepted["cluster"].clone(), accepted["index"].clone()),
            (json!(request.to_string()), json!(world.cluster.to_string()), json!(i + 1))
        );
    }
    assert_eq!(decoded["parsedLogs"][1][1]["name"], "shareCompleted");
    let events::Event::ShareCompleted(completed) = &second.events[1] else { panic!("the second partial completes the share: {:?}", second.events) };
    assert_eq!(decoded["parsedLogs"][1][1]["decoded"]["accepted"], completed.accepted, "the bitmask of the accepted nodes");
    assert_eq!(completed.accepted, 0b11);
}

#[test]
fn anchor_ts_names_program_errors_from_real_logs() {
    let idl = program_idl();
    let mut world = World::new(2, 2);
    let stranger = world.funded_wallet(1);
    let patient = world.user();
    let doctor = world.user();
    let record = world.store(&patient, 1, 1, b"{\"resourceType\":\"Claim\"}");

    let not_admin: Failure = world.send("invite_node", &stranger, &[], &[ix::invite_node(&stranger.pubkey(), &world.cluster, &stranger.pubkey())]).unwrap_err();
    let bad_threshold = world.start_for(Kind::KeyGeneration, 1, WINDOW_SLOTS, 0b11).unwrap_err();
    // the recipient signing as owner names one wallet twice, once writable: Anchor's own check
    let share_count = world.record(&record).share_count;
    let (by_recipient, _) = ix::share_patient_data(&doctor.wallet.pubkey(), &record, share_count, &world.cluster, &doctor.wallet.pubkey(), 0);
    let duplicate = world.send("share_patient_data", &doctor.wallet.insecure_clone(), &[], &[by_recipient]).unwrap_err();
    // a built-in error: the runtime names it; the program logs no line of its own
    let admin = world.admin.insecure_clone();
    let mut truncated = ix::invite_node(&admin.pubkey(), &world.cluster, &stranger.pubkey());
    truncated.data.truncate(20);
    let builtin = world.send("invite_node", &admin, &[], &[truncated]).unwrap_err();

    let failures = [&not_admin, &bad_threshold, &duplicate, &builtin];
    let codes: Vec<Option<u32>> = failures.iter().map(|f| f.custom_error()).collect();
    assert_eq!(codes, [Some(6002), Some(6000), Some(2040), None], "the returned errors are unchanged by the logging");
    for failure in &failures[..3] {
        let ours: Vec<&String> = failure.logs.iter().filter(|l| l.starts_with("Program log: AnchorError")).collect();
        assert_eq!(ours.len(), 1, "one AnchorError line per failure: {:#?}", failure.logs);
    }
    assert!(!builtin.logs.iter().any(|l| l.contains("AnchorError")), "{:#?}", builtin.logs);

    let input = json!({
        "idl": idl_path(),
        "failures": failures.iter().map(|f| json!({ "message": format!("{:?}", f.err), "logs": f.logs })).collect::<Vec<_>>(),
    });
    let named = node("name-errors.mjs", &[&temp_json("errors.json", &input)]);
    let idl_message = |code: u64| idl["errors"].as_array().unwrap().iter().find(|e| e["code"] == code).unwrap()["msg"].clone();
    assert_eq!(
        named[0],
        json!({ "kind": "AnchorError", "code": "NotClusterAdmin", "number": 6002, "message": "only the cluster admin may do this", "program": PROGRAM_ID.to_string() })
    );
    assert_eq!(named[0]["message"], idl_message(6002));
    assert_eq!(
        named[1],
        json!({ "kind": "AnchorError", "code": "InvalidThreshold", "number": 6000, "message": idl_message(6000), "program": PROGRAM_ID.to_string() })
    );
    assert_eq!(
        named[2],
        json!({
            "kind": "AnchorError",
            "code": "ConstraintDuplicateMutableAccount",
            "number": 2040,
            "message": "A duplicate mutable account constraint was violated",
            "program": PROGRAM_ID.to_string(),
        })
    );
    assert_ne!(named[3]["kind"], "AnchorError", "a built-in error is not taken for a program error: {}", named[3]);
}
