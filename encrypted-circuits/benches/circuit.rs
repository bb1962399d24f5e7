//! Criterion benchmarks of the circuit, measured against one variable-base Ristretto255
//! scalar multiplication in the same run (`baseline/scalar_mul`), so that the goals in
//! docs/BENCHMARKS.md are ratios that do not depend on the machine.
//! Run: `cargo bench -p encrypted-circuits`; `cargo xtask bench-report` tabulates.

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use curve25519_dalek::{Scalar, constants::RISTRETTO_BASEPOINT_POINT};
use encrypted_circuits::{
    aead,
    ceremony::CeremonyContext,
    keys::UserSecretKey,
    record::{self, RecordBinding},
    reencrypt::{self, RequestContext},
    threshold,
    vectors::run_ceremony,
};
use rand::{SeedableRng, rngs::StdRng};

/// The cluster account the test capsules are labelled with.
const CLUSTER: [u8; 32] = [0xc1; 32];

fn binding() -> RecordBinding {
    RecordBinding { program_id: [1; 32], owner: [2; 32], record_id: 3, version: 1, address: [4; 32] }
}

fn context() -> RequestContext {
    RequestContext { program_id: [1; 32], cluster: [5; 32], request: [6; 32], epoch: 0 }
}

fn benches(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let point = RISTRETTO_BASEPOINT_POINT * Scalar::random(&mut rng);
    let scalar = Scalar::random(&mut rng);
    c.bench_function("baseline/scalar_mul", |b| b.iter(|| black_box(point) * black_box(scalar)));

    for t in [3u16, 8, 16] {
        let nodes = run_ceremony(&mut rng, &CeremonyContext { program_id: [1; 32], cluster: [5; 32], epoch: 0 }, t, u8::try_from(t).unwrap()).unwrap();
        let recipient = UserSecretKey::random(&mut rng);
        let owner = UserSecretKey::random(&mut rng);
        let sealed = record::seal(&mut rng, &binding(), &CLUSTER, b"{}", &nodes[0].cluster_key, &owner.public_key());
        let partials: Vec<_> =
            nodes.iter().map(|n| n.share.reencrypt(&mut rng, &context(), &sealed.cluster_capsule, &recipient.public_key()).unwrap()).collect();
        if t == 3 {
            let share = &nodes[0].share;
            c.bench_function("circuit/partial_with_proof", |b| {
                b.iter(|| share.reencrypt(&mut rng, &context(), &sealed.cluster_capsule, &recipient.public_key()).unwrap())
            });
            let s_i = share.verification_share().to_bytes();
            let p_r = recipient.public_key().to_bytes();
            c.bench_function("circuit/verify", |b| {
                b.iter(|| reencrypt::verify(&context(), &s_i, &sealed.cluster_capsule.c1, &p_r, black_box(&partials[0])).unwrap())
            });
        }
        let with_shares: Vec<_> = nodes.iter().zip(&partials).map(|(n, p)| (n.share.verification_share(), *p)).collect();
        c.bench_with_input(BenchmarkId::new("circuit/verify_request_partials", t), &t, |b, _| {
            b.iter(|| threshold::verify_request_partials(&context(), &sealed.cluster_capsule.c1, &recipient.public_key(), &with_shares).unwrap())
        });
        c.bench_with_input(BenchmarkId::new("circuit/combine_and_open", t), &t, |b, _| {
            b.iter(|| {
                let capsule = threshold::combine(&sealed.cluster_capsule, &partials, usize::from(t)).unwrap();
                record::open(&binding(), &capsule.open(&recipient).unwrap(), &sealed.ciphertext).unwrap()
            })
        });
    }

    let cluster = UserSecretKey::random(&mut rng).public_key();
    let owner = UserSecretKey::random(&mut rng);
    for size in [1usize << 10, 1 << 20] {
        let payload = vec![0x5au8; size];
        let mut group = c.benchmark_group("record");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", size), &payload, |b, p| {
            b.iter(|| record::seal(&mut rng, &binding(), &CLUSTER, p, &cluster, &owner.public_key()))
        });
        let sealed = record::seal(&mut rng, &binding(), &CLUSTER, &payload, &cluster, &owner.public_key());
        let m = sealed.owner_capsule.open(&owner).unwrap();
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, s| b.iter(|| record::open(&binding(), &m, &s.ciphertext).unwrap()));
        group.finish();
        // the AES-256-GCM part alone, to compare with `openssl speed -evp aes-256-gcm`
        let key = [7u8; 32];
        let mut group = c.benchmark_group("aes256gcm");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", size), &payload, |b, p| b.iter(|| aead::seal(&mut rng, &key, b"aad", p)));
        let sealed = aead::seal(&mut rng, &key, b"aad", &payload);
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, s| b.iter(|| aead::open(&key, b"aad", s).unwrap()));
        group.finish();
    }
}

criterion_group!(circuit, benches);

criterion_main!(circuit);
