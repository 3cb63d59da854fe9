//! What a rendered document says, resolved from the database once (`domain::printing`) and,
//! for a posted invoice or credit note, frozen as JSON at posting (R-DOC-2): a later change to
//! the customer, the items, their descriptions or the tax codes never reaches it.
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The document kinds Mercato renders (R-DOC-1). The names are the API's (`DocumentKind`)
/// and the URL's (`/documents/{kind}/…`, lower case).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentKind {
    OrderConfirmation,
    Proforma,
    Invoice,
    CreditNote,
    DeliveryNote,
    ReturnNote,
    PurchaseOrder,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 7] = [
        DocumentKind::OrderConfirmation,
        DocumentKind::Proforma,
        DocumentKind::Invoice,
        DocumentKind::CreditNote,
        DocumentKind::DeliveryNote,
        DocumentKind::ReturnNote,
        DocumentKind::PurchaseOrder,
    ];

    /// The stored and URL spelling: `invoice`, `delivery-note`, …
    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::OrderConfirmation => "order-confirmation",
            DocumentKind::Proforma => "proforma",
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit-note",
            DocumentKind::DeliveryNote => "delivery-note",
            DocumentKind::ReturnNote => "return-note",
            DocumentKind::PurchaseOrder => "purchase-order",
        }
    }

    pub fn from_slug(s: &str) -> Option<DocumentKind> {
        let s = s.replace('_', "-").to_ascii_lowercase();
        DocumentKind::ALL.into_iter().find(|k| k.slug() == s)
    }

    /// Documents that carry prices, taxes and totals (delivery and return notes carry goods).
    pub fn priced(self) -> bool {
        !matches!(self, DocumentKind::DeliveryNote | DocumentKind::ReturnNote)
    }
}

/// `HTML` or `PDF`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "UPPERCASE")]
pub enum DocumentFormat {
    Html,
    Pdf,
}

impl DocumentFormat {
    pub fn extension(self) -> &'static str {
        match self {
            DocumentFormat::Html => "html",
            DocumentFormat::Pdf => "pdf",
        }
    }

    pub fn from_extension(s: &str) -> Option<DocumentFormat> {
        match s {
            "html" => Some(DocumentFormat::Html),
            "pdf" => Some(DocumentFormat::Pdf),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            DocumentFormat::Html => "text/html; charset=utf-8",
            DocumentFormat::Pdf => "application/pdf",
        }
    }
}

/// A company, customer or supplier as the document names it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Party {
    pub name: String,
    pub code: Option<String>,
    pub tax_id: Option<String>,
    /// Address lines, already in print order.
    pub address: Vec<String>,
    pub email: Option<String>,
}

/// A reference printed in the header: the order, the customer's reference, the credited
/// invoice, the original order of a direct delivery (R-IC-2), …
#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reference {
    Order,
    CustomerReference,
    CreditedInvoice,
    OriginalOrder,
    DeliveryNote,
    Supplier,
    Reason,
    ExpectedDate,
    DueDate,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Line {
    pub position: i64,
    pub sku: Option<String>,
    /// The line's own text, printed when the item has no description in the document's
    /// language (R-ITEM-5).
    pub description: String,
    /// The item's descriptions by language, frozen with the document.
    pub descriptions: BTreeMap<String, String>,
    /// A freight line prints the translated word for freight, not a stored English one.
    pub freight: bool,
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
    pub net_amount: Option<Decimal>,
    pub tax_rate: Option<Decimal>,
    /// Lots, or serial numbers when `serials` (delivery and return notes).
    pub lots: Vec<String>,
    pub serials: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TaxRow {
    pub rate: Decimal,
    pub base: Decimal,
    pub tax: Decimal,
}

/// The figures in the document currency and, where it differs, in the company's.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub base: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub company: Option<(Decimal, Decimal, Decimal)>,
    pub paid: Option<Decimal>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Installment {
    pub due_date: NaiveDate,
    pub amount: Decimal,
}

/// Everything one document prints. Labels are not in it: they come from the language at
/// rendering, and are frozen with the rendered bytes of a posted document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Document {
    pub kind: DocumentKind,
    pub id: i64,
    pub company_id: i64,
    pub number: String,
    pub date: NaiveDate,
    /// The language the document is written in when none is asked for.
    pub language: String,
    /// The company's language: the fallback for a language Mercato does not write.
    pub company_language: String,
    pub currency: String,
    pub company_currency: String,
    /// The company that issues the document.
    pub issuer: Party,
    /// The customer, or the supplier of a purchase order.
    pub recipient: Party,
    pub ship_to: Option<Party>,
    pub references: Vec<(Reference, String)>,
    pub lines: Vec<Line>,
    pub taxes: Vec<TaxRow>,
    pub totals: Option<Totals>,
    pub installments: Vec<Installment>,
    /// Bank account for the payment: name and IBAN.
    pub bank_account: Option<String>,
    pub reverse_charge: bool,
    pub exempt: bool,
    pub notes: Option<String>,
}
