//! Plan switches: a member (`/subscription switch`) or an admin (the `subscription` order) asks;
//! the shop checks the switch against what it knows ([`request`], inside the asker's
//! transaction), then carries it out at Stripe ([`Commerce::perform_switch`]): an upgrade moves
//! the subscription to the new plan's price now, Stripe invoicing and charging the proration at
//! once, and the roles swap in the same transaction that records it; a downgrade is a
//! subscription schedule whose next phase starts at the period's end, and the roles swap when
//! Stripe's `customer.subscription.updated` shows the new price ([`super::switch_roles`]).
//! Every Stripe request carries a key derived from the switch's id, so a retried switch (a
//! redelivered order, a worker pass after a crash) changes nothing twice.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::plan_switch::{self, Direction, SwitchRefusal};
use super::self_service::MembershipError;
use super::store;
use super::switch_store::{self as switches, PlanSwitch};
use crate::commerce::Commerce;
use crate::domain::catalog::{Interval, Product};
use crate::execute;
use crate::payments::{self, PaymentError, PriceChange, PriceRequest, ScheduledChange};
use crate::store::checkouts::{self, Checkout};
use crate::store::{catalog, payments as pay, Tx};

/// A member's live subscription (paid, not ended) and the checkout that started it.
pub(crate) async fn live_subscription(
    conn: &mut sqlx::SqliteConnection,
    member: &str,
) -> anyhow::Result<Option<(String, Checkout)>> {
    for c in checkouts::by_buyer(conn, member, 50).await? {
        let Some(sub) = c.subscription_id.clone().filter(|_| c.status == "paid") else { continue };
        let status = pay::subscription(conn, &sub).await?.unwrap_or_else(|| "active".to_owned());
        if !matches!(status.as_str(), "canceled" | "incomplete_expired") {
            return Ok(Some((sub, c)));
        }
    }
    Ok(None)
}

/// Checks a switch of `member` to `plan` against what the shop knows and records it as
/// `requested` under `id` (the same id again returns the switch recorded then).
pub async fn request(tx: &mut Tx, member: &str, plan: &str, id: &str, by: &str) -> Result<PlanSwitch, MembershipError> {
    if let Some(known) = switches::get(tx, id).await? {
        return Ok(known);
    }
    let Some((sub, _)) = live_subscription(tx, member).await? else { return Err(SwitchRefusal::NoSubscription.into()) };
    let target = plan_switch::find_plan(&catalog::all(tx).await?, plan)?.clone();
    let current_id = switches::current_plan(tx, &sub).await?.ok_or(SwitchRefusal::NoSubscription)?;
    let current = catalog::get(tx, &current_id).await?.ok_or(SwitchRefusal::NoSubscription)?;
    let pending = switches::scheduled(tx, &sub).await?;
    let direction = match (plan_switch::direction(&current, &target), &pending) {
        // Back to the current plan while a downgrade waits: the downgrade is dropped.
        (Err(SwitchRefusal::SamePlan(_)), Some(_)) => Direction::Stay,
        (direction, _) => direction?,
    };
    let status = pay::subscription(tx, &sub).await?.unwrap_or_else(|| "active".to_owned());
    plan_switch::switchable(&status, false)?;
    if let Some(pending) = pending.filter(|p| p.to_product == target.id) {
        return Err(plan_switch::already_scheduled(&target.name, pending.effective_at.unwrap_or_else(Utc::now)).into());
    }
    let switch = PlanSwitch {
        id: id.to_owned(),
        subscription_id: sub,
        member: member.to_owned(),
        from_product: current.id,
        to_product: target.id,
        direction: direction.as_str().to_owned(),
        requested_by: by.to_owned(),
        status: "requested".into(),
        price_id: None,
        schedule_id: None,
        effective_at: None,
        invoice_id: None,
        prorated: None,
        error: None,
    };
    switches::insert(tx, &switch).await?;
    Ok(switch)
}

fn interval_of(p: &Product) -> (Interval, &'static str) {
    match p.interval {
        Some(Interval::Year) => (Interval::Year, "year"),
        _ => (Interval::Month, "month"),
    }
}

fn port_interval(i: Interval) -> payments::Interval {
    match i {
        Interval::Month => payments::Interval::Month,
        Interval::Year => payments::Interval::Year,
    }
}

