//! Invoices, credit notes and taxes (R-INV-1, R-TAX-1, R-ORD-2): what shipped is billed once,
//! with tax per line, numbered gaplessly when posted, corrected only by credit notes.
use api_tests::billing::{INVOICE, books, d};
use api_tests::fulfil::dec;
use serde_json::json;

/// ACME buys bolts at its own price 0.30 (R-ORD-6); SEUR charges 12.00 per 50 units in zone
/// CENTRO (R-ORD-12): 100 bolts = 30.00 + freight 24.00, both at IVA 21 %.
#[tokio::test]
async fn a_shipment_is_billed_once_with_tax_per_line_and_freight_once_r_inv_1_r_tax_1() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 100).await;
    let note = b.ship(&order).await;

    let r = b
        .invoice_as(
            &b.accounting,
            json!({"shipmentIds": [note], "invoiceDate": "2026-12-01"}),
        )
        .await;
    let inv = &r.data()["createInvoice"]["invoice"];
    assert_eq!(inv["status"], "PENDING");
    assert_eq!(inv["number"], json!(null), "numbered only when posted");
    let lines = inv["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "ITEM");
    assert_eq!(dec(&lines[0]["quantity"]), d("100"));
    assert_eq!(dec(&lines[0]["netAmount"]), d("30.00"));
    assert_eq!(lines[0]["taxCode"], "IVA21");
    assert_eq!(dec(&lines[0]["taxAmount"]), d("6.30"));
    assert_eq!(lines[1]["kind"], "FREIGHT");
    assert_eq!(dec(&lines[1]["netAmount"]), d("24.00"));
    assert_eq!(dec(&lines[1]["taxAmount"]), d("5.04"));
    let a = &inv["amounts"];
    assert_eq!(dec(&a["taxBase"]), d("54.00"));
    assert_eq!(dec(&a["tax"]), d("11.34"));
    assert_eq!(dec(&a["totalWithTax"]), d("65.34"));
    assert_eq!(
        dec(&a["companyTotalWithTax"]),
        d("65.34"),
        "EUR order, rate 1"
    );
    assert_eq!(dec(&inv["taxes"][0]["rate"]), d("21"));
    assert_eq!(dec(&inv["taxes"][0]["base"]), d("54.00"));

    // Never twice: not the same delivery note, nor the order again.
    let again = b
        .invoice_as(&b.accounting, json!({"shipmentIds": [note]}))
        .await;
    assert_eq!(again.code(), "CONFLICT");
    let by_order = b
        .invoice_as(&b.accounting, json!({"orderIds": [order]}))
        .await;
    assert_eq!(by_order.code(), "INVALID_STATE");

    // Posting numbers it and fixes its due date from ACME's 30-day terms (R-PAY-1).
    let id = inv["id"].as_str().unwrap();
    let posted = b.post(id).await;
    let p = &posted.data()["postInvoice"]["invoice"];
    assert_eq!(p["status"], "POSTED");
    assert_eq!(p["number"], "A-1");
    assert_eq!(p["installments"][0]["dueDate"], "2026-12-31");
    assert_eq!(dec(&p["installments"][0]["amount"]), d("65.34"));
    // Immutable from now on.
    assert_eq!(b.post(id).await.code(), "INVALID_STATE");
    let cancel = b
        .gql(
            &b.accounting,
            "mutation($i: IdInput!) { cancelInvoice(input: $i) { invoice { id } } }",
            json!({"i": {"id": id}}),
        )
        .await;
    assert_eq!(cancel.code(), "INVALID_STATE");
    let redate = b
        .gql(
            &b.accounting,
            "mutation { updateInvoice(input: {id: \"1\", invoiceDate: \"2026-12-02\"}) { invoice { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(redate.code(), "INVALID_STATE");

    // The order shows what was billed.
    let r = b
        .gql(
            &b.w.admin,
            "query($i: ID!) { salesOrder(id: $i) { freightInvoiced lines { invoicedQuantity } invoices { number } shipments { invoice { number } } } }",
            json!({"i": order}),
        )
        .await;
    let o = &r.data()["salesOrder"];
    assert_eq!(o["freightInvoiced"], true);
    assert_eq!(dec(&o["lines"][0]["invoicedQuantity"]), d("100"));
    assert_eq!(o["invoices"][0]["number"], "A-1");
    assert_eq!(o["shipments"][0]["invoice"]["number"], "A-1");
}

#[tokio::test]
async fn cancelling_a_pending_invoice_makes_its_quantities_billable_again() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 50).await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let r = b
        .gql(
            &b.accounting,
            "mutation($i: IdInput!) { cancelInvoice(input: $i) { invoice { status } } }",
            json!({"i": {"id": inv["id"]}}),
        )
        .await;
    assert_eq!(r.data()["cancelInvoice"]["invoice"]["status"], "CANCELLED");
    let again = b.invoice_orders(&[&order]).await;
    assert_eq!(
        dec(&again["amounts"]["totalWithTax"]),
        inv["amounts"]["totalWithTax"].as_str().map(d).unwrap()
    );
    assert_eq!(
        again["lines"].as_array().unwrap().len(),
        2,
        "goods and freight again"
    );
}

