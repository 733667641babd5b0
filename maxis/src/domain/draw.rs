//! The verifiable giveaway draw: commit to a secret seed at the start, publish the seed and the
//! canonical entry list at the end; the winners follow from them by the algorithm below, which
//! anyone can recompute (docs/giveaway-draw.md has it step by step, a test vector and a Python
//! script).
//!
//! - **Commitment**: lowercase hex SHA-256 of the 32 raw seed bytes, published when the giveaway
//!   starts, before any entry exists.
//! - **Canonical entry list**: entries sorted by member (byte order), no duplicates, weight ≥ 1;
//!   encoded as one line `<member> <weight>\n` per entry; its digest is the hex SHA-256 of that
//!   text.
//! - **Draw**: for i = 0, 1, 2, …: `h = SHA-256(seed || round || ":" || i)` with `i` in decimal
//!   ASCII, `x` = the first 16 bytes of `h` as a big-endian u128, `pick = x mod remaining weight`;
//!   walking the remaining entries in canonical order and adding up their weights, the entry whose
//!   range `[before, before + weight)` contains `pick` wins and leaves the pool. It stops at the
//!   number of winners asked or when nobody is left. `round` is `draw`, then `reroll:1`,
//!   `reroll:2`, …; a reroll excludes every earlier winner.
//! - **Bias**: the total weight is below 2^64 (checked), so `x mod total` over a uniform 128-bit
//!   `x` is off from uniform by less than total / 2^128 < 2^-64 for any entry.

use std::collections::HashSet;
use std::fmt;

use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// The round label of the first draw of a giveaway.
pub const FIRST_ROUND: &str = "draw";

/// Why a seed cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// The text is not hexadecimal.
    #[error("a seed is 64 hexadecimal digits: {0}")]
    Hex(String),
    /// The bytes are not 32.
    #[error("a seed is 32 bytes (64 hexadecimal digits), got {0} bytes")]
    Length(usize),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Entropy(String),
}

/// Why an entry or an entry list is not canonical.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The member is empty or holds whitespace or control characters (it would break the
    /// one-line-per-entry encoding).
    #[error("member {0:?} is empty or contains whitespace or control characters")]
    InvalidMember(String),
    /// A weight of zero (every entry counts at least once).
    #[error("member {0} has a weight of 0; the weight is at least 1 (the base entry)")]
    ZeroWeight(String),
    /// The same member twice.
    #[error("member {0} appears more than once in the entry list")]
    Duplicate(String),
    /// Two neighbours out of byte order.
    #[error("the entry list is not sorted by member: {previous} comes before {next}")]
    Unsorted {
        /// The earlier entry.
        previous: String,
        /// The entry that should have come first.
        next: String,
    },
    /// The weights add up to 2^64 or more.
    #[error("the weights add up to 2^64 or more")]
    TotalTooLarge,
}

/// Why a draw cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// The entry list is not canonical.
    #[error(transparent)]
    Entries(#[from] EntryError),
    /// The round is neither `draw` nor `reroll:<n>` with n ≥ 1.
    #[error("round {0:?} is neither \"draw\" nor \"reroll:<n>\" with n ≥ 1")]
    Round(String),
}

/// Why a published draw does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The revealed seed is not the one committed to at the start.
    #[error("the seed does not match the commitment: committed {commitment}, the seed hashes to {computed}")]
    SeedMismatch {
        /// Published at the start.
        commitment: String,
        /// SHA-256 of the revealed seed.
        computed: String,
    },
    /// The entry list is not the published one.
    #[error("the entry list does not match its digest: published {published}, the list hashes to {computed}")]
    DigestMismatch {
        /// Published at the end.
        published: String,
        /// SHA-256 of the canonical encoding of the list.
        computed: String,
    },
    /// The entry list is not canonical.
    #[error("the entry list is invalid: {0}")]
    Entries(EntryError),
    /// The round label is not valid.
    #[error("round {0:?} is neither \"draw\" nor \"reroll:<n>\" with n ≥ 1")]
    Round(String),
    /// The recomputed winners are not the claimed ones.
    #[error("the winners differ: the draw gives {expected:?}, the claim is {claimed:?}")]
    WinnersDiffer {
        /// Recomputed.
        expected: Vec<String>,
        /// Claimed.
        claimed: Vec<String>,
    },
}

