//! Typed results of each action, carried in a successful reply's `result`.
//! (`status` answers a [`crate::reply::StatusReport`].)

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::params::{Audience, Discount, GiveawayTrigger, PromoTarget};

/// Result of `config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigResult {
    /// The canonical key (e.g. `price.pro` for `price_pro`).
    pub key: String,
    /// The value now in effect (the default when never set; absent when neither).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value before this order, when it wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Whether this order changed the value.
    pub changed: bool,
}

/// Result of `start` and `stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OpenResult {
    /// Whether the shop sells now.
    pub open: bool,
    /// Message shown to buyers while closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether this order changed the state.
    pub changed: bool,
}

/// Result of `restart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RestartResult {
    /// Always true: the shop stops gracefully after this reply and its supervisor starts it again;
    /// `shop.started` tells when it is back.
    pub restarting: bool,
}

/// The state of a promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromoStatus {
    /// Waiting for its start.
    Scheduled,
    /// Running.
    Active,
    /// Over (its end passed).
    Ended,
    /// Ended early by a newer promotion on the same target.
    Replaced,
}

/// A promotion as stored by a shop; the result of `promo` and the data of `promo.*` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PromoInfo {
    /// Promotion id (the id of the order that created it).
    pub id: String,
    /// The discount.
    pub discount: Discount,
    /// What it applies to.
    pub target: PromoTarget,
    /// Who is told.
    pub audience: Audience,
    /// Code to type at checkout, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Most redemptions allowed, if capped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_redemptions: Option<u32>,
    /// Redemptions so far.
    pub redemptions: u32,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
    /// State.
    pub status: PromoStatus,
    /// The promotion this one replaced, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
}

/// The state of a giveaway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GiveawayStatus {
    /// Waiting for its trigger (e.g. a member count).
    Waiting,
    /// Open for entries.
    Open,
    /// Drawn.
    Ended,
    /// Cancelled.
    Cancelled,
}

/// A giveaway as stored by a shop; the result of `giveaway` and the data of `giveaway.*` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GiveawayInfo {
    /// Giveaway id (the id of the order that created it).
    pub id: String,
    /// What is won.
    pub prize: String,
    /// Number of winners.
    pub winners: u32,
    /// Entry window once open, in seconds.
    pub duration_secs: u64,
    /// What opens it.
    pub trigger: GiveawayTrigger,
    /// Discord channel id, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// State.
    pub status: GiveawayStatus,
    /// When entries opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// When entries close.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Hex SHA-256 of the secret seed, published at start (see docs/giveaway-draw.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// Entries so far (members).
    #[serde(default)]
    pub entrants: u64,
    /// Winners, once drawn (after rerolls: the current ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub winners_drawn: Vec<String>,
}

/// The proof of a draw: anyone recomputes the winners from it (docs/giveaway-draw.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawProof {
    /// Giveaway id.
    pub giveaway: String,
    /// Commitment published at start.
    pub commitment: String,
    /// The seed, hex.
    pub seed: String,
    /// Hex SHA-256 of the canonical entry list.
    pub entries_digest: String,
    /// Number of entrants.
    pub entrants: u64,
    /// Each draw in order: `draw`, then `reroll:1`, …, with the members excluded and the winners.
    pub rounds: Vec<DrawRound>,
}

/// One round of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DrawRound {
    /// `draw` or `reroll:<n>`.
    pub round: String,
    /// How many winners were asked.
    pub winners: u32,
    /// Members excluded (earlier winners).
    pub exclude: Vec<String>,
    /// Who won.
    pub picked: Vec<String>,
}

/// Result of `giveaways`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GiveawaysResult {
    /// The giveaways concerned (one for end/reroll/cancel/verify).
    pub giveaways: Vec<GiveawayInfo>,
    /// For end, reroll and verify: the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<DrawProof>,
    /// For verify: whether the recomputation matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// An amount per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Revenue {
    /// Lowercase ISO 4217 code.
    pub currency: String,
    /// Amount in minor units.
    pub amount: i64,
}

/// One product's line in the analytics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TopProduct {
    /// Catalog id.
    pub product: String,
    /// Sales count.
    pub sales: u64,
    /// Net revenue (partial refunds deducted).
    pub revenue: Vec<Revenue>,
    /// Gross revenue, before refunds.
    #[serde(default)]
    pub gross: Vec<Revenue>,
}

