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
        rust_decimal::Decimal::from_str_exact(&text)
            .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
            .map(Decimal)
            .map_err(|_| InputValueError::custom(format!("{text:?} is not a decimal number")))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
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
