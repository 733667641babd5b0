//! Promotions: the discount (`20%`, `vingt pour cent`, `5€`, `$5`), what it applies to (a plan, a
//! product, everything), how long (`48h`, `deux jours`, `ce week-end`), to whom it is announced
//! (`les membres inactifs`, `promo-ping`, a role), and an optional code, cap on uses and start.

use subjects::params::{Discount, PromoParams, PromoTarget};
use subjects::Command;

use super::audience::{role_for, role_named, show_audience, take_audience, unknown_audience};
use super::catalog::Kind;
use super::clock;
use super::items;
use super::lexicon::is_name_like;
use super::numbers::{money_at, number_at, percent_at, show_money};
use super::text::Request;
use super::time::{duration_at, show_secs, show_until, take_span, take_start, Span};
use super::trouble::Trouble;
use super::{Built, Ctx, Strategy};

#[rustfmt::skip]
const PLAN: &[&str] = &[
    "plan", "plans", "offre", "offres", "abonnement", "abonnements", "formule", "formules", "subscription",
    "subscriptions", "tier", "tiers", "pack", "packs",
];
const PRODUCT: &[&str] = &["produit", "produits", "product", "products", "article", "articles", "item", "items"];
const EVERYTHING: &[&str] = &[
    "tout|toute|tous|toutes le|la|les|l|~ catalogue|boutique|produits|articles|site|magasin|shop|store|plans|offres",
    "all the|~ products|items|plans|catalog|catalogue|store|shop|site",
    "the|~ whole|entire catalog|catalogue|store|shop|site",
    "sitewide|storewide|site-wide|store-wide|everything|tout",
    "every|each|chaque plan|product|item|produit|article|offre",
];

/// A promotion longer than a year is refused as absurd.
const MAX_PROMO_SECS: u64 = 365 * 86_400;

/// Words a bare number may count, which make it no percent.
const COUNTED: &[&str] = &[
    "uses",
    "use",
    "utilisations",
    "fois",
    "times",
    "members",
    "membres",
    "winners",
    "gagnants",
    "people",
    "personnes",
    "redemptions",
    "max",
    "euros",
    "euro",
    "eur",
    "dollars",
    "usd",
    "bucks",
];

/// Finds and claims the discount; refuses one above 100% or above the strategy's cap.
fn take_discount(req: &mut Request, strategy: &Strategy, bare: bool) -> Result<Discount, Trouble> {
    for i in 0..req.len() {
        if let Some((n, end)) = percent_at(req, i) {
            req.take(i..end);
            let Some(p) = n.whole else { return Err(Trouble::BadDiscount(format!("{}%", n.text))) };
            return match u8::try_from(p) {
                Ok(0) => Err(Trouble::BadDiscount("0%".to_owned())),
                _ if p > 100 => Err(Trouble::OverHundred(p)),
                Ok(p) if p > strategy.max_discount => Err(Trouble::AboveCap { asked: p, cap: strategy.max_discount }),
                Ok(p) => Ok(Discount::Percent(p)),
                Err(_) => Err(Trouble::OverHundred(p)),
            };
        }
        if let Some((money, end)) = money_at(req, i) {
            req.take(i..end);
            if money.amount == 0 {
                return Err(Trouble::BadDiscount(req.span(i, end - 1).to_owned()));
            }
            return Ok(Discount::Fixed(money));
        }
    }
    // "promo pro 20", "@eu promo 15 premium 1w": in a promotion, a bare number that counts nothing
    // else is its percent.
    let lone = (0..req.len()).find(|&i| {
        let digits = !req.is_used(i) && !req.norm(i).is_empty() && req.norm(i).bytes().all(|b| b.is_ascii_digit());
        digits && duration_at(req, i).is_none() && (i + 1 >= req.len() || req.is_used(i + 1) || !req.is(i + 1, COUNTED))
    });
    match lone.filter(|_| bare) {
        Some(i) => {
            let p: u64 = req.norm(i).parse().unwrap_or(0);
            req.take(i..i + 1);
            match u8::try_from(p) {
                Ok(p) if (1..=strategy.max_discount).contains(&p) => Ok(Discount::Percent(p)),
                Ok(0) => Err(Trouble::BadDiscount("0".to_owned())),
                Ok(p) if p <= 100 => Err(Trouble::AboveCap { asked: p, cap: strategy.max_discount }),
                _ => Err(Trouble::OverHundred(p)),
            }
        }
        None => Err(Trouble::NoDiscount),
    }
}

