//! Physical products: the payment page asks for a shipping address in the shop's countries
//! (`config shipping.countries`), and a paid order's address is stored with it and posted to the
//! admin channel as "to ship".

use serde_json::json;
use stripe_shared::CheckoutSession;

use super::Commerce;
use crate::domain::config::ConfigKey;
use crate::domain::shipping::{parse_countries, DEFAULT_COUNTRIES};
use crate::execute;
use crate::marketing::store::announcements;
use crate::store::checkouts::{self, Checkout, ShippingAddress};
use crate::store::{catalog, settings, Tx};

/// The countries a shipping address may be in: `shipping.countries`, or the default.
pub(crate) async fn countries(tx: &mut Tx) -> anyhow::Result<Vec<String>> {
    let set = settings::get(tx, &ConfigKey::ShippingCountries.to_string()).await?;
    Ok(parse_countries(set.as_deref().unwrap_or(DEFAULT_COUNTRIES))?)
}

/// The address of a completed Checkout Session (`collected_information.shipping_details`, API
/// 2025-03-31 and later), if the buyer gave one.
fn address_of(session: &CheckoutSession) -> Option<ShippingAddress> {
    let details = session.collected_information.as_ref()?.shipping_details.as_ref()?;
    let a = &details.address;
    Some(ShippingAddress {
        name: details.name.clone(),
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        country: a.country.clone()?,
    })
}

/// One line of an address label: `Name, line1, line2, 69002 Lyon, state, FR`.
pub fn label(a: &ShippingAddress) -> String {
    let town = [a.postal_code.as_deref(), a.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let parts =
        [Some(a.name.as_str()), a.line1.as_deref(), a.line2.as_deref(), Some(town.as_str()), a.state.as_deref()];
    let mut out: Vec<&str> = parts.into_iter().flatten().filter(|p| !p.trim().is_empty()).collect();
    out.push(&a.country);
    out.join(", ")
}

impl Commerce {
    /// Called when a checkout is paid: stores the address the buyer gave (once), publishes
    /// `shipment.to_ship` and queues a "to ship" post for the admin channel, in `tx`.
    pub(crate) async fn record_shipping(
        &self,
        tx: &mut Tx,
        c: &Checkout,
        session: &CheckoutSession,
    ) -> anyhow::Result<()> {
        let Some(address) = address_of(session) else { return Ok(()) };
        if !checkouts::save_shipping(tx, &c.id, &c.buyer, &address).await? {
            return Ok(());
        }
        let mut items = Vec::new();
        for l in checkouts::lines(tx, &c.id).await? {
            let name = catalog::get(tx, &l.product_id).await?.map_or(l.product_id.clone(), |p| p.name);
            items.push(format!("{} × {name}", l.quantity));
        }
        let data = json!({"checkout_id": c.id, "buyer": c.buyer, "items": items, "address": address});
        execute::enqueue(tx, &self.ctx, None, "shipment.to_ship", data).await?;
        if let Some(channel) = &self.settings.admin_channel {
            let text = format!(
                "📦 **To ship**: order `{}` for <@{}>\n{}\nShip to: {}",
                c.id,
                c.buyer,
                items.join("\n"),
                label(&address)
            );
            let everyone = subjects::params::Audience::Everyone;
            announcements::insert(tx, &format!("to-ship:{}", c.id), &text, channel, &everyone).await?;
        }
        Ok(())
    }
}
