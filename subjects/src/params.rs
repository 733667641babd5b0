//! Typed parameters of every action.
//!
//! Each struct refuses unknown fields. Optional fields are omitted on the wire when they hold
//! their default, so an order only breaks an older shop when it uses something that shop
//! cannot do (see the versioning rule in `subjects/README.md`).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `status`: no parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusParams {}

/// `config`: read a setting, or write it when `value` is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigParams {
    /// Setting key, such as `price.pro`, `shop.currency`, `announce.channel`, `promo.max_discount`.
    pub key: String,
    /// New value; absent to read the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `start`: open the shop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartParams {}

/// `stop`: close the shop; buyers see `reason`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopParams {
    /// Message shown to buyers while the shop is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `restart`: a graceful restart, completed by the process supervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartParams {}

/// An amount of money in minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in minor units, e.g. `500` for 5.00.
    pub amount: u64,
    /// Lowercase ISO 4217 code, e.g. `eur`.
    pub currency: String,
}

/// How much a promotion takes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Discount {
    /// Percent off, 1 to 100.
    Percent(u8),
    /// A fixed amount off.
    Fixed(Money),
}

/// What a promotion applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PromoTarget {
    /// Every product and plan.
    All,
    /// One plan, by its catalog id (e.g. `pro`).
    Plan(String),
    /// One product, by its catalog id.
    Product(String),
}

/// Who is reached (by a promotion's announcement, or an announcement).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Audience {
    /// Every member.
    #[default]
    Everyone,
    /// Members with no activity for this many days.
    InactiveDays(u32),
    /// Members holding this Discord role id.
    Role(String),
    /// Members who opted in to promotion pings.
    PromoPing,
}

/// `promo`: start a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoParams {
    /// The discount.
    pub discount: Discount,
    /// What it applies to.
    pub target: PromoTarget,
    /// How long it runs, in seconds.
    pub duration_secs: u64,
    /// Who is told about it.
    #[serde(default, skip_serializing_if = "is_default")]
    pub audience: Audience,
    /// A promo code buyers type at checkout; without it the promotion applies by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The most redemptions allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_redemptions: Option<u32>,
    /// When it starts; absent to start now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// Replace a running promotion on the same target instead of refusing the clash.
    #[serde(default, skip_serializing_if = "is_default")]
    pub replace: bool,
}

/// What starts a giveaway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GiveawayTrigger {
    /// Start now.
    #[default]
    Now,
    /// Start when the guild reaches this many members (the seed's `100members`).
    Members(u32),
}

/// `giveaway`: create a giveaway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveawayParams {
    /// What is won.
    pub prize: String,
    /// How many winners are drawn.
    #[serde(default = "one")]
    pub winners: u32,
    /// How long entries stay open once it starts, in seconds.
    pub duration_secs: u64,
    /// What starts it.
    #[serde(default, skip_serializing_if = "is_default")]
    pub trigger: GiveawayTrigger,
    /// Discord channel id to run it in; absent for the shop's default channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Who may enter.
    #[serde(default, skip_serializing_if = "is_default")]
    pub requirements: Requirements,
    /// Extra entries for holders of a role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bonus: Vec<BonusEntries>,
}

/// Conditions to enter a giveaway; all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// A Discord role id the member must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Minimum age of the member's Discord account, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_age_days: Option<u32>,
    /// Minimum time in the server, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_days: Option<u32>,
}

/// Extra entries for the holders of a role (they add up: 1 + every matching bonus).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BonusEntries {
    /// Discord role id.
    pub role: String,
    /// Extra entries, 1 to 100.
    pub entries: u32,
}

/// `giveaways`: manage running giveaways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum GiveawaysParams {
    /// Every giveaway not cancelled, newest first.
    List,
    /// Ends one now and draws its winners.
    End {
        /// Giveaway id.
        id: String,
    },
    /// Draws again: every winner (or only `replace`) is replaced by someone who never won it.
    Reroll {
        /// Giveaway id.
        id: String,
        /// The winner to replace; absent to redraw all of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replace: Option<String>,
    },
    /// Cancels one (no draw).
    Cancel {
        /// Giveaway id.
        id: String,
    },
    /// Recomputes the winners from the published seed and entry list.
    Verify {
        /// Giveaway id.
        id: String,
    },
}

