//! The transport-neutral core of Shellia: one line from a requester in, one [`Answer`] out.
//! The console, `shellia ask` and the Discord layer all call it, so they share the parser, the
//! permission check, the rate limit, the plans waiting for confirmation and the wording.
//!
//! Order of checks for every line: who asks ([`access::Policy`], in code, never the brain), then
//! the rate limit, then the command language, then the brain. A plain-language request becomes a
//! plan shown with its impact preview; nothing is sent before an admin confirms it, and a plan not
//! confirmed within `plans.confirm_timeout_secs` is dropped.

pub mod access;
mod campaigns;
pub mod knowledge;
mod manage;
mod pending;
mod preview;
mod send;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use subjects::Target;

use crate::brain::{self, Plan, Understood};
use crate::bus::FleetClient;
use crate::command::split_words;
use crate::configuration::Settings;
use crate::store::Store;
use access::{Policy, RateLimiter};
use pending::{Closed, Pending, PendingPlans, Taken};

pub use campaigns::CampaignRun;

/// Who sends a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// `discord:<user id>` or `console:<unix user>`.
    pub id: String,
    /// A display name.
    pub name: String,
    /// The requester's Discord role ids.
    pub roles: Vec<u64>,
    /// Discord ADMINISTRATOR or MANAGE_GUILD, computed by the transport.
    pub admin_permission: bool,
    /// The local terminal operator: trusted as an admin.
    pub console: bool,
}

impl Requester {
    /// The local console operator (`console:<user>`).
    pub fn console(user: &str) -> Self {
        Self {
            id: format!("console:{user}"),
            name: user.to_owned(),
            roles: vec![],
            admin_permission: false,
            console: true,
        }
    }
}

/// A plan waiting for its confirmation, as a transport shows it (e.g. Confirm/Cancel buttons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPlanView {
    /// The id to pass to [`Assistant::confirm`] or [`Assistant::cancel`].
    pub id: String,
    /// After this instant confirming answers "expired".
    pub expires_at: DateTime<Utc>,
}

/// Why Shellia refused before sending anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The requester is not an admin.
    NotAdmin,
    /// The requester's rate limit is reached; retry after this long.
    RateLimited(Duration),
    /// The brain refused the request (destructive, out of range, unknown plan…).
    Brain,
    /// The command or its parameters are wrong.
    Invalid,
    /// No shop receives orders for the target.
    UnknownTarget,
    /// No plan waits under that id (or for that requester).
    NoPlan,
}

/// What came of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Orders were sent and every shop that answered accepted.
    Done,
    /// Orders were sent and at least one shop refused.
    Rejected,
    /// Information only (help, shops, lists, strategy and campaign changes).
    Info,
    /// A plan waits for confirmation ([`Answer::pending`]).
    Previewed,
    /// The brain asks a question back.
    Asked,
    /// The plan was cancelled.
    Cancelled,
    /// The plan was not confirmed in time; nothing was sent.
    Expired,
    /// Refused before anything was sent.
    Refused(Refusal),
    /// Shellia failed (broker, database): the text says what to do.
    Failed,
}

/// Shellia's answer to a line, ready for any transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The text to show.
    pub text: String,
    /// A plan waiting for confirmation, when the line produced one.
    pub pending: Option<PendingPlanView>,
    /// Files to attach (report chart PNGs: `report-<shop>.png`).
    pub attachments: Vec<(String, Vec<u8>)>,
    /// What came of it.
    pub outcome: Outcome,
}

impl Answer {
    fn new(text: impl Into<String>, outcome: Outcome) -> Self {
        let mut text = text.into();
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        Self { text, pending: None, attachments: vec![], outcome }
    }

    fn refused(kind: Refusal, text: impl Into<String>) -> Self {
        Self::new(text, Outcome::Refused(kind))
    }

    fn failed(e: &anyhow::Error) -> Self {
        tracing::error!(error.cause_chain = ?e, error.message = %e, "request failed");
        Self::new(format!("error: {e:#}"), Outcome::Failed)
    }
}

