//! Writes `encrypted-circuits/tests/vectors/reencrypt.json` (deterministic: a fixed seed).
//! Run: `cargo run -p encrypted-circuits --example make_test_vectors`.

fn main() {
    let file = encrypted_circuits::vectors::generate().expect("generate the test vectors");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/reencrypt.json");
    let json = serde_json::to_string_pretty(&file).expect("serialise") + "\n";
    std::fs::write(&path, json).expect("write the test vectors");
    println!("wrote {} ({} cases)", path.display(), file.cases.len());
}
