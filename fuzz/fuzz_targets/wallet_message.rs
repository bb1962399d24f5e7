//! The wallet's key message: `check_domain` on arbitrary text, `MessageFormat::of` and the
//! off-chain envelope on arbitrary bytes. The envelope's header says exactly what follows,
//! and every domain `check_domain` accepts builds a message.
//!
//! Layout: index (u32) ‖ wallet (32) ‖ program id (32) ‖ the rest, as a domain (when UTF-8)
//! and as a message body.
#![no_main]

use encrypted_circuits::wallet_message::{self, HEADER_VERSION, MAX_LEN, MAX_LEN_LEDGER, MessageFormat, SIGNING_DOMAIN, UserKeyMessage};
use libfuzzer_sys::fuzz_target;
use medshare_fuzz::Input;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let index = input.u32();
    let (wallet, program_id): ([u8; 32], [u8; 32]) = (input.array(), input.array());
    let body = input.rest();

    match wallet_message::offchain_message(body) {
        Ok(envelope) => {
            let format = MessageFormat::of(body).expect("offchain_message accepted it");
            assert!(!body.is_empty() && body.len() <= MAX_LEN);
            assert_eq!(&envelope[..16], SIGNING_DOMAIN);
            assert_eq!(envelope[16], HEADER_VERSION);
            assert_eq!(envelope[17], format as u8);
            assert_eq!(u16::from_le_bytes([envelope[18], envelope[19]]) as usize, body.len());
            assert_eq!(&envelope[20..], body);
            match format {
                MessageFormat::RestrictedAscii => assert!(body.len() <= MAX_LEN_LEDGER && body.iter().all(|b| (0x20..=0x7e).contains(b))),
                MessageFormat::LimitedUtf8 => assert!(body.len() <= MAX_LEN_LEDGER && std::str::from_utf8(body).is_ok()),
                MessageFormat::ExtendedUtf8 => assert!(body.len() > MAX_LEN_LEDGER && std::str::from_utf8(body).is_ok()),
            }
        }
        Err(_) => assert!(MessageFormat::of(body).is_err()),
    }

    let Ok(domain) = std::str::from_utf8(body) else {
        return;
    };
    match wallet_message::check_domain(domain) {
        Ok(()) => {
            assert!(domain.len() <= 253 + 6 && !domain.is_empty());
            assert!(domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b)));
            let message = UserKeyMessage::new(domain, wallet, program_id, index).expect("a checked domain builds a message");
            let bytes = message.to_bytes().expect("a checked domain's message fits an envelope");
            assert_eq!(bytes[17], MessageFormat::LimitedUtf8 as u8, "the key text has line feeds: format 1");
            assert!(message.text().starts_with(domain));
        }
        Err(_) => assert!(UserKeyMessage::new(domain, wallet, program_id, index).is_err()),
    }
});
