//! Throw-away PostgreSQL databases: a fresh database per test on `BACKBEAT_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards. Unreachable:
//! `SKIP: <test>: PostgreSQL not reachable`, or a failure with `BACKBEAT_REQUIRE_SERVICES=1`.

use sqlx::{AnyConnection, Connection, Executor};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct PgDb {
    pub url: String,
    admin: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut c = AnyConnection::connect(&admin).await.ok()?;
                c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()
            })
        })
        .join();
    }
}

pub async fn database(test: &str) -> Option<PgDb> {
    sqlx::any::install_default_drivers();
    let admin =
        std::env::var("BACKBEAT_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let mut conn = match AnyConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) if std::env::var("BACKBEAT_REQUIRE_SERVICES").is_ok_and(|v| v == "1") => {
            panic!("{test}: PostgreSQL not reachable: {e}")
        }
        Err(_) => {
            println!("SKIP: {test}: PostgreSQL not reachable");
            return None;
        }
    };
    let name = format!("bbpipe_{}", backbeat_store::model::new_id().simple());
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(PgDb {
        url: format!("{base}/{name}"),
        admin,
        name,
    })
}
