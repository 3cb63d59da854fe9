//! Payments, financial status and credit risk (R-PAY-2, R-PAY-5, R-ORD-9, R-ORD-17).
use api_tests::billing::{Books, books, d};
use api_tests::fulfil::dec;
use api_tests::ws;
use serde_json::{Value, json};
use std::time::Duration;

/// 100 bolts for ACME at 0.30 + freight 24.00 = 54.00 net, 65.34 with IVA 21 %; posted.
async fn posted_invoice(b: &Books) -> (String, String) {
    let order = b.bolts(&b.w.acme, 100).await;
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let id = inv["id"].as_str().unwrap().to_owned();
    b.post(&id).await.data();
    (order, id)
}

#[tokio::test]
async fn payments_walk_invoice_and_order_to_paid_and_close_it_and_a_reversal_undoes_it_r_pay_5() {
    let b = books().await;
    let (order, inv) = posted_invoice(&b).await;
    assert_eq!(
        b.order_state(&order).await,
        ("SHIPPED".into(), "UNPAID".into())
    );

    let r = b
        .pay(
            &b.w.acme,
            "20",
            Some(json!([{"invoiceId": inv, "amount": "20"}])),
        )
        .await;
    let p = &r.data()["recordPayment"]["payment"];
    assert_eq!(dec(&p["allocatedAmount"]), d("20"));
    assert_eq!(
        p["allocations"][0]["invoice"]["financialStatus"],
        "PARTIALLY_PAID"
    );
    assert_eq!(
        b.order_state(&order).await,
        ("SHIPPED".into(), "PARTIALLY_PAID".into())
    );

    // Without allocations: the oldest due first, never beyond the balance.
    let r = b.pay(&b.w.acme, "50", None).await;
    let second = r.data()["recordPayment"]["payment"].clone();
    assert_eq!(dec(&second["allocatedAmount"]), d("45.34"));
    assert_eq!(dec(&second["unallocatedAmount"]), d("4.66"));
    let i = b.invoice(&inv).await;
    assert_eq!(i["financialStatus"], "PAID");
    assert_eq!(dec(&i["amounts"]["balance"]), d("0"));
    // Shipped, billed in full and paid: CLOSED (R-ORD-17).
    assert_eq!(
        b.order_state(&order).await,
        ("CLOSED".into(), "PAID".into())
    );
    // The unallocated 4.66 lowers ACME's risk below zero.
    assert_eq!(b.balance(&b.w.acme).await[4], d("-4.66"));

    // Reversal restores every status it changed.
    let r = b
        .gql(
            &b.accounting,
            "mutation($i: ReversePaymentInput!) { reversePayment(input: $i) { payment { status reversalReason } } }",
            json!({"i": {"id": second["id"], "reason": "bounced"}}),
        )
        .await;
    assert_eq!(r.data()["reversePayment"]["payment"]["status"], "REVERSED");
    let i = b.invoice(&inv).await;
    assert_eq!(i["financialStatus"], "PARTIALLY_PAID");
    assert_eq!(dec(&i["amounts"]["paid"]), d("20"));
    assert_eq!(
        b.order_state(&order).await,
        ("SHIPPED".into(), "PARTIALLY_PAID".into())
    );
    assert_eq!(b.balance(&b.w.acme).await[4], d("45.34"));
    let twice = b
        .gql(
            &b.accounting,
            "mutation($i: ReversePaymentInput!) { reversePayment(input: $i) { payment { status } } }",
            json!({"i": {"id": second["id"], "reason": "again"}}),
        )
        .await;
    assert_eq!(twice.code(), "INVALID_STATE");
}

