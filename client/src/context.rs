//! Where the cryptography meets the chain, in one place: a record version's AEAD binding,
//! a share request's proof context (docs/protocol.md §3), a wallet's derived key, and the
//! combination of the partials a request holds.

use encrypted_circuits::{
    Error,
    keys::UserSecretKey,
    record::{Capsule, RecordBinding, ReencryptedCapsule},
    reencrypt::{Partial, ReencryptionProof, RequestContext},
    threshold,
    wallet_message::{DEFAULT_DOMAIN, KeyMessageError, UserKeyMessage},
};
use solana_signer::{Signer, SignerError};

use crate::{Address, PROGRAM_ID, accounts::ShareRequest, pda};

/// The AEAD binding of `owner`'s record `record_id` at `version`.
pub fn record_binding(owner: &Address, record_id: u64, version: u32) -> RecordBinding {
    let address = pda::record(owner, record_id);
    RecordBinding { program_id: PROGRAM_ID.to_bytes(), owner: owner.to_bytes(), record_id, version, address: address.to_bytes() }
}

/// The context every proof and pad of `cluster`'s ceremony `epoch` is bound to.
pub fn ceremony_context(cluster: &Address, epoch: u64) -> encrypted_circuits::ceremony::CeremonyContext {
    encrypted_circuits::ceremony::CeremonyContext { program_id: PROGRAM_ID.to_bytes(), cluster: cluster.to_bytes(), epoch }
}

/// The context every partial's proof for `request` is bound to (`epoch`: the cluster's
/// serving epoch when the partial is made, `Cluster::epoch`).
pub fn request_context(cluster: &Address, request: &Address, epoch: u64) -> RequestContext {
    RequestContext { program_id: PROGRAM_ID.to_bytes(), cluster: cluster.to_bytes(), request: request.to_bytes(), epoch }
}

