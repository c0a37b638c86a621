//! edit::apply on Jsonc text: refuses, or the text parses, reads back as exactly the
//! edits, and keeps every key no edit touches. Edits: the Opencode presets' and arbitrary ones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weathervane::switch::edit::Format;
use weathervane::switch::profiles::AssistantId;

fuzz_target!(|data: &[u8]| {
    wv_fuzz::switch_target(data, Format::Jsonc, AssistantId::Opencode);
});
