//! config_edit::edit_text: refuses, or the result is TOML and keys the change does
//! not own are unchanged (and the owned value is the one asked for).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wv_fuzz::config_edit_target(data);
});
