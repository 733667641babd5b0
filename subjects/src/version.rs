//! The contract version carried by every order, reply and event.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A `major.minor` contract version, written `"1.0"` on the wire.
///
/// The rule (see `subjects/README.md`): a minor version only adds (new actions, new optional
/// fields, new event kinds, new error codes); anything else bumps the major version, and a shop
/// refuses an order whose major version it does not know with `unsupported_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContractVersion {
    /// Incompatible changes.
    pub major: u32,
    /// Additions only.
    pub minor: u32,
}

impl ContractVersion {
    /// The version this crate speaks.
    pub const CURRENT: Self = Self { major: 1, minor: 0 };

    /// Parses `"<major>.<minor>"`, exactly the grammar `^[0-9]{1,5}\.[0-9]{1,5}$`: every string
    /// that matches it is a version (`"99999.0"` too, judged by its major), nothing else is.
    pub fn parse(input: &str) -> Option<Self> {
        let (major, minor) = input.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(Self { major: major.parse().ok()?, minor: minor.parse().ok()? })
    }

    /// Whether a reader of [`Self::CURRENT`] understands a message of this version.
    pub fn is_supported(self) -> bool {
        self.major == Self::CURRENT.major
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl TryFrom<String> for ContractVersion {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("invalid contract version {value:?}, expected \"<major>.<minor>\""))
    }
}

impl From<ContractVersion> for String {
    fn from(value: ContractVersion) -> Self {
        value.to_string()
    }
}

impl Default for ContractVersion {
    fn default() -> Self {
        Self::CURRENT
    }
}

impl schemars::JsonSchema for ContractVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ContractVersion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{1,5}\\.[0-9]{1,5}$",
            "description": "Contract version `major.minor`; this schema describes major 1."
        })
    }
}
