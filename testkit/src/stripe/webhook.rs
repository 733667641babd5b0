//! Webhook delivery as Stripe does it: a `Stripe-Signature: t=…,v1=…` header (HMAC-SHA256 of
//! `"<timestamp>.<payload>"` with the endpoint's secret) over a plain HTTP/1.1 POST.

use std::time::Duration;

use anyhow::Context;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::now;

/// The `Stripe-Signature` header value for `payload`: `t=<timestamp>,v1=<hex HMAC-SHA256 of
/// "<timestamp>.<payload>" keyed with secret>`.
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts `event` to webhook `url` as Stripe does (pretty JSON, signed now with `secret`).
/// Returns the response status and body.
pub async fn deliver(url: &str, event: &Value, secret: &str) -> anyhow::Result<(u16, String)> {
    let body = serde_json::to_string_pretty(event)?;
    deliver_with(url, &body, Some(&sign(&body, secret, now()))).await
}

/// Posts `body` to `url` with `signature_header` as `Stripe-Signature` (none if `None`): for
/// tests that tamper with the payload, the secret or the timestamp.
pub async fn deliver_with(url: &str, body: &str, signature_header: Option<&str>) -> anyhow::Result<(u16, String)> {
    let mut headers = vec![
        ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ("Content-Type", "application/json; charset=utf-8"),
    ];
    headers.extend(signature_header.map(|s| ("Stripe-Signature", s)));
    http("POST", url, &headers, body).await
}

/// One plain HTTP/1.1 exchange (`Connection: close`): the response status and body.
pub(super) async fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").with_context(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let address = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += &format!("Connection: close\r\n\r\n{body}");
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&address).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        anyhow::Ok(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .with_context(|| format!("{url} did not answer in 30 s"))??;
    let end = response.windows(4).position(|w| w == b"\r\n\r\n").context("no end of headers in the response")?;
    let head = String::from_utf8_lossy(&response[..end]);
    let body = &response[end + 4..];
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).with_context(|| format!("bad status line in {head:?}"))?;
    let chunked =
        head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked { dechunk(body)? } else { body.to_vec() };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

pub(super) fn dechunk(mut body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = body.windows(2).position(|w| w == b"\r\n").context("truncated chunk")?;
        let size = std::str::from_utf8(&body[..line])?.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)?;
        if size == 0 {
            return Ok(out);
        }
        let rest = &body[line + 2..];
        out.extend_from_slice(rest.get(..size).context("truncated chunk")?);
        body = rest.get(size + 2..).context("truncated chunk")?;
    }
}
