//! Instruction data must be exactly its arguments.
//!
//! Anchor 2.0.0-rc.2's dispatch decodes an instruction's arguments from a *prefix* of its
//! data (`wincode::config::deserialize`, not `deserialize_exact`), so any number of bytes
//! appended after the arguments used to be accepted and ignored. Nothing reads them, but a
//! transaction is then not the one canonical encoding of what it does: two different byte
//! strings (and signatures) mean the same instruction, and an indexer or a third-party
//! client that decodes strictly disagrees with the chain about what was accepted (the
//! hostile suite's `trailing_bytes_are_refused` shows it). The program's entrypoint
//! ([`crate::entrypoint`]) therefore checks the length here first and refuses anything
//! else with `InvalidInstructionData`, the error Anchor gives short or malformed data.
//!
//! Every argument list of this program is a fixed-size prefix followed by zero or more
//! `Vec<u8>` (a `u32` little-endian length, then the bytes), so its exact length is known
//! from [`Layout`] without decoding anything. The table must follow the signatures in
//! `lib.rs`: the hostile suite sends every instruction's well-formed data (a layout too
//! short or too long refuses it) and the same data with one trailing byte.

use crate::instruction;
use anchor_lang::Discriminator;

/// The shape of an instruction's arguments after its 8-byte discriminator.
#[derive(Clone, Copy)]
pub struct Layout {
    /// Bytes of the fixed-size arguments, in order, before any `Vec<u8>`.
    pub fixed: usize,
    /// How many `Vec<u8>` arguments follow them.
    pub byte_vecs: usize,
}

const fn fixed(fixed: usize) -> Layout {
    Layout { fixed, byte_vecs: 0 }
}

/// `StoreArgs` before its two `Vec<u8>` (`uri`, `chunk`): version, three 64-byte
/// capsule/proof fields, storage, ciphertext_len, digest.
const STORE_ARGS_FIXED: usize = 4 + 3 * 64 + 1 + 4 + 32;

/// Every instruction's discriminator and argument layout.
pub const LAYOUTS: [(&[u8], Layout); 24] = [
    (instruction::CreateCluster::DISCRIMINATOR, fixed(8)),
    (instruction::InviteNode::DISCRIMINATOR, fixed(32)),
    (instruction::AcceptInvitation::DISCRIMINATOR, fixed(32 + 64)),
    (instruction::RotateTransportKey::DISCRIMINATOR, fixed(32 + 64)),
    (instruction::SuspendNode::DISCRIMINATOR, fixed(1)),
    (instruction::RemoveNode::DISCRIMINATOR, fixed(1)),
    (instruction::StartEpoch::DISCRIMINATOR, fixed(8 + 1 + 4 + 2)),
    (instruction::Reshare::DISCRIMINATOR, fixed(8 + 1 + 4 + 2)),
    (instruction::PostDealing::DISCRIMINATOR, Layout { fixed: 8 + 1 + 2, byte_vecs: 1 }),
    (instruction::Complain::DISCRIMINATOR, fixed(8 + 1 + 96)),
    (instruction::FoldDealing::DISCRIMINATOR, fixed(8 + 1)),
    (instruction::ConfirmCeremony::DISCRIMINATOR, fixed(8 + 32 + 64)),
    (instruction::AdvanceCeremony::DISCRIMINATOR, fixed(8)),
    (instruction::InitSharePatientDataCompDef::DISCRIMINATOR, fixed(0)),
    (instruction::RegisterUserKey::DISCRIMINATOR, fixed(32 + 64)),
    (instruction::StorePatientData::DISCRIMINATOR, Layout { fixed: 8 + STORE_ARGS_FIXED, byte_vecs: 2 }),
    (instruction::AppendPatientData::DISCRIMINATOR, Layout { fixed: 4 + 4, byte_vecs: 1 }),
    (instruction::SharePatientData::DISCRIMINATOR, fixed(8)),
    (instruction::SharePatientDataCallback::DISCRIMINATOR, fixed(32 + 32 + 96 + 8)),
    (instruction::RevokeShare::DISCRIMINATOR, fixed(0)),
    (instruction::ExpireShareRequest::DISCRIMINATOR, fixed(0)),
    (instruction::CloseRecord::DISCRIMINATOR, fixed(0)),
    (instruction::CloseShareRequest::DISCRIMINATOR, fixed(0)),
    (instruction::CloseDealing::DISCRIMINATOR, fixed(0)),
];

/// The exact length `arguments` must have under `layout`, or `None` when a length prefix
/// points past the end (Anchor's decoder refuses those itself).
fn exact_len(layout: Layout, arguments: &[u8]) -> Option<usize> {
    let mut at = layout.fixed;
    for _ in 0..layout.byte_vecs {
        let prefix = arguments.get(at..at.checked_add(4)?)?;
        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        at = at.checked_add(4)?.checked_add(len)?;
    }
    Some(at)
}

/// Whether `data` carries bytes past its instruction's arguments. Unknown discriminators,
/// short data and malformed prefixes are left to Anchor's dispatch, which refuses them.
pub fn has_trailing_bytes(data: &[u8]) -> bool {
    let Some((discriminator, arguments)) = data.split_at_checked(8) else {
        return false;
    };
    let Some((_, layout)) = LAYOUTS.iter().find(|(known, _)| *known == discriminator) else {
        return false;
    };
    matches!(exact_len(*layout, arguments), Some(len) if arguments.len() > len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_discriminator_appears_once() {
        for (i, (a, _)) in LAYOUTS.iter().enumerate() {
            assert_eq!(a.len(), 8);
            assert!(LAYOUTS[i + 1..].iter().all(|(b, _)| a != b), "duplicate discriminator");
        }
    }

    #[test]
    fn exact_data_passes_and_one_more_byte_does_not() {
        let mut data = instruction::PostDealing::DISCRIMINATOR.to_vec();
        data.extend_from_slice(&[0; 11]);
        data.extend_from_slice(&3u32.to_le_bytes());
        data.extend_from_slice(&[1, 2, 3]);
        assert!(!has_trailing_bytes(&data));
        data.push(0);
        assert!(has_trailing_bytes(&data));
    }

    #[test]
    fn short_and_malformed_data_is_left_to_anchor() {
        assert!(!has_trailing_bytes(&[1, 2, 3]));
        let mut data = instruction::AppendPatientData::DISCRIMINATOR.to_vec();
        data.extend_from_slice(&[0; 8]);
        data.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(!has_trailing_bytes(&data));
    }
}
