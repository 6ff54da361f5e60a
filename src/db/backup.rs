//! `llcp-hub backup`: a consistent copy of a SQLite database, taken while the service
//! writes to it. PostgreSQL has its own tool (pg_dump), so it is refused with a pointer.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DatabaseUrl;

/// What an operator reads after a successful backup.
#[derive(Debug)]
pub struct BackupReport {
    pub bytes: u64,
    pub migrations: i64,
}

pub const POSTGRES_REFUSAL: &str = "backup copies SQLite databases only; for PostgreSQL use \
     `pg_dump -Fc` and `pg_restore` (see docs/OPERATIONS.md, \"Backups and restores\")";

/// Backs the database up into `to`, which must not exist yet.
pub fn backup(url: &DatabaseUrl, to: &Path) -> Result<BackupReport, String> {
    match url {
        DatabaseUrl::Sqlite(path) => backup_sqlite(Path::new(path), to),
        DatabaseUrl::Postgres(_) => Err(POSTGRES_REFUSAL.into()),
    }
}

fn backup_sqlite(source: &Path, to: &Path) -> Result<BackupReport, String> {
    if !source.is_file() {
        // Opening it would create an empty database and back that up.
        return Err(format!("no SQLite database at {}", source.display()));
    }
    refuse_existing(to)?;
    let partial = PartialFile::beside(to)?;
    let migrations = vacuum_into(source, &partial.path)?;
    check_integrity(&partial.path)?;
    // VACUUM INTO does not fsync what it wrote; a backup must survive a power cut.
    sync_file(&partial.path)?;
    let bytes = fs::metadata(&partial.path)
        .map_err(|e| format!("cannot read {}: {e}", partial.path.display()))?
        .len();
    partial.publish(to)?;
    Ok(BackupReport { bytes, migrations })
}

fn refuse_existing(to: &Path) -> Result<(), String> {
    // symlink_metadata: a dangling link is a name in use too.
    if fs::symlink_metadata(to).is_ok() {
        return Err(format!(
            "{} already exists; backup never overwrites, so name a new file",
            to.display()
        ));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct IntegrityLine {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Copies the database with `VACUUM INTO`: one read transaction, so the copy is a
/// consistent snapshot that includes what is still in the WAL, and in WAL mode the
/// service's writers are not blocked while it runs. Returns the applied migrations.
fn vacuum_into(source: &Path, target: &Path) -> Result<i64, String> {
    let source_text = path_text(source)?;
    let target_text = path_text(target)?;
    let mut conn = diesel::SqliteConnection::establish(source_text)
        .map_err(|e| format!("cannot open {}: {e}", source.display()))?;
    // Wait for a checkpoint or a writer's brief exclusive moments instead of failing.
    conn.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| format!("cannot configure the connection: {e}"))?;
    let migrations = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut conn)
        .map_err(|e| {
            format!(
                "{} is not an llcp-hub database (no migrations table: {e})",
                source.display()
            )
        })?
        .n;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target_text)
        .execute(&mut conn)
        .map_err(|e| format!("the backup failed: {e}"))?;
    Ok(migrations)
}

fn check_integrity(path: &Path) -> Result<(), String> {
    let mut conn = diesel::SqliteConnection::establish(path_text(path)?)
        .map_err(|e| format!("cannot open the new backup: {e}"))?;
    let lines = diesel::sql_query("PRAGMA integrity_check")
        .load::<IntegrityLine>(&mut conn)
        .map_err(|e| format!("cannot check the new backup: {e}"))?;
    match lines.as_slice() {
        [line] if line.integrity_check == "ok" => Ok(()),
        _ => Err(format!(
            "the new backup failed its integrity check: {}",
            lines
                .iter()
                .map(|l| l.integrity_check.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

fn path_text(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", path.display()))
}

fn sync_file(path: &Path) -> Result<(), String> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot flush {} to disk: {e}", path.display()))
}

/// The backup while it is written: a hidden name in the target's folder (so that the
/// final rename stays on one file system), removed again unless published.
struct PartialFile {
    path: PathBuf,
    published: bool,
}

impl PartialFile {
    fn beside(to: &Path) -> Result<Self, String> {
        let name = to
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} does not name a file", to.display()))?;
        let folder = match to.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(format!("no folder {} to write into", folder.display()));
        }
        let path = folder.join(format!(".{name}.partial-{}", uuid::Uuid::new_v4().simple()));
        Ok(Self {
            path,
            published: false,
        })
    }

    /// Gives the finished backup its name without ever replacing a file that appeared
    /// meanwhile: a hard link fails if the name exists, where a rename would overwrite.
    fn publish(mut self, to: &Path) -> Result<(), String> {
        match fs::hard_link(&self.path, to) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return refuse_existing(to),
            // Some file systems have no hard links: check, then rename.
            Err(_) => {
                refuse_existing(to)?;
                fs::rename(&self.path, to)
                    .map_err(|e| format!("cannot move the backup to {}: {e}", to.display()))?;
            }
        }
        self.published = true;
        let _ = fs::remove_file(&self.path);
        sync_parent(to);
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Makes the new name itself durable; best effort, as not every platform can.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_is_refused_with_a_pointer_to_pg_dump() {
        let url = DatabaseUrl::parse("postgres://u:secret@h/db").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let error = backup(&url, &dir.path().join("b.db")).unwrap_err();
        assert!(error.contains("pg_dump"), "{error}");
        assert!(!error.contains("secret"));
    }

    #[test]
    fn a_missing_source_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("absent.db");
        let url = DatabaseUrl::Sqlite(source.to_str().unwrap().into());
        let error = backup(&url, &dir.path().join("b.db")).unwrap_err();
        assert!(error.contains("no SQLite database"), "{error}");
        assert!(!source.exists());
        assert!(!dir.path().join("b.db").exists());
    }

    #[test]
    fn a_file_that_is_no_hub_database_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("notes.db");
        fs::write(&source, b"").unwrap();
        let url = DatabaseUrl::Sqlite(source.to_str().unwrap().into());
        let error = backup(&url, &dir.path().join("b.db")).unwrap_err();
        assert!(error.contains("not an llcp-hub database"), "{error}");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the source remains");
    }
}
