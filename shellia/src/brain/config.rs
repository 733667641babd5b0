//! Settings: `mets le prix du pro à 29.99`, `set price_pro to 29.99`, `passe la devise en usd`,
//! `réduction max à 40%`, `salon des annonces <#123>`, or a read: `quel est le prix du pro ?`.
//! Only the shop's allow-listed keys are written; any other key is refused.

use subjects::params::ConfigParams;
use subjects::Command;

use super::catalog::{resolve_in, Kind, Resolved};
use super::lexicon::{is_known_word, is_name_like};
use super::numbers::{cents, money_at, number_at, percent_at};
use super::text::{channel_id, role_id, word_in, Request};
use super::time::duration_at;
use super::trouble::Trouble;
use super::{Built, Ctx};

const FIXED: &[&str] = &[
    "marketing.promo_ping_role",
    "shop.currency",
    "shop.name",
    "shop.closed_message",
    "announce.channel",
    "giveaway.channel",
    "promo.max_discount",
    "promo.default_hours",
];
/// First parts of setting keys (of the shop or of anything else that must not be touched here).
#[rustfmt::skip]
const KEY_HEADS: &[&str] = &[
    "price", "shop", "promo", "announce", "giveaway", "marketing", "catalog", "checkout", "stripe", "nats", "security",
    "database", "http",
];
/// Patterns that name a setting even next to words of other intents.
const STRONG: &[(&str, &str)] = &[
    (
        "reduction|remise|discount|promo|promos|promotion|promotions max|maximum|maximale|maximal|cap",
        "promo.max_discount",
    ),
    ("max|maximum discount|reduction|remise|promo|promos|promotion|promotions", "promo.max_discount"),
    ("plafond", "promo.max_discount"),
    ("plafonne|plafonner|plafonnez|cap|caps|limit|limite|limiter les|the|~ promos|promo|promotions|reductions|discounts|remises", "promo.max_discount"),
    ("salon|canal|channel des|du|de|d|for|~ annonces|annonce|announcements|announcement|announce", "announce.channel"),
    ("announce|announcement|announcements channel", "announce.channel"),
    ("salon|canal|channel des|du|de|for|~ giveaways|giveaway|concours", "giveaway.channel"),
    ("giveaway|giveaways channel", "giveaway.channel"),
    ("role des|du|de|~ pings|ping|promo-ping|promo-pings promo|promos|~", "marketing.promo_ping_role"),
    ("promo-ping|promo-pings|promo|promos ping|pings|~ role", "marketing.promo_ping_role"),
    ("message de|d|~ fermeture", "shop.closed_message"),
    ("closed|closing|closure message", "shop.closed_message"),
    ("duree|heures par|~ defaut", "promo.default_hours"),
    ("default promo|~ duration|hours|length", "promo.default_hours"),
];
const WEAK: &[(&str, &str)] = &[
    ("devise|currency|monnaie", "shop.currency"),
    ("nom de|du|~ la|le|l|~ boutique|shop|magasin", "shop.name"),
    ("shop|store name", "shop.name"),
    ("renomme|renommer|rename", "shop.name"),
    ("nom|name", "shop.name"),
];
/// Chat words that may close a price (`le pro à 8,50 stp`).
const STOP_WORDS_END: &[&str] = &["stp", "svp", "please", "merci", "thx", "desormais", "dorenavant"];
const PRICE: &[&str] = &["prix", "price", "tarif"];
const SETTING: &[&str] = &["config", "configure", "configuration", "reglage*", "setting*", "parametre*"];
const WRITE: &[&str] = &[
    "mets",
    "met",
    "mettre",
    "passe",
    "passer",
    "change",
    "changer",
    "modifie",
    "modifier",
    "regle",
    "regler",
    "fixe",
    "fixer",
    "set",
    "update",
    "make",
    "put",
    "definis",
    "definir",
    "define",
    "renomme",
    "renommer",
    "rename",
    "double",
    "triple",
    "raise",
    "increase",
    "lower",
    "decrease",
    "augmente",
    "augmenter",
    "baisse",
    "baisser",
];

/// A token that reads as a setting key (`price_pro`, `price.pro`, `promo.max_discount`), as the
/// dotted key.
fn key_token(word: &str) -> Option<String> {
    let ok = word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    let head = word.split(['.', '_']).next().unwrap_or_default();
    if !ok || !(word.contains('.') || word.contains('_')) || !KEY_HEADS.contains(&head) {
        return None;
    }
    Some(if word.contains('.') { word.to_owned() } else { word.replacen('_', ".", 1) })
}

