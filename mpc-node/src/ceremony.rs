//! The key ceremony (docs/protocol.md §4), run through the chain: deal (round 1, in
//! chunks), read every dealing back, post the sealed round-2 packages, read those sealed to
//! this node, finish, store the share in the vault, and confirm `PK` and every `S_j`.
//!
//! The round-1 secret lives only in memory: a node restarted between its round 1 and its
//! confirmation cannot finish that epoch, and says so; the admin then starts a new epoch
//! (`start_epoch`), whose ceremony every node runs afresh.

use anyhow::{Context, Result, bail};
use encrypted_circuits::ceremony::{CeremonyParams, Participant};
use medshare_client::{accounts, instructions as ix, pda};
use std::collections::BTreeMap;

use crate::node::Node;

/// How many sealed round-2 packages go in one transaction.
const ROUND2_PER_TRANSACTION: usize = 4;
/// The largest round-1 chunk per transaction.
const ROUND1_CHUNK: usize = 700;

/// Runs this node's part of the ceremony of the cluster's current epoch, saves its share,
/// and returns once it has confirmed.
pub async fn run(node: &mut Node, cluster: &accounts::Cluster) -> Result<()> {
    let epoch = cluster.epoch;
    let member = cluster.member(&node.authority_address()).context("this node is not a member of the cluster")?;
    let index = member.index;
    let params = CeremonyParams { cluster: node.cluster.to_bytes(), epoch, size: u16::from(cluster.size), threshold: u16::from(cluster.threshold) };
    let transport = node.secrets.transport()?;
    if member.transport_key != transport.public_key() {
        bail!("the cluster lists another transport key for node {index}: this vault is not the one registered");
    }
    let dealing = node.dealing(epoch, index).await?;
    if dealing.as_ref().is_some_and(|d| !d.round1.is_empty()) {
        bail!("node {index} already dealt in epoch {epoch} and its round-1 secret was lost with a restart: the admin must start a new epoch");
    }

    tracing::info!(epoch, index, "ceremony: dealing (round 1)");
    let (mut participant, package) = Participant::round1(&mut rand::rngs::OsRng, params, u16::from(index))?;
    for (number, chunk) in package.chunks(ROUND1_CHUNK).enumerate() {
        let offset = (number * ROUND1_CHUNK) as u16;
        let post = ix::post_round1(&node.authority_address(), &node.cluster, epoch, index, package.len() as u16, offset, chunk);
        node.send("post_round1", &[post]).await?;
    }

    tracing::info!(epoch, index, "ceremony: waiting for every dealing");
    let dealings = loop {
        if let Some(dealings) = node.all_dealings(epoch, cluster.size, |d| d.round1_complete).await? {
            break dealings;
        }
        node.pause("every round-1 package").await?;
    };
    let round1: BTreeMap<u16, Vec<u8>> = dealings.iter().map(|d| (u16::from(d.dealer), d.round1.clone())).collect();
    let transport_keys: BTreeMap<u16, [u8; 32]> = cluster.members.iter().map(|m| (u16::from(m.index), m.transport_key)).collect();

    tracing::info!(epoch, index, "ceremony: posting sealed round-2 packages");
    let sealed = participant.round2(&mut rand::rngs::OsRng, &transport, &round1, &transport_keys)?;
    let posts: Vec<_> = sealed
        .into_iter()
        .map(|(to, package)| {
            let package: [u8; 65] = package.try_into().map_err(|_| anyhow::anyhow!("a sealed package is 65 bytes"))?;
            Ok(ix::post_round2(&node.authority_address(), &node.cluster, epoch, index, to as u8, package))
        })
        .collect::<Result<_>>()?;
    for batch in posts.chunks(ROUND2_PER_TRANSACTION) {
        node.send("post_round2", batch).await?;
    }

    tracing::info!(epoch, index, "ceremony: waiting for the packages sealed to this node");
    let mine = usize::from(index) - 1;
    let dealings = loop {
        if let Some(dealings) = node.all_dealings(epoch, cluster.size, |d| d.dealer == index || d.round2[mine].is_some()).await? {
            break dealings;
        }
        node.pause("every round-2 package sealed to this node").await?;
    };
    let inbox: BTreeMap<u16, Vec<u8>> =
        dealings.iter().filter(|d| d.dealer != index).filter_map(|d| Some((u16::from(d.dealer), d.round2[mine]?.to_vec()))).collect();
    let output = participant.finish(&transport, &transport_keys, &inbox)?;

    node.secrets.insert_share(&node.cluster, epoch, crate::vault::EpochShare::new(&output.share, output.cluster_key.to_bytes()));
    node.save_vault()?;
    let shares: Vec<[u8; 32]> = output.verification_shares.values().map(|s| s.to_bytes()).collect();
    let confirm = ix::confirm_ceremony(&node.authority_address(), &node.cluster, epoch, index, output.cluster_key.to_bytes(), shares);
    node.send("confirm_ceremony", &[confirm]).await?;
    tracing::info!(epoch, index, cluster_key = %hex::encode(output.cluster_key.to_bytes()), "ceremony: share stored in the vault, PK confirmed");
    Ok(())
}

impl Node {
    /// Node `dealer`'s dealing of `epoch`, if it exists.
    pub async fn dealing(&self, epoch: u64, dealer: u8) -> Result<Option<accounts::Dealing>> {
        let address = pda::dealing(&self.cluster, epoch, dealer);
        match self.connection.account(&address).await? {
            Some(data) => Ok(Some(accounts::Dealing::decode(&data)?)),
            None => Ok(None),
        }
    }

    /// Every dealing of `epoch` if all `size` exist and pass `ready`, else `None`.
    async fn all_dealings(&self, epoch: u64, size: u8, ready: impl Fn(&accounts::Dealing) -> bool) -> Result<Option<Vec<accounts::Dealing>>> {
        let mut dealings = Vec::new();
        for dealer in 1..=size {
            match self.dealing(epoch, dealer).await? {
                Some(dealing) if ready(&dealing) => dealings.push(dealing),
                _ => return Ok(None),
            }
        }
        Ok(Some(dealings))
    }
}
