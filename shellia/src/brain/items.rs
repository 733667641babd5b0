//! Catalog names in a request: the plans and products of the addressed shops, found wherever
//! they are written (`20% off premium`, `le plan Pro`, `"Wallpapers"`), with the typos and
//! plurals admins type (`premuim`, `basics`). A name after `plan` / `produit` that fits none is
//! asked back with the real names, and one that fits several (`plan p`) is asked which.

use super::catalog::{edit_distance, resolve_in, Kind, Resolved};
use super::lexicon::{is_known_word, is_name_like};
use super::text::Request;
use super::trouble::Trouble;
use super::Ctx;

/// Words that announce a plan.
pub(crate) const PLAN_WORDS: &[&str] = &[
    "plan",
    "plans",
    "offre",
    "offres",
    "abonnement",
    "abonnements",
    "formule",
    "formules",
    "subscription",
    "subscriptions",
    "tier",
    "tiers",
    "pack",
    "packs",
    "sub",
    "subs",
];
/// Words that announce a product.
pub(crate) const PRODUCT_WORDS: &[&str] =
    &["produit", "produits", "product", "products", "article", "articles", "item", "items"];
/// Words skipped between a marker and its name (`plan de Pro`, `the plan called Pro`).
const BETWEEN: &[&str] = &["de", "d", "du", "of", "the", "le", "la", "l", "called", "nomme", "named"];

/// An id of `ids` that `word` names without doubt: the same, a plural, or one typo (ids of four
/// letters or more; a word the brain knows is never a typo).
fn plainly(ids: &[String], word: &str) -> Option<String> {
    if let Some(id) = ids.iter().find(|id| **id == word || format!("{id}s") == word || format!("{id}x") == word) {
        return Some(id.clone());
    }
    if is_known_word(word) || word.chars().count() < 4 {
        return None;
    }
    // "prem" for premium: a prefix of four letters or more that fits one id only.
    let mut prefixed = ids.iter().filter(|id| id.len() > word.len() && id.starts_with(word));
    if let (Some(one), None) = (prefixed.next(), prefixed.next()) {
        return Some(one.clone());
    }
    let mut near = ids.iter().filter(|id| id.chars().count() >= 4 && edit_distance(id, word) == 1);
    match (near.next(), near.next()) {
        (Some(one), None) => Some(one.clone()),
        _ => None,
    }
}

/// Finds and claims every plan and product named, in the order written.
pub(crate) fn take_items(req: &mut Request, ctx: &Ctx) -> Result<Vec<(Kind, String)>, Trouble> {
    let catalog = &ctx.strategy.catalog;
    let plans = catalog.ids(Kind::Plan, ctx.target);
    let products = catalog.ids(Kind::Product, ctx.target);
    let mut found: Vec<(usize, Kind, String)> = Vec::new();
    for i in 0..req.len() {
        if req.is_used(i) {
            continue;
        }
        let word = req.norm(i).to_owned();
        let hit = plainly(&plans, &word)
            .map(|id| (Kind::Plan, id))
            .or_else(|| plainly(&products, &word).map(|id| (Kind::Product, id)));
        if let Some((kind, id)) = hit {
            req.take(i..i + 1);
            // "le rôle VIP", "the vip role": a role product named with its kind.
            for k in [i + 1, i.wrapping_sub(1)] {
                if kind == Kind::Product && req.is(k, &["role", "roles"]) {
                    req.take(k..k + 1);
                }
            }
            found.push((i, kind, id));
        }
    }
    for i in 0..req.len() {
        let kind = if req.is(i, PLAN_WORDS) {
            Kind::Plan
        } else if req.is(i, PRODUCT_WORDS) {
            Kind::Product
        } else {
            continue;
        };
        req.take(i..i + 1);
        let mut j = i + 1;
        while req.is(j, BETWEEN) {
            j += 1;
        }
        let after = (!req.is_used(j) && is_name_like(req.norm(j))).then_some(j);
        let before =
            i.checked_sub(1).filter(|&k| !req.is_used(k) && is_name_like(req.norm(k)) && !is_known_word(req.norm(k)));
        let Some(k) = after.or(before) else { continue };
        if found.iter().any(|(at, _, _)| at + 1 == i || *at == i + 1) && after.is_none() {
            continue;
        }
        let ids = match kind {
            Kind::Plan => &plans,
            Kind::Product => &products,
        };
        let word = req.norm(k).to_owned();
        match resolve_in(ids, &word) {
            Resolved::One(id) => {
                req.take(k..k + 1);
                found.push((k, kind, id));
            }
            Resolved::Several(ids) => {
                return Err(Trouble::AmbiguousItem { name: req.raw(k).to_owned(), candidates: ids.join(", ") })
            }
            Resolved::None(_) if found.iter().any(|(at, _, _)| *at == k) => {}
            Resolved::None(_) => return Err(unknown(kind, req.raw(k), &plans, &products)),
        }
    }
    if found.is_empty() {
        let bare = req.find_pattern("sur|on|off|pour|for|to le|la|les|l|the|~").map(|r| r.end);
        if let Some(j) = bare.filter(|&j| !req.is_used(j) && is_name_like(req.norm(j)) && !is_known_word(req.norm(j))) {
            return Err(unknown(Kind::Plan, req.raw(j), &plans, &products));
        }
    }
    // "20% off basic or pro": a choice left to make is asked, never both planned.
    for pair in found.windows(2) {
        let (a, b) = (pair[0].0.min(pair[1].0), pair[0].0.max(pair[1].0));
        if (a + 1..b).any(|k| req.norm(k) == "ou" || req.norm(k) == "or") && b - a <= 4 {
            let names = format!("{} / {}", pair[0].2, pair[1].2);
            return Err(Trouble::AmbiguousItem { name: names, candidates: format!("{}, {}", pair[0].2, pair[1].2) });
        }
    }
    // "le pro et le gold": a name listed with a known one is one too, and must exist.
    for &(at, _, _) in &found {
        let mut j = at + 1;
        if !req.is(j, &["et", "and", "ou", "or", "&", "plus"]) {
            continue;
        }
        j += 1;
        while req.is(j, &["le", "la", "les", "l", "the", "plan", "produit", "product"]) {
            j += 1;
        }
        if !req.is_used(j) && is_name_like(req.norm(j)) && !is_known_word(req.norm(j)) {
            return Err(unknown(Kind::Plan, req.raw(j), &plans, &products));
        }
    }
    found.sort_by_key(|(at, _, _)| *at);
    let mut items: Vec<(Kind, String)> = Vec::new();
    for (_, kind, id) in found {
        if !items.iter().any(|(k, i)| *k == kind && *i == id) {
            items.push((kind, id));
        }
    }
    Ok(items)
}

/// The question for a name that fits nothing, with what the shops have.
pub(crate) fn unknown(kind: Kind, name: &str, plans: &[String], products: &[String]) -> Trouble {
    let known = match kind {
        Kind::Plan => format!("{} (plans), {} (products)", plans.join(", "), products.join(", ")),
        Kind::Product => format!("{} (products), {} (plans)", products.join(", "), plans.join(", ")),
    };
    let kind = match kind {
        Kind::Plan => "plan",
        Kind::Product => "product",
    };
    Trouble::UnknownItem { kind, name: name.to_owned(), known }
}
