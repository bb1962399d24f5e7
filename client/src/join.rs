//! A node's request to join a cluster: what `mpc-node join-request` prints and
//! `medshare cluster accept --join-request FILE` sends (signed by the node authority alone),
//! as JSON: `{ "cluster": base58, "authority": base58, "transport_key": hex (32 bytes),
//! "proof": hex (64 bytes) }`.

use serde::{Deserialize, Serialize};
use solana_instruction::Instruction;

use encrypted_circuits::ceremony::TransportSecret;

use crate::{Address, PROGRAM_ID, instructions};

/// A node's transport key `T` and its proof of possession `R ‖ z` for one cluster and authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "JoinRequestJson", into = "JoinRequestJson")]
pub struct JoinRequest {
    /// The cluster that invited the node.
    pub cluster: Address,
    /// The node's authority (the invited wallet, which signs `accept_invitation`).
    pub authority: Address,
    /// `T = τ·G` (Ristretto255).
    pub transport_key: [u8; 32],
    /// `R ‖ z`, bound to the program, the cluster and the authority.
    pub proof: [u8; 64],
}

/// The JSON form: addresses in base58, keys and proof in hex.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinRequestJson {
    cluster: String,
    authority: String,
    transport_key: String,
    proof: String,
}

/// Why a join request does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("join request: {0}")]
pub struct JoinRequestError(String);

fn hex_bytes<const N: usize>(text: &str, what: &str) -> Result<[u8; N], JoinRequestError> {
    let bytes = hex::decode(text.trim()).map_err(|_| JoinRequestError(format!("{what} is not hex")))?;
    bytes.try_into().map_err(|bytes: Vec<u8>| JoinRequestError(format!("{what} must be {N} bytes, got {}", bytes.len())))
}

impl TryFrom<JoinRequestJson> for JoinRequest {
    type Error = JoinRequestError;

    fn try_from(json: JoinRequestJson) -> Result<Self, Self::Error> {
        let address = |text: &str, what: &str| text.trim().parse::<Address>().map_err(|_| JoinRequestError(format!("{what} `{text}` is not a base58 address")));
        Ok(JoinRequest {
            cluster: address(&json.cluster, "cluster")?,
            authority: address(&json.authority, "authority")?,
            transport_key: hex_bytes(&json.transport_key, "transport_key")?,
            proof: hex_bytes(&json.proof, "proof")?,
        })
    }
}

impl From<JoinRequest> for JoinRequestJson {
    fn from(request: JoinRequest) -> Self {
        JoinRequestJson {
            cluster: request.cluster.to_string(),
            authority: request.authority.to_string(),
            transport_key: hex::encode(request.transport_key),
            proof: hex::encode(request.proof),
        }
    }
}

impl JoinRequest {
    /// A join request for `authority` in `cluster` with `transport`'s key and a fresh proof of possession.
    pub fn new(rng: &mut (impl rand::CryptoRng + rand::RngCore), cluster: &Address, authority: &Address, transport: &TransportSecret) -> JoinRequest {
        let proof = transport.prove_possession(rng, &PROGRAM_ID.to_bytes(), &cluster.to_bytes(), &authority.to_bytes());
        JoinRequest { cluster: *cluster, authority: *authority, transport_key: transport.public_key(), proof }
    }

    /// Whether the proof verifies as the program checks it (this program, cluster and authority).
    pub fn verify(&self) -> Result<(), encrypted_circuits::Error> {
        encrypted_circuits::ceremony::verify_transport_key(
            &PROGRAM_ID.to_bytes(),
            &self.cluster.to_bytes(),
            &self.authority.to_bytes(),
            &self.transport_key,
            &self.proof,
        )
    }

    /// `accept_invitation`, to be signed by [`JoinRequest::authority`].
    pub fn accept_instruction(&self) -> Instruction {
        instructions::accept_invitation(&self.authority, &self.cluster, self.transport_key, self.proof)
    }

    /// `rotate_transport_key` with the same key and proof (a member replacing its transport key).
    pub fn rotate_instruction(&self) -> Instruction {
        instructions::rotate_transport_key(&self.authority, &self.cluster, self.transport_key, self.proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_refuses_malformed_fields() {
        let request =
            JoinRequest { cluster: Address::new_from_array([1; 32]), authority: Address::new_from_array([2; 32]), transport_key: [3; 32], proof: [4; 64] };
        let text = serde_json::to_string(&request).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["cluster"], Address::new_from_array([1; 32]).to_string());
        assert_eq!(value["transport_key"], hex::encode([3; 32]));
        assert_eq!(serde_json::from_str::<JoinRequest>(&text).unwrap(), request);

        let mut short = value.clone();
        short["proof"] = serde_json::json!(hex::encode([4; 63]));
        let error = serde_json::from_value::<JoinRequest>(short).unwrap_err().to_string();
        assert!(error.contains("proof must be 64 bytes, got 63"), "{error}");
        let mut bad = value.clone();
        bad["authority"] = serde_json::json!("not an address");
        assert!(serde_json::from_value::<JoinRequest>(bad).unwrap_err().to_string().contains("authority"));
        let mut extra = value;
        extra["secret"] = serde_json::json!("x");
        assert!(serde_json::from_value::<JoinRequest>(extra).is_err(), "unknown fields are refused");
        assert_eq!(request.accept_instruction().accounts[0].pubkey, request.authority);
    }

    #[test]
    fn a_new_request_verifies_for_its_cluster_and_authority_only() {
        let mut rng = rand::thread_rng();
        let transport = TransportSecret::random(&mut rng);
        let (cluster, authority) = (Address::new_from_array([1; 32]), Address::new_from_array([2; 32]));
        let request = JoinRequest::new(&mut rng, &cluster, &authority, &transport);
        assert_eq!(request.transport_key, transport.public_key());
        request.verify().unwrap();
        assert!(JoinRequest { authority: cluster, ..request.clone() }.verify().is_err(), "another authority");
        assert!(JoinRequest { cluster: authority, ..request.clone() }.verify().is_err(), "another cluster");
        let mut proof = request.proof;
        proof[40] ^= 1;
        assert!(JoinRequest { proof, ..request }.verify().is_err());
    }
}
