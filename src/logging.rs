//! Logging set-up: env_logger at info, with crates that could log request data held
//! back from debug.

/// Crates whose debug lines can carry request data (actix's logger prints each error
/// response's `Debug`, the HTTP layer the bytes it could not parse): held at info even
/// under `RUST_LOG=debug`, unless RUST_LOG names them.
const QUIET_AT_DEBUG: [&str; 6] = [
    "actix_web",
    "actix_http",
    "actix_server",
    "mio",
    "rustls",
    "lettre",
];

/// The level a RUST_LOG spec sets for modules it does not name (info when none).
fn default_level(spec: &str) -> log::LevelFilter {
    let directives = spec.split('/').next().unwrap_or("");
    directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.contains('='))
        .filter_map(|d| d.parse::<log::LevelFilter>().ok())
        .next_back()
        .unwrap_or(log::LevelFilter::Info)
}

/// env_logger at `info`, or as RUST_LOG says, with the quiet crates no more verbose
/// than info.
pub fn init_logging() {
    let spec = std::env::var("RUST_LOG").unwrap_or_default();
    let quiet = default_level(&spec).min(log::LevelFilter::Info);
    let mut builder = env_logger::Builder::new();
    builder.filter_level(log::LevelFilter::Info);
    for module in QUIET_AT_DEBUG {
        builder.filter_module(module, quiet);
    }
    // RUST_LOG comes last: it replaces the default level, and a quiet crate's level
    // where it names one.
    builder.parse_env(env_logger::Env::default());
    let _ = builder.try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_level_is_the_last_bare_level_of_rust_log() {
        use log::LevelFilter::*;
        assert_eq!(default_level(""), Info);
        assert_eq!(default_level("debug"), Debug);
        assert_eq!(default_level("warn,llcp_hub=debug"), Warn);
        assert_eq!(default_level("llcp_hub=trace"), Info);
        assert_eq!(default_level("llcp_hub"), Info);
        assert_eq!(default_level("info,TRACE/foo"), Trace);
    }
}
