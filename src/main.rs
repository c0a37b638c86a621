//! The headless `weathervane` binary: parses arguments and hands over to the core's CLI.

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
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
