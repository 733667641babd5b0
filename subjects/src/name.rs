//! Names of shops and groups, and the targets an order can be addressed to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest name accepted, in bytes (all accepted characters are ASCII).
pub const MAX_NAME_LEN: usize = 32;

/// The reserved name that addresses every shop.
pub const ALL: &str = "all";

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameErrorKind {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`].
    TooLong,
    /// The name does not start with `[a-z0-9]`.
    BadStart,
    /// The name holds a character outside `[a-z0-9_-]` (dots, wildcards, spaces, unicode…).
    InvalidChar,
    /// The name is `all`, which addresses every shop and cannot name one.
    Reserved,
}

/// A refused shop or group name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid name {input:?}: {reason}")]
pub struct NameError {
    /// What was wrong.
    pub kind: NameErrorKind,
    /// The refused input.
    pub input: String,
    reason: &'static str,
}

impl NameError {
    fn new(kind: NameErrorKind, input: &str) -> Self {
        let reason = match kind {
            NameErrorKind::Empty => "a name cannot be empty",
            NameErrorKind::TooLong => "a name has at most 32 characters",
            NameErrorKind::BadStart => "a name starts with a lowercase letter or a digit",
            NameErrorKind::InvalidChar => {
                "a name holds only lowercase letters, digits, '-' and '_' (no dots, wildcards or spaces)"
            }
            NameErrorKind::Reserved => "'all' is reserved: it addresses every shop",
        };
        Self { kind, input: input.to_owned(), reason }
    }
}

/// A shop or group name: `[a-z0-9][a-z0-9_-]{0,31}`, never `all`.
///
/// A valid name is always a single NATS subject token, so it can be placed in a subject
/// without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// Validates `input` as a name.
    pub fn parse(input: impl Into<String>) -> Result<Self, NameError> {
        let input = input.into();
        check_token(&input)?;
        if input == ALL {
            return Err(NameError::new(NameErrorKind::Reserved, &input));
        }
        Ok(Self(input))
    }
}

/// Checks the name grammar, without the reservation of `all`.
fn check_token(input: &str) -> Result<(), NameError> {
    let first = input.chars().next().ok_or_else(|| NameError::new(NameErrorKind::Empty, input))?;
    if input.len() > MAX_NAME_LEN || input.chars().count() > MAX_NAME_LEN {
        return Err(NameError::new(NameErrorKind::TooLong, input));
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        let kind = if first == '_' || first == '-' { NameErrorKind::BadStart } else { NameErrorKind::InvalidChar };
        return Err(NameError::new(kind, input));
    }
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if !input.chars().all(ok) {
        return Err(NameError::new(NameErrorKind::InvalidChar, input));
    }
    Ok(())
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Name {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl FromStr for Name {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl schemars::JsonSchema for Name {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Name".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9_-]{0,31}$",
            "not": { "const": "all" },
            "description": "A shop or group name: [a-z0-9][a-z0-9_-]{0,31}, never `all`."
        })
    }
}

/// The id of one Maxis instance (one shop), such as `shop1`.
pub type ShopId = Name;

/// Where an order goes: one shop or one group (both are [`Name`]s), or every shop.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    /// Every shop of the fleet.
    All,
    /// A shop id or a group name; the broker's consumers decide which shops it reaches.
    Named(Name),
}

impl Target {
    /// Parses `all`, a shop id or a group name. A leading `@` (as typed in chat) is accepted.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let bare = input.strip_prefix('@').unwrap_or(input);
        if bare == ALL {
            return Ok(Self::All);
        }
        Name::parse(bare).map(Self::Named)
    }

    /// The subject token of this target.
    pub fn as_str(&self) -> &str {
        match self {
            Self::All => ALL,
            Self::Named(name) => name.as_ref(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Target {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Target> for String {
    fn from(value: Target) -> Self {
        value.as_str().to_owned()
    }
}
