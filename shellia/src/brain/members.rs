//! Members: why a member holds (or lost) a role (`why @bob`, `pourquoi <@123> a perdu le Pro ?`),
//! a role given or taken back by hand (`give <@123> VIP`, `retire le vip à <@123>`), a member
//! moved to another plan (`passe <@123> au plan pro`), and plan trials, which are set by a whole
//! `catalog` upsert with `trial_days`, not from a sentence.

use subjects::params::{GrantParams, SubscriptionParams, WhyParams};
use subjects::Command;

use super::catalog::Kind;
use super::text::Request;
use super::trouble::Trouble;
use super::{Built, Ctx};

/// Words that ask why a member has or lacks a role.
pub(crate) const WHY: &[&str] = &[
    "why",
    "pourquoi",
    "explain",
    "explique",
    "explique-moi",
    "expliquer",
    "lost",
    "lose",
    "perdu",
    "whois",
    "roles",
    "check",
    "inspect",
    "regarde",
    "verifie",
    "have",
    "has",
];
/// Words that give a role by hand.
pub(crate) const GIVE: &[&str] =
    &["give", "grant", "donne", "donner", "file", "accorde", "attribue", "offre", "add", "hook"];
/// Words that take a manual grant back.
pub(crate) const TAKE: &[&str] =
    &["revoke", "retire", "retirer", "enleve", "enlever", "reprends", "take", "unassign", "remove", "removes"];
/// Words that move a member to another plan.
pub(crate) const SWITCH: &[&str] =
    &["passe", "passer", "bascule", "basculer", "switch", "move", "upgrade", "downgrade", "migre", "migrer"];
/// Words that speak of a free trial.
pub(crate) const TRIAL: &[&str] = &["trial", "trials", "essai", "essais", "essayer"];

/// The member a request is about: a user mention (`<@123>`, not the one addressing Shellia at
/// the start) or a bare Discord id (17 to 20 digits), as its digits.
pub(crate) fn member_id(req: &Request) -> Option<String> {
    let text = req.text();
    let mut from = 0;
    let mut mentions: Vec<(usize, String)> = Vec::new();
    while let Some(at) = text[from..].find("<@").map(|a| a + from) {
        from = at + 2;
        let rest = text[from..].trim_start_matches('!');
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with('>') {
            mentions.push((at, digits));
        }
    }
    // A leading mention addresses Shellia when another member is named after it.
    let leads = |at: usize| !text[..at].trim().chars().any(char::is_alphanumeric);
    let named_after = mentions.len() > 1 || member_name(req).is_some();
    if let Some((_, id)) = mentions.into_iter().find(|(at, _)| !(leads(*at) && named_after)) {
        return Some(id);
    }
    (0..req.len())
        .map(|i| req.norm(i))
        .find(|w| (17..=20).contains(&w.len()) && w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
}

/// A member named as `@bob` (a name, not a mention): Shellia needs the id.
pub(crate) fn member_name(req: &Request) -> Option<String> {
    (0..req.len()).find_map(|i| {
        let name = req.norm(i).strip_prefix('@')?;
        let target = matches!(name, "all" | "everyone" | "here" | "eu" | "us") || name.starts_with("shop");
        (!target && !name.is_empty()).then(|| name.to_owned())
    })
}

/// Claims the bare id of `member` when written as digits.
fn claim(req: &mut Request, member: &str) {
    if let Some(i) = (0..req.len()).find(|&i| req.norm(i) == member) {
        req.take(i..i + 1);
    }
}

/// `why <@123>`: every managed role of the member, and what is behind it.
pub(crate) fn why(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let member = member_id(req).ok_or(Trouble::NoMember)?;
    claim(req, &member);
    let _ = super::items::take_items(req, ctx);
    let lang = ctx.lang;
    let summary = lang.pick(
        format!("Expliquer les rôles du membre {member} (achats, abonnements, dons)"),
        format!("Explain member {member}'s roles (purchases, subscriptions, grants)"),
    );
    let done = lang.pick(format!("🔎 Voici les rôles de {member}."), format!("🔎 Here are {member}'s roles."));
    Ok(Built::one(Command::Why(WhyParams { member }), summary, done))
}

/// `give <@123> VIP`, `revoke vip from 123…`: a product's role given or taken back by hand.
pub(crate) fn grant(req: &mut Request, ctx: &Ctx, revoke: bool) -> Result<Built, Trouble> {
    let member = member_id(req).ok_or(Trouble::NoMember)?;
    claim(req, &member);
    req.take_pattern("for|pour|~ free|gratuit|gratuitement|offert|gratos|nothing|rien");
    let items = super::items::take_items(req, ctx)?;
    let product = match items.as_slice() {
        [(_, id)] => id.clone(),
        [] => return Err(Trouble::NoPromoTarget),
        several => {
            let ids: Vec<&str> = several.iter().map(|(_, id)| id.as_str()).collect();
            return Err(Trouble::AmbiguousItem { name: ids.join(" / "), candidates: ids.join(", ") });
        }
    };
    let lang = ctx.lang;
    let (summary, done) = if revoke {
        (
            lang.pick(
                format!("Reprendre le rôle de {product} donné à la main au membre {member}"),
                format!("Take back the {product} role given by hand to member {member}"),
            ),
            lang.pick(format!("↩️ {product} repris à {member}."), format!("↩️ {product} taken back from {member}.")),
        )
    } else {
        (
            lang.pick(
                format!("Donner à la main le rôle de {product} au membre {member}"),
                format!("Give member {member} the {product} role by hand"),
            ),
            lang.pick(format!("🎁 {product} donné à {member}."), format!("🎁 {member} now has {product}.")),
        )
    };
    Ok(Built::one(Command::Grant(GrantParams { member, product, revoke }), summary, done))
}

/// `passe <@123> au plan pro`: the member's membership moves to that plan (at once when it costs
/// more, at the end of the period otherwise: the shop decides and says which).
pub(crate) fn switch(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let member = member_id(req).ok_or(Trouble::NoMember)?;
    claim(req, &member);
    let items = super::items::take_items(req, ctx)?;
    let plans: Vec<&String> = items.iter().filter(|(k, _)| *k == Kind::Plan).map(|(_, id)| id).collect();
    let switch_to = match plans.as_slice() {
        [plan] => (*plan).clone(),
        [] => return Err(Trouble::UnknownPlan),
        several => {
            let ids: Vec<&str> = several.iter().map(|id| id.as_str()).collect();
            return Err(Trouble::AmbiguousItem { name: ids.join(" / "), candidates: ids.join(", ") });
        }
    };
    let lang = ctx.lang;
    let summary = lang.pick(
        format!("Passer l'abonnement du membre {member} au plan {switch_to} (tout de suite s'il coûte plus, sinon à la fin de la période)"),
        format!("Move member {member}'s membership to the {switch_to} plan (at once if it costs more, else at the end of the period)"),
    );
    let done = lang.pick(
        format!("🔁 Changement de plan de {member} vers {switch_to} demandé."),
        format!("🔁 {member}'s switch to {switch_to} is on its way."),
    );
    Ok(Built::one(Command::Subscription(SubscriptionParams { member, switch_to }), summary, done))
}

/// "give Pro a 7-day trial": the plan is checked, then refused with where trials are set.
pub(crate) fn trial(req: &mut Request, ctx: &Ctx) -> Trouble {
    match super::items::take_items(req, ctx) {
        Err(trouble) => trouble,
        Ok(items) => {
            let plan = items.iter().find(|(k, _)| *k == Kind::Plan).map(|(_, id)| id.clone());
            Trouble::TrialSetting(plan.unwrap_or_default())
        }
    }
}