impl From<DrawError> for VerifyError {
    fn from(err: DrawError) -> Self {
        match err {
            DrawError::Entries(e) => VerifyError::Entries(e),
            DrawError::Round(r) => VerifyError::Round(r),
        }
    }
}

/// A giveaway's secret seed: 32 bytes, kept secret until the draw, then published.
///
/// `Debug` shows only its commitment, so a log line cannot reveal it early.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl Seed {
    /// A fresh seed from the operating system's cryptographically secure random source.
    pub fn generate() -> Result<Seed, SeedError> {
        let mut bytes = [0u8; 32];
        OsRng.try_fill_bytes(&mut bytes).map_err(|e| SeedError::Entropy(e.to_string()))?;
        Ok(Seed(bytes))
    }

    /// The seed made of these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Seed {
        Seed(bytes)
    }

    /// Reads 64 hexadecimal digits (either case).
    pub fn from_hex(text: &str) -> Result<Seed, SeedError> {
        let bytes = hex::decode(text.trim()).map_err(|e| SeedError::Hex(e.to_string()))?;
        let len = bytes.len();
        <[u8; 32]>::try_from(bytes).map(Seed).map_err(|_| SeedError::Length(len))
    }

    /// The 64 lowercase hexadecimal digits, as published at the end.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seed").field("commitment", &commitment(self)).finish_non_exhaustive()
    }
}

/// The commitment published at the start: lowercase hex SHA-256 of the 32 raw seed bytes.
pub fn commitment(seed: &Seed) -> String {
    hex::encode(Sha256::digest(seed.as_bytes()))
}

/// One member's entry: the base entry (1) plus its bonus entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The member (a Discord user id): no whitespace or control characters, not empty.
    pub member: String,
    /// Its number of entries, at least 1.
    pub weight: u32,
}

impl Entry {
    /// A checked entry.
    pub fn new(member: impl Into<String>, weight: u32) -> Result<Entry, EntryError> {
        let entry = Entry { member: member.into(), weight };
        check_entry(&entry)?;
        Ok(entry)
    }
}

fn check_entry(entry: &Entry) -> Result<(), EntryError> {
    if entry.member.is_empty() || entry.member.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EntryError::InvalidMember(entry.member.clone()));
    }
    if entry.weight == 0 {
        return Err(EntryError::ZeroWeight(entry.member.clone()));
    }
    Ok(())
}

/// Puts entries in canonical order (by member, byte order) and checks them; a member twice is
/// refused, not merged.
pub fn canonical_entries(mut entries: Vec<Entry>) -> Result<Vec<Entry>, EntryError> {
    entries.sort_by(|a, b| a.member.as_bytes().cmp(b.member.as_bytes()));
    check_entries(&entries)?;
    Ok(entries)
}

/// Checks that a list is canonical (valid entries, strictly increasing members) and returns its
/// total weight.
pub fn check_entries(entries: &[Entry]) -> Result<u64, EntryError> {
    let mut total: u64 = 0;
    for (i, entry) in entries.iter().enumerate() {
        check_entry(entry)?;
        if let Some(previous) = i.checked_sub(1).and_then(|p| entries.get(p)) {
            match previous.member.as_bytes().cmp(entry.member.as_bytes()) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Err(EntryError::Duplicate(entry.member.clone())),
                std::cmp::Ordering::Greater => {
                    return Err(EntryError::Unsorted { previous: previous.member.clone(), next: entry.member.clone() })
                }
            }
        }
        total = total.checked_add(u64::from(entry.weight)).ok_or(EntryError::TotalTooLarge)?;
    }
    Ok(total)
}

/// The published text of an entry list: one line `<member> <weight>\n` per entry, in the order
/// given (pass the canonical list).
pub fn entry_list_text(entries: &[Entry]) -> String {
    entries.iter().map(|e| format!("{} {}\n", e.member, e.weight)).collect()
}

