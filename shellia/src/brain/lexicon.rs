//! The words the brain knows: which language a request is in, what it asks for, what it must
//! refuse, and which words can never be a name (of a shop, a plan or a product).

use super::config;
use super::members;
use super::numbers::{money_at, number_at, percent_at, split_unit};
use super::text::{word_in, Request};
use super::time::is_unit;
use super::trouble::Trouble;
use super::Lang;
use subjects::Name;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    Status,
    Config,
    Start,
    Stop,
    Restart,
    Promo,
    Giveaway,
    Analytics,
    Report,
    Execute,
    Announce,
    Resync,
    Catalog,
    Giveaways(GiveawaysOp),
    Preorders,
    Restock,
    Hide,
    Why,
    Grant { revoke: bool },
    Switch,
    Trial,
}

/// What is done to an existing giveaway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveawaysOp {
    List,
    End,
    Reroll,
    Cancel,
    Verify,
}

const EXECUTE: &[&str] = &["execute", "executer", "executez", "exec", "shell", "bash", "terminal"];
#[rustfmt::skip]
const ANNOUNCE: &[&str] = &[
    "annonce", "annoncer", "annoncez", "annonces", "announce", "announcement", "announcements", "publie", "publier", "poste", "poster",
    "post", "broadcast", "tell", "dis", "dites", "say", "send", "envoie", "envoyer", "envoyez", "dm", "dms", "mp",
    "notify", "previens", "prevenir", "informe", "informer", "message", "messages", "remind", "rappelle", "rappel",
    "publish", "publishes", "ann",
];
/// Words that always mean an announcement (the others of [`ANNOUNCE`] need a message after them).
#[rustfmt::skip]
const STRONG_ANNOUNCE: &[&str] = &[
    "annonce", "annoncer", "annoncez", "annonces", "announce", "announcement", "publie", "publier", "poste", "poster",
    "post", "broadcast", "publish", "ann",
];
const GIVEAWAY: &[&str] = &["giveaway*", "concours", "tirage", "raffle", "gw", "prize"];
#[rustfmt::skip]
pub(crate) const PROMO: &[&str] = &[
    "promo", "promos", "promotion", "promotions", "reduction", "reductions", "remise", "rabais", "discount",
    "discounts", "soldes", "sale", "coupon",
];
const ENDING: &[&str] =
    &["arrete", "arreter", "stoppe", "stop", "termine", "terminer", "end", "finish", "annule", "cancel"];
const LIST: &[&str] = &[
    "liste", "lister", "list", "montre", "montrer", "affiche", "afficher", "show", "voir", "quels", "quelles", "which",
    "cours", "running", "actifs", "active", "ongoing",
];
const REPORT: &[&str] =
    &["rapport", "rapports", "report", "reports", "bilan", "recap", "recapitulatif", "compte-rendu"];
#[rustfmt::skip]
const ANALYTICS: &[&str] = &[
    "ventes", "vente", "vendus", "sales", "sold", "revenue", "revenus", "revenu", "chiffre", "stats", "statistiques",
    "statistics", "analytics", "analytique", "conversion", "earnings", "earned", "gagne", "sell", "vendre", "vendu",
    "remboursements", "refunds", "commandes", "orders", "checkouts", "top", "mrr", "arr", "churn*", "resilie*",
    "resiliation*", "desabonne*", "unsubscribed", "cancellations", "converted", "convertis", "converti", "convertit",
    "recupere*", "recovered", "business", "abonnes", "subscribers", "memberships", "renewals", "renouvellements",
    "retention", "signups", "inscriptions", "affaires", "business", "chiffres", "numbers", "figures", "kpi", "kpis",
];
const RESTART: &[&str] =
    &["redemarre*", "restart*", "reboot*", "relance", "relancer", "relancez", "bounce", "reload", "recharge"];