/// Help text shared by every transport.
pub const HELP: &str = "\
commands (the seed's short forms, or key=value):
  [@target] <action> [args ...]          e.g. `status`, `@shop1 status`, `promo 20% pro 48h`,
                                         `giveaway 100members`, `config price_pro 29.99`,
                                         `execute !announce Promo`, `@eu stop inventaire`,
                                         `report chart=true` (attaches the chart)
  send <target> <action> [key=value ...] the same, target first (shop id, group, or all)
  shops                                  list the shops of the fleet
  strategy [list]                        the named defaults; `strategy set <name> promo_hours=24
                                         audience=inactive:30 max_discount=40 giveaway_hours=24`,
                                         `strategy use <name>`, `strategy delete <name>`
  campaign add <name> <day|daily> <HH:MM> <command>   e.g. `campaign add friday fri 18:00 promo 10% all 48h
                                         audience.inactive_days=30` (UTC); `campaign list|pause|resume|delete <name>`
  oui / non (yes / no)                   confirm or cancel your latest plan
  help                                   this text
anything else is read as a request in plain language (French or English), shown as a plan to confirm.
actions: status config start stop restart promo giveaway analytics report execute announce
";

struct Inner {
    fleet: FleetClient,
    store: Store,
    settings: Settings,
    default_target: Target,
    policy: Policy,
    limiter: RateLimiter,
    pending: PendingPlans,
    brain: brain::Brain,
    knowledge: knowledge::Knowledge,
}

/// Shellia's core. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct Assistant {
    inner: Arc<Inner>,
}

impl Assistant {
    /// Opens Shellia's database (`database.path`) and reads the admin policy and the brain's
    /// settings.
    pub async fn build(fleet: FleetClient, settings: &Settings) -> anyhow::Result<Assistant> {
        let store = Store::open(std::path::Path::new(&settings.database.path)).await?;
        let brain = brain::Brain::from_settings(&settings.brain)?;
        Ok(Self {
            inner: Arc::new(Inner {
                default_target: settings.default_target()?,
                policy: Policy::new(&settings.admin),
                limiter: RateLimiter::new(settings.admin.orders_per_minute),
                pending: PendingPlans::default(),
                knowledge: knowledge::Knowledge::listening(&fleet),
                fleet,
                store,
                settings: settings.clone(),
                brain,
            }),
        })
    }

    /// The fleet client.
    pub fn fleet(&self) -> &FleetClient {
        &self.inner.fleet
    }

    /// Shellia's database (audit, strategies, campaigns).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// One line from a requester: a command or a plain-language request. The admin check and the
    /// rate limit come first; `oui`/`non` confirm or cancel the requester's latest plan.
    #[tracing::instrument(skip_all, fields(who = %who.id))]
    pub async fn handle(&self, who: &Requester, line: &str) -> Answer {
        if !self.inner.policy.is_admin(who) {
            return not_admin();
        }
        let word = line.trim().to_lowercase();
        if is_no(&word) || crate::ask::is_yes(&word) {
            return match self.inner.pending.latest_of(&who.id) {
                Some(id) if is_no(&word) => self.cancel(who, &id).await,
                Some(id) => self.confirm(who, &id).await,
                None => Answer::refused(Refusal::NoPlan, "No plan waits for your confirmation."),
            };
        }
        if matches!(word.as_str(), "help" | "?" | "aide" | "") {
            return Answer::new(if word.is_empty() { "" } else { HELP }, Outcome::Info);
        }
        if let Err(wait) = self.inner.limiter.take(&who.id) {
            return Answer::refused(
                Refusal::RateLimited(wait),
                format!(
                    "Too many requests: wait {} s (limit: {} a minute).",
                    wait.as_secs() + 1,
                    self.inner.settings.admin.orders_per_minute
                ),
            );
        }
        self.inner.pending.expire(Utc::now());
        match self.line(who, line).await {
            Ok(answer) => answer,
            Err(e) => Answer::failed(&e),
        }
    }

