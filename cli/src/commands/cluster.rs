//! `cluster create | invite | accept | suspend-node | remove-node | replace-node | new-epoch |
//! reshare | advance | fold | register-circuit | close-dealing | status`: the consortium
//! admin's commands, the ones a node authority signs (`accept`, `close-dealing`) and the ones
//! anyone may send (`advance`, `fold`). Suspending, removing and replacing a node and starting
//! a ceremony ask first (`--yes` to skip), and so does closing a dealing.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use medshare_client::{
    Address,
    accounts::{Ceremony, CeremonyPhase, Cluster, MemberStatus, indices, mask_of},
    instructions as ix,
    join::JoinRequest,
    pda,
};
use serde_json::{Value, json};
use std::{path::PathBuf, time::Duration};

use crate::{
    output::{Report, table},
    session::{self, Session},
};

/// The default length of each ceremony phase, in slots (about a minute at 400 ms a slot).
pub const DEFAULT_WINDOW_SLOTS: u32 = 150;

/// Admin commands.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Creates a cluster with no members and no key (the wallet is its admin); invite nodes next.
    Create {
        /// Admin-chosen id (part of the cluster's address).
        #[arg(long, default_value_t = 1)]
        id: u64,
    },
    /// Invites a node authority into the lowest free slot; the node then accepts with its own transport key (`mpc-node join-request`, `cluster accept`).
    Invite {
        /// The cluster.
        cluster: String,
        /// The node's authority (its wallet address).
        #[arg(long)]
        authority: String,
    },
    /// Accepts an invitation with the transport key and proof `mpc-node join-request` printed; the wallet (--keypair) must be the node authority.
    Accept {
        /// The join request JSON file (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        join_request: PathBuf,
    },
    /// Suspends a node: its partials are refused and it takes no part in later ceremonies.
    SuspendNode {
        /// The cluster.
        cluster: String,
        /// The node's index.
        #[arg(long)]
        index: u8,
    },
    /// Removes a node (or withdraws its invitation); reshare afterwards to make its share useless.
    RemoveNode {
        /// The cluster.
        cluster: String,
        /// The node's index.
        #[arg(long)]
        index: u8,
    },
    /// Removes node --index and invites --authority in one transaction; the new node accepts, then run `reshare`.
    ReplaceNode {
        /// The cluster.
        cluster: String,
        /// The index of the node to remove.
        #[arg(long)]
        index: u8,
        /// The new node's authority.
        #[arg(long)]
        authority: String,
    },
    /// Starts a key generation: a new cluster key for the active members (every record must then be re-keyed).
    NewEpoch(CeremonyArgs),
    /// Starts a resharing: new shares of the same cluster key for the active members, with a new threshold.
    Reshare(CeremonyArgs),
    /// Moves the latest ceremony past a passed deadline (anyone may send it): closes dealing, or activates or fails it.
    Advance {
        /// The cluster.
        cluster: String,
    },
    /// Folds every qualified dealing of the latest ceremony not folded yet (anyone may send it; the nodes do it themselves): confirmations wait for it.
    Fold {
        /// The cluster.
        cluster: String,
    },
    /// Registers the share circuit once the cluster is active (waits up to --wait for it).
    RegisterCircuit {
        /// The cluster.
        cluster: String,
        /// How long to wait for the ceremony to finish (e.g. 2m).
        #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
        wait: Duration,
    },
    /// Closes a dealing of a ceremony that is over (neither running nor serving) and returns its rent to the dealer; the wallet must be the dealer's node authority.
    CloseDealing {
        /// The cluster.
        cluster: String,
        /// The ceremony's epoch.
        #[arg(long)]
        epoch: u64,
        /// The dealer's index (default: the wallet's own index in the cluster).
        #[arg(long)]
        dealer: Option<u8>,
    },
    /// The cluster's key, members and their faults, and the latest ceremony's progress.
    Status {
        /// The cluster.
        cluster: String,
    },
}

/// `new-epoch` and `reshare`.
#[derive(clap::Args, Debug)]
pub struct CeremonyArgs {
    /// The cluster.
    pub cluster: String,
    /// `t'`: partials the new shares need (2..=active members).
    #[arg(long)]
    pub threshold: u8,
    /// Length of each phase (dealing, then confirming), in slots.
    #[arg(long, default_value_t = DEFAULT_WINDOW_SLOTS)]
    pub window_slots: u32,
    /// The members who receive the new shares (comma-separated indices; default: every active member).
    /// A member left out holds no share once the ceremony activates (then remove it).
    #[arg(long, value_delimiter = ',', value_name = "INDICES")]
    pub members: Option<Vec<u8>>,
}