/// A reporting period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Since midnight UTC today (`day` is read as `today`).
    #[serde(alias = "day")]
    Today,
    /// The last 7 days.
    #[default]
    Week,
    /// The last 30 days.
    Month,
    /// Since the shop opened.
    All,
}

/// `analytics`: sales figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsParams {
    /// The period covered (ignored when `from` is given).
    #[serde(default, skip_serializing_if = "is_default")]
    pub period: Period,
    /// Start of a custom range (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// End of a custom range (exclusive); absent for now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// `report`: the full report (the seed's weekly report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The period covered.
    #[serde(default, skip_serializing_if = "is_default")]
    pub period: Period,
    /// Also draw the PNG chart (sales per day, revenue by product) into the result.
    #[serde(default, skip_serializing_if = "is_default")]
    pub chart: bool,
}

/// `estimate`: what a promotion would do, without doing it (read-only): the members its audience
/// reaches, the estimated discount cost from the recent sales on its target, the running
/// promotions it would clash with. Shellia shows it before an admin confirms a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateParams {
    /// The promotion, exactly as it would be sent.
    pub promo: PromoParams,
    /// How many past days of sales the cost is estimated from (1 to 90, default 7).
    #[serde(default = "seven")]
    pub days: u32,
}

fn seven() -> u32 {
    7
}

/// `execute`: one of Maxis's own allow-listed commands, as text (e.g. `!announce Promo`).
/// It is parsed by Maxis against its command list and never reaches a shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteParams {
    /// The command line, at most 2000 characters.
    pub command: String,
}

/// `announce`: post a message to an audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceParams {
    /// The message, 1 to 2000 characters.
    pub message: String,
    /// Who is reached.
    #[serde(default, skip_serializing_if = "is_default")]
    pub audience: Audience,
    /// Discord channel id; absent for the shop's `announce.channel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// A product or plan as an admin describes it (the catalog file's `[[product]]` entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductSpec {
    /// Catalog id, 1 to 64 of `[a-z0-9_-]`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `digital`, `role`, `physical` or `plan`.
    pub kind: String,
    /// Price in the currency's major unit, e.g. `"29.99"`.
    pub price: String,
    /// Currency; absent for the shop's `shop.currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Discord role id granted (plans and roles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Units for sale; absent for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stock: Option<i64>,
    /// Most units one member may hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_user_limit: Option<i64>,
    /// Plans: `month` or `year`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Shown in the shop (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
    /// Plans only: free days before the first payment, once per member (0 to 730; 0 or absent
    /// for no trial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 730))]
    pub trial_days: Option<u32>,
}

/// `catalog`: list, add or change, hide, or restock products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum CatalogParams {
    /// Every product, hidden ones included.
    List,
    /// Adds a product or replaces its description (stock included when given).
    Upsert {
        /// The product.
        product: ProductSpec,
    },
    /// Hides a product from sale (paid orders keep it).
    Hide {
        /// Catalog id.
        id: String,
    },
    /// Sets the units left (absent: unlimited).
    Stock {
        /// Catalog id.
        id: String,
        /// Units left.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stock: Option<i64>,
    },
}

/// `preorder`: sell a product before its release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum PreorderParams {
    /// Every preorder.
    List,
    /// Opens preorders of a catalog product.
    Open {
        /// Catalog id.
        product: String,
        /// When it is released (the balance is due, roles are granted).
        release_at: DateTime<Utc>,
        /// Most preorders taken.
        cap: u32,
        /// Percent paid now, 1 to 100 (100: the full price now).
        #[serde(default = "hundred")]
        deposit_percent: u8,
    },
    /// Stops taking preorders (those taken stay).
    Close {
        /// Catalog id.
        product: String,
    },
    /// Releases now instead of at `release_at`.
    Release {
        /// Catalog id.
        product: String,
    },
}

fn hundred() -> u8 {
    100
}

