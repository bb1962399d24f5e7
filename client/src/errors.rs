//! The program's error codes, by name, for messages users can act on.

/// Anchor's first custom error code; the program's enum counts up from here.
pub const CUSTOM_ERROR_BASE: u32 = 6000;

/// The program's errors, in the order of its `MedShareError` enum (code = 6000 + position),
/// with the same messages. `medshare-tests` checks this table against the IDL.
pub const PROGRAM_ERRORS: &[(&str, &str)] = &[
    ("InvalidThreshold", "threshold must satisfy 2 <= t <= n"),
    ("InvalidClusterSize", "cluster size n must be between 2 and 16"),
];

/// The name and message of a custom error code of the program, if it is one.
pub fn describe(code: u32) -> Option<(&'static str, &'static str)> {
    let position = code.checked_sub(CUSTOM_ERROR_BASE)?;
    PROGRAM_ERRORS.get(position as usize).copied()
}

/// The code of a named program error.
pub fn code(name: &str) -> Option<u32> {
    PROGRAM_ERRORS.iter().position(|(n, _)| *n == name).map(|p| CUSTOM_ERROR_BASE + p as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        assert_eq!(code("InvalidThreshold"), Some(6000));
        assert_eq!(describe(6001).map(|d| d.0), Some("InvalidClusterSize"));
        assert_eq!(describe(5999), None);
        assert_eq!(describe(6000 + PROGRAM_ERRORS.len() as u32), None);
    }
}
