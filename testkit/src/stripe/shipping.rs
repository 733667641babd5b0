//! `shipping_address_collection` on Checkout Sessions, as Stripe documents it: the create
//! parameter `shipping_address_collection[allowed_countries]` (required with the hash, two-letter
//! codes from Stripe's list), echoed on the session, and the address the buyer typed, returned on
//! completion at `collected_information.shipping_details` (API 2025-03-31 and later: the session
//! has no top-level `shipping_details` any more).

use serde_json::{json, Value};

use super::{error, invalid, missing, ApiError};
use axum::http::StatusCode;

/// The countries Stripe Checkout ships to: the values Stripe documents for
/// `shipping_address_collection[allowed_countries]` (AS, CX, CU, IR, KP, SY… are not among them).
pub const SHIPPING_COUNTRIES: &[&str] = &[
    "AC", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CV", "CW", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HN", "HR", "HT", "HU",
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
    "MF", "MG", "MK", "ML", "MM", "MN", "MO", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC",
    "NE", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN",
    "PR", "PS", "PT", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ",
    "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SZ", "TA", "TC", "TD", "TF", "TG", "TH", "TJ", "TK",
    "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VN",
    "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW", "ZZ",
];

/// Validates the create request's `shipping_address_collection`; the session's value (`null`
/// when not asked).
pub(super) fn collection(form: &Value, mode: &str) -> Result<Value, ApiError> {
    let asked = &form["shipping_address_collection"];
    if asked.is_null() {
        return Ok(Value::Null);
    }
    let Some(fields) = asked.as_object() else {
        return Err(invalid("shipping_address_collection", "Invalid object: shipping_address_collection is a hash."));
    };
    if let Some(other) = fields.keys().find(|k| *k != "allowed_countries") {
        let message = format!("Received unknown parameter: shipping_address_collection[{other}]");
        return Err(error(StatusCode::BAD_REQUEST, Some("parameter_unknown"), None, message));
    }
    if mode == "setup" {
        let message = "shipping_address_collection cannot be used in `setup` mode.";
        return Err(invalid("shipping_address_collection", message));
    }
    let param = "shipping_address_collection[allowed_countries]";
    let countries = match &fields.get("allowed_countries") {
        None | Some(Value::Null) => return Err(missing(param)),
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(_) => return Err(invalid(param, format!("Invalid array: {param} must be a non-empty array."))),
    };
    for (i, country) in countries.iter().enumerate() {
        if !country.as_str().is_some_and(|c| SHIPPING_COUNTRIES.contains(&c)) {
            let message = format!("Invalid {param}[{i}]: must be one of {}", SHIPPING_COUNTRIES.join(", "));
            return Err(invalid(&format!("{param}[{i}]"), message));
        }
    }
    Ok(json!({ "allowed_countries": countries }))
}

/// What the buyer typed on the payment page of a session that asks for a shipping address: an
/// address in the first allowed country, as `collected_information` (`null` when not asked).
pub(super) fn collected(session: &Value) -> Value {
    let Some(country) = session["shipping_address_collection"]["allowed_countries"][0].as_str() else {
        return Value::Null;
    };
    json!({
        "business_name": null, "individual_name": null,
        "shipping_details": {
            "address": {
                "city": "Lyon", "country": country, "line1": "12 rue de la République", "line2": "Bâtiment B",
                "postal_code": "69002", "state": null,
            },
            "name": "Test Buyer",
        },
    })
}
