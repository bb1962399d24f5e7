//! Writes `encrypted-circuits/tests/vectors/reencrypt.json`, `ceremony.json` and `stream.json`
//! (deterministic: fixed seeds).
//! Run: `cargo run -p encrypted-circuits --example make_test_vectors`.

fn write(name: &str, json: String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    std::fs::write(&path, json + "\n").expect("write the test vectors");
    println!("wrote {}", path.display());
}

fn main() {
    let file = encrypted_circuits::vectors::generate().expect("generate the test vectors");
    write("reencrypt.json", serde_json::to_string_pretty(&file).expect("serialise"));
    let ceremonies = encrypted_circuits::vectors::generate_ceremonies().expect("generate the ceremony vectors");
    write("ceremony.json", serde_json::to_string_pretty(&ceremonies).expect("serialise"));
    let streams = encrypted_circuits::vectors::generate_stream().expect("generate the stream vectors");
    write("stream.json", serde_json::to_string_pretty(&streams).expect("serialise"));
}
