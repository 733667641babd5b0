//! What Shellia never does, checked before any intent: destruction, secrets, shells, ranks,
//! one message or grant per member, and the shops' data handed out. A destructive verb used on an
//! offer (`drop a 10% discount`) or on a member's role (`remove pro from <@1>`) is no destruction.

use super::lexicon::PROMO;
use super::members;
use super::numbers::{money_at, percent_at};
use super::text::Request;
use super::trouble::Trouble;

#[rustfmt::skip]
pub(crate) const DESTRUCTIVE: &[&str] = &[
    "supprime*", "efface*", "detrui*", "vide", "vider", "videz", "delete*", "remove*", "erase*", "wipe*", "destroy*",
    "drop*", "purge*", "truncate*", "rm", "sudo", "format", "formate*", "reset*", "reinitialis*", "desinstall*",
    "uninstall*", "nuke*", "kill", "clear", "clears",
];
#[rustfmt::skip]
pub(crate) const UNSUPPORTED: &[&str] = &[
    "ban", "bannis", "bannir", "banni", "kick", "kicke", "expulse*", "rembourse", "rembourser", "remboursez", "refund",
    "password*", "mdp", "token", "tokens", "nkey*", "credential*", "identifiants", "passwd", "printenv", "systemctl",
    "chmod", "chown", "wget", "curl", "ssh", "shadow", "secret", "secrets", "apikey", "api-key", "mute", "unmute",
    "muet", "muette", "timeout", "ownership", "dotenv", "env", "environment", "environnement", "massban", "massdm",
    "spam", "spammer", "raid", "vire", "virer", "virez", "unban", "deban", "debannis", "debannir", "dump", "dumps",
    "export", "exporte", "exporter", "emails", "email", "e-mails", "mails", "csv", "install", "installe",
    "installer", "plugin", "plugins", "deploy", "deploie", "deployer", "transfer", "transfers", "transferer",
    "transfere", "virement", "payout", "payouts", "withdraw", "withdrawal", "permission", "permissions", "perms",
    "prompt", "signature", "signatures", "seed", "firewall", "pare-feu", "replay", "rejoue", "rejouer", "bypass",
    "contourne", "contourner", "ignore", "ignorer", "adresses", "addresses",
];