/// Result of `analytics`: figures computed from the stored sales of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AnalyticsResult {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Net revenue: `gross` less `refunded`, by currency.
    pub revenue: Vec<Revenue>,
    /// Gross revenue: everything the period's sales paid, before refunds.
    #[serde(default)]
    pub gross: Vec<Revenue>,
    /// What was refunded of the period's sales (full and partial refunds).
    #[serde(default)]
    pub refunded: Vec<Revenue>,
    /// Number of paid sales (not refunded in full).
    pub sales: u64,
    /// Number of sales refunded in full or in part.
    pub refunds: u64,
    /// Checkouts started.
    pub checkouts: u64,
    /// `sales / checkouts`, 0 when no checkout was started.
    pub conversion: f64,
    /// Best products by sales, at most 5.
    pub top_products: Vec<TopProduct>,
    /// Recurring plans: members, MRR, churn, trials, recovered renewals (absent from shops
    /// that predate memberships).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memberships: Option<MembershipFigures>,
}

/// Membership figures of a period (`active` and `mrr` are as of now).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MembershipFigures {
    /// Members holding each plan now (active, trialing, or in grace after a failed renewal).
    pub active: Vec<PlanMembers>,
    /// Monthly recurring revenue now, by currency: paying members' plans (a yearly plan counts a
    /// twelfth), trials excluded.
    pub mrr: Vec<Revenue>,
    /// Subscriptions started in the period (trials included).
    pub new: u64,
    /// Subscriptions that ended in the period because the member canceled.
    pub churned_voluntary: u64,
    /// Subscriptions lost in the period to a renewal not paid by the end of its grace.
    pub churned_failed: u64,
    /// Trials started in the period.
    pub trials_started: u64,
    /// Trials converted to paid in the period.
    pub trials_converted: u64,
    /// Failed renewals paid within their grace in the period.
    pub recovered: u64,
    /// Why members canceled in the period (Stripe's feedback names), most frequent first.
    #[serde(default)]
    pub cancel_reasons: Vec<ReasonCount>,
}

/// Members of one plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanMembers {
    /// Catalog id of the plan.
    pub product: String,
    /// Members holding it.
    pub members: u64,
}

/// How many times a reason was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReasonCount {
    /// The reason (`too_expensive`, `unused`, `missing_features`, `switched_service`,
    /// `low_quality`, `too_complex`, `customer_service`, `other`).
    pub reason: String,
    /// Times given.
    pub count: u64,
}

/// One day of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AnalyticsDay {
    /// The day (UTC), `YYYY-MM-DD`.
    pub day: String,
    /// Sales that day.
    pub sales: u64,
    /// Revenue that day.
    pub revenue: Vec<Revenue>,
}

/// Result of `report`: the period's analytics, the one before for comparison, each day, and the
/// promotions and giveaways of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportResult {
    /// The period.
    pub current: AnalyticsResult,
    /// The period before, of the same length.
    pub previous: AnalyticsResult,
    /// Each day of the period.
    pub days: Vec<AnalyticsDay>,
    /// Promotions that ran during the period.
    pub promos: Vec<PromoInfo>,
    /// Giveaways created during the period.
    pub giveaways: Vec<GiveawayInfo>,
    /// When asked (`chart`): the chart as a base64 PNG (800 × 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_png: Option<String>,
}

/// Result of `announce`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnnounceResult {
    /// Announcement id (the id of the order).
    pub id: String,
    /// Discord channel id it goes to.
    pub channel: String,
    /// Who is reached.
    pub audience: Audience,
    /// `queued`: stored, waiting for the Discord delivery.
    pub status: String,
}

/// Result of `execute`: the command run and its own result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExecuteResult {
    /// The command as understood (e.g. `announce`).
    pub command: String,
    /// The result of that command, as its own action would answer.
    pub result: Value,
}

/// Result of `resync`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResyncResult {
    /// Members queued to be compared with Discord now (only roles that differ are changed).
    pub requeued: u64,
}

/// Result of `grant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GrantResult {
    /// The member.
    pub member: String,
    /// The product.
    pub product: String,
    /// The role it grants.
    pub role_id: String,
    /// Whether the manual grant is now in force.
    pub granted: bool,
    /// Whether the member should hold the role now, all sources considered.
    pub should_hold: bool,
}

/// Result of `subscription`: the switch the shop accepted and will carry out at Stripe. It
/// checked the switch against what it knows (the member's live subscription, its plan, the
/// target plan); Stripe's answer arrives as events: `subscription.switched` (an upgrade, roles
/// swapped), `subscription.switch_scheduled` (a downgrade, with its date) or
/// `subscription.switch_failed` (with the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubscriptionResult {
    /// The switch's id (the order's), named by its events.
    pub switch_id: String,
    /// The member.
    pub member: String,
    /// The Stripe subscription (`sub_…`).
    pub subscription: String,
    /// The plan now (catalog id).
    pub from: String,
    /// The plan asked (catalog id).
    pub to: String,
    /// `upgrade` (at once, prorated), `downgrade` (at the end of the period) or `stay` (back to
    /// the current plan while a downgrade is scheduled: the downgrade is dropped, at once).
    pub direction: String,
    /// `now` or `period_end`.
    pub takes_effect: String,
    /// `requested` (being carried out), or what an earlier identical order's switch became:
    /// `applied`, `scheduled`, `failed`, `canceled`.
    pub status: String,
}

