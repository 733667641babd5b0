//! Stage 1 of the pipeline: the request as admins type it, made regular before any reading.
//! Typographic quotes and minus signs become plain ones; the `!maxis` / `/maxis` / `maxis`
//! command prefix pasted into a request is dropped; chat shorthand is spelled out (`pdt`,
//! `pls`, `w/`, `CA`); fractions and their words become percents (`a fifth off` → `20% off`,
//! `moitié prix` → `50%`, `3/4` → `75%`); thousands are joined (`1k`, `2,500 members`); common
//! typos of the words that carry the intent are corrected; and every negative number is set
//! apart, so no sign is ever lost: a sign that means "off" (`-30%`, `-5€ sur le mug`) is dropped,
//! any other (`price to -10`, `-2 winners`, `-$5 off`) makes the request refused.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::catalog::edit_distance;

/// A request after normalization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Normalized {
    /// The regular text, read by the next stages.
    pub(crate) text: String,
    /// Negative amounts that cannot be a discount's sign, as written.
    pub(crate) negatives: Vec<String>,
    /// The request as written (only quotes, dashes and the command prefix made regular): what a
    /// message or a quoted name is taken from, word for word.
    pub(crate) written: String,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern {pattern:?}: {e}"))
}

macro_rules! regex {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| re($pattern));
    };
}

regex!(PREFIX, r"(?i)^((?:<@!?\d+>|@shellia)[\s,:]*)?(?:[!/]maxis\b|maxis\s)\s*");
regex!(THOUSANDS_K, r"(?i)\b(\d+(?:[.,]\d)?)\s?k\b");
regex!(THOUSANDS_SEP, r"(?i)\b(\d{1,3})[ ,.\u{202f}\u{a0}](\d{3})\b(\s*(?:members?|membres?|people|personnes|users))");
regex!(FRACTION, r"(?:^|[\s(])(\d{1,2})\s?/\s?(\d{1,2})(?:$|[\s,.!?)])");
regex!(NEGATIVE, r"(?i)(^|[\s(:=à])-\s?(\d[\d.,]*)(\s?(?:%|€|\$|eur\b|euros?\b|dollars?\b|usd\b))?(\s+off\b)?");
regex!(REVENUE, r"\bCA\b");
regex!(
    NUMERIC_DATE,
    r"(?i)(\b(?:le|du|au|on|the|from|to|until|till|jusqu'au|starting|d[èe]s|before|avant|ends?|expires?|since|depuis)\s+)(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b"
);
regex!(EUROS_CENTS, r"(?i)\b(\d+)\s?(€|eur|euros?)\s?(\d{2})\b");
regex!(HOURS_MINUTES, r"(?i)(^|\s)(\d{1,2})\s?h\s?([0-5]\d)(?:\s?min)?\b");
regex!(DOLLAR_NEG, r"(?i)(?:^|\s)(?:\$-\s?\d|-\s?[$€£]\s?\d[\d.,]*\s+off\b)");

