//! Who may enter a giveaway, and with how many entries: bonus entries for a role (`<@&1> get 2
//! extra entries`, `2 entrées bonus pour <@&1>`), a role to hold (`only <@&1> can enter`,
//! `réservé au rôle <@&1>`), a minimum account age (`accounts older than 30 days`, `comptes de
//! plus de 30 jours`) and a minimum time in the server (`members for at least 7 days`, `sur le
//! serveur depuis 7 jours`).

use subjects::params::{BonusEntries, Requirements};

use super::numbers::number_at;
use super::text::{role_id, Request};
use super::time::duration_at;

const ENTRIES: &[&str] = &["entries", "entry", "entrees", "entree", "tickets", "ticket", "chances", "chance"];
const EXTRA: &[&str] =
    &["extra", "bonus", "more", "additional", "supplementaires", "supplementaire", "en", "de", "plus"];
/// Words that link a head (`accounts`, `members`) to the days it needs.
const LINK: &[&str] = &[
    "older", "old", "than", "at", "least", "for", "since", "over", "more", "de", "d", "plus", "depuis", "au", "moins",
    "ago", "il", "y", "a", "created", "cree", "crees", "creee", "creees", "age", "aged", "minimum", "min", "is", "of",
    "with", "avec", "ayant", "been", "here", "present", "presents", "la", "le", "the", "joined",
];

/// The bonus entries a request gives roles, claimed.
pub(crate) fn take_bonus(req: &mut Request) -> Vec<BonusEntries> {
    let mut bonus = Vec::new();
    for i in 0..req.len() {
        let Some(role) = role_id(req.norm(i)).filter(|_| !req.is_used(i)).map(str::to_owned) else { continue };
        let window = i.saturating_sub(6)..(i + 7).min(req.len());
        let count = window.clone().find_map(|j| {
            let (n, end) = number_at(req, j)?;
            let mut k = end;
            while req.is(k, EXTRA) && k < end + 3 {
                k += 1;
            }
            req.is(k, ENTRIES).then_some((j, k, n.whole?))
        });
        if let Some((j, k, n)) = count {
            let entries = u32::try_from(n.clamp(1, 100)).unwrap_or(100);
            let (from, to) = (j.min(i), k.max(i));
            req.take(from..to + 1);
            bonus.push(BonusEntries { role, entries });
        }
    }
    bonus
}

/// The entry requirements a request states, claimed: a role mention left (one that gives no
/// bonus) is the role members must hold.
pub(crate) fn take_requirements(req: &mut Request) -> Requirements {
    let account_age_days = take_days_after(req, &["account", "accounts", "compte", "comptes"]);
    let member_days = take_days_after(req, &["server", "serveur", "guild", "discord", "membres", "members"]);
    let role = (0..req.len()).find(|&i| !req.is_used(i) && role_id(req.norm(i)).is_some()).map(|i| {
        let lead = req
            .find_pattern("only|seulement|uniquement|reserve|reserved|pour|for|to|au|aux|a ~ les|le|the|~ role|roles|~")
            .filter(|r| r.end == i);
        req.take(lead.map_or(i, |r| r.start)..i + 1);
        req.take_pattern("role|roles|only|seulement|uniquement");
        role_id(req.norm(i)).unwrap_or_default().to_owned()
    });
    Requirements { role, account_age_days, member_days }
}

/// Days written after one of `heads` and linking words (`accounts older than 30 days`,
/// `membres depuis au moins 7 jours`), claimed with them.
fn take_days_after(req: &mut Request, heads: &[&str]) -> Option<u32> {
    for h in 0..req.len() {
        if !req.is(h, heads) {
            continue;
        }
        let mut j = h + 1;
        while req.is(j, LINK) && j < h + 6 {
            j += 1;
        }
        if j == h + 1 && !req.is(h, &["account", "accounts", "compte", "comptes"]) {
            continue;
        }
        let Some((secs, end)) = duration_at(req, j) else { continue };
        req.take(h..end);
        req.take_pattern("old|ago|or|ou more|plus|older");
        return u32::try_from(secs / 86_400).ok().filter(|d| *d > 0);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bonus_entries_and_requirements_are_read_in_both_languages() {
        let mut req =
            Request::new("giveaway Nitro, <@&123456789012345678> get 2 extra entries, accounts older than 30 days");
        assert_eq!(take_bonus(&mut req), vec![BonusEntries { role: "123456789012345678".into(), entries: 2 }]);
        let r = take_requirements(&mut req);
        assert_eq!((r.role, r.account_age_days, r.member_days), (None, Some(30), None));
        let mut req = Request::new("giveaway Nitro réservé au rôle <@&123456789012345678>, membres depuis 7 jours");
        assert!(take_bonus(&mut req).is_empty());
        let r = take_requirements(&mut req);
        assert_eq!((r.role.as_deref(), r.member_days), (Some("123456789012345678"), Some(7)));
    }

    #[test]
    fn a_giveaway_duration_is_no_requirement() {
        let mut req = Request::new("giveaway Nitro for 100 members, 3 days");
        let r = take_requirements(&mut req);
        assert_eq!((r.account_age_days, r.member_days), (None, None));
    }
}
