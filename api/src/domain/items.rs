//! Items (R-ITEM-1…5): kinds, units with a conversion factor, tracking, prices, barcodes and
//! descriptions per language.
use crate::auth::{Permission, Principal, visibility};
use crate::db;
use crate::domain::{Page, PageArgs, page, rows, validate};
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Dec, ItemKind, Tracking, item, item_barcode, item_description, supplier};
use rust_decimal::Decimal;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::HashMap;

#[derive(Default)]
pub struct ItemFields {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub kind: Option<ItemKind>,
    pub sellable: Option<bool>,
    pub purchasable: Option<bool>,
    pub stock_unit: Option<String>,
    pub sales_unit: Option<String>,
    pub sales_unit_factor: Option<Decimal>,
    pub tracking: Option<Tracking>,
    pub list_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub preferred_supplier_id: Option<Option<i64>>,
    /// Replace all barcodes / descriptions when given.
    pub barcodes: Option<Vec<String>>,
    pub descriptions: Option<Vec<(String, String)>>,
}

#[derive(Default)]
pub struct ItemFilter {
    pub search: Option<String>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub sellable: Option<bool>,
}

pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: ItemFields,
) -> AppResult<item::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let now = Utc::now();
    let blank = item::ActiveModel {
        company_id: Set(p.company_id),
        sku: Set(validate::code(
            "sku",
            input.sku.as_deref().unwrap_or(""),
            60,
        )?),
        name: Set(validate::required_on_create("name", &input.name, 200)?),
        kind: Set(ItemKind::Stocked),
        sellable: Set(true),
        purchasable: Set(true),
        stock_unit: Set("EA".into()),
        sales_unit: Set("EA".into()),
        sales_unit_factor: Set(Dec(Decimal::ONE)),
        tracking: Set(Tracking::None),
        list_price: Set(Dec::ZERO),
        cost: Set(Dec::ZERO),
        weight: Set(Dec::ZERO),
        volume: Set(Dec::ZERO),
        preferred_supplier_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    save(db, p, blank, false, input).await
}

pub async fn update(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    input: ItemFields,
) -> AppResult<item::Model> {
    visibility::require(p, Permission::ManageMasterData)?;
    let mut active: item::ActiveModel = get(db, p, id).await?.into();
    active.updated_at = Set(Utc::now());
    save(db, p, active, true, input).await
}

async fn save(
    db: &DatabaseConnection,
    p: &Principal,
    mut m: item::ActiveModel,
    exists: bool,
    input: ItemFields,
) -> AppResult<item::Model> {
    if let Some(v) = input.sku {
        m.sku = Set(validate::code("sku", &v, 60)?);
    }
    if let Some(v) = input.name {
        m.name = Set(validate::required("name", &v, 200)?);
    }
    if let Some(v) = input.kind {
        m.kind = Set(v);
    }
    if let Some(v) = input.sellable {
        m.sellable = Set(v);
    }
    if let Some(v) = input.purchasable {
        m.purchasable = Set(v);
    }
    if let Some(v) = input.stock_unit {
        m.stock_unit = Set(validate::required("stockUnit", &v, 10)?.to_uppercase());
    }
    if let Some(v) = input.sales_unit {
        m.sales_unit = Set(validate::required("salesUnit", &v, 10)?.to_uppercase());
    }
    if let Some(v) = input.sales_unit_factor {
        m.sales_unit_factor = Set(Dec(validate::positive("salesUnitFactor", v)?));
    }
    if let Some(v) = input.tracking {
        m.tracking = Set(v);
    }
    for (slot, field, value) in [
        (&mut m.list_price, "listPrice", input.list_price),
        (&mut m.cost, "cost", input.cost),
        (&mut m.weight, "weight", input.weight),
        (&mut m.volume, "volume", input.volume),
    ] {
        if let Some(v) = value {
            *slot = Set(Dec(validate::non_negative(field, v)?));
        }
    }
    if let Some(sup) = input.preferred_supplier_id {
        if let Some(supplier_id) = sup {
            supplier::Entity::find_by_id(supplier_id)
                .filter(supplier::Column::CompanyId.eq(p.company_id))
                .one(db)
                .await?
                .ok_or_else(|| AppError::validation("preferredSupplierId", "no such supplier"))?;
        }
        m.preferred_supplier_id = Set(sup);
    }
    if m.kind.as_ref() != &ItemKind::Stocked && m.tracking.as_ref() != &Tracking::None {
        return Err(AppError::validation(
            "tracking",
            "only stocked items carry lots or serials",
        ));
    }
    let barcodes = match input.barcodes {
        Some(list) => Some(
            list.iter()
                .map(|b| validate::required("barcodes", b, 64))
                .collect::<AppResult<Vec<_>>>()?,
        ),
        None => None,
    };
    let descriptions = match input.descriptions {
        Some(list) => Some(
            list.into_iter()
                .map(|(lang, text)| {
                    Ok((
                        validate::language("descriptions.language", &lang)?,
                        validate::required("descriptions.text", &text, 2000)?,
                    ))
                })
                .collect::<AppResult<Vec<_>>>()?,
        ),
        None => None,
    };

    let tx = db::write_tx(db).await?;
    let saved = if exists {
        m.update(&tx).await?
    } else {
        m.insert(&tx).await?
    };
    if let Some(barcodes) = barcodes {
        replace_barcodes(&tx, &saved, barcodes).await?;
    }
    if let Some(descriptions) = descriptions {
        replace_descriptions(&tx, &saved, descriptions).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

async fn replace_barcodes<C: ConnectionTrait>(
    db: &C,
    item: &item::Model,
    barcodes: Vec<String>,
) -> AppResult<()> {
    item_barcode::Entity::delete_many()
        .filter(item_barcode::Column::ItemId.eq(item.id))
        .exec(db)
        .await?;
    if barcodes.is_empty() {
        return Ok(());
    }
    item_barcode::Entity::insert_many(barcodes.into_iter().map(|b| item_barcode::ActiveModel {
        company_id: Set(item.company_id),
        item_id: Set(item.id),
        barcode: Set(b),
        ..Default::default()
    }))
    .exec(db)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict(_) => {
            AppError::Conflict("a barcode is already used by another item".into())
        }
        other => other,
    })?;
    Ok(())
}