/// A word that looks like a setting key of some other program (`foo.bar`).
fn is_dotted(word: &str) -> bool {
    let ok = word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    ok && word.contains('.') && word.split('.').all(|p| p.starts_with(|c: char| c.is_ascii_lowercase()))
}

pub(crate) fn allowed(key: &str) -> bool {
    FIXED.contains(&key) || key.strip_prefix("price.").is_some_and(|plan| is_name_like(plan) || plan.len() > 1)
}

/// Whether the request names a setting in a way no other intent can claim.
pub(crate) fn names_strong_setting(req: &Request) -> bool {
    let dotted = req.has(&["set", "mets", "regle", "change"]) && (0..req.len()).any(|i| is_dotted(req.norm(i)));
    req.has(SETTING)
        || dotted
        || (0..req.len()).any(|i| !req.is_used(i) && key_token(req.norm(i)).is_some())
        || STRONG.iter().any(|(p, _)| req.find_pattern(p).is_some())
}

/// Whether the request names a setting.
pub(crate) fn names_setting(req: &Request) -> bool {
    names_strong_setting(req) || req.has(PRICE) || WEAK.iter().any(|(p, _)| req.find_pattern(p).is_some())
}

/// Finds and claims the key; the index of its last token.
fn take_key(req: &mut Request, ctx: &Ctx) -> Result<(String, usize), Trouble> {
    if let Some(i) = (0..req.len()).find(|&i| !req.is_used(i) && key_token(req.norm(i)).is_some()) {
        let key = key_token(req.norm(i)).unwrap_or_default();
        if !allowed(&key) {
            return Err(Trouble::UnknownSetting(req.raw(i).to_owned()));
        }
        req.take(i..i + 1);
        return Ok((key, i));
    }
    for (pattern, key) in STRONG.iter().chain(WEAK) {
        if let Some(range) = req.take_pattern(pattern) {
            return Ok(((*key).to_owned(), range.end - 1));
        }
    }
    if let Some(i) = (0..req.len()).find(|&i| !req.is_used(i) && is_dotted(req.norm(i))) {
        return Err(Trouble::UnknownSetting(req.raw(i).to_owned()));
    }
    if let Some(i) = (0..req.len()).find(|&i| !req.is_used(i) && channel_id(req.norm(i)).is_some()) {
        // "les giveaways vont dans <#1>", "announcements go to <#1> from now on".
        let key = if req.has(&["giveaway*", "concours"]) { "giveaway.channel" } else { "announce.channel" };
        return Ok((key.to_owned(), i.saturating_sub(1)));
    }
    let Some(i) = req.find(PRICE) else { return bare_price_key(req, ctx) };
    let skip = ["du", "de", "d", "des", "of", "the", "le", "la", "l", "for", "pour", "plan", "offre", "abonnement"];
    let after = (i + 1..req.len()).find(|&j| !req.is(j, &skip));
    let before = (0..i).rev().find(|&j| {
        !req.is(j, &["plan", "offre", "s", "the", "le", "la", "l", "now", "desormais", "maintenant", "dorenavant"])
    });
    let named = |j: &usize| !req.is_used(*j) && is_name_like(req.norm(*j)) && !req.is(*j, WRITE);
    let candidates: Vec<usize> = [after, before].into_iter().flatten().filter(named).collect();
    // With a known catalog, the word that is one of the plans wins ("le premium coûte désormais 24,99").
    let in_catalog = |j: &usize| {
        let plans = catalog_plans(ctx);
        !plans.is_empty() && matches!(resolve_in(&plans, req.norm(*j)), Resolved::One(_))
    };
    let plan = candidates.iter().copied().find(in_catalog).or_else(|| candidates.first().copied());
    let j = plan.ok_or(Trouble::NoPlanForPrice)?;
    req.take(i.min(j)..i.max(j) + 1);
    Ok((format!("price.{}", req.norm(j)), i.max(j)))
}

