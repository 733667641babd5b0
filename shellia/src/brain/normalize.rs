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
use super::phrases::PHRASES;

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
