//! The `crm` binary.

use clap::Parser;
use crm_server::cli::{Cli, Command, LedgerCommand};
use crm_server::{Application, Config, telemetry};
use secrecy::ExposeSecret;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Ledger { command: LedgerCommand::Check } => {
            let config = Config::load()?;
            telemetry::init(&config.log, config.log_format)?;
            let store = crm_server::application::connect(&config).await?;
            let app = crm_server::application::use_cases(&config, store.clone()).await?;
            let checks = app.check_all_ledgers().await?;
            store.close().await?;
            let mut differences = 0;
            for c in &checks {
                println!(
                    "tenant {}: {} balance(s) checked, {} difference(s)",
                    c.tenant_id,
                    c.balances_checked,
                    c.differences.len()
                );
                for d in &c.differences {
                    println!("  {}", serde_json::to_string(d)?);
                }
                differences += c.differences.len();
            }
            if differences == 0 {
                println!("ledger ok: every balance equals the sum of its entries");
                return Ok(std::process::ExitCode::SUCCESS);
            }
            println!("ledger check found {differences} difference(s)");
            Ok(std::process::ExitCode::from(1))
        }
        Command::Openapi { output } => {
            let json = serde_json::to_string_pretty(&crm_api::openapi())? + "\n";
            match output {
                Some(path) => std::fs::write(path, json)?,
                None => print!("{json}"),
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = Config::load()?;
            telemetry::init(&config.log, config.log_format)?;
            let store = crm_server::application::connect(&config).await?;
            let pending = store.pending_migrations().await?;
            store.migrate().await?;
            println!("applied {pending} migration(s); schema is current");
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Serve => {
            let config = Config::load()?;
            telemetry::init(&config.log, config.log_format)?;
            let listen = config.listen.clone();
            let app = Application::build(config).await?;
            let b = app.bootstrap();
            if b.tenant_created {
                println!("created tenant `default`");
            }
            if let Some(pw) = &b.generated_password {
                println!("created user `admin` in tenant `default` with password: {}", pw.expose_secret());
                println!("(shown once; set CRM_ADMIN_PASSWORD before the first start to choose it)");
            }
            let host = listen.rsplit_once(':').map_or(listen.as_str(), |(h, _)| h);
            let base = format!("http://{host}:{}", app.port());
            println!("crm listening on {base}  (API {base}/api/v1, docs {base}/docs, health {base}/healthz)");
            app.run_until_stopped().await?;
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}