/// Result of `why`: each managed role of a member, held or not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WhyResult {
    /// The member's Discord user id.
    pub member: String,
    /// Whether the member is in the server (`None`: not seen yet).
    pub in_server: Option<bool>,
    /// One entry per role the shop manages for this member.
    pub roles: Vec<RoleWhy>,
    /// The explanation, one sentence per role, in words a shop owner understands.
    pub summary: Vec<String>,
}

/// One managed role of a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RoleWhy {
    /// The Discord role id.
    pub role_id: String,
    /// Whether the ledger says the member should hold it (at least one active source).
    pub should_hold: bool,
    /// Whether Discord last showed it on the member (`None`: not checked yet).
    pub held: Option<bool>,
    /// Every source, oldest first.
    pub sources: Vec<SourceInfo>,
    /// The last grant or revoke attempt.
    pub last_attempt: Option<DeliveryAttempt>,
}

/// A reason for a member to hold a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SourceInfo {
    /// `purchase`, `subscription`, `preorder` or `manual`.
    pub kind: String,
    /// The product bought.
    pub product_id: Option<String>,
    /// The checkout that paid for it.
    pub checkout_id: Option<String>,
    /// The Stripe subscription.
    pub subscription_id: Option<String>,
    /// Amount paid, minor units.
    pub amount: i64,
    /// Currency (lowercase ISO 4217).
    pub currency: String,
    /// Whether it grants the role now.
    pub active: bool,
    /// `paid`, `active`, `past_due`, `refunded`, `disputed`, `canceled`, `granted`, `revoked`…
    pub state: String,
    /// What last changed it.
    pub note: String,
    /// When it was created.
    pub since: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The last attempt to make Discord match the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryAttempt {
    /// `grant` or `revoke`.
    pub action: Option<String>,
    /// When.
    pub at: Option<DateTime<Utc>>,
    /// Discord's error, if it failed.
    pub error: Option<String>,
    /// Set while Discord refuses for good (an admin must act, e.g. 50013).
    pub blocked: Option<String>,
}

/// Result of `estimate`: what the promotion would do in this shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EstimateResult {
    /// Members its audience reaches (those who opted out of marketing included: they still get
    /// the discount, not the message).
    pub members_reached: u64,
    /// Of those, members who opted out of marketing messages.
    pub opted_out: u64,
    /// Days of sales the estimate is computed from.
    pub days: u32,
    /// Paid sales on the promotion's target in those days.
    pub sales: u64,
    /// Their revenue, minor units of `currency`.
    pub revenue: i64,
    /// The discount those sales would have cost: percent × revenue, or the fixed amount × sales.
    pub estimated_cost: i64,
    /// The shop's currency.
    pub currency: String,
    /// Running or scheduled promotions on the same target it would clash with (refused unless
    /// `replace`).
    pub clashes: Vec<PromoInfo>,
    /// The shop's `promo.max_discount`, when the percent is above it (the promotion would be refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above_cap: Option<u8>,
    /// Whether the shop is open (a closed shop refuses promotions).
    pub open: bool,
}

/// One product in a [`CatalogResult`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProductInfo {
    /// Catalog id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Price in minor units.
    pub price: i64,
    /// Currency.
    pub currency: String,
    /// Units left; absent for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<i64>,
    /// Discord role granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Shown in the shop.
    pub visible: bool,
}

/// Result of `catalog`: the catalog after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogResult {
    /// The product changed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<String>,
    /// Every product.
    pub products: Vec<ProductInfo>,
}

/// A preorder as stored by a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreorderInfo {
    /// Catalog id.
    pub product: String,
    /// Release time.
    pub release_at: DateTime<Utc>,
    /// Most preorders.
    pub cap: u32,
    /// Preorders taken (paid or being paid).
    pub taken: u32,
    /// Percent paid at order.
    pub deposit_percent: u8,
    /// `open`, `closed` or `released`.
    pub status: String,
}

/// Result of `preorder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreorderResult {
    /// The preorders concerned.
    pub preorders: Vec<PreorderInfo>,
}
