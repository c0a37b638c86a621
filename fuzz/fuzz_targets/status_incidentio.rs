//! Never panics on any body: Ok or a typed ParseError.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weathervane::monitor::sources::incidentio;

fuzz_target!(|data: &[u8]| {
    let _ = incidentio::parse_native(data);
});
