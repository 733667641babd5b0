//! Operations: status, open and close (with the reason buyers see), restart, resync, Maxis's own
//! allow-listed commands (`exécute !status`), announcements, and the lists (catalog, preorders,
//! giveaways) and giveaway actions (end, reroll, cancel, verify).

use subjects::params::{
    AnnounceParams, Audience, CatalogParams, ExecuteParams, GiveawaysParams, RestartParams, ResyncParams, StartParams,
    StatusParams, StopParams,
};
use subjects::Command;

use super::audience::{show_audience, take_audience};
use super::lexicon::STOP_WORDS;
use super::lexicon::{is_announce, is_giveaway, is_known_word, GiveawaysOp, Intent};
use super::target::show_target;
use super::text::{channel_id, word_in, Request};
use super::trouble::Trouble;
use super::{Built, Ctx, Lang};

/// The commands Maxis accepts through `execute`.
const ALLOWED: &[&str] = &["!status", "!open", "!close", "!announce", "!config", "!analytics", "!report"];
const REASON: &[&str] = &["pour", "for", "car", "parce", "because", "raison", "reason", "cause", "motif", "due"];
/// Words skipped at the start of a reason or a message.
const LEAD: &[&str] = &[
    "que", "qu", "cause", "de", "d", "du", "l", "le", "la", "les", "the", "a", "an", "to", "of", "raison", "reason",
    "motif", "message", "ce", "this", "that", ":",
];

fn built(command: Command, lang: Lang, summary: (&str, &str), done: (String, String)) -> Built {
    Built::one(command, lang.pick(summary.0, summary.1).to_owned(), lang.pick(done.0, done.1))
}

/// Finds and claims the free text from token `i` on, leading filler words skipped.
fn take_text(req: &mut Request, mut i: usize) -> Option<String> {
    while i < req.len() && (req.is_used(i) || req.is(i, LEAD)) {
        i += 1;
    }
    let (a, b) = req.free_run(i, &[])?;
    let text = req.span(a, b).to_owned();
    req.take(a..b + 1);
    Some(text)
}

/// Finds and claims an announcement's words from token `i` on: only the connecting words are
/// skipped (`que`, `that`, `saying`), never the message's own articles.
fn take_message(req: &mut Request, mut i: usize) -> Option<String> {
    while i < req.len() && (req.is_used(i) || req.is(i, &["que", "qu", "that", "saying", "disant", "a", "to"])) {
        i += 1;
    }
    let (a, b) = req.free_run(i, &[])?;
    let text = req.span(a, b).to_owned();
    req.take(a..b + 1);
    Some(text)
}

/// Builds the order of an operation intent.
pub(crate) fn build(intent: Intent, req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let lang = ctx.lang;
    let (fr, en) = (show_target(ctx.target, true), show_target(ctx.target, false));
    Ok(match intent {
        Intent::Status => built(
            Command::Status(StatusParams {}),
            lang,
            ("Demander l'état", "Ask for the status"),
            (format!("🟢 Voici l'état de {fr}."), format!("🟢 Here is the status of {en}.")),
        ),
        Intent::Start => built(
            Command::Start(StartParams {}),
            lang,
            ("Ouvrir la boutique", "Open the shop"),
            ("✅ Boutique ouverte.".to_owned(), "✅ Shop open.".to_owned()),
        ),
        Intent::Stop => stop(req, lang),
        Intent::Restart => built(
            Command::Restart(RestartParams {}),
            lang,
            ("Redémarrer", "Restart"),
            ("🔄 Redémarrage en cours.".to_owned(), "🔄 Restarting.".to_owned()),
        ),
        Intent::Resync => built(
            Command::Resync(ResyncParams {}),
            lang,
            ("Revérifier les rôles de chaque membre", "Re-check every member's roles"),
            ("🔁 Rôles revérifiés.".to_owned(), "🔁 Roles re-checked.".to_owned()),
        ),
        Intent::Catalog => built(
            Command::Catalog(CatalogParams::List),
            lang,
            ("Lister le catalogue", "List the catalog"),
            ("🛒 Voici le catalogue.".to_owned(), "🛒 Here is the catalog.".to_owned()),
        ),
        Intent::Giveaways(op) => giveaways(op, req, lang)?,
        Intent::Restock | Intent::Hide => catalog_change(intent, req, ctx)?,
        Intent::Execute => execute(req, lang)?,
        Intent::Announce => announce(req, lang)?,
        Intent::Promo
        | Intent::Giveaway
        | Intent::Config
        | Intent::Analytics
        | Intent::Report
        | Intent::Why
        | Intent::Grant { .. }
        | Intent::Switch
        | Intent::Trial
        | Intent::Preorders => return Err(Trouble::Unknown),
    })
}

