//! The `weathervane-desktop` binary: parses flags, then hands over to the shell.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    std::process::exit(weathervane_desktop::main_entry());
}
