//! Demo data: two sister companies with reps, a zone manager, customers, items, warehouses,
//! stock and one user per role. Idempotent: does nothing when the demo company exists.
use crate::auth::Principal;
use crate::domain::{
    companies, customers, items, principals, sales_reps, sales_setup, stock, suppliers, taxes,
    users, warehouses,
};
use crate::error::AppResult;
use chrono::NaiveDate;
use entity::{CustomerType, DocType, FreightCalc, ItemKind, Role, Tracking};
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

pub const PASSWORD: &str = "mercato-demo";
pub const COMPANY: &str = "IBX";
pub const SISTER: &str = "BLK";

/// (email, role) of the demo users, for the README and the start-up banner.
pub const USERS: &[(&str, &str)] = &[
    ("admin@iberia.example", "ADMIN of IBX"),
    (
        "manager@iberia.example",
        "SALES_MANAGER (zone manager over ana)",
    ),
    (
        "ana@iberia.example",
        "SALES_REP, customers ACME and INITECH",
    ),
    ("boris@iberia.example", "SALES_REP, customer GLOBEX"),
    ("warehouse@iberia.example", "WAREHOUSE"),
    ("purchasing@iberia.example", "PURCHASING"),
    ("buyer@acme.example", "CUSTOMER user of ACME"),
    (
        "accounting@iberia.example",
        "ACCOUNTING: invoices, credit notes, payments",
    ),
    ("admin@balkan.example", "ADMIN of BLK (sister company)"),
];

