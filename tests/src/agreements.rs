//! Shared steps of the agreement tests (R-AGR-1…3): the fulfilment world (BOLT-M8 100 on hand,
//! list 0.35, ACME's own price 0.30, cost 0.12, supplier TOOLS) plus agreements made by the
//! admin, orders placed from them and the figures of their lines.
use crate::fulfil::{World, dec, world};
use crate::{Gql, TestApp};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Every field of an agreement line the tests read.
pub const LINE: &str = "id position commitment quantity value unitPrice discountPercent releasedQuantity releasedValue fulfilledQuantity fulfilledValue remainingQuantity remainingValue";

/// A line's figures: (released qty, released value, fulfilled qty, fulfilled value, remaining
/// qty or value).
pub type Figures = [Decimal; 5];

pub struct Deals {
    pub w: World,
    pub tools: String,
}

pub async fn deals() -> Deals {
    let w = world().await;
    let tools = w.app.id_of(&w.admin, "suppliers", "TOOLS").await;
    Deals { w, tools }
}

impl Deals {
    pub fn app(&self) -> &TestApp {
        &self.w.app
    }

    pub async fn gql(&self, token: &str, query: &str, vars: Value) -> Gql {
        self.w.app.gql(Some(token), query, vars).await
    }

    /// A sales agreement for `customer` valid through 2026–2027 with `lines`, created by the
    /// admin and set to `status` (unless ON_HOLD); returns (agreement id, line ids).
    pub async fn sales_agreement(
        &self,
        customer: &str,
        lines: Value,
        status: &str,
    ) -> (String, Vec<String>) {
        let r = self
            .gql(
                &self.w.admin,
                "mutation($i: CreateSalesAgreementInput!) { createSalesAgreement(input: $i) { agreement { id status lines { id } } } }",
                json!({"i": {"customerId": customer, "validFrom": "2026-01-01", "validTo": "2027-12-31", "lines": lines}}),
            )
            .await;
        self.made(
            r.data()["createSalesAgreement"]["agreement"].clone(),
            status,
        )
        .await
    }

    /// The same with supplier TOOLS.
    pub async fn purchase_agreement(&self, lines: Value, status: &str) -> (String, Vec<String>) {
        let r = self
            .gql(
                &self.w.admin,
                "mutation($i: CreatePurchaseAgreementInput!) { createPurchaseAgreement(input: $i) { agreement { id status lines { id } } } }",
                json!({"i": {"supplierId": self.tools, "validFrom": "2026-01-01", "validTo": "2027-12-31", "lines": lines}}),
            )
            .await;
        self.made(
            r.data()["createPurchaseAgreement"]["agreement"].clone(),
            status,
        )
        .await
    }

    async fn made(&self, a: Value, status: &str) -> (String, Vec<String>) {
        assert_eq!(a["status"], "ON_HOLD", "agreements start ON_HOLD (R-AGR-3)");
        let id = a["id"].as_str().unwrap().to_owned();
        if status != "ON_HOLD" {
            self.set_status(&self.w.admin, &id, status).await.data();
        }
        let lines = a["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect();
        (id, lines)
    }

    pub async fn set_status(&self, token: &str, id: &str, status: &str) -> Gql {
        self.gql(
            token,
            "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { id status } } }",
            json!({"i": {"id": id, "status": status}}),
        )
        .await
    }

    /// `createSalesOrderFromAgreement` as `token`: lines are (agreement line, quantity).
    pub async fn order_from(
        &self,
        token: &str,
        agreement: &str,
        date: &str,
        lines: &[(&str, &str)],
    ) -> Gql {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(l, q)| json!({"agreementLineId": l, "quantity": q}))
            .collect();
        self.gql(
            token,
            "mutation($i: CreateSalesOrderFromAgreementInput!) { createSalesOrderFromAgreement(input: $i) { salesOrder { id deliveryDate agreement { id } lines { id quantity unitPrice discountPercent priceSource agreementLine { id } } } warnings { code message } } }",
            json!({"i": {"agreementId": agreement, "requestedReceiptDate": date, "lines": lines}}),
        )
        .await
    }

    /// The figures of agreement line `line` (position `n` of `agreement`).
    pub async fn figures(&self, agreement: &str, n: usize) -> Figures {
        let r = self
            .gql(
                &self.w.admin,
                &format!("query($a: ID!) {{ agreementFulfilment(agreementId: $a) {{ lines {{ {LINE} }} }} }}"),
                json!({"a": agreement}),
            )
            .await;
        let l = &r.data()["agreementFulfilment"]["lines"][n];
        let remaining = if l["remainingQuantity"].is_null() {
            dec(&l["remainingValue"])
        } else {
            dec(&l["remainingQuantity"])
        };
        [
            dec(&l["releasedQuantity"]),
            dec(&l["releasedValue"]),
            dec(&l["fulfilledQuantity"]),
            dec(&l["fulfilledValue"]),
            remaining,
        ]
    }

    pub async fn cancel(&self, order: &str) {
        self.gql(
            &self.w.admin,
            "mutation($i: DocumentRef!) { cancelSalesOrder(input: $i) { salesOrder { status } } }",
            json!({"i": {"id": order}}),
        )
        .await
        .data();
    }
}

/// Figures from strings.
pub fn figs(v: [&str; 5]) -> Figures {
    v.map(crate::billing::d)
}