/// Why a wallet's MedShare encryption key could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum UserKeyError {
    /// The domain is refused (see `wallet_message::check_domain`).
    #[error(transparent)]
    Message(#[from] KeyMessageError),
    /// The wallet did not sign.
    #[error("the wallet did not sign the MedShare key message: {0}")]
    Signer(#[from] SignerError),
    /// Two signatures of the same message differ.
    #[error("this wallet does not sign deterministically, so no stable key can be derived from it: use a raw key file with --encryption-key FILE")]
    NotDeterministic,
    /// The derived scalar is zero (probability 2^-252).
    #[error(transparent)]
    Key(#[from] Error),
}

/// The message `wallet` signs for its key number `index` in this deployment (the program id
/// [`PROGRAM_ID`]) served at `domain`.
pub fn user_key_message(wallet: &Address, domain: &str, index: u32) -> Result<UserKeyMessage, KeyMessageError> {
    UserKeyMessage::new(domain, wallet.to_bytes(), PROGRAM_ID.to_bytes(), index)
}

/// The wallet's MedShare encryption key number `index` (0, then one more at each rotation),
/// for the default domain [`DEFAULT_DOMAIN`]: see [`user_key_for_domain`].
pub fn user_key(wallet: &dyn Signer, index: u32) -> Result<UserSecretKey, UserKeyError> {
    user_key_for_domain(wallet, DEFAULT_DOMAIN, index)
}

/// The wallet's MedShare encryption key number `index` for a deployment served at `domain`
/// (docs/protocol.md §3.2, §7.1): `x = H("medshare/v1/user-key", sig)` with `sig` the
/// wallet's Ed25519 signature of [`user_key_message`]'s off-chain bytes, so the wallet is
/// the only secret a user keeps. The message is signed twice and a wallet whose two
/// signatures differ is refused ([`UserKeyError::NotDeterministic`]): its key would change
/// from one use to the next.
pub fn user_key_for_domain(wallet: &dyn Signer, domain: &str, index: u32) -> Result<UserSecretKey, UserKeyError> {
    let message = user_key_message(&wallet.try_pubkey()?, domain, index)?.to_bytes()?;
    let first: [u8; 64] = wallet.try_sign_message(&message)?.into();
    let second: [u8; 64] = wallet.try_sign_message(&message)?.into();
    if first != second {
        return Err(UserKeyError::NotDeterministic);
    }
    Ok(UserSecretKey::from_wallet_signature(&first)?)
}

/// Combines the `t` partials a request holds. The program verified each one's proof before
/// storing it and keeps only `(A_i, E_i)`, so the proofs here are left empty.
pub fn combine_accepted(request: &ShareRequest) -> Result<ReencryptedCapsule, Error> {
    let empty = ReencryptionProof { c: [0; 32], z_s: [0; 32], z_r: [0; 32] };
    let partials: Vec<Partial> = request.partials.iter().map(|(index, a, e)| Partial { index: u16::from(*index), a: *a, e: *e, proof: empty }).collect();
    threshold::combine(&Capsule::from_bytes(&request.capsule)?, &partials, usize::from(request.threshold))
}

/// Seals `plaintext` as version `version` of `owner`'s record `record_id`: its cluster
/// capsule to `cluster_key` (the current key of `cluster`) with the proof that labels it for
/// this record version, and its owner capsule to `owner_key` (docs/protocol.md §3.3).
#[allow(clippy::too_many_arguments)]
pub fn seal_version(
    rng: &mut (impl rand::CryptoRng + rand::RngCore),
    owner: &Address,
    record_id: u64,
    version: u32,
    cluster: &Address,
    cluster_key: &encrypted_circuits::keys::PublicKey,
    owner_key: &encrypted_circuits::keys::PublicKey,
    plaintext: &[u8],
) -> encrypted_circuits::record::SealedRecord {
    let binding = record_binding(owner, record_id, version);
    encrypted_circuits::record::seal(rng, &binding, &cluster.to_bytes(), plaintext, cluster_key, owner_key)
}

/// Checks a share request's capsule against its label — this program, the request's cluster,
/// `cluster_key`, the record's owner, address and version — before anything re-encrypts or
/// combines it. A node passes the key from its own vault and a recipient the key the record
/// was sealed to, so that neither trusts its RPC provider for which capsule it handles.
pub fn verify_request_capsule(request: &ShareRequest, cluster_key: &[u8; 32]) -> Result<(), Error> {
    use encrypted_circuits::capsule::{self, CapsuleLabel, CapsuleProof};
    let label = CapsuleLabel {
        program_id: PROGRAM_ID.to_bytes(),
        cluster: request.cluster.to_bytes(),
        cluster_key: *cluster_key,
        owner: request.owner.to_bytes(),
        record: request.record.to_bytes(),
        version: request.record_version,
    };
    capsule::verify(&label, &request.capsule, &CapsuleProof::from_array(&request.capsule_proof))
}

#[cfg(test)]
mod tests {
    use super::*;
    use encrypted_circuits::wallet_message::{self, MAX_KEY_INDEX};
    use solana_keypair::Keypair;
    use solana_offchain_message::OffchainMessage;
    use solana_signature::Signature;
    use std::cell::{Cell, RefCell};

    /// A wallet that records what it signs; with `vary`, it signs a different message each
    /// time (as a wallet with randomised signatures would).
    struct TestWallet {
        keypair: Keypair,
        signed: RefCell<Vec<Vec<u8>>>,
        vary: bool,
        counter: Cell<u8>,
    }

    impl TestWallet {
        fn new(vary: bool) -> Self {
            TestWallet { keypair: Keypair::new_from_array([9; 32]), signed: RefCell::default(), vary, counter: Cell::new(0) }
        }
    }

    impl Signer for TestWallet {
        fn try_pubkey(&self) -> Result<Address, SignerError> {
            Ok(self.keypair.pubkey())
        }

        fn try_sign_message(&self, message: &[u8]) -> Result<Signature, SignerError> {
            self.signed.borrow_mut().push(message.to_vec());
            let mut message = message.to_vec();
            if self.vary {
                self.counter.set(self.counter.get() + 1);
                message.push(self.counter.get());
            }
            Ok(self.keypair.sign_message(&message))
        }

        fn is_interactive(&self) -> bool {
            false
        }
    }

    #[test]
    fn user_key_signs_the_sdk_offchain_message_twice() {
        let wallet = TestWallet::new(false);
        let key = user_key(&wallet, 2).unwrap();
        let text = user_key_message(&wallet.pubkey(), DEFAULT_DOMAIN, 2).unwrap().text();
        let expected = OffchainMessage::new(0, text.as_bytes()).unwrap().serialize().unwrap();
        assert_eq!(*wallet.signed.borrow(), vec![expected.clone(), expected.clone()]);
        let signature: [u8; 64] = wallet.keypair.sign_message(&expected).into();
        assert_eq!(key.to_bytes(), UserSecretKey::from_wallet_signature(&signature).unwrap().to_bytes());
        assert!(text.starts_with(&format!("medshare.app wants you to sign in with your Solana account:\n{}\n\n", wallet.pubkey())));
        assert!(text.contains(&format!("Derive MedShare encryption key #2 for program {PROGRAM_ID}\n")));
    }

    #[test]
    fn the_envelope_matches_solana_offchain_message() {
        let keypair = Keypair::new_from_array([3; 32]);
        let mut messages: Vec<Vec<u8>> = vec![
            b"Test Message".to_vec(),
            "\u{422}\u{435}\u{441}\u{442}".as_bytes().to_vec(),
            b"two\nlines".to_vec(),
            vec![b'a'; 1212],
            vec![b'a'; 1213],
            vec![b'a'; 65515],
        ];
        for index in [0, 1, MAX_KEY_INDEX, u32::MAX] {
            for domain in [DEFAULT_DOMAIN, "localhost:3000", "staging.medshare.app"] {
                messages.push(user_key_message(&keypair.pubkey(), domain, index).unwrap().to_bytes().unwrap()[20..].to_vec());
            }
        }
        for message in messages {
            let sdk = OffchainMessage::new(0, &message).unwrap();
            let ours = wallet_message::offchain_message(&message).unwrap();
            assert_eq!(ours, sdk.serialize().unwrap());
            assert_eq!(ours[17], u8::from(sdk.get_format()));
        }
        for bad in [&b""[..], &[0xc3, 0x28], &vec![b'a'; 65516]] {
            assert!(OffchainMessage::new(0, bad).is_err());
            assert!(wallet_message::offchain_message(bad).is_err());
        }
    }

    #[test]
    fn a_wallet_that_does_not_sign_deterministically_is_refused() {
        let wallet = TestWallet::new(true);
        let error = user_key(&wallet, 0).unwrap_err();
        assert!(matches!(error, UserKeyError::NotDeterministic));
        let text = error.to_string();
        assert!(text.contains("does not sign deterministically") && text.contains("--encryption-key FILE"), "{text}");
        assert_eq!(wallet.signed.borrow().len(), 2);
    }

    #[test]
    fn rotations_and_deployments_get_their_own_keys() {
        let wallet = Keypair::new_from_array([5; 32]);
        let key = |domain: &str, index: u32| user_key_for_domain(&wallet, domain, index).unwrap().public_key();
        assert_eq!(key(DEFAULT_DOMAIN, 0), user_key(&wallet, 0).unwrap().public_key());
        assert_eq!(key(DEFAULT_DOMAIN, 0), key(DEFAULT_DOMAIN, 0), "deterministic");
        assert_ne!(key(DEFAULT_DOMAIN, 0), key(DEFAULT_DOMAIN, 1), "a rotation is a new key");
        assert_ne!(key(DEFAULT_DOMAIN, 0), key("staging.medshare.app", 0), "another deployment is another key");
        let other = Keypair::new_from_array([6; 32]);
        assert_ne!(user_key(&other, 0).unwrap().public_key(), key(DEFAULT_DOMAIN, 0));
        // a signature of anything else (the old fixed message, say) is not the key
        let unrelated: [u8; 64] = wallet.sign_message(b"medshare encryption key v1").into();
        assert_ne!(UserSecretKey::from_wallet_signature(&unrelated).unwrap().public_key(), key(DEFAULT_DOMAIN, 0));
    }

    #[test]
    fn a_bad_domain_is_refused_before_signing() {
        let wallet = TestWallet::new(false);
        assert!(matches!(user_key_for_domain(&wallet, "MedShare.app", 0), Err(UserKeyError::Message(KeyMessageError::InvalidDomain { .. }))));
        assert!(wallet.signed.borrow().is_empty());
    }
}
