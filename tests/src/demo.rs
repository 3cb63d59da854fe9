//! The demo company as its admin, with the ids most tests need and the order helpers the
//! order tests share.
use crate::{Gql, TestApp, spawn_demo};
use serde_json::{Value, json};

/// Every field of a sales order the order tests read.
pub const ORDER: &str = "id number documentNumber series status financialStatus creditHold currency exchangeRate language version orderDate deliveryDate invoiceToGroup directDelivery freightTerms freightOverridden weight volume weightOverridden headerDiscountPercent confirmationDate salesRep { code } customer { code } paymentTerms { code } paymentMethod { code } bankAccount { code } carrier { code } installments { dueDate percent } amounts { gross discount net freight total companyGross companyNet companyFreight companyTotal } lines { id position parentLineId description quantity bonusQuantity unitPrice discountPercent priceSource cost grossAmount netAmount deliveryDate promisedDate item { sku } } events { kind status }";

/// The demo company as its admin, with ids by code.
pub struct Demo {
    pub app: TestApp,
    pub admin: String,
    pub acme: String,
    pub globex: String,
    pub bolt: String,
}

impl Demo {
    pub async fn new() -> Demo {
        let app = spawn_demo().await;
        let admin = app.login("admin@iberia.example").await;
        let acme = app.id_of(&admin, "customers", "ACME").await;
        let globex = app.id_of(&admin, "customers", "GLOBEX").await;
        let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
        Demo {
            app,
            admin,
            acme,
            globex,
            bolt,
        }
    }

    pub async fn customer(&self, code: &str) -> String {
        self.app.id_of(&self.admin, "customers", code).await
    }

    pub async fn item(&self, sku: &str) -> String {
        self.app.id_of(&self.admin, "items", sku).await
    }

    /// Id of a setup record by code (`paymentTerms`, `carriers`, …).
    pub async fn setup_id(&self, list: &str, code: &str) -> String {
        let r = self
            .app
            .gql(
                Some(&self.admin),
                &format!("{{ {list} {{ id code }} }}"),
                json!({}),
            )
            .await;
        r.data()[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["code"] == code)
            .unwrap_or_else(|| panic!("no {list} {code}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn create_as(&self, token: &str, customer: &str, lines: Value, header: Value) -> Gql {
        let mut input = header;
        input["customerId"] = json!(customer);
        input["lines"] = lines;
        self.app
            .gql(
                Some(token),
                &format!("mutation($i: CreateSalesOrderInput!) {{ createSalesOrder(input: $i) {{ salesOrder {{ {ORDER} }} warnings {{ code message }} }} }}"),
                json!({ "i": input }),
            )
            .await
    }

    pub async fn create(&self, customer: &str, lines: Value, header: Value) -> Value {
        let r = self.create_as(&self.admin, customer, lines, header).await;
        r.data()["createSalesOrder"].clone()
    }

    pub async fn order(&self, token: &str, id: &str) -> Gql {
        self.app
            .gql(
                Some(token),
                &format!("query($id: ID!) {{ salesOrder(id: $id) {{ {ORDER} }} }}"),
                json!({ "id": id }),
            )
            .await
    }

    /// Runs an order mutation that returns a `SalesOrderPayload`.
    pub async fn mutate(&self, token: &str, name: &str, input_type: &str, input: Value) -> Gql {
        self.app
            .gql(
                Some(token),
                &format!("mutation($i: {input_type}!) {{ {name}(input: $i) {{ salesOrder {{ {ORDER} }} warnings {{ code message }} }} }}"),
                json!({ "i": input }),
            )
            .await
    }

    pub async fn settings(&self, settings: Value) {
        let r = self
            .app
            .gql(
                Some(&self.admin),
                "mutation($i: CompanySettingsInput!) { updateCompanySettings(input: $i) { blockOnCreditExcess } }",
                json!({ "i": settings }),
            )
            .await;
        r.data();
    }
}
