//! The entitlement ledger: sources, their audit trail, and the reconcile queue they feed. Every
//! function runs inside the caller's transaction, so a source changes together with the payment
//! event that changed it.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::SqliteConnection;

use crate::execute::{self, ShopContext};
use crate::store::Tx;

/// Why a member holds a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A one-off purchase, paid.
    Purchase,
    /// A subscription, live (active, trialing, or past due within its grace).
    Subscription,
    /// A preorder, released and paid in full.
    Preorder,
    /// An admin gave it.
    Manual,
    /// Another member paid for it (see [`crate::gifts`]).
    Gift,
}

impl SourceKind {
    /// Its name in the ledger and in events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Purchase => "purchase",
            Self::Subscription => "subscription",
            Self::Preorder => "preorder",
            Self::Manual => "manual",
            Self::Gift => "gift",
        }
    }
}

/// A source to write: who, which role, and what it came from.
#[derive(Debug, Clone)]
pub struct SourceSpec<'a> {
    /// Kind.
    pub kind: SourceKind,
    /// Member (Discord user id).
    pub member: &'a str,
    /// Role it grants.
    pub role_id: &'a str,
    /// Product bought, if any.
    pub product_id: Option<&'a str>,
    /// Checkout that paid for it, if any.
    pub checkout_id: Option<&'a str>,
    /// Stripe subscription, for a plan.
    pub subscription_id: Option<&'a str>,
    /// Paid for it, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: &'a str,
}

impl SourceSpec<'_> {
    /// The source's id: one per kind, checkout (or member) and product (or role).
    pub fn id(&self) -> String {
        let by = self.checkout_id.unwrap_or(self.member);
        let what = self.product_id.unwrap_or(self.role_id);
        format!("{}:{by}:{what}", self.kind.as_str())
    }
}

/// A source as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Id.
    pub id: String,
    /// Member.
    pub member: String,
    /// Role.
    pub role_id: String,
    /// Kind (`purchase`…).
    pub kind: String,
    /// Product.
    pub product_id: Option<String>,
    /// Checkout.
    pub checkout_id: Option<String>,
    /// Subscription.
    pub subscription_id: Option<String>,
    /// Paid, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Grants the role now.
    pub active: bool,
    /// `paid`, `refunded`, `disputed`, `active`, `past_due`, `canceled`, `granted`, `revoked`…
    pub state: String,
    /// The last change, in words.
    pub note: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Writes a source's state (creating it if needed). An unchanged state writes nothing; a change
