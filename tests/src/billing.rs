//! Shared steps of the invoicing and payment tests: the fulfilment world plus ACCOUNTING
//! (accounting@iberia.example), shipping, billing, posting, paying and the customer balance.
use crate::Gql;
use crate::fulfil::{World, dec, world};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Every field of an invoice the tests read.
pub const INVOICE: &str = "id kind status number currency invoiceDate taxRegime legalNote financialStatus amounts { taxBase tax totalWithTax companyTaxBase companyTax companyTotalWithTax paid credited balance } taxes { rate base tax } lines { id kind orderLineId quantity stockQuantity unitPrice netAmount taxCode taxRate taxAmount item { sku } } installments { position dueDate percent amount } creditOf { id } customer { code } orderCustomer { code }";

pub struct Books {
    pub w: World,
    pub accounting: String,
}

pub async fn books() -> Books {
    let w = world().await;
    let accounting = w.app.login("accounting@iberia.example").await;
    Books { w, accounting }
}

impl Books {
    pub async fn gql(&self, token: &str, query: &str, vars: Value) -> Gql {
        self.w.app.gql(Some(token), query, vars).await
    }

    /// An order of `lines` ([{itemId, quantity}]) for `customer` as admin, confirmed with
    /// reservation; returns its id.
    pub async fn confirmed_order(&self, customer: &str, lines: Value) -> String {
        let r = self
            .gql(
                &self.w.admin,
                "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { id } } }",
                json!({"i": {"customerId": customer, "lines": lines}}),
            )
            .await;
        let id = r.data()["createSalesOrder"]["salesOrder"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.w.confirm(&self.w.admin, &id, false).await.data();
        id
    }

    /// An order of `quantity` bolts, confirmed.
    pub async fn bolts(&self, customer: &str, quantity: u32) -> String {
        self.confirmed_order(
            customer,
            json!([{"itemId": self.w.bolt, "quantity": quantity.to_string()}]),
        )
        .await
    }

    /// Ships everything reserved on the order; returns the delivery note's id.
    pub async fn ship(&self, order: &str) -> String {
        let r = self
            .gql(
                &self.w.warehouse,
                "mutation($i: ShipSalesOrderInput!) { shipSalesOrder(input: $i) { shipment { id } } }",
                json!({"i": {"orderId": order}}),
            )
            .await;
        r.data()["shipSalesOrder"]["shipment"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `createInvoice` as `token` with `input`.
    pub async fn invoice_as(&self, token: &str, input: Value) -> Gql {
        self.gql(
            token,
            &format!("mutation($i: CreateInvoiceInput!) {{ createInvoice(input: $i) {{ invoice {{ {INVOICE} }} }} }}"),
            json!({ "i": input }),
        )
        .await
    }

    /// A PENDING invoice of these orders, as accounting.
    pub async fn invoice_orders(&self, orders: &[&str]) -> Value {
        let r = self
            .invoice_as(&self.accounting, json!({"orderIds": orders}))
            .await;
        r.data()["createInvoice"]["invoice"].clone()
    }

    pub async fn post(&self, invoice: &str) -> Gql {
        self.gql(
            &self.accounting,
            &format!(
                "mutation($i: IdInput!) {{ postInvoice(input: $i) {{ invoice {{ {INVOICE} }} }} }}"
            ),
            json!({"i": {"id": invoice}}),
        )
        .await
    }

    /// `recordPayment` as accounting, in EUR on 2026-12-01.
    pub async fn pay(&self, customer: &str, amount: &str, allocations: Option<Value>) -> Gql {
        let mut input = json!({"customerId": customer, "amount": amount, "currency": "EUR", "date": "2026-12-01", "method": "TRANSFER"});
        if let Some(a) = allocations {
            input["allocations"] = a;
        }
        self.gql(
            &self.accounting,
            "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { payment { id amount allocatedAmount unallocatedAmount allocations { amount invoice { id financialStatus } } } } }",
            json!({"i": input}),
        )
        .await
    }

    pub async fn invoice(&self, id: &str) -> Value {
        let r = self
            .gql(
                &self.accounting,
                &format!("query($i: ID!) {{ invoice(id: $i) {{ {INVOICE} }} }}"),
                json!({"i": id}),
            )
            .await;
        r.data()["invoice"].clone()
    }

    /// (status, financialStatus) of an order.
    pub async fn order_state(&self, id: &str) -> (String, String) {
        let r = self
            .gql(
                &self.w.admin,
                "query($i: ID!) { salesOrder(id: $i) { status financialStatus } }",
                json!({"i": id}),
            )
            .await;
        let o = &r.data()["salesOrder"];
        (
            o["status"].as_str().unwrap().to_owned(),
            o["financialStatus"].as_str().unwrap().to_owned(),
        )
    }

    /// customerBalance terms: [undelivered, toInvoice, receivable, unallocatedPayments, risk].
    pub async fn balance(&self, customer: &str) -> [Decimal; 5] {
        let r = self
            .gql(
                &self.accounting,
                "query($c: ID!) { customerBalance(customerId: $c) { undelivered toInvoice receivable unallocatedPayments risk } }",
                json!({"c": customer}),
            )
            .await;
        let b = &r.data()["customerBalance"];
        [
            dec(&b["undelivered"]),
            dec(&b["toInvoice"]),
            dec(&b["receivable"]),
            dec(&b["unallocatedPayments"]),
            dec(&b["risk"]),
        ]
    }
}

/// A decimal literal.
pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}