/// `le basic passe à 5,99€`, `pro should be 11,99 now`: a plan named before the value it is set
/// to, without the word "price".
fn bare_price_key(req: &mut Request, ctx: &Ctx) -> Result<(String, usize), Trouble> {
    let value = value_set_at(req).ok_or(Trouble::Unknown)?;
    let named = |j: &usize| {
        !req.is_used(*j) && is_name_like(req.norm(*j)) && !req.is(*j, WRITE) && !is_known_word(req.norm(*j))
    };
    let candidates: Vec<usize> = (0..value).filter(named).collect();
    let plans = catalog_plans(ctx);
    let in_catalog = |j: &usize| !plans.is_empty() && matches!(resolve_in(&plans, req.norm(*j)), Resolved::One(_));
    let j = candidates.iter().copied().find(in_catalog).or_else(|| candidates.first().copied());
    let j = j.ok_or(Trouble::NoPlanForPrice)?;
    req.take(j..j + 1);
    Ok((format!("price.{}", req.norm(j)), j))
}

/// Where a value is set to (`à 5,99`, `to 12`, `be 11,99`, `= 9`): the value's first token.
fn value_set_at(req: &Request) -> Option<usize> {
    (1..req.len()).find(|&i| {
        let value = money_at(req, i).is_some() || number_at(req, i).is_some_and(|_| percent_at(req, i).is_none());
        value && req.is(i - 1, &["a", "to", "be", "=", "at", "vaut"])
    })
}

/// Whether the request sets a plan to a value in a sentence without a setting word: a value after
/// `à`/`to`/`be` and a word that says it changes (`passe`, `should`, `now`, `désormais`).
pub(crate) fn names_price_change(req: &Request) -> bool {
    let changes = [
        "passe",
        "passer",
        "should",
        "must",
        "will",
        "now",
        "desormais",
        "dorenavant",
        "maintenant",
        "vaut",
        "set",
        "mets",
        "met",
        "fixe",
        "change",
        "update",
    ];
    // "le pro à 8,50": a plan's name right before a price written in digits, and nothing after
    // the price but where or how (never "limité à 100 utilisations", "restock the mug to 50 units").
    let percent = (0..req.len()).any(|i| percent_at(req, i).is_some());
    let bare_plan = value_set_at(req).is_some_and(|i| {
        let end = money_at(req, i).map(|(_, e)| e).or_else(|| number_at(req, i).map(|(_, e)| e)).unwrap_or(i + 1);
        let closing = ["sur", "on", "pour", "for", "dans", "in", "partout", "everywhere", "now", "maintenant"];
        let ends = end >= req.len() || req.is_used(end) || req.is(end, &closing) || req.is(end, STOP_WORDS_END);
        i >= 2
            && !percent
            && req.norm(i).starts_with(|c: char| c.is_ascii_digit())
            && ends
            && !req.is_used(i - 2)
            && is_name_like(req.norm(i - 2))
            && !is_known_word(req.norm(i - 2))
    });
    value_set_at(req).is_some() && (req.has(&changes) || bare_plan)
}

/// Whether the request moves announcements or giveaways to a channel (`<#1>`), with no message.
pub(crate) fn names_channel_change(req: &Request) -> bool {
    let channel = (0..req.len()).any(|i| !req.is_used(i) && channel_id(req.norm(i)).is_some());
    let plural = ["annonces", "announcements", "giveaways", "concours"];
    let moving = [
        "desormais",
        "dorenavant",
        "now",
        "maintenant",
        "go",
        "vont",
        "va",
        "partent",
        "in",
        "dans",
        "use",
        "utilise",
        "utiliser",
        "for",
        "pour",
    ];
    channel && req.payload().is_none() && req.has(&plural) && req.has(&moving)
}