/// Two invoices of ACME: the one dated earlier falls due earlier and is settled first.
#[tokio::test]
async fn an_unallocated_payment_settles_the_oldest_due_invoice_first_r_pay_5() {
    let b = books().await;
    let mut ids = Vec::new();
    for date in ["2026-11-20", "2026-10-20"] {
        let order = b.bolts(&b.w.acme, 10).await;
        let note = b.ship(&order).await;
        let r = b
            .invoice_as(
                &b.accounting,
                json!({"shipmentIds": [note], "invoiceDate": date}),
            )
            .await;
        let id = r.data()["createInvoice"]["invoice"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        b.post(&id).await.data();
        ids.push(id);
    }
    // Each: 10 × 0.30 = 3.00 + freight 2.40 = 5.40, tax 0.63 + 0.50 → 6.53.
    assert_eq!(
        dec(&b.invoice(&ids[0]).await["amounts"]["totalWithTax"]),
        d("6.53")
    );
    let r = b.pay(&b.w.acme, "8", None).await;
    let allocations = r.data()["recordPayment"]["payment"]["allocations"].clone();
    assert_eq!(
        allocations[0]["invoice"]["id"], ids[1],
        "due 2026-11-19 comes first"
    );
    assert_eq!(dec(&allocations[0]["amount"]), d("6.53"));
    assert_eq!(allocations[1]["invoice"]["id"], ids[0]);
    assert_eq!(dec(&allocations[1]["amount"]), d("1.47"));
}

#[tokio::test]
async fn bad_payments_are_refused_and_change_nothing() {
    let b = books().await;
    let (_, inv) = posted_invoice(&b).await;
    let globex = b.w.app.id_of(&b.w.admin, "customers", "GLOBEX").await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "over-allocated",
            json!({"customerId": b.w.acme, "amount": "10", "currency": "EUR", "date": "2026-12-01", "allocations": [{"invoiceId": inv, "amount": "11"}]}),
            "VALIDATION",
        ),
        (
            "another customer's invoice",
            json!({"customerId": globex, "amount": "10", "currency": "EUR", "date": "2026-12-01", "allocations": [{"invoiceId": inv, "amount": "10"}]}),
            "VALIDATION",
        ),
        (
            "zero",
            json!({"customerId": b.w.acme, "amount": "0", "currency": "EUR", "date": "2026-12-01"}),
            "VALIDATION",
        ),
        (
            "no rate",
            json!({"customerId": b.w.acme, "amount": "10", "currency": "GBP", "date": "2026-12-01"}),
            "VALIDATION",
        ),
        (
            "USD on a EUR invoice",
            json!({"customerId": b.w.acme, "amount": "10", "currency": "USD", "date": "2026-12-01", "allocations": [{"invoiceId": inv, "amount": "10"}]}),
            "VALIDATION",
        ),
        (
            "bad date",
            json!({"customerId": b.w.acme, "amount": "10", "currency": "EUR", "date": "2026-13-01"}),
            "VALIDATION",
        ),
        (
            "no such customer",
            json!({"customerId": "999999", "amount": "10", "currency": "EUR", "date": "2026-12-01"}),
            "VALIDATION",
        ),
    ];
    for (what, input, code) in cases {
        let r = b
            .gql(
                &b.accounting,
                "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { payment { id } } }",
                json!({"i": input}),
            )
            .await;
        assert_eq!(r.code(), code, "{what}: {:?}", r.0);
    }
    let r = b
        .gql(&b.accounting, "{ payments { totalCount } }", json!({}))
        .await;
    assert_eq!(r.data()["payments"]["totalCount"], 0, "nothing recorded");
    assert_eq!(b.invoice(&inv).await["financialStatus"], "UNPAID");
    // A USD payment converts at the rate of its date (0.92, R-PAY-5).
    let r = b
        .gql(
            &b.accounting,
            "mutation($i: RecordPaymentInput!) { recordPayment(input: $i) { payment { companyAmount unallocatedAmount } } }",
            json!({"i": {"customerId": b.w.acme, "amount": "100", "currency": "USD", "date": "2026-12-01"}}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["recordPayment"]["payment"]["companyAmount"]),
        d("92.00")
    );
}