/// Runs an admin command.
pub async fn run(session: &Session, command: ClusterCommand) -> Result<Report> {
    match command {
        ClusterCommand::Create { id } => {
            let admin = session.wallet()?;
            let (instruction, cluster) = ix::create_cluster(&admin.pubkey(), id);
            let signature = session.send(&[instruction]).await?;
            let json = json!({ "cluster": cluster.to_string(), "admin": admin.pubkey().to_string(), "id": id, "signature": signature.to_string() });
            let text = format!(
                "created cluster {cluster} (id {id}); next: `medshare cluster invite {cluster} --authority <NODE>` for each node, \
                 then `medshare cluster new-epoch {cluster} --threshold <T>` once they accepted\nsignature {signature}"
            );
            Ok(Report::new(json, text))
        }
        ClusterCommand::Invite { cluster, authority } => {
            let admin = session.wallet()?;
            let cluster = session::address(&cluster, "cluster")?;
            let authority = session::address(&authority, "node authority")?;
            let signature = session.send(&[ix::invite_node(&admin.pubkey(), &cluster, &authority)]).await?;
            let index = session.cluster(&cluster).await?.member(&authority).map(|m| m.index);
            let json = json!({ "cluster": cluster.to_string(), "authority": authority.to_string(), "index": index, "signature": signature.to_string() });
            let text = format!(
                "invited {authority} into cluster {cluster} as node {}; the node now runs `mpc-node join-request` and its authority \
                 `medshare cluster accept --join-request <FILE>`\nsignature {signature}",
                index.map_or_else(|| "?".to_owned(), |i| i.to_string())
            );
            Ok(Report::new(json, text))
        }
        ClusterCommand::Accept { join_request } => accept(session, &join_request).await,
        ClusterCommand::SuspendNode { cluster, index } => {
            let admin = session.wallet()?;
            let address = session::address(&cluster, "cluster")?;
            let who = member_description(session, &address, index).await?;
            session.confirm(&format!("suspend node {index}{who} of cluster {address}: its partials are refused from now on"))?;
            let signature = session.send(&[ix::suspend_node(&admin.pubkey(), &address, index)]).await?;
            let json = json!({ "cluster": address.to_string(), "index": index, "status": "suspended", "signature": signature.to_string() });
            Ok(Report::new(json, format!("suspended node {index} of cluster {address}\nsignature {signature}")))
        }
        ClusterCommand::RemoveNode { cluster, index } => {
            let admin = session.wallet()?;
            let address = session::address(&cluster, "cluster")?;
            let who = member_description(session, &address, index).await?;
            session.confirm(&format!("remove node {index}{who} from cluster {address}"))?;
            let signature = session.send(&[ix::remove_node(&admin.pubkey(), &address, index)]).await?;
            let state = session.cluster(&address).await?;
            let status = state.member_at(index).map_or("empty", |m| m.status.name());
            let json = json!({ "cluster": address.to_string(), "index": index, "status": status, "signature": signature.to_string() });
            let text = if status == "removed" {
                format!(
                    "removed node {index} from cluster {address}; its share still exists until the next ceremony activates: \
                     run `medshare cluster reshare {address} --threshold <T>`\nsignature {signature}"
                )
            } else {
                format!("withdrew the invitation of node {index} in cluster {address}\nsignature {signature}")
            };
            Ok(Report::new(json, text))
        }
        ClusterCommand::ReplaceNode { cluster, index, authority } => {
            let admin = session.wallet()?;
            let address = session::address(&cluster, "cluster")?;
            let authority = session::address(&authority, "node authority")?;
            let instructions = [ix::remove_node(&admin.pubkey(), &address, index), ix::invite_node(&admin.pubkey(), &address, &authority)];
            let who = member_description(session, &address, index).await?;
            session.confirm(&format!("remove node {index}{who} from cluster {address} and invite {authority} in its place"))?;
            let signature = session.send(&instructions).await?;
            let new_index = session.cluster(&address).await?.member(&authority).map(|m| m.index);
            let json = json!({
                "cluster": address.to_string(), "removed": index, "authority": authority.to_string(), "index": new_index, "signature": signature.to_string(),
            });
            let text = format!(
                "removed node {index} and invited {authority} as node {} in cluster {address}\n\
                 next: the new node accepts (`mpc-node join-request`, then `medshare cluster accept --join-request <FILE>` signed by {authority}), \
                 then the admin runs `medshare cluster reshare {address} --threshold <T>`\nsignature {signature}",
                new_index.map_or_else(|| "?".to_owned(), |i| i.to_string())
            );
            Ok(Report::new(json, text))
        }
        ClusterCommand::NewEpoch(args) => start(session, args, false).await,
        ClusterCommand::Reshare(args) => start(session, args, true).await,
        ClusterCommand::Advance { cluster } => advance(session, &cluster).await,
        ClusterCommand::Fold { cluster } => fold(session, &cluster).await,
        ClusterCommand::RegisterCircuit { cluster, wait } => {
            let admin = session.wallet()?;
            let cluster = session::address(&cluster, "cluster")?;
            let deadline = std::time::Instant::now() + wait;
            loop {
                let state = session.cluster(&cluster).await?;
                if state.is_active() {
                    break;
                }
                if std::time::Instant::now() >= deadline {
                    let progress = match latest_ceremony(session, &cluster, &state).await? {
                        Some(ceremony) => summary(&ceremony),
                        None => "no ceremony has started (`medshare cluster new-epoch`)".to_owned(),
                    };
                    bail!("cluster {cluster} is not active yet: {progress}");
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            let signature = session.send(&[ix::init_share_patient_data_comp_def(&admin.pubkey(), &cluster)]).await?;
            let circuit = pda::circuit(&cluster);
            let json = json!({ "cluster": cluster.to_string(), "circuit": circuit.to_string(), "signature": signature.to_string() });
            Ok(Report::new(json, format!("registered the share circuit {circuit} for cluster {cluster}\nsignature {signature}")))
        }
        ClusterCommand::CloseDealing { cluster, epoch, dealer } => close_dealing(session, &cluster, epoch, dealer).await,
        ClusterCommand::Status { cluster } => status(session, &cluster).await,
    }
}

/// ` (authority X, status)` of member `index`, for confirmations; empty when the slot is empty.
async fn member_description(session: &Session, cluster: &Address, index: u8) -> Result<String> {
    let state = session.cluster(cluster).await?;
    Ok(state.member_at(index).map_or_else(String::new, |m| format!(" ({}, {})", m.authority, m.status.name())))
}

/// `close-dealing`: the dealer's authority closes its dealing of a ceremony that is over.
async fn close_dealing(session: &Session, cluster: &str, epoch: u64, dealer: Option<u8>) -> Result<Report> {
    let wallet = session.wallet()?;
    let address = session::address(cluster, "cluster")?;
    let state = session.cluster(&address).await?;
    let dealer = match dealer {
        Some(index) => index,
        None => state.member(&wallet.pubkey()).map(|m| m.index).ok_or_else(|| {
            anyhow::anyhow!("the wallet {} is no member of cluster {address}: give --dealer, and sign with that node's authority", wallet.pubkey())
        })?,
    };
    let member = state.member_at(dealer).ok_or_else(|| anyhow::anyhow!("cluster {address} has no node {dealer}"))?;
    session::require_signer(wallet, &member.authority, &format!("authority of node {dealer}"))?;
    if epoch == state.epoch || epoch == state.ceremony_epoch {
        bail!(
            "ceremony {epoch} of cluster {address} is still running or serving (serving epoch {}, latest ceremony {}): its dealings stay",
            state.epoch,
            state.ceremony_epoch
        );
    }
    let dealing = pda::dealing(&address, epoch, dealer);
    let lamports = session.connection.rpc.get_balance(&dealing).await?;
    if lamports == 0 {
        bail!("node {dealer} has no dealing for ceremony {epoch} of cluster {address} ({dealing} does not exist)");
    }
    session.confirm(&format!(
        "close node {dealer}'s dealing {dealing} of ceremony {epoch}: {} SOL of rent goes back to {}",
        super::records::sol(lamports),
        member.authority
    ))?;
    let signature = session.send(&[ix::close_dealing(&wallet.pubkey(), &address, epoch, dealer)]).await?;
    let json = json!({
        "cluster": address.to_string(), "epoch": epoch, "dealer": dealer, "dealing": dealing.to_string(), "lamports_returned": lamports,
        "returned_to": member.authority.to_string(), "signature": signature.to_string(),
    });
    let text = format!(
        "closed node {dealer}'s dealing of ceremony {epoch}: {} SOL ({lamports} lamports) returned to {}\nsignature {signature}",
        super::records::sol(lamports),
        member.authority
    );
    Ok(Report::new(json, text))
}

/// Reads a join request from `path` (`-`: stdin).
pub fn read_join_request(path: &std::path::Path) -> Result<JoinRequest> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading the join request from stdin")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading join request {}", path.display()))?
    };
    serde_json::from_str(&text).with_context(|| format!("{} is not a join request (`mpc-node join-request` prints one)", path.display()))
}