    /// Confirms a pending plan: only by an admin, only while not expired. Sends its orders with
    /// `confirmed_by` = `who` and answers each shop's result. A plan is sent at most once.
    #[tracing::instrument(skip_all, fields(who = %who.id, plan = %plan_id))]
    pub async fn confirm(&self, who: &Requester, plan_id: &str) -> Answer {
        if !self.inner.policy.is_admin(who) {
            return not_admin();
        }
        match self.inner.pending.take(plan_id, Closed::Confirmed, Utc::now()) {
            Taken::Plan(pending) => {
                let issued_by = self.issuer(&pending.requested_by);
                match self.send_plan(&pending.plan, &issued_by, &who.id).await {
                    Ok(answer) => answer,
                    Err(e) => Answer::failed(&e),
                }
            }
            Taken::Closed(how) => closed_answer(how),
            Taken::Unknown => unknown_plan(),
        }
    }

    /// Cancels a pending plan (any admin may); nothing is sent.
    #[tracing::instrument(skip_all, fields(who = %who.id, plan = %plan_id))]
    pub async fn cancel(&self, who: &Requester, plan_id: &str) -> Answer {
        if !self.inner.policy.is_admin(who) {
            return not_admin();
        }
        match self.inner.pending.take(plan_id, Closed::Cancelled, Utc::now()) {
            Taken::Plan(pending) => Answer::new(pending.plan.lang.pick("Annulé.", "Cancelled."), Outcome::Cancelled),
            Taken::Closed(how) => closed_answer(how),
            Taken::Unknown => unknown_plan(),
        }
    }

    /// Reads a plain-language request into a plan without keeping it (for `ask --dry-run`).
    pub async fn understand(&self, request: &str) -> anyhow::Result<Understood> {
        let strategy = self.strategy().await?;
        self.inner.brain.understand(request, &strategy, Utc::now()).await
    }

    /// The shops a target reaches now (their ids, sorted).
    pub async fn addressed(&self, target: &Target) -> anyhow::Result<Vec<String>> {
        Ok(self.inner.fleet.addressed_shops(target).await?.keys().map(ToString::to_string).collect())
    }

    /// The preview of a plan (the shops it reaches, its orders, its impact), ending with the
    /// confirmation question.
    pub async fn preview(&self, plan: &Plan) -> anyhow::Result<String> {
        Ok(preview::preview(&self.inner.fleet, plan, self.inner.settings.reply_timeout()).await?)
    }

    /// The brain's strategy: the named defaults in use (or the built-in ones), the configured
    /// default target and the fleet's shops and groups.
    pub async fn strategy(&self) -> anyhow::Result<brain::Strategy> {
        let defaults = self.inner.store.active_strategy().await?.unwrap_or_else(crate::strategy::Defaults::builtin);
        let mut strategy =
            defaults.strategy(self.inner.default_target.clone(), self.inner.fleet.known_targets().await?);
        let wait = self.inner.settings.reply_timeout().min(std::time::Duration::from_secs(2));
        strategy.catalog = self.inner.knowledge.catalog(&self.inner.fleet, wait).await;
        Ok(strategy)
    }

    /// `shellia:<identity>/<who>`: the `issued_by` of orders asked by `who`.
    fn issuer(&self, who: &str) -> String {
        format!("{}/{who}", self.inner.fleet.issuer())
    }

