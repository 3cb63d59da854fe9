//! Input checks shared by the areas; each error names the offending field.
use crate::error::{AppError, AppResult};
use rust_decimal::Decimal;

/// Trims and requires a non-empty string of at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::validation(
            field,
            format!("{field} must not be empty"),
        ));
    }
    at_most(field, v, max)?;
    printable(field, v, &[])?;
    Ok(v.to_owned())
}

/// A field that is optional on update but required on create.
pub fn required_on_create(field: &str, value: &Option<String>, max: usize) -> AppResult<String> {
    required(field, value.as_deref().unwrap_or(""), max)
}

pub fn optional(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => required(field, &v, max).map(Some),
    }
}

/// ISO 4217 style: three upper-case letters.
pub fn currency(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim().to_uppercase();
    if v.len() == 3 && v.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(v)
    } else {
        Err(AppError::validation(
            field,
            format!("{field} must be a 3-letter currency code"),
        ))
    }
}

/// Two-letter language code (ISO 639-1), lower-case.
pub fn language(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    if v.len() == 2 && v.chars().all(|c| c.is_ascii_lowercase()) {
        Ok(v)
    } else {
        Err(AppError::validation(
            field,
            format!("{field} must be a 2-letter language code"),
        ))
    }
}

pub fn email(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.')
        });
    if ok {
        Ok(v)
    } else {
        Err(AppError::validation(
            field,
            format!("{field} is not an e-mail address"),
        ))
    }
}

/// Rows one document may hold (lines plus kit components): bounds the statements that write
/// it (SQLite binds at most 32,766 values per statement) and what one request can make.
pub const MAX_DOCUMENT_LINES: usize = 1000;

pub fn document_lines(field: &str, rows: usize) -> AppResult<()> {
    if rows > MAX_DOCUMENT_LINES {
        return Err(AppError::validation(
            field,
            format!(
                "a document has at most {MAX_DOCUMENT_LINES} lines (kit components included); this one would have {rows}"
            ),
        ));
    }
    Ok(())
}

/// Refuses control characters other than those `allowed` (names and codes allow none: NUL,
/// CR, LF and tabs break exports, logs and e-mails; notes allow line breaks and tabs), and
/// invisible formatting everywhere: bidirectional overrides (U+202E makes `ACME`, then `gpj.exe`, read
/// as something else) and zero-width characters (`ACME\u{200b}` looks like `ACME`).
fn printable(field: &str, v: &str, allowed: &[char]) -> AppResult<()> {
    if v.chars().any(|c| c.is_control() && !allowed.contains(&c)) {
        return Err(AppError::validation(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    if let Some(c) = v.chars().find(|c| invisible(*c)) {
        return Err(AppError::validation(
            field,
            format!(
                "{field} must not contain invisible formatting characters (U+{:04X})",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// Bidirectional controls and zero-width characters.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A code or SKU: after NFKC normalisation (full-width `ＡＣＭＥ` becomes `ACME`), only ASCII
/// letters, digits and `- _ . /`, so no two codes that look alike differ (a Cyrillic `Е` in
/// `ACMЕ` is refused). Case is kept; lookups by code ignore it.
pub fn code(field: &str, value: &str, max: usize) -> AppResult<String> {
    use unicode_normalization::UnicodeNormalization;
    let normalised: String = value.nfkc().collect();
    let v = required(field, &normalised, max)?;
    if let Some(c) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        return Err(AppError::validation(
            field,
            format!("{field} may hold ASCII letters, digits and - _ . / only, not {c:?}"),
        ));
    }
    Ok(v)
}

/// A web address a person will open (an attached document): http(s) with a host. With
/// `public_only` (production) only `https` to a public host: no loopback, private,
/// link-local or unique-local address and no `localhost`, so a stored link cannot point a
/// colleague's browser (or a future fetcher) at the company's own network.
pub fn web_address(field: &str, value: &str, public_only: bool) -> AppResult<String> {
    let v = required(field, value, 2000)?;
    let bad = |why: &str| AppError::validation(field, format!("{field} {why}"));
    let parsed = url::Url::parse(&v).map_err(|_| bad("is not a URL"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if !public_only => {}
        _ => return Err(bad("must be an https URL")),
    }
    let host = parsed.host().ok_or_else(|| bad("needs a host"))?;
    if public_only && !public_host(&host) {
        return Err(bad("must point to a public host"));
    }
    Ok(parsed.to_string())
}

fn public_host(host: &url::Host<&str>) -> bool {
    use std::net::{IpAddr, Ipv6Addr};
    fn public_ip(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                !(v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.is_documentation()
                    || a == 0
                    || (a == 100 && (64..128).contains(&b)))
            }
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => public_ip(IpAddr::V4(v4)),
                None => {
                    let first = v6.segments()[0];
                    !(v6.is_loopback()
                        || v6.is_unspecified()
                        || (first & 0xfe00) == 0xfc00
                        || (first & 0xffc0) == 0xfe80
                        || v6 == Ipv6Addr::LOCALHOST)
                }
            },
        }
    }
    match host {
        url::Host::Ipv4(ip) => public_ip(IpAddr::V4(*ip)),
        url::Host::Ipv6(ip) => public_ip(IpAddr::V6(*ip)),
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d.contains('.')
                && ![
                    "localhost",
                    ".local",
                    ".internal",
                    ".localdomain",
                    ".home.arpa",
                ]
                .iter()
                .any(|s| d == s.trim_start_matches('.') || d.ends_with(s))
        }
    }
}

fn at_most(field: &str, v: &str, max: usize) -> AppResult<()> {
    if v.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("{field} must have at most {max} characters"),
        ));
    }
    Ok(())
}

/// Free text (notes): line breaks and tabs allowed, other control characters not.
pub fn text(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    printable(field, &v, &['\n', '\r', '\t'])?;
    at_most(field, &v, max)?;
    Ok(Some(v))
}

/// A series code (R-ORD-2): up to 10 letters and digits, upper-cased.
pub fn series_code(field: &str, v: &str) -> AppResult<String> {
    let code = required(field, v, 10)?.to_uppercase();
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::validation(
            field,
            "a series code is letters and digits",
        ));
    }
    Ok(code)
}

