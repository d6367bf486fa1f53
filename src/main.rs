//! The `flightdeck` binary: parse the command line, run, exit with the code
//! of the outcome (see `commands::Exit`). Everything it prints, clap's help and
//! usage errors included, goes through the one sanitising way out.

use flightdeck::cli::{Cli, run};
use flightdeck::output;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            // Rendered without styles: a rejected value or a variable shown
            // in `--help` may hold anything, escape sequences included.
            let text = e.render().to_string();
            if e.use_stderr() {
                output::err(text);
            } else {
                output::out(text);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    for warning in cli.ignored_warnings() {
        output::errln(warning);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            output::errln(format!("flightdeck: {:#}", failure.error));
            ExitCode::from(failure.exit as u8)
        }
    }
}
