//! The default brain: a deterministic reader of plain-language requests, in French or English,
//! that turns them into typed orders. No network, no model: the same words and the same clock
//! give the same plan.
//!
//! [`understand`] reads a request against a [`Strategy`] (the admin's defaults) and answers with
//! a [`Plan`] to confirm and send, a question ([`Understood::Ask`]) when something is missing or
//! ambiguous, or a refusal ([`Understood::Refuse`]) for what Shellia must not or cannot do, each
//! in the request's language.
//!
//! Reading goes in steps: `text` cuts the request into tokens (mentions of Shellia dropped, a
//! payload after a colon or between quotes set apart), `lexicon` names the language and the intent
//! (refusing destructive requests first), `target` finds the shops addressed, `numbers` and
//! `time` read amounts and durations, and `promo`, `giveaway`, `config`, `figures` and `ops` build
//! the command with what it will do (`summary`) and the reply once done (`done_text`).

mod audience;
pub mod catalog;
mod clock;
mod config;
mod entry;
pub mod explicit;
mod figures;
mod giveaway;
mod guard;
mod items;
mod lexicon;
pub mod llm;
mod members;
mod normalize;
mod numbers;
mod ops;
mod phrases;
mod preorders;
mod promo;
mod target;
mod text;
mod time;
mod trouble;

#[cfg(test)]
mod tests;

use crate::configuration::BrainSettings;

/// Which brain reads requests: the deterministic rules, or an OpenAI-compatible endpoint whose
/// answer is validated like any order.
#[derive(Debug, Clone)]
pub enum Brain {
    /// The deterministic French/English reader (no network).
    Rules,
    /// An OpenAI-compatible chat endpoint with tool calling.
    Llm(Box<llm::LlmBrain>),
}

impl Brain {
    /// From the `brain` settings.
    pub fn from_settings(settings: &BrainSettings) -> anyhow::Result<Self> {
        match settings.kind.as_str() {
            "rules" => Ok(Self::Rules),
            "openai" => Ok(Self::Llm(Box::new(llm::LlmBrain::new(settings)?))),
            other => anyhow::bail!("invalid `brain.kind` {other:?}: use `rules` or `openai`"),
        }
    }

    /// Reads `text` at `now` with `strategy`.
    pub async fn understand(&self, text: &str, strategy: &Strategy, now: DateTime<Utc>) -> anyhow::Result<Understood> {
        match self {
            Self::Rules => Ok(understand(text, strategy, now)),
            Self::Llm(llm) => llm.understand(text, strategy, now).await,
        }
    }
}

use chrono::{DateTime, Utc};
use subjects::params::Audience;
use subjects::{Command, Name, Target};

pub(crate) use audience::show_audience;
pub use catalog::Catalog;
use lexicon::Intent;
pub use trouble::Trouble;

/// The admin's defaults: what a request leaves unsaid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    /// How long a promotion runs when the request does not say, in hours.
    pub promo_hours: u64,
    /// Who is told about a promotion when the request does not say.
    pub promo_audience: Audience,
    /// The highest percent a promotion may take off (above it the request is refused).
    pub max_discount: u8,
    /// How long a giveaway runs when the request does not say, in hours.
    pub giveaway_hours: u64,
    /// Where orders go when the request names no shop or group.
    pub default_target: Target,
    /// The fleet's shops and groups; when not empty, any other name is refused as unknown.
    pub known_targets: Vec<Name>,
    /// Each shop's plans, products and settings; when not empty, a plan or product that the
    /// addressed shops do not have is asked back with the real names.
    pub catalog: Catalog,
}

impl Default for Strategy {
    /// 48 h promotions announced to members inactive for 30 days, capped at 50%; 24 h giveaways;
    /// every shop.
    fn default() -> Self {
        Self {
            promo_hours: 48,
            promo_audience: Audience::InactiveDays(30),
            max_discount: 50,
            giveaway_hours: 24,
            default_target: Target::All,
            known_targets: Vec::new(),
            catalog: Catalog::default(),
        }
    }
}

/// The language of a request, and of everything said back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// French.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The French or the English text.
    pub(crate) fn pick<T>(self, fr: T, en: T) -> T {
        match self {
            Self::Fr => fr,
            Self::En => en,
        }
    }

    /// Whether this is French.
    pub fn is_fr(self) -> bool {
        self == Self::Fr
    }
}

/// What Shellia will do for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The request's language.
    pub lang: Lang,
    /// Where the orders go.
    pub target: Target,
    /// The orders, in the order they are sent.
    pub commands: Vec<Command>,
    /// What it will do, to confirm (in the request's language).
    pub summary: String,
    /// The reply once done, e.g. "✅ Promotion lancée ! 20% sur les plans Pro pendant 48h.".
    pub done_text: String,
}