/// Returns false when the demo data was already there.
pub async fn seed(db: &DatabaseConnection) -> AppResult<bool> {
    if companies::by_code(db, COMPANY).await?.is_some() {
        return Ok(false);
    }
    let (ibx, ibx_admin) = companies::create_with_admin(
        db,
        companies::NewCompany {
            code: COMPANY.into(),
            name: "Iberia Supplies S.L.".into(),
            currency: "EUR".into(),
        },
        companies::FirstAdmin {
            email: "admin@iberia.example".into(),
            name: "Irene Admin".into(),
            password: PASSWORD.into(),
        },
    )
    .await?;
    let (blk, blk_admin) = companies::create_with_admin(
        db,
        companies::NewCompany {
            code: SISTER.into(),
            name: "Balkan Trading EOOD".into(),
            currency: "EUR".into(),
        },
        companies::FirstAdmin {
            email: "admin@balkan.example".into(),
            name: "Bogdan Admin".into(),
            password: PASSWORD.into(),
        },
    )
    .await?;
    let admin = principals::from_user_id(db, ibx_admin.id).await?;
    let blk_admin = principals::from_user_id(db, blk_admin.id).await?;

    let rep = |code: &str, name: &str| sales_reps::NewSalesRep {
        code: code.into(),
        name: name.into(),
        email: None,
    };
    let manager = sales_reps::create(db, &admin, rep("MGR", "Marta Manager")).await?;
    let ana = sales_reps::create(db, &admin, rep("ANA", "Ana Rep")).await?;
    let boris = sales_reps::create(db, &admin, rep("BORIS", "Boris Rep")).await?;
    sales_reps::set_associated(db, &admin, manager.id, vec![ana.id]).await?;
    // Customers name these setup records by code, so they come first.
    order_entry_setup(db, &admin).await?;

    let customer = |code: &str, name: &str, rep: Option<i64>, lang: &str, limit: i64| {
        customers::CustomerFields {
            code: Some(code.into()),
            name: Some(name.into()),
            sales_rep_id: Some(rep),
            language: Some(lang.into()),
            credit_limit: Some(Decimal::from(limit)),
            zone: Some("CENTRO".into()),
            province: Some("Madrid".into()),
            payment_terms: Some("30D".into()),
            payment_method: Some("TRANSFER".into()),
            bank_account: Some("MAIN".into()),
            carrier: Some("SEUR".into()),
            ..Default::default()
        }
    };
    let acme = customers::create(
        db,
        &admin,
        customer("ACME", "Acme Industrial S.A.", Some(ana.id), "es", 50_000),
    )
    .await?;
    customers::create(
        db,
        &admin,
        customer("INITECH", "Initech Iberia", Some(ana.id), "en", 20_000),
    )
    .await?;
    customers::create(
        db,
        &admin,
        customer("GLOBEX", "Globex Portugal", Some(boris.id), "pt", 10_000),
    )
    .await?;
    customers::create(
        db,
        &admin,
        customer(
            "HOOLI",
            "Hooli Retail (manager's own)",
            Some(manager.id),
            "es",
            0,
        ),
    )
    .await?;
    customers::create(
        db,
        &admin,
        customers::CustomerFields {
            customer_type: Some(CustomerType::Intercompany),
            linked_company_id: Some(Some(blk.id)),
            ..customer("BLK", "Balkan Trading EOOD (sister)", None, "bg", 0)
        },
    )
    .await?;
    let ibx_supplier = suppliers::create(
        db,
        &blk_admin,
        suppliers::SupplierFields {
            code: Some("IBX".into()),
            name: Some("Iberia Supplies S.L. (sister)".into()),
            linked_company_id: Some(Some(ibx.id)),
            ..Default::default()
        },
    )
    .await?;
    let tools = suppliers::create(
        db,
        &admin,
        suppliers::SupplierFields {
            code: Some("TOOLS".into()),
            name: Some("Herramientas del Norte".into()),
            ..Default::default()
        },
    )
    .await?;

    let mad = warehouses::create(db, &admin, "MAD", "Madrid central", 1).await?;
    let bcn = warehouses::create(db, &admin, "BCN", "Barcelona port", 2).await?;
    let item = |sku: &str, name: &str, kind: ItemKind, price: &str, cost: &str| items::ItemFields {
        sku: Some(sku.into()),
        name: Some(name.into()),
        kind: Some(kind),
        list_price: Some(price.parse().unwrap_or_default()),
        cost: Some(cost.parse().unwrap_or_default()),
        weight: Some(Decimal::new(25, 2)),
        preferred_supplier_id: Some(Some(tools.id)),
        ..Default::default()
    };
    let bolt = items::create(
        db,
        &admin,
        items::ItemFields {
            barcodes: Some(vec!["8412345000011".into()]),
            descriptions: Some(vec![
                ("es".into(), "Tornillo de acero M8".into()),
                ("bg".into(), "Стоманен болт M8".into()),
            ]),
            ..item(
                "BOLT-M8",
                "Steel bolt M8",
                ItemKind::Stocked,
                "0.35",
                "0.12",
            )
        },
    )
    .await?;
    let nut = items::create(
        db,
        &admin,
        items::ItemFields {
            sales_unit: Some("BOX".into()),
            sales_unit_factor: Some(Decimal::from(100)),
            barcodes: Some(vec!["8412345000028".into()]),
            ..item("NUT-M8", "Hex nut M8", ItemKind::Stocked, "9.90", "3.10")
        },
    )
    .await?;
    let oil = items::create(
        db,
        &admin,
        items::ItemFields {
            tracking: Some(Tracking::Lot),
            ..item(
                "OIL-1L",
                "Machine oil 1 L",
                ItemKind::Stocked,
                "12.50",
                "6.00",
            )
        },
    )
    .await?;
    let service = items::create(
        db,
        &admin,
        item(
            "SVC-INSTALL",
            "Installation service (hour)",
            ItemKind::NonStocked,
            "45.00",
            "0",
        ),
    )
    .await?;
    let kit = items::create(
        db,
        &admin,
        item(
            "KIT-FIX",
            "Fixing kit (bolts + nuts)",
            ItemKind::Kit,
            "19.90",
            "0",
        ),
    )
    .await?;

    sales_setup::set_customer_price(
        db,
        &admin,
        acme.id,
        bolt.id,
        Some(Decimal::new(30, 2)),
        None,
    )
    .await?;
    sales_setup::set_kit_components(
        db,
        &admin,
        kit.id,
        vec![(bolt.id, Decimal::from(10)), (nut.id, Decimal::new(1, 1))],
    )
    .await?;

    // Taxes (R-TAX-1): Spanish IVA; the oil at the reduced rate.
    let mut codes = std::collections::HashMap::new();
    for (code, name, rate) in [
        ("IVA21", "IVA general", 21),
        ("IVA10", "IVA reducido", 10),
        ("IVA4", "IVA superreducido", 4),
        ("EXENTO", "Exento", 0),
    ] {
        let t = taxes::create(db, &admin, code, name, Decimal::from(rate)).await?;
        codes.insert(code, t.id);
    }
    for (item_id, code) in [
        (bolt.id, "IVA21"),
        (nut.id, "IVA21"),
        (kit.id, "IVA21"),
        (oil.id, "IVA10"),
        (service.id, "IVA21"),
    ] {
        taxes::set_item_tax_code(db, &admin, item_id, codes.get(code).copied()).await?;
    }

    let warehouse_user = users::insert(
        db,
        users::NewUser {
            company_id: ibx.id,
            email: "warehouse@iberia.example".into(),
            name: "Walter Warehouse".into(),
            password: PASSWORD.into(),
            role: Role::Warehouse,
            sales_rep_id: None,
            customer_id: None,
        },
    )
    .await?;
    for (email, name, role, rep, cust) in [
        (
            "manager@iberia.example",
            "Marta Manager",
            Role::SalesManager,
            Some(manager.id),
            None,
        ),
        (
            "ana@iberia.example",
            "Ana Rep",
            Role::SalesRep,
            Some(ana.id),
            None,
        ),
        (
            "boris@iberia.example",
            "Boris Rep",
            Role::SalesRep,
            Some(boris.id),
            None,
        ),
        (
            "purchasing@iberia.example",
            "Pablo Purchasing",
            Role::Purchasing,
            None,
            None,
        ),
        (
            "buyer@acme.example",
            "Acme Buyer",
            Role::Customer,
            None,
            Some(acme.id),
        ),
        (
            "accounting@iberia.example",
            "Alba Accounting",
            Role::Accounting,
            None,
            None,
        ),
    ] {
        users::insert(
            db,
            users::NewUser {
                company_id: ibx.id,
                email: email.into(),
                name: name.into(),
                password: PASSWORD.into(),
                role,
                sales_rep_id: rep,
                customer_id: cust,
            },
        )
        .await?;
    }
    let wh = principals::from_user_id(db, warehouse_user.id).await?;
    for (item_id, warehouse_id, lot, qty) in [
        (bolt.id, mad.id, None, 100),
        (nut.id, mad.id, None, 500),
        (nut.id, bcn.id, None, 200),
        (oil.id, mad.id, Some("L2026-11"), 40),
    ] {
        stock::adjust(
            db,
            &wh,
            stock::Adjustment {
                item_id,
                warehouse_id,
                location: Some("A-01".into()),
                lot: lot.map(Into::into),
                quantity: Decimal::from(qty),
                reason: "demo opening stock".into(),
            },
        )
        .await?;
    }
    sister_setup(db, &blk_admin, ibx_supplier.id).await?;
    tracing::info!("demo data seeded");
    Ok(true)
}

