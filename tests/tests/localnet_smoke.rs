//! The program on a real local validator: deployed from the `.so` through the upgradeable
//! loader, driven over JSON-RPC, its event read back with `getTransaction` and decoded.

use medshare_client::{PROGRAM_ID, accounts::Cluster, errors, events::Event, instructions};
use medshare_tests::localnet::Localnet;
use solana_signer::Signer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_cluster_over_rpc_and_websocket() {
    let net = Localnet::start().await;
    let program = net.rpc.get_account(&PROGRAM_ID).await.expect("the program account");
    assert!(program.executable);
    assert_eq!(program.owner, solana_sdk_ids::bpf_loader_upgradeable::id());

    let admin = net.funded(5).await;
    let (ix, cluster) = instructions::create_cluster(&admin.pubkey(), 1);
    let observed = net.send_observed(&admin, &[], &[ix]).await.expect("create_cluster over RPC");
    let consumed = observed.logs.iter().find(|l| l.starts_with(&format!("Program {PROGRAM_ID} consumed"))).expect("CU line");
    println!("{} -> {consumed}", observed.signature);

    assert_eq!(observed.events.len(), 1);
    let Event::ClusterCreated(event) = &observed.events[0] else { panic!("expected ClusterCreated, got {:?}", observed.events[0]) };
    assert_eq!((event.cluster, event.admin, event.cluster_id), (cluster, admin.pubkey(), 1));

    let account = net.rpc.get_account(&cluster).await.expect("the cluster account");
    assert_eq!(account.owner, PROGRAM_ID);
    assert_eq!(&account.data[8..40], admin.pubkey().as_ref());
    let state = Cluster::decode(&account.data).expect("a cluster account");
    assert_eq!((state.admin, state.cluster_id, state.epoch, state.ceremony_epoch), (admin.pubkey(), 1, 0, 0));
    assert_eq!((state.status, state.public_key), (Cluster::REGISTERING, [0; 32]), "no members, no key yet");
    assert!(state.members.is_empty());

    // a rejected instruction comes back over RPC with the program's error code
    let bad = instructions::start_epoch(&admin.pubkey(), &cluster, 1, 1, 10, 0);
    let error = net.send_observed(&admin, &[], &[bad]).await.err().expect("t < 2 must fail");
    let code = errors::code("InvalidThreshold").unwrap();
    assert!(error.contains(&format!("custom program error: {code:#x}")), "{error}");
}
