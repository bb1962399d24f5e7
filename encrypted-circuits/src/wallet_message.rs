//! The message a wallet signs to derive its MedShare encryption key (docs/protocol.md §3.2,
//! §7.1): a Sign-In-With-Solana text (the EIP-4361 form) naming the app's domain, the wallet,
//! the program and a key index, with a plain warning, wrapped in Solana's off-chain message
//! envelope (version 0, as the `solana-offchain-message` crate serialises it).
//!
//! Why this shape: the user key is `x = H("medshare/v1/user-key", signature)`, so whoever
//! obtains the signature can read the user's records. Signing these exact bytes is
//! something no unrelated request produces: the envelope's `\xffsolana offchain` prefix can
//! never be a transaction, the text names MedShare, its program and the key index (so two
//! deployments, or two rotations, never share a key), it tells the user in plain words to
//! sign it only in MedShare, and a browser wallet that checks Sign-In-With-Solana messages
//! compares its first line's domain with the requesting site's origin. Nothing in it
//! changes between two signatures (no nonce, no time): Ed25519 is deterministic, so the same
//! wallet always derives the same key.
//!
//! Pure and `no_std + alloc`.

use alloc::{format, string::String, vec::Vec};
use core::fmt;

/// The domain (an RFC 3986 authority: host and optional port, as a browser's
/// `location.host`) written in the message when the deployment sets none.
pub const DEFAULT_DOMAIN: &str = "medshare.app";

/// Key indices a client searches (`0..=MAX_KEY_INDEX`) for the key a capsule or a share was
/// made to; a rotation past it is refused.
pub const MAX_KEY_INDEX: u32 = 15;

/// The plain warning that opens the message's statement.
pub const WARNING: &str = "Sign this only in MedShare: this signature unlocks your medical records, and any other site or app that obtains it can read them.";

/// The off-chain message signing domain: 16 bytes, `0xff` then `solana offchain`. A
/// transaction message never starts with `0xff`.
pub const SIGNING_DOMAIN: &[u8; 16] = b"\xffsolana offchain";

/// The off-chain message header version written (the only one the format defines).
pub const HEADER_VERSION: u8 = 0;

/// The longest message of formats 0 and 1 (what a Ledger displays): 1232 − 20 = 1212 bytes.
pub const MAX_LEN_LEDGER: usize = 1212;

/// The longest message: 65535 − 20 = 65515 bytes.
pub const MAX_LEN: usize = 65515;

/// The longest host name accepted as a domain (DNS).
pub const MAX_HOST_LEN: usize = 253;

/// The off-chain message's format byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageFormat {
    /// 0: printable ASCII only (`0x20..=0x7e`: no line feed), at most [`MAX_LEN_LEDGER`] bytes.
    RestrictedAscii = 0,
    /// 1: UTF-8, at most [`MAX_LEN_LEDGER`] bytes.
    LimitedUtf8 = 1,
    /// 2: UTF-8, at most [`MAX_LEN`] bytes.
    ExtendedUtf8 = 2,
}

impl MessageFormat {
    /// The format `solana-offchain-message` picks for `message` (the narrowest that fits),
    /// or why it has none.
    pub fn of(message: &[u8]) -> Result<Self, KeyMessageError> {
        let utf8 = core::str::from_utf8(message).is_ok();
        if message.is_empty() {
            Err(KeyMessageError::InvalidOffchainMessage("the message is empty"))
        } else if message.len() <= MAX_LEN_LEDGER {
            if message.iter().all(|b| (0x20..=0x7e).contains(b)) {
                Ok(MessageFormat::RestrictedAscii)
            } else if utf8 {
                Ok(MessageFormat::LimitedUtf8)
            } else {
                Err(KeyMessageError::InvalidOffchainMessage("the message is not UTF-8"))
            }
        } else if message.len() <= MAX_LEN {
            if utf8 { Ok(MessageFormat::ExtendedUtf8) } else { Err(KeyMessageError::InvalidOffchainMessage("the message is not UTF-8")) }
        } else {
            Err(KeyMessageError::InvalidOffchainMessage("the message is longer than 65515 bytes"))
        }
    }
}