/// Order-entry setup (R-ORD-2, 6, 7, 10, 12, R-ITEM-1): series A, payment terms 30D / 30-60
/// (not under 200 EUR) / PER, transfer needing the MAIN account, carrier SEUR by quantity and
/// zone, MRW by weight and province, and a USD rate. (ACME's own bolt price and the fixing kit
/// follow once those records exist.)
async fn order_entry_setup(db: &DatabaseConnection, admin: &Principal) -> AppResult<()> {
    for doc_type in [DocType::Quote, DocType::Order] {
        sales_setup::create_series(db, admin, "A", doc_type, Some(1)).await?;
    }
    let pct = |p: i64| Decimal::from(p);
    let installment = |days, percent| sales_setup::Installment { days, percent };
    sales_setup::create_payment_terms(
        db,
        admin,
        "30D",
        "30 days",
        false,
        vec![installment(30, pct(100))],
    )
    .await?;
    let split = sales_setup::create_payment_terms(
        db,
        admin,
        "30-60",
        "30 and 60 days",
        false,
        vec![installment(30, pct(50)), installment(60, pct(50))],
    )
    .await?;
    sales_setup::restrict_payment_terms(db, admin, split.id, pct(200)).await?;
    sales_setup::create_payment_terms(db, admin, "PER", "Custom installments", true, vec![])
        .await?;
    sales_setup::create_payment_method(db, admin, "TRANSFER", "Bank transfer", true).await?;
    sales_setup::create_payment_method(db, admin, "CASH", "Cash on delivery", false).await?;
    sales_setup::create_bank_account(
        db,
        admin,
        "MAIN",
        "Main account",
        "ES91 2100 0418 4502 0005 1332",
    )
    .await?;
    sales_setup::create_carrier(
        db,
        admin,
        "SEUR",
        "SEUR (by quantity and zone)",
        FreightCalc::QtyZone,
        vec![sales_setup::NewFreightRate {
            zone: Some("CENTRO".into()),
            province: None,
            reference_quantity: pct(50),
            max_weight: Decimal::ZERO,
            amount: pct(12),
        }],
    )
    .await?;
    let bracket = |max: i64, amount: i64| sales_setup::NewFreightRate {
        zone: None,
        province: Some("MADRID".into()),
        reference_quantity: Decimal::ZERO,
        max_weight: pct(max),
        amount: pct(amount),
    };
    sales_setup::create_carrier(
        db,
        admin,
        "MRW",
        "MRW (by weight and province)",
        FreightCalc::KgProvince,
        vec![bracket(10, 6), bracket(50, 15), bracket(500, 40)],
    )
    .await?;
    let jan_first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    sales_setup::set_exchange_rate(db, admin, "USD", Decimal::new(9200, 4), jan_first).await?;
    Ok(())
}

