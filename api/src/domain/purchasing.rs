//! Purchase orders (R-BO-3, R-BO-4): entered by hand or generated from confirmed backorders,
//! one per supplier with quantities summed per item, each backorder linked to the purchase
//! line that buys it (and through it to its sales order, R-ORD-16, R-PAY-4).
use crate::auth::{Permission, Principal, visibility};
use crate::db::{self, WriteTx};
use crate::domain::agreements::terms::{Capacity, Offer, Offers};
use crate::domain::agreements::tracking;
use crate::domain::orders::Warning;
use crate::domain::{
    Page, PageArgs, agreements, numbering, page, pricing, rows, sales_setup, validate,
};
use crate::error::{AppError, AppResult};
use chrono::{NaiveDate, Utc};
use entity::{
    AgreementKind, BackorderStatus, Dec, DocType, ItemKind, PriceSource, PurchaseOrderStatus,
    backorder, item, purchase_order, purchase_order_line, supplier, warehouse,
};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, HashMap};

pub struct PoLineInput {
    pub item_id: i64,
    /// Stock units.
    pub quantity: Decimal,
    /// Defaults to the item's cost.
    pub unit_cost: Option<Decimal>,
}

pub struct NewPurchaseOrder {
    pub supplier_id: i64,
    /// Where the goods arrive; defaults to the company's first warehouse by priority.
    pub warehouse_id: Option<i64>,
    pub expected_date: Option<NaiveDate>,
    pub notes: Option<String>,
    pub lines: Vec<PoLineInput>,
    /// Set by [`create_from_agreement`]: the agreement, and per line its commitment line.
    pub agreement_id: Option<i64>,
    pub pinned: Option<Vec<Offer>>,
}

#[derive(Default)]
pub struct PurchaseOrderFilter {
    pub status: Option<PurchaseOrderStatus>,
    pub supplier_id: Option<i64>,
}

/// `createPurchaseOrder`: a DRAFT purchase order (R-BO-4) of purchasable stocked items
/// (R-ITEM-2).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: NewPurchaseOrder,
) -> AppResult<(purchase_order::Model, Vec<Warning>)> {
    visibility::require(p, Permission::ManagePurchasing)?;
    if input.lines.is_empty() {
        return Err(AppError::validation(
            "lines",
            "a purchase order needs lines",
        ));
    }
    let tx = db::write_tx(db).await?;
    let sup = own_supplier(&tx, p, input.supplier_id).await?;
    let wh = receiving_warehouse(&tx, p, input.warehouse_id).await?;
    let ids: Vec<i64> = input.lines.iter().map(|l| l.item_id).collect();
    let items = purchasable(&tx, p, &ids, "lines").await?;
    let mut lines = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let f = |n: &str| format!("lines.{i}.{n}");
        let it = &items[&l.item_id];
        let quantity = validate::positive(
            &f("quantity"),
            validate::decimal(&f("quantity"), l.quantity)?,
        )?;
        let (cost, manual) = match l.unit_cost {
            Some(c) => (
                validate::non_negative(&f("unitCost"), validate::decimal(&f("unitCost"), c)?)?,
                true,
            ),
            None => (it.cost.0, false),
        };
        if manual && input.pinned.is_some() {
            return Err(AppError::validation(
                f("unitCost"),
                "a line ordered from an agreement takes the agreement's price and discount",
            ));
        }
        lines.push(PlannedLine {
            item_id: it.id,
            quantity,
            cost,
            manual,
            pinned: input
                .pinned
                .as_ref()
                .and_then(|pinned| pinned.get(i).copied()),
        });
    }
    let notes = validate::text("notes", input.notes, 2000)?;
    if let Some(id) = input.agreement_id {
        agreements::still_effective(&tx, id).await?;
    }
    let target = Target {
        warehouse_id: wh,
        expected_date: input.expected_date,
        notes,
        agreement_id: input.agreement_id,
        split: true,
    };
    let (po, _, warnings) = insert(&tx, p, &sup, target, lines).await?;
    tx.commit().await?;
    Ok((po, warnings))
}