#[rustfmt::skip]
const STOP: &[&str] = &[
    "ferme", "fermer", "fermez", "close", "closed", "stop", "stoppe", "arrete", "arreter", "pause", "maintenance",
    "shut", "desactive", "desactiver", "coupe", "couper", "eteins", "eteindre", "fermeture", "suspend", "suspends",
    "suspendre", "suspendu", "disable", "deactivate", "halt",
];
const START: &[&str] = &[
    "ouvre",
    "ouvrir",
    "ouvrez",
    "unpause",
    "resume",
    "reprends",
    "reprendre",
    "rouvre",
    "rouvrir",
    "reouvre",
    "reouvrir",
    "open",
    "reopen",
    "start",
    "demarre",
    "demarrer",
    "active",
    "activer",
    "enable",
    "reactivate",
    "reactive",
    "reactiver",
];
const RESYNC: &[&str] =
    &["resync*", "resynchronis*", "synchronis*", "sync", "resynchroniz*", "synchroniz*", "synchro", "resynchro"];
const CATALOG: &[&str] = &["catalogue", "catalog", "produits", "products", "articles"];
const PREORDERS: &[&str] = &["precommande*", "preorder*", "pre-order*", "pre-commande*", "preco", "precos", "precom*"];
const STATUS: &[&str] = &[
    "etat",
    "stat",
    "statut",
    "status",
    "sante",
    "health",
    "online",
    "ligne",
    "uptime",
    "version",
    "versions",
    "ping",
    "how",
    "comment",
    "va",
    "vont",
    "marche",
    "tourne",
    "doing",
    "up",
    "ok",
    "okay",
    "fine",
    "alive",
    "check",
    "checkup",
    "issue",
    "issues",
    "problem",
    "problems",
    "healthy",
    "souci",
    "soucis",
    "probleme",
    "problemes",
    "pannes",
    "panne",
    "down",
    "smoothly",
    "repond*",
    "respond*",
    "reachable",
    "joignable*",
    "dead",
    "running",
    "tournent",
    "working",
    "mort",
    "morts",
    "vivant*",
    "vie",
];

/// Common words of requests that no list above holds.
#[rustfmt::skip]
const OTHER: &[&str] = &[
    "soir", "tonight", "matin", "morning", "nuit", "night", "vite", "quickly", "asap", "immediately",
    "immediatement", "temporairement", "temporarily", "role", "roles", "membre", "bien", "tres", "very", "again",
    "encore", "aussi", "also", "just", "juste", "please", "cela", "ceci", "plait", "te", "il", "elle", "veux",
    "voudrais", "want", "would", "like", "could", "peux", "pourrais", "fais", "faire", "do", "lundi", "mardi",
    "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday",
];

/// Words that are never a shop, plan or product name.
#[rustfmt::skip]
pub(crate) const STOP_WORDS: &[&str] = &[
    "le", "la", "les", "l", "un", "une", "des", "de", "du", "d", "au", "aux", "a", "sur", "pour", "par", "dans", "en",
    "et", "ou", "avec", "sans", "chez", "vers", "the", "an", "of", "on", "for", "in", "at", "to", "by", "with", "and",
    "or", "from", "all", "every", "each", "tout", "tous", "toute", "toutes", "ce", "cet", "cette", "ces", "mon", "ma",
    "mes", "notre", "nos", "my", "our", "this", "that", "these", "those", "qui", "que", "qu", "ceux", "is", "are",
    "be", "it", "me", "moi", "nous", "we", "je", "j", "tu", "il", "pendant", "durant", "during", "depuis", "since",
    "until", "jusqu", "stp", "svp", "please", "merci", "maintenant", "now", "plan", "plans", "offre", "offres",
    "produit", "produits", "product", "products", "shop", "shops", "boutique", "boutiques", "store", "stores",
    "magasin", "magasins", "groupe", "groupes", "group", "groups", "serveur", "serveurs", "server", "servers",
    "instance", "instances", "maxis", "membres", "members", "gagnants", "gagnant", "winners", "winner", "catalogue",
    "catalog", "everything", "everyone", "rien", "inactifs", "inactive", "inactif", "code", "prix", "price", "ici",
    "here", "partout", "everywhere", "si", "if", "quand", "when", "ca", "it", "pas", "not", "no", "non", "yes", "oui",
    "then", "puis", "ensuite", "est", "sont", "ont", "has", "have", "avant", "apres", "after", "before", "abonnement",
    "abonnements", "do", "go", "so", "up", "as", "hi", "ok", "ne", "se", "sa", "ta", "te", "ni", "off",
    "you", "vous", "toi", "lui", "eux", "them", "him", "her", "real", "sure", "fun", "last", "past", "next",
    "derniers", "dernieres", "dernier", "derniere", "prochain", "prochaine", "prochains", "bot", "bots", "yo", "hey",
    "re", "ll", "ve", "s", "t", "m", "users", "utilisateurs", "folks", "people", "buyers", "customers", "clients",
    "gens", "personnes", "desormais", "dorenavant", "maintenant", "back", "again", "stuck", "lagging",
    // Chat politeness and slang: never a plan, a product or a shop.
    "thx", "thanks", "thank", "ty", "tysm", "cheers", "lol", "mdr", "ptdr", "haha", "asap", "pls", "plz", "svp",
    "bisous", "bro", "guys", "team", "xd", "rn", "btw", "merci", "beaucoup", "stp", "urgent", "vite", "only",
    "seulement", "uniquement", "monde", "peut", "pouvez", "pourrait", "pourriez", "can", "exceptionnelle",
    "exceptionnel", "exceptionnellement", "temporaire", "temporary", "many", "much", "combien",
];