/// `accept`: the node authority sends its join request.
async fn accept(session: &Session, path: &std::path::Path) -> Result<Report> {
    if path.as_os_str() == "-" && session.wallet_reads_stdin() {
        bail!("the join request and the signer cannot both be read from stdin: give the join request as a file");
    }
    let request = read_join_request(path)?;
    let wallet = session.wallet()?;
    if wallet.pubkey() != request.authority {
        bail!("the join request is for node authority {}, but the wallet is {}: sign with the node's keypair (--keypair)", request.authority, wallet.pubkey());
    }
    request.verify().with_context(|| {
        format!("the join request's proof of possession does not verify for cluster {} and authority {}", request.cluster, request.authority)
    })?;
    let cluster = session.cluster(&request.cluster).await?;
    match cluster.member(&request.authority) {
        None => bail!(
            "{} has no invitation in cluster {}: the admin runs `medshare cluster invite {} --authority {}` first",
            request.authority,
            request.cluster,
            request.cluster,
            request.authority
        ),
        Some(member) if member.status != MemberStatus::Invited => {
            bail!("{} is already node {} of cluster {} ({}): nothing to accept", request.authority, member.index, request.cluster, member.status)
        }
        Some(_) => {}
    }
    let signature = session.send(&[request.accept_instruction()]).await?;
    let index = session.cluster(&request.cluster).await?.member(&request.authority).map(|m| m.index);
    let json = json!({
        "cluster": request.cluster.to_string(), "authority": request.authority.to_string(), "index": index,
        "transport_key": hex::encode(request.transport_key), "signature": signature.to_string(),
    });
    let text = format!(
        "node {} ({}) joined cluster {} with transport key {}; it takes part from the next ceremony the admin starts\nsignature {signature}",
        index.map_or_else(|| "?".to_owned(), |i| i.to_string()),
        request.authority,
        request.cluster,
        hex::encode(request.transport_key)
    );
    Ok(Report::new(json, text))
}

