//! R-IC-1: the link between two companies of the deployment — the seller's customer that
//! stands for the buyer, paired with the buyer's supplier that stands for the seller — and the
//! items that trade across it.
//!
//! A link is made by an admin of each side: each names the same pair (its own record and the
//! partner's id, which `intercompanyLinks` shows to both), and the link becomes active when
//! both have. Each side is validated against the other (the customer points to the supplier's
//! company and the supplier to the customer's), so neither can claim a partner's record. The
//! customer then becomes `INTERCOMPANY`.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{
    CustomerType, company, customer, intercompany_item_link, intercompany_link, item, supplier,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// Which side of a link a company is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Sells to the partner (owns the customer record).
    Seller,
    /// Buys from the partner (owns the supplier record).
    Buyer,
}

pub fn side(link: &intercompany_link::Model, company_id: i64) -> Option<Side> {
    if link.seller_company_id == company_id {
        Some(Side::Seller)
    } else if link.buyer_company_id == company_id {
        Some(Side::Buyer)
    } else {
        None
    }
}

/// The other company of a link, seen from `company_id`.
pub fn partner_company(link: &intercompany_link::Model, company_id: i64) -> i64 {
    if link.seller_company_id == company_id {
        link.buyer_company_id
    } else {
        link.seller_company_id
    }
}

const NO_PAIR: &str = "no customer and supplier of two companies that stand for each other \
                       (the customer's linked company owns the supplier, the supplier's linked \
                       company owns the customer)";

/// `linkIntercompany`: the caller's admin confirms its side of the pair (creating the link
/// when it is the first side). Returns the link, active once both sides confirmed.
pub async fn link(
    db: &DatabaseConnection,
    p: &Principal,
    customer_id: i64,
    supplier_id: i64,
) -> AppResult<intercompany_link::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let tx = db::write_tx(db).await?;
    let c = customer::Entity::find_by_id(customer_id).one(&*tx).await?;
    let s = supplier::Entity::find_by_id(supplier_id).one(&*tx).await?;
    // The caller's own record must exist and be its own; the partner's is judged only by
    // whether the pair stands for each other, with one answer for "absent" and "not a pair",
    // so the partner's ids reveal nothing else.
    let own_side = match (&c, &s) {
        (Some(c), _) if c.company_id == p.company_id => Side::Seller,
        (_, Some(s)) if s.company_id == p.company_id => Side::Buyer,
        _ => {
            return Err(AppError::validation(
                "customerId",
                "neither the customer nor the supplier is your company's",
            ));
        }
    };
    let (c, s) = match (c, s) {
        (Some(c), Some(s))
            if c.linked_company_id == Some(s.company_id)
                && s.linked_company_id == Some(c.company_id)
                && c.company_id != s.company_id =>
        {
            (c, s)
        }
        _ => {
            let field = match own_side {
                Side::Seller => "supplierId",
                Side::Buyer => "customerId",
            };
            return Err(AppError::validation(field, NO_PAIR));
        }
    };
    let now = Utc::now();
    let existing = intercompany_link::Entity::find()
        .filter(
            Condition::any()
                .add(intercompany_link::Column::CustomerId.eq(c.id))
                .add(intercompany_link::Column::SupplierId.eq(s.id)),
        )
        .one(&*tx)
        .await?;
    let mut am = match existing {
        Some(l) if l.customer_id == c.id && l.supplier_id == s.id => l.into_active_model(),
        Some(_) => {
            return Err(AppError::Conflict(
                "the customer or the supplier is already linked to another record".into(),
            ));
        }
        None => intercompany_link::ActiveModel {
            seller_company_id: Set(c.company_id),
            customer_id: Set(c.id),
            buyer_company_id: Set(s.company_id),
            supplier_id: Set(s.id),
            seller_confirmed_by: Set(None),
            buyer_confirmed_by: Set(None),
            active: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    };
    match own_side {
        Side::Seller => am.seller_confirmed_by = Set(Some(p.key())),
        Side::Buyer => am.buyer_confirmed_by = Set(Some(p.key())),
    }
    let both =
        am.seller_confirmed_by.as_ref().is_some() && am.buyer_confirmed_by.as_ref().is_some();
    am.active = Set(both);
    am.updated_at = Set(now);
    let l = match am.id {
        sea_orm::ActiveValue::Unchanged(_) | sea_orm::ActiveValue::Set(_) => {
            am.update(&*tx).await?
        }
        sea_orm::ActiveValue::NotSet => am.insert(&*tx).await?,
    };
    if l.active && c.customer_type != CustomerType::Intercompany {
        let mut cm = c.into_active_model();
        cm.customer_type = Set(CustomerType::Intercompany);
        cm.updated_at = Set(now);
        cm.update(&*tx).await?;
    }
    tx.commit().await?;
    tracing::info!(
        link = l.id,
        active = l.active,
        "intercompany link confirmed by one side"
    );
    Ok(l)
}

