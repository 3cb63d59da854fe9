//! `Dec`: an exact decimal column that round-trips every digit on both backends.
//!
//! PostgreSQL stores it as `NUMERIC(19,4)`. SQLite has no decimal type and sea-orm would read
//! it back through `f64`, losing digits (`12345678901234.5678` → `…34.57`), so on SQLite the
//! column is `TEXT` (the binder already writes decimals as strings) and this type parses the
//! text back. Never do arithmetic or comparisons on these columns in SQLite SQL: do it in Rust
//! inside an IMMEDIATE transaction (see ARCHITECTURE.md § Storage).
use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, DbErr, QueryResult, TryGetError, TryGetable, Value};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec(pub Decimal);

/// Places kept by the database (`NUMERIC(19,4)`).
pub const SCALE: u32 = 4;

impl Dec {
    pub const ZERO: Dec = Dec(Decimal::ZERO);

    /// The stored form: exactly four places, whatever the backend, so that both backends
    /// answer `10.5000` for `10.5` (PostgreSQL pads NUMERIC(19,4) on its own).
    pub fn canonical(d: Decimal) -> Decimal {
        let mut d = d.round_dp(SCALE);
        d.rescale(SCALE);
        d
    }
}

impl From<Decimal> for Dec {
    fn from(d: Decimal) -> Self {
        Dec(d)
    }
}

impl From<Dec> for Decimal {
    fn from(d: Dec) -> Self {
        d.0
    }
}

impl std::ops::Deref for Dec {
    type Target = Decimal;
    fn deref(&self) -> &Decimal {
        &self.0
    }
}

impl std::fmt::Display for Dec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Dec> for Value {
    fn from(d: Dec) -> Self {
        Value::Decimal(Some(Dec::canonical(d.0)))
    }
}

impl Nullable for Dec {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for Dec {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(Dec(d)),
            Value::String(Some(s)) => Decimal::from_str(&s).map(Dec).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Dec".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(Some((19, 4)))
    }
}

impl TryGetable for Dec {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        // SQLite hands back TEXT; PostgreSQL refuses TEXT for NUMERIC and takes the second path.
        match String::try_get_by(res, idx) {
            Ok(text) => parse(&text).map(|d| Dec(Dec::canonical(d))),
            Err(TryGetError::Null(col)) => Err(TryGetError::Null(col)),
            Err(_) => Decimal::try_get_by(res, idx).map(|d| Dec(Dec::canonical(d))),
        }
    }
}

fn parse(text: &str) -> Result<Decimal, TryGetError> {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|e| TryGetError::DbErr(DbErr::Type(format!("bad decimal {text:?}: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parsing_keeps_every_digit() {
        assert_eq!(
            parse("12345678901234.5678").unwrap().to_string(),
            "12345678901234.5678"
        );
        assert_eq!(parse("0.0001").unwrap(), Decimal::new(1, 4));
        assert_eq!(parse("1.5E+3").unwrap(), Decimal::new(1500, 0));
    }

    #[test]
    fn the_canonical_form_has_four_places() {
        assert_eq!(Dec::canonical(Decimal::new(105, 1)).to_string(), "10.5000");
        assert_eq!(Dec::canonical(Decimal::new(1, 4)).to_string(), "0.0001");
    }
}
