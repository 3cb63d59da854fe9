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
    if v.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("{field} must have at most {max} characters"),
        ));
    }
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

/// Stored decimals have 4 places and 15 integer digits (NUMERIC(19,4)).
pub fn decimal(field: &str, value: Decimal) -> AppResult<Decimal> {
    let limit = Decimal::new(999_999_999_999_999, 0);
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
