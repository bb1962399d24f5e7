//! The client's event decoders and the audit trail built from them: one event from raw bytes
//! (`events::decode`), a transaction's log lines (`events::from_logs`), and the audit fold
//! (`AuditTrail::from_transactions`) — never a panic; every event decodes under its own
//! discriminator; every `Program data:` line of ours is an event or a named problem.
//!
//! Layout: mode (1): even = the rest is one raw event; odd = the rest is log lines
//! (`\n`-separated, lossy UTF-8) of one transaction.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medshare_client::{
    Address,
    audit::AuditTrail,
    discriminator,
    events::{self, EventError, TransactionEvents},
};
use solana_signature::Signature;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        match events::decode(rest) {
            Ok(event) => assert_eq!(rest[..8], discriminator("event", event.name()), "{} decoded under another discriminator", event.name()),
            Err(EventError::TooShort) => assert!(rest.len() < 8),
            Err(EventError::UnknownDiscriminator(disc)) => {
                assert!(!events::EVENT_NAMES.iter().any(|name| discriminator("event", name) == disc))
            }
            Err(EventError::MalformedBody { name }) => assert_eq!(rest[..8], discriminator("event", name)),
            Err(EventError::Base64) => panic!("decode of raw bytes never sees base64"),
        }
        return;
    }
    let logs: Vec<String> = String::from_utf8_lossy(rest).split('\n').map(str::to_owned).collect();
    let (decoded, problems) = events::from_logs(&logs);
    let data_lines = logs.iter().filter(|line| line.starts_with("Program data: ")).count();
    assert!(decoded.len() + problems.len() <= data_lines, "more events and problems than data lines");
    let transaction = TransactionEvents::read(Signature::from([1; 64]), &Address::new_from_array([2; 32]), &logs);
    assert_eq!(transaction.events, decoded);
    assert_eq!(transaction.logs_truncated(), events::logs_truncated(&logs));
    let trail = AuditTrail::from_transactions([&transaction]);
    assert_eq!(trail.warnings.len(), transaction.problems.len(), "every problem is a warning");
});