/// The largest stored amount or quantity: 15 integer digits (NUMERIC(19,4)).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_319, 232_830, 0, false, 0);

/// Stored decimals have 4 places and 15 integer digits (NUMERIC(19,4)).
pub fn decimal(field: &str, value: Decimal) -> AppResult<Decimal> {
    let limit = MAX_AMOUNT;
    if value.scale() > 4 && value.round_dp(4) != value {
        return Err(AppError::validation(
            field,
            format!("{field} has more than 4 decimal places"),
        ));
    }
    if value.abs() > limit {
        return Err(AppError::validation(field, format!("{field} is too large")));
    }
    Ok(value.round_dp(4))
}

pub fn non_negative(field: &str, value: Decimal) -> AppResult<Decimal> {
    let v = decimal(field, value)?;
    if v.is_sign_negative() && !v.is_zero() {
        return Err(AppError::validation(
            field,
            format!("{field} must not be negative"),
        ));
    }
    Ok(v)
}

pub fn positive(field: &str, value: Decimal) -> AppResult<Decimal> {
    let v = decimal(field, value)?;
    if v <= Decimal::ZERO {
        return Err(AppError::validation(
            field,
            format!("{field} must be greater than zero"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimals_keep_four_places_and_refuse_more() {
        assert!(decimal("q", Decimal::from_str("0.0001").unwrap()).is_ok());
        assert!(decimal("q", Decimal::from_str("0.00001").unwrap()).is_err());
        assert!(decimal("q", Decimal::from_str("12345678901234.5678").unwrap()).is_ok());
        assert!(decimal("q", Decimal::from_str("1234567890123456").unwrap()).is_err());
    }

    #[test]
    fn codes_are_normalised() {
        assert_eq!(currency("c", "eur").unwrap(), "EUR");
        assert!(currency("c", "EURO").is_err());
        assert_eq!(language("l", "ES").unwrap(), "es");
        assert!(email("e", "nobody").is_err());
    }
}

#[cfg(test)]
mod hardening_tests {
    use super::*;

    #[test]
    fn look_alike_codes_are_normalised_or_refused() {
        assert_eq!(code("code", "ＡＣＭＥ", 40).unwrap(), "ACME");
        assert_eq!(code("code", "bolt-m8", 40).unwrap(), "bolt-m8");
        assert!(code("code", "ACM\u{0415}", 40).is_err(), "Cyrillic Е");
        assert!(
            code("code", "ACME\u{200b}", 40).is_err(),
            "zero-width space"
        );
        assert!(code("code", "AC ME", 40).is_err());
    }

    #[test]
    fn names_refuse_bidi_controls_and_zero_width_characters() {
        assert!(required("name", "Acme\u{202e}gpj.exe", 200).is_err());
        assert!(required("name", "Ac\u{200d}me", 200).is_err());
        assert!(required("name", "Açme Ибер 東京", 200).is_ok());
    }

    #[test]
    fn document_addresses_point_to_public_https_hosts_in_production() {
        for ok in ["https://docs.example.com/a.pdf", "https://93.184.216.34/x"] {
            assert!(web_address("url", ok, true).is_ok(), "{ok}");
        }
        for bad in [
            "http://docs.example.com/a.pdf",
            "https://127.0.0.1/x",
            "https://2130706433/x",
            "https://localhost/x",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://printer.local/x",
            "javascript:alert(1)",
            "https://intranet/x",
        ] {
            assert!(web_address("url", bad, true).is_err(), "{bad}");
        }
        assert!(
            web_address("url", "http://127.0.0.1:9/x", false).is_ok(),
            "dev"
        );
        assert!(web_address("url", "ftp://example.com/x", false).is_err());
    }
}