/// `createPurchaseOrderFromAgreement` (R-AGR-3): a purchase order to the agreement's supplier
/// at the agreement's prices, refused unless the agreement is EFFECTIVE (INVALID_STATE) and the
/// delivery date lies in its validity (VALIDATION). Beyond a line's remaining commitment the
/// excess is ordered at the item's cost, with the warning `AGREEMENT_EXCEEDED`.
pub async fn create_from_agreement(
    db: &DatabaseConnection,
    p: &Principal,
    input: agreements::FromAgreement,
) -> AppResult<(purchase_order::Model, Vec<Warning>)> {
    visibility::require(p, Permission::ManagePurchasing)?;
    let (a, lines) = agreements::for_order(
        db,
        p,
        input.agreement_id,
        AgreementKind::Purchase,
        input.date,
        "deliveryDate",
    )
    .await?;
    let (items, pinned) = agreements::pin_lines(&lines, &input.lines)?;
    let supplier_id = a.supplier_id.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "purchase agreement {} has no supplier",
            a.id
        ))
    })?;
    create(
        db,
        p,
        NewPurchaseOrder {
            supplier_id,
            warehouse_id: input.warehouse_id,
            expected_date: Some(input.date),
            notes: input.notes,
            lines: items
                .into_iter()
                .zip(&input.lines)
                .map(|(item_id, l)| PoLineInput {
                    item_id,
                    quantity: l.quantity,
                    unit_cost: None,
                })
                .collect(),
            agreement_id: Some(a.id),
            pinned: Some(pinned),
        },
    )
    .await
}

/// A direct-delivery purchase line: the sales order line it delivers and what it buys.
pub(crate) struct DirectLine {
    pub order_line_id: i64,
    pub item_id: i64,
    /// Stock units.
    pub quantity: Decimal,
    pub over_delivery_percent: Decimal,
    pub under_delivery_percent: Decimal,
}

/// A DRAFT purchase order whose supplier ships straight to the customer of `order` (R-IC-2):
/// one line per order line, each linked to it, priced as any purchase line (agreements
/// included, R-AGR-2), received into no warehouse of ours. In the caller's transaction.
pub(crate) async fn create_direct(
    tx: &WriteTx,
    p: &Principal,
    supplier_id: i64,
    order: &entity::sales_order::Model,
    delivery_address: Option<String>,
    lines: Vec<DirectLine>,
) -> AppResult<(purchase_order::Model, Vec<purchase_order_line::Model>)> {
    let sup = own_supplier(&**tx, p, supplier_id).await?;
    let wh = receiving_warehouse(&**tx, p, None).await?;
    let ids: Vec<i64> = lines.iter().map(|l| l.item_id).collect();
    let items = purchasable(&**tx, p, &ids, "lines").await?;
    let planned = lines
        .iter()
        .map(|l| PlannedLine {
            item_id: l.item_id,
            quantity: l.quantity,
            cost: items[&l.item_id].cost.0,
            manual: false,
            pinned: None,
        })
        .collect();
    let target = Target {
        warehouse_id: wh,
        expected_date: order.delivery_date,
        notes: None,
        agreement_id: None,
        // One purchase line per order line: the chain links them one to one.
        split: false,
    };
    let (po, inserted, _) = insert(tx, p, &sup, target, planned).await?;
    let mut am = po.into_active_model();
    am.direct_delivery = Set(true);
    am.sales_order_id = Set(Some(order.id));
    am.delivery_address = Set(delivery_address);
    let po = am.update(&**tx).await?;
    let mut out = Vec::with_capacity(inserted.len());
    for (row, l) in inserted.into_iter().zip(&lines) {
        let mut am = row.into_active_model();
        am.sales_order_line_id = Set(Some(l.order_line_id));
        am.over_delivery_percent = Set(Dec(l.over_delivery_percent));
        am.under_delivery_percent = Set(Dec(l.under_delivery_percent));
        out.push(am.update(&**tx).await?);
    }
    Ok((po, out))
}

/// A purchase line before pricing: its trade cost (the item's, or typed by hand) and, when
/// ordered from an agreement, the commitment line that prices it.
struct PlannedLine {
    item_id: i64,
    quantity: Decimal,
    cost: Decimal,
    manual: bool,
    pinned: Option<Offer>,
}

