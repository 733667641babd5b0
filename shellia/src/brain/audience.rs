//! Who a promotion or an announcement reaches: inactive members (`inactifs depuis 3 semaines`),
//! the promotion pings, a role (`<@&1>`), or everyone; a role or an audience said in words that no
//! shop can select is asked back, never replaced by the default.

use subjects::params::Audience;

use super::lexicon::is_name_like;
use super::text::{role_id, Request};
use super::time::duration_at;
use super::Strategy;

/// Finds and claims who is reached: inactive members (for `N` days), the promotion pings,
/// a role, or everyone.
pub(crate) fn take_audience(req: &mut Request, strategy: &Strategy) -> Option<Audience> {
    if let Some(i) = (0..req.len()).find(|&i| !req.is_used(i) && role_id(req.norm(i)).is_some()) {
        // "pour le rôle <@&1>", "for the <@&1> role": the words around the mention go with it.
        let before = req.find_pattern("pour|for|to|au|aux|a ~|le|la|les|the role|roles").filter(|r| r.end == i);
        // "for the boosters <@&1>": the role's name said before its mention.
        let named =
            |j: usize| !req.is_used(j) && is_name_like(req.norm(j)) && !super::lexicon::is_known_word(req.norm(j));
        let before = before.or_else(|| {
            let j = i.checked_sub(1).filter(|&j| named(j))?;
            let lead = req.find_pattern("pour|for|to|au|aux|a ~|le|la|les|the").filter(|r| r.end == j);
            Some(lead.map_or(j, |r| r.start)..i)
        });
        let after = usize::from(req.is(i + 1, &["role", "roles"]));
        req.take(before.map_or(i, |r| r.start)..i + 1 + after);
        return role_id(req.norm(i)).map(|id| Audience::Role(id.to_owned()));
    }
    let pings = [
        "promo|promos|promotion folks|people|crowd|gang|subscribers|abonnes",
        "abonnes|abonnees|subscribers|inscrits aux|au|to|a|the|~ promo|promos|promotions",
    ];
    if pings.iter().any(|p| req.take_pattern(p).is_some()) {
        return Some(Audience::PromoPing);
    }
    let pings = "ceux|those|people|members|membres|aux|to|the|~ qui|who|with|~ ont|have|~ active|activated|enabled|opted|turned|~ in|on|~ les|the|their|~ promo|~ pings|ping|promo-ping|promo-pings|promoping";
    if req.take_pattern(pings).is_some() {
        return Some(Audience::PromoPing);
    }
    if let Some(i) = req.find(&["inacti*", "dormant*"]) {
        let lead = (i.saturating_sub(3)..i).find(|&j| {
            let lead =
                ["aux", "a", "to", "les", "the", "membres", "members", "all", "users", "people", "folks", "ceux"];
            (j..i).all(|k| req.is(k, &lead))
        });
        req.take(lead.unwrap_or(i)..i + 1);
        let default = match strategy.promo_audience {
            Audience::InactiveDays(days) => days,
            _ => 30,
        };
        let mut k = i + 1;
        while k < i + 4
            && req.is(
                k,
                &[
                    "users",
                    "members",
                    "membres",
                    "people",
                    "folks",
                    "utilisateurs",
                    "clients",
                    "customers",
                    "buyers",
                    "acheteurs",
                ],
            )
        {
            k += 1;
        }
        let marked = req.match_at(k, "depuis|for|since|de|d|over|of|pendant|during|in|~ the|~ last|past|derniers|~");
        let before =
            (i.saturating_sub(3)..i).find_map(|j| duration_at(req, j).filter(|&(_, end)| end == i).map(|d| (j, d)));
        let days = match (marked.and_then(|m| duration_at(req, m)), before) {
            (Some((secs, end)), _) => {
                req.take(i + 1..end);
                req.take_pattern("derniers|dernieres|passes");
                secs / 86_400
            }
            (None, Some((j, (secs, end)))) => {
                req.take(j..end);
                secs / 86_400
            }
            _ => u64::from(default),
        };
        return Some(Audience::InactiveDays(u32::try_from(days.max(1)).unwrap_or(u32::MAX)));
    }
    // "pour tous" at the end: every member (the shops and the catalog are read before).
    if let Some(r) = req.find_pattern("pour|for|a tous|toutes|all").filter(|r| req.is_used(r.end)) {
        req.take(r);
        return Some(Audience::Everyone);
    }
    let everyone = ["tout le monde", "everyone|everybody|@everyone", "tous|all les|~ membres|members"];
    everyone.iter().find_map(|p| req.take_pattern(p)).map(|_| Audience::Everyone)
}

