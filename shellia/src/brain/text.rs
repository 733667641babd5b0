//! The request as tokens: words, numbers and signs that remember where they are in the text, each
//! with a folded form (lowercase, accents removed) for matching. Mentions of Shellia or of a user
//! are dropped; a payload (after a colon, or between quotes) is set apart so that what it says is
//! never read as an instruction.

use std::ops::Range;

/// A word, number or sign of the request.
#[derive(Debug, Clone)]
struct Token {
    norm: String,
    start: usize,
    end: usize,
    quoted: bool,
}

/// A request being read: its text, its tokens and which tokens a reader already claimed.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    text: String,
    tokens: Vec<Token>,
    used: Vec<bool>,
    payload: Option<String>,
    quoted: bool,
}

/// Words that address Shellia herself, ignored wherever they are.
const SELF: &[&str] = &["@shellia", "shellia"];

impl Request {
    /// Cuts `text` into tokens and sets the payload apart.
    pub(crate) fn new(text: &str) -> Self {
        let text = text.trim().to_owned();
        let quoted = payload_range(&text);
        let tokens: Vec<Token> = tokenize(&text)
            .into_iter()
            .filter(|t| !SELF.contains(&t.norm.as_str()) && !is_user_mention(&t.norm))
            .map(|mut t| {
                t.quoted = quoted.as_ref().is_some_and(|q| t.start >= q.start && t.end <= q.end);
                t
            })
            .collect();
        let payload =
            quoted.map(|q| text[q].trim().to_owned()).filter(|p| !p.is_empty() && tokens.iter().any(|t| !t.quoted));
        let used = tokens.iter().map(|t| t.quoted && payload.is_some()).collect();
        let quoted = payload.is_some() && ['"', '«', '“'].iter().any(|q| text.contains(*q));
        Self { text, tokens, used, payload, quoted }
    }

    /// Takes the payload word for word from `written` (the request before its words were made
    /// regular), when it has one too: a message says what the admin wrote (`1k`, not `1000`).
    pub(crate) fn payload_as_written(&mut self, written: &str) {
        if self.payload.is_none() {
            return;
        }
        if let Some(range) = payload_range(written) {
            let raw = written[range].trim();
            if !raw.is_empty() {
                self.payload = Some(raw.to_owned());
            }
        }
    }