/// A priced purchase line ready to insert.
struct PricedLine {
    item_id: i64,
    quantity: Decimal,
    cost: Decimal,
    source: PriceSource,
    agreement_line_id: Option<i64>,
    trade_cost: Decimal,
    trade_source: PriceSource,
}

/// Where a new purchase order goes and how its lines meet agreements.
struct Target {
    warehouse_id: i64,
    expected_date: Option<NaiveDate>,
    notes: Option<String>,
    agreement_id: Option<i64>,
    /// Split a line at its commitment's remaining (hand-made orders); generated orders keep
    /// one line per item and take the agreement price only when the whole line fits.
    split: bool,
}

/// R-AGR-2: a line not priced by hand takes the effective purchase agreement's price less its
/// discount (or the item's cost less the discount of a VALUE line), source AGREEMENT; what a
/// commitment no longer holds is priced at the item's cost (R-AGR-3).
async fn price_lines(
    tx: &WriteTx,
    p: &Principal,
    sup: &supplier::Model,
    lines: Vec<PlannedLine>,
    split: bool,
) -> AppResult<(Vec<PricedLine>, Vec<Warning>)> {
    let wanted: Vec<i64> = lines
        .iter()
        .filter(|l| !l.manual && l.pinned.is_none())
        .map(|l| l.item_id)
        .collect();
    let offers = if wanted.is_empty() {
        Offers::default()
    } else {
        agreements::terms::effective(
            &**tx,
            p.company_id,
            AgreementKind::Purchase,
            sup.id,
            &sup.currency,
            Utc::now().date_naive(),
            &wanted,
        )
        .await?
    };
    let priced: Vec<PricedLine> = lines
        .into_iter()
        .map(|l| {
            let trade_source = if l.manual {
                PriceSource::Manual
            } else {
                PriceSource::List
            };
            let offer = l
                .pinned
                .or_else(|| (!l.manual).then(|| offers.for_item(l.item_id)).flatten());
            let (cost, source, agreement_line_id) = match offer {
                Some(o) => (
                    pricing::round_price(agreements::net_unit(
                        o.unit_price.unwrap_or(l.cost),
                        o.discount_percent,
                    )),
                    PriceSource::Agreement,
                    Some(o.agreement_line_id),
                ),
                None => (l.cost, trade_source, None),
            };
            PricedLine {
                item_id: l.item_id,
                quantity: l.quantity,
                cost,
                source,
                agreement_line_id,
                trade_cost: l.cost,
                trade_source,
            }
        })
        .collect();
    let ids: Vec<i64> = priced.iter().filter_map(|l| l.agreement_line_id).collect();
    if ids.is_empty() {
        return Ok((priced, vec![]));
    }
    let locked = agreements::terms::lock_lines(&**tx, &ids).await?;
    let mut capacity = Capacity::of(&locked);
    let mut out = Vec::with_capacity(priced.len());
    let mut warnings = Vec::new();
    for l in priced {
        let Some(agreement_line) = l.agreement_line_id else {
            out.push(l);
            continue;
        };
        let held = capacity.take(agreement_line, l.quantity, l.cost, Decimal::ZERO);
        if held == l.quantity {
            out.push(l);
            continue;
        }
        let held = if split { held } else { Decimal::ZERO };
        warnings.push(Warning {
            code: "AGREEMENT_EXCEEDED",
            message: format!(
                "{} of {} units exceed what agreement line {} has left; they are ordered at the \
                 item's cost (R-AGR-3)",
                (l.quantity - held).normalize(),
                l.quantity.normalize(),
                locked.get(&agreement_line).map_or(0, |a| a.position),
            ),
        });
        let beyond = PricedLine {
            quantity: l.quantity - held,
            cost: l.trade_cost,
            source: l.trade_source,
            agreement_line_id: None,
            ..l
        };
        if held > Decimal::ZERO {
            out.push(PricedLine {
                quantity: held,
                ..l
            });
        }
        out.push(beyond);
    }
    Ok((out, warnings))
}

async fn own_supplier<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    id: i64,
) -> AppResult<supplier::Model> {
    supplier::Entity::find_by_id(id)
        .filter(visibility::suppliers(p))
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation("supplierId", "no such supplier"))
}