/// What a promotion applies to (one promotion each), with how to say it (French, English).
struct Applies {
    targets: Vec<PromoTarget>,
    fr: String,
    en: String,
}

/// `a`, `a et b`, `a, b et c`.
fn join_words(words: &[String], and: &str) -> String {
    match words {
        [init @ .., last] if !init.is_empty() => format!("{} {and} {last}", init.join(", ")),
        _ => words.join(""),
    }
}

/// Finds and claims what the promotion applies to: everything, or plans or products by name
/// (`les plans Pro et Max`: one promotion each). With a known catalog, names are compared with
/// the addressed shops' plans and products wherever they are in the sentence.
fn take_applies(req: &mut Request, ctx: &Ctx) -> Result<Applies, Trouble> {
    if EVERYTHING.iter().any(|p| req.take_pattern(p).is_some()) {
        return Ok(Applies {
            targets: vec![PromoTarget::All],
            fr: "tout le catalogue".into(),
            en: "everything".into(),
        });
    }
    if !ctx.strategy.catalog.is_empty() {
        return catalog_applies(req, ctx);
    }
    for (words, plan) in [(PLAN, true), (PRODUCT, false)] {
        let Some(i) = req.find(words) else { continue };
        let name = [i + 1, i + 2]
            .into_iter()
            .take_while(|&j| j == i + 1 || req.is(i + 1, &["de", "d", "du", "of"]))
            .chain(i.checked_sub(1))
            .find(|&j| !req.is_used(j) && is_name_like(req.norm(j)));
        let Some(first) = name else {
            return Err(if plan { Trouble::UnknownPlan } else { Trouble::NoPromoTarget });
        };
        let mut names = vec![first];
        let mut last = first;
        while first > i
            && req.is(last + 1, &["et", "and", "ou", "or", "&"])
            && !req.is_used(last + 2)
            && is_name_like(req.norm(last + 2))
        {
            last += 2;
            names.push(last);
        }
        req.take(i.min(first)..i.max(last) + 1);
        let raws: Vec<String> = names.iter().map(|&k| req.raw(k).to_owned()).collect();
        let (fr_names, en_names) = (join_words(&raws, "et"), join_words(&raws, "and"));
        let targets = names
            .iter()
            .map(|&k| {
                if plan {
                    PromoTarget::Plan(req.norm(k).to_owned())
                } else {
                    PromoTarget::Product(req.norm(k).to_owned())
                }
            })
            .collect();
        let plural = req.norm(i).ends_with('s') || names.len() > 1;
        let (fr, en) = match (plan, plural) {
            (true, true) => (format!("les plans {fr_names}"), format!("the {en_names} plans")),
            (true, false) => (format!("le plan {fr_names}"), format!("the {en_names} plan")),
            (false, true) => (format!("les produits {fr_names}"), format!("products {en_names}")),
            (false, false) => (format!("le produit {fr_names}"), format!("product {en_names}")),
        };
        return Ok(Applies { targets, fr, en });
    }
    let bare = req.find_pattern("sur|on|pour|for le|la|les|l|the|~").map(|r| r.end);
    match bare.filter(|&j| !req.is_used(j) && is_name_like(req.norm(j))) {
        Some(j) => Err(Trouble::PlanOrProduct(req.raw(j).to_owned())),
        None => Err(Trouble::NoPromoTarget),
    }
}

