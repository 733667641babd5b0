//! Where the shop ships physical products: the countries a buyer may give as shipping address on
//! Stripe's payment page (`config shipping.countries`), checked against the countries Stripe
//! Checkout accepts.

/// The countries Stripe Checkout can collect a shipping address in (its documented values of
/// `shipping_address_collection[allowed_countries]`).
pub const STRIPE_COUNTRIES: &[&str] = &[
    "AC", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CV", "CW", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HN", "HR", "HT", "HU",
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
    "MF", "MG", "MK", "ML", "MM", "MN", "MO", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC",
    "NE", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN",
    "PR", "PS", "PT", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ",
    "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SZ", "TA", "TC", "TD", "TF", "TG", "TH", "TJ", "TK",
    "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VN",
    "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW", "ZZ",
];

/// The default: the European Union, the rest of the EEA, Switzerland, the United Kingdom, the
/// United States and Canada.
pub const DEFAULT_COUNTRIES: &str = "AT,BE,BG,CA,CH,CY,CZ,DE,DK,EE,ES,FI,FR,GB,GR,HR,HU,IE,IS,IT,LI,LT,LU,LV,MT,NL,NO,\
                                     PL,PT,RO,SE,SI,SK,US";

/// Why a country list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountriesError {
    /// Nothing listed.
    #[error("list at least one country, as two-letter codes: FR,BE,DE")]
    Empty,
    /// Not a country Stripe Checkout ships to.
    #[error("{0} is not a country code Stripe Checkout ships to (two letters, such as FR)")]
    Unknown(String),
}

/// Parses `fr, BE de` into `["BE", "DE", "FR"]`: uppercase, sorted, no duplicates.
pub fn parse_countries(text: &str) -> Result<Vec<String>, CountriesError> {
    let mut out = Vec::new();
    for code in text.split([',', ' ', ';']).map(str::trim).filter(|c| !c.is_empty()) {
        let code = code.to_ascii_uppercase();
        if !STRIPE_COUNTRIES.contains(&code.as_str()) {
            return Err(CountriesError::Unknown(code));
        }
        out.push(code);
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(CountriesError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_list_is_valid_and_lists_are_canonical() {
        assert_eq!(parse_countries(DEFAULT_COUNTRIES).unwrap().join(","), DEFAULT_COUNTRIES);
        assert_eq!(parse_countries("fr, be;FR de").unwrap(), ["BE", "DE", "FR"]);
        assert_eq!(parse_countries(" , "), Err(CountriesError::Empty));
        assert_eq!(parse_countries("FR,CU"), Err(CountriesError::Unknown("CU".into())));
        assert_eq!(parse_countries("FRA"), Err(CountriesError::Unknown("FRA".into())));
    }
}
