//! A document in one language, every text formatted: what the HTML template and the PDF
//! layout both print, so the two never say different things.
use super::i18n::Locale;
use super::model::{Document, DocumentKind, Party, Reference};
use fluent_bundle::FluentArgs;

pub struct PartyView {
    pub label: String,
    pub name: String,
    pub lines: Vec<String>,
}

pub struct Column {
    pub label: String,
    pub numeric: bool,
    /// Share of the table's width.
    pub width: f32,
}

pub struct Row {
    pub cells: Vec<String>,
    /// Lots or serial numbers, under the line.
    pub detail: Option<String>,
}

pub struct TaxTable {
    pub title: String,
    pub header: [String; 3],
    pub rows: Vec<[String; 3]>,
}

pub struct TotalRow {
    pub label: String,
    pub value: String,
    pub strong: bool,
}

pub struct View {
    pub lang: &'static str,
    pub title: String,
    pub heading: Vec<(String, String)>,
    pub parties: Vec<PartyView>,
    pub references: Vec<(String, String)>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub taxes: Option<TaxTable>,
    pub totals: Vec<TotalRow>,
    pub schedule: Option<(String, Vec<(String, String)>)>,
    pub bank: Option<(String, String)>,
    pub notes: Vec<String>,
    pub footer: String,
    locale: Locale,
}

impl View {
    pub fn page_label(&self, page: usize, pages: usize) -> String {
        let mut args = FluentArgs::new();
        args.set("page", page);
        args.set("pages", pages);
        self.locale.text_with("page", Some(&args))
    }
}

fn party(l: &Locale, label: &str, p: &Party) -> PartyView {
    let mut lines = vec![];
    if let Some(code) = &p.code {
        lines.push(code.clone());
    }
    lines.extend(p.address.iter().cloned());
    if let Some(tax_id) = &p.tax_id {
        lines.push(format!("{}: {tax_id}", l.text("tax-id")));
    }
    if let Some(email) = &p.email {
        lines.push(email.clone());
    }
    PartyView {
        label: l.text(label),
        name: p.name.clone(),
        lines,
    }
}

fn reference_key(r: Reference) -> &'static str {
    match r {
        Reference::Order => "ref-order",
        Reference::CustomerReference => "ref-customer-reference",
        Reference::CreditedInvoice => "ref-credited-invoice",
        Reference::OriginalOrder => "ref-original-order",
        Reference::DeliveryNote => "ref-delivery-note",
        Reference::Supplier => "ref-supplier",
        Reference::Reason => "ref-reason",
        Reference::ExpectedDate => "ref-expected-date",
        Reference::DueDate => "ref-due-date",
    }
}

fn title_key(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::OrderConfirmation => "title-order-confirmation",
        DocumentKind::Proforma => "title-proforma",
        DocumentKind::Invoice => "title-invoice",
        DocumentKind::CreditNote => "title-credit-note",
        DocumentKind::DeliveryNote => "title-delivery-note",
        DocumentKind::ReturnNote => "title-return-note",
        DocumentKind::PurchaseOrder => "title-purchase-order",
    }
}

