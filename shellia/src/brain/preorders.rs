//! Preorders: list them, open one (`open preorders for the mug on january 15, 200 max, 30%
//! deposit`), close one, or release it now.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use super::catalog::Kind;
use super::clock::take_date;
use subjects::params::PreorderParams;
use subjects::Command;

use super::numbers::{number_at, percent_at};
use super::text::Request;
use super::time::{duration_at, midnight, take_start};
use super::trouble::Trouble;
use super::{Built, Ctx, Lang};

const CLOSE: &[&str] =
    &["close", "ferme", "fermer", "stop", "stoppe", "arrete", "arreter", "termine", "end", "closing", "fermeture"];
const RELEASE: &[&str] = &[
    "release", "releases", "sortie", "sors", "sortir", "livre", "livrer", "ship", "deliver", "publish", "drop",
    "libere", "liberer", "liberez",
];
const OPEN: &[&str] = &[
    "open", "ouvre", "ouvrir", "ouvrez", "lance", "lancer", "launch", "start", "demarre", "take", "prends", "accepte",
    "active", "activer", "reopen", "rouvre", "set", "create", "cree", "mets",
];
#[rustfmt::skip]
const CAP: &[&str] = &[
    "limited", "limitees", "limitee", "limites", "up", "jusqu",
    "max",
    "maximum",
    "cap",
    "limit",
    "limite",
    "places",
    "slots",
    "spots",
    "units",
    "unites",
    "exemplaires",
    "copies",
    "preorders",
    "precommandes",
    "pieces",
    "first",
    "premiers",
    "premieres",
];
/// The release date: `2027-01-15`, `15 janvier (2027)`, `january 15(th)`, `in 3 weeks`,
/// `friday`, `tomorrow` — midnight UTC of that day; a date already past this year is next year's.
fn take_release(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Some(date) = take_date(req, now, true) {
        return Some(date.and_time(NaiveTime::MIN).and_utc());
    }
    if let Some(range) = req.find_pattern("in|dans|within") {
        if let Some((secs, end)) = duration_at(req, range.end) {
            req.take(range.start..end);
            let secs = i64::try_from(secs).ok()?;
            return Some(midnight(now + Duration::seconds(secs)));
        }
    }
    take_start(req, now)
}

/// The most preorders taken: a number next to `max`, `places`, `slots`, `copies`…
fn take_cap(req: &mut Request) -> Option<u32> {
    for i in 0..req.len() {
        if req.is_used(i) || percent_at(req, i).is_some() {
            continue;
        }
        let Some((n, end)) = number_at(req, i) else { continue };
        // "limited to 300", "jusqu'à 300": the cap word one further back.
        let linked = |p: usize| req.is(p, &["to", "a", "at", "of", "de"]) && p > 0 && req.is(p - 1, CAP);
        let before = i.checked_sub(1).is_some_and(|p| req.is(p, CAP) || linked(p));
        let after = req.is(end, CAP) || (req.is(end, &["max", "maximum"]));
        if before || after {
            let n = u32::try_from(n.whole?).ok()?;
            let from = if before { i - 1 } else { i };
            req.take(from..if after { end + 1 } else { end });
            return Some(n);
        }
    }
    None
}

/// The deposit: a percent (`30% deposit`, `acompte de 30 %`); the full price otherwise.
fn take_deposit(req: &mut Request) -> Result<u8, Trouble> {
    let Some((i, (n, end))) = (0..req.len()).find_map(|i| percent_at(req, i).map(|p| (i, p))) else {
        return Ok(100);
    };
    req.take(i..end);
    let whole = n.whole.ok_or_else(|| Trouble::Absurd(req.raw(i).to_owned()))?;
    u8::try_from(whole).ok().filter(|p| (1..=100).contains(p)).ok_or_else(|| Trouble::Absurd(format!("{whole}%")))
}