    async fn line(&self, who: &Requester, line: &str) -> anyhow::Result<Answer> {
        let words = match split_words(line) {
            Ok(words) => words,
            // Not a command (a quote left open): the words are read as plain language.
            Err(_) => return self.request(who, line).await,
        };
        let first = words.first().map(String::as_str).unwrap_or_default();
        match first {
            "shops" => {
                let shops = self.inner.fleet.shops().await?;
                let list: Vec<String> = shops.iter().map(ToString::to_string).collect();
                return Ok(Answer::new(format!("{} shop(s): {}", list.len(), list.join(", ")), Outcome::Info));
            }
            "strategy" | "strategies" => return self.strategy_command(who, &words[1..]).await,
            "campaign" | "campaigns" => return self.campaign_command(who, &words[1..]).await,
            _ => {}
        }
        if let Some((target, action, params)) = self.as_command(&words) {
            // `promo de 20% sur le pro`: a sentence that starts with an action word is not a
            // command in the short form; it is read as plain language (and previewed).
            let typed = first == "send" || line.contains('=');
            if typed || crate::command::build_order(&target, action, params, "check").is_ok() {
                return self.send_command(who, &target, action, params).await;
            }
        }
        self.request(who, line).await
    }

    /// A command line (`send t a …`, `@t a …`, `a …`) as target, action and parameters.
    fn as_command<'w>(&self, words: &'w [String]) -> Option<(String, &'w str, &'w [String])> {
        let is_action = |w: &str| w.parse::<subjects::Action>().is_ok();
        match words {
            [send, target, action, rest @ ..] if send == "send" => Some((target.clone(), action.as_str(), rest)),
            // `@shop1 status` is a command; `@Shellia lance une promo…` is a request.
            [target, action, rest @ ..] if target.starts_with('@') && is_action(action) => {
                Some((target.clone(), action.as_str(), rest))
            }
            [action, rest @ ..] if is_action(action) => {
                Some((self.inner.default_target.to_string(), action.as_str(), rest))
            }
            _ => None,
        }
    }

    /// A plain-language request: a plan with its preview, kept until confirmed.
    async fn request(&self, who: &Requester, line: &str) -> anyhow::Result<Answer> {
        let strategy = self.strategy().await?;
        let plan: Plan = match self.inner.brain.understand(line, &strategy, Utc::now()).await? {
            Understood::Plan(plan) => plan,
            Understood::Ask { question, .. } => return Ok(Answer::new(question, Outcome::Asked)),
            Understood::Refuse { reason, .. } => return Ok(Answer::refused(Refusal::Brain, reason)),
        };
        let text = match preview::preview(&self.inner.fleet, &plan, self.inner.settings.reply_timeout()).await {
            Ok(text) => text,
            Err(preview::PreviewError::UnknownTarget(e)) => {
                return Ok(Answer::refused(Refusal::UnknownTarget, e.to_string()))
            }
            Err(preview::PreviewError::Unexpected(e)) => return Err(e),
        };
        let id = subjects::OrderId::generate().to_string();
        let timeout = chrono::Duration::from_std(self.inner.settings.confirm_timeout())?;
        let expires_at = Utc::now() + timeout;
        self.inner.pending.insert(id.clone(), Pending { plan, requested_by: who.id.clone(), expires_at });
        let mut answer = Answer::new(text, Outcome::Previewed);
        answer.pending = Some(PendingPlanView { id, expires_at });
        Ok(answer)
    }
}

fn is_no(word: &str) -> bool {
    matches!(word, "non" | "no" | "n" | "annuler" | "annule" | "cancel")
}

fn not_admin() -> Answer {
    Answer::refused(
        Refusal::NotAdmin,
        "Only admins may command the shops (a configured admin role or user, or the Manage Server permission).",
    )
}

fn unknown_plan() -> Answer {
    Answer::refused(Refusal::NoPlan, "No plan waits under this id.")
}

fn closed_answer(how: Closed) -> Answer {
    match how {
        Closed::Expired => Answer::new(
            "This plan expired before it was confirmed: nothing was sent. Ask again to get a new plan.",
            Outcome::Expired,
        ),
        Closed::Confirmed => {
            Answer::refused(Refusal::NoPlan, "This plan was already confirmed: its orders were sent once.")
        }
        Closed::Cancelled => Answer::refused(Refusal::NoPlan, "This plan was cancelled: nothing was sent."),
    }
}
