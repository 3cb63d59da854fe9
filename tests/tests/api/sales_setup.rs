//! Order-entry setup data: who may change it, what is refused, and that nothing half-saves.
use api_tests::*;
use serde_json::json;

#[tokio::test]
async fn only_admins_change_setup_and_everyone_in_the_company_reads_it() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let mutations = [
        "mutation { createNumberSeries(input: {code: \"Z\", documentType: ORDER}) { id } }",
        "mutation { setExchangeRate(input: {currency: \"GBP\", rate: \"1.15\", validFrom: \"2026-01-01\"}) { id } }",
        "mutation { createPaymentMethod(input: {code: \"CHQ\", name: \"Cheque\"}) { id } }",
        "mutation { createPaymentTerms(input: {code: \"90D\", name: \"90 days\", installments: [{days: 90, percent: \"100\"}]}) { id } }",
        "mutation { createBankAccount(input: {code: \"B2\", name: \"Second\", iban: \"DE89 3704 0044 0532 0130 00\"}) { id } }",
        "mutation { createCarrier(input: {code: \"DHL\", name: \"DHL\", calcType: QTY_ZONE, rates: [{zone: \"NORTE\", referenceQuantity: \"10\", amount: \"5\"}]}) { id } }",
        "mutation { updateCompanySettings(input: {defaultSeries: \"B\"}) { defaultSeries } }",
    ];
    for role in [
        "manager@iberia.example",
        "ana@iberia.example",
        "warehouse@iberia.example",
        "buyer@acme.example",
    ] {
        let token = app.login(role).await;
        for m in mutations {
            assert_eq!(
                app.gql(Some(&token), m, json!({})).await.code(),
                "FORBIDDEN",
                "{role}: {m}"
            );
        }
        let r = app.gql(Some(&token), "{ companySettings { defaultSeries } paymentTerms { code installments { days percent } minimumOrderAmounts } carriers { code rates { zone amount } } numberSeries { code documentType nextNumber } }", json!({})).await;
        assert_eq!(r.data()["companySettings"]["defaultSeries"], "A", "{role}");
    }
    for m in mutations {
        assert!(app.gql(Some(&admin), m, json!({})).await.is_ok(), "{m}");
    }
    // The sister company sees none of it.
    let blk = app.login("admin@balkan.example").await;
    let r = app
        .gql(
            Some(&blk),
            "{ paymentTerms { code } carriers { code } exchangeRates { currency } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["paymentTerms"].as_array().unwrap().len(), 0);
    assert_eq!(r.data()["exchangeRates"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_setup_input_is_refused_with_its_field_and_saves_nothing() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let cases = [
        (
            "mutation { createPaymentTerms(input: {code: \"X\", name: \"x\", installments: [{days: 30, percent: \"60\"}, {days: 60, percent: \"30\"}]}) { id } }",
            "installments",
        ),
        (
            "mutation { createPaymentTerms(input: {code: \"X\", name: \"x\", installments: [{days: -1, percent: \"100\"}]}) { id } }",
            "installments.0.days",
        ),
        (
            "mutation { createBankAccount(input: {code: \"X\", name: \"x\", iban: \"not an iban\"}) { id } }",
            "iban",
        ),
        (
            "mutation { setExchangeRate(input: {currency: \"EUR\", rate: \"1\", validFrom: \"2026-01-01\"}) { id } }",
            "currency",
        ),
        (
            "mutation { setExchangeRate(input: {currency: \"USD\", rate: \"0\", validFrom: \"2026-01-01\"}) { id } }",
            "rate",
        ),
        (
            "mutation { createCarrier(input: {code: \"X\", name: \"x\", calcType: KG_PROVINCE, rates: [{zone: \"N\", amount: \"5\"}]}) { id } }",
            "rates.0.province",
        ),
        (
            "mutation { createNumberSeries(input: {code: \"A-1\", documentType: ORDER}) { id } }",
            "code",
        ),
        (
            "mutation { updateCompanySettings(input: {freightMaxOrderAmount: \"-1\"}) { defaultSeries } }",
            "freightMaxOrderAmount",
        ),
    ];
    for (m, field) in cases {
        let r = app.gql(Some(&admin), m, json!({})).await;
        assert_eq!(
            (r.code(), r.field()),
            ("VALIDATION".into(), Some(field.to_owned())),
            "{m}"
        );
    }
    let r = app
        .gql(
            Some(&admin),
            "{ paymentTerms { code } bankAccounts { code } carriers { code } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.data()["paymentTerms"].as_array().unwrap().len(),
        3,
        "only the demo's"
    );
    assert_eq!(r.data()["bankAccounts"].as_array().unwrap().len(), 1);
    // Codes are unique per company.
    let dup = app.gql(Some(&admin), "mutation { createCarrier(input: {code: \"SEUR\", name: \"again\", calcType: NONE}) { id } }", json!({})).await;
    assert_eq!(dup.code(), "CONFLICT");
    // A kit cannot contain a kit; only kits take components.
    let kit = app.id_of(&admin, "items", "KIT-FIX").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let r = app.gql(Some(&admin), "mutation($k: ID!) { setKitComponents(input: {kitItemId: $k, components: [{itemId: $k, quantity: \"1\"}]}) { kit { sku } } }", json!({"k": kit})).await;
    assert_eq!(r.field().as_deref(), Some("components.0.itemId"));
    let r = app.gql(Some(&admin), "mutation($k: ID!) { setKitComponents(input: {kitItemId: $k, components: []}) { kit { sku } } }", json!({"k": bolt})).await;
    assert_eq!(r.field().as_deref(), Some("kitItemId"));
    let r = app
        .gql(
            Some(&admin),
            "query($k: ID!) { item(id: $k) { kitComponents { item { sku } quantity } } }",
            json!({"k": kit}),
        )
        .await;
    assert_eq!(
        r.data()["item"]["kitComponents"].as_array().unwrap().len(),
        2,
        "unchanged"
    );
}

#[tokio::test]
async fn a_rep_sees_customer_prices_only_of_their_own_customers() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let globex = app.id_of(&admin, "customers", "GLOBEX").await;
    let ana = app.login("ana@iberia.example").await;
    let q = "query($c: ID!) { customerPrices(customerId: $c) { item { sku } price } }";
    let r = app.gql(Some(&ana), q, json!({"c": acme})).await;
    assert_eq!(r.data()["customerPrices"][0]["item"]["sku"], "BOLT-M8");
    assert_eq!(
        app.gql(Some(&ana), q, json!({"c": globex})).await.code(),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn a_customer_defaults_only_to_setup_codes_that_exist_r_ord_1() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let create = "mutation($f: CustomerInput!) { createCustomer(input: $f) { customer { paymentTerms carrier series } } }";
    for (field, value) in [
        ("paymentTerms", "45D"),
        ("paymentMethod", "BITCOIN"),
        ("bankAccount", "NOPE"),
        ("carrier", "UPS"),
    ] {
        let r = app
            .gql(
                Some(&admin),
                create,
                json!({"f": {"code": "X", "name": "x", field: value}}),
            )
            .await;
        assert_eq!(
            (r.code(), r.field()),
            ("VALIDATION".into(), Some(field.to_owned())),
            "{field}"
        );
    }
    let r = app.gql(Some(&admin), create, json!({"f": {"code": "X", "name": "x", "paymentTerms": "30-60", "carrier": "mrw", "series": "b"}})).await;
    let c = &r.data()["createCustomer"]["customer"];
    assert_eq!(
        (
            c["paymentTerms"].as_str(),
            c["carrier"].as_str(),
            c["series"].as_str()
        ),
        (Some("30-60"), Some("MRW"), Some("B"))
    );
}
