//! Never panics on any body: Ok or a typed ParseError.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weathervane::monitor::sources::statuspage;

fuzz_target!(|data: &[u8]| {
    let _ = statuspage::parse(data);
});
