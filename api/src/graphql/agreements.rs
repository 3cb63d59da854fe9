//! Sales and purchase agreements (R-AGR-1…3), orders placed from them, their fulfilment and
//! their events. Resolvers call `domain::agreements` (and `orders` / `purchasing` for orders).
use crate::domain::PageArgs;
use crate::domain::agreements::{self, AgreementChange, Filter, NewAgreement, OrderLine};
use crate::graphql::connection::{Conn, from_page};
use crate::graphql::customers::{Customer, load_customer};
use crate::graphql::items::Item;
use crate::graphql::scalars::{Date, Decimal};
use crate::graphql::suppliers::Supplier;
use crate::graphql::{
    canonical, db, item, loaders, number, parse_id, parse_opt_id, principal, to_id,
};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{AgreementKind as Side, CommitmentType as Commitment, agreement, agreement_line};
use rust_decimal::Decimal as D;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::AgreementKind")]
pub enum AgreementKind {
    Sales,
    Purchase,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::AgreementStatus")]
pub enum AgreementStatus {
    OnHold,
    Effective,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::CommitmentType")]
pub enum CommitmentType {
    ProductQuantity,
    ProductValue,
    Value,
}

/// A sales agreement (with a customer) or a purchase agreement (with a supplier).
pub struct Agreement(pub agreement::Model);

/// An agreement's figures in its currency, summed over its lines.
#[derive(SimpleObject)]
pub struct AgreementTotals {
    /// Σ committed value (a quantity line counts at its net agreement price; a quantity line
    /// without a price has no value and is left out).
    pub committed_value: Decimal,
    pub released_value: Decimal,
    pub fulfilled_value: Decimal,
    pub remaining_value: Decimal,
    /// fulfilled ÷ committed value × 100 (0 when nothing is committed by value).
    pub fulfilled_percent: Decimal,
}

fn totals(lines: &[agreement_line::Model]) -> AgreementTotals {
    let mut t = [D::ZERO; 4];
    for l in lines {
        let f = figures(l);
        t[0] += f.committed_value.unwrap_or_default();
        t[1] += l.released_value.0;
        t[2] += l.fulfilled_value.0;
        t[3] += f.remaining_value.unwrap_or_default();
    }
    let percent = if t[0].is_zero() {
        D::ZERO
    } else {
        (t[2] / t[0] * D::ONE_HUNDRED).round_dp(2)
    };
    AgreementTotals {
        committed_value: canonical(t[0]),
        released_value: canonical(t[1]),
        fulfilled_value: canonical(t[2]),
        remaining_value: canonical(t[3]),
        fulfilled_percent: canonical(percent),
    }
}

/// A line's committed and remaining value, where it has one.
struct Figures {
    committed_value: Option<D>,
    remaining_value: Option<D>,
}

fn figures(l: &agreement_line::Model) -> Figures {
    let left = agreements::remaining(l);
    match l.commitment {
        Commitment::ProductQuantity => {
            let net = l
                .unit_price
                .map(|p| agreements::net_unit(p.0, l.discount_percent.0));
            Figures {
                committed_value: net.map(|n| l.quantity.0 * n),
                remaining_value: net.map(|n| left.quantity * n),
            }
        }
        _ => Figures {
            committed_value: Some(l.value.0),
            remaining_value: Some(left.value),
        },
    }
}

async fn lines_of(ctx: &Context<'_>, id: i64) -> Result<Vec<agreement_line::Model>> {
    Ok(loaders::get(ctx)?
        .agreement_lines
        .load_one(id)
        .await?
        .unwrap_or_default())
}

#[Object]
impl Agreement {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn kind(&self) -> AgreementKind {
        self.0.kind.into()
    }
    /// `SERIES-NUMBER`, in the agreement's own series.
    async fn number(&self) -> String {
        number(&self.0.series, self.0.number)
    }
    /// An intercompany agreement's mirrored document in the partner company: its number only
    /// (R-IC-1).
    async fn intercompany_partner_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(id) = self.0.partner_agreement_id else {
            return Ok(None);
        };
        let found = loaders::get(ctx)?
            .partner_agreement_number
            .load_one(id)
            .await?;
        Ok(found.map(|(series, n)| number(&series, n)))
    }
    async fn status(&self) -> AgreementStatus {
        self.0.status.into()
    }
    /// A sales agreement's customer.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        load_customer(ctx, self.0.customer_id).await
    }
    /// A purchase agreement's supplier.
    async fn supplier(&self, ctx: &Context<'_>) -> Result<Option<Supplier>> {
        match self.0.supplier_id {
            Some(id) => Ok(loaders::get(ctx)?
                .supplier
                .load_one(id)
                .await?
                .map(Supplier)),
            None => Ok(None),
        }
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn valid_from(&self) -> NaiveDate {
        self.0.valid_from
    }
    async fn valid_to(&self) -> NaiveDate {
        self.0.valid_to
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Increases with every change; pass it as `expectedVersion` to update safely.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The commitments, by position.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<AgreementLine>> {
        Ok(lines_of(ctx, self.0.id)
            .await?
            .into_iter()
            .map(AgreementLine)
            .collect())
    }
    async fn totals(&self, ctx: &Context<'_>) -> Result<AgreementTotals> {
        Ok(totals(&lines_of(ctx, self.0.id).await?))
    }
}

/// One commitment (R-AGR-1) and what orders placed against it released and fulfilled.
pub struct AgreementLine(pub agreement_line::Model);

#[Object]
impl AgreementLine {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn position(&self) -> i64 {
        self.0.position
    }
    async fn commitment(&self) -> CommitmentType {
        self.0.commitment.into()
    }
    /// None on a VALUE line (any item).
    async fn item(&self, ctx: &Context<'_>) -> Result<Option<Item>> {
        match self.0.item_id {
            Some(id) => item(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Committed quantity (PRODUCT_QUANTITY): sales units on a sales agreement, stock units on
    /// a purchase agreement.
    async fn quantity(&self) -> Option<Decimal> {
        (self.0.commitment == Commitment::ProductQuantity).then(|| self.0.quantity.into())
    }
    /// Committed value (PRODUCT_VALUE, VALUE), agreement currency.
    async fn value(&self) -> Option<Decimal> {
        (self.0.commitment != Commitment::ProductQuantity).then(|| self.0.value.into())
    }
    /// The agreement price; the trade price applies when null.
    async fn unit_price(&self) -> Option<Decimal> {
        self.0.unit_price.map(Into::into)
    }
    async fn discount_percent(&self) -> Decimal {
        self.0.discount_percent.into()
    }
    /// On open orders placed against the line, not yet shipped (received).
    async fn released_quantity(&self) -> Decimal {
        self.0.released_quantity.into()
    }
    async fn released_value(&self) -> Decimal {
        self.0.released_value.into()
    }
    /// Shipped (received) on orders placed against the line.
    async fn fulfilled_quantity(&self) -> Decimal {
        self.0.fulfilled_quantity.into()
    }
    async fn fulfilled_value(&self) -> Decimal {
        self.0.fulfilled_value.into()
    }
    /// Committed − released − fulfilled quantity (PRODUCT_QUANTITY).
    async fn remaining_quantity(&self) -> Option<Decimal> {
        (self.0.commitment == Commitment::ProductQuantity)
            .then(|| canonical(agreements::remaining(&self.0).quantity))
    }
    /// What is still open by value (a quantity line at its net agreement price; null without
    /// a price).
    async fn remaining_value(&self) -> Option<Decimal> {
        figures(&self.0).remaining_value.map(canonical)
    }
    /// The agreement, when the caller sees it.
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        load_agreement(ctx, Some(self.0.agreement_id)).await
    }
}

pub(crate) async fn load_agreement(
    ctx: &Context<'_>,
    id: Option<i64>,
) -> Result<Option<Agreement>> {
    match id {
        Some(id) => Ok(loaders::get(ctx)?
            .agreement
            .load_one(id)
            .await?
            .map(Agreement)),
        None => Ok(None),
    }
}

/// An order line's agreement line, when the caller sees its agreement.
pub(crate) async fn load_agreement_line(
    ctx: &Context<'_>,
    id: Option<i64>,
) -> Result<Option<AgreementLine>> {
    match id {
        Some(id) => Ok(loaders::get(ctx)?
            .agreement_line
            .load_one(id)
            .await?
            .map(AgreementLine)),
        None => Ok(None),
    }
}

#[derive(InputObject)]
pub struct AgreementLineInput {
    pub commitment: CommitmentType,
    /// Product lines: the item. A VALUE line names none.
    pub item_id: Option<ID>,
    /// PRODUCT_QUANTITY: units committed.
    pub quantity: Option<Decimal>,
    /// PRODUCT_VALUE, VALUE: value committed (agreement currency).
    pub value: Option<Decimal>,
    /// The agreement price (product lines); the trade price applies when omitted.
    pub unit_price: Option<Decimal>,
    pub discount_percent: Option<Decimal>,
}

#[derive(InputObject)]
pub struct CreateSalesAgreementInput {
    pub customer_id: ID,
    pub valid_from: Date,
    pub valid_to: Date,
    /// Defaults to the customer's currency.
    pub currency: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<AgreementLineInput>,
}

#[derive(InputObject)]
pub struct CreatePurchaseAgreementInput {
    pub supplier_id: ID,
    pub valid_from: Date,
    pub valid_to: Date,
    /// Defaults to the supplier's currency.
    pub currency: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<AgreementLineInput>,
}

#[derive(InputObject)]
pub struct UpdateAgreementInput {
    pub id: ID,
    pub expected_version: Option<i64>,
    /// ON_HOLD only.
    pub valid_from: Option<Date>,
    /// ON_HOLD: any; EFFECTIVE: only later.
    pub valid_to: Option<Date>,
    /// ON_HOLD only.
    pub notes: Option<String>,
    /// Replaces every line; ON_HOLD only, and only before orders were placed against them.
    pub lines: Option<Vec<AgreementLineInput>>,
}

#[derive(InputObject)]
pub struct SetAgreementStatusInput {
    pub id: ID,
    /// ON_HOLD ⇄ EFFECTIVE, either → CLOSED (final).
    pub status: AgreementStatus,
}

#[derive(InputObject, Default)]
pub struct SalesAgreementFilter {
    pub customer_id: Option<ID>,
    pub status: Option<AgreementStatus>,
    /// Valid on this date.
    pub valid_on: Option<Date>,
}

#[derive(InputObject, Default)]
pub struct PurchaseAgreementFilter {
    pub supplier_id: Option<ID>,
    pub status: Option<AgreementStatus>,
    pub valid_on: Option<Date>,
}

#[derive(SimpleObject)]
pub struct AgreementPayload {
    pub agreement: Agreement,
}

/// `agreementFulfilment`: an agreement's lines with their figures and its totals.
#[derive(SimpleObject)]
pub struct AgreementFulfilment {
    pub agreement: Agreement,
    pub lines: Vec<AgreementLine>,
    pub totals: AgreementTotals,
}

pub(crate) fn line_inputs(lines: Vec<AgreementLineInput>) -> Result<Vec<agreements::LineInput>> {
    if lines.len() > agreements::MAX_LINES {
        return Err(crate::error::AppError::validation(
            "lines",
            format!("an agreement has at most {} lines", agreements::MAX_LINES),
        )
        .into());
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(agreements::LineInput {
                commitment: Some(l.commitment.into()),
                item_id: parse_opt_id(l.item_id.as_ref(), &format!("lines.{i}.itemId"))?,
                quantity: l.quantity.map(|d| d.0),
                value: l.value.map(|d| d.0),
                unit_price: l.unit_price.map(|d| d.0),
                discount_percent: l.discount_percent.map(|d| d.0),
            })
        })
        .collect()
}

#[derive(InputObject)]
pub struct AgreementOrderLineInput {
    pub agreement_line_id: ID,
    /// Only for a VALUE line: the item ordered.
    pub item_id: Option<ID>,
    /// Sales units (sales agreement) or stock units (purchase agreement).
    pub quantity: Decimal,
}

/// Lines of an order placed from an agreement, for `domain::agreements`.
pub(crate) fn order_lines(lines: Vec<AgreementOrderLineInput>) -> Result<Vec<OrderLine>> {
    crate::domain::validate::document_lines("lines", lines.len())?;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(OrderLine {
                agreement_line_id: parse_id(
                    &l.agreement_line_id,
                    &format!("lines.{i}.agreementLineId"),
                )?,
                item_id: parse_opt_id(l.item_id.as_ref(), &format!("lines.{i}.itemId"))?,
                quantity: l.quantity.0,
            })
        })
        .collect()
}

#[derive(Default)]
pub struct AgreementQuery;

#[Object]
impl AgreementQuery {
    /// Sales agreements the caller sees (a rep: their customers'; a buyer: its own), newest
    /// first.
    async fn sales_agreements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SalesAgreementFilter>,
    ) -> Result<Conn<Agreement>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            party_id: parse_opt_id(f.customer_id.as_ref(), "filter.customerId")?,
            status: f.status.map(Into::into),
            valid_on: f.valid_on.map(Into::into),
        };
        let page = agreements::list(
            db(ctx),
            principal(ctx)?,
            Side::Sales,
            &filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |a| a.id, Agreement))
    }

    /// Purchase agreements (purchasing), newest first.
    async fn purchase_agreements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PurchaseAgreementFilter>,
    ) -> Result<Conn<Agreement>> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            party_id: parse_opt_id(f.supplier_id.as_ref(), "filter.supplierId")?,
            status: f.status.map(Into::into),
            valid_on: f.valid_on.map(Into::into),
        };
        let page = agreements::list(
            db(ctx),
            principal(ctx)?,
            Side::Purchase,
            &filter,
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |a| a.id, Agreement))
    }

    async fn agreement(&self, ctx: &Context<'_>, id: ID) -> Result<Agreement> {
        let id = parse_id(&id, "id")?;
        Ok(Agreement(
            agreements::get(db(ctx), principal(ctx)?, id).await?,
        ))
    }

    /// Released, fulfilled and remaining per line and in total.
    async fn agreement_fulfilment(
        &self,
        ctx: &Context<'_>,
        agreement_id: ID,
    ) -> Result<AgreementFulfilment> {
        let id = parse_id(&agreement_id, "agreementId")?;
        let a = agreements::get(db(ctx), principal(ctx)?, id).await?;
        let lines = lines_of(ctx, a.id).await?;
        Ok(AgreementFulfilment {
            totals: totals(&lines),
            lines: lines.into_iter().map(AgreementLine).collect(),
            agreement: Agreement(a),
        })
    }

    /// EFFECTIVE agreements the caller sees that end within `withinDays` days from today, with
    /// their remaining commitment (`totals`, `lines`); in id order.
    async fn agreements_ending(
        &self,
        ctx: &Context<'_>,
        within_days: i32,
        kind: Option<AgreementKind>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Agreement>> {
        let page = agreements::ending(
            db(ctx),
            principal(ctx)?,
            kind.map(Into::into),
            Utc::now().date_naive(),
            i64::from(within_days),
            &PageArgs { first, after },
        )
        .await?;
        Ok(from_page(page, |a| a.id, Agreement))
    }
}