/// Phrases spelled out, in order (patterns are case-insensitive, on whole words).
const PHRASES: &[(&str, &str)] = &[
    (r"\b(?:à\s+|a\s+)?moiti[ée]\s+prix\b", "50%"),
    (r"\bhalf[\s-]+(?:off|price|priced)\b", "50% off"),
    (r"\bhalf\s+(upfront|up\s+front|now|down|deposit)\b", "50% $1"),
    (r"\bla\s+moiti[ée]\b", "50%"),
    (r"\bmoiti[ée]\b", "50%"),
    (r"\b(?:a\s+|one\s+)?quarter[\s-]+off\b", "25% off"),
    (r"\bthree[\s-]+quarters?[\s-]+off\b", "75% off"),
    (r"\b(?:a|one)\s+(?:fifth|5th)[\s-]+off\b", "20% off"),
    (r"\b(?:a|one)\s+tenth[\s-]+off\b", "10% off"),
    (r"\b(?:a|one)\s+third[\s-]+off\b", "33.3% off"),
    (r"\btrois\s+quarts\b", "75%"),
    (r"\b(?:two|2)\s+thirds?[\s-]+off\b", "66% off"),
    (r"\bdeux\s+tiers\b", "66%"),
    (r"\bun\s+quart\b", "25%"),
    (r"\bun\s+cinqui[èe]me\b", "20%"),
    (r"\bun\s+dixi[èe]me\b", "10%"),
    (r"\bun\s+tiers\b", "33.3%"),
    (r"\bpdt\b", "pendant"),
    // "1 semaine et demie", "a day and a half", "a fortnight": whole units and halves.
    (r"\b(\d+)\s+(jours?|heures?|semaines?|days?|hours?|weeks?)\s+(?:et\s+demie?|and\s+a\s+half)\b", "$1.5 $2"),
    (
        r"\b(?:a|an|one|un|une)\s+(day|hour|week|jour|heure|semaine|journ[ée]e)\s+(?:and\s+a\s+half|et\s+demie?)\b",
        "1.5 $1",
    ),
    (r"\b(?:a\s+)?fortnight\b", "2 weeks"),
    (r"\bw/", "with "),
    (r"\bpls\b|\bplz\b|\bplease\b", "please"),
    (r"\bgimme\b", "give me"),
    (r"\br[ée]duc\b", "réduction"),
    (r"\br[ée]ducs\b", "réductions"),
    (r"\bbest[\s-]?sellers?\b", "top products"),
    (r"\bmeilleures?\s+ventes\b", "top ventes"),
    (r"\bles\s+plus\s+vendus\b", "top ventes"),
    (
        r"\bhow\s+much(?:\s+money|\s+revenue|\s+cash)?\s+(?:did\s+we|have\s+we|we)\s+(?:make|made|sell|sold|earn|earned)\b",
        "sales",
    ),
    (r"\bthe\s+numbers\b", "the sales"),
    (r"\bwhat\s+(?:did|have)\s+we\s+(?:make|made|sell|sold|earn|earned)\b", "sales"),
    (r"\bback\s+(?:up|online|open)\b", "open"),
    (r"\bbring\s+(.+?)\s+open\b", "open $1"),
    (r"\b(?:take|put)\s+(.+?)\s+offline\b", "close $1"),
    (r"\bgo\s+offline\b", "close"),
    (r"\bl'ensemble\s+des\b", "tous les"),
    (
        r"\bcombien\s+(?:on\s+a|avons-nous|a-t-on|j'ai|on\s+a\s+d[ée]j[àa])\s+(?:fait|gagn[ée]|vendu|encaiss[ée]|rapport[ée])\b",
        "ventes",
    ),
    (r"\bhow\s+(?:did|are|were)\s+(?:we|sales)\s+(?:do|doing|going)\b", "sales"),
    (
        r"\bse\s+vendent\s+le\s+(?:mieux|plus)\b|\b(?:sell|sells|selling)\s+(?:the\s+)?best\b|\bbest[\s-]selling\b",
        "top ventes",
    ),
    (
        r"\b(?:kill|stop|shut\s+down)\s+(.+?)\s+and\s+(?:re)?start\s+(?:them|it)(?:\s+(?:again|back\s+up))?",
        "restart $1",
    ),
    (r"\bturn\s+(.+?)\s+off\s+and\s+(?:back\s+)?on(?:\s+again)?\b", "restart $1"),
    (r"\b(?:[ée]teins?\s+et\s+rallume|[ée]teindre\s+et\s+rallumer)\b", "redémarre"),
    (r"\bturn\s+(.+?)\s+back\s+on\b", "open $1"),
    // Settings said as sentences: the cap, the currency, the name, the channels.
    (
        r"\b(promos?|discounts?|r[ée]ductions?|remises?)\s+(?:can't|cannot|can\s+not|shouldn't|should\s+not|must\s+not|mustn't|won't)\s+(?:go\s+)?(?:over|above|exceed|beyond|past|more\s+than)\b",
        "cap $1 at",
    ),
    (r"\bnever\s+more\s+than\s+(\d+\s?%)(?:\s+off)?\b", "cap promos at $1"),
    (r"\b(?:we\s+)?sell\s+in\s+(pounds?|dollars?|euros?|usd|eur|gbp)\b", "set currency to $1"),
    (r"\b(?:on\s+)?vend\s+en\s+(livres?|dollars?|euros?|usd|eur|gbp)\b", "passe la devise en $1"),
    (r"\b(?:the\s+)?(?:shop|store)\s+is\s+(?:now\s+)?called\b", "rename the shop to"),
    (r"\bappelle[rz]?\s+la\s+boutique\b", "renomme la boutique en"),
    (
        r"\b(?:which|what)\s+channel\s+(?:do|does|are|is)\s+(?:the\s+)?(announcements?|giveaways?)\s+(?:go|get\s+posted|posted|sent)(?:\s+(?:to|in|into))?",
        "$1 channel",
    ),
    // A product taken off sale is hidden; what is sold is the catalog.
    (r"\b(?:take|put|pull)\s+(.+?)\s+off\s+(?:sale|the\s+shop|the\s+store)\b", "hide $1"),
    (r"\b(?:retire[rz]?|enl[èe]ve[rz]?)\s+(.+?)\s+de\s+la\s+(?:vente|boutique)\b", "cache $1"),
    (r"\bwhat\s+(?:do\s+)?we\s+sell\b|\bce\s+qu'on\s+vend\b", "catalog"),
    // The closed message and the currency said as sentences.
    (
        r"\b(?:(?:le\s+)?message\s+)?(?:quand|lorsque|when|while)\s+(?:c'est|la\s+boutique\s+est|le\s+shop\s+est|the\s+shop\s+is|it's|it\s+is|we're|we\s+are|on\s+est)\s+(?:ferm[ée]e?s?|closed),?\s*(?:(?:affiche|afficher|montre|mets|dis|show|display|say|says)\b)?",
        "message de fermeture ",
    ),
    (r"\b(?:factur\w*|bill|charge)\s+(?:en|in)\s+(dollars?|euros?|usd|eur|gbp|livres?|pounds?)\b", "devise en $1"),
    (r"\b(?:pause|suspend|halt|freeze|stop)\s+(?:the\s+|all\s+)?(?:sales|selling|orders)\b", "close"),
    (r"\b(?:suspends?|arr[êe]te|stoppe|bloque)\s+(?:les\s+|toutes\s+les\s+)?(?:ventes|commandes)\b", "ferme"),
    (r"\b(?:fix|repair|r[ée]pare)\s+(?:the\s+|les\s+|all\s+the\s+)?(?:member\s+)?r[ôo]les\b", "resync roles"),
    (
        r"\b(?:on\s+(?:sera|seras|est)|nous\s+serons|we(?:'re|\s+are|'ll\s+be|\s+will\s+be))\s+(\d+)(?:\s+(?:sur\s+le\s+serveur|sur\s+discord|on\s+the\s+server|in\s+the\s+server|on\s+discord))?",
        "on atteint $1 membres",
    ),
    (r"\b(\d+)\s+(?:membres?|members?)\s+(?:membres?|members?)\b", "$1 membres"),
    (r"\bmake\s+(?:the\s+)?([a-z0-9_-]+)(?:\s+plan)?\s+(?:cost|be)\s+", "set $1 price to "),
    (
        r"\b(?:don't|do\s+not|never)\s+let\s+(?:the\s+)?(promos?|discounts?|promotions?)\s+(?:go\s+)?(?:above|over|beyond|past|exceed)\b",
        "cap $1 at",
    ),
    (
        r"\b(?:les\s+)?(promos?|r[ée]ductions?|remises?)\s+(?:ne\s+(?:doivent|peuvent)\s+pas\s+d[ée]passer|jamais\s+plus\s+de|pas\s+plus\s+de)\b",
        "plafonne les $1 à",
    ),
    (
        r"\b(?:drop|lower|cut|reduce|slash)\s+(?:the\s+)?(?:price\s+of\s+(?:the\s+)?)?([a-z0-9_-]+)(?:\s+plan)?(?:\s+price)?\s+by\s+(\d+\s?%)",
        "$2 off $1",
    ),
    (
        r"\bbaisse[rz]?\s+(?:le\s+)?prix\s+(?:du|de\s+la|de\s+l'|des)\s*(?:plan\s+)?([\w-]+)\s+de\s+(\d+\s?%)",
        "promo $2 sur $1",
    ),
    (r"\bl'ensemble\s+du\b", "tout le"),
    (r"\bl'ensemble\s+de\s+la\b", "toute la"),
    (
        r"\blet\s+(everyone|everybody|people|all\s+members|the\s+members|members)\s+know\s+(?:that\s+)?",
        "announce to $1: ",
    ),
    (r"\bremets?\s+en\s+(?:ligne|route|marche)\b", "rouvre"),
    (r"\bmets?\s+hors\s+ligne\b", "ferme"),
    (r"\b(?:are\s+)?(?:u|you)\s+(?:there|alive|awake|up)\b", "status"),
    (r"\b(?:t'es|tu\s+es|t\s+es)\s+(?:l[àa]|r[ée]veill[ée]e?|en\s+vie)\b", "statut"),
    (r"\b(?:tout|[çc]a)\s+roule\b", "statut"),
    (r"\b(?:everything|all|things)\s+(?:good|ok|okay|fine|alright)\b", "status"),
    (r"\b(?:tout|[çc]a)\s+(?:va|est\s+ok|fonctionne|marche)\s+bien\b", "statut"),
    (r"\brelance[rz]?\s+le\s+tirage\b|\bre-?tire[rz]?\s+au\s+sort\b|\bredraw\b|\bre-?roll\b", "reroll"),
    (r"\b(?:on\s+fait|pour\s+faire)\s+l'inventaire\b", "pour inventaire"),
    (r"\ble\s+temps\s+d(?:e\s+|'|es\s+|u\s+)", "pour "),
    (r"\bfor\s+a\s+(?:bit|while|moment|sec|second|few\s+minutes)\b", ""),
    (r"\b(?:pour\s+)?un\s+(?:moment|instant|petit\s+moment)\b", ""),
    (r"\b(is|est|costs?|co[uû]te)\s+(now|d[ée]sormais|maintenant)\s+(\d)", "$1 $2 at $3"),
    (r"\bgiveaway\s+time\b", "giveaway"),
    // "ping the promo people: …", "dm everyone inactive for 60 days: …": an announcement to them.
    (r"^\s*ping\s+(?:the\s+|les\s+)?(promo|everyone|everybody|members|membres|people|folks)\b", "announce to the $1"),
    (
        r"\b(?:dm|dms|mp)\s+(?:everyone|everybody|all\s+(?:the\s+)?members|tous\s+les\s+membres|tout\s+le\s+monde|les\s+membres|the\s+members)\s+(inacti\w*)",
        "announce to members $1",
    ),
    (r"\b(\d{1,2})\s+(.+?)\s+(?:à\s+gagner|to\s+win|up\s+for\s+grabs)\b", "giveaway $2 pour $1 gagnants"),
    (
        r"\bqui\s+(?:finit|se\s+termine|termine|s'arr[êe]te)\s+(demain|ce\s+soir|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)",
        "jusqu'à $1",
    ),
    (
        r"\b(?:ending|ends|finishing)\s+(tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
        "until $1",
    ),
    (r"\b(?:saying|disant|qui\s+dit)\s+(?:that\s+|que\s+|qu')?", ": "),
    (r"\b(?:running|lasting|qui\s+tourne)\s+(?:for\s+|pendant\s+)?(\d)", "for $1"),
    (r"\brefresh\s+(?:the\s+|everyone's\s+|all\s+|all\s+the\s+|member\s+|members'\s+)*roles\b", "resync roles"),
    (r"\bre-?check\s+(?:the\s+|everyone's\s+|all\s+)*roles\b", "resync roles"),
    (r"\b(\d+)\s+(?:lucky|random|chanceux|chanceuses|heureux|heureuses)\s+(winners?|gagnants?|gagnantes?)\b", "$1 $2"),
    (r"\bre-?sync(?:hroni[sz]e)?\b", "resync"),
    (r"\bx\s?(\d+)\s+(winners?|gagnants?)\b", "$1 $2"),
    (r"\b(\d+)\s?x\s+(winners?|gagnants?)\b", "$1 $2"),
    (r"\b(?:ends?|ending|lasts?|lasting|runs?|running|closes?|closing)\s+(?:in|for|after)\b", "for"),
    (r"\bqui\s+(?:dure|durera|se\s+termine\s+dans|finit\s+dans)\b", "pendant"),
    (r"\b(?:se\s+termine|finit|termine)\s+dans\b", "pendant"),
    (r"\b(?:should|will|must)\s+cost\b|\bcosts\b|\bco[uû]te(?:ra|nt)?\b", "price"),
    (
        r"\b(?:bump|raise|lower|increase|decrease|reprice)\s+(?:the\s+)?([a-z0-9_-]+)(?:\s+plan)?\s+(?:price\s+)?to\b",
        "set $1 price to",
    ),
    (r"\bswitch\s+(?:the\s+)?(?:currency\s+)?to\s+(dollars?|euros?|usd|eur|gbp|pounds?)\b", "set currency to $1"),
    (
        r"\bpasse\s+(?:la\s+boutique\s+|le\s+shop\s+)?en\s+(dollars?|euros?|usd|eur|gbp|livres?)\b",
        "passe la devise en $1",
    ),
    (r"\bpromos?\s+(?:should\s+|must\s+|will\s+)?last\s+(.+?)\s+by\s+default\b", "default promo duration $1"),
    (r"\bby\s+default\s+promos?\s+(?:should\s+|must\s+|will\s+)?last\s+", "default promo duration "),
    (r"\bles\s+promos?\s+(?:doivent\s+)?dur(?:ent|er)\s+(.+?)\s+par\s+d[ée]faut\b", "durée par défaut des promos $1"),
    (
        r"\b(?:who\s+|that\s+)?(?:haven't|have\s+not|hasn't|has\s+not|didn't|did\s+not|weren't)\s+(?:been\s+)?(?:active|around|seen|online|bought\s+anything|bought|purchased\s+anything|purchased|shown\s+up|logged\s+in|posted)\s+(?:in|for|since|during|over)\b",
        "inactive for",
    ),
    (
        r"\b(?:qui\s+)?(?:(?:ne\s+|n')?sont\s+pas\s+(?:actifs?|venus?|connectés?|passés?|revenus?)|(?:ne\s+|n')?(?:viennent|passent)\s+plus|n'ont\s+pas\s+été\s+actifs?|(?:n')?ont\s+rien\s+acheté|(?:n')?ont\s+pas\s+(?:acheté|commandé|été\s+actifs?)|ne\s+se\s+sont\s+pas\s+connectés|sont\s+inactifs)\s+depuis\b",
        "inactifs depuis",
    ),
    (r"\((\d+)\s*\+?\s*(days?|jours?|d|j)\)", "for $1 $2"),
    (r"\b(\d+)\s*\+\s*(days?|jours?)", "$1 $2"),
    (
        r"\b(?:(?:fais|fait|faire|faites|on\s+fait|on\s+va\s+faire)\s+gagner|give\s+away|giving\s+away|raffle\s+off|tirage\s+au\s+sort(?:\s+(?:de|d'|du))?)\b",
        "giveaway",
    ),
    (r"\b(?:fais|faites)\s+giveaway\b", "giveaway"),
    (r"\bmois-ci\b", "mois"),
    (r"\bsemaine-ci\b", "semaine"),
    (
        r"\b(?:single|one)[\s-]+(?:use|time|shot)\b|\busage\s+unique\b|\butilisable\s+une\s+(?:seule\s+)?fois\b",
        "limited to 1 uses",
    ),
    (
        r"\b(announcements?|annonces?|promos?|promotions?)\s+(?:should|must|will|doivent|devront|vont)\s+(?:go|aller|être\s+postées|be\s+posted|partir)\s+(?:to|in|into|dans|sur|vers|en)\b",
        "announce channel",
    ),
    (
        r"\b(giveaways?|concours)\s+(?:should|must|will|doivent|devront|vont)\s+(?:go|aller|être\s+postés|be\s+posted|partir)\s+(?:to|in|into|dans|sur|vers|en)\b",
        "giveaway channel",
    ),
    (r"\b(?:giveaway|concours)\s+channel\s+(?:is|est)\b", "giveaway channel"),
    (r"\bà\s+nouvel\s+ordre\b", ""),
    (r"\bjusqu'à\s+nouvel\s+ordre\b", ""),
    (r"\buntil\s+further\s+notice\b", ""),
];

