//! `cargo xtask demo` (for now): a real local validator with the program deployed through
//! the upgradeable loader, a consortium admin creating a 3-of-5 cluster over JSON-RPC, and
//! the `ClusterCreated` event read back over the websocket. The full story (nodes, key
//! ceremony, patient and doctor) grows here as the daemon and the CLI land.

use medshare_client::{
    events::Event,
    instructions::{self, CreateClusterArgs},
};
use medshare_tests::localnet::Localnet;
use solana_signer::Signer;

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    println!("starting a local validator with medical_records deployed ...");
    let net = Localnet::start().await;
    println!("RPC {}  websocket {}", net.validator.rpc_url(), net.validator.rpc_pubsub_url());
    let admin = net.funded(5).await;
    println!("consortium admin {}", admin.pubkey());
    let (ix, cluster) = instructions::create_cluster(&admin.pubkey(), CreateClusterArgs { cluster_id: 1, threshold: 3, size: 5 });
    let observed = match net.send_observed(&admin, &[], &[ix]).await {
        Ok(observed) => observed,
        Err(error) => {
            eprintln!("create_cluster failed: {error}");
            std::process::exit(1);
        }
    };
    println!("create_cluster {} confirmed; program logs:", observed.signature);
    for line in &observed.logs {
        println!("  {line}");
    }
    for event in &observed.events {
        match event {
            Event::ClusterCreated(e) => println!(
                "event ClusterCreated: cluster {} admin {} id {} t={} n={} epoch {}",
                e.cluster, e.admin, e.cluster_id, e.threshold, e.size, e.epoch
            ),
            other => println!("event {other:?}"),
        }
    }
    println!("cluster account {cluster}: waiting for {} nodes to register", 5);
}
