//! What each document prints, gathered from the database with the caller's visibility
//! (R-DOC-1, R-DOC-2). A document outside the caller's scope is NOT_FOUND, exactly as its
//! GraphQL object is: the same `get` functions load it.
//!
//! A posted invoice or credit note is frozen: `freeze` writes its `Document` as JSON in the
//! posting transaction, and the first rendering in each language and format is kept in
//! `document_files`; later renderings return those bytes. A draft, an order confirmation, a
//! delivery note, … is rendered from the current data each time.
use crate::auth::Principal;
use crate::domain::{invoices, orders, pricing, proformas, purchasing, returns, shipments, taxes};
use crate::error::{AppError, AppResult};
use crate::render::model::{
    Document, DocumentFormat, DocumentKind, Installment, Line, Party, Reference, TaxRow, Totals,
};
use crate::render::{self, Rendered};
use chrono::Utc;
use entity::{
    AddressKind, DocKind, InvoiceKind, InvoiceLineKind, InvoiceStatus, TaxRegime, Tracking,
    bank_account, company, customer, customer_address, document_file, document_snapshot,
    intercompany_chain, invoice, invoice_installment, invoice_line, item, item_description,
    order_installment, purchase_order, purchase_order_line, return_line, sales_order,
    sales_order_line, shipment, shipment_line, supplier, tax_code,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// A document the caller may read, as it prints now (or as it was frozen).
pub async fn document(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocumentKind,
    id: i64,
) -> AppResult<Document> {
    match kind {
        DocumentKind::OrderConfirmation => {
            let order = orders::queries::get(db, p, DocKind::Order, id).await?;
            of_order(db, kind, &order).await
        }
        DocumentKind::Proforma => {
            let pf = proformas::get(db, p, id).await?;
            let order = sales_order::Entity::find_by_id(pf.order_id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound("proforma"))?;
            let mut doc = of_order(db, kind, &order).await?;
            doc.id = pf.id;
            doc.number = format!("{}-{}", pf.series, pf.number);
            doc.date = pf.proforma_date;
            doc.references
                .insert(0, (Reference::Order, order_number(&order)));
            Ok(doc)
        }
        DocumentKind::Invoice | DocumentKind::CreditNote => {
            let inv = invoices::get(db, p, id).await?;
            let wanted = if kind == DocumentKind::Invoice {
                InvoiceKind::Invoice
            } else {
                InvoiceKind::CreditNote
            };
            if inv.kind != wanted {
                return Err(AppError::NotFound(not_found_name(kind)));
            }
            if let Some(frozen) = frozen(db, kind, inv.id).await? {
                return Ok(frozen);
            }
            of_invoice(db, kind, &inv).await
        }
        DocumentKind::DeliveryNote => {
            let s = shipments::get(db, p, id).await?;
            of_shipment(db, &s).await
        }
        DocumentKind::ReturnNote => {
            let r = returns::get(db, p, id).await?;
            of_return(db, &r).await
        }
        DocumentKind::PurchaseOrder => {
            let po = purchasing::get(db, p, id).await?;
            of_purchase_order(db, &po).await
        }
    }
}

pub fn not_found_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::OrderConfirmation => "order",
        DocumentKind::Proforma => "proforma",
        DocumentKind::Invoice => "invoice",
        DocumentKind::CreditNote => "credit note",
        DocumentKind::DeliveryNote => "shipment",
        DocumentKind::ReturnNote => "return note",
        DocumentKind::PurchaseOrder => "purchase order",
    }
}

/// Whether a kind's posted documents are frozen (R-DOC-2).
fn freezes(kind: DocumentKind) -> bool {
    matches!(kind, DocumentKind::Invoice | DocumentKind::CreditNote)
}

/// The document rendered in `language` (or its own); a frozen document's first rendering in
/// that language and format is kept and returned from then on.
pub async fn rendered(
    db: &DatabaseConnection,
    p: &Principal,
    kind: DocumentKind,
    id: i64,
    format: DocumentFormat,
    language: Option<&str>,
) -> AppResult<(Document, Rendered)> {
    let doc = document(db, p, kind, id).await?;
    let r = render_kept(db, &doc, format, language).await?;
    Ok((doc, r))
}

