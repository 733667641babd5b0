//! Numbers in digits (`20`, `29.99`, `29,99`) or in words, French (`vingt`, `vingt-cinq`,
//! `cent`) or English (`twenty`, `twenty-five`, `a hundred`), and what hangs on them: percents
//! (`20%`, `vingt pour cent`, `twenty percent`) and amounts of money (`5€`, `5 euros`, `$5`).

use subjects::params::Money;

use super::text::{word_in, Request};

/// A number as read: its decimal text (`.` as separator) and its value when it is whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Number {
    /// Decimal text, e.g. `29.99`.
    pub(crate) text: String,
    /// The value, when the number has no fractional part.
    pub(crate) whole: Option<u64>,
}

/// A number word and its part in a number.
#[derive(Debug, Clone, Copy)]
enum Word {
    Value(u64),
    Hundred,
    Thousand,
    And,
}

#[rustfmt::skip]
const VALUES: &[(&str, u64)] = &[
    ("zero", 0), ("un", 1), ("une", 1), ("deux", 2), ("trois", 3), ("quatre", 4), ("cinq", 5), ("six", 6), ("sept", 7),
    ("huit", 8), ("neuf", 9), ("dix", 10), ("onze", 11), ("douze", 12), ("treize", 13), ("quatorze", 14),
    ("quinze", 15), ("seize", 16), ("vingt", 20), ("vingts", 20), ("trente", 30), ("quarante", 40), ("cinquante", 50),
    ("soixante", 60), ("septante", 70), ("octante", 80), ("huitante", 80), ("nonante", 90), ("one", 1), ("two", 2),
    ("three", 3), ("four", 4), ("five", 5), ("six", 6), ("seven", 7), ("eight", 8), ("nine", 9), ("ten", 10),
    ("eleven", 11), ("twelve", 12), ("thirteen", 13), ("fourteen", 14), ("fifteen", 15), ("sixteen", 16),
    ("seventeen", 17), ("eighteen", 18), ("nineteen", 19), ("twenty", 20), ("thirty", 30), ("forty", 40),
    ("fifty", 50), ("sixty", 60), ("seventy", 70), ("eighty", 80), ("ninety", 90),
];

fn word(w: &str) -> Option<Word> {
    match w {
        "cent" | "cents" | "hundred" => Some(Word::Hundred),
        "mille" | "thousand" => Some(Word::Thousand),
        "et" | "and" => Some(Word::And),
        _ => VALUES.iter().find(|(name, _)| *name == w).map(|&(_, v)| Word::Value(v)),
    }
}

/// Reads a number written in digits: `20`, `29.99`, `29,99`.
pub(crate) fn digits(s: &str) -> Option<Number> {
    let text = s.replace(',', ".");
    let valid = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    if !valid {
        return None;
    }
    let whole = match text.split_once('.') {
        Some((int, frac)) if frac.bytes().all(|b| b == b'0') => int.parse().ok(),
        Some(_) => None,
        None => text.parse().ok(),
    };
    Some(Number { text, whole })
}

/// Splits a token such as `48h`, `5eur` or `100members` into its number and its unit.
pub(crate) fn split_unit(s: &str) -> Option<(Number, &str)> {
    let at = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
    let (n, unit) = s.split_at(at);
    if unit.is_empty() || !unit.chars().all(char::is_alphabetic) {
        return None;
    }
    Some((digits(n)?, unit))
}

/// The number starting at token `i` (free tokens only) and the index after it.
pub(crate) fn number_at(req: &Request, i: usize) -> Option<(Number, usize)> {
    if req.is_used(i) {
        return None;
    }
    if let Some(n) = digits(req.norm(i)) {
        // "2 millions", "1.5 million": never two.
        if req.is(i + 1, &["million", "millions", "billion", "billions", "milliard", "milliards"]) {
            let scale = if req.is(i + 1, &["million", "millions"]) { 1e6 } else { 1e9 };
            let value = n.text.parse::<f64>().ok()? * scale;
            let whole = (value.fract() == 0.0 && value < 1e18).then_some(value as u64);
            return Some((Number { text: format!("{value}"), whole }, i + 2));
        }
        return Some((n, i + 1));
    }
    let value = |v: u64| Number { text: v.to_string(), whole: Some(v) };
    // "a"/"an" stand for one, but not the French "à".
    if matches!(req.raw(i).to_lowercase().as_str(), "a" | "an") {
        return match words_at(req, i + 1) {
            Some((n, end)) if req.norm(i + 1) == "hundred" => Some((n, end)),
            _ => Some((value(1), i + 1)),
        };
    }
    words_at(req, i)
}

