//! The one response shape of every batch endpoint: `{items: [{index, status, ..detail, error}]}`
//! in request order, each item under the index it had in the request (also when it could not be
//! read at all), and the one builder that makes it.

use crate::i18n::Lang;
use crate::problem::{ApiError, Problem};
use actix_web::HttpRequest;
use crm_app::batch::ItemResult;
use serde::Serialize;
use utoipa::ToSchema;

/// A batch status that can say "this item failed".
pub trait ItemStatus {
    const FAILED: Self;
}

/// The result for one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItem<S, T> {
    /// The item's position in the request, from 0.
    pub index: usize,
    pub status: S,
    #[serde(flatten)]
    pub detail: Option<T>,
    /// Why the item failed (`status` is `failed`); field paths start with `/items/{index}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Per-item results, in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse<S, T> {
    pub items: Vec<BatchItem<S, T>>,
}

/// Builds the response from items that could not be read (`unreadable`, already carrying their
/// request index) and the use case's results; errors are rendered in the caller's language.
pub fn respond<S: ItemStatus, T>(
    req: &HttpRequest,
    unreadable: Vec<(usize, ApiError)>,
    results: Vec<ItemResult<S, T>>,
) -> BatchResponse<S, T> {
    let lang = Lang::from_headers(req.headers());
    let instance = Some(req.path().to_owned());
    let failed = |index, e: ApiError| BatchItem {
        index,
        status: S::FAILED,
        detail: None,
        error: Some(e.to_problem(lang, instance.clone(), None)),
    };
    let mut items: Vec<BatchItem<S, T>> = unreadable.into_iter().map(|(i, e)| failed(i, e)).collect();
    items.extend(results.into_iter().map(|r| match r.outcome {
        Ok((status, detail)) => BatchItem { index: r.index, status, detail: Some(detail), error: None },
        Err(e) => failed(r.index, ApiError::from(e)),
    }));
    items.sort_by_key(|i| i.index);
    BatchResponse { items }
}

/// Gives each failed item of a bulk request over ids the detail its id alone makes
/// (`key(index)`), so every item names what it is about, as the successful ones do.
pub fn keyed<S, T>(mut r: BatchResponse<S, T>, key: impl Fn(usize) -> Option<T>) -> BatchResponse<S, T> {
    for item in &mut r.items {
        if item.detail.is_none() {
            item.detail = key(item.index);
        }
    }
    r
}