/// The one product a preorder is about.
fn product(req: &mut Request, ctx: &Ctx) -> Result<String, Trouble> {
    match super::items::take_items(req, ctx)?.as_slice() {
        // A subscription plan is never preordered: the real products are asked for.
        [(Kind::Plan, id)] => {
            let catalog = &ctx.strategy.catalog;
            let (plans, products) = (catalog.ids(Kind::Plan, ctx.target), catalog.ids(Kind::Product, ctx.target));
            Err(super::items::unknown(Kind::Product, id, &plans, &products))
        }
        [(_, id)] => Ok(id.clone()),
        [] => Err(Trouble::NoPreorderValue("product")),
        several => {
            let ids: Vec<&str> = several.iter().map(|(_, id)| id.as_str()).collect();
            Err(Trouble::AmbiguousItem { name: ids.join(" / "), candidates: ids.join(", ") })
        }
    }
}

fn one(params: PreorderParams, lang: Lang, summary: (String, String), done: (String, String)) -> Built {
    Built::one(Command::Preorder(params), lang.pick(summary.0, summary.1), lang.pick(done.0, done.1))
}

/// Builds a `preorder` order: `list` unless the request opens, closes or releases one.
pub(crate) fn build(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let lang = ctx.lang;
    while let Some(i) =
        req.find(&["precommande*", "preorder*", "pre-order*", "pre-commande*", "preco", "precos", "precom*"])
    {
        req.take(i..i + 1);
    }
    // "release on january 15, 200 max" opens; "release the mug now" releases.
    let opening = req.has(OPEN) || (0..req.len()).any(|i| number_at(req, i).is_some());
    if req.has(RELEASE) && !opening {
        let product = product(req, ctx)?;
        let summary = (format!("Sortir {product} maintenant (précommandes)"), format!("Release {product} now"));
        let done = (format!("📦 {product} est sorti."), format!("📦 {product} released."));
        return Ok(one(PreorderParams::Release { product }, lang, summary, done));
    }
    if req.has(CLOSE) && !req.has(OPEN) {
        let product = product(req, ctx)?;
        let summary = (format!("Fermer les précommandes de {product}"), format!("Close the preorders of {product}"));
        let done = (format!("📦 Précommandes de {product} fermées."), format!("📦 Preorders of {product} closed."));
        return Ok(one(PreorderParams::Close { product }, lang, summary, done));
    }
    if !opening {
        let summary = ("Lister les précommandes".to_owned(), "List the preorders".to_owned());
        let done = ("📦 Voici les précommandes.".to_owned(), "📦 Here are the preorders.".to_owned());
        return Ok(one(PreorderParams::List, lang, summary, done));
    }
    let product = product(req, ctx)?;
    let release_at = take_release(req, ctx.now).ok_or(Trouble::NoPreorderValue("release_at"))?;
    // A release already past ("on 2025-01-01") is no release date: asked again.
    if release_at <= ctx.now {
        return Err(Trouble::NoPreorderValue("release_at"));
    }
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    if let Some(other) = take_date(req, ctx.now, true).filter(|d| *d != release_at.date_naive()) {
        return Err(Trouble::Contradiction(day(release_at), other.to_string()));
    }
    let deposit_percent = take_deposit(req)?;
    let cap = take_cap(req).ok_or(Trouble::NoPreorderValue("cap"))?;
    if let Some(other) = take_cap(req).filter(|c| *c != cap) {
        return Err(Trouble::Contradiction(cap.to_string(), other.to_string()));
    }
    if cap == 0 {
        return Err(Trouble::Absurd("0".to_owned()));
    }
    let day = release_at.format("%Y-%m-%d").to_string();
    let summary = (
        format!("Ouvrir les précommandes de {product} : sortie le {day}, {cap} au plus, acompte {deposit_percent}%"),
        format!("Open preorders of {product}: release {day}, at most {cap}, {deposit_percent}% deposit"),
    );
    let done = (format!("📦 Précommandes de {product} ouvertes."), format!("📦 Preorders of {product} open."));
    Ok(one(PreorderParams::Open { product, release_at, cap, deposit_percent }, lang, summary, done))
}
