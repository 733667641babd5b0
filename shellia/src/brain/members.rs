//! Members: why a member holds (or lost) a role (`why @bob`, `pourquoi <@123> a perdu le Pro ?`),
//! a role given or taken back by hand (`give <@123> VIP`, `retire le vip à <@123>`), a member
//! moved to another plan (`passe <@123> au plan pro`), and a plan's free trial
//! (`offre 7 jours d'essai sur le plan Pro`: the setting `trial.<plan>`, 0 removes it).

use subjects::params::{ConfigParams, GrantParams, SubscriptionParams, WhyParams};
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

/// Most days of a trial (Stripe's limit).
const MAX_TRIAL_DAYS: u64 = 730;

/// "give Pro a 7-day trial", "essai gratuit d'une semaine sur le premium", "remove the trial from
/// pro": the plan's trial days, the setting `trial.<plan>` (0 removes the trial).
pub(crate) fn trial(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let lang = ctx.lang;
    let removes = req.has(TAKE) || req.has(&["sans", "without", "supprime", "supprimer", "annule", "cancel"]);
    // "7 jours d'essai", "a 7-day trial", "d'une semaine": the first duration, wherever it is.
    let hyphenated = |word: &str| {
        let (n, unit) = word.split_once('-')?;
        Some(n.parse::<u64>().ok()? * super::time::unit_secs(unit)?)
    };
    let span = (0..req.len()).filter(|&i| !req.is_used(i)).find_map(|i| {
        if let Some(secs) = hyphenated(req.norm(i)) {
            return Some((secs, i, i + 1));
        }
        let (secs, end) = super::time::duration_at(req, i)?;
        Some((secs, i, end))
    });
    if let Some((_, start, end)) = span {
        req.take(start..end);
    }
    let items = super::items::take_items(req, ctx)?;
    let plan = match (items.iter().find(|(k, _)| *k == Kind::Plan), items.first()) {
        (Some((_, plan)), _) => plan.clone(),
        (None, Some((_, product))) => {
            return Err(Trouble::Unsupported(lang.pick(
                format!("un essai gratuit sur {product}, qui n'est pas un plan"),
                format!("a free trial on {product}, which is not a plan"),
            )))
        }
        (None, None) => return Err(Trouble::TrialSetting(String::new())),
    };
    let key = format!("trial.{plan}");
    let days = match span {
        _ if removes => 0,
        None => return Err(Trouble::NoSettingValue(key)),
        Some((secs, _, _)) => {
            let days = secs.div_ceil(super::time::DAY);
            if days > MAX_TRIAL_DAYS {
                return Err(Trouble::Absurd(lang.pick(format!("{days} jours d'essai"), format!("a {days}-day trial"))));
            }
            days.max(1)
        }
    };
    let (summary, done) = if days == 0 {
        (
            lang.pick(
                format!("Retirer l'essai gratuit du plan {plan}"),
                format!("Remove the free trial of plan {plan}"),
            ),
            lang.pick(format!("✅ Plus d'essai gratuit sur {plan}."), format!("✅ No more free trial on {plan}.")),
        )
    } else {
        (
            lang.pick(
                format!("Offrir {days} jours d'essai gratuit sur le plan {plan} (une fois par membre, aux nouveaux abonnés)"),
                format!("Offer a {days}-day free trial on plan {plan} (once per member, to new subscribers)"),
            ),
            lang.pick(format!("✅ Essai de {days} jours sur {plan}."), format!("✅ {days}-day trial on {plan}.")),
        )
    };
    Ok(Built::one(Command::Config(ConfigParams { key, value: Some(days.to_string()) }), summary, done))
}