/// `resync`: re-check every member's roles against the payments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResyncParams {}

/// `why`: explain a member's managed roles: for each, whether they hold it and every source
/// (purchase, subscription, preorder, manual grant) behind it, with the last delivery attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhyParams {
    /// The member's Discord user id (digits; a `<@…>` mention is accepted and read as its id).
    pub member: String,
}

impl WhyParams {
    /// The member's id, digits only (a mention `<@123>` or `<@!123>` gives `123`).
    pub fn member_id(&self) -> &str {
        member_id(&self.member)
    }
}

/// `grant`: an admin gives a member a product's role by hand (a `manual` source in the ledger),
/// or takes that manual grant back with `revoke`. Purchases are never changed by it: a member who
/// paid keeps the role whatever manual grants say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantParams {
    /// The member's Discord user id (or a `<@…>` mention).
    pub member: String,
    /// The product whose role is given (it must grant a role).
    pub product: String,
    /// Take the manual grant back instead.
    #[serde(default, skip_serializing_if = "is_default")]
    pub revoke: bool,
}

impl GrantParams {
    /// The member's id, digits only.
    pub fn member_id(&self) -> &str {
        member_id(&self.member)
    }
}

/// `subscription`: an admin moves a member's membership to another plan of the shop, as the
/// member's own `/subscription switch` does: to a dearer plan at once (Stripe charges the
/// prorated difference, the roles swap at once), to a cheaper one at the end of the paid period
/// (the roles swap then).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionParams {
    /// The member's Discord user id (or a `<@…>` mention).
    pub member: String,
    /// The plan to move to: its catalog id (or its name).
    pub switch_to: String,
}

impl SubscriptionParams {
    /// The member's id, digits only.
    pub fn member_id(&self) -> &str {
        member_id(&self.member)
    }
}

fn member_id(member: &str) -> &str {
    member.trim().trim_start_matches("<@").trim_start_matches('!').trim_end_matches('>')
}

fn member_ok(member: &str) -> Result<(), String> {
    let id = member_id(member);
    if id.is_empty() || id.len() > 20 || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err("`member` is a Discord user id (up to 20 digits) or a mention like <@123>".to_owned());
    }
    Ok(())
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn one() -> u32 {
    1
}

/// The longest free text accepted (Discord's message limit).
pub const MAX_TEXT: usize = 2000;

/// Checks the values that the types alone cannot: ranges and lengths.
pub(crate) trait Validate {
    fn validate(&self) -> Result<(), String>;
}

fn text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("`{field}` cannot be empty"));
    }
    if value.chars().count() > max {
        return Err(format!("`{field}` has at most {max} characters"));
    }
    Ok(())
}

fn positive(field: &str, value: u64) -> Result<(), String> {
    if value == 0 {
        return Err(format!("`{field}` must be greater than 0"));
    }
    Ok(())
}

