//! Instruction builders: accounts in the program's order, Anchor-encoded data.

use borsh::BorshSerialize;
use solana_instruction::{AccountMeta, Instruction};

use crate::{Address, PROGRAM_ID, discriminator, pda};

/// Anchor instruction data: the instruction's discriminator, then its borsh arguments.
fn data(name: &str, args: &impl BorshSerialize) -> Vec<u8> {
    let mut out = discriminator("global", name).to_vec();
    args.serialize(&mut out).expect("writing to a Vec cannot fail");
    out
}

/// Arguments of `create_cluster`, in the program's order.
#[derive(BorshSerialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateClusterArgs {
    /// Admin-chosen id, part of the cluster's seeds.
    pub cluster_id: u64,
    /// `t`, with `2 ≤ t ≤ n`.
    pub threshold: u8,
    /// `n`, with `2 ≤ n ≤ 16`.
    pub size: u8,
}

/// `create_cluster`: `admin` signs and pays; returns the instruction and the cluster address.
pub fn create_cluster(admin: &Address, args: CreateClusterArgs) -> (Instruction, Address) {
    let (cluster, _) = pda::cluster(admin, args.cluster_id);
    let instruction = Instruction {
        program_id: PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*admin, true),
            AccountMeta::new(cluster, false),
            AccountMeta::new_readonly(solana_sdk_ids::system_program::ID, false),
        ],
        data: data("create_cluster", &args),
    };
    (instruction, cluster)
}
