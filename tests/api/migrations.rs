use std::collections::BTreeSet;

use crate::helpers::TestDb;

fn versions(backend: &str) -> BTreeSet<String> {
    let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    entry.path().join(file).exists(),
                    "{:?} lacks {file}",
                    entry.path()
                );
            }
            entry.file_name().to_string_lossy().to_string()
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

#[test]
fn migrations_revert_and_reapply_cleanly() {
    let (_db, url) = TestDb::create();
    let pool = llcp_hub::db::build_pool(&url, 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = llcp_hub::db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied, versions("sqlite").len());
    assert_eq!(
        llcp_hub::db::revert_all_migrations(&mut conn).unwrap(),
        applied
    );
    assert_eq!(llcp_hub::db::run_migrations(&mut conn).unwrap(), applied);
    assert_eq!(
        llcp_hub::db::run_migrations(&mut conn).unwrap(),
        0,
        "nothing pending the second time"
    );
}