/// Solana's off-chain message, version 0, as `solana-offchain-message` serialises it:
/// `SIGNING_DOMAIN (16) ‖ u8(0) ‖ u8(format) ‖ u16le(len(message)) ‖ message`.
pub fn offchain_message(message: &[u8]) -> Result<Vec<u8>, KeyMessageError> {
    let format = MessageFormat::of(message)?;
    let mut out = Vec::with_capacity(SIGNING_DOMAIN.len() + 4 + message.len());
    out.extend_from_slice(SIGNING_DOMAIN);
    out.push(HEADER_VERSION);
    out.push(format as u8);
    // MessageFormat::of refused anything over MAX_LEN < u16::MAX
    out.extend_from_slice(&(message.len() as u16).to_le_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

/// Why a key message cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMessageError {
    /// The domain is not a lowercase host name with an optional port.
    InvalidDomain {
        /// The domain given.
        domain: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The bytes do not fit an off-chain message.
    InvalidOffchainMessage(&'static str),
}

impl fmt::Display for KeyMessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyMessageError::InvalidDomain { domain, reason } => {
                write!(f, "key domain `{domain}` is not a lowercase host name with an optional :port (as a browser's location.host): {reason}")
            }
            KeyMessageError::InvalidOffchainMessage(why) => write!(f, "not a valid off-chain message: {why}"),
        }
    }
}

impl core::error::Error for KeyMessageError {}

/// Checks that `domain` is what a browser reports as `location.host` for the app: a host
/// name of lowercase letters, digits and `-` in dot-separated labels (1–63 characters, not
/// starting or ending with `-`; at most 253 characters; an IPv4 address passes), then an
/// optional `:port` (1–65535, no leading zero). No user information, no IPv6, no upper
/// case: the domain is part of what is signed, so two spellings would be two keys.
pub fn check_domain(domain: &str) -> Result<(), KeyMessageError> {
    let fail = |reason| Err(KeyMessageError::InvalidDomain { domain: domain.into(), reason });
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if host.is_empty() {
        return fail("it has no host name");
    }
    if host.len() > MAX_HOST_LEN {
        return fail("the host name is longer than 253 characters");
    }
    for label in host.split('.') {
        if label.is_empty() || label.len() > 63 {
            return fail("a dot-separated label is empty or longer than 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return fail("a host name holds only lowercase letters, digits, '-' and '.'");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return fail("a label starts or ends with '-'");
        }
    }
    if let Some(port) = port {
        let digits = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) && !port.starts_with('0');
        if !digits || port.parse::<u32>().map_or(true, |p| p > 65535) {
            return fail("the port is not a number from 1 to 65535 without leading zeros");
        }
    }
    Ok(())
}

/// What a wallet signs to derive its MedShare encryption key number `index` for one
/// deployment (domain and program).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserKeyMessage {
    /// The app's domain, e.g. [`DEFAULT_DOMAIN`]; see [`check_domain`].
    pub domain: String,
    /// The wallet's Ed25519 public key (its Solana address).
    pub wallet: [u8; 32],
    /// The `medical_records` program id of the deployment.
    pub program_id: [u8; 32],
    /// The key index: 0 first, one more at every rotation.
    pub index: u32,
}

impl UserKeyMessage {
    /// A message for a checked domain.
    pub fn new(domain: &str, wallet: [u8; 32], program_id: [u8; 32], index: u32) -> Result<Self, KeyMessageError> {
        check_domain(domain)?;
        Ok(UserKeyMessage { domain: domain.into(), wallet, program_id, index })
    }

    /// The text, in the Sign-In-With-Solana form (EIP-4361's ABNF with a Solana account) with
    /// only fields that never change, lines separated by `\n` and no final line feed:
    ///
    /// ```text
    /// {domain} wants you to sign in with your Solana account:
    /// {wallet, base58}
    ///
    /// {WARNING} Derive MedShare encryption key #{index} for program {program id, base58}
    ///
    /// Version: 1
    /// Resources:
    /// - solana:{program id, base58}
    /// ```
    pub fn text(&self) -> String {
        let wallet = bs58::encode(self.wallet).into_string();
        let program = bs58::encode(self.program_id).into_string();
        format!(
            "{domain} wants you to sign in with your Solana account:\n{wallet}\n\n{WARNING} Derive MedShare encryption key #{index} for program {program}\n\nVersion: 1\nResources:\n- solana:{program}",
            domain = self.domain,
            index = self.index,
        )
    }