impl Commerce {
    /// `/subscription switch <plan>`: checks, records and carries out the switch now.
    pub async fn switch_plan(&self, member: &str, plan: &str) -> Result<PlanSwitch, MembershipError> {
        self.payments.clone().ok_or(MembershipError::NoPayments)?;
        let id = format!("member:{member}:{}", uuid::Uuid::now_v7().simple());
        let mut tx = self.store.begin().await?;
        request(&mut tx, member, plan, &id, "member").await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.perform_switch(&id).await
    }

    /// Carries out requested switch `id` at Stripe and records it (a switch already carried out
    /// is returned as it is).
    pub async fn perform_switch(&self, id: &str) -> Result<PlanSwitch, MembershipError> {
        let payments = self.payments.clone().ok_or(MembershipError::NoPayments)?;
        let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
        let mut s = switches::get(&mut conn, id).await?.ok_or(SwitchRefusal::NoSubscription)?;
        if s.status != "requested" {
            return Ok(s);
        }
        let target = catalog::get(&mut conn, &s.to_product).await?.ok_or(SwitchRefusal::NoSubscription)?;
        let pending = switches::scheduled(&mut conn, &s.subscription_id).await?;
        let current = switches::current_plan(&mut conn, &s.subscription_id).await?;
        drop(conn);
        // Another switch to that plan took effect since this one was asked.
        if current.as_deref() == Some(s.to_product.as_str()) && s.direction != Direction::Stay.as_str() {
            let refusal = SwitchRefusal::SamePlan(target.name.clone());
            return Err(self.switch_failed(s, refusal.to_string()).await.map_or_else(Into::into, |()| refusal.into()));
        }
        let live = payments.subscription(s.subscription_id.clone()).await?;
        if let Err(refusal) = plan_switch::switchable(&live.status, live.cancel_at_period_end) {
            return Err(self.switch_failed(s, refusal.to_string()).await.map_or_else(Into::into, |()| refusal.into()));
        }
        // A downgrade scheduled before is dropped: this switch replaces it (or, to stay, undoes it).
        if let Some(p) = pending.as_ref().filter(|p| p.id != s.id) {
            if let Some(schedule) = p.schedule_id.clone().filter(|sch| live.schedule.as_ref() == Some(sch)) {
                payments.release_schedule(schedule, format!("switch:{}:release", s.id)).await?;
            }
            let dropped = PlanSwitch { status: "canceled".into(), ..p.clone() };
            let mut tx = self.store.begin().await?;
            switches::update(&mut tx, &dropped).await?;
            execute::enqueue(&mut tx, &self.ctx, None, "subscription.switch_canceled", switch_data(&dropped)).await?;
            if s.direction == Direction::Stay.as_str() {
                s.status = "applied".into();
                s.effective_at = Some(Utc::now());
                let (stay, gone) = self.plan_names(&mut tx, &dropped).await?;
                let text = plan_switch::stay_text(&stay, &gone);
                store::queue_message(&mut tx, &format!("switch:{}:stay", s.id), &s.member, &text).await?;
                switches::update(&mut tx, &s).await?;
            }
            tx.commit().await.map_err(anyhow::Error::from)?;
            self.flush().await;
            if s.status == "applied" {
                return Ok(s);
            }
        }
        if s.direction == Direction::Stay.as_str() {
            // The downgrade it would drop is gone already: nothing left to do.
            let s = PlanSwitch { status: "applied".into(), effective_at: Some(Utc::now()), ..s };
            let mut tx = self.store.begin().await?;
            switches::update(&mut tx, &s).await?;
            tx.commit().await.map_err(anyhow::Error::from)?;
            return Ok(s);
        }
        let price = self.plan_price(&target).await?;
        s.price_id = Some(price.clone());
        let outcome = match Direction::parse(&s.direction) {
            Some(Direction::Upgrade) => {
                let change = PriceChange {
                    idempotency_key: format!("switch:{}", s.id),
                    subscription: s.subscription_id.clone(),
                    item: live.item.clone(),
                    price,
                };
                payments.change_price_now(change).await.map(|done| {
                    s.invoice_id = done.invoice;
                    s.prorated = Some(done.prorated);
                    s.effective_at = Some(Utc::now());
                })
            }
            _ => {
                let change = ScheduledChange {
                    idempotency_key: format!("switch:{}", s.id),
                    subscription: s.subscription_id.clone(),
                    current_price: live.price.clone(),
                    new_price: price,
                    period_start: live.current_period_start,
                    period_end: live.current_period_end,
                    interval: port_interval(interval_of(&target).0),
                };
                payments.schedule_price_change(change).await.map(|schedule| {
                    s.schedule_id = Some(schedule);
                    s.effective_at = DateTime::from_timestamp(live.current_period_end, 0);
                })
            }
        };
        match outcome {
            Ok(()) => {}
            Err(PaymentError::Refused(why)) => {
                let error = MembershipError::Provider(PaymentError::Refused(why.clone()));
                return Err(self.switch_failed(s, why).await.map_or_else(Into::into, |()| error));
            }
            Err(e) => return Err(e.into()),
        }
        let mut tx = self.store.begin().await?;
        if s.direction == Direction::Upgrade.as_str() {
            s.status = "applied".into();
            self.switch_roles(&mut tx, &s, Utc::now().timestamp()).await?;
        } else {
            s.status = "scheduled".into();
            let (from, to) = self.plan_names(&mut tx, &s).await?;
            let at = s.effective_at.unwrap_or_else(Utc::now);
            let text = plan_switch::scheduled_text(&from, &to, at);
            store::queue_message(&mut tx, &format!("switch:{}:scheduled", s.id), &s.member, &text).await?;
            execute::enqueue(&mut tx, &self.ctx, None, "subscription.switch_scheduled", switch_data(&s)).await?;
        }
        switches::update(&mut tx, &s).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.flush().await;
        self.deliveries.notify_one();
        Ok(s)
    }

