//! sessions::parse_line on any bytes, as every assistant: never panics, and any code it keeps
//! is a sanitised machine word (`[A-Za-z0-9_.-]{1,40}`), so no transcript text can reach the
//! store through it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wv_fuzz::session_record_target(data);
});