/// Whether a word can be a name (of a shop, a group, a plan or a product).
pub(crate) fn is_name_like(word: &str) -> bool {
    Name::parse(word).is_ok()
        && word.chars().any(|c| c.is_ascii_alphabetic())
        && !word_in(word, STOP_WORDS)
        && !is_unit(word)
        && split_unit(word).is_none()
        && !word_in(word, PROMO)
        && !word_in(word, GIVEAWAY)
        && !word_in(word, ANNOUNCE)
}

#[rustfmt::skip]
const FRENCH: &[&str] = &[
    "le", "la", "les", "de", "des", "du", "un", "une", "sur", "pour", "et", "est", "dans", "avec", "au", "aux", "ce",
    "cette", "ces", "mets", "met", "lance", "ferme", "ouvre", "etat", "statut", "ventes", "vente", "semaine", "jour",
    "jours", "heures", "heure", "tous", "toutes", "tout", "toute", "boutique", "boutiques", "rapport", "hebdo",
    "annonce", "membres", "gagnants", "gagnant", "inactifs", "quel", "quelle", "combien", "comment", "redemarre",
    "supprime", "efface", "prix", "devise", "depuis", "pendant", "hier", "aujourd", "mois", "l", "d", "qu", "ceux",
    "qui", "ont", "vont", "va", "fais", "donne", "moi", "nous", "je", "tu", "peux", "stp", "svp", "merci", "bonjour",
    "salut", "deux", "trois", "vingt", "trente", "cinquante", "cent", "pourcent", "mais", "ou", "gagnants", "partout",
    "rouvre", "relance", "catalogue", "produits", "nouveau", "nouvelle", "nouveaux", "soldes",
];
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "the", "of", "on", "for", "and", "is", "are", "to", "set", "launch", "start", "close", "open", "sales", "week",
    "today", "day", "days", "hours", "hour", "all", "every", "report", "weekly", "members", "winners", "winner",
    "inactive", "how", "what", "when", "we", "reach", "everything", "delete", "drop", "database", "price", "this",
    "with", "a", "an", "please", "show", "list", "give", "me", "my", "our", "yesterday", "month", "monthly", "restart",
    "reboot", "announce", "announcement", "doing", "off", "run", "reopen", "until", "two", "three", "twenty", "thirty",
    "fifty", "hundred", "percent", "who", "whole", "can", "you", "i", "it", "at", "in", "by", "from", "each",
    "running", "make", "create", "everyone", "weekend", "store", "stores", "products", "catalog", "sell", "sold",
    "revenue", "shut", "down", "reason", "because", "status", "end", "cancel", "verify", "reroll", "roles",
    "preorders", "off", "hello", "hi", "hey", "new", "thanks",
];

