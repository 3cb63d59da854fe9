//! Purchase invoices and supplier payments: received quantities billed at the order's price
//! with tax, never twice (also under concurrency), three-way match flags, due dates from the
//! supplier's terms, payments, balances and the expected-payments calendar.
use api_tests::billing::d;
use api_tests::fulfil::dec;
use api_tests::{Gql, TestApp, spawn_demo};
use serde_json::{Value, json};

struct Payables {
    app: TestApp,
    admin: String,
    accounting: String,
    tools: String,
}

async fn payables() -> Payables {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let accounting = app.login("accounting@iberia.example").await;
    let tools = app.id_of(&admin, "suppliers", "TOOLS").await;
    Payables {
        app,
        admin,
        accounting,
        tools,
    }
}

impl Payables {
    async fn gql(&self, token: &str, q: &str, v: Value) -> Gql {
        self.app.gql(Some(token), q, v).await
    }

    /// A confirmed receipt of `quantity` bolts from TOOLS at 0.12: (receipt id, its line id).
    async fn received(&self, quantity: &str) -> (String, String) {
        let bolt = self.app.id_of(&self.admin, "items", "BOLT-M8").await;
        let r = self
            .gql(&self.admin, "mutation($i: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $i) { purchaseOrder { id lines { id } } } }", json!({"i": {"supplierId": self.tools, "lines": [{"itemId": bolt, "quantity": quantity, "unitCost": "0.12"}]}}))
            .await;
        let po = r.data()["createPurchaseOrder"]["purchaseOrder"].clone();
        self.gql(
            &self.admin,
            "mutation($i: IdInput!) { confirmPurchaseOrder(input: $i) { purchaseOrder { id } } }",
            json!({"i": {"id": po["id"]}}),
        )
        .await
        .data();
        let r = self
            .gql(&self.admin, "mutation($i: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $i) { receipt { id lines { id } } } }", json!({"i": {"purchaseOrderId": po["id"], "lines": [{"lineId": po["lines"][0]["id"], "quantity": quantity}]}}))
            .await;
        let rec = r.data()["receivePurchaseOrder"]["receipt"].clone();
        self.gql(
            &self.admin,
            "mutation($i: IdInput!) { confirmReceipt(input: $i) { receipt { id } } }",
            json!({"i": {"id": rec["id"]}}),
        )
        .await
        .data();
        (
            rec["id"].as_str().unwrap().to_owned(),
            rec["lines"][0]["id"].as_str().unwrap().to_owned(),
        )
    }

    async fn invoice(&self, receipt: &str, number: &str, lines: Option<Value>) -> Gql {
        let mut i = json!({"receiptIds": [receipt], "supplierInvoiceNumber": number, "invoiceDate": "2026-12-01"});
        if let Some(l) = lines {
            i["lines"] = l;
        }
        self.gql(&self.accounting, "mutation($i: CreatePurchaseInvoiceInput!) { createPurchaseInvoice(input: $i) { id status number netAmount taxAmount totalAmount hasVariances lines { quantity unitCost orderUnitCost priceVariance quantityVariance } } }", json!({"i": i}))
            .await
    }
}