/// is audited, queues the member for reconciliation and, when the source starts or stops
/// granting, emits `entitlement.granted` or `entitlement.revoked`.
///
/// A new source (a sale's, usually) is written by its insert alone; an existing one is read,
/// then updated when it changed.
pub async fn set(
    tx: &mut Tx,
    ctx: &ShopContext,
    spec: &SourceSpec<'_>,
    active: bool,
    state: &str,
    note: &str,
) -> anyhow::Result<()> {
    let id = spec.id();
    let now = Utc::now();
    let kind = spec.kind.as_str();
    let created = sqlx::query!(
        "INSERT INTO entitlement_sources (id, member, role_id, kind, product_id, checkout_id, subscription_id, amount,
                                          currency, active, state, note, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        id,
        spec.member,
        spec.role_id,
        kind,
        spec.product_id,
        spec.checkout_id,
        spec.subscription_id,
        spec.amount,
        spec.currency,
        active,
        state,
        note,
        now,
        now
    )
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if created {
        return written(tx, ctx, spec, &id, None, active, state, note, now).await;
    }
    let before = sqlx::query!(r#"SELECT active AS "active: bool", state FROM entitlement_sources WHERE id = ?"#, id)
        .fetch_one(&mut **tx)
        .await?;
    if before.active == active && before.state == state {
        return Ok(());
    }
    update(tx, ctx, spec, &id, before.active, active, state, note).await
}

/// Changes an existing source that was `before_active` (read in this transaction) to a new state.
#[allow(clippy::too_many_arguments)]
async fn update(
    tx: &mut Tx,
    ctx: &ShopContext,
    spec: &SourceSpec<'_>,
    id: &str,
    before_active: bool,
    active: bool,
    state: &str,
    note: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    sqlx::query!(
        "UPDATE entitlement_sources SET active = ?, state = ?, note = ?,
           subscription_id = COALESCE(?, subscription_id), updated_at = ? WHERE id = ?",
        active,
        state,
        note,
        spec.subscription_id,
        now,
        id
    )
    .execute(&mut **tx)
    .await?;
    written(tx, ctx, spec, id, Some(before_active), active, state, note, now).await
}

/// After a source was written: its audit line, its event when it starts or stops granting, and
/// its member queued for reconciliation.
#[allow(clippy::too_many_arguments)]
async fn written(
    tx: &mut Tx,
    ctx: &ShopContext,
    spec: &SourceSpec<'_>,
    id: &str,
    before_active: Option<bool>,
    active: bool,
    state: &str,
    note: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    audit(tx, id, spec.member, spec.role_id, active, state, note, now).await?;
    if before_active != Some(active) {
        let kind_of_event = if active { "entitlement.granted" } else { "entitlement.revoked" };
        let data = json!({
            "source": id, "kind": spec.kind.as_str(), "member": spec.member, "role_id": spec.role_id,
            "product_id": spec.product_id, "checkout_id": spec.checkout_id, "state": state, "note": note,
        });
        execute::enqueue(tx, ctx, None, kind_of_event, data).await?;
    }
    queue(tx, spec.member, now, "ledger").await
}

/// Sets the state of every source paid by `checkout` (see [`set`]); returns how many changed.
pub async fn set_for_checkout(
    tx: &mut Tx,
    ctx: &ShopContext,
    checkout: &str,
    active: bool,
    state: &str,
    note: &str,
) -> anyhow::Result<usize> {
    let sources = of_checkout(tx, checkout).await?;
    change_all(tx, ctx, sources, active, state, note).await
}

/// Sets the state of every source of a Stripe subscription (see [`set`]) for the plan it is on:
/// the source of a plan it was switched away from stays as the switch left it.
pub async fn set_for_subscription(
    tx: &mut Tx,
    ctx: &ShopContext,
    subscription: &str,
    active: bool,
    state: &str,
    note: &str,
) -> anyhow::Result<usize> {
    let sources = sqlx::query_as!(
        Source,
        r#"SELECT id, member, role_id, kind, product_id, checkout_id, subscription_id, amount, currency,
                  active AS "active: bool", state, note, created_at AS "created_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>"
           FROM entitlement_sources s WHERE subscription_id = ?
             AND NOT EXISTS (SELECT 1 FROM subscription_plans p
                             WHERE p.subscription_id = s.subscription_id AND p.product_id IS NOT s.product_id)"#,
        subscription
    )
    .fetch_all(&mut **tx)
    .await?;
    change_all(tx, ctx, sources, active, state, note).await
}

async fn change_all(
    tx: &mut Tx,
    ctx: &ShopContext,
    sources: Vec<Source>,
    active: bool,
    state: &str,
    note: &str,
) -> anyhow::Result<usize> {
    let mut changed = 0;
    for s in &sources {
        if s.active == active && s.state == state {
            continue;
        }
        // Read in this transaction: its state is current, no need to read it again.
        let spec = s.spec()?;
        update(tx, ctx, &spec, &s.id, s.active, active, state, note).await?;
        changed += 1;
    }
    Ok(changed)
}

impl Source {
    /// The spec that writes this source again.
    fn spec(&self) -> anyhow::Result<SourceSpec<'_>> {
        let kind = match self.kind.as_str() {
            "purchase" => SourceKind::Purchase,
            "subscription" => SourceKind::Subscription,
            "preorder" => SourceKind::Preorder,
            "manual" => SourceKind::Manual,
            "gift" => SourceKind::Gift,
            other => anyhow::bail!("unknown entitlement source kind {other:?}"),
        };
        Ok(SourceSpec {
            kind,
            member: &self.member,
            role_id: &self.role_id,
            product_id: self.product_id.as_deref(),
            checkout_id: self.checkout_id.as_deref(),
            subscription_id: self.subscription_id.as_deref(),
            amount: self.amount,
            currency: &self.currency,
        })
    }
}

/// Every source paid by a checkout.
pub async fn of_checkout(conn: &mut SqliteConnection, checkout: &str) -> anyhow::Result<Vec<Source>> {
    Ok(sqlx::query_as!(
        Source,
        r#"SELECT id, member, role_id, kind, product_id, checkout_id, subscription_id, amount, currency,
                  active AS "active: bool", state, note, created_at AS "created_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>"
           FROM entitlement_sources WHERE checkout_id = ?"#,
        checkout
    )
    .fetch_all(conn)
    .await?)
}

/// Every source of a member, oldest first.
pub async fn of_member(conn: &mut SqliteConnection, member: &str) -> anyhow::Result<Vec<Source>> {
    Ok(sqlx::query_as!(
        Source,
        r#"SELECT id, member, role_id, kind, product_id, checkout_id, subscription_id, amount, currency,
                  active AS "active: bool", state, note, created_at AS "created_at: DateTime<Utc>",
                  updated_at AS "updated_at: DateTime<Utc>"
           FROM entitlement_sources WHERE member = ? ORDER BY created_at, id"#,
        member
    )
    .fetch_all(conn)
    .await?)
}

#[allow(clippy::too_many_arguments)]
async fn audit(
    tx: &mut Tx,
    source: &str,
    member: &str,
    role: &str,
    active: bool,
    state: &str,
    note: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO entitlement_audit (source_id, member, role_id, active, state, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        source,
        member,
        role,
        active,
        state,
        note,
        at
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues `member` for reconciliation at `due` (an earlier due time wins).
pub async fn queue(conn: &mut SqliteConnection, member: &str, due: DateTime<Utc>, reason: &str) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO reconcile_queue (member, due_at, reason) VALUES (?, ?, ?)
         ON CONFLICT (member) DO UPDATE SET due_at = MIN(due_at, excluded.due_at), attempts = 0, reason = excluded.reason",
        member,
        due,
        reason
    )
    .execute(conn)
    .await?;
    Ok(())
}
