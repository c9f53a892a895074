//! The `crm` binary.

use clap::Parser;
use crm_server::cli::{Cli, Command};
use crm_server::{Application, Config, telemetry};
use secrecy::ExposeSecret;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi { output } => {
            let json = serde_json::to_string_pretty(&crm_api::openapi())? + "\n";
            match output {
                Some(path) => std::fs::write(path, json)?,
                None => print!("{json}"),
            }
            Ok(())
        }
        Command::Migrate => {
            let config = Config::load()?;
            telemetry::init(&config.log, config.log_format)?;
            let store = crm_server::application::connect(&config).await?;
            let pending = store.pending_migrations().await?;
            store.migrate().await?;
            println!("applied {pending} migration(s); schema is current");
            Ok(())
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
            app.run_until_stopped().await
        }
    }
}