impl Validate for WhyParams {
    fn validate(&self) -> Result<(), String> {
        member_ok(&self.member)
    }
}
impl Validate for SubscriptionParams {
    fn validate(&self) -> Result<(), String> {
        member_ok(&self.member)?;
        text("switch_to", &self.switch_to, 64)
    }
}
impl Validate for GrantParams {
    fn validate(&self) -> Result<(), String> {
        member_ok(&self.member)?;
        text("product", &self.product, 64)
    }
}
impl Validate for StatusParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
impl Validate for StartParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
impl Validate for RestartParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
impl Validate for StopParams {
    fn validate(&self) -> Result<(), String> {
        self.reason.as_deref().map_or(Ok(()), |r| text("reason", r, 500))
    }
}
impl Validate for ConfigParams {
    fn validate(&self) -> Result<(), String> {
        let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.' || c == '-';
        if self.key.is_empty() || self.key.len() > 64 || !self.key.chars().all(ok) {
            return Err(format!("`key` {:?} is not a setting key (like `price.pro`)", self.key));
        }
        self.value.as_deref().map_or(Ok(()), |v| text("value", v, 500))
    }
}
impl Validate for PromoParams {
    fn validate(&self) -> Result<(), String> {
        match &self.discount {
            Discount::Percent(p) if !(1..=100).contains(p) => {
                return Err(format!("`discount.percent` must be between 1 and 100, not {p}"))
            }
            Discount::Fixed(m) => {
                positive("discount.fixed.amount", m.amount)?;
                currency(&m.currency)?;
            }
            Discount::Percent(_) => {}
        }
        if let PromoTarget::Plan(id) | PromoTarget::Product(id) = &self.target {
            text("target", id, 64)?;
        }
        positive("duration_secs", self.duration_secs)?;
        if let Some(code) = &self.code {
            let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            if code.is_empty() || code.len() > 32 || !code.chars().all(ok) {
                return Err("`code` has 1 to 32 letters, digits, '-' or '_'".to_owned());
            }
        }
        if self.max_redemptions == Some(0) {
            return Err("`max_redemptions` must be greater than 0".to_owned());
        }
        audience(&self.audience)
    }
}
impl Validate for EstimateParams {
    fn validate(&self) -> Result<(), String> {
        if !(1..=90).contains(&self.days) {
            return Err(format!("`days` must be between 1 and 90, not {}", self.days));
        }
        self.promo.validate().map_err(|e| format!("promo: {e}"))
    }
}
impl Validate for GiveawayParams {
    fn validate(&self) -> Result<(), String> {
        text("prize", &self.prize, 200)?;
        positive("winners", u64::from(self.winners))?;
        positive("duration_secs", self.duration_secs)?;
        if self.trigger == GiveawayTrigger::Members(0) {
            return Err("`trigger.members` must be greater than 0".to_owned());
        }
        let snowflake = |s: &str| s.len() >= 5 && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        if self.requirements.role.as_deref().is_some_and(|r| !snowflake(r)) {
            return Err("`requirements.role` must be a Discord role id (digits)".to_owned());
        }
        if self.bonus.iter().any(|b| !snowflake(&b.role) || !(1..=100).contains(&b.entries)) {
            return Err("each bonus has a Discord role id and 1 to 100 entries".to_owned());
        }
        Ok(())
    }
}
impl Validate for AnalyticsParams {
    fn validate(&self) -> Result<(), String> {
        match (self.from, self.to) {
            (None, Some(_)) => Err("`to` needs `from`".to_owned()),
            (Some(from), Some(to)) if to <= from => Err("`to` must be after `from`".to_owned()),
            _ => Ok(()),
        }
    }
}
impl Validate for ReportParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
impl Validate for ExecuteParams {
    fn validate(&self) -> Result<(), String> {
        text("command", &self.command, MAX_TEXT)
    }
}
impl Validate for CatalogParams {
    fn validate(&self) -> Result<(), String> {
        match self {
            Self::Stock { stock: Some(s), .. } if *s < 0 => Err("`stock` cannot be negative".to_owned()),
            Self::Upsert { product } => text("product.name", &product.name, 100),
            _ => Ok(()),
        }
    }
}
impl Validate for GiveawaysParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
impl Validate for PreorderParams {
    fn validate(&self) -> Result<(), String> {
        match self {
            Self::Open { cap: 0, .. } => Err("`cap` must be greater than 0".to_owned()),
            Self::Open { deposit_percent, .. } if !(1..=100).contains(deposit_percent) => {
                Err("`deposit_percent` must be between 1 and 100".to_owned())
            }
            _ => Ok(()),
        }
    }
}
impl Validate for ResyncParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}
impl Validate for AnnounceParams {
    fn validate(&self) -> Result<(), String> {
        text("message", &self.message, MAX_TEXT)?;
        audience(&self.audience)
    }
}

fn audience(audience: &Audience) -> Result<(), String> {
    match audience {
        Audience::InactiveDays(0) => Err("`audience.inactive_days` must be greater than 0".to_owned()),
        Audience::Role(id) if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("`audience.role` must be a Discord role id (digits), not {id:?}"))
        }
        _ => Ok(()),
    }
}

fn currency(code: &str) -> Result<(), String> {
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(format!("currency {code:?} must be a lowercase ISO 4217 code such as `eur`"));
    }
    Ok(())
}
