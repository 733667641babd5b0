//! Preorders: list them, open one (`open preorders for the mug on january 15, 200 max, 30%
//! deposit`), close one, or release it now.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use subjects::params::PreorderParams;
use subjects::Command;

use super::numbers::{number_at, percent_at};
use super::text::Request;
use super::time::{duration_at, midnight, take_start};
use super::trouble::Trouble;
use super::{Built, Ctx, Lang};

const CLOSE: &[&str] =
    &["close", "ferme", "fermer", "stop", "stoppe", "arrete", "arreter", "termine", "end", "closing", "fermeture"];
const RELEASE: &[&str] =
    &["release", "releases", "sortie", "sors", "sortir", "livre", "livrer", "ship", "deliver", "publish", "drop"];
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
const MONTHS: &[(&[&str], u32)] = &[
    (&["janvier", "january", "jan"], 1),
    (&["fevrier", "february", "feb"], 2),
    (&["mars", "march", "mar"], 3),
    (&["avril", "april", "apr"], 4),
    (&["mai", "may"], 5),
    (&["juin", "june", "jun"], 6),
    (&["juillet", "july", "jul"], 7),
    (&["aout", "august", "aug"], 8),
    (&["septembre", "september", "sept", "sep"], 9),
    (&["octobre", "october", "oct"], 10),
    (&["novembre", "november", "nov"], 11),
    (&["decembre", "december", "dec"], 12),
];

fn month(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(words, _)| words.contains(&word)).map(|&(_, m)| m)
}

fn day_of(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches("st").trim_end_matches("nd").trim_end_matches("rd").trim_end_matches("th");
    let digits = digits.trim_end_matches("er");
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// The release date: `2027-01-15`, `15 janvier (2027)`, `january 15(th)`, `in 3 weeks`,
/// `friday`, `tomorrow` — midnight UTC of that day; a date already past this year is next year's.
fn take_release(req: &mut Request, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let at_midnight = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    for i in 0..req.len() {
        if req.is_used(i) {
            continue;
        }
        if let Ok(date) = NaiveDate::parse_from_str(req.norm(i), "%Y-%m-%d") {
            req.take(i..i + 1);
            return at_midnight(date);
        }
        let Some(m) = month(req.norm(i)) else { continue };
        let (day, first, last) = match (i.checked_sub(1).and_then(|p| day_of(req.norm(p))), day_of(req.norm(i + 1))) {
            (Some(d), _) if !req.is_used(i - 1) => (d, i - 1, i),
            (_, Some(d)) if !req.is_used(i + 1) => (d, i, i + 1),
            _ => continue,
        };
        let year: Option<i32> = req.norm(last + 1).parse().ok().filter(|y| (2000..3000).contains(y));
        let last = if year.is_some() { last + 1 } else { last };
        let mut date = NaiveDate::from_ymd_opt(year.unwrap_or(now.year()), m, day)?;
        if year.is_none() && date < now.date_naive() {
            date = NaiveDate::from_ymd_opt(now.year() + 1, m, day)?;
        }
        req.take(first..last + 1);
        let lead = first.checked_sub(1).filter(|&p| req.is(p, &["le", "on", "the", "for", "pour", "au", "du"]));
        if let Some(p) = lead {
            req.take(p..p + 1);
        }
        return at_midnight(date);
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
    let deposit_percent = take_deposit(req)?;
    let cap = take_cap(req).ok_or(Trouble::NoPreorderValue("cap"))?;
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
