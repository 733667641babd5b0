//! The roles of a switched plan, through the entitlement ledger: the old plan's source stops
//! granting (state `switched`), the new plan's source (same checkout and subscription) grants in
//! the subscription's standing, and the reconciler swaps the Discord roles. An upgrade swaps them
//! as it is charged; a scheduled downgrade when Stripe's `customer.subscription.updated` shows
//! the new plan's price ([`Commerce::plan_seen`]). A replayed event finds the plan already
//! current and changes nothing; an event older than the last change never undoes it.

use chrono::{DateTime, Utc};

use super::plan_switch;
use super::store;
use super::switch_store::{self as switches, PlanSwitch};
use super::switching::switch_data;
use crate::commerce::Commerce;
use crate::entitlements::ledger::{self, SourceKind, SourceSpec};
use crate::execute;
use crate::store::{catalog, checkouts, payments as pay, Tx};

impl Commerce {
    /// The names of a switch's two plans and the new plan's currency, for the member's answer.
    pub async fn plan_switch_names(&self, s: &PlanSwitch) -> anyhow::Result<(String, String, String)> {
        let mut tx = self.store.begin().await?;
        let (from, to) = self.plan_names(&mut tx, s).await?;
        let currency = self.currency_of(&mut tx, &s.to_product).await?;
        tx.commit().await?;
        Ok((from, to, currency))
    }

    /// The names of a switch's two plans.
    pub(super) async fn plan_names(&self, tx: &mut Tx, s: &PlanSwitch) -> anyhow::Result<(String, String)> {
        let name = |p: Option<crate::domain::catalog::Product>, id: &str| p.map_or_else(|| id.to_owned(), |p| p.name);
        let from = name(catalog::get(tx, &s.from_product).await?, &s.from_product);
        let to = name(catalog::get(tx, &s.to_product).await?, &s.to_product);
        Ok((from, to))
    }

    /// Switch `s` takes effect now (at Unix time `at`): the plan of its subscription, the ledger's
    /// sources, the member's DM and `subscription.switched`.
    pub(super) async fn switch_roles(&self, tx: &mut Tx, s: &PlanSwitch, at: i64) -> anyhow::Result<()> {
        switches::set_plan(tx, &s.subscription_id, &s.to_product, s.price_id.as_deref(), at).await?;
        let (from, to) = self.plan_names(tx, s).await?;
        self.swap_sources(tx, &s.subscription_id, &s.from_product, &s.to_product, &from, &to).await?;
        let text = if s.direction == "upgrade" {
            plan_switch::upgraded_text(&from, &to, s.prorated.unwrap_or(0), &self.currency_of(tx, &s.to_product).await?)
        } else {
            plan_switch::downgraded_text(&from, &to)
        };
        store::queue_message(tx, &format!("switch:{}:applied", s.id), &s.member, &text).await?;
        execute::enqueue(tx, &self.ctx, None, "subscription.switched", switch_data(s)).await
    }

    async fn currency_of(&self, tx: &mut Tx, product: &str) -> anyhow::Result<String> {
        Ok(catalog::get(tx, product).await?.map_or_else(|| "eur".to_owned(), |p| p.currency))
    }

    /// The ledger moves the subscription's role from plan `from` to plan `to`.
    async fn swap_sources(
        &self,
        tx: &mut Tx,
        sub: &str,
        from: &str,
        to: &str,
        from_name: &str,
        to_name: &str,
    ) -> anyhow::Result<()> {
        let Some(c) = checkouts::by_subscription(tx, sub).await?.into_iter().find(|c| c.status == "paid") else {
            return Ok(());
        };
        for old in ledger::of_checkout(tx, &c.id).await? {
            if old.product_id.as_deref() != Some(from) || old.subscription_id.as_deref() != Some(sub) {
                continue;
            }
            let spec = SourceSpec {
                kind: SourceKind::Subscription,
                member: &old.member,
                role_id: &old.role_id,
                product_id: old.product_id.as_deref(),
                checkout_id: old.checkout_id.as_deref(),
                subscription_id: Some(sub),
                amount: old.amount,
                currency: &old.currency,
            };
            ledger::set(tx, &self.ctx, &spec, false, "switched", &format!("switched to {to_name}")).await?;
        }
        let Some(plan) = catalog::get(tx, to).await? else { return Ok(()) };
        let Some(role) = plan.role_id.clone() else { return Ok(()) };
        let status = pay::subscription(tx, sub).await?.unwrap_or_else(|| "active".to_owned());
        let standing = self.standing(tx, sub, &status, pay::subscription_keeps_role(&status)).await?;
        let spec = SourceSpec {
            kind: SourceKind::Subscription,
            member: &c.buyer,
            role_id: &role,
            product_id: Some(to),
            checkout_id: Some(&c.id),
            subscription_id: Some(sub),
            amount: plan.price,
            currency: &plan.currency,
        };
        let note = format!("switched from {from_name}; {}", standing.note);
        ledger::set(tx, &self.ctx, &spec, standing.active, &standing.state, &note).await
    }

    /// `customer.subscription.updated` (created at Unix time `created`) shows `sub` on Stripe
    /// price `price`: when that is another plan's price, the plan changed at Stripe (a scheduled
    /// downgrade reached its phase, or a change made elsewhere) and the roles follow.
    pub(crate) async fn plan_seen(&self, tx: &mut Tx, sub: &str, price: &str, created: i64) -> anyhow::Result<()> {
        let Some(product) = switches::product_of_price(tx, price).await? else { return Ok(()) };
        let Some(current) = switches::current_plan(tx, sub).await? else { return Ok(()) };
        // The plan is current already, or the switch to it is still being recorded (Stripe's
        // webhook won the race with the shop's own transaction, which applies it).
        if product == current || switches::in_flight(tx, sub, &product).await? {
            return Ok(());
        }
        let pending = switches::scheduled(tx, sub).await?.filter(|p| p.price_id.as_deref() == Some(price));
        let newer = switches::plan_changed_at(tx, sub).await?.is_none_or(|at| created > at);
        if pending.is_none() && !newer {
            return Ok(());
        }
        let s = match pending {
            Some(p) => PlanSwitch {
                status: "applied".into(),
                effective_at: DateTime::<Utc>::from_timestamp(created, 0).or(p.effective_at),
                ..p
            },
            None => {
                let member = checkouts::by_subscription(tx, sub).await?.into_iter().next().map(|c| c.buyer);
                PlanSwitch {
                    id: format!("stripe:{sub}:{created}"),
                    subscription_id: sub.to_owned(),
                    member: member.unwrap_or_default(),
                    from_product: current,
                    to_product: product,
                    direction: "changed".into(),
                    requested_by: "stripe".into(),
                    status: "applied".into(),
                    price_id: Some(price.to_owned()),
                    schedule_id: None,
                    effective_at: DateTime::<Utc>::from_timestamp(created, 0),
                    invoice_id: None,
                    prorated: None,
                    error: None,
                }
            }
        };
        if s.requested_by == "stripe" {
            switches::insert(tx, &s).await?;
        }
        switches::update(tx, &s).await?;
        self.switch_roles(tx, &s, created).await
    }
}
