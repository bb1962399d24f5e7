//! The program's entrypoint: refuse instruction data with bytes past its arguments
//! ([`crate::instruction_data`]), then hand over to Anchor's dispatch unchanged.
//!
//! On failure it logs the error by name and message, in the line Anchor clients parse
//! ([`crate::errors::log_error`]); the returned error is unchanged.
//!
//! Anchor exports its dispatch as the `entrypoint` symbol unless `no-entrypoint` is on;
//! the default feature `exact-instruction-data` turns it on and exports this function
//! instead (with the allocator and panic handler Anchor would have set up). A program that
//! depends on this crate with `cpi` gets no entrypoint from it, as usual.

/// Anchor 2's SBF entrypoint convention (SIMD-0321): `input` is the serialized parameter
/// region and `instruction_data` points at the instruction data, whose `u64` length sits in
/// the 8 bytes before it.
///
/// # Safety
/// Called only by the SBF loader with the two registers it defines.
#[export_name = "entrypoint"]
pub unsafe extern "C" fn exact_entrypoint(input: *mut u8, instruction_data: *const u8) -> u64 {
    // SAFETY: the loader places the data's length immediately before the data (the same
    // read Anchor's `__anchor_dispatch` makes), and the data is that many readable bytes.
    let data = unsafe {
        let len = *(instruction_data.sub(8) as *const u64) as usize;
        core::slice::from_raw_parts(instruction_data, len)
    };
    if crate::instruction_data::has_trailing_bytes(data) {
        let error: anchor_lang::Error = anchor_lang::ErrorCode::InstructionDidNotDeserialize.into();
        return error.into();
    }
    // SAFETY: the arguments are the loader's, passed on unchanged.
    let returned = unsafe { crate::__anchor_dispatch(input, instruction_data) };
    if returned != 0 {
        // Only on failure, so success pays no compute units for it.
        crate::errors::log_error(returned);
    }
    returned
}

anchor_lang::pinocchio::default_allocator!();
anchor_lang::pinocchio::default_panic_handler!();
