//! What the brain knows of the fleet: each shop's groups, plans, products and settings. It comes
//! from the shops themselves (`catalog` and `config` orders, see `assistant::knowledge`) or, for
//! the evaluation, from a fleet file (`shellia/eval/fleet.toml`). An empty catalog means "not
//! known": names are then taken as written, as before the brain knew the fleet.

use std::collections::BTreeMap;

use serde::Deserialize;
use subjects::Target;

/// One plan or product of a shop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Item {
    /// Catalog id, e.g. `pro`.
    pub id: String,
    /// Display name (defaults to the id).
    #[serde(default)]
    pub name: String,
    /// `plan`, `role`, `digital` or `physical`.
    #[serde(default)]
    pub kind: String,
    /// Price in major units, e.g. `9.99`.
    #[serde(default)]
    pub price: String,
    /// Units left (absent: unlimited).
    #[serde(default)]
    pub stock: Option<i64>,
}

/// One shop as the brain knows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShopInfo {
    /// Shop id.
    pub id: String,
    /// Its groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Its plans (catalog items of kind `plan`).
    #[serde(default)]
    pub plans: Vec<Item>,
    /// Its other products.
    #[serde(default)]
    pub products: Vec<Item>,
    /// Its settings (`promo.max_discount` = `60`, …).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

/// The fleet's shops, as far as the brain knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Catalog {
    /// Every known shop.
    #[serde(default, rename = "shop")]
    pub shops: Vec<ShopInfo>,
}

/// What a name in a request turns out to be once compared with the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Exactly one id (exact, a unique prefix, or one typo away).
    One(String),
    /// Several ids fit (`p`: pro or premium).
    Several(Vec<String>),
    /// None fits; the known ids.
    None(Vec<String>),
}

/// Plans or products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Subscription plans.
    Plan,
    /// One-off products.
    Product,
}

impl Catalog {
    /// Whether the brain knows nothing of the fleet.
    pub fn is_empty(&self) -> bool {
        self.shops.is_empty()
    }

    /// The shops a target reaches.
    pub fn shops_of<'a>(&'a self, target: &'a Target) -> impl Iterator<Item = &'a ShopInfo> + 'a {
        self.shops.iter().filter(move |s| match target {
            Target::All => true,
            Target::Named(n) => s.id == n.as_ref() || s.groups.iter().any(|g| g == n.as_ref()),
        })
    }

    /// Every shop id and group name, sorted, without repeats.
    pub fn target_names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.shops.iter().flat_map(|s| std::iter::once(s.id.clone()).chain(s.groups.iter().cloned())).collect();
        names.sort();
        names.dedup();
        names
    }

    /// The ids of `kind` that every shop of `target` has (a promotion must fit each of them).
    pub fn ids(&self, kind: Kind, target: &Target) -> Vec<String> {
        let mut shops = self.shops_of(target).peekable();
        if shops.peek().is_none() {
            return Vec::new();
        }
        let lists: Vec<Vec<String>> = shops
            .map(|s| {
                let items = match kind {
                    Kind::Plan => &s.plans,
                    Kind::Product => &s.products,
                };
                items.iter().map(|i| i.id.clone()).collect()
            })
            .collect();
        let mut common = lists[0].clone();
        common.retain(|id| lists.iter().all(|l| l.contains(id)));
        common
    }

    /// A setting as the shops of `target` have it, when they agree.
    pub fn setting(&self, key: &str, target: &Target) -> Option<String> {
        let mut values = self.shops_of(target).filter_map(|s| s.settings.get(key));
        let first = values.next()?.clone();
        values.all(|v| *v == first).then_some(first)
    }

    /// Compares a word of the request with the ids of `kind` on `target`.
    /// The lowest price of `id`, in minor units, among the addressed shops that sell it.
    pub fn price_cents(&self, kind: Kind, id: &str, target: &Target) -> Option<u64> {
        self.shops_of(target)
            .filter_map(|s| match kind {
                Kind::Plan => s.plans.iter().find(|i| i.id == id),
                Kind::Product => s.products.iter().find(|i| i.id == id),
            })
            .filter_map(|i| super::numbers::digits(&i.price).and_then(|n| super::numbers::cents(&n)))
            .min()
    }

    pub fn resolve(&self, kind: Kind, word: &str, target: &Target) -> Resolved {
        let ids = self.ids(kind, target);
        resolve_in(&ids, word)
    }
}

/// Compares `word` with `ids`: exact, then a unique prefix (two letters at least), then one typo.
pub fn resolve_in(ids: &[String], word: &str) -> Resolved {
    let word = word.to_lowercase();
    if let Some(id) = ids.iter().find(|id| **id == word || id.trim_end_matches('s') == word.trim_end_matches('s')) {
        return Resolved::One(id.clone());
    }
    let prefixed: Vec<String> = ids.iter().filter(|id| id.starts_with(&word)).cloned().collect();
    if !prefixed.is_empty() && (word.chars().count() >= 2 || prefixed.len() > 1) {
        return if prefixed.len() == 1 { Resolved::One(prefixed[0].clone()) } else { Resolved::Several(prefixed) };
    }
    let near: Vec<String> =
        ids.iter().filter(|id| id.chars().count() >= 4 && edit_distance(id, &word) == 1).cloned().collect();
    match near.as_slice() {
        [one] => Resolved::One(one.clone()),
        [] => Resolved::None(ids.to_vec()),
        _ => Resolved::Several(near),
    }
}

/// Edit distance between two short words, a swap of two neighbours counting as one edit
/// (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<String> {
        ["basic", "pro", "premium"].map(str::to_owned).to_vec()
    }

    #[test]
    fn an_exact_name_a_unique_prefix_or_one_typo_resolves_to_one_id() {
        assert_eq!(resolve_in(&ids(), "Pro"), Resolved::One("pro".into()));
        assert_eq!(resolve_in(&ids(), "prem"), Resolved::One("premium".into()));
        assert_eq!(resolve_in(&ids(), "premuim"), Resolved::One("premium".into()));
        assert_eq!(resolve_in(&ids(), "premiun"), Resolved::One("premium".into()));
        assert_eq!(resolve_in(&ids(), "basics"), Resolved::One("basic".into()));
    }

    #[test]
    fn a_prefix_that_fits_two_ids_is_ambiguous_and_an_unknown_name_lists_the_real_ones() {
        assert_eq!(resolve_in(&ids(), "p"), Resolved::Several(vec!["pro".into(), "premium".into()]));
        assert_eq!(resolve_in(&ids(), "gold"), Resolved::None(ids()));
    }
}