/// The given warehouse, or the company's first by priority.
async fn receiving_warehouse<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    id: Option<i64>,
) -> AppResult<i64> {
    let mut q = warehouse::Entity::find().filter(visibility::warehouses(p));
    if let Some(id) = id {
        q = q.filter(warehouse::Column::Id.eq(id));
    }
    q.order_by_asc(warehouse::Column::Priority)
        .order_by_asc(warehouse::Column::Id)
        .one(db)
        .await?
        .map(|w| w.id)
        .ok_or_else(|| AppError::validation("warehouseId", "no such warehouse"))
}

/// Items by id that may be bought: the company's, STOCKED and `purchasable` (R-ITEM-2).
async fn purchasable<C: ConnectionTrait>(
    db: &C,
    p: &Principal,
    ids: &[i64],
    field: &str,
) -> AppResult<HashMap<i64, item::Model>> {
    let items: HashMap<i64, item::Model> = item::Entity::find()
        .filter(visibility::items(p))
        .filter(item::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        match items.get(id) {
            None => {
                return Err(AppError::validation(
                    format!("{field}.{i}.itemId"),
                    "no such item",
                ));
            }
            Some(it) if !it.purchasable || it.kind != ItemKind::Stocked => {
                return Err(AppError::validation(
                    format!("{field}.{i}.itemId"),
                    format!("{} is not a purchasable stocked item (R-ITEM-2)", it.sku),
                ));
            }
            _ => {}
        }
    }
    Ok(items)
}

/// Inserts a numbered DRAFT purchase order with its lines priced (agreements included); what
/// the lines release on agreements is tracked; the number is taken last.
async fn insert(
    tx: &WriteTx,
    p: &Principal,
    sup: &supplier::Model,
    target: Target,
    lines: Vec<PlannedLine>,
) -> AppResult<(
    purchase_order::Model,
    Vec<purchase_order_line::Model>,
    Vec<Warning>,
)> {
    let Target {
        warehouse_id,
        expected_date,
        notes,
        agreement_id,
        split,
    } = target;
    let (lines, warnings) = price_lines(tx, p, sup, lines, split).await?;
    let now = Utc::now();
    let series = sales_setup::settings(&**tx, p.company_id)
        .await?
        .default_series;
    let mut po = purchase_order::ActiveModel {
        company_id: Set(p.company_id),
        supplier_id: Set(sup.id),
        warehouse_id: Set(warehouse_id),
        series: Set(series.clone()),
        number: Set(-1 - i64::from(rand::random::<u32>())),
        status: Set(PurchaseOrderStatus::Draft),
        currency: Set(sup.currency.clone()),
        order_date: Set(now.date_naive()),
        expected_date: Set(expected_date),
        notes: Set(notes),
        version: Set(1),
        created_by: Set(p.key()),
        created_at: Set(now),
        updated_at: Set(now),
        agreement_id: Set(agreement_id),
        ..Default::default()
    }
    .insert(&**tx)
    .await?;
    purchase_order_line::Entity::insert_many(lines.into_iter().enumerate().map(|(i, l)| {
        purchase_order_line::ActiveModel {
            company_id: Set(p.company_id),
            purchase_order_id: Set(po.id),
            position: Set(i as i64 + 1),
            item_id: Set(l.item_id),
            quantity: Set(Dec(l.quantity)),
            received_quantity: Set(Dec::ZERO),
            unit_cost: Set(Dec(l.cost)),
            price_source: Set(l.source),
            agreement_line_id: Set(l.agreement_line_id),
            ..Default::default()
        }
    }))
    .exec_without_returning(&**tx)
    .await?;
    let inserted = lines_of(&**tx, po.id).await?;
    track(tx, &po, &inserted).await?;
    let number = numbering::next(tx, p.company_id, &series, DocType::PurchaseOrder).await?;
    let mut am = po.into_active_model();
    am.number = Set(number);
    po = am.update(&**tx).await?;
    Ok((po, inserted, warnings))
}