/// The brain's answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Understood {
    /// Orders to confirm and send.
    Plan(Plan),
    /// Something is missing or ambiguous: a question for the admin.
    Ask {
        /// The request's language.
        lang: Lang,
        /// The question.
        question: String,
    },
    /// Something Shellia must not or cannot do.
    Refuse {
        /// The request's language.
        lang: Lang,
        /// Why, for the admin.
        reason: String,
    },
}

/// What a builder reads with: the language, the target, the strategy and the clock.
pub(crate) struct Ctx<'a> {
    pub(crate) lang: Lang,
    pub(crate) target: &'a Target,
    pub(crate) strategy: &'a Strategy,
    pub(crate) now: DateTime<Utc>,
}

/// The commands of a request, what they will do and what is said once they are done.
pub(crate) struct Built {
    pub(crate) commands: Vec<Command>,
    pub(crate) summary: String,
    pub(crate) done: String,
}

impl Built {
    /// One command.
    pub(crate) fn one(command: Command, summary: String, done: String) -> Self {
        Self { commands: vec![command], summary, done }
    }
}

/// Reads `text` (leading mentions such as `@Shellia` or `<@123>` are ignored) at `now`.
pub fn understand(text: &str, strategy: &Strategy, now: DateTime<Utc>) -> Understood {
    let normalized = normalize::normalize(text);
    let mut req = text::Request::new(&normalized.text);
    req.payload_as_written(&normalized.written);
    let lang = lexicon::language(&req);
    if let Some(negative) = normalized.negatives.first() {
        if !matches!(lexicon::intent(&req), Err(Trouble::Destructive(_) | Trouble::Unsupported(_))) {
            return Trouble::Negative(negative.clone()).answer(lang);
        }
    }
    match plan(&mut req, strategy, now, lang) {
        Ok(plan) => Understood::Plan(plan),
        Err(trouble) => trouble.answer(lang),
    }
}

fn plan(req: &mut text::Request, strategy: &Strategy, now: DateTime<Utc>, lang: Lang) -> Result<Plan, Trouble> {
    let intent = match lexicon::intent(req) {
        // "Hey Shellia: status": the words after the colon are the request.
        Err(Trouble::Empty | Trouble::Unknown) if req.payload().is_some() => {
            req.release_payload();
            lexicon::intent(req)?
        }
        other => other?,
    };
    if let Some(trouble) = corrected(req) {
        return Err(trouble);
    }
    let takes_payload = matches!(intent, Intent::Announce | Intent::Config | Intent::Stop | Intent::Execute)
        || (intent == Intent::Giveaway && req.payload_is_quoted());
    if !takes_payload {
        req.release_payload();
    }
    let plain = matches!(
        intent,
        Intent::Status
            | Intent::Start
            | Intent::Stop
            | Intent::Restart
            | Intent::Resync
            | Intent::Analytics
            | Intent::Report
    );
    // "combien d'abonnés sur le pro": the figures of every product; a product named is no shop.
    if matches!(intent, Intent::Analytics | Intent::Report) && !strategy.catalog.is_empty() {
        let everywhere = Ctx { lang, target: &Target::All, strategy, now };
        let _ = items::take_items(req, &everywhere);
    }
    let target = target::take_target(req, strategy, plain)?;
    let ctx = Ctx { lang, target: &target, strategy, now };
    // A giveaway's prize is free text: a time said for it is looked for before it is read.
    if intent == Intent::Giveaway {
        scheduled(req, now)?;
    }
    // "estimate … based on the last 30 days": the days of sales an estimate reads, not its length.
    let sales_days = if intent == Intent::Promo && req.has(ESTIMATE) { take_sales_days(req) } else { None };
    let built = match intent {
        Intent::Promo => promo::build(req, &ctx)?,
        Intent::Giveaway => giveaway::build(req, &ctx)?,
        Intent::Config => config::build(req, &ctx)?,
        Intent::Analytics => figures::analytics(req, &ctx),
        Intent::Report => figures::report(req, &ctx),
        Intent::Why => members::why(req, &ctx)?,
        Intent::Grant { revoke } => members::grant(req, &ctx, revoke)?,
        Intent::Switch => members::switch(req, &ctx)?,
        Intent::Trial => members::trial(req, &ctx)?,
        Intent::Preorders => preorders::build(req, &ctx)?,
        other => ops::build(other, req, &ctx)?,
    };
    let built = if intent == Intent::Promo && req.has(ESTIMATE) { estimate(built, lang, sales_days) } else { built };
    if !matches!(intent, Intent::Promo | Intent::Preorders | Intent::Analytics | Intent::Report) {
        scheduled(req, now)?;
    }
    let changes_shops = matches!(intent, Intent::Start | Intent::Stop | Intent::Restart | Intent::Resync);
    let unread = if changes_shops { target::leftover(req, strategy) } else { None };
    if let Some(trouble) = unread.or_else(|| target::dangling(req, strategy)) {
        return Err(trouble);
    }
    for command in &built.commands {
        Command::from_parts(command.action().as_str(), command.params_json())
            .map_err(|e| Trouble::Invalid(e.message))?;
    }
    let where_ = target::show_target(&target, lang.is_fr());
    let summary =
        lang.pick(format!("{} — cible : {where_}.", built.summary), format!("{} — target: {where_}.", built.summary));
    Ok(Plan { lang, target, commands: built.commands, summary, done_text: built.done })
}