/// `intercompanyLinks`: the links the caller's company is on either side of.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<intercompany_link::Model>> {
    visibility::require(p, Permission::ReadSuppliers)
        .or_else(|_| visibility::require(p, Permission::ManageMasterData))?;
    Ok(intercompany_link::Entity::find()
        .filter(
            Condition::any()
                .add(intercompany_link::Column::SellerCompanyId.eq(p.company_id))
                .add(intercompany_link::Column::BuyerCompanyId.eq(p.company_id)),
        )
        .order_by_asc(intercompany_link::Column::Id)
        .all(db)
        .await?)
}

/// The active link between two companies, either way round.
pub async fn active_between<C: ConnectionTrait>(
    db: &C,
    a: i64,
    b: i64,
) -> AppResult<Option<intercompany_link::Model>> {
    Ok(intercompany_link::Entity::find()
        .filter(intercompany_link::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(intercompany_link::Column::SellerCompanyId.eq(a))
                        .add(intercompany_link::Column::BuyerCompanyId.eq(b)),
                )
                .add(
                    Condition::all()
                        .add(intercompany_link::Column::SellerCompanyId.eq(b))
                        .add(intercompany_link::Column::BuyerCompanyId.eq(a)),
                ),
        )
        .one(db)
        .await?)
}

/// The active link a seller's customer stands in.
pub async fn by_customer<C: ConnectionTrait>(
    db: &C,
    customer_id: i64,
) -> AppResult<Option<intercompany_link::Model>> {
    Ok(intercompany_link::Entity::find()
        .filter(intercompany_link::Column::CustomerId.eq(customer_id))
        .filter(intercompany_link::Column::Active.eq(true))
        .one(db)
        .await?)
}

/// The active links the buyer's suppliers stand in, by supplier id.
pub async fn by_suppliers<C: ConnectionTrait>(
    db: &C,
    supplier_ids: &[i64],
) -> AppResult<HashMap<i64, intercompany_link::Model>> {
    if supplier_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(intercompany_link::Entity::find()
        .filter(intercompany_link::Column::SupplierId.is_in(supplier_ids.to_vec()))
        .filter(intercompany_link::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.supplier_id, l))
        .collect())
}

