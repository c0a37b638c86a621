//! The headless `weathervane` binary: parses arguments and hands over to the core's CLI.

mod cli;

use clap::Parser;

/// EX_USAGE (sysexits.h), README's exit code for a usage error. clap's own 2 would read
/// as "partial or major outage" to a script calling `status` or `poll`.
const EXIT_USAGE: i32 = 64;

fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` arrive as "errors" that print to stdout and exit 0.
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            if e.use_stderr() && std::env::args_os().skip(1).any(|a| a == "statusline") {
                // A status line never fails: its one line says what is wrong, calmly.
                println!("weathervane: statusline arguments not understood (see --help)");
                std::process::exit(0);
            }
            std::process::exit(code);
        }
    };
    let default_level = if matches!(cli.command, cli::Command::Watch) {
        "weathervane=info"
    } else {
        "weathervane=warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WEATHERVANE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let style = anstyle::Style::new()
                .bold()
                .fg_color(Some(anstyle::AnsiColor::Red.into()));
            anstream::eprintln!("{style}error:{style:#} {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