static PHRASE_RES: LazyLock<Vec<(Regex, &'static str)>> =
    LazyLock::new(|| PHRASES.iter().map(|(p, to)| (re(&format!("(?i){p}")), *to)).collect());

/// Words that carry an intent, and the spelling their typos are corrected to (one edit away,
/// five letters at least).
const VOCABULARY: &[&str] = &[
    "promo",
    "promotion",
    "giveaway",
    "discount",
    "réduction",
    "annonce",
    "announce",
    "announcement",
    "redémarre",
    "restart",
    "status",
    "statut",
    "rapport",
    "report",
    "members",
    "membres",
    "winners",
    "winner",
    "gagnants",
    "gagnant",
    "premium",
    "weekly",
    "monthly",
    "everything",
    "everyone",
    "inactive",
    "inactifs",
    "boutique",
    "boutiques",
    "analytics",
    "revenue",
    "catalog",
    "catalogue",
    "maintenance",
    "inventory",
    "inventaire",
    "channel",
    "setting",
];

/// Corrects one word when it is one edit from a word of [`VOCABULARY`] (and is not one itself).
fn correct(word: &str) -> Option<&'static str> {
    let lower = word.to_lowercase();
    // A word in capitals is a code or a name (`WINTER`), never a typo.
    if word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit()) {
        return None;
    }
    if lower.chars().count() < 5 || !lower.chars().all(char::is_alphabetic) {
        return None;
    }
    let folded = super::text::fold(&lower);
    let plural_of_known =
        |w: &str| w.strip_suffix('s').is_some_and(|one| VOCABULARY.iter().any(|v| super::text::fold(v) == one));
    if VOCABULARY.iter().any(|v| *v == lower) || super::lexicon::is_known_word(&folded) || plural_of_known(&folded) {
        return None;
    }
    let mut near = VOCABULARY.iter().filter(|v| edit_distance(v, &lower) == 1);
    match (near.next(), near.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Runs stage 1 on a request.
pub(crate) fn normalize(text: &str) -> Normalized {
    // "Premium – 3 gagnants – 72h": a dash between spaces separates, it is no minus sign.
    let text = text.replace(" – ", ", ").replace(" — ", ", ");
    let mut t: String = text
        .chars()
        .map(|c| match c {
            '’' | '‘' | 'ʼ' | '`' => '\'',
            '−' | '–' => '-',
            '\u{a0}' | '\u{202f}' => ' ',
            other => other,
        })
        .collect();
    t = PREFIX.replace(&t, "$1").into_owned();
    let written = t.trim().to_owned();
    // "2 € 50", "2€50": two euros fifty, never two euros.
    t = EUROS_CENTS.replace_all(&t, "$1,$3 $2").into_owned();
    // "pendant 1h30" is 90 min; "à 18h30" stays a time of day.
    t = HOURS_MINUTES
        .replace_all(&t, |c: &Captures| {
            let before = t[..c.get(0).map_or(0, |m| m.start())].trim_end().to_lowercase();
            let at = [
                "à", "a", "at", "vers", "around", "de", "from", "until", "jusqu'à", "dès", "des", "demain", "tomorrow",
                "soir", "tonight", "today", "hui",
            ]
            .iter()
            .any(|w| before.ends_with(w));
            let (h, m): (u64, u64) = (c[2].parse().unwrap_or(0), c[3].parse().unwrap_or(0));
            if at {
                c[0].to_owned()
            } else {
                format!("{}{} min", &c[1], h * 60 + m)
            }
        })
        .into_owned();
    t = REVENUE.replace_all(&t, "chiffre d'affaires").into_owned();
    // "le 20/12", "until 31/12/2026": a day and a month written in digits, after a word that
    // leads to a date, become words (`20 décembre`), never a fraction.
    t = NUMERIC_DATE
        .replace_all(&t, |c: &Captures| {
            let (d, m): (usize, usize) = (c[2].parse().unwrap_or(0), c[3].parse().unwrap_or(0));
            const NAMES: [&str; 12] = [
                "janvier",
                "fevrier",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "aout",
                "septembre",
                "octobre",
                "novembre",
                "decembre",
            ];
            match (d, m) {
                (1..=31, 1..=12) => {
                    format!(
                        "{}{d} {}{}",
                        &c[1],
                        NAMES[m - 1],
                        c.get(4).map_or(String::new(), |y| format!(" {}", y.as_str()))
                    )
                }
                _ => c[0].to_owned(),
            }
        })
        .into_owned();
    // "once we're 1,500 members": the count is joined before any phrase reads its first digits.
    t = THOUSANDS_SEP.replace_all(&t, "$1$2$3").into_owned();
    for (pattern, to) in PHRASE_RES.iter() {
        t = pattern.replace_all(&t, *to).into_owned();
    }
    t = THOUSANDS_SEP.replace_all(&t, "$1$2$3").into_owned();
    t = THOUSANDS_K
        .replace_all(&t, |c: &Captures| {
            let n: f64 = c[1].replace(',', ".").parse().unwrap_or(0.0);
            format!("{}", (n * 1000.0).round() as u64)
        })
        .into_owned();
    t = FRACTION
        .replace_all(&t, |c: &Captures| {
            let (a, b): (u64, u64) = (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0));
            let whole = &c[0];
            if b == 0 || a >= b || (100 * a) % b != 0 {
                return whole.to_owned();
            }
            let (lead, tail) = (whole.chars().next().filter(|c| !c.is_ascii_digit()), whole.chars().last());
            let tail = tail.filter(|c| !c.is_ascii_digit());
            format!(
                "{}{}%{}",
                lead.map(String::from).unwrap_or_default(),
                100 * a / b,
                tail.map(String::from).unwrap_or_default()
            )
        })
        .into_owned();
    let mut negatives = Vec::new();
    if let Some(m) = DOLLAR_NEG.find(&t) {
        negatives.push(m.as_str().trim().to_owned());
    }
    t = NEGATIVE
        .replace_all(&t, |c: &Captures| {
            let unit = c.get(3).map(|m| m.as_str().trim().to_lowercase());
            let off = c.get(4).is_some();
            let before = t[..c.get(0).map_or(0, |m| m.start())].trim_end().to_lowercase();
            let lead = c[1].trim();
            let after = |words: &[&str]| {
                words.iter().any(|w| before.ends_with(&format!(" {w}")) || before == *w) || words.contains(&lead)
            };
            let percent = matches!(&unit, Some(u) if u == "%");
            // "le pro à -3€", "max discount to -20%": a value being set, never a discount's sign.
            // "réduction max à -20%": a cap being set (after "à" too once a cap is named).
            let cap = ["max", "maximum", "maximale", "plafond", "plafonne", "cap", "limite", "limit"]
                .iter()
                .any(|w| before.split_whitespace().any(|b| b == *w));
            let set_to = if percent {
                after(&["to", "=", "be", "is"]) || (cap && after(&["à", "a", "at"]))
            } else {
                after(&["à", "to", "=", "be", "is", "at", "vaut"])
            };
            let sign_means_off = !set_to && (matches!(&unit, Some(u) if u == "%") || (unit.is_some() && !off));
            if !sign_means_off {
                negatives.push(c[0].trim().to_owned());
            }
            c[0].to_owned()
        })
        .into_owned();
    let words: Vec<String> = t
        .split(' ')
        .map(|w| {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            match correct(core) {
                Some(fixed) => w.replacen(core, fixed, 1),
                None => w.to_owned(),
            }
        })
        .collect();
    Normalized { text: words.join(" ").trim().to_owned(), negatives, written }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn fractions_and_their_words_become_percents_in_both_languages() {
        assert_eq!(text("a fifth off premium"), "20% off premium");
        assert_eq!(text("quarter-off sale on the mug"), "25% off sale on the mug");
        assert_eq!(text("half off wallpapers"), "50% off wallpapers");
        assert_eq!(text("moitié prix sur le mug"), "50% sur le mug");
        assert_eq!(text("un quart de réduc sur le pro"), "25% de réduction sur le pro");
        assert_eq!(text("promo de 3/4 sur le pro"), "promo de 75% sur le pro");
    }

    #[test]
    fn thousands_are_joined_and_decimals_kept() {
        assert_eq!(text("at 1k members"), "at 1000 members");
        assert_eq!(text("reaches 2,500 members"), "reaches 2500 members");
        assert_eq!(text("atteindra 2 500 membres"), "atteindra 2500 membres");
        assert_eq!(text("prix du pro à 29,99"), "prix du pro à 29,99");
    }

    #[test]
    fn a_sign_that_means_off_is_dropped_and_any_other_is_kept_apart() {
        assert_eq!(normalize("promo -30% sur le pro").negatives, Vec::<String>::new());
        assert_eq!(normalize("set the pro price to -10").negatives, vec!["-10"]);
        assert_eq!(normalize("mets le prix du pro à -10").negatives, vec!["-10"]);
        assert_eq!(normalize("giveaway Nitro avec -2 gagnants").negatives, vec!["-2"]);
        assert_eq!(normalize("-$5 off the mug").negatives.len(), 1);
        assert!(normalize("promo du 2026-12-03").negatives.is_empty());
    }

    #[test]
    fn the_command_prefix_typos_and_quotes_are_made_regular() {
        assert_eq!(text("!maxis @us promo 10% basic 72h"), "@us promo 10% basic 72h");
        assert_eq!(text("@Shellia /maxis status"), "@Shellia status");
        assert_eq!(text("redémarre l’instance"), "redémarre l'instance");
        assert_eq!(text("lance un giveawya Nitro"), "lance un giveaway Nitro");
        assert_eq!(text("promo de 20% sur le premuim"), "promo de 20% sur le premium");
    }
}
