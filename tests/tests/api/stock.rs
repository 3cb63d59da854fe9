//! Stock adjustments (R-STK-1) and exact decimals on both backends.
use api_tests::*;
use futures_util::future::join_all;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::str::FromStr;

const ADJUST: &str = "mutation($i: ID!, $w: ID!, $q: Decimal!, $lot: String! = \"\") { adjustStock(input: {itemId: $i, warehouseId: $w, location: \"A-01\", lot: $lot, quantity: $q, reason: \"test\"}) { stockLevel { onHand reserved available } } }";

fn dec(v: &serde_json::Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn decimals_round_trip_every_digit() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    for value in ["12345678901234.5678", "0.0001", "10.50", "-0.0001"] {
        let r = app
            .gql(
                Some(&admin),
                "mutation($p: Decimal!, $s: String!) { createItem(input: {sku: $s, name: \"d\", weight: \"0.0001\", listPrice: $p}) { item { id } } }",
                json!({"p": value.trim_start_matches('-'), "s": format!("DEC-{value}")}),
            )
            .await;
        let id = r.data()["createItem"]["item"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let back = app
            .gql(
                Some(&admin),
                "query($id: ID!) { item(id: $id) { listPrice weight } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(
            dec(&back.data()["item"]["listPrice"]),
            Decimal::from_str(value.trim_start_matches('-')).unwrap()
        );
        assert_eq!(
            dec(&back.data()["item"]["weight"]),
            Decimal::from_str("0.0001").unwrap()
        );
    }
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;
    let r = app
        .gql(
            Some(&admin),
            ADJUST,
            json!({"i": bolt, "w": mad, "q": "12345678901134.5678"}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["adjustStock"]["stockLevel"]["onHand"]),
        Decimal::from_str("12345678901234.5678").unwrap()
    );
    let r = app
        .gql(
            Some(&admin),
            ADJUST,
            json!({"i": bolt, "w": mad, "q": "-12345678901234.5677"}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["adjustStock"]["stockLevel"]["onHand"]),
        Decimal::from_str("0.0001").unwrap()
    );
}

#[tokio::test]
async fn more_than_four_places_is_refused() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let r = app.gql(Some(&admin), "mutation { createItem(input: {sku: \"P5\", name: \"x\", listPrice: \"0.00001\"}) { item { id } } }", json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert_eq!(r.field().as_deref(), Some("listPrice"));
}

#[tokio::test]
async fn stock_never_drops_below_reserved() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let wh = app.login("warehouse@iberia.example").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;
    // Demo stock: 100 on hand. Reserve 30 directly, in the stored form (4 places, as `Dec`
    // writes it: SQLite's compare-and-set in `stock::move_slot` compares that text).
    let db = &app.state.db;
    let bolt_id: i64 = bolt.parse().unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "UPDATE stock_levels SET reserved = 30 WHERE item_id = $1"
            }
            _ => "UPDATE stock_levels SET reserved = '30.0000' WHERE item_id = ?",
        },
        [bolt_id.into()],
    ))
    .await
    .unwrap();
    let r = app
        .gql(Some(&wh), ADJUST, json!({"i": bolt, "w": mad, "q": "-71"}))
        .await;
    assert_eq!(r.code(), "VALIDATION");
    assert_eq!(r.field().as_deref(), Some("quantity"));
    let r = app
        .gql(Some(&wh), ADJUST, json!({"i": bolt, "w": mad, "q": "-70"}))
        .await;
    let level = &r.data()["adjustStock"]["stockLevel"];
    assert_eq!(dec(&level["onHand"]), Decimal::from(30));
    assert_eq!(dec(&level["available"]), Decimal::ZERO);
    // A new slot starts at zero: any removal is refused.
    let r = app
        .gql(Some(&wh), "mutation($i: ID!, $w: ID!) { adjustStock(input: {itemId: $i, warehouseId: $w, location: \"Z-99\", quantity: \"-1\", reason: \"x\"}) { stockLevel { onHand } } }", json!({"i": bolt, "w": mad}))
        .await;
    assert_eq!(r.code(), "VALIDATION");
}

#[tokio::test]
async fn tracked_and_non_stocked_items_are_checked() {
    let app = spawn_demo().await;
    let wh = app.login("warehouse@iberia.example").await;
    let admin = app.login("admin@iberia.example").await;
    let oil = app.id_of(&admin, "items", "OIL-1L").await;
    let svc = app.id_of(&admin, "items", "SVC-INSTALL").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;
    let r = app
        .gql(Some(&wh), ADJUST, json!({"i": oil, "w": mad, "q": "5"}))
        .await;
    assert_eq!(r.field().as_deref(), Some("lot"));
    let r = app
        .gql(
            Some(&wh),
            ADJUST,
            json!({"i": oil, "w": mad, "q": "5", "lot": "L1"}),
        )
        .await;
    assert!(r.is_ok());
    let r = app
        .gql(Some(&wh), ADJUST, json!({"i": svc, "w": mad, "q": "5"}))
        .await;
    assert_eq!(r.field().as_deref(), Some("itemId"));
}

/// Many clients adjust one slot at once: every adjustment lands, none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adjustments_on_one_row_leave_the_exact_sum() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let wh = app.login("warehouse@iberia.example").await;
    let nut = app.id_of(&admin, "items", "NUT-M8").await;
    let bcn = app.id_of(&admin, "warehouses", "BCN").await;
    let clients = 40;
    let calls = (0..clients).map(|i| {
        let q = if i % 4 == 0 { "-1.5" } else { "2.25" };
        let (app, wh, nut, bcn) = (&app, &wh, &nut, &bcn);
        async move {
            app.gql(Some(wh), ADJUST, json!({"i": nut, "w": bcn, "q": q}))
                .await
        }
    });
    let results = join_all(calls).await;
    for r in &results {
        assert!(r.is_ok(), "{}", r.0);
    }
    let expected = Decimal::from(200) + Decimal::from_str("2.25").unwrap() * Decimal::from(30)
        - Decimal::from_str("1.5").unwrap() * Decimal::from(10);
    let r = app.gql(Some(&admin), "query($i: ID!, $w: ID!) { stockLevels(filter: {itemId: $i, warehouseId: $w}) { edges { node { onHand } } } }", json!({"i": nut, "w": bcn})).await;
    assert_eq!(
        dec(&r.data()["stockLevels"]["edges"][0]["node"]["onHand"]),
        expected
    );
}

/// Removals race for the last units: exactly as many succeed as there is stock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_removals_never_go_below_zero() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let wh = app.login("warehouse@iberia.example").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let mad = app.id_of(&admin, "warehouses", "MAD").await;
    // 100 on hand; 30 clients each take 4 → 25 succeed, 5 are refused.
    let calls = (0..30).map(|_| {
        let (app, wh, bolt, mad) = (&app, &wh, &bolt, &mad);
        async move {
            app.gql(Some(wh), ADJUST, json!({"i": bolt, "w": mad, "q": "-4"}))
                .await
        }
    });
    let results = join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    for r in results.iter().filter(|r| !r.is_ok()) {
        assert_eq!(r.code(), "VALIDATION");
    }
    assert_eq!(ok, 25);
    let r = app
        .gql(
            Some(&admin),
            "query($i: ID!) { item(id: $i) { stockLevels { onHand } } }",
            json!({"i": bolt}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["item"]["stockLevels"][0]["onHand"]),
        Decimal::ZERO
    );
}