async fn replace_descriptions<C: ConnectionTrait>(
    db: &C,
    item: &item::Model,
    descriptions: Vec<(String, String)>,
) -> AppResult<()> {
    item_description::Entity::delete_many()
        .filter(item_description::Column::ItemId.eq(item.id))
        .exec(db)
        .await?;
    let mut by_lang: HashMap<String, String> = HashMap::new();
    for (lang, text) in descriptions {
        by_lang.insert(lang, text);
    }
    if by_lang.is_empty() {
        return Ok(());
    }
    item_description::Entity::insert_many(by_lang.into_iter().map(|(language, description)| {
        item_description::ActiveModel {
            item_id: Set(item.id),
            language: Set(language),
            description: Set(description),
            ..Default::default()
        }
    }))
    .exec(db)
    .await?;
    Ok(())
}

pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> AppResult<item::Model> {
    visibility::require(p, Permission::ReadCatalog)?;
    item::Entity::find_by_id(id)
        .filter(visibility::items(p))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("item"))
}

pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: ItemFilter,
    args: &PageArgs,
) -> AppResult<Page<item::Model>> {
    visibility::require(p, Permission::ReadCatalog)?;
    let mut select = item::Entity::find().filter(visibility::items(p));
    if let Some(s) = filter.search.filter(|s| !s.trim().is_empty()) {
        select = select.filter(page::search_condition(
            &[item::Column::Sku, item::Column::Name],
            s.trim(),
        )?);
    }
    if let Some(sku) = filter.sku {
        select = select.filter(item::Column::Sku.eq(sku.trim()));
    }
    if let Some(barcode) = filter.barcode {
        select = select.filter(
            item::Column::Id.in_subquery(
                Query::select()
                    .column(item_barcode::Column::ItemId)
                    .from(item_barcode::Entity)
                    .and_where(item_barcode::Column::CompanyId.eq(p.company_id))
                    .and_where(item_barcode::Column::Barcode.eq(barcode.trim()))
                    .to_owned(),
            ),
        );
    }
    if let Some(sellable) = filter.sellable {
        select = select.filter(item::Column::Sellable.eq(sellable));
    }
    page::fetch(db, select, item::Column::Id, args).await
}

pub async fn by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, item::Model>> {
    Ok(item::Entity::find()
        .filter(visibility::items(p))
        .filter(item::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

pub async fn barcodes_by_item(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<String>>> {
    let rows = item_barcode::Entity::find()
        .filter(item_barcode::Column::ItemId.is_in(ids.to_vec()))
        .order_by_asc(item_barcode::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for r in rows {
        out.entry(r.item_id).or_default().push(r.barcode);
    }
    Ok(out)
}

pub async fn descriptions_by_item(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<item_description::Model>>> {
    use item_description::{Column, Entity};
    rows::children::<Entity, _>(db, Column::ItemId, ids, Column::Language, |d| d.item_id).await
}