/// Renders a document already gathered, keeping the bytes when it is frozen.
pub async fn render_kept<C: ConnectionTrait>(
    db: &C,
    doc: &Document,
    format: DocumentFormat,
    language: Option<&str>,
) -> AppResult<Rendered> {
    let lang = render::language_of(doc, language);
    if !(freezes(doc.kind) && is_frozen(db, doc.kind, doc.id).await?) {
        return render_now(doc, lang, format).await;
    }
    let find = || {
        document_file::Entity::find()
            .filter(document_file::Column::Kind.eq(doc.kind.slug()))
            .filter(document_file::Column::DocumentId.eq(doc.id))
            .filter(document_file::Column::Language.eq(lang))
            .filter(document_file::Column::Format.eq(format.extension()))
    };
    if let Some(kept) = find().one(db).await? {
        return Ok(Rendered {
            bytes: kept.content,
            language: lang,
        });
    }
    let fresh = render_now(doc, lang, format).await?;
    // Two first renderings at once keep one: the loser's insert does nothing and it reads
    // the winner's bytes back.
    document_file::Entity::insert(document_file::ActiveModel {
        company_id: Set(doc.company_id),
        kind: Set(doc.kind.slug().into()),
        document_id: Set(doc.id),
        language: Set(lang.into()),
        format: Set(format.extension().into()),
        sha256: Set(hex::encode(Sha256::digest(&fresh.bytes))),
        content: Set(fresh.bytes),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([
        document_file::Column::Kind,
        document_file::Column::DocumentId,
        document_file::Column::Language,
        document_file::Column::Format,
    ])
    .exec(db)
    .await?;
    let kept = find()
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a kept document file vanished")))?;
    Ok(Rendered {
        bytes: kept.content,
        language: lang,
    })
}

/// Lays the document out on a blocking thread: a long document takes milliseconds of CPU
/// that would otherwise stall every request on this worker.
async fn render_now(
    doc: &Document,
    lang: &'static str,
    format: DocumentFormat,
) -> AppResult<Rendered> {
    let doc = doc.clone();
    tokio::task::spawn_blocking(move || render::render(&doc, lang, format))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("rendering a document failed: {e}")))
}

/// `Invoice.contentHash`: the SHA-256 of the posted document's PDF in its own language, the
/// same forever; none before posting.
pub async fn content_hash(
    db: &DatabaseConnection,
    p: &Principal,
    inv: &invoice::Model,
) -> AppResult<Option<String>> {
    if inv.status != InvoiceStatus::Posted {
        return Ok(None);
    }
    let kind = kind_of(inv);
    let (_, r) = rendered(db, p, kind, inv.id, DocumentFormat::Pdf, None).await?;
    Ok(Some(hex::encode(Sha256::digest(&r.bytes))))
}

pub fn kind_of(inv: &invoice::Model) -> DocumentKind {
    match inv.kind {
        InvoiceKind::Invoice => DocumentKind::Invoice,
        InvoiceKind::CreditNote => DocumentKind::CreditNote,
    }
}