/// `new-epoch` (key generation) and `reshare`.
async fn start(session: &Session, args: CeremonyArgs, resharing: bool) -> Result<Report> {
    let admin = session.wallet()?;
    let address = session::address(&args.cluster, "cluster")?;
    let cluster = session.cluster(&address).await?;
    session::require_signer(admin, &cluster.admin, "cluster admin")?;
    let epoch = cluster.next_ceremony_epoch();
    let active = cluster.members_with(MemberStatus::Active);
    let members = match &args.members {
        None => active,
        Some(list) => {
            let mask = mask_of(list.iter().copied());
            if let Some(index) = list.iter().find(|i| mask_of([**i]) & active == 0) {
                bail!("member {index} of cluster {address} is not active (active: {})", list_of(active));
            }
            mask
        }
    };
    let build = if resharing { ix::reshare } else { ix::start_epoch };
    let consequence = if resharing {
        "new shares of the same cluster key; members left out hold no share once it activates"
    } else {
        "a new cluster key: every record must be re-keyed (`medshare rekey`) before it is shared again"
    };
    session.confirm(&format!(
        "start ceremony {epoch} of cluster {address} ({}, {}-of-{} for members {}): {consequence}",
        if resharing { "resharing" } else { "key generation" },
        args.threshold,
        members.count_ones(),
        list_of(members)
    ))?;
    let signature = session.send(&[build(&admin.pubkey(), &address, epoch, args.threshold, args.window_slots, members)]).await?;
    let ceremony = session.ceremony(&address, epoch).await?;
    let mut json = ceremony_json(&ceremony, None);
    json["cluster"] = json!(address.to_string());
    json["signature"] = json!(signature.to_string());
    let what = if resharing { "resharing (same cluster key)" } else { "key generation (a new cluster key: records must be re-keyed after it)" };
    let text = format!(
        "cluster {address} started ceremony {epoch}: {what}, {}-of-{}\ndealers {}; receivers {}\ndealing until slot {}, confirmations until slot {}\nsignature {signature}",
        ceremony.threshold,
        ceremony.receivers.count_ones(),
        list_of(ceremony.dealers),
        list_of(ceremony.receivers),
        ceremony.deal_deadline,
        ceremony.confirm_deadline
    );
    Ok(Report::new(json, text))
}