    /// The request as written (user mentions included).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// How many tokens.
    pub(crate) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The folded form of token `i`, or `""` past the end.
    pub(crate) fn norm(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.norm.as_str())
    }

    /// Token `i` as typed, or `""` past the end.
    pub(crate) fn raw(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| &self.text[t.start..t.end])
    }

    /// Whether token `i` is claimed (or past the end).
    pub(crate) fn is_used(&self, i: usize) -> bool {
        self.used.get(i).copied().unwrap_or(true)
    }

    /// Whether token `i` is free and is one of `words` (see [`word_in`]).
    pub(crate) fn is(&self, i: usize, words: &[&str]) -> bool {
        !self.is_used(i) && word_in(self.norm(i), words)
    }

    /// The first free token that is one of `words`.
    pub(crate) fn find(&self, words: &[&str]) -> Option<usize> {
        (0..self.len()).find(|&i| self.is(i, words))
    }

    /// Whether a free token is one of `words`.
    pub(crate) fn has(&self, words: &[&str]) -> bool {
        self.find(words).is_some()
    }

    /// Claims tokens so no other reader takes them.
    pub(crate) fn take(&mut self, range: Range<usize>) {
        for i in range {
            if let Some(u) = self.used.get_mut(i) {
                *u = true;
            }
        }
    }

    /// Where a pattern matches from token `i`: the end of the match. A pattern is slots separated
    /// by spaces; a slot lists words separated by `|`, a word ending in `*` matches by prefix and
    /// `~` makes the slot optional.
    pub(crate) fn match_at(&self, i: usize, pattern: &str) -> Option<usize> {
        let slots: Vec<&str> = pattern.split(' ').collect();
        self.slots_at(i, &slots)
    }

    fn slots_at(&self, i: usize, slots: &[&str]) -> Option<usize> {
        let Some((slot, rest)) = slots.split_first() else { return Some(i) };
        let words: Vec<&str> = slot.split('|').collect();
        if self.is(i, &words) {
            if let Some(end) = self.slots_at(i + 1, rest) {
                return Some(end);
            }
        }
        if words.contains(&"~") {
            return self.slots_at(i, rest);
        }
        None
    }

    /// The first match of a pattern, as a token range.
    pub(crate) fn find_pattern(&self, pattern: &str) -> Option<Range<usize>> {
        (0..self.len()).find_map(|i| self.match_at(i, pattern).filter(|&end| end > i).map(|end| i..end))
    }

    /// Finds a pattern and claims it.
    pub(crate) fn take_pattern(&mut self, pattern: &str) -> Option<Range<usize>> {
        let range = self.find_pattern(pattern)?;
        self.take(range.clone());
        Some(range)
    }

    /// The payload: what follows a colon, or what is between quotes.
    pub(crate) fn payload(&self) -> Option<&str> {
        self.payload.as_deref()
    }

    /// A channel named by its name (`#news`) rather than mentioned (`<#123>`): its id is unknown.
    pub(crate) fn channel_name(&self) -> Option<String> {
        let bytes = self.text.as_bytes();
        self.text.match_indices('#').find_map(|(at, _)| {
            let before = at.checked_sub(1).map(|b| bytes[b]);
            if before == Some(b'<') || before.is_some_and(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            let name: String =
                self.text[at + 1..].chars().take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_').collect();
            (!name.is_empty() && !name.chars().all(|c| c.is_ascii_digit())).then(|| format!("#{name}"))
        })
    }

    /// Whether the payload is between quotes (rather than after a colon).
    pub(crate) fn payload_is_quoted(&self) -> bool {
        self.quoted
    }

    /// Reads the payload's tokens as part of the request (for intents that take no free text).
    pub(crate) fn release_payload(&mut self) {
        if self.payload.take().is_some() {
            for (used, token) in self.used.iter_mut().zip(&self.tokens) {
                if token.quoted {
                    *used = false;
                }
            }
        }
    }

    /// The text from token `first` to token `last` (both included), with the punctuation that
    /// directly follows `last`, trimmed.
    pub(crate) fn span(&self, first: usize, last: usize) -> &str {
        let (Some(a), Some(b)) = (self.tokens.get(first), self.tokens.get(last)) else { return "" };
        let end = self.tokens.get(last + 1).map_or(self.text.len(), |t| t.start);
        let tail = &self.text[b.end..end];
        let keep = tail.find(|c: char| !(c.is_whitespace() || "!?.…)".contains(c))).unwrap_or(tail.len());
        self.text[a.start..b.end + keep].trim()
    }

    /// The longest run of free tokens from `i`, as `(first, last)`.
    pub(crate) fn free_run(&self, i: usize, stop: &[&str]) -> Option<(usize, usize)> {
        let mut last = None;
        let mut j = i;
        while j < self.len() && !self.is_used(j) && !word_in(self.norm(j), stop) {
            last = Some(j);
            j += 1;
        }
        last.map(|l| (i, l))
    }
}

/// Whether `word` is one of `words`; a listed word ending in `*` matches by prefix.
pub(crate) fn word_in(word: &str, words: &[&str]) -> bool {
    words.iter().any(|w| match w.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix) && !word.is_empty(),
        None => *w == word,
    })
}

/// A Discord user mention (`<@123>`, `<@!123>`): addresses someone, says nothing.
fn is_user_mention(norm: &str) -> bool {
    norm.starts_with("<@") && !norm.starts_with("<@&")
}

/// The role id of a role mention (`<@&123>`).
pub(crate) fn role_id(norm: &str) -> Option<&str> {
    norm.strip_prefix("<@&")?.strip_suffix('>')
}

/// The channel id of a channel mention (`<#123>`).
pub(crate) fn channel_id(norm: &str) -> Option<&str> {
    norm.strip_prefix("<#")?.strip_suffix('>')
}

/// The byte range of the payload: between the first pair of quotes, or after the first colon
/// that is neither in a time (`18:00`) nor in an address (`https://`).
fn payload_range(text: &str) -> Option<Range<usize>> {
    for (open, close) in [('"', '"'), ('«', '»'), ('“', '”')] {
        if let Some(a) = text.find(open) {
            let from = a + open.len_utf8();
            if let Some(b) = text[from..].find(close) {
                return Some(from..from + b);
            }
        }
    }
    if let Some(range) = single_quoted(text) {
        return Some(range);
    }
    let bytes = text.as_bytes();
    let colon = text.char_indices().find(|&(i, c)| {
        let digit = |j: Option<&u8>| j.is_some_and(u8::is_ascii_digit);
        c == ':' && !(i > 0 && digit(bytes.get(i - 1)) && digit(bytes.get(i + 1))) && !text[i..].starts_with("://")
    })?;
    Some(colon.0 + 1..text.len())
}

