//! Which shops a request addresses: `@eu`, `sur le shop1`, `pour eu`, `statut du shop2`,
//! `le groupe eu`, `the us shops`, or every shop (`tous les shops`, `every shop`, `partout`).
//! Without one, the strategy's default target.

use subjects::{Name, Target};

use super::lexicon::{is_known_word, is_name_like};
use super::text::Request;
use super::trouble::Trouble;
use super::Strategy;

const PREPS: &[&str] =
    &["sur", "pour", "chez", "dans", "du", "de", "au", "aux", "a", "on", "for", "at", "in", "of", "to", "from"];
/// Prepositions after which "the shop" without a name is a question, not a figure of speech.
const POINTING: &[&str] = &["sur", "pour", "chez", "du", "au", "on", "for", "at", "of"];
const ARTICLES: &[&str] = &["le", "la", "l", "les", "the"];
const SINGULAR: &[&str] = &["shop", "boutique", "magasin", "store", "instance", "serveur", "server", "bot"];
#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "shop", "shops", "boutique", "boutiques", "magasin", "magasins", "store", "stores", "instance", "instances",
    "serveur", "serveurs", "server", "servers", "groupe", "groupes", "group", "groups", "region", "regions", "bot",
    "bots",
];
const GROUPS: &[&str] =
    &["groupe", "group", "region", "shops", "boutiques", "stores", "magasins", "serveurs", "servers", "bots"];
const EVERY: &[&str] = &[
    "sur|pour|dans|a|chez|on|for|in|to|at|across|~ tous|toutes les|~ shops|boutiques|magasins|serveurs|instances|maxis|bots",
    "sur|pour|on|for|in|to|at|across|~ every|each|all of|~ the|~ shops|shop|stores|store|instances|servers|fleet|bots|bot",
    "sur|pour|on|for|in|across|~ toute|the|~ la|whole|entire|~ flotte|fleet",
    "partout|everywhere",
];

/// A shop id such as `shop1`, `boutique2`: a shop word and digits.
fn is_shop_id(word: &str) -> bool {
    let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
    letters.len() < word.len()
        && ["shop", "boutique", "store", "magasin", "maxis", "srv", "server", "serveur"].contains(&letters)
}

/// Whether a word names a shop or a group without any help: known to the fleet, a shop id, or a
/// two-letter group (`eu`, `us`).
fn names_itself(word: &str, strategy: &Strategy) -> bool {
    if !strategy.known_targets.is_empty() && !is_shop_id(word) {
        return strategy.known_targets.iter().any(|n| n.as_ref() == word);
    }
    strategy.known_targets.iter().any(|n| n.as_ref() == word)
        || (is_shop_id(word) && Name::parse(word).is_ok())
        || (word.len() == 2 && word.chars().all(|c| c.is_ascii_lowercase()) && is_name_like(word))
}

/// Finds and claims the target; the strategy's default when none is named. `loose` also reads
/// a lone group code anywhere (`close eu`), for requests that carry no free text.
/// Countries and regions said in words, and the group code they stand for.
const REGIONS: &[(&[&str], &str)] = &[
    (&["europe", "european", "europeen", "europeenne", "europeens", "europeennes", "euro"], "eu"),
    (
        &[
            "america",
            "american",
            "americain",
            "americaine",
            "americains",
            "americaines",
            "usa",
            "etats-unis",
            "amerique",
        ],
        "us",
    ),
    (&["asia", "asian", "asie", "asiatique", "asiatiques"], "asia"),
    (&["uk", "british", "britannique", "britanniques", "england", "angleterre"], "uk"),
    (&["canada", "canadian", "canadien", "canadienne", "canadiens", "canadiennes"], "ca"),
    (&["france", "french", "francais", "francaise", "francaises"], "fr"),
    (&["germany", "german", "allemagne", "allemand", "allemande", "allemands", "allemandes"], "de"),
    (&["spain", "spanish", "espagne", "espagnol", "espagnole", "espagnols", "espagnoles"], "es"),
    (&["italy", "italian", "italie", "italien", "italienne", "italiens", "italiennes"], "it"),
];

