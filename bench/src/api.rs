//! Talking to the server under test: signing the bench's administrator in, and requests that
//! must answer one status.

use crate::server::PASSWORD;
use anyhow::{Context, bail};
use serde_json::json;

/// The administrator's access token (password [`PASSWORD`]).
pub async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let v: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    Ok(v["access_token"].as_str().context("access_token")?.to_owned())
}

/// Expects `want`, or fails with the answer; the body as JSON (`null` when it is none).
pub async fn expect(r: reqwest::RequestBuilder, want: u16) -> anyhow::Result<serde_json::Value> {
    expect_any(r, &[want]).await.map(|(_, v)| v)
}

/// Expects one of `wanted`, or fails with the answer; the status and the body as JSON.
pub async fn expect_any(r: reqwest::RequestBuilder, wanted: &[u16]) -> anyhow::Result<(u16, serde_json::Value)> {
    let r = r.send().await?;
    let status = r.status().as_u16();
    let body = r.text().await?;
    if !wanted.contains(&status) {
        bail!("{status}: {body}");
    }
    Ok((status, serde_json::from_str(&body).unwrap_or_default()))
}