/// Lowercase hex SHA-256 of [`entry_list_text`], published with the list.
pub fn entry_list_digest(entries: &[Entry]) -> String {
    hex::encode(Sha256::digest(entry_list_text(entries).as_bytes()))
}

/// The round label of a draw: `draw` for 0, `reroll:<n>` for the n-th reroll.
pub fn round_label(reroll: u32) -> String {
    if reroll == 0 {
        FIRST_ROUND.to_owned()
    } else {
        format!("reroll:{reroll}")
    }
}

fn check_round(round: &str) -> Result<(), DrawError> {
    let valid = round == FIRST_ROUND
        || round.strip_prefix("reroll:").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| round_label(n) == round);
    if valid {
        Ok(())
    } else {
        Err(DrawError::Round(round.to_owned()))
    }
}

/// The i-th draw number of a round: the first 16 bytes of SHA-256(seed || round || ":" || i),
/// big-endian.
fn draw_number(seed: &Seed, round: &str, i: u64) -> u128 {
    let hash = Sha256::new()
        .chain_update(seed.as_bytes())
        .chain_update(round.as_bytes())
        .chain_update(b":")
        .chain_update(i.to_string().as_bytes())
        .finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&hash[..16]);
    u128::from_be_bytes(first)
}

/// Draws up to `winners` members from a canonical entry list, weighted, without replacement,
/// skipping the members in `exclude` (earlier winners, for a reroll). `round` is `draw` or
/// `reroll:<n>`. Fewer entries than winners gives everyone; no entries gives none.
pub fn draw(
    seed: &Seed,
    entries: &[Entry],
    winners: usize,
    exclude: &[String],
    round: &str,
) -> Result<Vec<String>, DrawError> {
    check_round(round)?;
    check_entries(entries)?;
    let excluded: HashSet<&str> = exclude.iter().map(String::as_str).collect();
    let mut pool: Vec<&Entry> = entries.iter().filter(|e| !excluded.contains(e.member.as_str())).collect();
    // The pool is part of a list whose total fits in a u64 (checked above).
    let mut remaining: u64 = pool.iter().map(|e| u64::from(e.weight)).sum();
    let mut chosen = Vec::with_capacity(winners.min(pool.len()));
    let mut i: u64 = 0;
    while chosen.len() < winners && !pool.is_empty() {
        let pick = draw_number(seed, round, i) % u128::from(remaining);
        let index = holder(&pool, pick);
        let winner = pool.remove(index);
        remaining -= u64::from(winner.weight);
        chosen.push(winner.member.clone());
        i += 1;
    }
    Ok(chosen)
}

/// The index of the entry whose cumulative range holds `pick` (which is below the pool's total).
fn holder(pool: &[&Entry], pick: u128) -> usize {
    let mut end: u128 = 0;
    for (index, entry) in pool.iter().enumerate() {
        end += u128::from(entry.weight);
        if pick < end {
            return index;
        }
    }
    // Unreachable while pick < total; the last entry keeps this total.
    pool.len().saturating_sub(1)
}

/// Checks a published entry list against its published digest.
pub fn verify_entry_list(digest: &str, entries: &[Entry]) -> Result<(), VerifyError> {
    let computed = entry_list_digest(entries);
    if digest.trim().eq_ignore_ascii_case(&computed) {
        Ok(())
    } else {
        Err(VerifyError::DigestMismatch { published: digest.to_owned(), computed })
    }
}