/// Members qualified by a word no shop can select (`les membres fidèles`, `the loyal members`,
/// `the whales`): the words, to ask back, never replaced by the default audience.
pub(crate) fn unknown_audience(req: &Request) -> Option<String> {
    const PEOPLE: &[&str] = &[
        "membres",
        "members",
        "users",
        "gens",
        "people",
        "clients",
        "customers",
        "abonnes",
        "subscribers",
        "folks",
        "buyers",
        "acheteurs",
        "utilisateurs",
    ];
    let odd = |j: usize| !req.is_used(j) && is_name_like(req.norm(j)) && !super::lexicon::is_known_word(req.norm(j));
    if let Some(i) = (0..req.len()).find(|&i| req.is(i, PEOPLE)) {
        let around = [i + 1, i.wrapping_sub(1)].into_iter().find(|&j| j < req.len() && odd(j))?;
        return Some(req.span(i.min(around), i.max(around)).to_owned());
    }
    // "announce to the whales: …": a payload's audience named in one word of its own.
    req.payload()?;
    let r = req.find_pattern("pour|to|for|aux|au les|the|nos|our|mes|my|~")?;
    odd(r.end).then(|| req.span(r.start, r.end).to_owned())
}

/// A role named in words as the audience (`for the VIP role`, `pour le rôle VIP`), even when a
/// product has that name: the role's id is asked for (a discount on it reads `off the vip role`).
pub(crate) fn role_for(req: &Request) -> Option<String> {
    let to = ["for", "pour", "to", "aux", "au", "a"];
    let article = ["the", "le", "la", "les", "l"];
    (0..req.len()).find_map(|i| {
        if !req.is(i, &["role", "roles"]) {
            return None;
        }
        let lead = |k: usize| req.is(k, &to) || (req.is(k, &article) && k > 0 && req.is(k - 1, &to));
        let name = |k: usize| !req.is_used(k) && is_name_like(req.norm(k));
        let before = i.checked_sub(1).filter(|&k| name(k) && k > 0 && lead(k - 1));
        let after = Some(i + 1).filter(|&k| name(k) && i > 0 && lead(i - 1));
        before.or(after).map(|k| req.raw(k).to_owned())
    })
}

/// A role named by its name (`for the Boosters role`, `pour le rôle VIP`) rather than mentioned:
/// its id is unknown, so the request is asked back.
pub(crate) fn role_named(req: &Request) -> Option<String> {
    let role = ["role", "roles"];
    (0..req.len()).find_map(|i| {
        if !req.is(i, &role) {
            return None;
        }
        let after = i + 1;
        if !req.is_used(after) && is_name_like(req.norm(after)) && !req.is(after, &["des", "de", "du"]) {
            return Some(req.raw(after).to_owned());
        }
        let before = i.checked_sub(1)?;
        (!req.is_used(before) && is_name_like(req.norm(before)) && !super::lexicon::is_known_word(req.norm(before)))
            .then(|| req.raw(before).to_owned())
    })
}

/// The audience as said to the admin.
pub(crate) fn show_audience(audience: &Audience, french: bool) -> String {
    match (audience, french) {
        (Audience::Everyone, true) => "à tous les membres".to_owned(),
        (Audience::Everyone, false) => "every member".to_owned(),
        (Audience::InactiveDays(d), true) => format!("aux membres inactifs depuis {d} jours"),
        (Audience::InactiveDays(d), false) => format!("members inactive for {d} days"),
        (Audience::Role(id), true) => format!("au rôle <@&{id}>"),
        (Audience::Role(id), false) => format!("role <@&{id}>"),
        (Audience::PromoPing, true) => "aux membres qui ont activé les pings promo".to_owned(),
        (Audience::PromoPing, false) => "members who opted in to promo pings".to_owned(),
    }
}