/// Moves the purchase agreement lines `lines` were placed against to what they contribute
/// now (R-AGR-1): released while the order is not cancelled, fulfilled as received.
pub(crate) async fn track<C: ConnectionTrait>(
    tx: &C,
    po: &purchase_order::Model,
    lines: &[purchase_order_line::Model],
) -> AppResult<()> {
    let open = tracking::purchase_open(po);
    let moves = lines
        .iter()
        .filter_map(|l| tracking::purchase_move(l, open));
    tracking::apply(tx, AgreementKind::Purchase, moves, None).await
}

pub(crate) async fn lines_of<C: ConnectionTrait>(
    db: &C,
    po_id: i64,
) -> AppResult<Vec<purchase_order_line::Model>> {
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(po_id))
        .order_by_asc(purchase_order_line::Column::Position)
        .all(db)
        .await?)
}

/// Loads a purchase order of the caller's company and locks it until the transaction ends.
pub(crate) async fn lock(tx: &WriteTx, p: &Principal, id: i64) -> AppResult<purchase_order::Model> {
    let mut q = purchase_order::Entity::find_by_id(id)
        .filter(purchase_order::Column::CompanyId.eq(p.company_id));
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(&**tx)
        .await?
        .ok_or(AppError::NotFound("purchase order"))
}

async fn transition(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    from: &[PurchaseOrderStatus],
    to: PurchaseOrderStatus,
) -> AppResult<purchase_order::Model> {
    visibility::require(p, Permission::ManagePurchasing)?;
    let tx = db::write_tx(db).await?;
    let po = lock(&tx, p, id).await?;
    if !from.contains(&po.status) {
        return Err(AppError::InvalidState(format!(
            "a {:?} purchase order cannot become {to:?} (R-BO-4)",
            po.status
        )));
    }
    if to == PurchaseOrderStatus::Cancelled {
        // Its backorders wait for another purchase order (R-BO-3) and no longer lock their
        // sales orders (R-ORD-16); what it released on agreements goes back (R-AGR-1).
        let lines = lines_of(&*tx, po.id).await?;
        let cancelled = purchase_order::Model {
            status: to,
            ..po.clone()
        };
        track(&*tx, &cancelled, &lines).await?;
        let line_ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
        backorder::Entity::update_many()
            .col_expr(
                backorder::Column::PurchaseOrderLineId,
                sea_orm::sea_query::Expr::value(Option::<i64>::None),
            )
            .filter(backorder::Column::PurchaseOrderLineId.is_in(line_ids))
            .exec(&*tx)
            .await?;
    }
    let version = po.version;
    let mut am = po.into_active_model();
    am.status = Set(to);
    am.version = Set(version + 1);
    am.updated_at = Set(Utc::now());
    let po = am.update(&*tx).await?;
    tx.commit().await?;
    Ok(po)
}

