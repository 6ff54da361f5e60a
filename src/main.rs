#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use llcp_hub::app::Application;
use llcp_hub::config::{Settings, database_url_from_env};
use llcp_hub::db;
use llcp_hub::domain::Role;
use llcp_hub::domain::{Email, Password};
use llcp_hub::service::accounts::{NewAccountInput, create_account};

/// Events, bulletins and Community of Practice membership for the London Library
/// Change Programme.
#[derive(Parser)]
#[command(name = "llcp-hub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Clone, Default)]
struct ServeArgs {
    /// Address to listen on (overrides BIND; default 127.0.0.1:8080).
    #[arg(long)]
    bind: Option<String>,
    /// Load bulletin 14's events into an empty database and create a demo admin whose
    /// password is printed.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations and serve (the default).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Copy the SQLite database to a new file, safely while the service runs
    /// (PostgreSQL: use pg_dump).
    Backup {
        /// The new file; an existing one is never overwritten.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        #[arg(long, default_value = "London Library Change Programme")]
        organisation: String,
    },
}

fn main() -> ExitCode {
    tune_malloc();
    let _ = dotenvy::dotenv();
    llcp_hub::logging::init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Migrate) => migrate(),
        Some(Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    name,
                    organisation,
                },
        }) => create_admin(&email, &name, &organisation),
        Some(Command::Openapi) => {
            print!("{}", llcp_hub::openapi::spec_json());
            Ok(())
        }
        Some(Command::Backup { to }) => backup(&to),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates under contention its own arena, up to eight
/// per core, and keeps their memory; two arenas serve a 2-core server as fast (measured
/// in bench/) with about 13 % less resident memory. An operator's own
/// `MALLOC_ARENA_MAX` wins.
///
/// glibc also raises its mmap threshold to the size of each large block freed, so after
/// the first argon2 hash (19 MiB) every later one comes from an arena and stays there:
/// 60 sign-ups at once left 850 MiB resident. A fixed threshold keeps large blocks
/// mapped and gives them back when freed (`MALLOC_MMAP_THRESHOLD_` wins).
///
/// Runs before any thread starts.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const MMAP_THRESHOLD: libc::c_int = 1024 * 1024;
        // SAFETY: mallopt only sets allocator parameters; no other thread exists yet.
        unsafe {
            if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
                libc::mallopt(libc::M_ARENA_MAX, 2);
            }
            if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
                libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            }
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let settings = Settings::from_env(args.bind, args.demo)?;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone())?;
        if let Some(admin) = app.demo_admin() {
            println!("Demo admin: {} / {}", admin.email, admin.password);
        }
        log::info!("llcp-hub listening on {} (docs at /docs)", settings.bind);
        stop_on_signals(app.handle(), settings.http.shutdown_timeout);
        app.run_until_stopped()
            .await
            .map_err(|e| format!("server failed: {e}"))
    })
}

/// SIGTERM stops gracefully: in-flight requests may finish within `shutdown_timeout`.
/// SIGINT and SIGQUIT stop at once. Either way the process is gone `shutdown_timeout`
/// after the signal, even if a blocking thread is stuck in a call to a hung database
/// (dropping the runtime would wait for it); by then every acknowledged change is
/// committed, and what is still in flight was never acknowledged.
fn stop_on_signals(handle: actix_web::dev::ServerHandle, shutdown_timeout: std::time::Duration) {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    actix_web::rt::spawn(async move {
        let kinds = [
            SignalKind::terminate(),
            SignalKind::interrupt(),
            SignalKind::quit(),
        ];
        let mut streams = Vec::new();
        for kind in kinds {
            match signal(kind) {
                Ok(stream) => streams.push(stream),
                Err(e) => log::error!("cannot listen for signals: {e}"),
            }
        }
        let [term, int, quit] = streams.as_mut_slice() else {
            return;
        };
        let graceful = tokio::select! {
            _ = term.recv() => true,
            _ = int.recv() => false,
            _ = quit.recv() => false,
        };
        log::info!(
            "{} received; stopping{}",
            if graceful {
                "SIGTERM"
            } else {
                "SIGINT or SIGQUIT"
            },
            if graceful { " gracefully" } else { "" }
        );
        std::thread::spawn(move || {
            std::thread::sleep(shutdown_timeout);
            log::warn!("shutdown timeout reached with work in flight (none of it acknowledged)");
            std::process::exit(0);
        });
        handle.stop(graceful).await;
    });
}

fn migrate() -> Result<(), String> {
    let url = database_url_from_env()?;
    let pool = db::build_pool(&url, 1, std::time::Duration::from_secs(5))?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let applied = db::run_migrations(&mut conn)?;
    println!("applied {applied} migration(s)");
    Ok(())
}

fn backup(to: &std::path::Path) -> Result<(), String> {
    let report = db::backup::backup(&database_url_from_env()?, to)?;
    println!(
        "backed up to {} ({} bytes, {} migrations, integrity ok)",
        to.display(),
        report.bytes,
        report.migrations
    );
    Ok(())
}

fn create_admin(email: &str, name: &str, organisation: &str) -> Result<(), String> {
    let email = Email::parse(email).map_err(|m| format!("--email {m}"))?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = Password::parse(line.trim_end_matches(['\r', '\n']), Some(&email))
        .map_err(|reasons| format!("the password {}", reasons.join("; it ")))?;
    let url = database_url_from_env()?;
    let pool = db::build_pool(&url, 1, std::time::Duration::from_secs(5))?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    db::run_migrations(&mut conn)?;
    let input = NewAccountInput {
        email,
        password,
        full_name: name.trim().to_string(),
        organisation: organisation.trim().to_string(),
        borough: None,
    };
    let account = create_account(&mut conn, &input, Role::Admin).map_err(|e| match e {
        llcp_hub::error::ApiError::Conflict { .. } => {
            "an account with this email already exists".to_string()
        }
        other => other.to_string(),
    })?;
    println!("created admin {} ({})", account.email, account.id);
    Ok(())
}