/// `advance`: anyone moves the latest ceremony past a deadline.
async fn advance(session: &Session, cluster: &str) -> Result<Report> {
    let address = session::address(cluster, "cluster")?;
    let state = session.cluster(&address).await?;
    let Some(before) = latest_ceremony(session, &address, &state).await? else { bail!("cluster {address} has no ceremony to advance") };
    let epoch = before.epoch;
    let signature = match session.send_tx(&[ix::advance_ceremony(&address, epoch)]).await? {
        Ok(signature) => signature,
        Err(error) if error.program_error() == Some("NothingToAdvance") => {
            let slot = session.connection.rpc.get_slot().await.ok();
            bail!("{error}\nceremony {epoch}: {}{}", summary(&before), slot.map_or_else(String::new, |s| format!(" (current slot {s})")))
        }
        Err(error) => return Err(session::tx_error(error)),
    };
    let after = session.ceremony(&address, epoch).await?;
    let mut json = ceremony_json(&after, None);
    json["cluster"] = json!(address.to_string());
    json["from_phase"] = json!(before.phase.name());
    json["signature"] = json!(signature.to_string());
    let text = format!(
        "advanced ceremony {epoch} of cluster {address}: {} -> {}\n{}\nsignature {signature}",
        before.phase.name(),
        after.phase.name(),
        summary(&after)
    );
    Ok(Report::new(json, text))
}

/// `fold`: anyone folds the latest ceremony's qualified dealings not folded yet, one transaction each.
async fn fold(session: &Session, cluster: &str) -> Result<Report> {
    let address = session::address(cluster, "cluster")?;
    let state = session.cluster(&address).await?;
    let Some(ceremony) = latest_ceremony(session, &address, &state).await? else { bail!("cluster {address} has no ceremony") };
    let epoch = ceremony.epoch;
    if ceremony.phase != CeremonyPhase::Confirming {
        bail!("ceremony {epoch} of cluster {address} is {}: dealings are folded while it confirms", ceremony.phase.name());
    }
    let mut folded = Vec::new();
    let mut signatures = Vec::new();
    for dealer in ceremony.unfolded() {
        match session.send_tx(&ix::fold_dealing_transaction(&address, epoch, dealer)).await? {
            Ok(signature) => {
                folded.push(dealer);
                signatures.push(signature.to_string());
            }
            // a node folded it meanwhile
            Err(error) if error.program_error() == Some("DealingsNotFolded") && session.ceremony(&address, epoch).await?.is_folded(dealer) => {}
            Err(error) => return Err(session::tx_error(error).context(format!("folding dealer {dealer}'s dealing"))),
        }
    }
    let after = session.ceremony(&address, epoch).await?;
    let mut json = ceremony_json(&after, None);
    json["cluster"] = json!(address.to_string());
    json["folded_now"] = json!(folded);
    json["signatures"] = json!(signatures);
    let text = format!(
        "ceremony {epoch} of cluster {address}: folded {} now; {}\n{}",
        if folded.is_empty() { "nothing".to_owned() } else { folded.iter().map(u8::to_string).collect::<Vec<_>>().join(" ") },
        if after.unfolded().is_empty() {
            "every qualified dealing is folded: receivers may confirm".to_owned()
        } else {
            format!("still to fold: {}", list_of(mask_of(after.unfolded())))
        },
        summary(&after)
    );
    Ok(Report::new(json, text))
}

/// The cluster's latest ceremony, if one was started.
async fn latest_ceremony(session: &Session, address: &Address, cluster: &Cluster) -> Result<Option<Ceremony>> {
    if cluster.ceremony_epoch == 0 {
        return Ok(None);
    }
    Ok(Some(session.ceremony(address, cluster.ceremony_epoch).await?))
}