/// "close shop1 tomorrow", "annonce demain à 10h : …": a later time left in a request whose order
/// runs when sent is refused, never dropped.
fn scheduled(req: &text::Request, now: DateTime<Utc>) -> Result<(), Trouble> {
    let mut probe = req.clone();
    // "tirage dans 48h", "ending sunday", "jusqu'à demain": how long, read first, is no start.
    while time::take_span(&mut probe, now, true).is_some() {}
    while probe.take_pattern("until|till|jusqu|jusque a|~ demain|tomorrow").is_some() {}
    let at = clock::take_start_instant(&mut probe, now).or_else(|| time::take_start(&mut probe, now));
    match at.filter(|t| *t > now) {
        Some(t) => Err(Trouble::NotSchedulable(t.format("%Y-%m-%d %H:%M UTC").to_string())),
        None => Ok(()),
    }
}

/// "20% off pro for 2 days, make it 3", "2 gagnants, non 3": a value corrected within the
/// request is asked back, never guessed.
fn corrected(req: &text::Request) -> Option<Trouble> {
    const FIX: &[&str] =
        &["actually", "make it", "no wait", "non", "en fait", "plutot", "i mean", "rather", "sorry", "pardon", "oops"];
    let r = FIX.iter().find_map(|p| req.find_pattern(p))?;
    let after = (r.end..req.len()).find(|&i| numbers::number_at(req, i).is_some())?;
    let before = (0..r.start).rev().find(|&i| numbers::number_at(req, i).is_some())?;
    Some(Trouble::Contradiction(req.raw(before).to_owned(), req.raw(after).to_owned()))
}

/// Words that ask what a promotion would do rather than to start it.
const ESTIMATE: &[&str] = &[
    "estimate",
    "estime",
    "estimer",
    "estimation",
    "simulate",
    "simule",
    "simuler",
    "cost",
    "couterait",
    "coute",
    "couter",
    "impact",
    "would",
];

/// The promotions of `built`, asked as read-only estimates (`estimate`) instead.
/// The days of past sales an estimate is asked to read (`based on the last 30 days`, `sur 14
/// jours de ventes`), 1 to 90, claimed.
fn take_sales_days(req: &mut text::Request) -> Option<u32> {
    const SALES: &[&str] = &["ventes", "sales", "data", "donnees", "historique", "history", "chiffres"];
    const BASED: &[&str] = &["based", "basee", "base", "using", "from", "selon", "d'apres", "apres"];
    for i in 0..req.len() {
        let Some((secs, end)) = time::duration_at(req, i) else { continue };
        let sales = (end..(end + 3).min(req.len())).any(|k| req.is(k, SALES));
        let based = (i.saturating_sub(5)..i).any(|k| req.is(k, BASED));
        if sales || based {
            let lead = (i.saturating_sub(5)..i).find(|&k| req.is(k, BASED)).unwrap_or(i);
            let tail = (end..(end + 3).min(req.len())).rev().find(|&k| req.is(k, SALES)).map_or(end, |k| k + 1);
            req.take(lead..tail);
            return u32::try_from(secs / 86_400).ok().filter(|d| (1..=90).contains(d));
        }
    }
    None
}

fn estimate(built: Built, lang: Lang, days: Option<u32>) -> Built {
    let commands = built
        .commands
        .into_iter()
        .map(|c| match c {
            Command::Promo(promo) => {
                Command::Estimate(subjects::params::EstimateParams { promo, days: days.unwrap_or(7) })
            }
            other => other,
        })
        .collect();
    Built {
        commands,
        summary: lang.pick(
            format!("Estimer sans rien lancer : {}", built.summary),
            format!("Estimate, without starting it: {}", built.summary),
        ),
        done: lang.pick("📐 Voici l'estimation.", "📐 Here is the estimate.").to_owned(),
    }
}
