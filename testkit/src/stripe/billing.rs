//! Customers and invoice payments: `POST /v1/customers`, `GET /v1/customers/{id}` and
//! `GET /v1/invoice_payments?invoice=…`, validated as Stripe does for what the shop sends.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::{error, invalid, missing, now, objects, random_id, ApiError, Inner};

impl Inner {
    /// `POST /v1/customers`: every parameter is optional; metadata as on any object.
    pub(super) fn create_customer(&mut self, form: &Value) -> Value {
        let id = random_id("cus_", 14);
        let customer = json!({
            "id": id, "object": "customer", "address": null, "balance": 0, "created": now(), "currency": null,
            "default_source": null, "delinquent": false, "description": form["description"], "discount": null,
            "email": form["email"], "invoice_prefix": random_id("", 8).to_uppercase(),
            "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null},
            "livemode": false, "metadata": form.get("metadata").filter(|m| m.is_object()).cloned().unwrap_or_else(|| json!({})),
            "name": form["name"], "phone": null, "preferred_locales": [], "shipping": null, "tax_exempt": "none",
            "test_clock": null,
        });
        self.customers.insert(id, customer.clone());
        customer
    }

    /// `GET /v1/customers/{id}`.
    pub(super) fn customer(&self, id: &str) -> Result<Value, ApiError> {
        self.customers.get(id).cloned().ok_or_else(|| {
            let message = format!("No such customer: '{id}'");
            error(StatusCode::NOT_FOUND, Some("resource_missing"), Some("id"), message)
        })
    }

    /// `GET /v1/invoice_payments?invoice=in_…`: the paid invoice's payment (the first invoice of
    /// a subscription session is paid by the session's payment, renewals by their own).
    pub(super) fn invoice_payments(&self, query: &Value) -> Result<Value, ApiError> {
        let invoice = query["invoice"].as_str().ok_or_else(|| missing("invoice"))?;
        if !invoice.starts_with("in_") {
            return Err(invalid("invoice", format!("Invalid invoice id: {invoice}")));
        }
        let mut data = Vec::new();
        for stored in &self.sessions {
            let Some(payment) = &stored.payment else { continue };
            let currency = &stored.session["currency"];
            let amount = stored.session["amount_total"].as_i64().unwrap_or(0);
            let first_paid = stored.session["payment_status"] == "paid" && payment.invoices >= 1;
            if first_paid && stored.session["invoice"] == invoice {
                data.push(objects::invoice_payment(
                    invoice,
                    &payment.payment_intent,
                    amount,
                    currency,
                    payment.created,
                ));
            }
            for r in payment.renewals.iter().filter(|r| r.invoice == invoice) {
                data.push(objects::invoice_payment(invoice, &r.payment_intent, r.amount, currency, r.created));
            }
        }
        Ok(json!({"object": "list", "data": data, "has_more": false, "url": "/v1/invoice_payments"}))
    }

    /// `POST /v1/billing_portal/sessions`: a Billing Portal session for an existing customer
    /// (one created through the API or by a completed Checkout Session).
    pub(super) fn portal_session(&self, form: &Value) -> Result<Value, ApiError> {
        let customer = form["customer"].as_str().ok_or_else(|| missing("customer"))?;
        let known =
            self.customers.contains_key(customer) || self.sessions.iter().any(|s| s.session["customer"] == customer);
        if !known {
            let message = format!("No such customer: '{customer}'");
            return Err(error(StatusCode::BAD_REQUEST, Some("resource_missing"), Some("customer"), message));
        }
        if let Some(url) =
            form["return_url"].as_str().filter(|u| !u.starts_with("http://") && !u.starts_with("https://"))
        {
            return Err(invalid("return_url", format!("Not a valid URL: {url}")));
        }
        let id = random_id("bps_", 24);
        Ok(json!({
            "id": id, "object": "billing_portal.session", "configuration": "bpc_standin", "created": now(),
            "customer": customer, "flow": null, "livemode": false, "locale": form["locale"], "on_behalf_of": null,
            "return_url": form["return_url"], "url": format!("{}portal/{id}", self.base_url),
        }))
    }
}
