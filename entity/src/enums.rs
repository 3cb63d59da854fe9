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
    /// Posts invoices and credit notes, records payments, reads all customers (R-ACC-6).
    #[sea_orm(string_value = "ACCOUNTING")]
    Accounting,
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

/// A sales document is a quote or an order; both share header and lines (R-ORD-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DocKind {
    #[sea_orm(string_value = "QUOTE")]
    Quote,
    #[sea_orm(string_value = "ORDER")]
    Order,
}

/// Main status (R-ORD-17) for orders; `OPEN/ACCEPTED/REJECTED` for quotes (R-ORD-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum DocStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "PARTIALLY_SHIPPED")]
    PartiallyShipped,
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Financial status (R-ORD-17), derived from payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum FinancialStatus {
    #[sea_orm(string_value = "UNPAID")]
    Unpaid,
    #[sea_orm(string_value = "PARTIALLY_PAID")]
    PartiallyPaid,
    #[sea_orm(string_value = "PAID")]
    Paid,
    #[sea_orm(string_value = "OVERPAID")]
    Overpaid,
}

/// Who pays the freight (R-ORD-12): only `ON_INVOICE` puts freight on the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FreightTerms {
    #[sea_orm(string_value = "ON_INVOICE")]
    OnInvoice,
    #[sea_orm(string_value = "PREPAID")]
    Prepaid,
    #[sea_orm(string_value = "COLLECT")]
    Collect,
}

/// How a carrier's freight is calculated (R-ORD-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum FreightCalc {
    #[sea_orm(string_value = "NONE")]
    None,
    #[sea_orm(string_value = "QTY_ZONE")]
    QtyZone,
    #[sea_orm(string_value = "KG_PROVINCE")]
    KgProvince,
}

/// Document types numbered by a series (R-ORD-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum DocType {
    #[sea_orm(string_value = "QUOTE")]
    Quote,
    #[sea_orm(string_value = "ORDER")]
    Order,
    #[sea_orm(string_value = "DELIVERY_NOTE")]
    DeliveryNote,
    #[sea_orm(string_value = "INVOICE")]
    Invoice,
    #[sea_orm(string_value = "PURCHASE_ORDER")]
    PurchaseOrder,
    #[sea_orm(string_value = "RECEIPT")]
    Receipt,
    #[sea_orm(string_value = "CREDIT_NOTE")]
    CreditNote,
    #[sea_orm(string_value = "PROFORMA")]
    Proforma,
    #[sea_orm(string_value = "SALES_AGREEMENT")]
    SalesAgreement,
    #[sea_orm(string_value = "PURCHASE_AGREEMENT")]
    PurchaseAgreement,
    #[sea_orm(string_value = "RETURN_NOTE")]
    ReturnNote,
    #[sea_orm(string_value = "PURCHASE_INVOICE")]
    PurchaseInvoice,
}

/// Where a line's price came from (R-ORD-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PriceSource {
    #[sea_orm(string_value = "AGREEMENT")]
    Agreement,
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    #[sea_orm(string_value = "LIST")]
    List,
    #[sea_orm(string_value = "MANUAL")]
    Manual,
    /// A kit component: price 0, it only moves stock (R-ITEM-1).
    #[sea_orm(string_value = "KIT_COMPONENT")]
    KitComponent,
}

/// R-BO-2: `PENDING → CONFIRMED → PARTIALLY_FULFILLED → FULFILLED`, or `CANCELLED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum BackorderStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "PARTIALLY_FULFILLED")]
    PartiallyFulfilled,
    #[sea_orm(string_value = "FULFILLED")]
    Fulfilled,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// R-BO-4: `DRAFT → CONFIRMED → PARTIALLY_RECEIVED → RECEIVED`, `CANCELLED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum PurchaseOrderStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "PARTIALLY_RECEIVED")]
    PartiallyReceived,
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// A receipt (the purchase invoice) adds to on-hand only once confirmed (R-BO-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReceiptStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
}

/// A customer's tax treatment (R-TAX-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaxRegime {
    #[sea_orm(string_value = "STANDARD")]
    Standard,
    /// Rate 0.
    #[sea_orm(string_value = "EXEMPT")]
    Exempt,
    /// Rate 0 and a legal note on the invoice: the buyer accounts for the tax.
    #[sea_orm(string_value = "REVERSE_CHARGE")]
    ReverseCharge,
}

/// R-INV-1: an invoice, or a credit note (a negative invoice referencing one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InvoiceKind {
    #[sea_orm(string_value = "INVOICE")]
    Invoice,
    #[sea_orm(string_value = "CREDIT_NOTE")]
    CreditNote,
}

/// R-ORD-16: a delivery note is prepared (reservations earmarked, nothing left stock), then
/// shipped or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ShipmentStatus {
    #[sea_orm(string_value = "PREPARING")]
    Preparing,
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// R-INV-6: why a credit note credits. `RETURN`: what a return note brought back (not
/// billable again); `PRICE_CORRECTION`: an amount without quantities; `BILLING_ERROR`: the
/// quantities become billable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CreditReason {
    #[sea_orm(string_value = "RETURN")]
    Return,
    #[sea_orm(string_value = "PRICE_CORRECTION")]
    PriceCorrection,
    #[sea_orm(string_value = "BILLING_ERROR")]
    BillingError,
}

/// R-INV-1: `PENDING → POSTED`, or `CANCELLED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "POSTED")]
    Posted,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// What an invoice line bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InvoiceLineKind {
    #[sea_orm(string_value = "ITEM")]
    Item,
    #[sea_orm(string_value = "FREIGHT")]
    Freight,
}

/// A payment counts until it is reversed (R-PAY-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PaymentStatus {
    #[sea_orm(string_value = "RECORDED")]
    Recorded,
    #[sea_orm(string_value = "REVERSED")]
    Reversed,
}

/// What a document attached to an order is (R-PAY-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrderDocumentKind {
    #[sea_orm(string_value = "QUOTE")]
    Quote,
    #[sea_orm(string_value = "CONTRACT")]
    Contract,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// R-AGR-1: with a customer or with a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AgreementKind {
    #[sea_orm(string_value = "SALES")]
    Sales,
    #[sea_orm(string_value = "PURCHASE")]
    Purchase,
}

/// R-AGR-3: `ON_HOLD` (default) → `EFFECTIVE` → `CLOSED`; EFFECTIVE may go back on hold,
/// CLOSED is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AgreementStatus {
    #[sea_orm(string_value = "ON_HOLD")]
    OnHold,
    #[sea_orm(string_value = "EFFECTIVE")]
    Effective,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

/// R-AGR-1: what a commitment line commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum CommitmentType {
    /// A quantity of one item, at the line's price and discount.
    #[sea_orm(string_value = "PRODUCT_QUANTITY")]
    ProductQuantity,
    /// A value of one item, at the line's price and discount.
    #[sea_orm(string_value = "PRODUCT_VALUE")]
    ProductValue,
    /// A value over any items, with the line's discount on their trade price.
    #[sea_orm(string_value = "VALUE")]
    Value,
}

/// R-DOC-4: a mail waits (`PENDING`, also while no SMTP server is configured), is `SENT`
/// once, or `FAILED` after its last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MailStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}
