//! `create_cluster` on the real SBF binary in LiteSVM: account bytes, the decoded event,
//! every error path, and the compute units it costs.

use medshare_client::{
    PROGRAM_ID, discriminator, errors,
    events::Event,
    instructions::{self, CreateClusterArgs},
    pda,
};
use medshare_tests::{chain, svm};
use solana_signer::Signer;

/// Byte offsets of `Cluster` fields (after the 8-byte discriminator), as laid out by
/// `#[repr(C)]` in `programs/medical-records/src/state/cluster.rs`.
mod layout {
    pub const ADMIN: usize = 8;
    pub const CLUSTER_ID: usize = 40;
    pub const EPOCH: usize = 48;
    pub const PUBLIC_KEY: usize = 56;
    pub const THRESHOLD: usize = 88;
    pub const SIZE: usize = 89;
    pub const STATUS: usize = 90;
    pub const MEMBER_COUNT: usize = 91;
    pub const BUMP: usize = 92;
    pub const MEMBERS: usize = 100;
    pub const MEMBER_LEN: usize = 104;
    pub const MAX_NODES: usize = 16;
}

#[test]
fn create_cluster_writes_the_account_and_emits_the_event() {
    let mut svm = svm::with_program();
    let admin = svm::funded(&mut svm, 10);
    let args = CreateClusterArgs { cluster_id: 7, threshold: 3, size: 5 };
    let (ix, cluster) = instructions::create_cluster(&admin.pubkey(), args);
    let meta =
        svm::send(&mut svm, &admin, &[], std::slice::from_ref(&ix)).unwrap_or_else(|e| panic!("create_cluster: {:?}\n{}", e.err, e.meta.logs.join("\n")));
    println!("create_cluster consumed {} CU", meta.compute_units_consumed);

    let account = svm.get_account(&cluster).expect("the cluster account exists");
    assert_eq!(account.owner, PROGRAM_ID);
    let data = &account.data;
    assert_eq!(data.len(), medshare_client::accounts::Cluster::LEN);
    assert_eq!(layout::MEMBERS + layout::MAX_NODES * layout::MEMBER_LEN + 32 + layout::MAX_NODES * 32, medshare_client::accounts::Cluster::LEN);
    assert_eq!(data[..8], discriminator("account", "Cluster"));
    assert_eq!(&data[layout::ADMIN..layout::ADMIN + 32], admin.pubkey().as_ref());
    assert_eq!(data[layout::CLUSTER_ID..layout::CLUSTER_ID + 8], 7u64.to_le_bytes());
    assert_eq!(data[layout::EPOCH..layout::EPOCH + 8], 0u64.to_le_bytes());
    assert_eq!(data[layout::PUBLIC_KEY..layout::PUBLIC_KEY + 32], [0u8; 32], "no cluster key before the ceremony");
    assert_eq!(data[layout::THRESHOLD], 3);
    assert_eq!(data[layout::SIZE], 5);
    assert_eq!(data[layout::STATUS], 0, "Registering");
    assert_eq!(data[layout::MEMBER_COUNT], 0);
    assert_eq!(data[layout::BUMP], pda::cluster(&admin.pubkey(), 7).1);
    assert!(data[layout::MEMBERS..].iter().all(|b| *b == 0), "member slots start empty");

    let read = chain::svm_events(&admin.pubkey(), &meta);
    assert!(read.problems.is_empty(), "our events decode: {:?}", read.problems);
    let events = read.events;
    assert_eq!(events.len(), 1);
    let Event::ClusterCreated(event) = &events[0] else { panic!("expected ClusterCreated, got {:?}", events[0]) };
    assert_eq!(event.cluster, cluster);
    assert_eq!(event.admin, admin.pubkey());
    assert_eq!((event.cluster_id, event.threshold, event.size, event.epoch), (7, 3, 5, 0));
}

#[test]
fn create_cluster_rejects_bad_parameters_with_named_errors() {
    let mut svm = svm::with_program();
    let admin = svm::funded(&mut svm, 10);
    let cases = [
        (CreateClusterArgs { cluster_id: 1, threshold: 0, size: 3 }, "InvalidThreshold"),
        (CreateClusterArgs { cluster_id: 5, threshold: 1, size: 3 }, "InvalidThreshold"),
        (CreateClusterArgs { cluster_id: 2, threshold: 4, size: 3 }, "InvalidThreshold"),
        (CreateClusterArgs { cluster_id: 3, threshold: 1, size: 1 }, "InvalidClusterSize"),
        (CreateClusterArgs { cluster_id: 4, threshold: 2, size: 17 }, "InvalidClusterSize"),
    ];
    for (args, expected) in cases {
        let (ix, cluster) = instructions::create_cluster(&admin.pubkey(), args);
        let failure = svm::send(&mut svm, &admin, &[], &[ix]).expect_err("bad parameters must fail");
        let code = svm::custom_error(&failure).unwrap_or_else(|| panic!("{args:?}: not a custom error: {:?}", failure.err));
        assert_eq!(errors::describe(code).map(|d| d.0), Some(expected), "{args:?}");
        println!("{args:?} -> {code} {expected} ({} CU)", failure.meta.compute_units_consumed);
        assert!(svm.get_account(&cluster).is_none_or(|a| a.data.is_empty()), "nothing is created");
    }
}

#[test]
fn create_cluster_needs_the_admin_signature_and_a_fresh_address() {
    let mut svm = svm::with_program();
    let admin = svm::funded(&mut svm, 10);
    let payer = svm::funded(&mut svm, 10);
    let args = CreateClusterArgs { cluster_id: 9, threshold: 2, size: 3 };

    // the admin's account listed but not signing: Anchor's Signer check refuses
    let (mut unsigned, cluster) = instructions::create_cluster(&admin.pubkey(), args);
    unsigned.accounts[0].is_signer = false;
    let failure = svm::send(&mut svm, &payer, &[], &[unsigned]).expect_err("unsigned admin");
    assert!(format!("{:?}", failure.err).contains("MissingRequiredSignature"), "expected MissingRequiredSignature, got {:?}", failure.err);
    assert!(svm.get_account(&cluster).is_none_or(|a| a.data.is_empty()));

    // a second create at the same address fails and leaves the first untouched
    let (ix, _) = instructions::create_cluster(&admin.pubkey(), args);
    svm::send(&mut svm, &admin, &[], &[ix]).expect("first create");
    let before = svm.get_account(&cluster).unwrap().data;
    let (again, _) = instructions::create_cluster(&admin.pubkey(), CreateClusterArgs { threshold: 3, ..args });
    svm::send(&mut svm, &admin, &[], &[again]).expect_err("the address is taken");
    assert_eq!(svm.get_account(&cluster).unwrap().data, before);
}
