//! Listings: sorting, paging and totals, shared by every `list_*` method. A listing is one
//! query whose rows carry `COUNT(*) OVER ()` as the total; only a page that comes back empty
//! for another reason than an empty listing (an offset past the end, a limit of 0) needs a
//! second, counting query.

use sqlx::any::AnyRow;
use sqlx::AnyPool;

use crate::error::StoreResult;
use crate::model::{ListQuery, Page, SortField, SortOrder};

use super::errors::db;
use super::rows;

/// What to list: `select` is the column list (`SELECT t.a, t.b`), `from` the `FROM` clause
/// with table alias `alias`, `filter` an optional `WHERE` clause using `$1` and its value.
/// Every listed table has `created_at`, `updated_at`, `name_key` and `id`.
pub(super) struct Listing<'a> {
    pub select: &'a str,
    pub from: &'a str,
    pub alias: &'a str,
    pub filter: Option<(&'a str, String)>,
}

impl Listing<'_> {
    /// Runs the listing for one page.
    pub async fn fetch<T>(
        self,
        pool: &AnyPool,
        q: &ListQuery,
        map: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Page<T>> {
        let (cond, value) = match &self.filter {
            Some((cond, value)) => (*cond, Some(value.as_str())),
            None => ("", None),
        };
        let first = if value.is_some() { 2 } else { 1 };
        let sql = format!(
            "{}, COUNT(*) OVER () AS total_count {} {cond} {}",
            self.select,
            self.from,
            order_and_page(q, self.alias, first)
        );
        let mut query = sqlx::query(&sql);
        if let Some(v) = value {
            query = query.bind(v);
        }
        let (limit, offset) = bounds(q);
        let rows = query
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
            .map_err(db)?;
        let total = match rows.first() {
            Some(first) => rows::count(rows::int(first, "total_count")?),
            None if q.offset == 0 && q.limit > 0 => 0,
            None => {
                let sql = format!("SELECT COUNT(*) AS n {} {cond}", self.from);
                let mut query = sqlx::query(&sql);
                if let Some(v) = value {
                    query = query.bind(v);
                }
                let r = query.fetch_one(pool).await.map_err(db)?;
                rows::count(rows::int(&r, "n")?)
            }
        };
        let items = rows.iter().map(map).collect::<StoreResult<Vec<T>>>()?;
        Ok(Page { items, total })
    }
}

/// `ORDER BY` (ties broken by id, so pages never overlap) and `LIMIT $first OFFSET $first+1`.
fn order_and_page(q: &ListQuery, t: &str, first: usize) -> String {
    let col = match q.sort {
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt => "updated_at",
        SortField::Name => "name_key",
    };
    let dir = match q.order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    };
    let next = first + 1;
    format!("ORDER BY {t}.{col} {dir}, {t}.id {dir} LIMIT ${first} OFFSET ${next}")
}

fn bounds(q: &ListQuery) -> (i64, i64) {
    (
        i64::from(q.limit),
        i64::try_from(q.offset).unwrap_or(i64::MAX),
    )
}
