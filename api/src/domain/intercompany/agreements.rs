//! Intercompany agreements (R-IC-1): the seller's sales agreement with the customer that
//! stands for the buyer and the buyer's purchase agreement with the supplier that stands for
//! the seller, created together with the same commitments, prices and validity, each numbered
//! in its own company's series. `updateAgreement` and `setAgreementStatus` on either side
//! change both in one transaction or neither (`agreements::lock_pair`); each side sees only
//! its own document and the partner's number.
//!
//! Units: the sales agreement counts the seller's sales units, the purchase agreement the
//! buyer's stock units, and its price is per stock unit; a line is translated through the
//! seller item's sales-unit factor.
use super::links;
use crate::auth::{Principal, visibility};
use crate::db;
use crate::domain::agreements::{self, Head, LineInput};
use crate::domain::{pricing, validate};
use crate::error::{AppError, AppResult};
use chrono::NaiveDate;
use entity::{AgreementKind, agreement, item};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use std::collections::HashMap;

pub struct NewIntercompanyAgreement {
    /// The seller's customer that stands for the buying company (an active link).
    pub customer_id: i64,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub currency: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<LineInput>,
}

/// `createIntercompanyAgreement`: by the seller, on an active link; both agreements ON_HOLD.
/// Returns the seller's.
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewIntercompanyAgreement,
) -> AppResult<agreement::Model> {
    visibility::require_agreements(p, AgreementKind::Sales, true)?;
    agreements::check_validity(input.valid_from, input.valid_to)?;
    let notes = validate::text("notes", input.notes, 2000)?;
    let tx = db::write_tx(db).await?;
    let (party_currency, rep) =
        agreements::party(&*tx, p, AgreementKind::Sales, input.customer_id).await?;
    let link = links::by_customer(&*tx, input.customer_id)
        .await?
        .filter(|l| l.seller_company_id == p.company_id)
        .ok_or_else(|| {
            AppError::validation(
                "customerId",
                "the customer stands in no active intercompany link (linkIntercompany)",
            )
        })?;
    let currency = match input.currency {
        Some(c) => validate::currency("currency", &c)?,
        None => party_currency,
    };
    let lines = agreements::check_lines(&*tx, p, AgreementKind::Sales, input.lines.clone()).await?;
    let partner_lines = translate(
        &*tx,
        AgreementKind::Sales,
        p.company_id,
        link.buyer_company_id,
        &input.lines,
    )
    .await?;
    let pp = Principal::intercompany(link.id, link.buyer_company_id);
    let partner_checked =
        agreements::check_lines(&*tx, &pp, AgreementKind::Purchase, partner_lines)
            .await
            .map_err(|e| partner_refused(e, "the buying company"))?;
    let sales = agreements::insert(
        &tx,
        p,
        Head {
            kind: AgreementKind::Sales,
            party_id: link.customer_id,
            currency: currency.clone(),
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            notes: notes.clone(),
            partner_agreement_id: None,
        },
        lines,
        rep,
    )
    .await?;
    let purchase = agreements::insert(
        &tx,
        &pp,
        Head {
            kind: AgreementKind::Purchase,
            party_id: link.supplier_id,
            currency,
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            notes,
            partner_agreement_id: Some(sales.id),
        },
        partner_checked,
        None,
    )
    .await?;
    let mut am = sales.into_active_model();
    am.partner_agreement_id = Set(Some(purchase.id));
    let sales = am.update(&*tx).await?;
    tx.commit().await?;
    tracing::info!(
        sales = sales.id,
        purchase = purchase.id,
        "intercompany agreement created"
    );
    Ok(sales)
}

/// A refusal met on the partner's side says so: the caller cannot see the partner's records.
fn partner_refused(e: AppError, whose: &str) -> AppError {
    match e {
        AppError::Validation { field, message } => {
            AppError::validation(field, format!("{message} (in {whose})"))
        }
        other => other,
    }
}

/// The link acting in the partner's company, for a pair of agreements.
pub async fn acting_for<C: ConnectionTrait>(
    db: &C,
    own: &agreement::Model,
    partner: &agreement::Model,
) -> AppResult<Principal> {
    let link = links::active_between(db, own.company_id, partner.company_id)
        .await?
        .ok_or_else(|| {
            AppError::InvalidState(
                "the intercompany link of this agreement is no longer active".into(),
            )
        })?;
    Ok(Principal::intercompany(link.id, partner.company_id))
}

/// The partner's lines for lines entered on `own`.
pub async fn mirror_lines<C: ConnectionTrait>(
    db: &C,
    own: &agreement::Model,
    partner_company_id: i64,
    lines: &[LineInput],
) -> AppResult<Vec<LineInput>> {
    translate(db, own.kind, own.company_id, partner_company_id, lines).await
}

/// After a paired change both sides must still agree on status and validity; anything else
/// is a defect, and the transaction is not committed.
pub fn keep_paired(a: &agreement::Model, b: &agreement::Model) -> AppResult<()> {
    if a.status != b.status || a.valid_from != b.valid_from || a.valid_to != b.valid_to {
        return Err(AppError::internal(anyhow::anyhow!(
            "intercompany agreements {} and {} drifted apart",
            a.id,
            b.id
        )));
    }
    Ok(())
}

/// Lines entered on a `kind` agreement of `company_id`, as the partner's agreement holds them:
/// the counterpart items, quantities and prices in the partner's units.
async fn translate<C: ConnectionTrait>(
    db: &C,
    kind: AgreementKind,
    company_id: i64,
    partner_company_id: i64,
    lines: &[LineInput],
) -> AppResult<Vec<LineInput>> {
    let ids: Vec<i64> = lines.iter().filter_map(|l| l.item_id).collect();
    let own: Vec<item::Model> = item::Entity::find()
        .filter(item::Column::CompanyId.eq(company_id))
        .filter(item::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let counterparts = links::counterparts(db, &own, partner_company_id, "lines").await?;
    let own: HashMap<i64, item::Model> = own.into_iter().map(|i| (i.id, i)).collect();
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let mut m = l.clone();
        if let Some(id) = l.item_id {
            // An unknown item is refused by the own side's check, which runs first.
            let (Some(it), Some(cp)) = (own.get(&id), counterparts.get(&id)) else {
                out.push(LineInput { item_id: None, ..m });
                continue;
            };
            // The seller's sales-unit factor turns sales units into stock units.
            let (factor, to_partner) = match kind {
                AgreementKind::Sales => (it.sales_unit_factor.0, true),
                AgreementKind::Purchase => (cp.sales_unit_factor.0, false),
            };
            let factor = if factor.is_zero() {
                Decimal::ONE
            } else {
                factor
            };
            m.item_id = Some(cp.id);
            if to_partner {
                m.quantity = l.quantity.map(|q| q * factor);
                m.unit_price = l.unit_price.map(|u| pricing::round_price(u / factor));
            } else {
                m.quantity = l.quantity.map(|q| q / factor);
                m.unit_price = l.unit_price.map(|u| pricing::round_price(u * factor));
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// The partner's number of an intercompany agreement (`Agreement.intercompanyPartnerNumber`):
/// the one thing of the partner's document a side sees.
pub async fn partner_numbers<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, (String, i64)>> {
    Ok(agreement::Entity::find()
        .filter(agreement::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, (a.series, a.number)))
        .collect())
}
