//! `POST /v1/checkout/sessions`: a session created as Stripe creates it, refused as Stripe
//! refuses what the shop could get wrong.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::answers::{error, int, invalid, missing};
use super::{now, random_id, shipping, ApiError, Inner, Stored};

impl Inner {
    /// `POST /v1/checkout/sessions`, validated as Stripe would for what the shop sends.
    pub(super) fn create(&mut self, form: &Value) -> Result<Value, ApiError> {
        let now = now();
        let mode = form["mode"].as_str().ok_or_else(|| missing("mode"))?;
        if !["payment", "subscription", "setup"].contains(&mode) {
            return Err(invalid(
                "mode",
                format!("Invalid mode: {mode}. Must be one of payment, setup, or subscription."),
            ));
        }
        let ui_mode = form["ui_mode"].as_str().unwrap_or("hosted_page");
        let hosted = matches!(ui_mode, "hosted" | "hosted_page");
        if hosted && form["success_url"].is_null() {
            return Err(missing("success_url"));
        }
        let lines = form["line_items"].as_array().cloned().unwrap_or_default();
        if mode != "setup" && lines.is_empty() {
            return Err(missing("line_items"));
        }
        let (mut total, mut currency, mut recurring, mut price_ids) =
            (0, form["currency"].as_str().map(str::to_owned), false, false);
        for (i, line) in lines.iter().enumerate() {
            let param = |field: &str| format!("line_items[{i}][{field}]");
            let quantity = int(&line["quantity"]).ok_or_else(|| missing(&param("quantity")))?;
            if line["price"].is_string() {
                price_ids = true;
                continue;
            }
            let data = &line["price_data"];
            if !data.is_object() {
                return Err(invalid(
                    &param("price"),
                    format!("You must specify either `price` or `price_data` in `line_items[{i}]`."),
                ));
            }
            let line_currency = data["currency"].as_str().ok_or_else(|| missing(&param("price_data][currency")))?;
            let amount = int(&data["unit_amount"]).ok_or_else(|| missing(&param("price_data][unit_amount")))?;
            if amount < 0 || quantity < 0 {
                return Err(invalid(&param("price_data][unit_amount"), "Amounts and quantities must be positive."));
            }
            if data["product"].is_null() && !data["product_data"]["name"].is_string() {
                return Err(missing(&param("price_data][product_data][name")));
            }
            if currency.get_or_insert_with(|| line_currency.to_owned()) != line_currency {
                return Err(invalid(&param("price_data][currency"), "All line items must use the same currency."));
            }
            recurring |= data["recurring"]["interval"].is_string();
            total += amount * quantity;
        }
        if mode == "subscription" && !recurring && !price_ids {
            return Err(invalid(
                "line_items",
                "You must provide at least one recurring price in `subscription` mode when using prices.",
            ));
        }
        if mode == "payment" && recurring {
            let message = "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.";
            return Err(invalid("line_items", message));
        }
        let expires_at = match &form["expires_at"] {
            Value::Null => now + 24 * 3600,
            value => int(value).ok_or_else(|| invalid("expires_at", "Invalid integer."))?,
        };
        // Stripe allows 30 min to 24 h after the session's creation, the moment it got the request.
        if expires_at < now + 30 * 60 || expires_at > now + 24 * 3600 {
            let message =
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.";
            return Err(invalid("expires_at", message));
        }
        if let Some(customer) = form["customer"].as_str() {
            if !self.customers.contains_key(customer) {
                let message = format!("No such customer: '{customer}'");
                return Err(error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("customer"), message));
            }
            if !form["customer_creation"].is_null() {
                let message = "You may only specify one of these parameters: customer, customer_creation.";
                return Err(invalid("customer_creation", message));
            }
        }
        // Each mode creates its own object: its data parameter is refused in the other modes.
        if mode != "payment" && !form["payment_intent_data"].is_null() {
            let message = format!("You can not pass `payment_intent_data` in `{mode}` mode.");
            return Err(invalid("payment_intent_data", message));
        }
        if mode != "subscription" && !form["subscription_data"].is_null() {
            let message = format!("You can not pass `subscription_data` in `{mode}` mode.");
            return Err(invalid("subscription_data", message));
        }
        // A trial delays the recurring lines' first payment: today only one-time lines are due.
        let trial = &form["subscription_data"]["trial_period_days"];
        if !trial.is_null() {
            let days = int(trial).ok_or_else(|| invalid("subscription_data[trial_period_days]", "Invalid integer."))?;
            if !(1..=730).contains(&days) {
                let message =
                    "The trial period must be between 1 and 730 days (`subscription_data[trial_period_days]`).";
                return Err(invalid("subscription_data[trial_period_days]", message));
            }
            total -= super::periods::plan_amount_of(form);
        }
        let metadata = form.get("metadata").cloned().unwrap_or_else(|| json!({}));
        for (key, value) in metadata.as_object().into_iter().flatten() {
            if key.chars().count() > 40 || value.as_str().is_none_or(|v| v.chars().count() > 500) {
                return Err(invalid(
                    &format!("metadata[{key}]"),
                    "Metadata keys hold up to 40 characters, values up to 500.",
                ));
            }
        }
        if form["client_reference_id"].as_str().is_some_and(|r| r.chars().count() > 200) {
            return Err(invalid("client_reference_id", "client_reference_id holds up to 200 characters."));
        }
        let shipping = shipping::collection(form, mode)?;
        let id = random_id("cs_test_", 58);
        // Two halves: one json! of every field is past the macro's recursion limit.
        let mut session = json!({
            "id": id, "object": "checkout.session",
            "adaptive_pricing": {"enabled": false}, "after_expiration": null, "allow_promotion_codes": null,
            "amount_subtotal": total, "amount_total": total,
            "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
            "billing_address_collection": null, "cancel_url": form["cancel_url"],
            "client_reference_id": form["client_reference_id"],
            "client_secret": (!hosted).then(|| format!("{id}_secret_{}", random_id("", 24))),
            "collected_information": null, "consent": null, "consent_collection": null,
            "created": now, "currency": currency, "currency_conversion": null, "custom_fields": [],
            "custom_text": {"after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null},
            "customer": form["customer"],
            "customer_creation": (mode != "subscription" && form["customer"].is_null()).then(|| form["customer_creation"].as_str().unwrap_or("if_required")),
            "customer_details": null, "customer_email": form["customer_email"], "discounts": [],
            "expires_at": expires_at,
        });
        let rest = json!({
            "invoice": null, "invoice_creation": null, "livemode": false,
            "locale": form["locale"], "metadata": metadata, "mode": mode,
            "payment_intent": null, "payment_link": null, "payment_method_collection": "always",
            "payment_method_configuration_details": null, "payment_method_options": {},
            "payment_method_types": form.get("payment_method_types").cloned().unwrap_or_else(|| json!(["card"])),
            "payment_status": if mode == "setup" { "no_payment_required" } else { "unpaid" },
            "phone_number_collection": {"enabled": false}, "recovered_from": null,
            "redirect_on_completion": (!hosted).then_some("always"), "return_url": form["return_url"],
            "saved_payment_method_options": null, "setup_intent": null, "shipping_address_collection": shipping,
            "shipping_cost": null, "shipping_options": [], "status": "open", "submit_type": null,
            "subscription": null, "success_url": form["success_url"],
            "tax_id_collection": {"enabled": false, "required": "never"},
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": ui_mode, "url": hosted.then(|| format!("{}pay/{id}", self.base_url)), "wallet_options": null,
        });
        if let (Value::Object(session), Value::Object(rest)) = (&mut session, rest) {
            session.extend(rest);
        }
        self.sessions.push(Stored { session: session.clone(), form: form.clone(), payment: None });
        Ok(session)
    }
}