fn stop(req: &mut Request, lang: Lang) -> Built {
    let reason = req.payload().map(str::to_owned).or_else(|| {
        let i = req.find(REASON)?;
        take_text(req, i + 1).map(|r| r.trim_end_matches(['!', '.', ' ']).to_owned())
    });
    // The seed's short form: `stop inventaire` (the words right after the verb).
    let reason = reason.or_else(|| {
        let first = (0..req.len()).find(|&i| !req.is_used(i))?;
        let next = first + 1;
        let plain = ["inventaire", "inventory", "maintenance", "travaux", "vacances", "holidays"];
        let readable = !req.is_used(next) && (!is_known_word(req.norm(next)) || req.is(next, &plain));
        (req.is(first, &["stop", "close", "ferme"]) && readable).then(|| take_text(req, next)).flatten()
    });
    // "close all shops, inventory": a reason word anywhere.
    let plain = ["maintenance", "inventaire", "inventory", "travaux", "vacances", "holidays", "restocking", "reassort"];
    let reason = reason.or_else(|| req.find(&plain).map(|i| req.norm(i).to_owned()));
    let done = match &reason {
        Some(r) => (format!("⛔ Boutique fermée ({r})."), format!("⛔ Shop closed ({r}).")),
        None => ("⛔ Boutique fermée.".to_owned(), "⛔ Shop closed.".to_owned()),
    };
    let summary = match &reason {
        Some(r) => lang.pick(format!("Fermer la boutique (raison : {r})"), format!("Close the shop (reason: {r})")),
        None => lang.pick("Fermer la boutique", "Close the shop").to_owned(),
    };
    Built::one(Command::Stop(StopParams { reason }), summary, lang.pick(done.0, done.1))
}

fn execute(req: &mut Request, lang: Lang) -> Result<Built, Trouble> {
    let bang = (0..req.len()).find(|&i| !req.is_used(i) && req.norm(i).starts_with('!'));
    let line = match (req.payload(), bang) {
        (Some(payload), _) => payload.to_owned(),
        (None, Some(i)) => take_text(req, i).unwrap_or_default(),
        (None, None) => {
            let rest = (0..req.len()).find(|&i| !req.is_used(i)).and_then(|i| req.free_run(i, &[]));
            return Err(Trouble::NotAllowed(rest.map(|(a, b)| req.span(a, b).to_owned()).unwrap_or_default()));
        }
    };
    let first = line.split_whitespace().next().unwrap_or_default().to_lowercase();
    if !ALLOWED.contains(&first.as_str()) {
        return Err(Trouble::NotAllowed(line));
    }
    // "!config stripe.secret_key": a command reads only the settings an order may read.
    if first == "!config" {
        let key = line.split_whitespace().nth(1).unwrap_or_default().to_lowercase();
        if !key.is_empty() && !super::config::allowed(&key.replacen("price_", "price.", 1)) {
            return Err(Trouble::UnknownSetting(key));
        }
    }
    let summary = lang.pick(format!("Exécuter la commande Maxis {line}"), format!("Run the Maxis command {line}"));
    let done = lang.pick(format!("✅ Commande {line} exécutée."), format!("✅ Ran {line}."));
    Ok(Built::one(Command::Execute(ExecuteParams { command: line }), summary, done))
}

fn announce(req: &mut Request, lang: Lang) -> Result<Built, Trouble> {
    if let Some(name) = req.channel_name() {
        return Err(Trouble::ChannelName(name));
    }
    if let Some(name) = super::audience::role_named(req) {
        return Err(Trouble::RoleName(name));
    }
    let channel =
        (0..req.len()).find_map(|i| channel_id(req.norm(i)).filter(|_| !req.is_used(i)).map(|c| (i, c.to_owned())));
    if let Some((i, _)) = channel {
        req.take(i..i + 1);
    }
    let keyword = (0..req.len()).find(|&i| !req.is_used(i) && is_announce(req.norm(i))).unwrap_or(0);
    req.take(keyword..keyword + 1);
    let audience = take_audience(req, &super::Strategy::default());
    if let Some(words) = audience.is_none().then(|| super::audience::unknown_audience(req)).flatten() {
        return Err(Trouble::UnknownAudience(words));
    }
    let audience = audience.unwrap_or(Audience::Everyone);
    // "dis aux membres que …", "tell the members that …": every member, said in words.
    if req.payload().is_none() {
        let members = "a|aux|au|to|~ the|les|nos|our|all|tous|~ membres|members|gens|people|users|utilisateurs|clients|customers|folks";
        if let Some(r) = req.find_pattern(members).filter(|r| r.start == keyword + 1) {
            req.take(r);
        }
    }
    let message = match req.payload() {
        Some(payload) => payload.to_owned(),
        None => take_message(req, keyword + 1).ok_or(Trouble::NoMessage)?,
    };
    let filler =
        ["stp", "svp", "please", "merci", "thanks", "something", "quelque", "chose", "qqch", "now", "maintenant"];
    let words: Vec<String> =
        message.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    // Typed without quotes or a colon, a message has at least two words of its own once the
    // structure words are set aside ("announce to inactive members" has none).
    let own = words
        .iter()
        .filter(|w| {
            !(filler.contains(&w.as_str())
                || is_announce(w)
                || word_in(w, STOP_WORDS)
                || matches!(w.as_str(), "an" | "une" | "annonce" | "announcement" | "announcements" | "annonces"))
        })
        .count();
    if req.payload().is_none() && own < 2 {
        return Err(Trouble::NoMessage);
    }
    let who = show_audience(&audience, lang.is_fr());
    let summary = lang.pick(format!("Annoncer « {message} » {who}"), format!("Announce \"{message}\" to {who}"));
    let done =
        lang.pick(format!("📣 Annonce publiée : « {message} »"), format!("📣 Announcement posted: \"{message}\""));
    let params = AnnounceParams { message, audience, channel: channel.map(|(_, c)| c) };
    Ok(Built::one(Command::Announce(params), summary, done))
}

