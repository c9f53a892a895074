//! Cursor pages: `{items, next_cursor}` with an opaque cursor over a time-ordered id; and
//! `{items}` for lists that are never paged.

use crate::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crm_domain::FieldError;
use crm_domain::paging::Limit;
use uuid::Uuid;

/// A page of results, newest first unless the operation says otherwise. Pass `next_cursor` as
/// `cursor` to get the next page; it is `null` on the last page.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A whole list in one answer, `{items}` (a list short enough never to be paged).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// Where a list starts and how much it returns.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after: Option<Uuid>,
    pub limit: Limit,
}

impl PageRequest {
    /// Parses the `limit` and `cursor` query parameters.
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, AppError> {
        let limit = Limit::parse("/limit", limit)?;
        let after = cursor.map(decode_cursor).transpose()?;
        Ok(Self { after, limit })
    }

    /// Fetch one more than the page size to learn whether a next page exists.
    pub fn fetch_size(&self) -> u64 {
        u64::from(self.limit.get()) + 1
    }

    /// Cuts `rows` (fetched with [`Self::fetch_size`]) to the page and derives the cursor.
    pub fn finish<R, T>(&self, mut rows: Vec<R>, id: impl Fn(&R) -> Uuid, map: impl Fn(R) -> T) -> Page<T> {
        let limit = self.limit.get() as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(id(r))) } else { None };
        Page { items: rows.into_iter().map(map).collect(), next_cursor }
    }
}

fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(raw: &str) -> Result<Uuid, AppError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| FieldError::new("/cursor", "cursor_invalid").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).ok(), Some(id));
        assert!(decode_cursor("not a cursor").is_err());
    }

    #[test]
    fn finish_sets_cursor_only_when_more() {
        let req = PageRequest::parse(Some(2), None).map_err(|e| e.to_string());
        let Ok(req) = req else { panic!("valid request") };
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = req.finish(ids.clone(), |u| *u, |u| u);
        assert_eq!(page.items, ids[..2].to_vec());
        assert_eq!(page.next_cursor, Some(encode_cursor(ids[1])));
        let last = req.finish(ids[..2].to_vec(), |u| *u, |u| u);
        assert_eq!(last.next_cursor, None);
    }
}
