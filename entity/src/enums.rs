use sea_orm::entity::prelude::*;

/// R-ACC-3…6: what a user may do and see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "SALES_MANAGER")]
    SalesManager,
    #[sea_orm(string_value = "SALES_REP")]
    SalesRep,
    #[sea_orm(string_value = "WAREHOUSE")]
    Warehouse,
    #[sea_orm(string_value = "PURCHASING")]
    Purchasing,
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
}

/// R-ITEM-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ItemKind {
    #[sea_orm(string_value = "STOCKED")]
    Stocked,
    #[sea_orm(string_value = "NON_STOCKED")]
    NonStocked,
    #[sea_orm(string_value = "KIT")]
    Kit,
}

/// R-ITEM-4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Tracking {
    #[sea_orm(string_value = "NONE")]
    None,
    #[sea_orm(string_value = "LOT")]
    Lot,
    #[sea_orm(string_value = "SERIAL")]
    Serial,
}

/// R-INV-2: `FUTURE_SALES` customers are left out of automatic invoicing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CustomerType {
    #[sea_orm(string_value = "STANDARD")]
    Standard,
    #[sea_orm(string_value = "FUTURE_SALES")]
    FutureSales,
    #[sea_orm(string_value = "INTERCOMPANY")]
    Intercompany,
}

/// Kind of customer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AddressKind {
    #[sea_orm(string_value = "BILLING")]
    Billing,
    #[sea_orm(string_value = "SHIPPING")]
    Shipping,
}
