//! The two demo companies trading with each other (R-IC-1…4): IBX sells, BLK buys and
//! delivers to its own customer VITOSHA straight from IBX.
use crate::{Gql, TestApp, spawn_demo};
use serde_json::{Value, json};

pub struct Sisters {
    pub app: TestApp,
    /// IBX's admin (the seller).
    pub ibx: String,
    /// BLK's admin (the buyer).
    pub blk: String,
    /// IBX's customer that stands for BLK.
    pub ibx_customer: String,
    /// BLK's supplier that stands for IBX.
    pub blk_supplier: String,
    pub ibx_bolt: String,
    pub ibx_nut: String,
    pub blk_bolt: String,
    pub blk_nut: String,
    pub vitosha: String,
}

/// The demo, both companies' ids, not yet linked.
pub async fn sisters() -> Sisters {
    let app = spawn_demo().await;
    let ibx = app.login("admin@iberia.example").await;
    let blk = app.login("admin@balkan.example").await;
    let ibx_customer = app.id_of(&ibx, "customers", "BLK").await;
    let blk_supplier = app.id_of(&blk, "suppliers", "IBX").await;
    let ibx_bolt = app.id_of(&ibx, "items", "BOLT-M8").await;
    let ibx_nut = app.id_of(&ibx, "items", "NUT-M8").await;
    let blk_bolt = app.id_of(&blk, "items", "BOLT-M8").await;
    let blk_nut = app.id_of(&blk, "items", "NUT-M8").await;
    let vitosha = app.id_of(&blk, "customers", "VITOSHA").await;
    Sisters {
        app,
        ibx,
        blk,
        ibx_customer,
        blk_supplier,
        ibx_bolt,
        ibx_nut,
        blk_bolt,
        blk_nut,
        vitosha,
    }
}

/// The demo with the link confirmed by both admins.
pub async fn linked() -> Sisters {
    let s = sisters().await;
    for token in [&s.ibx, &s.blk] {
        s.link(token).await.data();
    }
    s
}

impl Sisters {
    pub async fn gql(&self, token: &str, query: &str, vars: Value) -> Gql {
        self.app.gql(Some(token), query, vars).await
    }

    pub async fn link(&self, token: &str) -> Gql {
        self.gql(
            token,
            "mutation($i: LinkIntercompanyInput!) { linkIntercompany(input: $i) { id side active sellerConfirmed buyerConfirmed partnerCompany { code } customerId supplierId } }",
            json!({"i": {"customerId": self.ibx_customer, "supplierId": self.blk_supplier}}),
        )
        .await
    }

    /// An intercompany agreement by IBX (2026–2027) with `lines`; returns IBX's agreement.
    pub async fn agreement(&self, lines: Value) -> Gql {
        self.gql(
            &self.ibx,
            "mutation($i: CreateIntercompanyAgreementInput!) { createIntercompanyAgreement(input: $i) { agreement { id number status kind intercompanyPartnerNumber lines { item { sku } quantity unitPrice } } } }",
            json!({"i": {"customerId": self.ibx_customer, "validFrom": "2026-01-01", "validTo": "2027-12-31", "lines": lines}}),
        )
        .await
    }

    /// The agreements of `list` (`salesAgreements`, `purchaseAgreements`) `token` sees.
    pub async fn agreements(&self, token: &str, list: &str) -> Vec<Value> {
        let r = self
            .gql(
                token,
                &format!("{{ {list}(first: 50) {{ edges {{ node {{ id number kind status validTo intercompanyPartnerNumber lines {{ item {{ sku }} quantity unitPrice }} }} }} }} }}"),
                json!({}),
            )
            .await;
        r.data()[list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }
}
