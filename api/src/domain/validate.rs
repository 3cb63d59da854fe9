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
/// CR, LF and tabs break exports, logs and e-mails; notes allow line breaks and tabs).
fn printable(field: &str, v: &str, allowed: &[char]) -> AppResult<()> {
    if v.chars().any(|c| c.is_control() && !allowed.contains(&c)) {
        return Err(AppError::validation(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(())
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