#[tokio::test]
async fn a_purchase_invoice_bills_what_arrived_once_and_falls_due_by_the_suppliers_terms() {
    let x = payables().await;
    // TOOLS is paid in two halves at 30 and 60 days.
    x.gql(&x.admin, "mutation($i: UpdateSupplierInput!) { updateSupplier(input: $i) { supplier { paymentTerms } } }", json!({"i": {"id": x.tools, "fields": {"paymentTerms": "30-60"}}}))
        .await
        .data();
    let (receipt, line) = x.received("1000").await;

    // 600 first, at a price 5 % above the order's: flagged twice (price; quantity below the
    // receipt's open 1,000), entered all the same.
    let r = x
        .invoice(
            &receipt,
            "T-77",
            Some(json!([{"receiptLineId": line, "quantity": "600", "unitCost": "0.126"}])),
        )
        .await;
    let inv = r.data()["createPurchaseInvoice"].clone();
    assert_eq!(inv["status"], "PENDING");
    assert_eq!(inv["hasVariances"], true);
    let l = &inv["lines"][0];
    assert_eq!(
        (
            l["priceVariance"].as_bool(),
            l["quantityVariance"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(dec(&l["orderUnitCost"]), d("0.12"));
    // 600 × 0.126 = 75.60, IVA 21 % = 15.88 (rounded), total 91.48.
    assert_eq!(
        (
            dec(&inv["netAmount"]),
            dec(&inv["taxAmount"]),
            dec(&inv["totalAmount"])
        ),
        (d("75.60"), d("15.88"), d("91.48"))
    );
    // The supplier's number is entered once.
    assert_eq!(x.invoice(&receipt, "T-77", None).await.code(), "CONFLICT");
    // More than is left on the receipt line: VALIDATION, and nothing is billed.
    let r = x
        .invoice(
            &receipt,
            "T-78",
            Some(json!([{"receiptLineId": line, "quantity": "401"}])),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("lines.0.quantity".into()))
    );
    // The rest at the order's price: no variance.
    let r = x.invoice(&receipt, "T-78", None).await;
    let rest = r.data()["createPurchaseInvoice"].clone();
    assert_eq!(rest["hasVariances"], false);
    assert_eq!(dec(&rest["lines"][0]["quantity"]), d("400"));
    assert_eq!(
        dec(&rest["totalAmount"]),
        d("58.08"),
        "400 × 0.12 = 48.00 + 10.08"
    );
    // Nothing left: never billed twice.
    let r = x.invoice(&receipt, "T-79", None).await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("receiptIds".into()))
    );

    // Posting numbers it and fixes the due dates from the terms.
    let post = "mutation($id: ID!) { postPurchaseInvoice(id: $id) { status number nextDueDate installments { dueDate amount } } }";
    let r = x.gql(&x.accounting, post, json!({"id": inv["id"]})).await;
    let posted = &r.data()["postPurchaseInvoice"];
    assert_eq!(posted["status"], "POSTED");
    assert!(posted["number"].as_str().is_some());
    let due: Vec<(String, rust_decimal::Decimal)> = posted["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["dueDate"].as_str().unwrap().to_owned(), dec(&i["amount"])))
        .collect();
    assert_eq!(
        due,
        vec![
            ("2026-12-31".into(), d("45.74")),
            ("2027-01-30".into(), d("45.74"))
        ]
    );
    assert_eq!(
        x.gql(&x.accounting, post, json!({"id": inv["id"]}))
            .await
            .code(),
        "INVALID_STATE"
    );
    x.gql(&x.accounting, post, json!({"id": rest["id"]}))
        .await
        .data();

    // Payments: more than is open is refused; 100.00 settles the oldest due first.
    let pay = "mutation($i: RecordSupplierPaymentInput!) { recordSupplierPayment(input: $i) { id amount } }";
    let r = x
        .gql(
            &x.accounting,
            pay,
            json!({"i": {"supplierId": x.tools, "amount": "200", "paidOn": "2026-12-20"}}),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("amount".into()))
    );
    x.gql(
        &x.accounting,
        pay,
        json!({"i": {"supplierId": x.tools, "amount": "100", "paidOn": "2026-12-20"}}),
    )
    .await
    .data();
    let r = x
        .gql(
            &x.accounting,
            "query($s: ID!) { supplierBalance(supplierId: $s) { invoiced paid open } }",
            json!({"s": x.tools}),
        )
        .await;
    let b = &r.data()["supplierBalance"];
    assert_eq!(
        (dec(&b["invoiced"]), dec(&b["paid"]), dec(&b["open"])),
        (d("149.56"), d("100"), d("49.56"))
    );
    // What falls due, by month: December's 45.74 of T-77 is paid; 8.52 of its January half and
    // T-78's two halves remain (T-78's 29.04 in December and January).
    let r = x.gql(&x.accounting, "{ expectedPayments(from: \"2026-12-01\", to: \"2027-03-31\", groupBy: MONTH) { period amount } }", json!({})).await;
    let rows = r.data()["expectedPayments"].as_array().unwrap().clone();
    let total: rust_decimal::Decimal = rows.iter().map(|r| dec(&r["amount"])).sum();
    assert_eq!(
        total,
        d("49.56"),
        "the calendar adds up to what is open: {rows:?}"
    );
    // A rep is no accountant.
    let ana = x.app.login("ana@iberia.example").await;
    assert_eq!(
        x.gql(&ana, "{ purchaseInvoices { totalCount } }", json!({}))
            .await
            .code(),
        "FORBIDDEN"
    );
}

/// Eight clients billing one receipt at once: exactly one invoice bills it (the receipts' row
/// locks), on SQLite and PostgreSQL.
#[tokio::test]
async fn concurrent_invoices_of_one_receipt_bill_it_once() {
    let x = payables().await;
    let (receipt, _) = x.received("50").await;
    let results = futures_util::future::join_all((0..8).map(|i| {
        let x = &x;
        let receipt = receipt.clone();
        async move { x.invoice(&receipt, &format!("C-{i}"), None).await }
    }))
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    for r in results.iter().filter(|r| !r.is_ok()) {
        assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    }
    let r = x
        .gql(
            &x.accounting,
            "{ purchaseInvoices { totalCount edges { node { lines { quantity } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["purchaseInvoices"]["totalCount"], 1);
    assert_eq!(
        dec(&r.data()["purchaseInvoices"]["edges"][0]["node"]["lines"][0]["quantity"]),
        d("50")
    );
}
