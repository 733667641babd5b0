//! How the stand-in answers: Stripe's response headers and error bodies, and form values read as
//! Stripe reads them.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{random_id, ApiError};

pub(super) fn respond(result: Result<Value, ApiError>, replayed: bool) -> Response {
    let (status, body) = result.map_or_else(|e| e, |body| (StatusCode::OK, body));
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("request-id", random_id("req_", 14).parse().expect("a header value"));
    if replayed {
        headers.insert("idempotent-replayed", header::HeaderValue::from_static("true"));
    }
    response
}

/// Stripe's error body: `{"error": {"type": "invalid_request_error", "message": …}}`.
pub(super) fn error(status: StatusCode, code: Option<&str>, param: Option<&str>, message: String) -> ApiError {
    let mut error = json!({"type": "invalid_request_error", "message": message});
    if let Some(code) = code {
        error["code"] = code.into();
        error["doc_url"] = format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")).into();
    }
    if let Some(param) = param {
        error["param"] = param.into();
    }
    (status, json!({ "error": error }))
}

pub(super) fn missing(param: &str) -> ApiError {
    error(StatusCode::BAD_REQUEST, Some("parameter_missing"), Some(param), format!("Missing required param: {param}."))
}

pub(super) fn invalid(param: &str, message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, Some("parameter_invalid_string"), Some(param), message.into())
}

/// A form value as an integer.
pub(super) fn int(value: &Value) -> Option<i64> {
    value.as_str().and_then(|s| s.parse().ok()).or_else(|| value.as_i64())
}
