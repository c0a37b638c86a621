//! Never panics on any body, with or without a watch list: Ok or a typed ParseError.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weathervane::monitor::sources::feed;

fuzz_target!(|data: &[u8]| {
    for (watch, now) in wv_fuzz::contexts() {
        let ctx = weathervane::monitor::sources::ParseContext {
            watch: &watch,
            now,
            feed_lists: Default::default(),
        };
        let _ = feed::parse(data, &ctx);
    }
});