    /// The bytes the wallet signs: [`UserKeyMessage::text`] in Solana's off-chain message
    /// envelope ([`offchain_message`]; the text holds line feeds, so its format is 1, limited
    /// UTF-8). Refuses a domain that [`check_domain`] refuses.
    pub fn to_bytes(&self) -> Result<Vec<u8>, KeyMessageError> {
        check_domain(&self.domain)?;
        offchain_message(self.text().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{string::ToString, vec};

    /// `G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ`, the program id of docs/protocol.md §8.
    const PROGRAM_ID: [u8; 32] = [
        0xe1, 0x00, 0x07, 0xb1, 0x2d, 0x32, 0xab, 0x93, 0xac, 0xf7, 0x92, 0xe8, 0xf9, 0xca, 0xa6, 0xd4, 0x83, 0xe7, 0x79, 0xe3, 0x99, 0xcb, 0x19, 0xb3, 0xdd,
        0x82, 0x99, 0x36, 0xac, 0xbc, 0x20, 0x87,
    ];

    /// Bytes 1, 2, …, 32: `4wBqpZM9xaSheZzJSMawUKKwhdpChKbZ5eu5ky4Vigw`.
    fn wallet() -> [u8; 32] {
        core::array::from_fn(|i| i as u8 + 1)
    }

    const EXPECTED_TEXT: &str = "medshare.app wants you to sign in with your Solana account:
4wBqpZM9xaSheZzJSMawUKKwhdpChKbZ5eu5ky4Vigw

Sign this only in MedShare: this signature unlocks your medical records, and any other site or app that obtains it can read them. Derive MedShare encryption key #3 for program G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ

Version: 1
Resources:
- solana:G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ";

    #[test]
    fn the_text_is_exactly_the_template() {
        let message = UserKeyMessage::new(DEFAULT_DOMAIN, wallet(), PROGRAM_ID, 3).unwrap();
        assert_eq!(message.text(), EXPECTED_TEXT);
        assert_eq!(EXPECTED_TEXT.len(), 402);
    }

    #[test]
    fn the_signed_bytes_are_the_offchain_envelope_of_the_text() {
        let message = UserKeyMessage::new(DEFAULT_DOMAIN, wallet(), PROGRAM_ID, 3).unwrap();
        // "\xffsolana offchain", version 0, format 1 (limited UTF-8: the text has line
        // feeds), length 402 = 0x0192 little-endian, then the text.
        let mut expected = vec![0xff, 0x73, 0x6f, 0x6c, 0x61, 0x6e, 0x61, 0x20, 0x6f, 0x66, 0x66, 0x63, 0x68, 0x61, 0x69, 0x6e, 0x00, 0x01, 0x92, 0x01];
        expected.extend_from_slice(EXPECTED_TEXT.as_bytes());
        assert_eq!(message.to_bytes().unwrap(), expected);
        assert_eq!(expected.len(), 422);
    }

    #[test]
    fn every_field_changes_the_bytes() {
        let base = UserKeyMessage::new(DEFAULT_DOMAIN, wallet(), PROGRAM_ID, 0).unwrap();
        let bytes = base.to_bytes().unwrap();
        let mut other_wallet = wallet();
        other_wallet[31] ^= 1;
        let mut other_program = PROGRAM_ID;
        other_program[0] ^= 1;
        for changed in [
            UserKeyMessage { index: 1, ..base.clone() },
            UserKeyMessage { domain: "staging.medshare.app".to_string(), ..base.clone() },
            UserKeyMessage { wallet: other_wallet, ..base.clone() },
            UserKeyMessage { program_id: other_program, ..base.clone() },
        ] {
            assert_ne!(changed.to_bytes().unwrap(), bytes, "{changed:?}");
        }
        assert!(base.text().starts_with(
            "medshare.app wants you to sign in with your Solana account:\n4wBqpZM9xaSheZzJSMawUKKwhdpChKbZ5eu5ky4Vigw\n\nSign this only in MedShare: "
        ));
        assert!(base.text().contains("Derive MedShare encryption key #0 for program G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ\n"));
        assert!(!base.text().contains("Nonce") && !base.text().contains("Issued At"));
    }

    #[test]
    fn the_statement_fits_the_sign_in_abnf() {
        // EIP-4361 / SIWS: statement = *( reserved / unreserved / " " ), one line.
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;= ".contains(c);
        let text = UserKeyMessage::new(DEFAULT_DOMAIN, wallet(), PROGRAM_ID, MAX_KEY_INDEX).unwrap().text();
        let statement = text.lines().nth(3).unwrap();
        assert!(statement.starts_with(WARNING));
        assert!(statement.chars().all(allowed), "{statement}");
    }

    #[test]
    fn domains_are_browser_hosts() {
        for good in ["medshare.app", "staging.medshare.app", "localhost", "localhost:3000", "127.0.0.1:8080", "a-b.example", "x.y:65535"] {
            check_domain(good).unwrap();
        }
        for bad in [
            "",
            ":3000",
            "MedShare.app",
            "medshare.app.",
            ".medshare.app",
            "-x.app",
            "x-.app",
            "a..b",
            "medshare.app:",
            "medshare.app:0",
            "medshare.app:080",
            "medshare.app:65536",
            "medshare.app:1:2",
            "https://medshare.app",
            "user@medshare.app",
            "medshare.app/path",
            "medshare app",
            "medshare.app\nevil.example wants you",
            "[::1]",
            "médshare.app",
        ] {
            assert!(matches!(check_domain(bad), Err(KeyMessageError::InvalidDomain { .. })), "{bad:?}");
        }
        let long = "a".repeat(63);
        check_domain(&format!("{long}.{long}.{long}.{}", "a".repeat(61))).unwrap();
        assert!(check_domain(&format!("{long}.{long}.{long}.{}", "a".repeat(62))).is_err());
        assert!(check_domain(&"a".repeat(64)).is_err());
        let bad = UserKeyMessage { domain: "Evil.example".to_string(), wallet: wallet(), program_id: PROGRAM_ID, index: 0 };
        assert!(matches!(bad.to_bytes(), Err(KeyMessageError::InvalidDomain { .. })));
        assert!(UserKeyMessage::new("Evil.example", wallet(), PROGRAM_ID, 0).is_err());
    }

    #[test]
    fn the_envelope_picks_the_narrowest_format() {
        assert_eq!(
            offchain_message(b"Test Message").unwrap(),
            [255, 115, 111, 108, 97, 110, 97, 32, 111, 102, 102, 99, 104, 97, 105, 110, 0, 0, 12, 0, 84, 101, 115, 116, 32, 77, 101, 115, 115, 97, 103, 101]
        );
        assert_eq!(MessageFormat::of(b"a\nb").unwrap(), MessageFormat::LimitedUtf8);
        assert_eq!(MessageFormat::of("é".as_bytes()).unwrap(), MessageFormat::LimitedUtf8);
        assert_eq!(MessageFormat::of(&[b'a'; MAX_LEN_LEDGER]).unwrap(), MessageFormat::RestrictedAscii);
        assert_eq!(MessageFormat::of(&[b'a'; MAX_LEN_LEDGER + 1]).unwrap(), MessageFormat::ExtendedUtf8);
        assert_eq!(MessageFormat::of(&vec![b'a'; MAX_LEN]).unwrap(), MessageFormat::ExtendedUtf8);
        let long = offchain_message(&vec![b'a'; MAX_LEN]).unwrap();
        assert_eq!(&long[16..20], &[0, 2, 0xeb, 0xff]);
        for bad in [&b""[..], &[0xff, 0xfe], &vec![b'a'; MAX_LEN + 1], &vec![0xff; MAX_LEN_LEDGER + 1]] {
            assert!(matches!(offchain_message(bad), Err(KeyMessageError::InvalidOffchainMessage(_))));
        }
    }
}