/// The document written in `lang` (already resolved by `i18n::resolve`).
pub fn build(doc: &Document, lang: &'static str) -> View {
    let l = Locale::new(lang);
    let priced = doc.kind.priced();
    let mut parties = vec![
        party(&l, "issuer", &doc.issuer),
        party(&l, "recipient", &doc.recipient),
    ];
    if let Some(ship_to) = &doc.ship_to {
        parties.push(party(&l, "ship-to", ship_to));
    }
    let col = |key: &str, numeric: bool, width: f32| Column {
        label: l.text(key),
        numeric,
        width,
    };
    let columns = if priced {
        vec![
            col("col-sku", false, 0.12),
            col("col-description", false, 0.33),
            col("col-quantity", true, 0.09),
            col("col-unit", false, 0.07),
            col("col-price", true, 0.12),
            col("col-discount", true, 0.08),
            col("col-tax-rate", true, 0.07),
            col("col-net", true, 0.12),
        ]
    } else {
        vec![
            col("col-sku", false, 0.16),
            col("col-description", false, 0.56),
            col("col-quantity", true, 0.14),
            col("col-unit", false, 0.14),
        ]
    };
    let rows = doc
        .lines
        .iter()
        .map(|line| {
            let description = if line.freight {
                l.text("freight")
            } else {
                line.descriptions
                    .get(lang)
                    .cloned()
                    .unwrap_or_else(|| line.description.clone())
            };
            let mut cells = vec![
                line.sku.clone().unwrap_or_default(),
                description,
                l.quantity(line.quantity),
                line.unit.clone(),
            ];
            if priced {
                let or_blank = |v: Option<String>| v.unwrap_or_default();
                cells.push(or_blank(line.unit_price.map(|p| l.number(p, 2))));
                cells.push(or_blank(
                    line.discount_percent
                        .filter(|d| !d.is_zero())
                        .map(|d| l.percent(d)),
                ));
                cells.push(or_blank(line.tax_rate.map(|r| l.percent(r))));
                cells.push(or_blank(line.net_amount.map(|n| l.number(n, 2))));
            }
            let detail = (!line.lots.is_empty()).then(|| {
                let key = if line.serials { "serials" } else { "lots" };
                format!("{}: {}", l.text(key), line.lots.join(", "))
            });
            Row { cells, detail }
        })
        .collect();
    let cur = doc.currency.as_str();
    let taxes = (priced && !doc.taxes.is_empty()).then(|| TaxTable {
        title: l.text("taxes"),
        header: [l.text("tax-rate"), l.text("tax-base"), l.text("tax-amount")],
        rows: doc
            .taxes
            .iter()
            .map(|t| {
                [
                    format!("{} %", l.percent(t.rate)),
                    l.amount(t.base, cur),
                    l.amount(t.tax, cur),
                ]
            })
            .collect(),
    });
    let mut totals = vec![];
    if let Some(t) = &doc.totals {
        let row = |key: &str, value: String, strong: bool| TotalRow {
            label: l.text(key),
            value,
            strong,
        };
        totals.push(row("total-base", l.amount(t.base, cur), false));
        totals.push(row("total-tax", l.amount(t.tax, cur), false));
        totals.push(row("total", l.amount(t.total, cur), true));
        if let Some((_, _, company_total)) = t.company {
            let mut args = FluentArgs::new();
            args.set("currency", doc.company_currency.clone());
            totals.push(TotalRow {
                label: l.text_with("total-in-company", Some(&args)),
                value: l.amount(company_total, &doc.company_currency),
                strong: false,
            });
        }
        if let Some(paid) = t.paid.filter(|p| !p.is_zero()) {
            totals.push(row("paid", l.amount(paid, cur), false));
        }
    }
    let schedule = (!doc.installments.is_empty()).then(|| {
        (
            l.text("schedule"),
            doc.installments
                .iter()
                .map(|i| (l.date(i.due_date), l.amount(i.amount, cur)))
                .collect(),
        )
    });
    let mut notes = vec![];
    if doc.reverse_charge {
        notes.push(l.text("reverse-charge"));
    }
    if doc.exempt {
        notes.push(l.text("exempt"));
    }
    if let Some(n) = &doc.notes {
        notes.push(format!("{}: {n}", l.text("notes")));
    }
    let mut footer = doc.issuer.name.clone();
    if let Some(tax_id) = &doc.issuer.tax_id {
        footer.push_str(&format!(" · {}: {tax_id}", l.text("tax-id")));
    }
    View {
        lang,
        title: l.text(title_key(doc.kind)),
        heading: vec![
            (l.text("number"), doc.number.clone()),
            (l.text("date"), l.date(doc.date)),
        ],
        parties,
        references: doc
            .references
            .iter()
            .map(|(r, v)| {
                let value = match (r, v.parse::<chrono::NaiveDate>()) {
                    (Reference::ExpectedDate | Reference::DueDate, Ok(d)) => l.date(d),
                    _ => v.clone(),
                };
                (l.text(reference_key(*r)), value)
            })
            .collect(),
        columns,
        rows,
        taxes,
        totals,
        schedule,
        bank: doc.bank_account.clone().map(|b| (l.text("bank"), b)),
        notes,
        footer,
        locale: l,
    }
}