/// What the promotion applies to, read against the catalog: every plan or product named, in the
/// order written; a name after `plan`/`produit` that fits none (or several) is asked back.
fn catalog_applies(req: &mut Request, ctx: &Ctx) -> Result<Applies, Trouble> {
    let found = items::take_items(req, ctx)?;
    if found.is_empty() {
        return Err(Trouble::NoPromoTarget);
    }
    let (mut fr_plans, mut en_plans, mut fr_products, mut en_products) = (vec![], vec![], vec![], vec![]);
    let targets = found
        .into_iter()
        .map(|(kind, id)| match kind {
            Kind::Plan => {
                fr_plans.push(id.clone());
                en_plans.push(id.clone());
                PromoTarget::Plan(id)
            }
            Kind::Product => {
                fr_products.push(id.clone());
                en_products.push(id.clone());
                PromoTarget::Product(id)
            }
        })
        .collect();
    let say = |plans: &[String], products: &[String], fr: bool| {
        let mut parts = Vec::new();
        let and = if fr { "et" } else { "and" };
        match (plans.len(), fr) {
            (0, _) => {}
            (1, true) => parts.push(format!("le plan {}", plans[0])),
            (_, true) => parts.push(format!("les plans {}", join_words(plans, and))),
            (1, false) => parts.push(format!("the {} plan", plans[0])),
            (_, false) => parts.push(format!("the {} plans", join_words(plans, and))),
        }
        match (products.len(), fr) {
            (0, _) => {}
            (1, true) => parts.push(format!("le produit {}", products[0])),
            (_, true) => parts.push(format!("les produits {}", join_words(products, and))),
            (1, false) => parts.push(format!("product {}", products[0])),
            (_, false) => parts.push(format!("products {}", join_words(products, and))),
        }
        parts.join(&format!(" {and} "))
    };
    Ok(Applies { fr: say(&fr_plans, &fr_products, true), en: say(&en_plans, &en_products, false), targets })
}