/// R-DOC-2: called in the posting transaction — what the document says from now on.
pub async fn freeze<C: ConnectionTrait>(db: &C, inv: &invoice::Model) -> AppResult<()> {
    let kind = kind_of(inv);
    let doc = of_invoice(db, kind, inv).await?;
    let body = serde_json::to_string(&doc)
        .map_err(|e| AppError::internal(anyhow::anyhow!("a document does not serialise: {e}")))?;
    document_snapshot::ActiveModel {
        company_id: Set(inv.company_id),
        kind: Set(kind.slug().into()),
        document_id: Set(inv.id),
        body: Set(body),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn is_frozen<C: ConnectionTrait>(db: &C, kind: DocumentKind, id: i64) -> AppResult<bool> {
    use sea_orm::PaginatorTrait;
    Ok(document_snapshot::Entity::find()
        .filter(document_snapshot::Column::Kind.eq(kind.slug()))
        .filter(document_snapshot::Column::DocumentId.eq(id))
        .count(db)
        .await?
        > 0)
}

async fn frozen<C: ConnectionTrait>(
    db: &C,
    kind: DocumentKind,
    id: i64,
) -> AppResult<Option<Document>> {
    let Some(row) = document_snapshot::Entity::find()
        .filter(document_snapshot::Column::Kind.eq(kind.slug()))
        .filter(document_snapshot::Column::DocumentId.eq(id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    serde_json::from_str(&row.body).map(Some).map_err(|e| {
        AppError::internal(anyhow::anyhow!(
            "frozen {} {id} does not parse: {e}",
            kind.slug()
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Parties

async fn issuer<C: ConnectionTrait>(db: &C, company_id: i64) -> AppResult<company::Model> {
    company::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("company {company_id} is gone")))
}

fn company_party(c: &company::Model) -> Party {
    Party {
        name: c.name.clone(),
        code: None,
        tax_id: c.tax_id.clone(),
        address: lines_of(c.address.as_deref()),
        email: c.email.clone(),
    }
}

fn lines_of(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn address_lines(a: &customer_address::Model) -> Vec<String> {
    let mut out = vec![a.name.clone()];
    let city = match &a.postal_code {
        Some(pc) => format!("{pc} {}", a.city),
        None => a.city.clone(),
    };
    out.push(city);
    if let Some(p) = &a.province {
        out.push(p.clone());
    }
    out.push(a.country.clone());
    out
}

async fn customer_party<C: ConnectionTrait>(db: &C, customer_id: i64) -> AppResult<Party> {
    let c = customer::Entity::find_by_id(customer_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("customer {customer_id} is gone")))?;
    let billing = customer_address::Entity::find()
        .filter(customer_address::Column::CustomerId.eq(c.id))
        .filter(customer_address::Column::Kind.eq(AddressKind::Billing))
        .order_by_desc(customer_address::Column::IsDefault)
        .order_by_asc(customer_address::Column::Id)
        .one(db)
        .await?;
    Ok(Party {
        name: c.name,
        code: Some(c.code),
        tax_id: c.tax_id,
        address: billing.as_ref().map(address_lines).unwrap_or_default(),
        email: c.email,
    })
}

/// Where the goods go: a direct delivery's address as entered (R-IC-2), else the order's
/// ship-to address.
async fn ship_to<C: ConnectionTrait>(
    db: &C,
    order: &sales_order::Model,
) -> AppResult<Option<Party>> {
    if let Some(text) = &order.delivery_address {
        let mut lines = lines_of(Some(text));
        if lines.is_empty() {
            return Ok(None);
        }
        let name = lines.remove(0);
        return Ok(Some(Party {
            name,
            address: lines,
            ..Default::default()
        }));
    }
    let Some(id) = order.ship_to_address_id else {
        return Ok(None);
    };
    Ok(customer_address::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|a| {
            let mut lines = address_lines(&a);
            let name = lines.remove(0);
            Party {
                name,
                address: lines,
                ..Default::default()
            }
        }))
}

async fn bank<C: ConnectionTrait>(db: &C, id: Option<i64>) -> AppResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    Ok(bank_account::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|b| format!("{} · {}", b.name, b.iban)))
}

// ---------------------------------------------------------------------------------------------
// Items

struct ItemText {
    sku: String,
    sales_unit: String,
    stock_unit: String,
    factor: Decimal,
    serials: bool,
    tax_code_id: Option<i64>,
    descriptions: BTreeMap<String, String>,
}

/// SKUs, units and descriptions of items, in two reads for any number of lines.
async fn items<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> AppResult<HashMap<i64, ItemText>> {
    let mut out: HashMap<i64, ItemText> = item::Entity::find()
        .filter(item::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| {
            (
                i.id,
                ItemText {
                    sku: i.sku,
                    sales_unit: i.sales_unit,
                    stock_unit: i.stock_unit,
                    factor: i.sales_unit_factor.0,
                    serials: i.tracking == Tracking::Serial,
                    tax_code_id: i.tax_code_id,
                    descriptions: BTreeMap::new(),
                },
            )
        })
        .collect();
    for d in item_description::Entity::find()
        .filter(item_description::Column::ItemId.is_in(ids))
        .all(db)
        .await?
    {
        if let Some(i) = out.get_mut(&d.item_id) {
            i.descriptions.insert(d.language, d.description);
        }
    }
    Ok(out)
}

fn order_number(o: &sales_order::Model) -> String {
    format!("{}-{}", o.series, o.number)
}

fn references_of(o: &sales_order::Model) -> Vec<(Reference, String)> {
    o.customer_reference
        .iter()
        .map(|r| (Reference::CustomerReference, r.clone()))
        .collect()
}

/// Spreads `total` over installments by percent, the last taking what rounding leaves.
fn spread(total: Decimal, parts: &[order_installment::Model]) -> Vec<Installment> {
    let mut left = total;
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let amount = if i + 1 == parts.len() {
                left
            } else {
                pricing::round_money(total * part.percent.0 / Decimal::ONE_HUNDRED)
            };
            left -= amount;
            Installment {
                due_date: part.due_date,
                amount,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Kinds

/// An order confirmation (R-ORD-15), and the body of a proforma: the order's lines with their
/// prices and the taxes the invoice will charge.
async fn of_order<C: ConnectionTrait>(
    db: &C,
    kind: DocumentKind,
    order: &sales_order::Model,
) -> AppResult<Document> {
    let company = issuer(db, order.company_id).await?;
    let cust = customer::Entity::find_by_id(order.customer_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an order's customer is gone")))?;
    let lines = sales_order_line::Entity::find()
        .filter(sales_order_line::Column::OrderId.eq(order.id))
        .filter(sales_order_line::Column::ParentLineId.is_null())
        .order_by_asc(sales_order_line::Column::Position)
        .all(db)
        .await?;
    let texts = items(db, lines.iter().map(|l| l.item_id).collect()).await?;
    let codes = taxes::by_ids(
        db,
        &texts
            .values()
            .filter_map(|t| t.tax_code_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let tax = taxes::of_orders(db, std::slice::from_ref(order))
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    let rate_of = |item_id: i64| {
        let code = texts
            .get(&item_id)
            .and_then(|t| t.tax_code_id)
            .and_then(|id| codes.get(&id))
            .map(|c: &tax_code::Model| c.rate.0);
        taxes::effective_rate(cust.tax_regime, code)
    };
    let mut printed: Vec<Line> = lines
        .iter()
        .map(|l| {
            let t = texts.get(&l.item_id);
            Line {
                position: l.position,
                sku: t.map(|t| t.sku.clone()),
                description: l.description.clone(),
                descriptions: t.map(|t| t.descriptions.clone()).unwrap_or_default(),
                freight: false,
                quantity: l.quantity.0 + l.bonus_quantity.0,
                unit: t.map(|t| t.sales_unit.clone()).unwrap_or_default(),
                unit_price: Some(l.unit_price.0),
                discount_percent: Some(l.discount_percent.0),
                net_amount: Some(pricing::round_money(
                    pricing::LineFigures::money_of(l).net(),
                )),
                tax_rate: Some(rate_of(l.item_id)),
                ..Default::default()
            }
        })
        .collect();
    if !order.freight_amount.0.is_zero() {
        printed.push(Line {
            position: printed.len() as i64 + 1,
            freight: true,
            description: "Freight".into(),
            quantity: Decimal::ONE,
            unit_price: Some(order.freight_amount.0),
            net_amount: Some(order.freight_amount.0),
            tax_rate: Some(tax.by_rate.iter().map(|r| r.rate).max().unwrap_or_default()),
            ..Default::default()
        });
    }
    let installments = order_installment::Entity::find()
        .filter(order_installment::Column::OrderId.eq(order.id))
        .order_by_asc(order_installment::Column::DueDate)
        .all(db)
        .await?;
    let differs = company.currency != order.currency;
    Ok(Document {
        kind,
        id: order.id,
        company_id: order.company_id,
        number: order_number(order),
        date: order.confirmation_date.unwrap_or(order.order_date),
        language: order.language.clone(),
        company_language: company.language.clone(),
        currency: order.currency.clone(),
        company_currency: company.currency.clone(),
        issuer: company_party(&company),
        recipient: customer_party(db, order.customer_id).await?,
        ship_to: ship_to(db, order).await?,
        references: {
            let mut r = references_of(order);
            if let Some(d) = order.delivery_date {
                r.push((Reference::ExpectedDate, d.to_string()));
            }
            r
        },
        lines: printed,
        taxes: tax
            .by_rate
            .iter()
            .map(|r| TaxRow {
                rate: r.rate,
                base: r.base,
                tax: r.tax,
            })
            .collect(),
        installments: spread(tax.total, &installments),
        totals: Some(Totals {
            base: tax.base,
            tax: tax.tax,
            total: tax.total,
            company: differs.then_some((tax.company_base, tax.company_tax, tax.company_total)),
            paid: None,
        }),
        bank_account: bank(db, order.bank_account_id).await?,
        reverse_charge: cust.tax_regime == TaxRegime::ReverseCharge,
        exempt: cust.tax_regime == TaxRegime::Exempt,
        notes: None,
    })
}

/// An invoice or credit note from its stored lines: the figures it was posted with.
async fn of_invoice<C: ConnectionTrait>(
    db: &C,
    kind: DocumentKind,
    inv: &invoice::Model,
) -> AppResult<Document> {
    let company = issuer(db, inv.company_id).await?;
    let lines = invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(inv.id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?;
    let texts = items(db, lines.iter().filter_map(|l| l.item_id).collect()).await?;
    let order_ids: Vec<i64> = {
        let mut ids: Vec<i64> = lines.iter().map(|l| l.order_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let orders = sales_order::Entity::find()
        .filter(sales_order::Column::Id.is_in(order_ids))
        .order_by_asc(sales_order::Column::Id)
        .all(db)
        .await?;
    let mut references: Vec<(Reference, String)> = orders
        .iter()
        .map(|o| (Reference::Order, order_number(o)))
        .collect();
    for o in &orders {
        references.extend(references_of(o));
    }
    let credited = match inv.credit_of_id {
        Some(of) => invoice::Entity::find_by_id(of).one(db).await?,
        None => None,
    };
    if let Some(n) = credited.as_ref().and_then(invoices::number_of) {
        references.push((Reference::CreditedInvoice, n));
    }
    if let Some(d) = inv.next_due_date {
        references.push((Reference::DueDate, d.to_string()));
    }
    let dues = invoice_installment::Entity::find()
        .filter(invoice_installment::Column::InvoiceId.eq(inv.id))
        .order_by_asc(invoice_installment::Column::Position)
        .all(db)
        .await?;
    let taxed: Vec<(Decimal, Decimal, Decimal)> = lines
        .iter()
        .map(|l| (l.net_amount.0, l.tax_rate.0, l.tax_amount.0))
        .collect();
    let first_order = orders.first();
    let differs = company.currency != inv.currency;
    let cust = customer::Entity::find_by_id(inv.customer_id)
        .one(db)
        .await?;
    Ok(Document {
        kind,
        id: inv.id,
        company_id: inv.company_id,
        number: invoices::number_of(inv).unwrap_or_else(|| format!("#{}", inv.id)),
        date: inv.invoice_date,
        language: cust
            .as_ref()
            .map(|c| c.language.clone())
            .unwrap_or_else(|| company.language.clone()),
        company_language: company.language.clone(),
        currency: inv.currency.clone(),
        company_currency: company.currency.clone(),
        issuer: company_party(&company),
        recipient: customer_party(db, inv.customer_id).await?,
        ship_to: match first_order {
            Some(o) => ship_to(db, o).await?,
            None => None,
        },
        references,
        lines: lines
            .iter()
            .map(|l| {
                let t = l.item_id.and_then(|i| texts.get(&i));
                Line {
                    position: l.position,
                    sku: t.map(|t| t.sku.clone()),
                    description: l.description.clone(),
                    descriptions: t.map(|t| t.descriptions.clone()).unwrap_or_default(),
                    freight: l.kind == InvoiceLineKind::Freight,
                    quantity: l.quantity.0,
                    unit: t.map(|t| t.sales_unit.clone()).unwrap_or_default(),
                    unit_price: Some(l.unit_price.0),
                    discount_percent: Some(l.discount_percent.0),
                    net_amount: Some(l.net_amount.0),
                    tax_rate: Some(l.tax_rate.0),
                    ..Default::default()
                }
            })
            .collect(),
        taxes: taxes::by_rate(taxed)
            .into_iter()
            .map(|r| TaxRow {
                rate: r.rate,
                base: r.base,
                tax: r.tax,
            })
            .collect(),
        totals: Some(Totals {
            base: inv.tax_base.0,
            tax: inv.tax_amount.0,
            total: inv.total_amount.0,
            company: differs.then_some((
                inv.company_tax_base.0,
                inv.company_tax_amount.0,
                inv.company_total_amount.0,
            )),
            paid: None,
        }),
        installments: dues
            .iter()
            .map(|d| Installment {
                due_date: d.due_date,
                amount: d.amount.0,
            })
            .collect(),
        bank_account: bank(db, first_order.and_then(|o| o.bank_account_id)).await?,
        reverse_charge: inv.tax_regime == TaxRegime::ReverseCharge,
        exempt: inv.tax_regime == TaxRegime::Exempt,
        notes: None,
    })
}

/// A stock quantity in the item's sales units (R-ITEM-3).
fn in_sales_units(stock_quantity: Decimal, t: Option<&ItemText>) -> (Decimal, String) {
    match t {
        Some(t) if !t.factor.is_zero() && t.factor != Decimal::ONE => (
            (stock_quantity / t.factor).normalize(),
            t.sales_unit.clone(),
        ),
        Some(t) => (stock_quantity, t.sales_unit.clone()),
        None => (stock_quantity, String::new()),
    }
}

/// Goods lines of a delivery or return note: one per order line, with its lots or serials.
fn goods_lines(
    rows: Vec<(i64, i64, String, Decimal)>,
    order_lines: &HashMap<i64, sales_order_line::Model>,
    texts: &HashMap<i64, ItemText>,
) -> Vec<Line> {
    let mut by_line: BTreeMap<(i64, i64), (Decimal, Vec<String>)> = BTreeMap::new();
    for (order_line_id, item_id, lot, qty) in rows {
        let position = order_lines.get(&order_line_id).map_or(0, |l| l.position);
        let e = by_line.entry((position, item_id)).or_default();
        e.0 += qty;
        if !lot.is_empty() && !e.1.contains(&lot) {
            e.1.push(lot);
        }
    }
    by_line
        .into_iter()
        .map(|((position, item_id), (qty, lots))| {
            let t = texts.get(&item_id);
            let (quantity, unit) = in_sales_units(qty, t);
            let description = order_lines
                .values()
                .find(|l| l.position == position && l.item_id == item_id)
                .map(|l| l.description.clone())
                .unwrap_or_default();
            Line {
                position,
                sku: t.map(|t| t.sku.clone()),
                description,
                descriptions: t.map(|t| t.descriptions.clone()).unwrap_or_default(),
                quantity,
                unit,
                serials: t.is_some_and(|t| t.serials),
                lots,
                ..Default::default()
            }
        })
        .collect()
}

async fn order_lines_of<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, sales_order_line::Model>> {
    Ok(sales_order_line::Entity::find()
        .filter(sales_order_line::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect())
}

async fn order_of<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<sales_order::Model> {
    sales_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {id} is gone")))
}

/// A delivery note with its lots and serials; for an order delivered directly from a sister
/// company, the original order's number and the end customer's address (R-IC-2).
async fn of_shipment<C: ConnectionTrait>(db: &C, s: &shipment::Model) -> AppResult<Document> {
    let company = issuer(db, s.company_id).await?;
    let order = order_of(db, s.order_id).await?;
    let rows = shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.eq(s.id))
        .order_by_asc(shipment_line::Column::Id)
        .all(db)
        .await?;
    let order_lines = order_lines_of(db, rows.iter().map(|r| r.order_line_id).collect()).await?;
    let texts = items(db, rows.iter().map(|r| r.item_id).collect()).await?;
    let mut references = vec![(Reference::Order, order_number(&order))];
    references.extend(references_of(&order));
    if let Some(chain) = intercompany_chain::Entity::find()
        .filter(intercompany_chain::Column::IntercompanyOrderId.eq(order.id))
        .one(db)
        .await?
    {
        let original = order_of(db, chain.original_order_id).await?;
        references.push((Reference::OriginalOrder, order_number(&original)));
    }
    Ok(Document {
        kind: DocumentKind::DeliveryNote,
        id: s.id,
        company_id: s.company_id,
        number: format!("{}-{}", s.series, s.number),
        date: s.shipped_on,
        language: order.language.clone(),
        company_language: company.language.clone(),
        currency: order.currency.clone(),
        company_currency: company.currency.clone(),
        issuer: company_party(&company),
        recipient: customer_party(db, order.customer_id).await?,
        ship_to: ship_to(db, &order).await?,
        references,
        lines: goods_lines(
            rows.into_iter()
                .map(|r| (r.order_line_id, r.item_id, r.lot, r.quantity.0))
                .collect(),
            &order_lines,
            &texts,
        ),
        taxes: vec![],
        totals: None,
        installments: vec![],
        bank_account: None,
        reverse_charge: false,
        exempt: false,
        notes: None,
    })
}

async fn of_return<C: ConnectionTrait>(
    db: &C,
    r: &entity::return_note::Model,
) -> AppResult<Document> {
    let company = issuer(db, r.company_id).await?;
    let order = order_of(db, r.order_id).await?;
    let rows = return_line::Entity::find()
        .filter(return_line::Column::ReturnId.eq(r.id))
        .order_by_asc(return_line::Column::Id)
        .all(db)
        .await?;
    let order_lines = order_lines_of(db, rows.iter().map(|l| l.order_line_id).collect()).await?;
    let texts = items(db, rows.iter().map(|l| l.item_id).collect()).await?;
    let mut references = vec![(Reference::Order, order_number(&order))];
    if !r.reason.trim().is_empty() {
        references.push((Reference::Reason, r.reason.clone()));
    }
    Ok(Document {
        kind: DocumentKind::ReturnNote,
        id: r.id,
        company_id: r.company_id,
        number: format!("{}-{}", r.series, r.number),
        date: r.return_date,
        language: order.language.clone(),
        company_language: company.language.clone(),
        currency: order.currency.clone(),
        company_currency: company.currency.clone(),
        issuer: company_party(&company),
        recipient: customer_party(db, r.customer_id).await?,
        ship_to: None,
        references,
        lines: goods_lines(
            rows.into_iter()
                .map(|l| (l.order_line_id, l.item_id, l.lot, l.quantity.0))
                .collect(),
            &order_lines,
            &texts,
        ),
        taxes: vec![],
        totals: None,
        installments: vec![],
        bank_account: None,
        reverse_charge: false,
        exempt: false,
        notes: None,
    })
}

/// A purchase order to its supplier, at the agreed costs; the supplier's taxes are its own,
/// so it carries net amounts only.
async fn of_purchase_order<C: ConnectionTrait>(
    db: &C,
    po: &purchase_order::Model,
) -> AppResult<Document> {
    let company = issuer(db, po.company_id).await?;
    let sup = supplier::Entity::find_by_id(po.supplier_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("a purchase order's supplier is gone"))
        })?;
    let rows = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(po.id))
        .order_by_asc(purchase_order_line::Column::Position)
        .all(db)
        .await?;
    let texts = items(db, rows.iter().map(|l| l.item_id).collect()).await?;
    let lines: Vec<Line> = rows
        .iter()
        .map(|l| {
            let t = texts.get(&l.item_id);
            let net = pricing::round_money(l.quantity.0 * l.unit_cost.0);
            Line {
                position: l.position,
                sku: t.map(|t| t.sku.clone()),
                description: t.map(|t| t.sku.clone()).unwrap_or_default(),
                descriptions: t.map(|t| t.descriptions.clone()).unwrap_or_default(),
                quantity: l.quantity.0,
                unit: t.map(|t| t.stock_unit.clone()).unwrap_or_default(),
                unit_price: Some(l.unit_cost.0),
                net_amount: Some(net),
                ..Default::default()
            }
        })
        .collect();
    let base: Decimal = lines.iter().filter_map(|l| l.net_amount).sum();
    let mut references = vec![];
    if let Some(d) = po.expected_date {
        references.push((Reference::ExpectedDate, d.to_string()));
    }
    let mut ship_to = None;
    if po.direct_delivery {
        if let Some(order_id) = po.sales_order_id {
            let order = order_of(db, order_id).await?;
            references.push((Reference::OriginalOrder, order_number(&order)));
        }
        ship_to = po.delivery_address.as_deref().and_then(|a| {
            let mut lines = lines_of(Some(a));
            (!lines.is_empty()).then(|| Party {
                name: lines.remove(0),
                address: lines,
                ..Default::default()
            })
        });
    }
    Ok(Document {
        kind: DocumentKind::PurchaseOrder,
        id: po.id,
        company_id: po.company_id,
        number: format!("{}-{}", po.series, po.number),
        date: po.order_date,
        language: company.language.clone(),
        company_language: company.language.clone(),
        currency: po.currency.clone(),
        company_currency: company.currency.clone(),
        issuer: company_party(&company),
        recipient: Party {
            name: sup.name,
            code: Some(sup.code),
            email: sup.email,
            ..Default::default()
        },
        ship_to,
        references,
        lines,
        taxes: vec![],
        totals: Some(Totals {
            base,
            tax: Decimal::ZERO,
            total: base,
            company: None,
            paid: None,
        }),
        installments: vec![],
        bank_account: None,
        reverse_charge: false,
        exempt: false,
        notes: po.notes.clone(),
    })
}