/// Targets written loosely: `shop 2`, `boutique 1`, `shop #3`, `shop-2` (a shop id with its number
/// apart), a region in words (`les boutiques européennes`, `the american shop`: its group, or an
/// unknown target, never every shop), and a shop left out (`everything except shop1`: asked).
fn take_loose(req: &mut Request, strategy: &Strategy) -> Result<Vec<(Target, String)>, Trouble> {
    let known = |name: &str| strategy.known_targets.iter().find(|n| n.as_ref() == name).cloned();
    let except = ["except", "sauf", "excepte", "hors", "excluding", "but"];
    if let Some(i) = (0..req.len()).find(|&i| req.is(i, &except)) {
        let rest = (i + 1..(i + 4).min(req.len())).find(|&k| known(req.norm(k)).is_some() || req.is(k, NOUNS));
        if let Some(k) = rest {
            return Err(Trouble::ExceptTarget(req.span(i + 1, k).to_owned()));
        }
    }
    let mut found = Vec::new();
    for i in 0..req.len() {
        if req.is_used(i) {
            continue;
        }
        let word = req.norm(i).to_owned();
        let joined = word.replace(['-', '_'], "");
        if joined != word && is_shop_id(&joined) {
            let name = known(&joined).ok_or_else(|| unknown(req.raw(i), strategy))?;
            req.take(i..i + 1);
            found.push((Target::Named(name), word));
            continue;
        }
        let number = req.norm(i + 1).to_owned();
        if req.is(i, SINGULAR)
            && !req.is_used(i + 1)
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
        {
            let candidates = [format!("{word}{number}"), format!("shop{number}")];
            let name = candidates
                .iter()
                .find_map(|c| known(c))
                .ok_or_else(|| unknown(&format!("{word} {number}"), strategy))?;
            req.take(i..i + 2);
            found.push((Target::Named(name), format!("{word} {number}")));
            continue;
        }
        // "the test shop", "our beta store": a name before a shop is that shop, known or asked.
        let region = REGIONS.iter().any(|(words, _)| words.contains(&word.as_str()));
        let article = i > 0 && req.is(i - 1, &["the", "my", "our", "this", "that"]) && !region;
        if article && req.is(i + 1, SINGULAR) && is_name_like(&word) && !is_known_word(&word) {
            let name = known(&word).ok_or_else(|| unknown(req.raw(i), strategy))?;
            req.take(i..i + 2);
            found.push((Target::Named(name), word));
            continue;
        }
        if let Some((_, code)) = REGIONS.iter().find(|(words, _)| words.contains(&word.as_str())) {
            let name = known(code).ok_or_else(|| unknown(req.raw(i), strategy))?;
            req.take(i..i + 1);
            found.push((Target::Named(name), req.raw(i).to_owned()));
        }
    }
    Ok(found)
}

pub(crate) fn take_target(req: &mut Request, strategy: &Strategy, loose: bool) -> Result<Target, Trouble> {
    let mut found: Vec<(Target, String)> =
        if strategy.known_targets.is_empty() { Vec::new() } else { take_loose(req, strategy)? };
    for i in 0..req.len() {
        let Some(name) = req.norm(i).strip_prefix('@').filter(|_| !req.is_used(i)) else { continue };
        if matches!(name, "everyone" | "here") {
            continue;
        }
        let raw = req.raw(i).to_owned();
        let target = Target::parse(name).map_err(|_| unknown(&raw, strategy))?;
        req.take(i..i + 1);
        found.push((target, raw));
    }
    for pattern in EVERY {
        while let Some(range) = req.take_pattern(pattern) {
            found.push((Target::All, req.span(range.start, range.end - 1).to_owned()));
        }
    }
    for i in 0..req.len() {
        if !req.is(i, PREPS) {
            continue;
        }
        let j = if req.is(i + 1, ARTICLES) { i + 2 } else { i + 1 };
        if req.is(j, NOUNS) {
            let k = j + 1;
            if !req.is_used(k) && (is_name_like(req.norm(k)) || names_itself(req.norm(k), strategy)) {
                found.push(named(req, k, strategy)?);
                req.take(i..k + 1);
            } else if req.is(j, SINGULAR) && req.is(i, POINTING) {
                return Err(Trouble::AmbiguousTarget);
            }
        } else if !req.is_used(j) && names_itself(req.norm(j), strategy) {
            found.push(named(req, j, strategy)?);
            req.take(i..j + 1);
        }
    }
    for i in 0..req.len() {
        let word = req.norm(i);
        let english = i > 0 && req.is(i - 1, &["the", "on", "for", "in", "at", "of", "to"]);
        let before_group = english && req.is(i + 1, GROUPS) && is_name_like(word);
        // "us" is also the English pronoun ("what would it cost us"): a group only where a
        // shop could stand.
        let object_of = [
            "cost", "costs", "give", "gives", "tell", "send", "let", "help", "show", "owe", "make", "get", "bring",
            "told", "gave", "sent", "pay", "charge", "brought", "would", "cut", "save", "saves",
        ];
        let pronoun = word == "us" && i > 0 && req.is(i - 1, &object_of) && !req.is(i + 1, NOUNS);
        let known = strategy.known_targets.iter().any(|n| n.as_ref() == word) && !pronoun;
        let code = loose && names_itself(word, strategy) && !is_known_word(word) && !pronoun;
        if !req.is_used(i) && (before_group || known || code || is_shop_id(word)) {
            found.push(named(req, i, strategy)?);
            req.take(i..if before_group { i + 2 } else { i + 1 });
        }
    }
    let mut distinct: Vec<(Target, String)> = Vec::new();
    for (target, raw) in found {
        if !distinct.iter().any(|(t, _)| *t == target) {
            distinct.push((target, raw));
        }
    }
    match distinct.as_slice() {
        [] => Ok(strategy.default_target.clone()),
        [(target, _)] => Ok(target.clone()),
        [(_, a), (_, b), ..] => Err(Trouble::TwoTargets(a.clone(), b.clone())),
    }
}