/// Finds and claims a promo code (`code NOEL20`, `avec le code X`).
fn take_code(req: &mut Request) -> Option<String> {
    let start = req.find(&["code", "codes", "coupon", "coupons", "voucher"])?;
    let skip = ["code", "promo", "called", "named", "nomme", "appele", "discount", "reduction", "de", "du", ":", "="];
    let mut j = start + 1;
    while req.is(j, &skip) && j < start + 4 {
        j += 1;
    }
    let raw = req.raw(j);
    let ok = !req.is_used(j) && !raw.is_empty() && raw.len() <= 32;
    let ok = ok && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    // "a code 15% off": the amount is no code.
    let ok = ok && percent_at(req, j).is_none() && money_at(req, j).is_none();
    // A code is written as one: capitals or digits (`NOEL20`, `X`), not a plain word.
    let looks = raw.chars().any(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        || (is_name_like(req.norm(j)) && !super::lexicon::is_known_word(req.norm(j)));
    if ok && looks {
        let code = raw.to_owned();
        req.take(start..j + 1);
        return Some(code);
    }
    // "WINTER25 code for 25% off": the code written before the word, in capitals or with digits.
    let before = start.checked_sub(1).filter(|&b| !req.is_used(b))?;
    let raw = req.raw(before).to_owned();
    let upper = raw.chars().any(|c| c.is_ascii_uppercase()) && !raw.chars().any(|c| c.is_lowercase());
    let valid = (1..=32).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let code =
        (upper && valid && percent_at(req, before).is_none() && !raw.eq_ignore_ascii_case("promo")).then_some(raw);
    if code.is_some() {
        req.take(before..start + 1);
    }
    code
}

/// Finds and claims the most redemptions (`100 utilisations`, `limited to 100`, `first 50`).
fn take_max_uses(req: &mut Request) -> Option<u32> {
    for i in 0..req.len() {
        let at = req.match_at(i, "limite|limitee|limited|limit|max|maximum|cap|capped|first a|to|de|at|~").unwrap_or(i);
        let discount = percent_at(req, at).is_some() || money_at(req, at).is_some() || duration_at(req, at).is_some();
        let Some((n, end)) = number_at(req, at).filter(|_| !discount) else { continue };
        let uses = req
            .match_at(
                end,
                "utilisations|utilisation|uses|use|redemptions|usages|fois|times|premiers|premieres|people|personnes|persons|customers|clients|buyers|acheteurs|users|utilisateurs",
            )
            .or_else(|| req.match_at(end, "max|maximum").filter(|&e| percent_at(req, e).is_none()));
        if at > i || uses.is_some() {
            req.take(i..uses.unwrap_or(end));
            return n.whole.and_then(|v| u32::try_from(v).ok());
        }
    }
    None
}

/// Builds a `promo` order.
pub(crate) fn build(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let (lang, strategy, now) = (ctx.lang, ctx.strategy, ctx.now);
    let audience = take_audience(req, strategy);
    let said = audience.is_some();
    // "for everyone and for inactive members": two audiences for one promotion.
    if let (Some(a), Some(b)) = (&audience, take_audience(req, strategy)) {
        if *a != b {
            let french = ctx.lang.is_fr();
            return Err(Trouble::Contradiction(show_audience(a, french), show_audience(&b, french)));
        }
    }
    // "pour les membres actifs", "for new members": an audience no shop can select is asked back,
    // never replaced by the default one.
    let unknown = "membres|members|users|people|gens|clients|customers actifs|active|actives|nouveaux|nouvelles|new|recents|recent";
    let unknown = [unknown, "actifs|active|new|nouveaux|recent membres|members|users|people|clients|customers"];
    if let Some(r) = unknown.iter().find_map(|p| req.find_pattern(p)).filter(|_| audience.is_none()) {
        return Err(Trouble::UnknownAudience(req.span(r.start, r.end - 1).to_owned()));
    }
    let audience = audience.unwrap_or_else(|| strategy.promo_audience.clone());
    let code = take_code(req);
    let max_redemptions = take_max_uses(req);
    if let Some(words) = unknown_audience(req).filter(|_| audience == strategy.promo_audience && !said) {
        return Err(Trouble::UnknownAudience(words));
    }
    // "20 ou 30%": two amounts for one promotion.
    if let Some(r) = req.find_pattern("ou|or").filter(|r| r.start > 0) {
        if let (Some((a, _)), Some((b, _))) = (number_at(req, r.start - 1), percent_at(req, r.end)) {
            if a.whole != b.whole {
                return Err(Trouble::Contradiction(format!("{}%", a.text), format!("{}%", b.text)));
            }
        }
    }
    let discount = take_discount(req, strategy, true)?;
    if let Ok(other) = take_discount(req, strategy, false) {
        if other != discount {
            let show = |d: &Discount| match d {
                Discount::Percent(p) => format!("{p}%"),
                Discount::Fixed(money) => show_money(money, lang.is_fr()),
            };
            return Err(Trouble::Contradiction(show(&discount), show(&other)));
        }
    }
    // "du 20 au 27 décembre": from the first day's midnight to the last one's last minute.
    let range = clock::take_range(req, now, true);
    // "demain 18h pendant 3h": the time of day is when it starts, never a second duration.
    let at = range.map(|(from, _)| from).or_else(|| clock::take_start_instant(req, now));
    let span =
        range.map(|(_, to)| Span::Until(to - chrono::Duration::minutes(1))).or_else(|| take_span(req, now, false));
    if let (Some(Span::For(a)), Some(Span::For(b))) = (span, take_span(req, now, false)) {
        if a != b {
            return Err(Trouble::Contradiction(show_secs(a, lang.is_fr()), show_secs(b, lang.is_fr())));
        }
    }
    // "for 10 years": no promotion runs that long (and a unit the reader does not know is never
    // dropped for the default).
    if let Some(i) = (0..req.len()).find(|&i| {
        number_at(req, i)
            .is_some_and(|(_, end)| req.is(end, &["year", "years", "yr", "yrs", "an", "ans", "annee", "annees"]))
    }) {
        return Err(Trouble::Absurd(req.span(i, i + 1).to_owned()));
    }
    if let Some(Span::For(secs)) = span.filter(|s| matches!(s, Span::For(secs) if *secs > MAX_PROMO_SECS)) {
        return Err(Trouble::Absurd(show_secs(secs, lang.is_fr())));
    }
    let span = span.unwrap_or(Span::For(strategy.promo_hours.saturating_mul(3600)));
    let starts_at = at.or_else(|| take_start(req, now));
    let replace = req
        .take_pattern("remplace*|replace*|ecrase*|override* celle|celles|the|~ en|~ cours|current|existing|~")
        .is_some();
    // "everything except the mug": never a promotion on what was left out.
    let except = [
        "except|excepte|exceptes|sauf|hors|excluding|exclu|exclus",
        "but not",
        "other than",
        "plans|products|everything but",
    ];
    if let Some(r) = except.iter().find_map(|p| req.find_pattern(p)) {
        let what = req.span(r.end, (r.end + 2).min(req.len().saturating_sub(1)));
        return Err(Trouble::Except(if what.is_empty() { req.raw(r.start).to_owned() } else { what.to_owned() }));
    }
    if let Some(name) = role_for(req) {
        return Err(Trouble::RoleName(name));
    }
    let applies = take_applies(req, ctx)?;
    // "€20 off basic" (4.99): an amount off that is the whole price or more is no discount.
    if let Discount::Fixed(money) = &discount {
        for target in &applies.targets {
            let (kind, id) = match target {
                PromoTarget::Plan(id) => (Kind::Plan, id),
                PromoTarget::Product(id) => (Kind::Product, id),
                PromoTarget::All => continue,
            };
            if let Some(price) = strategy.catalog.price_cents(kind, id, ctx.target).filter(|p| money.amount >= *p) {
                let cost = format!("{}.{:02}", price / 100, price % 100);
                let off = show_money(money, lang.is_fr());
                return Err(Trouble::Absurd(
                    lang.pick(format!("{off} sur {id} à {cost}"), format!("{off} off {id} at {cost}")),
                ));
            }
        }
    }
    if let Some(name) = role_named(req) {
        return Err(Trouble::RoleName(name));
    }
    let french = lang.is_fr();
    let shown = match &discount {
        Discount::Percent(p) => format!("{p}%"),
        Discount::Fixed(money) => show_money(money, french),
    };
    let how_long = match span {
        Span::For(secs) => {
            lang.pick(format!("pendant {}", show_secs(secs, true)), format!("for {}", show_secs(secs, false)))
        }
        Span::Until(end) => show_until(end, ctx.now, lang.is_fr()),
    };
    let duration_secs = match (span, starts_at) {
        // "from monday 9am to friday 6pm": the end is the first such day after the start.
        (Span::Until(mut end), Some(start)) => {
            while end <= start && end - now < chrono::Duration::days(14) {
                end += chrono::Duration::days(7);
            }
            u64::try_from((end - start).num_seconds()).unwrap_or(0)
        }
        _ => span.secs(now),
    };
    let mut extra = String::new();
    if let Some(code) = &code {
        extra.push_str(&lang.pick(format!(", code {code}"), format!(", code {code}")));
    }
    if let Some(n) = max_redemptions {
        extra.push_str(&lang.pick(format!(", {n} utilisations au plus"), format!(", at most {n} uses")));
    }
    if let Some(start) = starts_at {
        let day = start.format(lang.pick("%d/%m/%Y", "%Y-%m-%d"));
        extra.push_str(&lang.pick(format!(", à partir du {day}"), format!(", starting {day}")));
    }
    let who = show_audience(&audience, french);
    let summary = lang.pick(
        format!("Lancer une promotion de {shown} sur {} {how_long}{extra}, annoncée {who}", applies.fr),
        format!("Start a {shown} promotion on {} {how_long}{extra}, announced to {who}", applies.en),
    );
    let done = match (lang, starts_at) {
        (super::Lang::Fr, None) => format!("✅ Promotion lancée ! {shown} sur {} {how_long}.", applies.fr),
        (super::Lang::Fr, Some(_)) => {
            format!("✅ Promotion programmée ! {shown} sur {} {how_long}{extra}.", applies.fr)
        }
        (super::Lang::En, None) => format!("✅ Promotion started! {shown} off {} {how_long}.", applies.en),
        (super::Lang::En, Some(_)) => format!("✅ Promotion scheduled! {shown} off {} {how_long}{extra}.", applies.en),
    };
    let commands = applies
        .targets
        .into_iter()
        .map(|target| {
            Command::Promo(PromoParams {
                discount: discount.clone(),
                target,
                duration_secs,
                audience: audience.clone(),
                code: code.clone(),
                max_redemptions,
                starts_at,
                replace,
            })
        })
        .collect();
    Ok(Built { commands, summary, done })
}
