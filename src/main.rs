//! The `flightdeck` binary: parse the command line, run, exit with the code
//! of the outcome (see `cli::Exit`).

use clap::Parser;
use flightdeck::cli::{Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            flightdeck::output::errln(format!("flightdeck: {:#}", failure.error));
            ExitCode::from(failure.exit as u8)
        }
    }
}
