//! The command line: `crm serve`, `crm migrate`, `crm openapi`, `crm ledger check`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// CRM and member-loyalty backend.
///
/// Configuration comes from defaults, then the TOML file named by CRM_CONFIG, then CRM_*
/// environment variables (see the README for every key).
#[derive(Debug, Parser)]
#[command(name = "crm", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server and the in-process worker. Creates and migrates the database, and on
    /// an empty database the tenant `default` with the user `admin`.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the OpenAPI document (JSON) that the server serves at /api/v1/openapi.json.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The points ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Verify every points balance of every tenant against the sum of its ledger entries; print
    /// each difference and exit with status 1 when there is one (nothing is repaired).
    Check,
}
