//! Intercompany trade between the demo companies (R-IC-1…4): IBX sells, BLK buys.
use api_tests::billing::d;
use api_tests::fulfil::dec;
use api_tests::sisters::{linked, sisters};
use serde_json::json;

#[tokio::test]
async fn a_link_is_active_once_an_admin_of_each_side_confirmed_it_r_ic_1() {
    let s = sisters().await;
    let r = s.link(&s.ibx).await;
    let l = &r.data()["linkIntercompany"];
    assert_eq!(
        (
            l["side"].as_str(),
            l["active"].as_bool(),
            l["sellerConfirmed"].as_bool(),
            l["buyerConfirmed"].as_bool()
        ),
        (Some("SELLER"), Some(false), Some(true), Some(false))
    );
    assert_eq!(l["partnerCompany"]["code"], "BLK");
    // Not active yet: no intercompany agreement.
    let r = s.agreement(json!([{"commitment": "PRODUCT_QUANTITY", "itemId": s.ibx_bolt, "quantity": "1000", "unitPrice": "0.25"}])).await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("customerId".into()))
    );

    // A sales rep is no admin; a customer of IBX paired with a supplier that points elsewhere
    // is no pair.
    let ana = s.app.login("ana@iberia.example").await;
    assert_eq!(s.link(&ana).await.code(), "FORBIDDEN");
    let r = s
        .gql(
            &s.ibx,
            "mutation($i: LinkIntercompanyInput!) { linkIntercompany(input: $i) { id } }",
            json!({"i": {"customerId": s.app.id_of(&s.ibx, "customers", "ACME").await, "supplierId": s.blk_supplier}}),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION".into(), Some("supplierId".into()))
    );

    let r = s.link(&s.blk).await;
    let l = &r.data()["linkIntercompany"];
    assert_eq!(
        (l["side"].as_str(), l["active"].as_bool()),
        (Some("BUYER"), Some(true))
    );
    assert_eq!(l["partnerCompany"]["code"], "IBX");
    // Each side lists it, from its side.
    for (token, side) in [(&s.ibx, "SELLER"), (&s.blk, "BUYER")] {
        let r = s
            .gql(token, "{ intercompanyLinks { side active } }", json!({}))
            .await;
        assert_eq!(
            r.data()["intercompanyLinks"],
            json!([{"side": side, "active": true}])
        );
    }
    // The customer follows the link.
    let r = s
        .gql(
            &s.ibx,
            "query($id: ID!) { customer(id: $id) { customerType } }",
            json!({"id": s.ibx_customer}),
        )
        .await;
    assert_eq!(r.data()["customer"]["customerType"], "INTERCOMPANY");
}

