//! Giveaways: the prize (`giveaway Nitro`, `a Nitro giveaway`, `concours pour gagner un Nitro`),
//! the winners (`2 gagnants`, `three winners`), how long (`24h`, `une semaine`), and what starts
//! it (`à 100 membres`, `when we reach 100 members`: the seed's `100members`).

use subjects::params::{GiveawayParams, GiveawayTrigger};
use subjects::Command;

use super::catalog::Kind;
use super::items::{unknown, PLAN_WORDS};
use super::lexicon::{is_giveaway, is_known_word, is_name_like};
use super::numbers::{number_at, split_unit};
use super::text::{channel_id, word_in, Request};
use super::time::{duration_at, show_secs, show_until, take_span, Span};
use super::trouble::Trouble;
use super::{Built, Ctx};

const WINNERS: &[&str] = &[
    "gagnant",
    "gagnants",
    "gagnante",
    "gagnantes",
    "winner",
    "winners",
    "personne",
    "personnes",
    "people",
    "persons",
];
const MEMBERS: &[&str] = &["membre", "membres", "member", "members"];
/// More winners than this is no giveaway a server runs (Maxis' own `/giveaway` allows 50).
const MAX_WINNERS: u32 = 100;
/// Words before a member count: `à`, `dès`, `quand on atteint`, `when we reach`.
const REACH: &[&str] = &[
    "a",
    "our",
    "notre",
    "for",
    "pour",
    "the",
    "le",
    "at",
    "des",
    "when",
    "quand",
    "lorsque",
    "once",
    "on",
    "we",
    "nous",
    "atteint",
    "atteindra",
    "atteignons",
    "reach",
    "reaches",
    "hit",
    "hits",
    "serons",
    "sera",
    "arrive",
    "arrivera",
    "get",
    "to",
];
/// Words that end a prize.
const BREAKS: &[&str] = &[
    "pendant", "durant", "for", "during", "avec", "with", "quand", "when", "lorsque", "once", "et", "and", "sur", "on",
    "pour", "des", "a", "at", "to", "jusqu", "until", "in", "dans", ":", "=", "runs", "lasts", "dure", "durera",
    "among", "parmi", "between", "entre",
];
/// Words trimmed from both ends of a prize.
#[rustfmt::skip]
const NOISE: &[&str] = &[
    "de", "d", "du", "un", "une", "a", "an", "the", "le", "la", "l", "les", "of", "gagner", "win", "lance", "lancer",
    "launch", "start", "cree", "creer", "create", "organise", "organiser", "organize", "fais", "faire", "make", "run",
    "nouveau", "nouvel", "new", "mets", "set", "up", "prix", "prize", "lot", "avec", "with", "we", "reach", "reaches",
    "hit", "get", "nous", "on", "atteint", "atteindra", "atteignons", "atteindrons", "serons", "sera", "arrive",
    "arrivera", "is", "are", "there", "y", "gagne", "gagnez", "remporte", "remportez", "win", "wins", "do", "host",
    "hold", "throw", "can", "could", "you", "u", "please", "stp", "svp", "yo", "hey", "peux", "tu", "members",
    "membres", "member", "membre", "people", "gens", "only", "seulement", "everyone", "everybody", "tout", "monde",
];

/// Finds and claims the winners (`2 gagnants`).
fn take_winners(req: &mut Request) -> Option<u64> {
    // "with no winners", "sans gagnant": none, which is asked back.
    if req.take_pattern("no|zero|aucun|aucune|sans winners|winner|gagnants|gagnant").is_some() {
        return Some(0);
    }
    let (i, (n, end)) =
        (0..req.len()).find_map(|i| number_at(req, i).filter(|(_, end)| req.is(*end, WINNERS)).map(|f| (i, f)))?;
    req.take(i..end + 1);
    // "1.5 winners": no whole count, asked back as none.
    Some(n.whole.unwrap_or(0))
}

/// Finds and claims a member-count trigger (`à 100 membres`, `100members`).
fn take_trigger(req: &mut Request) -> Option<u64> {
    for i in 0..req.len() {
        // "our 1000th member", "notre 500e membre": an ordinal before "member" is the count.
        let ordinal = ["th", "st", "nd", "rd", "e", "eme", "ieme", "er", "ere"];
        let nth = split_unit(req.norm(i))
            .filter(|(_, u)| word_in(u, &ordinal) && req.is(i + 1, MEMBERS) && !req.is_used(i))
            .map(|(n, _)| (n, i + 2));
        let found = match split_unit(req.norm(i)).filter(|(_, u)| word_in(u, MEMBERS) && !req.is_used(i)) {
            Some((n, _)) => Some((n, i + 1)),
            None if nth.is_some() => nth,
            None => number_at(req, i).filter(|(_, end)| req.is(*end, MEMBERS)).map(|(n, end)| (n, end + 1)),
        };
        // "when we reach 300: a free mug": a count right after "reach" is members too.
        let reached = || {
            let (n, end) = number_at(req, i)?;
            let verb = ["reach", "reaches", "hit", "hits", "atteint", "atteindra", "atteignons", "atteindrons"];
            (i > 0 && req.is(i - 1, &verb) && !req.is(end, WINNERS)).then_some((n, end))
        };
        if let Some((n, end)) = found.or_else(reached) {
            let lead = (i.saturating_sub(4)..i).find(|&j| (j..i).all(|k| req.is(k, REACH))).unwrap_or(i);
            req.take(lead..end);
            return n.whole;
        }
    }
    None
}