/// Twelve clients race to bill six delivery notes (two per note); every note is billed once.
/// Then six clients post the six invoices at once: numbers 1…6, no gap, no twin (R-ORD-2).
#[tokio::test]
async fn racing_clients_bill_each_shipment_once_and_post_gapless_numbers() {
    let b = books().await;
    let mut notes = Vec::new();
    for _ in 0..6 {
        let order = b.bolts(&b.w.acme, 10).await;
        notes.push(b.ship(&order).await);
    }
    let runs = notes
        .iter()
        .chain(notes.iter())
        .map(|n| b.invoice_as(&b.accounting, json!({"shipmentIds": [n]})));
    let results = futures_util::future::join_all(runs).await;
    let ok: Vec<String> = results
        .iter()
        .filter(|r| r.is_ok())
        .map(|r| {
            r.data()["createInvoice"]["invoice"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ok.len(), 6, "one invoice per delivery note");
    for r in results.iter().filter(|r| !r.is_ok()) {
        assert_eq!(r.code(), "CONFLICT", "{:?}", r.0);
    }
    let billed =
        b.w.sum(
            "SELECT stock_quantity AS q FROM invoice_lines WHERE kind = 'ITEM'",
            "SELECT stock_quantity AS q FROM invoice_lines WHERE kind = 'ITEM'",
        )
        .await;
    assert_eq!(billed, d("60"), "60 bolts shipped, 60 billed");

    let posts = futures_util::future::join_all(ok.iter().map(|id| b.post(id))).await;
    let mut numbers: Vec<String> = posts
        .iter()
        .map(|r| {
            r.data()["postInvoice"]["invoice"]["number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=6).map(|n| format!("A-{n}")).collect::<Vec<_>>()
    );
}

/// R-TAX-1 to the cent: bolts and a service at 21 %, oil at 10 %, freight at the highest rate
/// of its goods; an EXEMPT customer pays none; a REVERSE_CHARGE one none, with the legal note.
#[tokio::test]
async fn mixed_rates_exempt_and_reverse_charge_are_taxed_to_the_cent_r_tax_1() {
    let b = books().await;
    let oil = b.w.app.id_of(&b.w.admin, "items", "OIL-1L").await;
    let svc = b.w.app.id_of(&b.w.admin, "items", "SVC-INSTALL").await;
    let order = b
        .confirmed_order(
            &b.w.acme,
            json!([
                {"itemId": b.w.bolt, "quantity": "15"},
                {"itemId": oil, "quantity": "3"},
                {"itemId": svc, "quantity": "1.5"},
            ]),
        )
        .await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let lines = inv["lines"].as_array().unwrap();
    let by_sku = |sku: &str| {
        lines
            .iter()
            .find(|l| l["item"]["sku"] == sku)
            .unwrap_or_else(|| panic!("no {sku} line in {inv}"))
    };
    // 15 × 0.30 = 4.50 → 0.945 → 0.95 (half away from zero, per line).
    assert_eq!(dec(&by_sku("BOLT-M8")["netAmount"]), d("4.50"));
    assert_eq!(dec(&by_sku("BOLT-M8")["taxAmount"]), d("0.95"));
    // 3 × 12.50 = 37.50 at 10 % → 3.75.
    assert_eq!(dec(&by_sku("OIL-1L")["taxRate"]), d("10"));
    assert_eq!(dec(&by_sku("OIL-1L")["taxAmount"]), d("3.75"));
    // 1.5 h × 45.00 = 67.50 → 14.175 → 14.18; a service bills without shipping.
    assert_eq!(dec(&by_sku("SVC-INSTALL")["netAmount"]), d("67.50"));
    assert_eq!(dec(&by_sku("SVC-INSTALL")["taxAmount"]), d("14.18"));
    let freight = lines.iter().find(|l| l["kind"] == "FREIGHT").unwrap();
    let f = dec(&freight["netAmount"]);
    assert_eq!(dec(&freight["taxRate"]), d("21"));
    // Stocked merchandise 15 + 3 = 18 units ÷ 50 × 12.00 = 4.32 (the service does not
    // count, R-ORD-12) → tax 0.9072 → 0.91.
    assert_eq!(f, d("4.32"));
    assert_eq!(dec(&freight["taxAmount"]), d("0.91"));
    let taxes = inv["taxes"].as_array().unwrap();
    assert_eq!(dec(&taxes[0]["rate"]), d("10"));
    assert_eq!(dec(&taxes[0]["base"]), d("37.50"));
    assert_eq!(dec(&taxes[1]["base"]), d("76.32"), "4.50 + 67.50 + 4.32");
    assert_eq!(dec(&taxes[1]["tax"]), d("16.04"), "0.95 + 14.18 + 0.91");
    // 37.50 + 3.75 + 76.32 + 16.04.
    assert_eq!(dec(&inv["amounts"]["totalWithTax"]), d("133.61"));
    assert_eq!(inv["legalNote"], json!(null));

    for (code, regime, note) in [
        ("INITECH", "EXEMPT", false),
        ("GLOBEX", "REVERSE_CHARGE", true),
    ] {
        let customer = b.w.app.id_of(&b.w.admin, "customers", code).await;
        b.gql(
            &b.w.admin,
            "mutation($c: ID!, $r: TaxRegime!) { setCustomerTaxRegime(input: {customerId: $c, taxRegime: $r}) { taxRegime } }",
            json!({"c": customer, "r": regime}),
        )
        .await
        .data();
        let order = b.bolts(&customer, 10).await;
        b.ship(&order).await;
        let inv = b.invoice_orders(&[&order]).await;
        assert_eq!(inv["taxRegime"], regime);
        assert_eq!(dec(&inv["amounts"]["tax"]), d("0"), "{code}");
        assert!(
            inv["lines"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| dec(&l["taxAmount"]).is_zero())
        );
        assert_eq!(
            inv["legalNote"]
                .as_str()
                .is_some_and(|n| n.contains("Reverse charge")),
            note,
            "{code}"
        );
    }
}

/// A credit note takes back part of a posted invoice, in its own series; the credited bolts can
/// be billed again, and never more than was billed can be credited (R-INV-1).
#[tokio::test]
async fn a_credit_note_corrects_a_posted_invoice_and_restores_what_it_billed_r_inv_1() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 100).await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let id = inv["id"].as_str().unwrap();
    b.post(id).await.data();
    let bolt_line = inv["lines"][0]["id"].clone();
    let query = format!(
        "mutation($i: CreateCreditNoteInput!) {{ createCreditNote(input: $i) {{ invoice {{ {INVOICE} }} }} }}"
    );
    let credit = |lines: serde_json::Value| {
        b.gql(
            &b.accounting,
            &query,
            json!({"i": {"invoiceId": id, "lines": lines}}),
        )
    };
    let r = credit(json!([{"invoiceLineId": bolt_line, "quantity": "40"}])).await;
    let note = &r.data()["createCreditNote"]["invoice"];
    assert_eq!(note["kind"], "CREDIT_NOTE");
    assert_eq!(note["number"], "A-1", "first of the CREDIT_NOTE series");
    assert_eq!(note["creditOf"]["id"], id);
    assert_eq!(dec(&note["amounts"]["taxBase"]), d("-12.00"));
    assert_eq!(dec(&note["amounts"]["tax"]), d("-2.52"));
    // The risk follows: 12.00 of bolts are "to invoice" again, the receivable drops by 14.52.
    assert_eq!(
        b.balance(&b.w.acme).await,
        [d("0"), d("12.00"), d("50.82"), d("0"), d("62.82")]
    );
    let original = b.invoice(id).await;
    assert_eq!(dec(&original["amounts"]["credited"]), d("14.52"));
    assert_eq!(dec(&original["amounts"]["balance"]), d("50.82"));
    assert_eq!(original["financialStatus"], "PARTIALLY_PAID");

    // 61 more would credit more than the 60 left.
    let over = credit(json!([{"invoiceLineId": bolt_line, "quantity": "61"}])).await;
    assert_eq!(over.code(), "VALIDATION");
    // The 40 credited bolts are billable again, without freight (still billed).
    let again = b.invoice_orders(&[&order]).await;
    assert_eq!(again["lines"].as_array().unwrap().len(), 1);
    assert_eq!(dec(&again["lines"][0]["stockQuantity"]), d("40"));
    assert_eq!(dec(&again["amounts"]["totalWithTax"]), d("14.52"));
}

/// Invoicing is accounting's (and admin's): reps, the warehouse and buyers may not bill; an
/// order on credit hold is not billed (R-ORD-9); a bad id is VALIDATION.
#[tokio::test]
async fn only_accounting_bills_and_never_an_order_on_credit_hold() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 10).await;
    let note = b.ship(&order).await;
    for who in [
        "ana@iberia.example",
        "warehouse@iberia.example",
        "buyer@acme.example",
    ] {
        let t = b.w.app.login(who).await;
        let r = b.invoice_as(&t, json!({"shipmentIds": [note]})).await;
        assert_eq!(r.code(), "FORBIDDEN", "{who}");
    }
    let r = b
        .invoice_as(&b.accounting, json!({"shipmentIds": ["999999"]}))
        .await;
    assert_eq!(r.code(), "VALIDATION");
    let r = b
        .invoice_as(
            &b.accounting,
            json!({"shipmentIds": [note], "orderIds": [order]}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION");
    let r = b.invoice_as(&b.accounting, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    // A DRAFT order is not billed.
    let draft = b.w.order(&b.w.admin, &b.w.acme, 5).await.0;
    let r = b
        .invoice_as(&b.accounting, json!({"orderIds": [draft]}))
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    // The admin may bill.
    let r = b
        .invoice_as(&b.w.admin, json!({"shipmentIds": [note]}))
        .await;
    assert!(r.is_ok(), "{:?}", r.0);
}

/// Billing, posting, paying and crediting cost the same statements for an order of 3 lines as
/// for one of 30: no statement per line (the lines' billed quantities move in one UPDATE).
#[tokio::test]
async fn billing_costs_the_same_statements_for_3_lines_or_30() {
    let b = books().await;
    let mut counts = Vec::new();
    // The first round also creates the INVOICE and CREDIT_NOTE series rows: it is not compared.
    for n in [3, 3, 30] {
        let lines: Vec<_> = (0..n)
            .map(|_| json!({"itemId": b.w.bolt, "quantity": "1"}))
            .collect();
        let order = b.confirmed_order(&b.w.acme, json!(lines)).await;
        b.ship(&order).await;
        let statements = || b.w.app.state.statements.get();
        let mut steps = Vec::new();
        let before = statements();
        let inv = b.invoice_orders(&[&order]).await;
        steps.push(statements() - before);
        let id = inv["id"].as_str().unwrap().to_owned();
        assert_eq!(
            inv["lines"].as_array().unwrap().len(),
            n + 1,
            "goods and freight"
        );
        let before = statements();
        b.post(&id).await.data();
        steps.push(statements() - before);
        let before = statements();
        b.pay(
            &b.w.acme,
            "1",
            Some(json!([{"invoiceId": id, "amount": "1"}])),
        )
        .await
        .data();
        steps.push(statements() - before);
        let before = statements();
        b.gql(
            &b.accounting,
            "mutation($i: ID!) { createCreditNote(input: {invoiceId: $i}) { invoice { id } } }",
            json!({"i": id}),
        )
        .await
        .data();
        steps.push(statements() - before);
        counts.push(steps);
    }
    println!("statements (create, post, pay, credit) for 3, 3 and 30 lines: {counts:?}");
    assert_eq!(counts[1], counts[2], "statements grow with the lines");
}

/// A kit is billed on its own line as far as its components shipped; its components carry no
/// invoice line but count as billed, and a cancelled invoice or a credit note gives both back.
#[tokio::test]
async fn a_kit_is_billed_once_with_its_components_and_given_back_whole() {
    let b = books().await;
    let kit = b.w.app.id_of(&b.w.admin, "items", "KIT-FIX").await;
    let order = b
        .confirmed_order(&b.w.acme, json!([{"itemId": kit, "quantity": "2"}]))
        .await;
    b.ship(&order).await;
    let billed = |order: String| {
        let b = &b;
        async move {
            let r = b
                .gql(
                    &b.w.admin,
                    "query($i: ID!) { salesOrder(id: $i) { lines { parentLineId invoicedQuantity shippedQuantity } } }",
                    json!({"i": order}),
                )
                .await;
            r.data()["salesOrder"]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["parentLineId"].is_null(),
                        dec(&l["invoicedQuantity"]),
                        dec(&l["shippedQuantity"]),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let inv = b.invoice_orders(&[&order]).await;
    let items: Vec<_> = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "ITEM")
        .collect();
    assert_eq!(items.len(), 1, "the kit line only: {inv}");
    assert_eq!(items[0]["item"]["sku"], "KIT-FIX");
    assert_eq!(dec(&items[0]["netAmount"]), d("39.80"));
    for (_, invoiced, shipped) in billed(order.clone()).await {
        if !shipped.is_zero() {
            assert_eq!(invoiced, shipped, "components count as billed");
        }
    }
    b.post(inv["id"].as_str().unwrap()).await.data();
    b.gql(
        &b.accounting,
        "mutation($i: ID!) { createCreditNote(input: {invoiceId: $i}) { invoice { id } } }",
        json!({"i": inv["id"]}),
    )
    .await
    .data();
    for (kit_line, invoiced, _) in billed(order.clone()).await {
        assert!(
            invoiced.is_zero(),
            "kit line {kit_line}: {invoiced} still billed"
        );
    }
    let again = b.invoice_orders(&[&order]).await;
    assert_eq!(
        dec(&again["amounts"]["taxBase"]),
        dec(&inv["amounts"]["taxBase"])
    );
}