#[tokio::test]
async fn an_intercompany_agreement_is_two_documents_changed_together_or_not_at_all_r_ic_1() {
    let s = linked().await;
    let r = s
        .agreement(json!([
            {"commitment": "PRODUCT_QUANTITY", "itemId": s.ibx_bolt, "quantity": "1000", "unitPrice": "0.25"},
            {"commitment": "PRODUCT_QUANTITY", "itemId": s.ibx_nut, "quantity": "5", "unitPrice": "8.00"}
        ]))
        .await;
    let sales = r.data()["createIntercompanyAgreement"]["agreement"].clone();
    assert_eq!(
        (sales["kind"].as_str(), sales["status"].as_str()),
        (Some("SALES"), Some("ON_HOLD"))
    );

    // BLK sees its purchase agreement only, in its own units: 5 boxes of 100 nuts at 8.00 a box
    // are 500 nuts at 0.08.
    assert!(s.agreements(&s.blk, "salesAgreements").await.is_empty());
    let bought = s.agreements(&s.blk, "purchaseAgreements").await;
    assert_eq!(bought.len(), 1);
    let purchase = &bought[0];
    assert_eq!(purchase["intercompanyPartnerNumber"], sales["number"]);
    assert_eq!(sales["intercompanyPartnerNumber"], purchase["number"]);
    let lines: Vec<(String, rust_decimal::Decimal, rust_decimal::Decimal)> = purchase["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["item"]["sku"].as_str().unwrap().to_owned(),
                dec(&l["quantity"]),
                dec(&l["unitPrice"]),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("BOLT-M8".into(), d("1000"), d("0.25")),
            ("NUT-M8".into(), d("500"), d("0.08"))
        ]
    );
    // IBX sees no purchase agreement with BLK.
    assert!(s.agreements(&s.ibx, "purchaseAgreements").await.is_empty());

    // BLK's purchasing sets its side EFFECTIVE: IBX's is EFFECTIVE too.
    let id = purchase["id"].as_str().unwrap();
    let r = s
        .gql(&s.blk, "mutation($i: SetAgreementStatusInput!) { setAgreementStatus(input: $i) { agreement { status } } }", json!({"i": {"id": id, "status": "EFFECTIVE"}}))
        .await;
    assert_eq!(
        r.data()["setAgreementStatus"]["agreement"]["status"],
        "EFFECTIVE"
    );
    assert_eq!(
        s.agreements(&s.ibx, "salesAgreements").await[0]["status"],
        "EFFECTIVE"
    );

    // IBX moves the end date later: both move.
    let r = s
        .gql(&s.ibx, "mutation($i: UpdateAgreementInput!) { updateAgreement(input: $i) { agreement { validTo } } }", json!({"i": {"id": sales["id"], "validTo": "2028-06-30"}}))
        .await;
    assert_eq!(
        r.data()["updateAgreement"]["agreement"]["validTo"],
        "2028-06-30"
    );
    assert_eq!(
        s.agreements(&s.blk, "purchaseAgreements").await[0]["validTo"],
        "2028-06-30"
    );

    // A change one side refuses changes neither: an earlier end date on an EFFECTIVE agreement.
    let r = s
        .gql(&s.blk, "mutation($i: UpdateAgreementInput!) { updateAgreement(input: $i) { agreement { validTo } } }", json!({"i": {"id": id, "validTo": "2027-01-31"}}))
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    assert_eq!(
        s.agreements(&s.ibx, "salesAgreements").await[0]["validTo"],
        "2028-06-30"
    );
    assert_eq!(
        s.agreements(&s.blk, "purchaseAgreements").await[0]["validTo"],
        "2028-06-30"
    );

    // Neither side reaches the other's document by id.
    let r = s
        .gql(
            &s.ibx,
            "query($id: ID!) { agreement(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND");
}

#[tokio::test]
async fn an_item_without_a_counterpart_in_the_partner_is_refused_naming_it() {
    let s = linked().await;
    let oil = s.app.id_of(&s.ibx, "items", "OIL-1L").await;
    let r = s
        .agreement(json!([{"commitment": "PRODUCT_QUANTITY", "itemId": oil, "quantity": "10"}]))
        .await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(r.0.to_string().contains("OIL-1L"), "{}", r.0);
    assert!(
        s.agreements(&s.ibx, "salesAgreements").await.is_empty(),
        "nothing was created"
    );
    assert!(s.agreements(&s.blk, "purchaseAgreements").await.is_empty());

    // BLK links its bolt to IBX's nut by hand: the link wins over the SKU (and is refused for
    // an item of a company without a link).
    let r = s
        .gql(&s.blk, "mutation($i: LinkIntercompanyItemInput!) { linkIntercompanyItem(input: $i) { itemId partnerItemId } }", json!({"i": {"itemId": s.blk_bolt, "partnerItemId": s.ibx_nut}}))
        .await;
    assert_eq!(
        r.data()["linkIntercompanyItem"]["partnerItemId"],
        s.ibx_nut.as_str()
    );
    let r = s
        .agreement(
            json!([{"commitment": "PRODUCT_QUANTITY", "itemId": s.ibx_nut, "quantity": "2"}]),
        )
        .await;
    r.data();
    let bought = s.agreements(&s.blk, "purchaseAgreements").await;
    assert_eq!(bought[0]["lines"][0]["item"]["sku"], "BOLT-M8");
}