/// Reads the value for `key` from the request, from token `from` on when it follows a marker.
fn take_value(req: &mut Request, key: &str, from: usize) -> Result<Option<String>, Trouble> {
    if let Some(payload) = req.payload() {
        return payload_value(key, payload).map(Some);
    }
    let bad = |value: &str| Trouble::BadSettingValue { key: key.to_owned(), value: value.to_owned() };
    let free: Vec<usize> = (from..req.len()).chain(0..from).filter(|&i| !req.is_used(i)).collect();
    let value = match key {
        k if k.starts_with("price.") => {
            let found: Vec<u64> = free
                .iter()
                .filter_map(|&i| {
                    money_at(req, i).map(|(m, _)| m.amount).or_else(|| number_at(req, i).and_then(|(n, _)| cents(&n)))
                })
                .collect();
            let show = |c: u64| format!("{}.{:02}", c / 100, c % 100);
            let first = found.first().copied();
            match (first, found.iter().copied().find(|c| Some(*c) != first)) {
                // "à 29,99 et à 30": two prices for one plan.
                (Some(a), Some(b)) if a != b => return Err(Trouble::Contradiction(show(a), show(b))),
                _ => first.map(show),
            }
        }
        "promo.max_discount" => match free.iter().find_map(|&i| number_at(req, i)) {
            Some((n, _)) => Some(n.whole.ok_or_else(|| bad(&n.text))?.to_string()),
            None => None,
        },
        "promo.default_hours" => {
            let secs = free.iter().find_map(|&i| duration_at(req, i).map(|(s, _)| s));
            let hours = secs.map(|s| s / 3600).or_else(|| free.iter().find_map(|&i| number_at(req, i)?.0.whole));
            hours.map(|h| h.to_string())
        }
        "shop.currency" => free.iter().find_map(|&i| currency_code(req.norm(i))),
        "announce.channel" | "giveaway.channel" | "marketing.promo_ping_role" => free.iter().find_map(|&i| {
            let norm = req.norm(i);
            channel_id(norm)
                .or_else(|| role_id(norm))
                .map(str::to_owned)
                .or_else(|| (norm.len() >= 5 && norm.bytes().all(|b| b.is_ascii_digit())).then(|| norm.to_owned()))
        }),
        _ => {
            let mut start = from;
            while start < req.len() && req.is_used(start) {
                start += 1;
            }
            while req.is(start, &["la", "le", "l", "the", "boutique", "shop", "store", "magasin", "ma", "my", "our"]) {
                start += 1;
            }
            let start = req
                .match_at(start, "should|must|will|doit|devrait|sera|is|est ~ be|etre|now|desormais|maintenant")
                .filter(|&e| e > start)
                .or_else(|| req.match_at(start, "a|to|=|en|as|:|sur|par|est|is"))
                .unwrap_or(start);
            // "… Maxis Deluxe now", "… stp": chat words that close a sentence are no part of it.
            let tail =
                ["now", "maintenant", "desormais", "dorenavant", "please", "stp", "svp", "merci", "thx", "thanks"];
            let run = req.free_run(start, &[]).and_then(|(a, mut b)| {
                while b > a && req.is(b, &tail) {
                    b -= 1;
                }
                (!req.is(b, &tail)).then_some((a, b))
            });
            let text = run.map(|(a, b)| req.span(a, b).to_owned());
            if let Some((a, b)) = run {
                req.take(a..b + 1);
            }
            text
        }
    };
    Ok(value)
}

/// The plans every addressed shop has (empty when the catalog is unknown).
/// A value written after a colon or between quotes, read in the key's format: a channel or role
/// mention gives its id, a price loses its currency (`12 euros`, `€21.50`), and a sign is never
/// dropped (`prix du basic : -3 €` is refused).
fn payload_value(key: &str, payload: &str) -> Result<String, Trouble> {
    let trimmed = payload.trim();
    if let Some(id) = channel_id(trimmed).or_else(|| role_id(trimmed)) {
        return Ok(id.to_owned());
    }
    if !key.starts_with("price.") {
        return Ok(trimmed.to_owned());
    }
    let lower = trimmed.to_lowercase();
    let mut bare = lower.trim_matches(|c: char| c.is_whitespace() || "€$£".contains(c));
    for unit in ["euros", "euro", "eur", "dollars", "dollar", "usd", "bucks"] {
        bare = bare.strip_suffix(unit).unwrap_or(bare).trim();
    }
    let bare = bare.trim_matches(|c: char| c.is_whitespace() || "€$£".contains(c));
    if bare.starts_with('-') {
        return Err(Trouble::Negative(trimmed.to_owned()));
    }
    Ok(bare.to_owned())
}

fn catalog_plans(ctx: &Ctx) -> Vec<String> {
    ctx.strategy.catalog.ids(Kind::Plan, ctx.target)
}