fn giveaways(op: GiveawaysOp, req: &mut Request, lang: Lang) -> Result<Built, Trouble> {
    if op == GiveawaysOp::List {
        return Ok(built(
            Command::Giveaways(GiveawaysParams::List),
            lang,
            ("Lister les giveaways", "List the giveaways"),
            ("🎁 Voici les giveaways.".to_owned(), "🎁 Here are the giveaways.".to_owned()),
        ));
    }
    let id = (0..req.len())
        .filter(|&i| !req.is_used(i) && !is_giveaway(req.norm(i)))
        .map(|i| req.raw(i).trim_start_matches('#'))
        .find(|w| {
            w.len() >= 6
                && w.chars().any(|c| c.is_ascii_digit())
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .ok_or(Trouble::NoGiveawayId)?;
    let (params, fr, en) = match op {
        GiveawaysOp::End => (GiveawaysParams::End { id: id.clone() }, "Terminer le giveaway", "End giveaway"),
        GiveawaysOp::Reroll => (
            // "reroll <@1> in giveaway …": that winner only.
            GiveawaysParams::Reroll { id: id.clone(), replace: super::members::member_id(req) },
            "Retirer les gagnants du giveaway",
            "Reroll giveaway",
        ),
        GiveawaysOp::Cancel => (GiveawaysParams::Cancel { id: id.clone() }, "Annuler le giveaway", "Cancel giveaway"),
        GiveawaysOp::Verify | GiveawaysOp::List => {
            (GiveawaysParams::Verify { id: id.clone() }, "Vérifier le tirage du giveaway", "Verify giveaway")
        }
    };
    let summary = lang.pick(format!("{fr} {id}"), format!("{en} {id}"));
    let done = lang.pick(format!("🎁 {fr} {id} : fait."), format!("🎁 {en} {id}: done."));
    Ok(Built::one(Command::Giveaways(params), summary, done))
}

/// `restock the mug to 50`, `cache le produit mug`: a product of the catalog, its new stock.
fn catalog_change(intent: Intent, req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let lang = ctx.lang;
    let id = if ctx.strategy.catalog.is_empty() {
        let word = ["product", "produit", "the", "le", "la", "les"];
        let i = (0..req.len()).find(|&i| {
            !req.is_used(i)
                && super::lexicon::is_name_like(req.norm(i))
                && !is_known_word(req.norm(i))
                && !req.is(i, &word)
        });
        i.map(|i| req.norm(i).to_owned()).ok_or(Trouble::NoPromoTarget)?
    } else {
        match super::items::take_items(req, ctx)?.as_slice() {
            [(_, id)] => id.clone(),
            [] => return Err(Trouble::NoPromoTarget),
            several => {
                let ids: Vec<&str> = several.iter().map(|(_, id)| id.as_str()).collect();
                return Err(Trouble::AmbiguousItem { name: ids.join(" / "), candidates: ids.join(", ") });
            }
        }
    };
    if intent == Intent::Hide {
        let summary = lang.pick(format!("Retirer {id} de la vente"), format!("Hide {id} from sale"));
        let done = lang.pick(format!("🙈 {id} n'est plus en vente."), format!("🙈 {id} is hidden."));
        return Ok(Built::one(Command::Catalog(CatalogParams::Hide { id }), summary, done));
    }
    let stock = (0..req.len()).find_map(|i| super::numbers::number_at(req, i)).and_then(|(n, _)| n.whole);
    let stock = stock.ok_or(Trouble::NoSettingValue("stock".to_owned()))?;
    let units = i64::try_from(stock).map_err(|_| Trouble::Absurd(stock.to_string()))?;
    let summary = lang.pick(format!("Mettre le stock de {id} à {units}"), format!("Set the stock of {id} to {units}"));
    let done = lang.pick(format!("📦 Stock de {id} : {units}."), format!("📦 Stock of {id}: {units}."));
    Ok(Built::one(Command::Catalog(CatalogParams::Stock { id, stock: Some(units) }), summary, done))
}