    /// Records that switch `s` failed for `reason` and tells the admins by event.
    async fn switch_failed(&self, s: PlanSwitch, reason: String) -> anyhow::Result<()> {
        let s = PlanSwitch { status: "failed".into(), error: Some(reason), ..s };
        let mut tx = self.store.begin().await?;
        switches::update(&mut tx, &s).await?;
        execute::enqueue(&mut tx, &self.ctx, None, "subscription.switch_failed", switch_data(&s)).await?;
        tx.commit().await?;
        self.flush().await;
        Ok(())
    }

    /// The Stripe price of `plan` at its list price, made once.
    async fn plan_price(&self, plan: &Product) -> Result<String, MembershipError> {
        let payments = self.payments.clone().ok_or(MembershipError::NoPayments)?;
        let (interval, name) = interval_of(plan);
        let mut conn = self.store.pool().acquire().await.map_err(anyhow::Error::from)?;
        if let Some(price) = switches::price_of(&mut conn, &plan.id, plan.price, &plan.currency, name).await? {
            return Ok(price);
        }
        drop(conn);
        let request = PriceRequest {
            idempotency_key: format!("price:{}:{}:{}:{}:{name}", self.ctx.id, plan.id, plan.price, plan.currency),
            name: plan.name.clone(),
            unit_amount: plan.price,
            currency: plan.currency.clone(),
            interval: port_interval(interval),
        };
        let price = payments.create_price(request).await?;
        let mut conn = self.store.writer().acquire().await.map_err(anyhow::Error::from)?;
        switches::save_price(&mut conn, &plan.id, plan.price, &plan.currency, name, &price).await?;
        Ok(price)
    }

    /// The switches asked by order (or left half done) carried out: the worker's step.
    pub async fn switches_once(&self) -> anyhow::Result<usize> {
        if self.payments.is_none() {
            return Ok(0);
        }
        let ids = {
            let mut conn = self.store.pool().acquire().await?;
            switches::requested(&mut conn, Utc::now() - chrono::Duration::seconds(60)).await?
        };
        let mut done = 0;
        for id in ids {
            match self.perform_switch(&id).await {
                Ok(_) => done += 1,
                Err(MembershipError::Provider(PaymentError::Unavailable(e))) => {
                    tracing::warn!(switch = %id, error = %e, "plan switch postponed: Stripe is unavailable");
                }
                Err(e) => tracing::info!(switch = %id, error = %e, "plan switch refused"),
            }
        }
        Ok(done)
    }
}

/// The data of `subscription.switched`, `…switch_scheduled` and `…switch_failed`.
pub(crate) fn switch_data(s: &PlanSwitch) -> serde_json::Value {
    json!({
        "switch_id": s.id, "subscription": s.subscription_id, "member": s.member, "from": s.from_product,
        "to": s.to_product, "direction": s.direction, "requested_by": s.requested_by, "status": s.status,
        "effective_at": s.effective_at, "invoice": s.invoice_id, "prorated": s.prorated, "error": s.error,
    })
}