/// Checks a published draw: the seed matches the commitment, the list is canonical, and the draw
/// recomputed from them gives exactly the `claimed` winners, in order.
pub fn verify(
    commitment_hex: &str,
    seed: &Seed,
    entries: &[Entry],
    winners: usize,
    exclude: &[String],
    round: &str,
    claimed: &[String],
) -> Result<(), VerifyError> {
    let computed = commitment(seed);
    if !commitment_hex.trim().eq_ignore_ascii_case(&computed) {
        return Err(VerifyError::SeedMismatch { commitment: commitment_hex.to_owned(), computed });
    }
    let expected = draw(seed, entries, winners, exclude, round)?;
    if expected != claimed {
        return Err(VerifyError::WinnersDiffer { expected, claimed: claimed.to_vec() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_seed() -> Seed {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8;
        }
        Seed::from_bytes(bytes)
    }

    fn vector_entries() -> Vec<Entry> {
        [("alice", 1), ("bob", 2), ("carol", 1), ("dave", 5), ("erin", 1), ("frank", 3)]
            .into_iter()
            .map(|(m, w)| Entry::new(m, w).unwrap())
            .collect()
    }

    fn seed_number(n: u64) -> Seed {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&n.to_be_bytes());
        bytes[8..16].copy_from_slice(b"testseed");
        Seed::from_bytes(bytes)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_test_vector_gives_its_published_winners() {
        let seed = vector_seed();
        let entries = vector_entries();
        assert_eq!(seed.to_hex(), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        assert_eq!(commitment(&seed), "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd");
        assert_eq!(entry_list_text(&entries), "alice 1\nbob 2\ncarol 1\ndave 5\nerin 1\nfrank 3\n");
        assert_eq!(entry_list_digest(&entries), "285d428a242bd19e2daabe797a6cf63e037cc8c2917f782e7330b22646aabdca");
        let mut earlier = draw(&seed, &entries, 3, &[], "draw").unwrap();
        assert_eq!(earlier, strings(&["dave", "alice", "frank"]));
        let reroll = draw(&seed, &entries, 1, &earlier, "reroll:1").unwrap();
        assert_eq!(reroll, strings(&["bob"]));
        earlier.extend(reroll);
        assert_eq!(draw(&seed, &entries, 2, &earlier, "reroll:2").unwrap(), strings(&["erin", "carol"]));
    }

    #[test]
    fn a_seed_reads_back_from_its_hex() {
        let seed = Seed::generate().unwrap();
        assert_eq!(Seed::from_hex(&seed.to_hex()).unwrap(), seed);
        assert_eq!(Seed::from_hex(&seed.to_hex().to_uppercase()).unwrap(), seed);
        assert_ne!(Seed::generate().unwrap(), seed);
    }

    #[test]
    fn a_seed_of_the_wrong_length_or_not_hex_is_refused() {
        assert_eq!(Seed::from_hex("0011"), Err(SeedError::Length(2)));
        assert!(matches!(Seed::from_hex(&"zz".repeat(32)), Err(SeedError::Hex(_))));
    }

    #[test]
    fn a_seed_debug_shows_the_commitment_not_the_seed() {
        let seed = vector_seed();
        let shown = format!("{seed:?}");
        assert!(shown.contains(&commitment(&seed)));
        assert!(!shown.contains(&seed.to_hex()));
    }

    #[test]
    fn the_same_seed_and_list_always_give_the_same_winners() {
        let entries = vector_entries();
        for n in 0..50 {
            let seed = seed_number(n);
            assert_eq!(draw(&seed, &entries, 4, &[], "draw"), draw(&seed, &entries, 4, &[], "draw"));
        }
    }

    #[test]
    fn a_reroll_never_returns_an_earlier_winner() {
        let entries: Vec<Entry> = (0..20).map(|i| Entry::new(format!("m{i:02}"), 1 + (i % 7) * 3).unwrap()).collect();
        for n in 0..300 {
            let seed = seed_number(n);
            let mut earlier = draw(&seed, &entries, 3, &[], "draw").unwrap();
            assert_eq!(earlier.len(), 3);
            for reroll in 1..=5 {
                let round = round_label(reroll);
                let again = draw(&seed, &entries, 2, &earlier, &round).unwrap();
                assert_eq!(again.len(), 2);
                assert!(again.iter().all(|w| !earlier.contains(w)), "seed {n}, {round}: {again:?} in {earlier:?}");
                earlier.extend(again);
            }
        }
    }

    #[test]
    fn winners_are_distinct_and_fewer_only_when_the_list_runs_out() {
        let entries = vector_entries();
        for n in 0..100 {
            let all = draw(&seed_number(n), &entries, 10, &[], "draw").unwrap();
            assert_eq!(all.len(), entries.len());
            let distinct: HashSet<&String> = all.iter().collect();
            assert_eq!(distinct.len(), all.len());
        }
    }

    #[test]
    fn no_entries_or_everyone_excluded_gives_no_winners() {
        let seed = vector_seed();
        assert_eq!(draw(&seed, &[], 3, &[], "draw").unwrap(), Vec::<String>::new());
        let entries = vector_entries();
        let everyone: Vec<String> = entries.iter().map(|e| e.member.clone()).collect();
        assert_eq!(draw(&seed, &entries, 3, &everyone, "reroll:1").unwrap(), Vec::<String>::new());
        assert_eq!(draw(&seed, &entries, 0, &[], "draw").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn weights_matter() {
        let entries = vec![Entry::new("heavy", 9).unwrap(), Entry::new("light", 1).unwrap()];
        let heavy_wins =
            (0..1000).filter(|n| draw(&seed_number(*n), &entries, 1, &[], "draw").unwrap() == ["heavy"]).count();
        // Expected 900, standard deviation about 9.5.
        assert!((850..=950).contains(&heavy_wins), "heavy won {heavy_wins} of 1000");
    }

    #[test]
    fn each_round_draws_differently() {
        let entries: Vec<Entry> = (0..1000).map(|i| Entry::new(format!("m{i:04}"), 1).unwrap()).collect();
        let seed = vector_seed();
        let first = draw(&seed, &entries, 5, &[], "draw").unwrap();
        let reroll = draw(&seed, &entries, 5, &[], "reroll:1").unwrap();
        assert_ne!(first, reroll);
    }

    #[test]
    fn verify_accepts_the_honest_result() {
        let seed = vector_seed();
        let entries = vector_entries();
        let winners = draw(&seed, &entries, 3, &[], "draw").unwrap();
        assert_eq!(verify(&commitment(&seed), &seed, &entries, 3, &[], "draw", &winners), Ok(()));
        assert_eq!(verify_entry_list(&entry_list_digest(&entries), &entries), Ok(()));
    }

    #[test]
    fn verify_refuses_a_tampered_list() {
        let seed = vector_seed();
        let entries = vector_entries();
        let digest = entry_list_digest(&entries);
        let winners = draw(&seed, &entries, 3, &[], "draw").unwrap();
        let mut tampered = entries.clone();
        tampered[0].weight = 40;
        assert!(matches!(verify_entry_list(&digest, &tampered), Err(VerifyError::DigestMismatch { .. })));
        assert!(matches!(
            verify(&commitment(&seed), &seed, &tampered, 3, &[], "draw", &winners),
            Err(VerifyError::WinnersDiffer { .. })
        ));
        let mut zero = entries.clone();
        zero[2].weight = 0;
        assert_eq!(
            verify(&commitment(&seed), &seed, &zero, 3, &[], "draw", &winners),
            Err(VerifyError::Entries(EntryError::ZeroWeight("carol".into())))
        );
    }

    #[test]
    fn verify_refuses_a_wrong_seed() {
        let seed = vector_seed();
        let other = seed_number(7);
        let entries = vector_entries();
        let winners = draw(&other, &entries, 3, &[], "draw").unwrap();
        assert!(matches!(
            verify(&commitment(&seed), &other, &entries, 3, &[], "draw", &winners),
            Err(VerifyError::SeedMismatch { .. })
        ));
    }

    #[test]
    fn verify_refuses_changed_winners() {
        let seed = vector_seed();
        let entries = vector_entries();
        let honest = draw(&seed, &entries, 3, &[], "draw").unwrap();
        let mut reordered = honest.clone();
        reordered.swap(0, 1);
        let mut replaced = honest.clone();
        let outsider = entries.iter().find(|e| !honest.contains(&e.member)).unwrap().member.clone();
        replaced[2] = outsider;
        for claimed in [reordered, replaced, honest[..2].to_vec()] {
            assert_eq!(
                verify(&commitment(&seed), &seed, &entries, 3, &[], "draw", &claimed),
                Err(VerifyError::WinnersDiffer { expected: honest.clone(), claimed })
            );
        }
    }

    #[test]
    fn duplicates_zero_weights_and_bad_members_are_refused() {
        assert_eq!(Entry::new("alice", 0), Err(EntryError::ZeroWeight("alice".into())));
        assert_eq!(Entry::new("", 1), Err(EntryError::InvalidMember(String::new())));
        assert_eq!(Entry::new("al ice", 1), Err(EntryError::InvalidMember("al ice".into())));
        assert_eq!(Entry::new("alice\n", 1), Err(EntryError::InvalidMember("alice\n".into())));
        let twice = vec![Entry::new("bob", 1).unwrap(), Entry::new("alice", 2).unwrap(), Entry::new("bob", 3).unwrap()];
        assert_eq!(canonical_entries(twice), Err(EntryError::Duplicate("bob".into())));
        let zero = vec![Entry { member: "alice".into(), weight: 0 }];
        assert_eq!(
            draw(&vector_seed(), &zero, 1, &[], "draw"),
            Err(DrawError::Entries(EntryError::ZeroWeight("alice".into())))
        );
    }

    #[test]
    fn an_unsorted_list_is_refused_and_canonical_entries_sorts_it() {
        let mut entries = vector_entries();
        entries.swap(0, 1);
        assert_eq!(check_entries(&entries), Err(EntryError::Unsorted { previous: "bob".into(), next: "alice".into() }));
        assert!(matches!(draw(&vector_seed(), &entries, 1, &[], "draw"), Err(DrawError::Entries(_))));
        assert_eq!(canonical_entries(entries).unwrap(), vector_entries());
    }

    #[test]
    fn canonical_order_is_byte_order() {
        let entries = canonical_entries(vec![
            Entry::new("b", 1).unwrap(),
            Entry::new("B", 1).unwrap(),
            Entry::new("é", 1).unwrap(),
            Entry::new("10", 1).unwrap(),
            Entry::new("9", 1).unwrap(),
        ])
        .unwrap();
        let members: Vec<&str> = entries.iter().map(|e| e.member.as_str()).collect();
        assert_eq!(members, ["10", "9", "B", "b", "é"]);
    }

    #[test]
    fn only_draw_and_numbered_rerolls_are_rounds() {
        let entries = vector_entries();
        let seed = vector_seed();
        assert_eq!(round_label(0), "draw");
        assert_eq!(round_label(3), "reroll:3");
        for bad in ["", "final", "reroll:0", "reroll:01", "reroll:", "reroll:-1", "Draw", "reroll:1 "] {
            assert_eq!(draw(&seed, &entries, 1, &[], bad), Err(DrawError::Round(bad.to_owned())));
        }
    }

    /// A plain re-implementation: rebuilds the pool and its total for every winner.
    fn reference_draw(seed: &Seed, entries: &[Entry], winners: usize, round: &str) -> Vec<String> {
        let mut chosen: Vec<String> = Vec::new();
        for i in 0..winners as u64 {
            let pool: Vec<&Entry> = entries.iter().filter(|e| !chosen.contains(&e.member)).collect();
            let total: u128 = pool.iter().map(|e| u128::from(e.weight)).sum();
            if total == 0 {
                break;
            }
            let mut pick = draw_number(seed, round, i) % total;
            for entry in pool {
                if pick < u128::from(entry.weight) {
                    chosen.push(entry.member.clone());
                    break;
                }
                pick -= u128::from(entry.weight);
            }
        }
        chosen
    }

    #[test]
    fn a_draw_over_100_000_entries_matches_the_plain_algorithm() {
        let entries: Vec<Entry> =
            (0..100_000u32).map(|i| Entry::new(format!("member-{i:06}"), 1 + i % 5).unwrap()).collect();
        let entries = canonical_entries(entries).unwrap();
        for n in 0..3 {
            let seed = seed_number(n);
            let winners = draw(&seed, &entries, 10, &[], "draw").unwrap();
            assert_eq!(winners.len(), 10);
            assert_eq!(winners, reference_draw(&seed, &entries, 10, "draw"));
        }
    }

    #[test]
    fn the_heaviest_weights_add_up_without_overflow() {
        let heavy = vec![Entry::new("a", u32::MAX).unwrap(), Entry::new("b", u32::MAX).unwrap()];
        assert_eq!(check_entries(&heavy), Ok(2 * u64::from(u32::MAX)));
        assert_eq!(draw(&vector_seed(), &heavy, 2, &[], "draw").unwrap().len(), 2);
    }
}