/// Indices of a mask, space-separated, or `-`.
fn list_of(mask: u16) -> String {
    if mask == 0 { "-".to_owned() } else { indices(mask).iter().map(u8::to_string).collect::<Vec<_>>().join(" ") }
}

/// One line on where a ceremony is.
fn summary(c: &Ceremony) -> String {
    match c.phase {
        CeremonyPhase::Dealing => {
            format!(
                "dealing until slot {}: dealt {}, disqualified {}, waiting for {}",
                c.deal_deadline,
                list_of(c.dealt),
                list_of(c.disqualified),
                list_of(c.undealt())
            )
        }
        CeremonyPhase::Confirming => format!(
            "confirming until slot {}: qualified {}, folded {}, confirmed {}, waiting for {}",
            c.confirm_deadline,
            list_of(c.qualified),
            list_of(c.folded & c.qualified),
            list_of(c.confirmed),
            list_of(c.unconfirmed())
        ),
        CeremonyPhase::Done => format!("done: holders {}, late {}", list_of(c.confirmed), list_of(c.unconfirmed())),
        CeremonyPhase::Failed => format!("failed: qualified {}, confirmed {}", list_of(c.qualified), list_of(c.confirmed)),
    }
}

/// A ceremony's progress as JSON; with the current slot, the deadlines' state and what comes next.
fn ceremony_json(c: &Ceremony, slot: Option<u64>) -> Value {
    let closed = !matches!(c.phase, CeremonyPhase::Dealing);
    let past_confirm = matches!(c.phase, CeremonyPhase::Done | CeremonyPhase::Failed) || slot.is_some_and(|s| s > c.confirm_deadline);
    let mut json = json!({
        "epoch": c.epoch,
        "address": pda::ceremony(&c.cluster, c.epoch).to_string(),
        "kind": c.kind.name(),
        "phase": c.phase.name(),
        "threshold": c.threshold,
        "old_threshold": c.old_threshold,
        "deal_deadline": c.deal_deadline,
        "confirm_deadline": c.confirm_deadline,
        "dealers": indices(c.dealers),
        "dealt": indices(c.dealt),
        "disqualified": indices(c.disqualified),
        "dealing_pending": if closed { Vec::new() } else { indices(c.undealt()) },
        "absent": if closed { indices(c.undealt()) } else { Vec::new() },
        "qualified": closed.then(|| indices(c.qualified)),
        "folded": indices(c.folded & c.qualified),
        "fold_pending": if c.phase == CeremonyPhase::Confirming { c.unfolded() } else { Vec::new() },
        "folded_public_key": c.folded_public_key().map(hex::encode),
        "receivers": indices(c.receivers),
        "required": if closed { indices(c.required()) } else { Vec::new() },
        "confirmed": indices(c.confirmed),
        "confirm_pending": if closed && !past_confirm { indices(c.unconfirmed()) } else { Vec::new() },
        "late": if closed && past_confirm { indices(c.unconfirmed()) } else { Vec::new() },
    });
    if let Some(slot) = slot {
        json["slot"] = json!(slot);
        json["can_advance"] = json!(c.can_advance(slot));
        json["next"] = json!(next_step(c, slot));
    }
    json
}

/// What happens next in a ceremony at `slot`.
fn next_step(c: &Ceremony, slot: u64) -> String {
    let cluster = c.cluster;
    match c.phase {
        CeremonyPhase::Dealing if slot > c.deal_deadline => {
            format!("the deal deadline passed: anyone may close dealing with `medshare cluster advance {cluster}`")
        }
        CeremonyPhase::Dealing => format!("dealers {} have {} slots left to deal", list_of(c.undealt()), c.deal_deadline - slot),
        CeremonyPhase::Confirming if slot > c.confirm_deadline => format!(
            "the confirm deadline passed: `medshare cluster advance {cluster}` activates with the {} confirmations in (at least {} needed) or fails the ceremony",
            c.confirmed.count_ones(),
            c.threshold
        ),
        CeremonyPhase::Confirming if !c.unfolded().is_empty() => format!(
            "the qualified dealings {} must be folded before anyone confirms (the nodes do it; anyone may: `medshare cluster fold {cluster}`); {} slots left",
            list_of(mask_of(c.unfolded())),
            c.confirm_deadline - slot
        ),
        CeremonyPhase::Confirming => format!("receivers {} have {} slots left to confirm", list_of(c.unconfirmed()), c.confirm_deadline - slot),
        CeremonyPhase::Done if c.unconfirmed() != 0 => format!("active; late receivers {} may still confirm and then hold a share", list_of(c.unconfirmed())),
        CeremonyPhase::Done => "active".to_owned(),
        CeremonyPhase::Failed => format!("failed: the admin starts another (`medshare cluster new-epoch {cluster}` or `reshare {cluster}`)"),
    }
}