/// Refuses what must never be planned, with why.
pub(crate) fn refuse(req: &Request) -> Result<(), Trouble> {
    if let Some(i) = (0..req.len()).find(|&i| req.is(i, DESTRUCTIVE) && !takes_back(req, i)) {
        return Err(Trouble::Destructive(req.raw(i).to_owned()));
    }
    let secret = [
        "mot de passe",
        "config|configuration|env fichier|file|files",
        "fichier de|d config|configuration",
        "system prompt",
        "cle|cles|key|keys|secret|token api|stripe|discord|nats|bot|webhook",
        "stripe|discord|nats|api|bot|webhook secret|private|privee|~ key|keys|cle|cles|url|uri|seed|dsn",
        "database|db|base de|~ donnees|~ url|uri|dsn|credentials|password",
        "env|dotenv file|fichier|variables|vars",
        "fichier|file env|dotenv",
    ];
    let secret = || secret.iter().find_map(|p| req.find_pattern(p));
    if let Some(i) = req.find(UNSUPPORTED).or_else(|| secret().map(|r| r.start)) {
        return Err(Trouble::Unsupported(req.raw(i).to_owned()));
    }
    let admin = [
        "droits|rights|permissions|perms|grade|role admin|administrateur|administrator|admins|moderateur|modo",
        "admin|administrateur|administrator|mod|modo|owner|root|superuser|moderator|moderateur rights|droits|perms|permissions|permission|access|acces|role|roles",
        "add|ajoute|mets|met|set make|~ me|moi|-moi as|en|comme|~ an|un|~ admin|administrateur|administrator|mod|modo|moderator|moderateur|owner|root",
        "make|rends|promote|promeus|nomme @*|~ an|un|~ admin|administrateur|administrator|moderator|moderateur|modo",
        "make|rends|rend|mets|passe|promote|promeus|rends-moi|mets-moi|passe-moi|fais-moi|nomme-moi me|moi|-moi|myself|~ a|an|un|le|the|~ server|serveur|guild|~ admin|administrateur|administrator|mod|modo|op|owner|owners|proprietaire|root|superuser|superadmin",
        "donne-moi|donne|give|grant les|me|moi|~ droits|rights admin*",
        "give|grant|donne|file|mets @*|~ le|the|~ role|grade|rang|~ admin|administrateur|administrator|mod|modo|moderator|moderateur",
    ];
    // "dm every member", "mass ban", "mp à tout le monde": one message or ban per member, never.
    let mass = [
        "mass|masse ban|bans|dm|dms|mp|mps|message|messages|kick|mention|ping",
        "dm|dms|mp|mps|pm|ban|bannis|kick ~ a|au|aux|to|~ every|all|tous|toutes|chaque|everyone|everybody|tout",
        "en masse|mass",
        // "give everyone the vip role", "donne le vip à tout le monde": one grant per member, never.
        "give|grant|donne|file|offre|add everyone|everybody|tous|all",
        "give|grant|donne|file|offre|add|retire|revoke|enleve the|le|la|les|~ vip|pro|premium|basic|role|roles|~ a|au|aux|to|~ everyone|everybody|tous|all|tout",
        "cancel|annule|annuler|resilie|resilier|refund all|tous|toutes|every les|the|~ subscriptions|abonnements|orders|commandes|memberships|sales|ventes",
        "mention|mentionne|tag|ping @everyone|@here|everyone",
    ];
    if let Some(range) = mass.iter().find_map(|p| req.find_pattern(p)) {
        return Err(Trouble::Unsupported(req.span(range.start, range.end - 1).to_owned()));
    }
    if let Some(range) = admin.iter().find_map(|p| req.find_pattern(p)) {
        return Err(Trouble::Unsupported(req.span(range.start, range.end - 1).to_owned()));
    }
    // "give the bot admin", "make <@1> a moderator": a rank given in any words.
    let rank = [
        "admin",
        "admins",
        "administrateur",
        "administrator",
        "owner",
        "moderator",
        "moderateur",
        "modo",
        "superadmin",
    ];
    let giving = [
        "give", "grant", "make", "donne", "mets", "met", "add", "ajoute", "promote", "promeus", "nomme", "rends",
        "passe", "set", "change",
    ];
    if let Some(i) = req.find(&rank).filter(|_| req.has(&giving)) {
        return Err(Trouble::Unsupported(req.raw(i).to_owned()));
    }
    // "give me a shell", "ouvre un terminal": no shell, ever (Maxis' own `!commands` are `execute`).
    if let Some(i) = req.find(&["shell", "bash", "terminal", "console", "zsh", "powershell", "cmd"]) {
        if req.find(&["!*"]).is_none() {
            return Err(Trouble::NotAllowed(req.raw(i).to_owned()));
        }
    }
    Ok(())
}

/// "drop a 10% discount", "remove the trial from pro", "remove pro from <@1>": a verb that would
/// destroy, used on an offer or on a member's role, which is no destruction.
fn takes_back(req: &Request, i: usize) -> bool {
    let soft = ["drop", "drops", "remove", "removes", "enleve", "enlever", "retire", "retirer", "vire", "virer"];
    if !req.is(i, &soft) {
        return false;
    }
    let offer = (i + 1..(i + 5).min(req.len())).any(|j| {
        req.is(j, PROMO) || req.is(j, members::TRIAL) || percent_at(req, j).is_some() || money_at(req, j).is_some()
    });
    offer || (members::member_id(req).is_some() && !req.has(&["server", "serveur", "guild"]))
}