/// A name left alone after a preposition once the command is read (`pour asia`, `on mars`):
/// perhaps a shop or a group the brain cannot tell, so it asks rather than send elsewhere.
pub(crate) fn dangling(req: &Request, strategy: &Strategy) -> Option<Trouble> {
    (0..req.len()).find_map(|i| {
        let j = if req.is(i + 1, ARTICLES) { i + 2 } else { i + 1 };
        let alone = !req.is_used(j) && is_name_like(req.norm(j)) && (j + 1 >= req.len() || req.is_used(j + 1));
        (req.is(i, &["sur", "chez", "pour", "for"]) && alone).then(|| unknown(req.raw(j), strategy))
    })
}

/// A name no reader took in a request that changes shops (`restart asia`): asked about rather
/// than sent to the default target.
pub(crate) fn leftover(req: &Request, strategy: &Strategy) -> Option<Trouble> {
    let verbs = [
        "restart*",
        "reboot*",
        "redemarre*",
        "relance*",
        "ferme*",
        "close",
        "open",
        "ouvre*",
        "rouvre*",
        "reopen",
        "stop",
        "start",
        "resync*",
        "demarre*",
        "shut",
        "arrete*",
    ];
    let where_a_shop_stands = |i: usize| {
        strategy.known_targets.is_empty()
            || req.norm(i).chars().any(|c| c.is_ascii_digit())
            || (i > 0
                && (super::text::word_in(req.norm(i - 1), &verbs) || req.is(i - 1, PREPS) || req.is(i - 1, ARTICLES)))
    };
    (0..req.len())
        .find(|&i| {
            !req.is_used(i) && is_name_like(req.norm(i)) && !is_known_word(req.norm(i)) && where_a_shop_stands(i)
        })
        .map(|i| unknown(req.raw(i), strategy))
}

/// Token `i` as a named target, checked against the fleet when the strategy knows it.
fn named(req: &Request, i: usize, strategy: &Strategy) -> Result<(Target, String), Trouble> {
    let raw = req.raw(i).to_owned();
    let name = Name::parse(req.norm(i)).map_err(|_| unknown(&raw, strategy))?;
    if !strategy.known_targets.is_empty() && !strategy.known_targets.contains(&name) {
        return Err(unknown(&raw, strategy));
    }
    Ok((Target::Named(name), raw))
}

fn unknown(raw: &str, strategy: &Strategy) -> Trouble {
    let known: Vec<&str> = strategy.known_targets.iter().map(AsRef::as_ref).collect();
    Trouble::UnknownTarget { name: raw.to_owned(), known: known.join(", ") }
}

/// The target as said to the admin.
pub(crate) fn show_target(target: &Target, french: bool) -> String {
    match (target, french) {
        (Target::All, true) => "tous les shops".to_owned(),
        (Target::All, false) => "every shop".to_owned(),
        (Target::Named(name), _) => name.to_string(),
    }
}