/// `status`.
async fn status(session: &Session, cluster: &str) -> Result<Report> {
    let address = session::address(cluster, "cluster")?;
    let cluster = session.cluster(&address).await?;
    let ceremony = latest_ceremony(session, &address, &cluster).await?;
    let slot = session.connection.rpc.get_slot().await?;
    let members: Vec<Value> = cluster
        .members
        .iter()
        .map(|m| {
            json!({
                "index": m.index, "authority": m.authority.to_string(), "status": m.status.name(), "holds_share": m.holds_share(), "serves": m.serves(),
                "faults": m.faults, "transport_key": hex::encode(m.transport_key), "verification_share": hex::encode(m.verification_share),
            })
        })
        .collect();
    let json = json!({
        "cluster": address.to_string(), "admin": cluster.admin.to_string(), "cluster_id": cluster.cluster_id, "status": cluster.status_name(),
        "epoch": cluster.epoch, "key_epoch": cluster.key_epoch, "ceremony_epoch": cluster.ceremony_epoch,
        "threshold": cluster.threshold, "size": cluster.size, "public_key": hex::encode(cluster.public_key), "members": members,
        "slot": slot, "ceremony": ceremony.as_ref().map(|c| ceremony_json(c, Some(slot))),
    });

    let rows: Vec<Vec<String>> = cluster
        .members
        .iter()
        .map(|m| {
            let role = ceremony.as_ref().map_or_else(String::new, |c| role(c, m.index));
            vec![
                m.index.to_string(),
                m.authority.to_string(),
                m.status.name().to_owned(),
                if m.holds_share() { "yes" } else { "no" }.to_owned(),
                m.faults.to_string(),
                role,
            ]
        })
        .collect();
    let key = if cluster.public_key == [0; 32] { "none".to_owned() } else { hex::encode(cluster.public_key) };
    let mut text = format!(
        "cluster {address}: {}, serving epoch {} (key epoch {}), {}-of-{} holders\nPK {key}\n{}",
        cluster.status_name(),
        cluster.epoch,
        cluster.key_epoch,
        cluster.threshold,
        cluster.size,
        table(&["NODE", "AUTHORITY", "STATUS", "SHARE", "FAULTS", "CEREMONY"], &rows)
    );
    match &ceremony {
        None => text.push_str("\n\nno ceremony yet: invite nodes, then `medshare cluster new-epoch <CLUSTER> --threshold <T>`"),
        Some(c) => {
            let when = |deadline: u64| if slot > deadline { format!("slot {deadline}, passed") } else { format!("slot {deadline}, {} left", deadline - slot) };
            text.push_str(&format!(
                "\n\nceremony {} ({}, t' = {}): {} at slot {slot}\n  dealing deadline {}; confirm deadline {}\n  {}\n  next: {}",
                c.epoch,
                c.kind.name().replace('_', " "),
                c.threshold,
                c.phase.name(),
                when(c.deal_deadline),
                when(c.confirm_deadline),
                summary(c),
                next_step(c, slot)
            ));
        }
    }
    Ok(Report::new(json, text))
}