/// The prize: the first run of free words after the giveaway word, else the last one before it.
fn take_prize(req: &mut Request, keyword: usize) -> Option<String> {
    if let Some(payload) = req.payload() {
        return Some(payload.to_owned());
    }
    let trimmed = |req: &Request, (a, b): (usize, usize)| {
        // "un mois de Premium": "un" counts there.
        let counted = |k: usize| req.is(k, &["un", "une", "one"]) && super::time::unit_secs(req.norm(k + 1)).is_some();
        let noise = |k: usize| word_in(req.norm(k), NOISE) || is_giveaway(req.norm(k));
        let a = (a..=b).find(|&k| !noise(k) || counted(k))?;
        // "Premium 1 an": a unit after a number counts there.
        let unit =
            |k: usize| k > a && number_at(req, k - 1).is_some() && req.is(k, &["an", "ans", "mois", "year", "years"]);
        let b = (a..=b).rev().find(|&k| !noise(k) || unit(k))?;
        Some((a, b))
    };
    let runs = |from: usize, to: usize| {
        let mut runs = Vec::new();
        let mut i = from;
        while i < to {
            match req.free_run(i, BREAKS) {
                Some((a, b)) => {
                    runs.push((a, b.min(to - 1)));
                    i = b + 1;
                }
                None => i += 1,
            }
        }
        runs
    };
    let after = runs(keyword + 1, req.len()).into_iter().find_map(|r| trimmed(req, r));
    let before = || runs(0, keyword).into_iter().rev().find_map(|r| trimmed(req, r));
    let (a, b) = after.or_else(before)?;
    let prize = req.span(a, b).trim_end_matches(['!', '?', '.', '…', ' ']).to_owned();
    req.take(a..b + 1);
    Some(prize)
}

/// Builds a `giveaway` order.
pub(crate) fn build(req: &mut Request, ctx: &Ctx) -> Result<Built, Trouble> {
    let lang = ctx.lang;
    let keyword = (0..req.len()).find(|&i| !req.is_used(i) && is_giveaway(req.norm(i)));
    // "2 winners, a free month of Premium": without the word, nothing is claimed in its place.
    if let Some(k) = keyword {
        req.take(k..k + 1);
    }
    let keyword = keyword.unwrap_or(0);
    let channel =
        (0..req.len()).find_map(|i| channel_id(req.norm(i)).filter(|_| !req.is_used(i)).map(|c| (i, c.to_owned())));
    if let Some((i, _)) = channel {
        req.take(i..i + 1);
    }
    // "2 or 3 winners": two counts for one giveaway.
    if let Some(r) = req.find_pattern("or|ou").filter(|r| r.start > 0) {
        let (before, after) = (number_at(req, r.start - 1), number_at(req, r.end));
        if let (Some((a, _)), Some((b, end))) = (before, after) {
            if req.is(end, WINNERS) && a.whole != b.whole {
                return Err(Trouble::Contradiction(a.text.clone(), b.text.clone()));
            }
        }
    }
    let winners = take_winners(req);
    if let (Some(a), Some(b)) = (winners, take_winners(req)) {
        if a != b {
            return Err(Trouble::Contradiction(a.to_string(), b.to_string()));
        }
    }
    let members = take_trigger(req);
    // "giveaway nitro 2 24h": a bare count before a length, or last, is the winners.
    let winners = winners.or_else(|| {
        let i = (0..req.len()).find(|&i| {
            let w = req.norm(i);
            !req.is_used(i)
                && !w.is_empty()
                && w.bytes().all(|b| b.is_ascii_digit())
                && (i + 1 >= req.len() || req.is_used(i + 1) || duration_at(req, i + 1).is_some())
                && i > keyword
        })?;
        req.take(i..i + 1);
        req.norm(i).parse().ok()
    });
    let winners = winners.unwrap_or(1);
    // "at 100 members and at 200 members": two milestones for one giveaway.
    if let (Some(a), Some(b)) = (members, take_trigger(req)) {
        if a != b {
            return Err(Trouble::Contradiction(a.to_string(), b.to_string()));
        }
    }
    if let Some(name) = req.channel_name() {
        return Err(Trouble::ChannelName(name));
    }
    let bonus = super::entry::take_bonus(req);
    let requirements = super::entry::take_requirements(req);
    let span = take_span(req, ctx.now, true);
    if let (Some(Span::For(a)), Some(Span::For(b))) = (span, take_span(req, ctx.now, true)) {
        if a != b {
            return Err(Trouble::Contradiction(show_secs(a, lang.is_fr()), show_secs(b, lang.is_fr())));
        }
    }
    let span = span.unwrap_or(Span::For(ctx.strategy.giveaway_hours.saturating_mul(3600)));
    let prize = take_prize(req, keyword).ok_or(Trouble::NoPrize)?;
    prize_plan_exists(&prize, ctx)?;
    // "for 10 years": no giveaway runs that long (a unit never dropped for the default).
    if let Some(i) = (0..req.len()).find(|&i| {
        number_at(req, i).is_some_and(|(_, end)| req.is(end, &["year", "years", "yr", "yrs", "ans", "annees"]))
    }) {
        return Err(Trouble::Absurd(req.span(i, i + 1).to_owned()));
    }
    let winners = u32::try_from(winners).unwrap_or(u32::MAX);
    if winners == 0 {
        return Err(Trouble::NoWinners);
    }
    if winners > MAX_WINNERS {
        return Err(Trouble::Absurd(format!("{winners} winners")));
    }
    let members = members.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
    let how_long = match span {
        Span::For(secs) => {
            lang.pick(format!("pendant {}", show_secs(secs, true)), format!("for {}", show_secs(secs, false)))
        }
        Span::Until(end) => show_until(end, ctx.now, lang.is_fr()),
    };
    let plural = if winners > 1 { "s" } else { "" };
    let when = match members {
        Some(m) => lang.pick(format!(", dès {m} membres"), format!(", once the server reaches {m} members")),
        None => String::new(),
    };
    let summary = lang.pick(
        format!("Lancer un giveaway « {prize} », {winners} gagnant{plural}{when}, {how_long}"),
        format!("Start a giveaway \"{prize}\", {winners} winner{plural}{when}, {how_long}"),
    );
    let done = match (lang.is_fr(), members.is_some()) {
        (true, false) => format!("🎉 Giveaway lancé ! {prize}, {winners} gagnant{plural}, {how_long}."),
        (true, true) => format!("🎉 Giveaway programmé ! {prize}, {winners} gagnant{plural}{when}, {how_long}."),
        (false, false) => format!("🎉 Giveaway started! {prize}, {winners} winner{plural}, {how_long}."),
        (false, true) => format!("🎉 Giveaway scheduled! {prize}, {winners} winner{plural}{when}, {how_long}."),
    };
    let params = GiveawayParams {
        prize,
        winners,
        duration_secs: span.secs(ctx.now),
        trigger: members.map_or(GiveawayTrigger::Now, GiveawayTrigger::Members),
        channel: channel.map(|(_, c)| c),
        requirements,
        bonus,
    };
    Ok(Built::one(Command::Giveaway(params), summary, done))
}

