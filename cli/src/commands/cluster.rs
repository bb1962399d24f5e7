//! `cluster create | add-node | register-circuit | status`: the consortium admin's commands.

use anyhow::{Result, bail};
use clap::Subcommand;
use medshare_client::{accounts::Cluster, instructions as ix};
use serde_json::json;
use solana_signer::Signer;
use std::{path::PathBuf, time::Duration};

use crate::{
    output::{Report, table},
    session::{self, Session},
};

/// Admin commands.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Creates a cluster of `size` nodes answering with `threshold` partials (the wallet is its admin).
    Create {
        /// Admin-chosen id (part of the cluster's address).
        #[arg(long, default_value_t = 1)]
        id: u64,
        /// `t`: partials needed (2..=n).
        #[arg(long)]
        threshold: u8,
        /// `n`: nodes (2..=16).
        #[arg(long)]
        size: u8,
    },
    /// Adds a node (its authority co-signs): `mpc-node init` prints the transport key.
    AddNode {
        /// The cluster.
        cluster: String,
        /// The node authority's keypair file.
        #[arg(long)]
        node_keypair: PathBuf,
        /// The node's X25519 transport key (hex).
        #[arg(long)]
        transport_key: String,
    },
    /// Registers the share circuit once the cluster is active (waits up to --wait for it).
    RegisterCircuit {
        /// The cluster.
        cluster: String,
        /// How long to wait for the ceremony to finish (e.g. 2m).
        #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
        wait: Duration,
    },
    /// Starts a new epoch: the nodes run a fresh ceremony and the cluster key rotates
    /// (records are re-keyed by storing their next version).
    NewEpoch {
        /// The cluster.
        cluster: String,
    },
    /// Suspends a node: its partials are refused from now on.
    SuspendNode {
        /// The cluster.
        cluster: String,
        /// The node's index.
        index: u8,
    },
    /// The cluster's state, key and members with their fault counts.
    Status {
        /// The cluster.
        cluster: String,
    },
}

/// Runs an admin command.
pub async fn run(session: &Session, command: ClusterCommand) -> Result<Report> {
    match command {
        ClusterCommand::Create { id, threshold, size } => {
            let admin = session.wallet()?;
            let (instruction, cluster) = ix::create_cluster(&admin.pubkey(), ix::CreateClusterArgs { cluster_id: id, threshold, size });
            let signature = session.connection.send(&admin, &[], &[instruction]).await?;
            let json = json!({ "cluster": cluster.to_string(), "admin": admin.pubkey().to_string(), "id": id, "threshold": threshold, "size": size, "signature": signature.to_string() });
            Ok(Report::new(json, format!("created cluster {cluster} ({threshold}-of-{size}, id {id})\nsignature {signature}")))
        }
        ClusterCommand::AddNode { cluster, node_keypair, transport_key } => {
            let admin = session.wallet()?;
            let node = session::read_keypair(&node_keypair)?;
            let cluster = session::address(&cluster, "cluster")?;
            let transport_key = session::hex32(&transport_key, "transport key")?;
            let instruction = ix::register_node(&admin.pubkey(), &node.pubkey(), &cluster, transport_key);
            let signature = session.connection.send(&admin, &[&node], &[instruction]).await?;
            let index = session.cluster(&cluster).await?.member(&node.pubkey()).map(|m| m.index);
            let json = json!({ "cluster": cluster.to_string(), "authority": node.pubkey().to_string(), "index": index, "signature": signature.to_string() });
            Ok(Report::new(json, format!("added node {} to cluster {cluster} as index {}\nsignature {signature}", node.pubkey(), index.unwrap_or(0))))
        }
        ClusterCommand::RegisterCircuit { cluster, wait } => {
            let admin = session.wallet()?;
            let cluster = session::address(&cluster, "cluster")?;
            let deadline = std::time::Instant::now() + wait;
            loop {
                let state = session.cluster(&cluster).await?;
                if state.status == Cluster::ACTIVE {
                    break;
                }
                if std::time::Instant::now() >= deadline {
                    bail!("cluster {cluster} is not active yet: {} of {} nodes confirmed the ceremony", state.confirmations.count_ones(), state.size);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let signature = session.connection.send(&admin, &[], &[ix::init_share_patient_data_comp_def(&admin.pubkey(), &cluster)]).await?;
            let circuit = medshare_client::pda::circuit(&cluster);
            let json = json!({ "cluster": cluster.to_string(), "circuit": circuit.to_string(), "signature": signature.to_string() });
            Ok(Report::new(json, format!("registered the share circuit {circuit} for cluster {cluster}\nsignature {signature}")))
        }
        ClusterCommand::NewEpoch { cluster } => {
            let admin = session.wallet()?;
            let address = session::address(&cluster, "cluster")?;
            let signature = session.connection.send(&admin, &[], &[ix::start_epoch(&admin.pubkey(), &address)]).await?;
            let epoch = session.cluster(&address).await?.epoch;
            let json = json!({ "cluster": address.to_string(), "epoch": epoch, "signature": signature.to_string() });
            Ok(Report::new(json, format!("cluster {address} started epoch {epoch}: its nodes run a new ceremony\nsignature {signature}")))
        }
        ClusterCommand::SuspendNode { cluster, index } => {
            let admin = session.wallet()?;
            let address = session::address(&cluster, "cluster")?;
            let signature = session.connection.send(&admin, &[], &[ix::suspend_node(&admin.pubkey(), &address, index)]).await?;
            let json = json!({ "cluster": address.to_string(), "index": index, "signature": signature.to_string() });
            Ok(Report::new(json, format!("suspended node {index} of cluster {address}\nsignature {signature}")))
        }
        ClusterCommand::Status { cluster } => {
            let address = session::address(&cluster, "cluster")?;
            let cluster = session.cluster(&address).await?;
            let status = match cluster.status {
                Cluster::REGISTERING => "registering",
                Cluster::CEREMONY => "ceremony",
                _ => "active",
            };
            let members: Vec<_> = cluster
                .members
                .iter()
                .map(|m| json!({ "index": m.index, "authority": m.authority.to_string(), "active": m.active, "faults": m.faults, "transport_key": hex::encode(m.transport_key), "verification_share": hex::encode(m.verification_share) }))
                .collect();
            let json = json!({
                "cluster": address.to_string(), "admin": cluster.admin.to_string(), "status": status, "epoch": cluster.epoch,
                "threshold": cluster.threshold, "size": cluster.size, "public_key": hex::encode(cluster.public_key), "members": members,
            });
            let rows: Vec<Vec<String>> = cluster
                .members
                .iter()
                .map(|m| vec![m.index.to_string(), m.authority.to_string(), if m.active { "active" } else { "suspended" }.to_owned(), m.faults.to_string()])
                .collect();
            let text = format!(
                "cluster {address}: {status}, {}-of-{}, epoch {}\nPK {}\n{}",
                cluster.threshold,
                cluster.size,
                cluster.epoch,
                hex::encode(cluster.public_key),
                table(&["NODE", "AUTHORITY", "STATE", "FAULTS"], &rows)
            );
            Ok(Report::new(json, text))
        }
    }
}