/// The companies' codes and names, by id (a link shows its partner by name).
pub async fn companies_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, company::Model>> {
    Ok(company::Entity::find()
        .filter(company::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

/// `linkIntercompanyItem`: the caller's item trades as the partner's item across an active
/// link (replacing an earlier choice). Without a link the partner item of the same SKU is the
/// counterpart ([`counterparts`]).
pub async fn link_item(
    db: &DatabaseConnection,
    p: &Principal,
    item_id: i64,
    partner_item_id: i64,
) -> AppResult<intercompany_item_link::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let tx = db::write_tx(db).await?;
    let own = item::Entity::find_by_id(item_id)
        .filter(item::Column::CompanyId.eq(p.company_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::validation("itemId", "no such item"))?;
    let partner = item::Entity::find_by_id(partner_item_id).one(&*tx).await?;
    let partner = match partner {
        Some(i) if i.company_id != p.company_id => {
            match active_between(&*tx, p.company_id, i.company_id).await? {
                Some(_) => i,
                None => {
                    return Err(AppError::validation(
                        "partnerItemId",
                        "no item of a company your company has an active intercompany link with",
                    ));
                }
            }
        }
        _ => {
            return Err(AppError::validation(
                "partnerItemId",
                "no item of a company your company has an active intercompany link with",
            ));
        }
    };
    if own.kind != partner.kind {
        return Err(AppError::validation(
            "partnerItemId",
            format!(
                "the partner item is {:?}, yours is {:?}: they cannot stand for each other",
                partner.kind, own.kind
            ),
        ));
    }
    intercompany_item_link::Entity::delete_many()
        .filter(intercompany_item_link::Column::CompanyId.eq(p.company_id))
        .filter(intercompany_item_link::Column::ItemId.eq(own.id))
        .filter(intercompany_item_link::Column::PartnerCompanyId.eq(partner.company_id))
        .exec(&*tx)
        .await?;
    let l = intercompany_item_link::ActiveModel {
        company_id: Set(p.company_id),
        item_id: Set(own.id),
        partner_company_id: Set(partner.company_id),
        partner_item_id: Set(partner.id),
        created_by: Set(p.key()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&*tx)
    .await?;
    tx.commit().await?;
    Ok(l)
}

/// The item links a company made, by its item id.
pub async fn item_links_of(
    db: &DatabaseConnection,
    p: &Principal,
) -> AppResult<Vec<intercompany_item_link::Model>> {
    visibility::require(p, Permission::ReadCatalog)?;
    Ok(intercompany_item_link::Entity::find()
        .filter(intercompany_item_link::Column::CompanyId.eq(p.company_id))
        .order_by_asc(intercompany_item_link::Column::Id)
        .all(db)
        .await?)
}

/// The partner company's item for each of `items` (of `company_id`): an explicit link made by
/// either side, else the partner item with the same SKU. An item without a counterpart is
/// VALIDATION on `field` naming it — nothing trades as an unknown item.
pub async fn counterparts<C: ConnectionTrait>(
    db: &C,
    items: &[item::Model],
    partner_company_id: i64,
    field: &str,
) -> AppResult<HashMap<i64, item::Model>> {
    if items.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let company_id = items[0].company_id;
    let links = intercompany_item_link::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(intercompany_item_link::Column::CompanyId.eq(company_id))
                        .add(
                            intercompany_item_link::Column::PartnerCompanyId.eq(partner_company_id),
                        )
                        .add(intercompany_item_link::Column::ItemId.is_in(ids.clone())),
                )
                .add(
                    Condition::all()
                        .add(intercompany_item_link::Column::CompanyId.eq(partner_company_id))
                        .add(intercompany_item_link::Column::PartnerCompanyId.eq(company_id))
                        .add(intercompany_item_link::Column::PartnerItemId.is_in(ids.clone())),
                ),
        )
        .all(db)
        .await?;
    // Own links first: the side that trades the item chose for it.
    let mut chosen: HashMap<i64, i64> = HashMap::new();
    for l in links.iter().filter(|l| l.company_id == partner_company_id) {
        chosen.insert(l.partner_item_id, l.item_id);
    }
    for l in links.iter().filter(|l| l.company_id == company_id) {
        chosen.insert(l.item_id, l.partner_item_id);
    }
    let skus: Vec<String> = items
        .iter()
        .filter(|i| !chosen.contains_key(&i.id))
        .map(|i| i.sku.to_uppercase())
        .collect();
    let mut partner_items = item::Entity::find()
        .filter(item::Column::CompanyId.eq(partner_company_id))
        .filter(
            Condition::any()
                .add(item::Column::Id.is_in(chosen.values().copied().collect::<Vec<_>>()))
                .add(Func::upper(Expr::col(item::Column::Sku)).is_in(skus)),
        )
        .all(db)
        .await?;
    let by_id: HashMap<i64, item::Model> = partner_items.drain(..).map(|i| (i.id, i)).collect();
    let by_sku: HashMap<String, &item::Model> =
        by_id.values().map(|i| (i.sku.to_uppercase(), i)).collect();
    let mut out = HashMap::new();
    for it in items {
        let found = match chosen.get(&it.id) {
            Some(pid) => by_id.get(pid),
            None => by_sku.get(&it.sku.to_uppercase()).copied(),
        };
        match found {
            Some(found) => {
                out.insert(it.id, found.clone());
            }
            None => {
                return Err(AppError::validation(
                    field,
                    format!(
                        "item {} has no counterpart in the partner company: link it \
                         (linkIntercompanyItem) or give the partner an item with the same SKU",
                        it.sku
                    ),
                ));
            }
        }
    }
    Ok(out)
}