/// A member's part in a ceremony, in a few words: `dealt, confirmed`, `absent`, `disqualified`, ….
fn role(c: &Ceremony, index: u8) -> String {
    let mut parts = Vec::new();
    if c.is_dealer(index) {
        parts.push(if c.is_disqualified(index) {
            "disqualified"
        } else if c.has_dealt(index) {
            "dealt"
        } else if c.phase == CeremonyPhase::Dealing {
            "to deal"
        } else {
            "absent"
        });
    }
    if c.is_receiver(index) {
        let required = c.required() & mask_of([index]) != 0;
        parts.push(match c.phase {
            _ if c.has_confirmed(index) => "confirmed",
            CeremonyPhase::Dealing => "to confirm",
            CeremonyPhase::Confirming if required => "to confirm",
            CeremonyPhase::Done if required => "late",
            CeremonyPhase::Confirming | CeremonyPhase::Done => "may confirm",
            CeremonyPhase::Failed => "not confirmed",
        });
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, commands::Command};
    use clap::Parser;
    use medshare_client::accounts::{CeremonyKind, MAX_NODES};

    fn parse(args: &[&str]) -> ClusterCommand {
        match Cli::try_parse_from(["medshare", "cluster"].iter().chain(args)).unwrap().command {
            Command::Cluster(command) => command,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_ceremony_commands_parse() {
        let cluster = Address::new_from_array([1; 32]).to_string();
        assert!(matches!(parse(&["create"]), ClusterCommand::Create { id: 1 }));
        assert!(matches!(parse(&["new-epoch", &cluster, "--threshold", "3"]), ClusterCommand::NewEpoch(CeremonyArgs { threshold: 3, window_slots: 150, .. })));
        assert!(matches!(
            parse(&["reshare", &cluster, "--threshold", "2", "--window-slots", "9"]),
            ClusterCommand::Reshare(CeremonyArgs { threshold: 2, window_slots: 9, .. })
        ));
        let ClusterCommand::Reshare(args) = parse(&["reshare", &cluster, "--threshold", "2", "--members", "1,3,4"]) else { panic!() };
        assert_eq!(args.members, Some(vec![1, 3, 4]));
        assert!(matches!(parse(&["replace-node", &cluster, "--index", "2", "--authority", &cluster]), ClusterCommand::ReplaceNode { index: 2, .. }));
        assert!(matches!(parse(&["suspend-node", &cluster, "--index", "4"]), ClusterCommand::SuspendNode { index: 4, .. }));
        assert!(matches!(parse(&["accept", "--join-request", "-"]), ClusterCommand::Accept { .. }));
        assert!(matches!(parse(&["advance", &cluster]), ClusterCommand::Advance { .. }));
        for gone in [&["add-node", &cluster][..], &["create", "--threshold", "2", "--size", "3"]] {
            assert!(Cli::try_parse_from(["medshare", "cluster"].iter().chain(gone)).is_err(), "{gone:?}");
        }
    }

    fn ceremony(kind: CeremonyKind, phase: CeremonyPhase) -> Ceremony {
        Ceremony {
            cluster: Address::new_from_array([1; 32]),
            epoch: 2,
            deal_deadline: 100,
            confirm_deadline: 200,
            kind,
            phase,
            threshold: 2,
            old_threshold: 2,
            bump: 255,
            dealers: 0b0111,
            receivers: 0b1111,
            dealt: 0b0011,
            disqualified: 0b0100,
            qualified: if phase == CeremonyPhase::Dealing { 0 } else { 0b0011 },
            confirmed: 0b0001,
            folded: 0,
            aggregate: [[0; 32]; MAX_NODES],
            transport_keys: [[0; 32]; MAX_NODES],
            verification_shares: [[0; 32]; MAX_NODES],
        }
    }

    #[test]
    fn progress_names_who_dealt_confirmed_and_is_late() {
        let dealing = ceremony(CeremonyKind::Resharing, CeremonyPhase::Dealing);
        assert_eq!(role(&dealing, 3), "disqualified, to confirm");
        assert!(next_step(&dealing, 101).contains("medshare cluster advance"));
        assert!(next_step(&dealing, 90).contains("10 slots left"));

        let mut confirming = ceremony(CeremonyKind::Resharing, CeremonyPhase::Confirming);
        confirming.dealt = 0b0001;
        confirming.qualified = 0b0001;
        let json = ceremony_json(&confirming, Some(150));
        assert_eq!(json["absent"], json!([2]));
        assert_eq!(json["qualified"], json!([1]));
        assert_eq!(json["confirm_pending"], json!([2, 3, 4]), "a resharing waits for every receiver");
        assert_eq!(json["late"], json!([]));
        assert_eq!(json["can_advance"], json!(false));
        assert_eq!(role(&confirming, 2), "absent, to confirm");
        let json = ceremony_json(&confirming, Some(201));
        assert_eq!((json["late"].clone(), json["can_advance"].clone()), (json!([2, 3, 4]), json!(true)));

        let done = ceremony(CeremonyKind::KeyGeneration, CeremonyPhase::Done);
        assert_eq!(role(&done, 2), "dealt, late", "key generation requires Q's confirmations");
        assert_eq!(role(&done, 4), "may confirm");
        assert!(summary(&done).contains("late 2"));
        assert_eq!(ceremony_json(&done, None)["dealing_pending"], json!([]));
    }
}
