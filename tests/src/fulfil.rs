//! Shared world for the fulfilment tests: the demo company IBX with BOLT-M8 (100 on hand in
//! MAD, preferred supplier TOOLS) and Ana's customers ACME and INITECH.
use crate::{Gql, TestApp, spawn_demo};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::str::FromStr;

pub fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("decimal string")).unwrap()
}

pub struct World {
    pub app: TestApp,
    pub admin: String,
    pub warehouse: String,
    pub purchasing: String,
    pub bolt: String,
    pub acme: String,
    pub initech: String,
}

pub async fn world() -> World {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let warehouse = app.login("warehouse@iberia.example").await;
    let purchasing = app.login("purchasing@iberia.example").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let initech = app.id_of(&admin, "customers", "INITECH").await;
    World {
        app,
        admin,
        warehouse,
        purchasing,
        bolt,
        acme,
        initech,
    }
}

impl World {
    /// A DRAFT order of `quantity` bolts; returns (order id, line id).
    pub async fn order(&self, token: &str, customer: &str, quantity: u32) -> (String, String) {
        let r = self
            .app
            .gql(
                Some(token),
                "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id lines { id } } } }",
                json!({"i": {"customerId": customer, "lines": [{"itemId": self.bolt, "quantity": quantity.to_string()}]}}),
            )
            .await;
        let o = &r.data()["createSalesOrder"]["salesOrder"];
        (
            o["id"].as_str().unwrap().to_owned(),
            o["lines"][0]["id"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn confirm(&self, token: &str, id: &str, backorders: bool) -> Gql {
        self.app
            .gql(
                Some(token),
                "mutation($i: ConfirmSalesOrderInput!) { confirmSalesOrder(input: $i) { salesOrder { status } lines { lineId reserved backordered } } }",
                json!({"i": {"id": id, "createBackorders": backorders}}),
            )
            .await
    }

    /// `assignBackorders` on `receipt` as purchasing: automatic (R-BO-6) without
    /// `allocations`, manual (R-BO-5) with them.
    pub async fn assign(&self, receipt: &str, allocations: Option<Value>) -> Gql {
        let mut input = json!({"receiptId": receipt});
        if let Some(a) = allocations {
            input["allocations"] = a;
        }
        self.app
            .gql(
                Some(&self.purchasing),
                "mutation($i: AssignBackordersInput!) { assignBackorders(input: $i) { assignments { quantity backorderId } unassigned { quantity } } }",
                json!({"i": input}),
            )
            .await
    }

    pub async fn bolt_stock(&self) -> (Decimal, Decimal) {
        let r = self
            .app
            .gql(
                Some(&self.admin),
                "query($i: ID!) { item(id: $i) { availability { onHand reserved available incoming } } }",
                json!({"i": self.bolt}),
            )
            .await;
        let a = &r.data()["item"]["availability"];
        (dec(&a["onHand"]), dec(&a["reserved"]))
    }

    pub async fn sum(&self, sql_pg: &str, sql_lite: &str) -> Decimal {
        let db = &self.app.state.db;
        let backend = db.get_database_backend();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => sql_pg,
            _ => sql_lite,
        };
        // Quantities are summed in Rust: SQLite keeps decimals as text.
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                r.try_get::<String>("", "q")
                    .map(|s| Decimal::from_str(&s).unwrap())
                    .or_else(|_| r.try_get::<Decimal>("", "q"))
                    .unwrap()
            })
            .sum()
    }

    pub async fn order_status(&self, id: &str) -> String {
        let r = self
            .app
            .gql(
                Some(&self.admin),
                "query($i: ID!) { salesOrder(id: $i) { status } }",
                json!({ "i": id }),
            )
            .await;
        r.data()["salesOrder"]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Confirms every pending backorder, buys them and receives `quantity`; returns the receipt.
pub async fn receive_for_backorders(w: &World, quantity: &str) -> String {
    let r = w
        .app
        .gql(
            Some(&w.admin),
            "{ backorders(filter: {status: PENDING}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let ids: Vec<String> = r.data()["backorders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    receive_for(w, ids, quantity).await
}

/// Confirms the backorders `ids` and buys them from their preferred supplier; returns the
/// DRAFT purchase order `{ id lines { id } }`.
pub async fn buy_backorders(w: &World, ids: &[String]) -> Value {
    w.app
        .gql(
            Some(&w.admin),
            "mutation($ids: [ID!]!) { confirmBackorders(ids: $ids) { backorders { id } } }",
            json!({ "ids": ids }),
        )
        .await
        .data();
    let r = w
        .app
        .gql(Some(&w.purchasing), "mutation($i: CreatePurchaseOrdersForBackordersInput!) { createPurchaseOrdersForBackorders(input: $i) { purchaseOrders { id lines { id } } } }", json!({"i": {"backorderIds": ids}}))
        .await;
    r.data()["createPurchaseOrdersForBackorders"]["purchaseOrders"][0].clone()
}

/// Confirms the backorders `ids`, buys them from their preferred supplier and receives
/// `quantity`; returns the confirmed receipt.
pub async fn receive_for(w: &World, ids: Vec<String>, quantity: &str) -> String {
    let po = buy_backorders(w, &ids).await;
    let po_id = po["id"].as_str().unwrap();
    w.app
        .gql(
            Some(&w.purchasing),
            "mutation($i: IdInput!) { confirmPurchaseOrder(input: $i) { purchaseOrder { id } } }",
            json!({"i": {"id": po_id}}),
        )
        .await
        .data();
    let r = w
        .app
        .gql(Some(&w.warehouse), "mutation($i: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $i) { receipt { id } } }", json!({"i": {"purchaseOrderId": po_id, "lines": [{"lineId": po["lines"][0]["id"], "quantity": quantity}]}}))
        .await;
    let receipt = r.data()["receivePurchaseOrder"]["receipt"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.app
        .gql(
            Some(&w.warehouse),
            "mutation($i: IdInput!) { confirmReceipt(input: $i) { receipt { id } } }",
            json!({"i": {"id": receipt}}),
        )
        .await
        .data();
    receipt
}