/// R-ORD-9 step by step: ordering, shipping, invoicing and paying move the value from one term
/// of the risk to the next; none makes it vanish or count twice. Billing adds the tax the
/// customer now owes (54.00 → 65.34).
#[tokio::test]
async fn credit_risk_follows_an_order_from_entry_to_payment_r_ord_9() {
    let b = books().await;
    let zero = d("0");
    let order = b.bolts(&b.w.acme, 100).await;
    assert_eq!(
        b.balance(&b.w.acme).await,
        [d("54.00"), zero, zero, zero, d("54.00")]
    );
    b.ship(&order).await;
    assert_eq!(
        b.balance(&b.w.acme).await,
        [zero, d("54.00"), zero, zero, d("54.00")]
    );
    let inv = b.invoice_orders(&[&order]).await;
    let id = inv["id"].as_str().unwrap();
    assert_eq!(
        b.balance(&b.w.acme).await,
        [zero, zero, d("65.34"), zero, d("65.34")]
    );
    b.post(id).await.data();
    assert_eq!(
        b.balance(&b.w.acme).await,
        [zero, zero, d("65.34"), zero, d("65.34")]
    );
    b.pay(
        &b.w.acme,
        "30",
        Some(json!([{"invoiceId": id, "amount": "30"}])),
    )
    .await
    .data();
    assert_eq!(
        b.balance(&b.w.acme).await,
        [zero, zero, d("35.34"), zero, d("35.34")]
    );
    b.pay(&b.w.acme, "40", None).await.data();
    assert_eq!(
        b.balance(&b.w.acme).await,
        [zero, zero, zero, d("4.66"), d("-4.66")]
    );
}

/// A customer at its limit is held again while a posted invoice stays unpaid, and released
/// from holds on new orders once it pays (R-ORD-9).
#[tokio::test]
async fn an_unpaid_invoice_keeps_a_customer_at_its_limit_on_hold_r_ord_9() {
    let b = books().await;
    b.gql(
        &b.w.admin,
        "mutation { updateCompanySettings(input: {blockOnCreditExcess: true}) { blockOnCreditExcess } }",
        json!({}),
    )
    .await
    .data();
    b.gql(
        &b.w.admin,
        "mutation($id: ID!) { updateCustomer(input: {id: $id, fields: {creditLimit: \"100\"}}) { customer { creditLimit } } }",
        json!({"id": b.w.acme}),
    )
    .await
    .data();
    let (_, inv) = posted_invoice(&b).await;
    // 150 bolts: 45.00 + freight 36.00 = 81.00; with 65.34 owed, 146.34 > 100.
    let hold = |r: api_tests::Gql| {
        r.data()["createSalesOrder"]["salesOrder"]["creditHold"]
            .as_bool()
            .unwrap()
    };
    let create = || {
        b.w.app.gql(
            Some(&b.w.admin),
            "mutation($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { salesOrder { creditHold } } }",
            json!({"i": {"customerId": b.w.acme, "lines": [{"itemId": b.w.bolt, "quantity": "150"}]}}),
        )
    };
    assert!(hold(create().await), "65.34 unpaid + 81.00 is over 100");
    b.pay(
        &b.w.acme,
        "65.34",
        Some(json!([{"invoiceId": inv, "amount": "65.34"}])),
    )
    .await
    .data();
    // Only the held order's 81.00 counts now (< 100, but 81 + 81 > 100).
    let r = b
        .gql(
            &b.accounting,
            "query($c: ID!) { customerBalance(customerId: $c) { risk receivable } }",
            json!({"c": b.w.acme}),
        )
        .await;
    assert_eq!(dec(&r.data()["customerBalance"]["receivable"]), d("0"));
    assert_eq!(dec(&r.data()["customerBalance"]["risk"]), d("81.00"));
}