/// Reads number words from token `i`: hyphenated pieces, `et`/`and` between them.
fn words_at(req: &Request, i: usize) -> Option<(Number, usize)> {
    let (mut total, mut current, mut end) = (0u64, 0u64, None);
    let mut j = i;
    while !req.is_used(j) {
        let pieces: Option<Vec<Word>> = req.norm(j).split('-').map(word).collect();
        let Some(pieces) = pieces else { break };
        if let [Word::And] = pieces.as_slice() {
            let next_is_number = req.norm(j + 1).split('-').all(|w| word(w).is_some());
            if end.is_none() || !next_is_number {
                break;
            }
            j += 1;
            continue;
        }
        for piece in pieces {
            match piece {
                // quatre-vingt(s): 80.
                Word::Value(20) if current % 100 == 4 => current += 76,
                Word::Value(v) => current = current.saturating_add(v),
                Word::Hundred => current = current.max(1).saturating_mul(100),
                Word::Thousand => {
                    total = total.saturating_add(current.max(1).saturating_mul(1000));
                    current = 0;
                }
                Word::And => {}
            }
        }
        j += 1;
        end = Some(j);
    }
    let v = total.saturating_add(current);
    end.map(|end| (Number { text: v.to_string(), whole: Some(v) }, end))
}

/// A percent at token `i` (`20%`, `20 pour cent`, `twenty percent`): the number and the index
/// after the sign.
pub(crate) fn percent_at(req: &Request, i: usize) -> Option<(Number, usize)> {
    let (n, j) = number_at(req, i)?;
    if req.is(j, &["%", "pourcent", "pourcents", "percent", "pct"]) {
        return Some((n, j + 1));
    }
    req.match_at(j, "pour|per cent").map(|end| (n, end))
}

/// The currency a word or sign names.
fn currency(word: &str) -> Option<&'static str> {
    if word_in(word, &["€", "eur", "euro", "euros", "balles"]) {
        Some("eur")
    } else if word_in(word, &["$", "usd", "dollar", "dollars", "bucks"]) {
        Some("usd")
    } else if word_in(word, &["£", "gbp", "pound", "pounds"]) {
        Some("gbp")
    } else if word == "chf" {
        Some("chf")
    } else {
        None
    }
}

/// An amount of money at token `i` (`5€`, `5 euros`, `$5`, `€4,99`, `5eur`): the money and the
/// index after it.
pub(crate) fn money_at(req: &Request, i: usize) -> Option<(Money, usize)> {
    if req.is_used(i) {
        return None;
    }
    if let Some(code) = currency(req.norm(i)).filter(|_| req.norm(i).chars().count() <= 2) {
        let (n, j) = number_at(req, i + 1)?;
        return Some((money(&n, code)?, j));
    }
    if let Some((n, unit)) = split_unit(req.norm(i)) {
        return Some((money(&n, currency(unit)?)?, i + 1));
    }
    let (n, j) = number_at(req, i)?;
    let code = currency(req.norm(j)).filter(|_| !req.is_used(j))?;
    Some((money(&n, code)?, j + 1))
}

/// Minor units of a decimal amount: `4.99` → 499; more than two decimals is not money.
pub(crate) fn cents(n: &Number) -> Option<u64> {
    let (int, frac) = n.text.split_once('.').unwrap_or((&n.text, ""));
    if frac.len() > 2 {
        return None;
    }
    let frac = format!("{frac:0<2}");
    int.parse::<u64>().ok()?.checked_mul(100)?.checked_add(frac.parse().ok()?)
}

fn money(n: &Number, code: &str) -> Option<Money> {
    Some(Money { amount: cents(n)?, currency: code.to_owned() })
}

/// Money as an admin writes it: `5€`, `4,99€` in French; `€5`, `$4.99` in English.
pub(crate) fn show_money(money: &Money, french: bool) -> String {
    let (units, minor) = (money.amount / 100, money.amount % 100);
    let sep = if french { "," } else { "." };
    let number = if minor == 0 { units.to_string() } else { format!("{units}{sep}{minor:02}") };
    let sign = match money.currency.as_str() {
        "eur" => "€",
        "usd" => "$",
        "gbp" => "£",
        other => return format!("{number} {}", other.to_uppercase()),
    };
    if french {
        format!("{number}{sign}")
    } else {
        format!("{sign}{number}")
    }
}