/// The language of a request: French unless English words outnumber French ones (accents count
/// for French).
/// The words of the payload count only when the rest says nothing.
pub(crate) fn language(req: &Request) -> Lang {
    let score = |free_only: bool| {
        let (mut fr, mut en) = (0usize, 0usize);
        for i in (0..req.len()).filter(|&i| !(free_only && req.is_used(i))) {
            let (norm, raw) = (req.norm(i), req.raw(i));
            let accents = raw.chars().any(|c| "éèêàçùûôîâ".contains(c));
            fr += usize::from(word_in(norm, FRENCH)) + 2 * usize::from(accents);
            en += usize::from(word_in(norm, ENGLISH));
        }
        (fr, en)
    };
    let (fr, en) = match score(true) {
        (0, 0) => score(false),
        scores => scores,
    };
    if en > fr {
        Lang::En
    } else {
        Lang::Fr
    }
}

/// Names the intent of a request, or refuses it.
pub(crate) fn intent(req: &Request) -> Result<Intent, Trouble> {
    if (0..req.len()).all(|i| req.is_used(i)) {
        return Err(Trouble::Empty);
    }
    super::guard::refuse(req)?;
    if let Some(intent) = member_intent(req)? {
        return Ok(intent);
    }
    if req.has(members::TRIAL) && !req.has(ANALYTICS) && !req.has(&["combien", "many", "how", "started", "commences"]) {
        return Ok(Intent::Trial);
    }
    if req.find(&["!*"]).is_some() || req.has(EXECUTE) {
        return Ok(Intent::Execute);
    }
    if config::names_strong_setting(req) || config::names_channel_change(req) {
        return Ok(Intent::Config);
    }
    // "20% off pro, announce it to everyone": an amount makes it a promotion as much as the word.
    let amount = (0..req.len()).any(|i| percent_at(req, i).is_some() || money_at(req, i).is_some());
    let (promo, mut giveaway) = (req.has(PROMO), req.has(GIVEAWAY));
    // "2 winners, a free month of Premium": winners make a giveaway as much as the word.
    giveaway |= !promo && req.has(&["winners", "winner", "gagnants", "gagnant", "gagnante", "gagnantes"]);
    let offer = promo || giveaway || (amount && req.payload().is_none() && !req.has(&["que", "qu", "that"]));
    let first = (0..req.len()).find(|&i| !req.is_used(i));
    let leads = first.is_some_and(|i| req.is(i, ANNOUNCE));
    // "send", "tell", "dis", "message"… announce only a message: one after a colon or in quotes,
    // or after "que"/"that", and never in a request for figures ("send me the weekly report").
    let strong = req.has(STRONG_ANNOUNCE);
    let message_follows = req.payload().is_some() || req.has(&["que", "qu", "that", "saying", "disant"]);
    // "promo ping people" names an audience, not a status check.
    let pinged = req.find_pattern("promo|promos|promotion ping|pings").is_some();
    let figures = req.has(REPORT) || req.has(ANALYTICS) || (req.has(STATUS) && !pinged);
    let announcing = strong || (message_follows && !figures);
    if req.has(ANNOUNCE) && announcing && (leads || req.payload().is_some() || !offer) {
        return Ok(Intent::Announce);
    }
    if giveaway {
        let ops: [(&[&str], GiveawaysOp); 5] = [
            (&["reroll", "retire", "retirer", "redraw"], GiveawaysOp::Reroll),
            (&["verifie", "verifier", "verify", "check", "prouve", "proof"], GiveawaysOp::Verify),
            (&["annule", "annuler", "cancel"], GiveawaysOp::Cancel),
            (&["termine", "terminer", "cloture", "cloturer", "end", "finish", "stop", "arrete"], GiveawaysOp::End),
            (LIST, GiveawaysOp::List),
        ];
        let op = ops.iter().find(|(words, _)| req.has(words));
        // "draw the winners of 0190ab…", "prove 0190ab… was fair": a giveaway's id makes the
        // verbs of drawing, replacing and proving operations on it.
        let id = (0..req.len()).any(|i| {
            let w = req.norm(i);
            !req.is_used(i)
                && w.len() >= 8
                && w.chars().filter(char::is_ascii_digit).count() >= 3
                && w.chars().any(|c| c.is_ascii_alphabetic())
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        let by_id: [(&[&str], GiveawaysOp); 3] = [
            (&["replace", "remplace", "remplacer", "re-tirer", "retirer", "redraw"], GiveawaysOp::Reroll),
            (&["prove", "proof", "fair", "equitable", "truque", "audit"], GiveawaysOp::Verify),
            (&["close", "draw", "pick", "tire", "tirer", "cloture", "fin", "finish", "ends"], GiveawaysOp::End),
        ];
        let op = op.or_else(|| by_id.iter().find(|(words, _)| id && req.has(words)));
        // "giveaways", "@eu giveaways": the plural alone lists them.
        let alone = req.has(&["giveaways"]) && !(0..req.len()).any(|i| number_at(req, i).is_some());
        let op = op.or(alone.then_some(&ops[4]));
        return Ok(op.map_or(Intent::Giveaway, |(_, op)| Intent::Giveaways(*op)));
    }
    if req.has(PREORDERS) && !promo {
        return Ok(Intent::Preorders);
    }
    if let Some(i) = req.find(ENDING).filter(|_| promo) {
        return Err(Trouble::Unsupported(req.raw(i).to_owned()));
    }
    if promo {
        return Ok(Intent::Promo);
    }
    // "mets le stock du mug à 25", "set mug stock to 0": a stock, never a price.
    if req.has(&["restock*", "reassort*", "reapprovisionne*", "stock", "stocks"]) && !req.has(STOP) {
        return Ok(Intent::Restock);
    }
    if config::names_setting(req) {
        return Ok(Intent::Config);
    }
    if config::names_price_change(req) {
        return Ok(Intent::Config);
    }
    if (0..req.len()).any(|i| percent_at(req, i).is_some() || money_at(req, i).is_some()) {
        return Ok(Intent::Promo);
    }
    if req.find_pattern("weekly|hebdo|hebdomadaire|mensuel|monthly").is_some() && !req.has(ANALYTICS) {
        return Ok(Intent::Report);
    }
    let state = ["ouvert", "ouverte", "ouverts", "ouvertes", "fermee", "fermees", "fermes", "open", "closed"];
    let asking = ["is", "are", "est", "est-elle", "est-il", "sont", "sont-elles", "sont-ils"];
    if req.has(&state) && req.has(&asking) {
        return Ok(Intent::Status);
    }
    if req.has(&["reroll", "redraw"]) {
        return Ok(Intent::Giveaways(GiveawaysOp::Reroll));
    }
    if req.has(&["hide", "cache", "cacher", "masque", "masquer", "unlist", "delist"]) {
        return Ok(Intent::Hide);
    }
    // "close and open shop1": two opposite orders for one request.
    let closing = ["ferme", "fermer", "fermez", "close", "stop", "stoppe", "shut", "arrete", "pause"];
    let opening = ["ouvre", "ouvrir", "ouvrez", "open", "rouvre", "reopen", "start", "demarre", "unpause"];
    if let (Some(a), Some(b)) = (req.find(&closing), req.find(&opening)) {
        return Err(Trouble::Contradiction(req.raw(a).to_owned(), req.raw(b).to_owned()));
    }
    // "chart of sales", "courbe des ventes": figures drawn are the report's.
    if req.has(&["graph*", "chart*", "courbe*", "graphique*", "diagramme*"]) && req.has(ANALYTICS) {
        return Ok(Intent::Report);
    }
    let table: [(&[&str], Intent); 8] = [
        (REPORT, Intent::Report),
        (ANALYTICS, Intent::Analytics),
        (RESYNC, Intent::Resync),
        (RESTART, Intent::Restart),
        (STOP, Intent::Stop),
        (PREORDERS, Intent::Preorders),
        (START, Intent::Start),
        (STATUS, Intent::Status),
    ];
    match table.iter().find(|(words, _)| req.has(words)) {
        Some((_, Intent::Status)) if req.has(CATALOG) => Ok(Intent::Catalog),
        Some((_, intent)) => Ok(*intent),
        None if req.has(CATALOG) => Ok(Intent::Catalog),
        None if first.is_some_and(|i| req.is(i, &["run", "lance", "launch"])) => Ok(Intent::Execute),
        // "copie la base de données": the shops' data is never handed out.
        None if req.find_pattern("database|db|bdd").or_else(|| req.find_pattern("base de donnees")).is_some() => {
            Err(Trouble::Unsupported(req.text().to_owned()))
        }
        None => Err(unknown_setting(req).unwrap_or(Trouble::Unknown)),
    }
}

/// "set the theme to dark", "change la langue en anglais": a value set on something that is no
/// setting of the shops, refused with the settings there are.
fn unknown_setting(req: &Request) -> Option<Trouble> {
    let r = req.find_pattern("set|change|changer|modifie|modifier|mets|met|configure the|le|la|l|my|our|~")?;
    let name = r.end;
    let to = (name + 1..(name + 4).min(req.len())).find(|&j| req.is(j, &["to", "en", "a", "=", "on", "sur"]))?;
    let named = (name..to).all(|k| !req.is_used(k) && !word_in(req.norm(k), STOP_WORDS));
    (named && to > name && to + 1 < req.len()).then(|| Trouble::UnknownSetting(req.span(name, to - 1).to_owned()))
}

/// `why <@123>`, `give <@123> vip`, `retire le vip à <@123>`: a member named with a role word.
fn member_intent(req: &Request) -> Result<Option<Intent>, Trouble> {
    let why = req.has(members::WHY);
    let (give, take) = (req.has(members::GIVE), req.has(members::TAKE));
    // "passe <@123> au plan pro", "switch <@123> to basic": a member moved to another plan.
    if req.has(members::SWITCH) && !(why || give || take) && members::member_id(req).is_some() {
        return Ok(Some(Intent::Switch));
    }
    if !(why || give || take) {
        return Ok(None);
    }
    if members::member_id(req).is_some() {
        return Ok(Some(match (why, take) {
            (true, _) => Intent::Why,
            (false, revoke) => Intent::Grant { revoke },
        }));
    }
    let holding =
        ["role", "roles", "grade", "lose", "lost", "perdu", "has", "have", "plus", "still", "encore", "acces"];
    let named = members::member_name(req);
    match named {
        Some(name) if (why && req.has(&holding)) || ((give || take) && !req.has(GIVEAWAY)) => {
            Err(Trouble::MemberName(name))
        }
        _ => Ok(None),
    }
}

/// Whether the lexicon knows a word (so it is not an unknown name).
pub(crate) fn is_known_word(word: &str) -> bool {
    let lists: [&[&str]; 22] = [
        super::guard::DESTRUCTIVE,
        super::guard::UNSUPPORTED,
        EXECUTE,
        ANNOUNCE,
        GIVEAWAY,
        PROMO,
        ENDING,
        LIST,
        REPORT,
        ANALYTICS,
        RESTART,
        STOP,
        START,
        RESYNC,
        CATALOG,
        PREORDERS,
        STATUS,
        STOP_WORDS,
        FRENCH,
        ENGLISH,
        OTHER,
        &["est-ce", "bien", "roles"],
    ];
    lists.iter().any(|list| word_in(word, list)) || is_unit(word)
}

/// Whether a word opens an announcement.
pub(crate) fn is_announce(word: &str) -> bool {
    word_in(word, ANNOUNCE)
}

/// Whether a word names a giveaway.
pub(crate) fn is_giveaway(word: &str) -> bool {
    word_in(word, GIVEAWAY)
}
