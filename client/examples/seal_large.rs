//! Sealing and opening a large record through `medshare_client::sealing`: peak memory and
//! throughput against the bare cipher, measured in the same run (docs/BENCHMARKS.md,
//! "Sealing large records"; issue #13's goal: under 64 MiB, at least 80 % of AES-256-GCM).
//!
//! ```text
//! cargo run --release -p medshare-client --example seal_large [-- --size-mib 1024] [--dir DIR] [--keep]
//! ```
//!
//! Writes a plaintext file of `--size-mib` MiB (ChaCha output from a fixed seed) into a fresh
//! directory (under the system temp dir unless `--dir`), then runs each measurement in a child
//! process of its own, so that each one's peak resident memory (`VmHWM` of
//! `/proc/self/status`) is its own:
//!
//! - `aes-gcm`: the bare AES-256-GCM over the whole plaintext in memory, one message
//!   (`encrypted_circuits::aead::encrypt_in_place`): the baseline;
//! - `sha-256`: SHA-256 over the same bytes in memory (the on-chain digest's cost);
//! - `stream (memory)`: the chunked format over the same bytes in memory, in place, no I/O,
//!   no digest (what the STREAM construction costs over the bare cipher);
//! - `seal`: `sealing::seal`, file to file, with the digest (what `medshare` does);
//! - `open`: `sealing::open`, file to file, checking the digest;
//! - `open_to_file`: the same into a temporary file synced to disk and renamed into place.
//!
//! Files are read from the page cache (the plaintext was just written); writes go to it too
//! except where synced. Prints Markdown table rows; the opened file is compared with the
//! plaintext before the program says it is done.

use encrypted_circuits::{
    aead,
    record::{self, RecordBinding, RecordKeyPoint},
    stream::{self, CHUNK_LEN, StreamSealer},
};
use medshare_client::sealing;
use rand::{RngCore, SeedableRng, rngs::StdRng};
use sha2::{Digest, Sha256};
use std::{
    fs::File,
    io::{BufWriter, Read, Write},
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

const BINDING: RecordBinding = RecordBinding { program_id: [1; 32], owner: [2; 32], record_id: 7, version: 1, address: [3; 32] };
/// The record key point's seed: every child derives the same `M`.
const SEED: u64 = 0x5ea1_1a26e;

/// What a child measured.
struct Measured {
    bytes: u64,
    seconds: f64,
    peak_kib: u64,
}

fn peak_resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmHWM in kB")
}

fn key_point() -> RecordKeyPoint {
    RecordKeyPoint::random(&mut StdRng::seed_from_u64(SEED))
}