/// `price.<plan>` checked against the addressed shops' plans (a typo or a unique prefix is
/// corrected; an unknown plan is asked back with the real ones).
fn known_plan(key: String, ctx: &Ctx) -> Result<String, Trouble> {
    let Some(plan) = key.strip_prefix("price.") else { return Ok(key) };
    let catalog = &ctx.strategy.catalog;
    if catalog.is_empty() {
        return Ok(key);
    }
    let plans = catalog.ids(Kind::Plan, ctx.target);
    match resolve_in(&plans, plan) {
        Resolved::One(id) => Ok(format!("price.{id}")),
        Resolved::Several(ids) => Err(Trouble::AmbiguousItem { name: plan.to_owned(), candidates: ids.join(", ") }),
        Resolved::None(_) => {
            Err(super::items::unknown(Kind::Plan, plan, &plans, &catalog.ids(Kind::Product, ctx.target)))
        }
    }
}

/// A value in the form the shop stores, refused when out of any sensible range: a price up to
/// 1,000,000, a cap from 1 to 100 (`40%` → `40`), hours from 1 to 8760 (`24h` → `24`).
fn canonical(key: &str, value: String) -> Result<String, Trouble> {
    let absurd = || Trouble::Absurd(value.clone());
    let number = |v: &str| v.trim().trim_end_matches('%').trim().replace(',', ".").parse::<f64>().ok();
    if key.starts_with("price.") {
        return match number(&value) {
            Some(p) if p > 1_000_000.0 => Err(absurd()),
            Some(p) => Ok(format!("{p:.2}")),
            None => Err(Trouble::BadSettingValue { key: key.to_owned(), value }),
        };
    }
    match key {
        "promo.max_discount" => match number(&value) {
            Some(p) if (1.0..=100.0).contains(&p) && p.fract() == 0.0 => Ok(format!("{p}")),
            Some(_) => Err(absurd()),
            None => Err(Trouble::BadSettingValue { key: key.to_owned(), value }),
        },
        "promo.default_hours" => {
            let hours = number(&value)
                .map(|h| h as u64)
                .or_else(|| crate::syntax::duration_secs(value.trim()).map(|s| s / 3600));
            match hours {
                Some(h) if (1..=8760).contains(&h) => Ok(h.to_string()),
                Some(_) => Err(absurd()),
                None => Err(Trouble::BadSettingValue { key: key.to_owned(), value }),
            }
        }
        _ => Ok(value),
    }
}

/// A currency code from a word: `usd`, `euros` → `eur`, `$` → `usd`.
fn currency_code(word: &str) -> Option<String> {
    let named = [
        (&["eur", "euro", "euros", "€"][..], "eur"),
        (&["usd", "dollar", "dollars", "$"][..], "usd"),
        (&["gbp", "£", "livre", "livres", "pound", "pounds"][..], "gbp"),
    ];
    if let Some((_, code)) = named.iter().find(|(words, _)| word_in(word, words)) {
        return Some((*code).to_owned());
    }
    // "set the currency": a verb of the request is no currency code.
    let verb = word_in(word, WRITE) || super::lexicon::is_known_word(word);
    (word.len() == 3 && word.chars().all(|c| c.is_ascii_lowercase()) && is_name_like(word) && !verb)
        .then(|| word.to_owned())
}

/// Builds a `config` order: a write when a value is given, a read otherwise.
pub(crate) fn build(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let lang = ctx.lang;
    let writes = req.has(WRITE);
    let (key, last) = take_key(req, ctx)?;
    let key = known_plan(key, ctx)?;
    let value = take_value(req, &key, last + 1)?.map(|v| canonical(&key, v)).transpose()?;
    let channel_key = matches!(key.as_str(), "announce.channel" | "giveaway.channel");
    if let Some(name) = req.channel_name().filter(|_| value.is_none() && channel_key) {
        return Err(Trouble::ChannelName(name));
    }
    if value.is_none() && writes {
        return Err(Trouble::NoSettingValue(key));
    }
    let (summary, done) = match &value {
        Some(v) => (
            lang.pick(format!("Régler {key} à {v}"), format!("Set {key} to {v}")),
            lang.pick(format!("✅ Réglage modifié : {key} = {v}."), format!("✅ Setting changed: {key} = {v}.")),
        ),
        None => (
            lang.pick(format!("Lire le réglage {key}"), format!("Read the setting {key}")),
            lang.pick(format!("🔎 Voici la valeur de {key}."), format!("🔎 Here is the value of {key}.")),
        ),
    };
    Ok(Built::one(Command::Config(ConfigParams { key, value }), summary, done))
}
