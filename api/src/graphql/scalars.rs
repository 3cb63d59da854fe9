//! `Decimal`: exact, carried as a string. Numbers are accepted for convenience, read through
//! their shortest text form, but only strings are guaranteed exact past 15 digits.
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        let text = match &value {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        plain_decimal(&text)
            .and_then(|t| rust_decimal::Decimal::from_str_exact(t).ok())
            .map(Decimal)
            .ok_or_else(|| {
                let shown: String = text.chars().take(40).collect();
                InputValueError::custom(format!(
                    "{shown:?} is not a decimal number (digits, an optional sign and point: \"-12.50\")"
                ))
            })
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// `text` when it is a plain decimal: an optional `-`, digits, and optionally a point and
/// more digits. rust_decimal also reads `1_000`, `1E2` and `.5`; a commerce API should not
/// guess what those meant.
fn plain_decimal(text: &str) -> Option<&str> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (all_digits(whole) && fraction.is_none_or(all_digits) && text.len() <= 40).then_some(text)
}

impl From<entity::Dec> for Decimal {
    fn from(d: entity::Dec) -> Self {
        Decimal(d.0)
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(d: rust_decimal::Decimal) -> Self {
        Decimal(d)
    }
}

impl FromStr for Decimal {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        rust_decimal::Decimal::from_str_exact(s).map(Decimal)
    }
}

/// ISO 8601 calendar date without timezone.
/// Format: %Y-%m-%d
///
/// # Examples
///
/// * `1994-11-13`
/// * `2000-02-24`
//
// The input side of the `NaiveDate` scalar (outputs use chrono's own): exactly `YYYY-MM-DD`,
// from 1900-01-01 to 2200-12-31, so `0000-01-01` or `+99999-01-01` are refused as VALIDATION
// rather than stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub chrono::NaiveDate);

pub const FIRST_DATE: (i32, u32, u32) = (1900, 1, 1);
pub const LAST_DATE: (i32, u32, u32) = (2200, 12, 31);

#[Scalar(name = "NaiveDate")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(s) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        let shaped = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| shaped)
            .ok_or_else(|| InputValueError::custom(format!("{s:?} is not a date (YYYY-MM-DD)")))?;
        let (first, last) = (FIRST_DATE, LAST_DATE);
        let in_range = chrono::NaiveDate::from_ymd_opt(first.0, first.1, first.2)
            .zip(chrono::NaiveDate::from_ymd_opt(last.0, last.1, last.2))
            .is_some_and(|(a, b)| (a..=b).contains(&date));
        if !in_range {
            return Err(InputValueError::custom(format!(
                "{s} is outside 1900-01-01 … 2200-12-31"
            )));
        }
        Ok(Date(date))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<Date> for chrono::NaiveDate {
    fn from(d: Date) -> Self {
        d.0
    }
}

#[cfg(test)]
mod decimal_tests {
    use super::plain_decimal;

    #[test]
    fn only_plain_decimals_are_read() {
        for ok in ["0", "10", "-12.50", "0.0001", "123456789012345.1234"] {
            assert_eq!(plain_decimal(ok), Some(ok), "{ok}");
        }
        for bad in [
            "1_000", "1E2", "1e2", ".5", "5.", "+5", "--5", "", "-", "1.2.3", "١٢",
        ] {
            assert_eq!(plain_decimal(bad), None, "{bad}");
        }
    }
}