/// A word folded: lowercase, without accents.
/// Text between single quotes used as quotes (`publish 'Maintenance at 3am' on all shops`): an
/// opening one after a space, a closing one before a space or the end, so that an apostrophe
/// (`l'inventaire`, `it's`) never opens one.
fn single_quoted(text: &str) -> Option<Range<usize>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let open = chars.iter().enumerate().find_map(|(k, &(at, c))| {
        let after_space = k == 0 || chars[k - 1].1.is_whitespace() || chars[k - 1].1 == ':';
        (c == '\'' && after_space && chars.get(k + 1).is_some_and(|n| !n.1.is_whitespace())).then_some((k, at))
    })?;
    let close = chars[open.0 + 2..].iter().enumerate().find_map(|(d, &(at, c))| {
        let k = open.0 + 2 + d;
        let before_space = chars.get(k + 1).is_none_or(|n| n.1.is_whitespace() || ",.!?;:".contains(n.1));
        (c == '\'' && before_space && !chars[k - 1].1.is_whitespace()).then_some(at)
    })?;
    Some(open.1 + 1..close)
}

pub(crate) fn fold(word: &str) -> String {
    let mut out = String::new();
    word.chars().for_each(|c| fold_into(&mut out, c));
    out
}

/// Folds one character into `out`: lowercase, without accents.
fn fold_into(out: &mut String, c: char) {
    for l in c.to_lowercase() {
        match l {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            other => out.push(other),
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Cuts text into tokens. A word may hold `-` and `.` between letters or digits (`week-end`,
/// `price.pro`), `,` and `:` between digits (`29,99`, `18:00`); `@name` and `!command` are one
/// token; Discord mentions (`<@&123>`, `<#123>`) are one token; `%`, currency signs, `:` and `=`
/// stand alone; other punctuation separates.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut tokens = Vec::new();
    let mut push = |start: usize, end: usize| {
        let mut norm = String::new();
        text[start..end].chars().for_each(|c| fold_into(&mut norm, c));
        tokens.push(Token { norm, start, end, quoted: false });
    };
    let mut i = 0;
    while let Some(c) = at(i) {
        if c == '<' {
            if let Some(end) = mention_end(&chars, i) {
                push(offset(i), offset(end));
                i = end;
                continue;
            }
        }
        let sigil = (c == '@' || c == '!') && at(i + 1).is_some_and(is_word);
        if is_word(c) || sigil {
            let mut j = i + 1;
            while let Some(d) = at(j) {
                let (prev, next) = (at(j - 1).unwrap_or(' '), at(j + 1).unwrap_or(' '));
                let joins = match d {
                    '-' | '.' => prev.is_alphanumeric() && next.is_alphanumeric(),
                    ',' | ':' => prev.is_ascii_digit() && next.is_ascii_digit(),
                    _ => false,
                };
                if is_word(d) {
                    j += 1;
                } else if joins {
                    j += 2;
                } else {
                    break;
                }
            }
            push(offset(i), offset(j));
            i = j;
            continue;
        }
        if matches!(c, '%' | '€' | '$' | '£' | ':' | '=') {
            push(offset(i), offset(i + 1));
        }
        i += 1;
    }
    tokens
}

/// The end (exclusive, in chars) of a Discord mention starting at `i`, if one does.
fn mention_end(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut prefix = String::new();
    while let Some(&(_, c)) = chars.get(j).filter(|(_, c)| matches!(c, '@' | '!' | '&' | '#')) {
        prefix.push(c);
        j += 1;
    }
    if !matches!(prefix.as_str(), "@" | "@!" | "@&" | "#") {
        return None;
    }
    let digits = j;
    while chars.get(j).is_some_and(|(_, c)| c.is_ascii_digit()) {
        j += 1;
    }
    (j > digits && chars.get(j).is_some_and(|&(_, c)| c == '>')).then_some(j + 1)
}