/// Every billing step reaches a subscriber of the order (R-ORD-17), with the visibility of
/// orders.
#[tokio::test]
async fn invoice_and_payment_events_reach_order_subscribers() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 100).await;
    b.ship(&order).await;
    let ana = b.w.app.login("ana@iberia.example").await;
    let boris = b.w.app.login("boris@iberia.example").await;
    let mut ws_ana = ws::connect(&b.w.app.url, &ana).await;
    let mut ws_boris = ws::connect(&b.w.app.url, &boris).await;
    let q = "subscription($f: OrderEventFilter) { orderEvents(filter: $f) { kind orderId } }";
    let filter = json!({"f": {"kinds": ["INVOICED", "INVOICE_POSTED", "PAYMENT_RECORDED", "FINANCIAL_STATUS_CHANGED", "STATUS_CHANGED"]}});
    ws::subscribe(&mut ws_ana, "1", q, filter.clone()).await;
    ws::subscribe(&mut ws_boris, "1", q, filter).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let inv = b.invoice_orders(&[&order]).await;
    let id = inv["id"].as_str().unwrap();
    b.post(id).await.data();
    b.pay(&b.w.acme, "65.34", None).await.data();
    let mut kinds = Vec::new();
    while kinds.len() < 5 {
        let e = ws::next_data(&mut ws_ana, "1", Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("only {kinds:?} arrived"));
        assert_eq!(e["orderEvents"]["orderId"], order);
        kinds.push(e["orderEvents"]["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        kinds,
        [
            "INVOICED",
            "INVOICE_POSTED",
            "PAYMENT_RECORDED",
            "FINANCIAL_STATUS_CHANGED",
            "STATUS_CHANGED"
        ]
    );
    assert!(
        ws::next_data(&mut ws_boris, "1", Duration::from_millis(500))
            .await
            .is_none(),
        "Boris sees neither ACME nor the order"
    );
}

/// An advance that already settles a posted invoice cannot be reversed behind its back; a
/// schedule line must exist and belong to the payer (R-PAY-2).
#[tokio::test]
async fn advances_are_checked_and_not_reversed_once_an_invoice_took_them() {
    let b = books().await;
    let order = b.bolts(&b.w.acme, 100).await;
    let globex = b.w.app.id_of(&b.w.admin, "customers", "GLOBEX").await;
    for (customer, line, what) in [
        (&b.w.acme, format!("{order}:9"), "no such line"),
        (&globex, format!("{order}:1"), "another customer's order"),
        (&b.w.acme, "x:1".to_string(), "not orderId:position"),
    ] {
        let r = b
            .pay(
                customer,
                "5",
                Some(json!([{"scheduleLineId": line, "amount": "5"}])),
            )
            .await;
        assert_eq!(r.code(), "VALIDATION", "{what}");
    }
    let both = b
        .pay(
            &b.w.acme,
            "5",
            Some(
                json!([{"scheduleLineId": format!("{order}:1"), "invoiceId": "1", "amount": "5"}]),
            ),
        )
        .await;
    assert_eq!(both.code(), "VALIDATION", "two targets in one allocation");
    let r = b
        .pay(
            &b.w.acme,
            "30",
            Some(json!([{"scheduleLineId": format!("{order}:1"), "amount": "30"}])),
        )
        .await;
    let advance = r.data()["recordPayment"]["payment"]["id"].clone();
    b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let posted = b.post(inv["id"].as_str().unwrap()).await;
    assert_eq!(
        dec(&posted.data()["postInvoice"]["invoice"]["amounts"]["balance"]),
        d("35.34"),
        "65.34 less the 30.00 paid ahead"
    );
    let r = b
        .gql(
            &b.accounting,
            "mutation($i: ReversePaymentInput!) { reversePayment(input: $i) { payment { status } } }",
            json!({"i": {"id": advance, "reason": "bounced"}}),
        )
        .await;
    assert_eq!(r.code(), "INVALID_STATE");
    assert_eq!(
        b.order_state(&order).await.1,
        "PARTIALLY_PAID",
        "nothing changed"
    );
}

/// Concurrency (both backends): twenty clients pay one invoice at once — named and unnamed —
/// and two invoices of one order are posted while advances on that order arrive. No payment is
/// lost, no advance counts twice, numbers stay gapless, and nothing deadlocks.
#[tokio::test]
async fn concurrent_payments_postings_and_advances_lose_nothing() {
    let b = books().await;
    let (order, line) = b.w.order(&b.w.admin, &b.w.acme, 100).await;
    b.w.confirm(&b.w.admin, &order, false).await.data();
    let ship = |q: &'static str| {
        let (b, order, line) = (&b, order.clone(), line.clone());
        async move {
            let r = b
                .gql(
                    &b.w.warehouse,
                    "mutation($o: ID!, $l: ID!, $q: Decimal!) { shipSalesOrder(input: {orderId: $o, lines: [{lineId: $l, quantity: $q}]}) { shipment { id } } }",
                    json!({"o": order, "l": line, "q": q}),
                )
                .await;
            r.data()["shipSalesOrder"]["shipment"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let (s1, s2) = (ship("50").await, ship("50").await);
    let mut invoices = Vec::new();
    for s in [&s1, &s2] {
        let r = b
            .invoice_as(&b.accounting, json!({"shipmentIds": [s]}))
            .await;
        invoices.push(
            r.data()["createInvoice"]["invoice"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Both postings and five advances of 1.00 on the order's first installment, all at once.
    let line1 = format!("{order}:1");
    let posts = invoices.iter().map(|i| b.post(i));
    let advances = (0..5).map(|_| {
        b.pay(
            &b.w.acme,
            "1",
            Some(json!([{"scheduleLineId": line1, "amount": "1"}])),
        )
    });
    let (posted, paid) = tokio::join!(
        futures_util::future::join_all(posts),
        futures_util::future::join_all(advances)
    );
    for r in posted.iter().chain(paid.iter()) {
        assert!(r.is_ok(), "{:?}", r.0);
    }
    let mut numbers: Vec<String> = posted
        .iter()
        .map(|r| {
            r.data()["postInvoice"]["invoice"]["number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, vec!["A-1", "A-2"]);
    // Twenty payments on the first invoice: ten naming it (1.00), ten oldest-due-first (0.50).
    let named = (0..10).map(|_| {
        b.pay(
            &b.w.acme,
            "1",
            Some(json!([{"invoiceId": invoices[0], "amount": "1"}])),
        )
    });
    let unnamed = (0..10).map(|_| b.pay(&b.w.acme, "0.50", None));
    let (a, c) = tokio::join!(
        futures_util::future::join_all(named),
        futures_util::future::join_all(unnamed)
    );
    for r in a.iter().chain(c.iter()) {
        assert!(r.is_ok(), "{:?}", r.0);
    }
    // Every cent is somewhere: on the invoices (payments + advances) or still unapplied.
    let settled: rust_decimal::Decimal =
        futures_util::future::join_all(invoices.iter().map(|i| b.invoice(i)))
            .await
            .iter()
            .map(|i| dec(&i["amounts"]["totalWithTax"]) - dec(&i["amounts"]["balance"]))
            .sum();
    let r = b
        .gql(
            &b.accounting,
            "query($i: ID!) { salesOrder(id: $i) { advancePaid } payments { totalCount } }",
            json!({"i": order}),
        )
        .await;
    assert_eq!(
        dec(&r.data()["salesOrder"]["advancePaid"]),
        d("5"),
        "five advances, none lost"
    );
    assert_eq!(r.data()["payments"]["totalCount"], 25);
    let [_, _, receivable, unallocated, _] = b.balance(&b.w.acme).await;
    let totals: rust_decimal::Decimal =
        futures_util::future::join_all(invoices.iter().map(|i| b.invoice(i)))
            .await
            .iter()
            .map(|i| dec(&i["amounts"]["totalWithTax"]))
            .sum();
    // Each invoice's balances are large enough to take every advance and payment.
    assert_eq!(settled, d("20.00"), "5 advances + 10 × 1.00 + 10 × 0.50");
    assert_eq!(
        unallocated,
        d("0"),
        "every advance settles a posted invoice"
    );
    assert_eq!(receivable, totals - d("20.00"));
}

/// R-ORD-9 at scale: on PostgreSQL the risk no longer reads every open order; triggers keep
/// each customer's undelivered and to-invoice sums (as deltas the relay folds into a total) and
/// the list of orders whose lines must be read (migration 9). After every step of an order's
/// life — entry, shipping, invoicing, posting, paying, cancelling — the kept sums must equal a
/// recount of the orders, every order that needs its lines read must be on the list, and
/// folding the deltas must not move the risk. On SQLite (no triggers there) the walk still
/// checks the risk the API reports against what each step must leave.
#[tokio::test]
async fn credit_sums_kept_by_the_database_equal_a_recount_at_every_step_r_ord_9() {
    use rust_decimal::Decimal;
    use sea_orm::{ConnectionTrait, Database, Statement};
    let b = books().await;
    let db = Database::connect(b.w.app.database_url()).await.unwrap();
    let rows = |sql: &'static str| {
        let db = &db;
        async move {
            db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .unwrap()
        }
    };
    let check = |step: &'static str, risk: Decimal| {
        let (b, rows, db) = (&b, &rows, &db);
        async move {
            assert_eq!(b.balance(&b.w.acme).await[4], risk, "risk after {step}");
            if !api_tests::on_postgres() {
                return;
            }
            let sums = |sql| async move {
                let mut m = std::collections::BTreeMap::new();
                for r in rows(sql).await {
                    let c: i64 = r.try_get("", "c").unwrap();
                    let u: Decimal = r.try_get("", "u").unwrap();
                    let t: Decimal = r.try_get("", "t").unwrap();
                    if !(u.is_zero() && t.is_zero()) {
                        m.insert(c, (u.normalize(), t.normalize()));
                    }
                }
                m
            };
            let recount = sums(
                "SELECT customer_id AS c, \
                 COALESCE(SUM(company_total_amount - CASE WHEN freight_invoiced THEN company_freight_amount ELSE 0 END) \
                 FILTER (WHERE status IN ('DRAFT', 'CONFIRMED', 'PARTIALLY_SHIPPED')), 0) AS u, \
                 COALESCE(SUM(company_freight_amount) FILTER (WHERE status = 'SHIPPED' AND NOT freight_invoiced), 0) AS t \
                 FROM sales_orders WHERE kind = 'ORDER' GROUP BY customer_id",
            )
            .await;
            let kept = "SELECT customer_id AS c, SUM(undelivered) AS u, SUM(to_invoice) AS t FROM \
                 (SELECT customer_id, undelivered, to_invoice FROM credit_totals UNION ALL \
                 SELECT customer_id, undelivered, to_invoice FROM credit_deltas) k GROUP BY customer_id";
            assert_eq!(sums(kept).await, recount, "kept sums after {step}");
            let unwatched = rows(
                "SELECT o.id FROM sales_orders o WHERE o.kind = 'ORDER' AND ( \
                 (o.status IN ('DRAFT', 'CONFIRMED', 'PARTIALLY_SHIPPED', 'SHIPPED') AND ( \
                 o.status IN ('PARTIALLY_SHIPPED', 'SHIPPED') \
                 OR EXISTS (SELECT 1 FROM backorders x WHERE x.order_id = o.id AND x.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) \
                 OR EXISTS (SELECT 1 FROM invoice_lines il WHERE il.order_id = o.id))) \
                 OR (o.status <> 'CANCELLED' AND o.advance_amount <> o.advance_applied)) \
                 AND NOT EXISTS (SELECT 1 FROM credit_watch w WHERE w.order_id = o.id AND w.customer_id = o.customer_id)",
            )
            .await;
            assert!(
                unwatched.is_empty(),
                "orders missing from the watch list after {step}"
            );
            // The relay folds too; while it holds the fold's lock, ours folds nothing.
            for _ in 0..50 {
                api::domain::credit::fold_deltas(db).await.unwrap();
                if rows("SELECT id FROM credit_deltas").await.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            assert!(
                rows("SELECT id FROM credit_deltas").await.is_empty(),
                "deltas left after folding, {step}"
            );
            assert_eq!(sums(kept).await, recount, "folded sums after {step}");
            assert_eq!(
                b.balance(&b.w.acme).await[4],
                risk,
                "risk after folding, {step}"
            );
        }
    };
    check("nothing yet", d("0")).await;
    let shipped = b.bolts(&b.w.acme, 30).await;
    // One order's net value (goods and freight), as the risk counts it.
    let each = b.balance(&b.w.acme).await[4];
    assert!(each > d("0"));
    let open = b.bolts(&b.w.acme, 30).await;
    let doomed = b.bolts(&b.w.acme, 30).await;
    check("three confirmed orders", each * d("3")).await;
    b.ship(&shipped).await;
    check("one shipped", each * d("3")).await;
    let inv = b.invoice_orders(&[&shipped]).await;
    let billed = dec(&inv["amounts"]["companyTotalWithTax"]);
    assert!(billed > each, "the invoice carries tax");
    let inv = inv["id"].as_str().unwrap().to_owned();
    check("its invoice", each * d("2") + billed).await;
    b.post(&inv).await.data();
    b.pay(
        &b.w.acme,
        "10",
        Some(json!([{"invoiceId": inv, "amount": "10"}])),
    )
    .await
    .data();
    check("posted and part paid", each * d("2") + billed - d("10")).await;
    b.gql(
        &b.w.admin,
        "mutation($i: DocumentRef!) { cancelSalesOrder(input: $i) { salesOrder { status } } }",
        json!({"i": {"id": doomed}}),
    )
    .await
    .data();
    check("one cancelled", each + billed - d("10")).await;
    b.ship(&open).await;
    check("the other shipped", each + billed - d("10")).await;
}
