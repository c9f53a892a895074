//! Makes a skipped PostgreSQL half visible: without `CRM_TEST_DATABASE_URL` the test binary is
//! built with `crm_no_postgres`, which turns `postgresql_half` into an ignored test whose reason
//! `cargo test` prints on its own line.

fn main() {
    println!("cargo:rerun-if-env-changed=CRM_TEST_DATABASE_URL");
    println!("cargo:rustc-check-cfg=cfg(crm_no_postgres)");
    if !matches!(std::env::var("CRM_TEST_DATABASE_URL"), Ok(u) if !u.is_empty()) {
        println!("cargo:rustc-cfg=crm_no_postgres");
    }
}