/// Validity from / to, currency, notes: what both kinds of agreement are created with.
type Terms = (Date, Date, Option<String>, Option<String>);

async fn create(
    ctx: &Context<'_>,
    kind: Side,
    party_id: i64,
    (valid_from, valid_to, currency, notes): Terms,
    lines: Vec<AgreementLineInput>,
) -> Result<AgreementPayload> {
    let new = NewAgreement {
        kind,
        party_id,
        valid_from: valid_from.into(),
        valid_to: valid_to.into(),
        currency,
        notes,
        lines: line_inputs(lines)?,
    };
    Ok(AgreementPayload {
        agreement: Agreement(agreements::create(db(ctx), principal(ctx)?, new).await?),
    })
}

#[derive(Default)]
pub struct AgreementMutation;

#[Object]
impl AgreementMutation {
    /// An ON_HOLD sales agreement with a customer the caller sees (R-AGR-1, R-AGR-3).
    async fn create_sales_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreateSalesAgreementInput,
    ) -> Result<AgreementPayload> {
        let party = parse_id(&input.customer_id, "customerId")?;
        let terms = (
            input.valid_from,
            input.valid_to,
            input.currency,
            input.notes,
        );
        create(ctx, Side::Sales, party, terms, input.lines).await
    }

    /// An ON_HOLD purchase agreement with a supplier (R-AGR-1, R-AGR-3).
    async fn create_purchase_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreatePurchaseAgreementInput,
    ) -> Result<AgreementPayload> {
        let party = parse_id(&input.supplier_id, "supplierId")?;
        let terms = (
            input.valid_from,
            input.valid_to,
            input.currency,
            input.notes,
        );
        create(ctx, Side::Purchase, party, terms, input.lines).await
    }

    /// ON_HOLD: validity, notes, lines; EFFECTIVE: a later end date only (R-AGR-3).
    async fn update_agreement(
        &self,
        ctx: &Context<'_>,
        input: UpdateAgreementInput,
    ) -> Result<AgreementPayload> {
        let id = parse_id(&input.id, "id")?;
        let ch = AgreementChange {
            valid_from: input.valid_from.map(Into::into),
            valid_to: input.valid_to.map(Into::into),
            notes: input.notes,
            lines: input.lines.map(line_inputs).transpose()?,
        };
        Ok(AgreementPayload {
            agreement: Agreement(
                agreements::update(db(ctx), principal(ctx)?, id, input.expected_version, ch)
                    .await?,
            ),
        })
    }

    /// ON_HOLD ⇄ EFFECTIVE, either → CLOSED (R-AGR-3).
    async fn set_agreement_status(
        &self,
        ctx: &Context<'_>,
        input: SetAgreementStatusInput,
    ) -> Result<AgreementPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(AgreementPayload {
            agreement: Agreement(
                agreements::set_status(db(ctx), principal(ctx)?, id, input.status.into()).await?,
            ),
        })
    }
}