/// A prize that names a plan (`the Gold plan`, `un abonnement Platinum`) must name one the
/// addressed shops have; otherwise the real plans are asked for.
fn prize_plan_exists(prize: &str, ctx: &Ctx) -> Result<(), Trouble> {
    let catalog = &ctx.strategy.catalog;
    if catalog.is_empty() {
        return Ok(());
    }
    let words: Vec<String> =
        prize.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let plans = catalog.ids(Kind::Plan, ctx.target);
    let products = catalog.ids(Kind::Product, ctx.target);
    let known = |w: &str| {
        plans.iter().chain(&products).any(|id| id == w || format!("{id}s") == w)
            || is_known_word(w)
            || w.chars().all(|c| c.is_ascii_digit())
    };
    // "2 months of Platinum", "un mois de Gold": months of a subscription the shops do not sell
    // (other than the platforms' own: Nitro, Spotify…).
    const PLATFORMS: &[&str] = &[
        "nitro",
        "discord",
        "steam",
        "spotify",
        "netflix",
        "xbox",
        "gamepass",
        "psn",
        "playstation",
        "youtube",
        "twitch",
    ];
    for (i, w) in words.iter().enumerate() {
        let months = ["month", "months", "mois", "year", "years", "an", "ans", "week", "weeks", "semaine", "semaines"];
        if !word_in(w, &months) {
            continue;
        }
        let mut j = i + 1;
        while words
            .get(j)
            .is_some_and(|n| word_in(n, &["of", "de", "d", "du", "the", "le", "la", "l", "free", "gratuit"]))
        {
            j += 1;
        }
        let named = words.get(j).filter(|n| is_name_like(n) && !word_in(n, PLATFORMS) && !word_in(n, PLAN_WORDS));
        if let Some(name) = named.filter(|n| !known(n) && j > i + 1) {
            return Err(unknown(Kind::Plan, name, &plans, &products));
        }
    }
    for (i, w) in words.iter().enumerate() {
        if !word_in(w, PLAN_WORDS) {
            continue;
        }
        let around = [i.checked_sub(1), Some(i + 1)];
        let named = around
            .into_iter()
            .flatten()
            .filter_map(|j| words.get(j))
            .find(|n| is_name_like(n) && !word_in(n, &["of", "de", "du", "d"]));
        if let Some(name) = named.filter(|n| !known(n)) {
            return Err(unknown(Kind::Plan, name, &plans, &products));
        }
    }
    Ok(())
}