fn read_whole(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Runs one measurement in this process (a child) and prints its result line.
fn child(phase: &str, dir: &Path) {
    let plaintext_path = dir.join("plaintext");
    let sealed_path = dir.join("sealed");
    let opened_path = dir.join("opened");
    let m = key_point();
    let (bytes, seconds) = match phase {
        "aes-gcm" => {
            let mut data = read_whole(&plaintext_path);
            let key = m.record_key(&BINDING.address);
            let started = Instant::now();
            let tag = aead::encrypt_in_place(&key, &[9; aead::NONCE_LEN], &BINDING.aad(), &mut data);
            let seconds = started.elapsed().as_secs_f64();
            std::hint::black_box((tag, &data));
            (data.len() as u64, seconds)
        }
        "sha-256" => {
            let data = read_whole(&plaintext_path);
            let started = Instant::now();
            let digest = Sha256::digest(&data);
            let seconds = started.elapsed().as_secs_f64();
            std::hint::black_box(digest);
            (data.len() as u64, seconds)
        }
        "stream-memory" => {
            let mut data = read_whole(&plaintext_path);
            let key = m.record_key(&BINDING.address);
            let started = Instant::now();
            let mut sealer = StreamSealer::with_nonce_prefix(&key, &BINDING.aad(), [9; stream::NONCE_PREFIX_LEN]);
            let chunks = stream::chunk_count(data.len() as u64) as usize;
            let mut pieces = data.chunks_mut(CHUNK_LEN);
            for _ in 1..chunks {
                let tag = sealer.seal_chunk_in_place(pieces.next().expect("a full chunk")).expect("seal a chunk");
                std::hint::black_box(tag);
            }
            let tag = sealer.seal_last_in_place(pieces.next().unwrap_or_default()).expect("seal the last chunk");
            let seconds = started.elapsed().as_secs_f64();
            std::hint::black_box((tag, &data));
            (data.len() as u64, seconds)
        }
        "seal" => {
            let mut rng = StdRng::seed_from_u64(SEED + 1);
            let started = Instant::now();
            let input = File::open(&plaintext_path).expect("open the plaintext");
            let output = File::create(&sealed_path).expect("create the sealed file");
            let summary = sealing::seal(record::sealer(&BINDING, &m, &mut rng), input, output, |_| {}).expect("seal");
            let seconds = started.elapsed().as_secs_f64();
            std::fs::write(dir.join("digest"), summary.digest).expect("write the digest");
            (summary.plaintext_len, seconds)
        }
        "open" => {
            let digest: [u8; 32] = read_whole(&dir.join("digest")).try_into().expect("a 32-byte digest");
            let started = Instant::now();
            let input = File::open(&sealed_path).expect("open the sealed file");
            let output = BufWriter::with_capacity(CHUNK_LEN, File::create(&opened_path).expect("create the opened file"));
            let summary = sealing::open(&BINDING, &m, input, output, Some(&digest), |_| {}).expect("open");
            (summary.plaintext_len, started.elapsed().as_secs_f64())
        }
        "open-to-file" => {
            let digest: [u8; 32] = read_whole(&dir.join("digest")).try_into().expect("a 32-byte digest");
            let started = Instant::now();
            let input = File::open(&sealed_path).expect("open the sealed file");
            let summary = sealing::open_to_file(&BINDING, &m, input, &opened_path, Some(&digest), |_| {}).expect("open to a file");
            (summary.plaintext_len, started.elapsed().as_secs_f64())
        }
        other => panic!("unknown phase {other}"),
    };
    println!("RESULT {bytes} {seconds} {}", peak_resident_kib());
}

fn run_child(phase: &str, dir: &Path) -> Measured {
    let output =
        Command::new(std::env::current_exe().expect("this program's path")).args(["--phase", phase, "--dir"]).arg(dir).output().expect("run a measurement");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find(|line| line.starts_with("RESULT ")).unwrap_or_else(|| {
        panic!("phase {phase} failed: {}\n{}", output.status, String::from_utf8_lossy(&output.stderr));
    });
    let fields: Vec<&str> = line.split_whitespace().collect();
    Measured { bytes: fields[1].parse().unwrap(), seconds: fields[2].parse().unwrap(), peak_kib: fields[3].parse().unwrap() }
}

fn write_plaintext(path: &Path, mib: u64) -> [u8; 32] {
    let mut rng = StdRng::seed_from_u64(SEED + 2);
    let mut file = BufWriter::new(File::create(path).expect("create the plaintext"));
    let mut block = vec![0u8; 1 << 20];
    let mut hasher = Sha256::new();
    for _ in 0..mib {
        rng.fill_bytes(&mut block);
        hasher.update(&block);
        file.write_all(&block).expect("write the plaintext");
    }
    file.flush().expect("flush the plaintext");
    hasher.finalize().into()
}

fn file_sha256(path: &Path) -> [u8; 32] {
    let mut file = File::open(path).expect("open for hashing");
    let mut block = vec![0u8; 1 << 20];
    let mut hasher = Sha256::new();
    loop {
        let n = file.read(&mut block).expect("read for hashing");
        if n == 0 {
            return hasher.finalize().into();
        }
        hasher.update(&block[..n]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).map(|i| args.get(i + 1).unwrap_or_else(|| panic!("{name} needs a value")).clone());
    if let Some(phase) = value("--phase") {
        child(&phase, Path::new(&value("--dir").expect("--dir")));
        return;
    }
    let mib: u64 = value("--size-mib").map_or(1024, |v| v.parse().expect("--size-mib: a whole number"));
    let keep = args.iter().any(|a| a == "--keep");
    let (dir, made_dir) = match value("--dir") {
        Some(dir) => (PathBuf::from(dir), false),
        None => (std::env::temp_dir().join(format!("medshare-seal-large-{}", std::process::id())), true),
    };
    std::fs::create_dir_all(&dir).expect("create the working directory");
    eprintln!("writing {mib} MiB of plaintext to {}", dir.display());
    let plaintext_digest = write_plaintext(&dir.join("plaintext"), mib);

    let phases = [
        ("aes-gcm", "AES-256-GCM, one message in memory (baseline)"),
        ("sha-256", "SHA-256 in memory"),
        ("stream-memory", "STREAM chunks in memory, no I/O, no digest"),
        ("seal", "`sealing::seal` file → file, with SHA-256"),
        ("open", "`sealing::open` file → file, checking SHA-256"),
        ("open-to-file", "`sealing::open_to_file` (fsync + rename)"),
    ];
    let mut baseline = None;
    println!("| operation ({mib} MiB) | time | throughput | of AES-256-GCM | peak memory (VmHWM) |");
    println!("|---|---|---|---|---|");
    for (phase, label) in phases {
        let measured = run_child(phase, &dir);
        let mb_per_s = measured.bytes as f64 / measured.seconds / 1e6;
        let baseline = *baseline.get_or_insert(mb_per_s);
        println!(
            "| {label} | {:.3} s | {mb_per_s:.0} MB/s | {:.0} % | {:.1} MiB |",
            measured.seconds,
            100.0 * mb_per_s / baseline,
            measured.peak_kib as f64 / 1024.0
        );
    }
    let sealed_len = std::fs::metadata(dir.join("sealed")).expect("the sealed file").len();
    assert_eq!(sealed_len, stream::ciphertext_len(mib << 20).expect("a length"), "the sealed length is the formula's");
    assert_eq!(file_sha256(&dir.join("opened")), plaintext_digest, "the opened file is the plaintext");
    eprintln!("sealed {sealed_len} bytes; the opened file is byte-equal to the plaintext");
    if made_dir && !keep {
        std::fs::remove_dir_all(&dir).expect("remove the working directory");
    }
}