/// BLK, the sister company: a warehouse, an external customer it delivers to directly, and
/// the bolts and nuts it buys from IBX (same SKUs, IBX the preferred supplier) — what the
/// intercompany walk-through needs once the two admins link the companies (R-IC-1…3).
async fn sister_setup(
    db: &DatabaseConnection,
    blk_admin: &Principal,
    ibx_supplier: i64,
) -> AppResult<()> {
    warehouses::create(db, blk_admin, "SOF", "Sofia", 1).await?;
    customers::create(
        db,
        blk_admin,
        customers::CustomerFields {
            code: Some("VITOSHA".into()),
            name: Some("Vitosha Build AD".into()),
            language: Some("bg".into()),
            credit_limit: Some(Decimal::from(20_000)),
            direct_delivery: Some(true),
            addresses: Some(vec![customers::NewAddress {
                kind: entity::AddressKind::Shipping,
                name: "Vitosha Build, site 1".into(),
                line1: "bul. Bulgaria 102".into(),
                line2: None,
                city: "Sofia".into(),
                postal_code: Some("1680".into()),
                province: None,
                country: "BG".into(),
                is_default: true,
            }]),
            ..Default::default()
        },
    )
    .await?;
    for (sku, name, price, cost, unit) in [
        ("BOLT-M8", "Стоманен болт M8", "0.45", "0.30", None),
        ("NUT-M8", "Гайка M8", "12.90", "9.00", Some(("BOX", 100))),
    ] {
        items::create(
            db,
            blk_admin,
            items::ItemFields {
                sku: Some(sku.into()),
                name: Some(name.into()),
                kind: Some(ItemKind::Stocked),
                list_price: Some(price.parse().unwrap_or_default()),
                cost: Some(cost.parse().unwrap_or_default()),
                preferred_supplier_id: Some(Some(ibx_supplier)),
                sales_unit: unit.map(|(u, _)| u.into()),
                sales_unit_factor: unit.map(|(_, f)| Decimal::from(f)),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}
