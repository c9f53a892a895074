//! The W1 baseline: a bare actix-web server answering `GET /healthz` with the same small JSON
//! body as the product's health check, and nothing else (no middleware, no state). Prints
//! `listening on PORT` once bound; `--listen ADDR` (default `127.0.0.1:0`), `--workers N`
//! (default: actix's, one per core, as `crm serve`).

use actix_web::{App, HttpResponse, HttpServer, get};

#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ok"}"#)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut workers = None;
    let mut args = std::env::args().skip(1);
    while let Some(k) = args.next() {
        let v = args.next().unwrap_or_default();
        match k.as_str() {
            "--listen" => listen = v,
            "--workers" => workers = v.parse().ok(),
            _ => return Err(std::io::Error::other(format!("unknown option {k}"))),
        }
    }
    let mut server = HttpServer::new(|| App::new().service(healthz)).bind(&listen)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    for a in server.addrs() {
        println!("listening on {}", a.port());
    }
    server.run().await
}
