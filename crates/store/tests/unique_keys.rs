//! The store's table of unique keys matches the migrated schema: every unique index the
//! migrations create is in `UNIQUE_INDEXES` with its table and columns, so a conflict on any of
//! them is reported as its typed key on both backends.

use crm_store::error::UNIQUE_INDEXES;
use crm_store::{ConnectionTrait, DbOptions, Store};
use sea_orm::{DbBackend, Statement};

#[tokio::test]
async fn every_unique_index_is_in_the_table() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("u.db").display());
    let store = Store::connect(&DbOptions::new(url)).await?;
    store.migrate().await?;
    let rows = store
        .conn()
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql LIKE 'CREATE UNIQUE%' ORDER BY name",
        ))
        .await?;
    let mut found = Vec::new();
    for r in rows {
        let name: String = r.try_get("", "name")?;
        let table: String = r.try_get("", "tbl_name")?;
        let cols = store
            .conn()
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, format!("PRAGMA index_info('{name}')")))
            .await?;
        let mut columns = Vec::new();
        for c in cols {
            columns.push(c.try_get::<String>("", "name")?);
        }
        found.push((name, table, columns));
    }
    let mut listed: Vec<(String, String, Vec<String>)> = UNIQUE_INDEXES
        .iter()
        .map(|(_, n, t, c)| ((*n).to_owned(), (*t).to_owned(), c.iter().map(|s| (*s).to_owned()).collect()))
        .collect();
    listed.sort();
    assert_eq!(found, listed);
    Ok(())
}