/// DRAFT → CONFIRMED (R-BO-4): sent to the supplier; its open quantity now counts as incoming.
pub async fn confirm(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_order::Model> {
    transition(
        db,
        p,
        id,
        &[PurchaseOrderStatus::Draft],
        PurchaseOrderStatus::Confirmed,
    )
    .await
}

/// DRAFT/CONFIRMED → CANCELLED (R-BO-4); nothing may have been received yet.
pub async fn cancel(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_order::Model> {
    transition(
        db,
        p,
        id,
        &[PurchaseOrderStatus::Draft, PurchaseOrderStatus::Confirmed],
        PurchaseOrderStatus::Cancelled,
    )
    .await
}

/// `createPurchaseOrdersForBackorders` (R-BO-3): confirmed backorders not yet on a purchase
/// order, one DRAFT purchase order per supplier (the given one, or each item's preferred
/// supplier), their open quantities summed per item; each backorder is linked to its line.
pub async fn create_for_backorders(
    db: &DatabaseConnection,
    p: &Principal,
    backorder_ids: &[i64],
    supplier_id: Option<i64>,
    warehouse_id: Option<i64>,
) -> AppResult<Vec<purchase_order::Model>> {
    visibility::require(p, Permission::ManagePurchasing)?;
    if backorder_ids.is_empty() {
        return Err(AppError::validation(
            "backorderIds",
            "name at least one backorder",
        ));
    }
    let tx = db::write_tx(db).await?;
    let mut q = backorder::Entity::find()
        .filter(visibility::backorders(p))
        .filter(backorder::Column::Id.is_in(backorder_ids.to_vec()))
        .order_by_asc(backorder::Column::Id);
    if tx.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let backorders = q.all(&*tx).await?;
    for (i, id) in backorder_ids.iter().enumerate() {
        let Some(b) = backorders.iter().find(|b| b.id == *id) else {
            return Err(AppError::validation(
                format!("backorderIds.{i}"),
                "no such backorder",
            ));
        };
        if !matches!(
            b.status,
            BackorderStatus::Confirmed | BackorderStatus::PartiallyFulfilled
        ) {
            return Err(AppError::validation(
                format!("backorderIds.{i}"),
                format!(
                    "backorder {} is {:?}: only confirmed backorders are bought (R-BO-2, R-BO-3)",
                    b.id, b.status
                ),
            ));
        }
        if b.purchase_order_line_id.is_some() {
            return Err(AppError::validation(
                format!("backorderIds.{i}"),
                format!("backorder {} is already on a purchase order", b.id),
            ));
        }
    }
    let item_ids: Vec<i64> = backorders.iter().map(|b| b.item_id).collect();
    let items = purchasable(&*tx, p, &item_ids, "backorderIds").await?;
    let given = match supplier_id {
        Some(id) => Some(own_supplier(&*tx, p, id).await?),
        None => None,
    };
    // supplier → item → (quantity, backorders)
    let mut plan: BTreeMap<i64, BTreeMap<i64, (Decimal, Vec<i64>)>> = BTreeMap::new();
    for b in &backorders {
        let it = &items[&b.item_id];
        let sup = match (&given, it.preferred_supplier_id) {
            (Some(s), _) => s.id,
            (None, Some(s)) => s,
            (None, None) => {
                return Err(AppError::validation(
                    "supplierId",
                    format!("{} has no preferred supplier: name one (R-BO-3)", it.sku),
                ));
            }
        };
        let entry = plan.entry(sup).or_default().entry(it.id).or_default();
        entry.0 += b.open_quantity.0;
        entry.1.push(b.id);
    }
    let wh = receiving_warehouse(&*tx, p, warehouse_id).await?;
    let mut created = Vec::with_capacity(plan.len());
    for (sup_id, per_item) in plan {
        let sup = own_supplier(&*tx, p, sup_id).await?;
        let lines: Vec<PlannedLine> = per_item
            .iter()
            .map(|(item_id, (q, _))| PlannedLine {
                item_id: *item_id,
                quantity: *q,
                cost: items[item_id].cost.0,
                manual: false,
                pinned: None,
            })
            .collect();
        let target = Target {
            warehouse_id: wh,
            expected_date: None,
            notes: None,
            agreement_id: None,
            split: false,
        };
        let (po, po_lines, _) = insert(&tx, p, &sup, target, lines).await?;
        for l in &po_lines {
            let ids = per_item[&l.item_id].1.clone();
            backorder::Entity::update_many()
                .col_expr(
                    backorder::Column::PurchaseOrderLineId,
                    sea_orm::sea_query::Expr::value(Some(l.id)),
                )
                .filter(backorder::Column::Id.is_in(ids))
                .exec(&*tx)
                .await?;
        }
        created.push(po);
    }
    tx.commit().await?;
    Ok(created)
}

pub async fn get(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> AppResult<purchase_order::Model> {
    visibility::require(p, Permission::ReadPurchasing)?;
    purchase_order::Entity::find_by_id(id)
        .filter(purchase_order::Column::CompanyId.eq(p.company_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("purchase order"))
}

/// Purchase orders, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: PurchaseOrderFilter,
    args: &PageArgs,
) -> AppResult<Page<purchase_order::Model>> {
    visibility::require(p, Permission::ReadPurchasing)?;
    let mut q =
        purchase_order::Entity::find().filter(purchase_order::Column::CompanyId.eq(p.company_id));
    if let Some(s) = filter.status {
        q = q.filter(purchase_order::Column::Status.eq(s));
    }
    if let Some(s) = filter.supplier_id {
        q = q.filter(purchase_order::Column::SupplierId.eq(s));
    }
    page::fetch_newest_first(db, q, purchase_order::Column::Id, args).await
}

/// Lines of many purchase orders, one statement.
pub async fn lines_by_pos(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_order_line::Model>>> {
    rows::children::<purchase_order_line::Entity, _>(
        db,
        purchase_order_line::Column::PurchaseOrderId,
        ids,
        purchase_order_line::Column::Position,
        |l| l.purchase_order_id,
    )
    .await
}

/// Purchase orders by id in the caller's company (for nested fields).
pub async fn by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, purchase_order::Model>> {
    if !visibility::can(p, Permission::ReadPurchasing) {
        return Ok(HashMap::new());
    }
    Ok(purchase_order::Entity::find()
        .filter(purchase_order::Column::CompanyId.eq(p.company_id))
        .filter(purchase_order::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|po| (po.id, po))
        .collect())
}

/// Purchase order lines by id (for `Backorder.purchaseOrderLine`).
pub async fn lines_by_ids(
    db: &DatabaseConnection,
    p: &Principal,
    ids: &[i64],
) -> AppResult<HashMap<i64, purchase_order_line::Model>> {
    if !visibility::can(p, Permission::ReadPurchasing) {
        return Ok(HashMap::new());
    }
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::CompanyId.eq(p.company_id))
        .filter(purchase_order_line::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect())
}

/// The purchase orders buying each order's backorders (R-PAY-4: what serves an order), for
/// whoever reads purchasing; nobody else learns of them.
pub async fn by_sales_orders(
    db: &DatabaseConnection,
    p: &Principal,
    order_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<purchase_order::Model>>> {
    if !visibility::can(p, Permission::ReadPurchasing) {
        return Ok(HashMap::new());
    }
    let links: Vec<(i64, Option<i64>)> = entity::backorder::Entity::find()
        .select_only()
        .column(entity::backorder::Column::OrderId)
        .column(entity::backorder::Column::PurchaseOrderLineId)
        .filter(entity::backorder::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(entity::backorder::Column::PurchaseOrderLineId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let lines = lines_by_ids(db, p, &links.iter().filter_map(|l| l.1).collect::<Vec<_>>()).await?;
    let pos = by_ids(
        db,
        p,
        &lines
            .values()
            .map(|l| l.purchase_order_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut out: HashMap<i64, Vec<purchase_order::Model>> = HashMap::new();
    for (order, line) in links {
        let Some(po) = line
            .and_then(|l| lines.get(&l))
            .and_then(|l| pos.get(&l.purchase_order_id))
        else {
            continue;
        };
        let list = out.entry(order).or_default();
        if !list.iter().any(|x| x.id == po.id) {
            list.push(po.clone());
        }
    }
    Ok(out)
}

/// R-PAY-4, the other way: the sales orders each purchase order serves (their backorders
/// stand on its lines), as far as the caller sees them; three statements for any page.
pub async fn sales_orders_served(
    db: &DatabaseConnection,
    p: &Principal,
    po_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<entity::sales_order::Model>>> {
    use entity::{backorder, sales_order};
    let links: Vec<(i64, i64)> = purchase_order_line::Entity::find()
        .select_only()
        .column(purchase_order_line::Column::PurchaseOrderId)
        .column(purchase_order_line::Column::Id)
        .filter(purchase_order_line::Column::PurchaseOrderId.is_in(po_ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    let po_of: HashMap<i64, i64> = links.iter().map(|(po, line)| (*line, *po)).collect();
    let served: Vec<(i64, i64)> = backorder::Entity::find()
        .select_only()
        .column(backorder::Column::PurchaseOrderLineId)
        .column(backorder::Column::OrderId)
        .filter(backorder::Column::PurchaseOrderLineId.is_in(po_of.keys().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let orders: HashMap<i64, sales_order::Model> = sales_order::Entity::find()
        .filter(visibility::sales_orders(p))
        .filter(sales_order::Column::Id.is_in(served.iter().map(|s| s.1)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut out: HashMap<i64, Vec<sales_order::Model>> = HashMap::new();
    for (line, order) in served {
        let (Some(po), Some(o)) = (po_of.get(&line), orders.get(&order)) else {
            continue;
        };
        let list = out.entry(*po).or_default();
        if !list.iter().any(|x| x.id == o.id) {
            list.push(o.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|o| o.id);
    }
    Ok(out)
}
