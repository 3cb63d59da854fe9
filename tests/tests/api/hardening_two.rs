//! Hardening, round two (issue 31): each finding of the second security review, reproduced
//! against the demo server and shown refused or bounded. Access findings first (the seller's
//! decisions, R-ACC-5/7, R-ORD-5, R-AGR-1, R-PAY-2), then transport and input bounds.
use api_tests::demo::Demo;
use api_tests::{Gql, MatrixRow, at, matrix_mismatches, spawn_with, ws};
use futures_util::SinkExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const CALLERS: [&str; 7] = [
    "admin",
    "ana",
    "warehouse",
    "buyer",
    "accounting",
    "t_unbound",
    "t_acme_old",
];

async fn token(d: &Demo, scopes: Value, customer: Option<&str>) -> Gql {
    d.app
        .gql(
            Some(&d.admin),
            "mutation($s: [ApiScope!]!, $c: ID) { createApiToken(input: {name: \"m\", scopes: $s, customerId: $c}) { token apiToken { id } } }",
            json!({"s": scopes, "c": customer}),
        )
        .await
}

/// Every caller against the writes that carry the seller's decisions: agreement commitments,
/// payments, bonus (free goods), the order date and the carrier. `t_acme_old` is a token bound
/// to ACME with every write scope, as one created before binding them was refused.
#[tokio::test]
async fn the_sellers_decisions_are_refused_to_every_caller_bound_to_a_customer() {
    let d = Demo::new().await;
    let all = json!([
        "ORDERS_WRITE",
        "AGREEMENTS_WRITE",
        "PAYMENTS_WRITE",
        "INVOICES_READ"
    ]);
    // Binding a seller's scope to a customer is refused at creation (R-ACC-7).
    for scope in ["AGREEMENTS_WRITE", "PAYMENTS_WRITE"] {
        let r = token(&d, json!(["ORDERS_READ", scope]), Some(&d.acme)).await;
        assert_eq!(r.code(), "VALIDATION", "{scope}: {}", r.0);
        assert_eq!(r.field().as_deref(), Some("scopes"));
    }
    let unbound = token(&d, all.clone(), None).await;
    let old = token(&d, all, None).await;
    let old_id = at(&old, &["createApiToken", "apiToken", "id"]);
    use sea_orm::ConnectionTrait;
    d.app
        .state
        .db
        .execute_unprepared(&format!(
            "UPDATE api_tokens SET customer_id = {} WHERE id = {old_id}",
            d.acme
        ))
        .await
        .unwrap();
    let mut tokens = vec![d.admin.clone()];
    for email in ["ana", "warehouse"] {
        tokens.push(d.app.login(&format!("{email}@iberia.example")).await);
    }
    tokens.push(d.app.login("buyer@acme.example").await);
    tokens.push(d.app.login("accounting@iberia.example").await);
    tokens.push(at(&unbound, &["createApiToken", "token"]));
    tokens.push(at(&old, &["createApiToken", "token"]));

    let nut = d.item("NUT-M8").await;
    let seur = d.setup_id("carriers", "SEUR").await;
    let agreement = d
        .app
        .gql(
            Some(&d.admin),
            "mutation($c: ID!, $i: ID!) { createSalesAgreement(input: {customerId: $c, validFrom: \"2026-01-01\", validTo: \"2027-12-31\", lines: [{commitment: PRODUCT_QUANTITY, itemId: $i, quantity: \"100\", unitPrice: \"9.00\"}]}) { agreement { id } } }",
            json!({"c": d.acme, "i": nut}),
        )
        .await;
    let agreement = at(&agreement, &["createSalesAgreement", "agreement", "id"]);
    let r = d
        .app
        .gql(
            Some(&d.admin),
            "mutation($a: ID!) { setAgreementStatus(input: {id: $a, status: EFFECTIVE}) { agreement { id } } }",
            json!({"a": agreement}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let draft = d
        .create(
            &d.acme,
            json!([{"itemId": d.bolt, "quantity": "2", "bonusQuantity": "1"}]),
            json!({}),
        )
        .await;
    let draft_id = draft["salesOrder"]["id"].as_str().unwrap().to_owned();
    let line_id = draft["salesOrder"]["lines"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    const F: &str = "FORBIDDEN";
    const V: &str = "VALIDATION";
    const I: &str = "INVALID_STATE";
    type Op<'a> = MatrixRow<'a, String, 7>;
    let order = |extra: &str| {
        format!(
            "mutation($c: ID!, $i: ID!) {{ createSalesOrder(input: {{customerId: $c, lines: [{{itemId: $i, quantity: \"10\"{extra}}}]}}) {{ salesOrder {{ id }} }} }}"
        )
    };
    let with_header = |header: &str| {
        format!(
            "mutation($c: ID!, $i: ID!{}) {{ createSalesOrder(input: {{customerId: $c, {header}, lines: [{{itemId: $i, quantity: \"10\"}}]}}) {{ salesOrder {{ id }} }} }}",
            if header.contains("$s") {
                ", $s: ID!"
            } else {
                ""
            }
        )
    };
    let vars = json!({"c": d.acme, "i": d.bolt});
    let with_seur = json!({"c": d.acme, "i": d.bolt, "s": seur});
    #[rustfmt::skip]
    let ops: Vec<Op> = vec![
        // Finding 1: agreements are the seller's commitment.
        ("createSalesAgreement(ACME, 0.0001, ends before it starts)", "mutation($c: ID!, $i: ID!) { createSalesAgreement(input: {customerId: $c, validFrom: \"2027-01-01\", validTo: \"2026-01-01\", lines: [{commitment: PRODUCT_QUANTITY, itemId: $i, quantity: \"1000000\", unitPrice: \"0.0001\"}]}) { agreement { id } } }".into(), json!({"c": d.acme, "i": nut}),
            [V, V, F, F, F, V, F]),
        ("setAgreementStatus(EFFECTIVE again)", "mutation($a: ID!) { setAgreementStatus(input: {id: $a, status: EFFECTIVE}) { agreement { id } } }".into(), json!({"a": agreement}),
            [I, I, F, F, F, I, F]),
        ("updateAgreement(ACME, effective, end earlier)", "mutation($a: ID!) { updateAgreement(input: {id: $a, validTo: \"2026-06-30\"}) { agreement { id } } }".into(), json!({"a": agreement}),
            [I, I, F, F, F, I, F]),
        // Finding 9: payments come from the seller's bank.
        ("recordPayment(ACME, 100000, wrong currency)", "mutation($c: ID!) { recordPayment(input: {customerId: $c, amount: \"100000\", currency: \"XXX\", date: \"2026-12-01\"}) { payment { id } } }".into(), json!({"c": d.acme}),
            [V, F, F, F, V, V, F]),
        // Finding 2: free goods ship, so they are the seller's (R-ORD-5).
        ("createSalesOrder(bonusQuantity 1000)", order(", bonusQuantity: \"1000\""), vars.clone(),
            ["ok", "ok", F, F, F, F, F]),
        ("createSalesOrder(bonusQuantity 0)", order(", bonusQuantity: \"0\""), vars.clone(),
            ["ok", "ok", F, "ok", F, "ok", "ok"]),
        ("createQuote(bonusQuantity 1000)", "mutation($c: ID!, $i: ID!) { createQuote(input: {customerId: $c, lines: [{itemId: $i, quantity: \"10\", bonusQuantity: \"1000\"}]}) { quote { id } } }".into(), json!({"c": d.acme, "i": d.bolt}),
            ["ok", "ok", F, F, F, F, F]),
        ("addSalesOrderLine(bonusQuantity 1000)", "mutation($o: ID!, $i: ID!) { addSalesOrderLine(input: {orderId: $o, line: {itemId: $i, quantity: \"1\", bonusQuantity: \"1000\"}}) { salesOrder { id } } }".into(), json!({"o": draft_id, "i": d.bolt}),
            ["ok", "ok", F, F, F, F, F]),
        // Finding 8: the order date and the carrier set prices, rates, due dates and freight.
        ("createSalesOrder(orderDate 2025-06-01)", with_header("orderDate: \"2025-06-01\""), vars.clone(),
            ["ok", "ok", F, F, F, F, F]),
        ("createSalesOrder(carrierId SEUR)", with_header("carrierId: $s"), with_seur,
            ["ok", "ok", F, F, F, F, F]),
        ("createSalesOrder(plain)", order(""), vars.clone(),
            ["ok", "ok", F, "ok", F, "ok", "ok"]),
    ];
    // The matrix runs the bonus-1000 line update last among the line rows; a buyer repeating
    // the bonus the seller set is fine (checked below, before it changes).
    let buyer = &tokens[3];
    let r = d
        .app
        .gql(
            Some(buyer),
            "mutation($l: ID!) { updateSalesOrderLine(input: {lineId: $l, quantity: \"3\", bonusQuantity: \"1\"}) { salesOrder { lines { quantity bonusQuantity } } } }",
            json!({"l": line_id}),
        )
        .await;
    assert!(r.is_ok(), "a buyer may repeat the seller's bonus: {}", r.0);
    let raise = "mutation($l: ID!) { updateSalesOrderLine(input: {lineId: $l, bonusQuantity: \"1000\"}) { salesOrder { lines { bonusQuantity } } } }";
    for (who, t) in [
        ("buyer", buyer),
        ("t_unbound", &tokens[5]),
        ("t_acme_old", &tokens[6]),
    ] {
        let r = d.app.gql(Some(t), raise, json!({"l": line_id})).await;
        assert_eq!(r.code(), "FORBIDDEN", "{who} raised the bonus: {}", r.0);
    }
    let r = d
        .app
        .gql(Some(&tokens[1]), raise, json!({"l": line_id}))
        .await;
    assert_eq!(
        r.data()["updateSalesOrderLine"]["salesOrder"]["lines"][0]["bonusQuantity"],
        "1000.0000"
    );
    let mismatches = matrix_mismatches(&d.app, &CALLERS, &tokens, &ops).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Nothing a refused caller sent was kept: ACME has the one agreement the admin made.
    let r = d
        .app
        .gql(
            Some(&d.admin),
            "{ salesAgreements { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(r.data()["salesAgreements"]["totalCount"], 1, "{}", r.0);
}

/// Finding 10: the warehouse and purchasing read orders but never payment figures; a rep who
/// took an order of another rep's customer hears its payment events without their amounts.
#[tokio::test]
async fn payment_figures_follow_the_readers_payment_rights() {
    let d = Demo::new().await;
    let order = d
        .create(
            &d.acme,
            json!([{"itemId": d.bolt, "quantity": "2"}]),
            json!({}),
        )
        .await;
    let id = order["salesOrder"]["id"].as_str().unwrap().to_owned();
    let q = "query($o: ID!) { salesOrder(id: $o) { advancePaid paymentSchedule { amount paid } } }";
    for (email, reads) in [
        ("admin@iberia.example", true),
        ("ana@iberia.example", true),
        ("accounting@iberia.example", true),
        ("warehouse@iberia.example", false),
        ("purchasing@iberia.example", false),
    ] {
        let t = d.app.login(email).await;
        let r = d.app.gql(Some(&t), q, json!({"o": id})).await;
        let o = &r.data()["salesOrder"];
        assert_eq!(o["advancePaid"].is_null(), !reads, "{email}: {o}");
        assert_eq!(
            o["paymentSchedule"].as_array().unwrap().is_empty(),
            !reads,
            "{email}: {o}"
        );
    }
}

/// Finding 10, the event half: PAYMENT_RECORDED on an ACME order reaches the warehouse (it
/// hears the company's orders) without its details, and accounting with them.
#[tokio::test]
async fn payment_event_details_are_shown_only_to_payment_readers() {
    let b = api_tests::billing::books().await;
    let sub = "subscription { orderEvents(filter: {kinds: [PAYMENT_RECORDED]}) { kind details } }";
    let mut listeners = vec![];
    for t in [&b.w.warehouse, &b.accounting] {
        let mut s = ws::connect(&b.w.app.url, t).await;
        ws::subscribe(&mut s, "1", sub, json!({})).await;
        listeners.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let order = b.bolts(&b.w.acme, 10).await;
    let r = b
        .pay(
            &b.w.acme,
            "1",
            Some(json!([{"scheduleLineId": format!("{order}:1"), "amount": "1"}])),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
    let mut got = vec![];
    for s in &mut listeners {
        let e = ws::next_data(s, "1", Duration::from_secs(10))
            .await
            .expect("the payment event");
        got.push(e["orderEvents"].clone());
    }
    assert_eq!(got[0]["kind"], "PAYMENT_RECORDED");
    assert!(got[0]["details"].is_null(), "warehouse: {}", got[0]);
    assert!(!got[1]["details"].is_null(), "accounting: {}", got[1]);
}

/// Finding 11: every bad bearer token gets the same answer, naming no library internals.
#[tokio::test]
async fn every_bad_token_gets_one_unauthenticated_message() {
    let app = spawn_with(
        true,
        &[("MERCATO_ENV", "prod"), ("MERCATO_METRICS_TOKEN", "m")],
    )
    .await;
    let b64 = |s: &str| {
        use std::fmt::Write;
        // URL-safe base64 without padding, by hand (the test has no base64 crate).
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = s.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                let _ = write!(out, "{}", A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    };
    let none_alg = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(r#"{"sub":"1"}"#)
    );
    let no_iss = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(r#"{"sub":"1","exp":9999999999,"iat":1}"#)
    );
    let mut messages = std::collections::BTreeSet::new();
    for bad in [
        none_alg.as_str(),
        no_iss.as_str(),
        "not.a.token!!",
        "a.b.c",
        "mct_nope_nope",
    ] {
        let r = app.gql(Some(bad), "{ me { kind } }", json!({})).await;
        assert_eq!(r.code(), "UNAUTHENTICATED", "{bad}: {}", r.0);
        let m = r.0["errors"][0]["message"].as_str().unwrap().to_owned();
        for leak in [
            "variant",
            "missing field",
            "Base64",
            "base64",
            "HS256",
            "iss",
        ] {
            assert!(!m.contains(leak), "{bad}: {m}");
        }
        messages.insert(m);
    }
    assert!(
        messages.len() <= 2,
        "JWTs and API tokens, one message each: {messages:?}"
    );
}

// --- input bounds ---------------------------------------------------------------------------

/// Finding 13: look-alike codes and invisible characters in names.
#[tokio::test]
async fn look_alike_codes_and_invisible_characters_are_refused_or_normalised() {
    let d = Demo::new().await;
    let create = "mutation($c: String!, $n: String!) { createCustomer(input: {code: $c, name: $n}) { customer { code name } } }";
    for (code, name) in [
        ("ACME\u{200b}", "Zero width"),
        ("ACM\u{0415}", "Cyrillic E"),
        ("NEW1", "Evil\u{202e}gpj.exe"),
    ] {
        let r = d
            .app
            .gql(Some(&d.admin), create, json!({"c": code, "n": name}))
            .await;
        assert_eq!(r.code(), "VALIDATION", "{code:?} {name:?}: {}", r.0);
    }
    // Full-width ＡＣＭＥ is ACME once normalised: taken.
    let r = d
        .app
        .gql(
            Some(&d.admin),
            create,
            json!({"c": "ＡＣＭＥ", "n": "Full width"}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT", "{}", r.0);
    let r = d
        .app
        .gql(
            Some(&d.admin),
            create,
            json!({"c": "ＮＥＷ２", "n": "Full width"}),
        )
        .await;
    assert_eq!(r.data()["createCustomer"]["customer"]["code"], "NEW2");
}

/// Finding 14: decimals are plain, terms are bounded, a day report has at most 366 periods.
#[tokio::test]
async fn lenient_decimals_endless_terms_and_a_367th_day_are_refused() {
    let d = Demo::new().await;
    for q in ["1_000", "1E2", ".5", "0x10"] {
        let r = d
            .create_as(
                &d.admin,
                &d.acme,
                json!([{"itemId": d.bolt, "quantity": q}]),
                json!({}),
            )
            .await;
        assert_eq!(r.code(), "VALIDATION", "{q}: {}", r.0);
    }
    let r = d
        .app
        .gql(
            Some(&d.admin),
            "mutation { createPaymentTerms(input: {code: \"FOREVER\", name: \"Forever\", installments: [{days: 2147483647, percent: \"100\"}]}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    let report = |to: &str| {
        d.app.gql(
            Some(&d.admin),
            "query($t: NaiveDate!) { expectedReceipts(from: \"2026-01-01\", to: $t, groupBy: DAY) { periods { periodStart } } }",
            json!({"t": to}),
        )
    };
    let r = report("2027-01-01").await;
    assert_eq!(
        r.data()["expectedReceipts"]["periods"]
            .as_array()
            .unwrap()
            .len(),
        366
    );
    assert_eq!(report("2027-01-02").await.code(), "VALIDATION");
}

/// Finding 14: a document link is parsed; in production only https to public hosts.
#[tokio::test]
async fn document_links_to_private_hosts_are_refused_in_production() {
    let app = spawn_with(
        true,
        &[("MERCATO_ENV", "prod"), ("MERCATO_METRICS_TOKEN", "m")],
    )
    .await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let bolt = app.id_of(&admin, "items", "BOLT-M8").await;
    let r = app
        .gql(
            Some(&admin),
            "mutation($c: ID!, $i: ID!) { createSalesOrder(input: {customerId: $c, lines: [{itemId: $i, quantity: \"1\"}]}) { salesOrder { id } } }",
            json!({"c": acme, "i": bolt}),
        )
        .await;
    let order = r.data()["createSalesOrder"]["salesOrder"]["id"].clone();
    let attach = "mutation($o: ID!, $u: String!) { attachOrderDocument(input: {orderId: $o, kind: OTHER, name: \"Spec\", url: $u}) { document { url } } }";
    for url in [
        "http://docs.example.com/a.pdf",
        "https://127.0.0.1/admin",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost:8080/x",
        "https://[::1]/x",
        "javascript:alert(1)",
    ] {
        let r = app
            .gql(Some(&admin), attach, json!({"o": order, "u": url}))
            .await;
        assert_eq!(r.code(), "VALIDATION", "{url}: {}", r.0);
    }
    let r = app
        .gql(
            Some(&admin),
            attach,
            json!({"o": order, "u": "https://docs.example.com/a.pdf"}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
}

// --- transport ------------------------------------------------------------------------------

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Finding 3: a compressed body is inflated only up to the body limit (the bound itself is a
/// unit test of `api::body`; the server's peak RSS under such bodies is `bench bombs`).
#[tokio::test]
async fn a_gzip_bomb_is_answered_413_and_a_small_gzip_body_runs() {
    let d = Demo::new().await;
    let post = |body: Vec<u8>, encoding: &'static str| {
        d.app
            .client
            .post(format!("{}/graphql", d.app.url))
            .header("Content-Type", "application/json")
            .header("Content-Encoding", encoding)
            .bearer_auth(&d.admin)
            .body(body)
            .send()
    };
    let mut json = br#"{"query":"{ me { kind } }","x":""#.to_vec();
    json.extend(std::iter::repeat_n(b' ', 32 << 20));
    json.extend(br#""}"#);
    let bomb = gzip(&json);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let resp = post(bomb, "gzip").await.unwrap();
    assert_eq!(resp.status(), 413);
    let v: Value = resp.json().await.unwrap();
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("after decompression"),
        "{v}"
    );
    let resp = post(gzip(br#"{"query":"{ me { kind } }"}"#), "gzip")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["data"]["me"]["kind"], "USER", "{v}");
    let resp = post(b"{}".to_vec(), "br").await.unwrap();
    assert_eq!(resp.status(), 415);
}

/// Finding 6: a body trickling in is cut off at the body deadline (408).
#[tokio::test]
async fn a_body_sent_one_byte_a_second_is_answered_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_with(true, &[("MERCATO_BODY_TIMEOUT_SECS", "1")]).await;
    let addr = app.url.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 4096];
    let read = async {
        loop {
            // One byte a second, as the attack did, until the server answers.
            tokio::select! {
                n = s.read(&mut answer) => return n.unwrap(),
                _ = tokio::time::sleep(Duration::from_millis(900)) => {}
            }
            if s.write_all(b" ").await.is_err() {
                return 0;
            }
        }
    };
    let n = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server answers within its deadline");
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Finding 6: a socket that never sends `connection_init` is closed with 4408, and one
/// address cannot hold more than its share of such sockets.
#[tokio::test]
async fn sockets_that_never_authenticate_are_closed_and_capped_per_address() {
    let app = spawn_with(
        true,
        &[
            ("MERCATO_WS_INIT_TIMEOUT_MS", "800"),
            ("MERCATO_WS_MAX_PENDING_PER_ADDRESS", "3"),
        ],
    )
    .await;
    let mut waiting = vec![];
    for _ in 0..3 {
        waiting.push(ws::open(&app.url).await);
    }
    // The fourth waiting socket from this address is refused at the upgrade.
    let mut req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("{}/graphql/ws", app.url.replace("http", "ws")),
    )
    .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let refused = tokio_tungstenite::connect_async(req).await;
    assert!(refused.is_err(), "a fourth waiting socket was accepted");
    for s in &mut waiting {
        let (code, _) = ws::closed(s, Duration::from_secs(5))
            .await
            .expect("closed for not authenticating");
        assert_eq!(code, 4408);
    }
    // Their slots are free again; an authenticated socket stays past the timeout.
    let admin = app.login("admin@iberia.example").await;
    let mut live = ws::connect(&app.url, &admin).await;
    assert!(
        ws::closed(&mut live, Duration::from_millis(1500))
            .await
            .is_none()
    );
}

/// Finding 14: a second `subscribe` with a running operation's id closes the socket with 4409.
#[tokio::test]
async fn a_duplicate_operation_id_closes_the_socket_with_4409() {
    let app = spawn_with(true, &[]).await;
    let admin = app.login("admin@iberia.example").await;
    let mut s = ws::connect(&app.url, &admin).await;
    let sub = "subscription { orderEvents { kind } }";
    ws::subscribe(&mut s, "dup", sub, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    ws::subscribe(&mut s, "dup", sub, json!({})).await;
    let (code, _) = ws::closed(&mut s, Duration::from_secs(5))
        .await
        .expect("closed");
    assert_eq!(code, 4409);
    // An id may be reused once its operation completed.
    let mut s = ws::connect(&app.url, &admin).await;
    ws::subscribe(&mut s, "q", "{ me { kind } }", json!({})).await;
    assert!(
        ws::next_data(&mut s, "q", Duration::from_secs(5))
            .await
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    ws::subscribe(&mut s, "q", "{ me { kind } }", json!({})).await;
    assert!(
        ws::next_data(&mut s, "q", Duration::from_secs(5))
            .await
            .is_some()
    );
    s.send(Message::text(
        json!({"type": "complete", "id": "none"}).to_string(),
    ))
    .await
    .unwrap();
}

/// Finding 4: an order of 1,000 lines and 49 aliases of it is refused over the socket too,
/// and the answer is never built past the cap.
#[tokio::test]
async fn an_answer_past_the_cap_is_one_error_on_sockets_and_over_http() {
    let app = spawn_with(true, &[("MERCATO_GRAPHQL_MAX_RESPONSE_BYTES", "200000")]).await;
    let admin = app.login("admin@iberia.example").await;
    let acme = app.id_of(&admin, "customers", "ACME").await;
    let svc = app.id_of(&admin, "items", "SVC-INSTALL").await;
    let lines: Vec<Value> = (0..300)
        .map(|_| json!({"itemId": svc, "quantity": "1", "description": "x".repeat(500)}))
        .collect();
    let r = app
        .gql(
            Some(&admin),
            "mutation($c: ID!, $l: [SalesOrderLineInput!]!) { createSalesOrder(input: {customerId: $c, lines: $l}) { salesOrder { id } } }",
            json!({"c": acme, "l": lines}),
        )
        .await;
    let id = r.data()["createSalesOrder"]["salesOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = format!(
        "query($o: ID!) {{ {} }}",
        (0..10)
            .map(|i| format!("a{i}: salesOrder(id: $o) {{ lines {{ id description }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let r = app.gql(Some(&admin), &q, json!({"o": id})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert_eq!(r.0["errors"].as_array().unwrap().len(), 1);
    assert!(r.0["data"].is_null());
    let mut s = ws::connect(&app.url, &admin).await;
    ws::subscribe(&mut s, "big", &q, json!({"o": id})).await;
    let msg = ws::next(&mut s, Duration::from_secs(10))
        .await
        .expect("an answer");
    let text = msg.to_string();
    assert!(text.len() < 2_000, "{} bytes over the socket", text.len());
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "VALIDATION",
        "{msg}"
    );
    // One copy fits.
    let r = app
        .gql(
            Some(&admin),
            "query($o: ID!) { salesOrder(id: $o) { lines { id description } } }",
            json!({"o": id}),
        )
        .await;
    assert_eq!(
        r.data()["salesOrder"]["lines"].as_array().unwrap().len(),
        300
    );
}

/// Finding 5: repeating a field without aliases counts against the field limit, before any
/// of the copies runs; an anonymous caller gets one short error, not a megabyte.
#[tokio::test]
async fn repeated_fields_count_against_the_field_limit() {
    let d = Demo::new().await;
    let q = format!("{{ {} }}", "company { code } ".repeat(2_000));
    let before = d.app.state.statements.get();
    let r = d.app.gql(Some(&d.admin), &q, json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert!(
        r.0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fields")
    );
    assert!(d.app.state.statements.get() - before < 10, "the copies ran");
    let q = format!(
        "{{ {} }}",
        "me { user { salesRep { code } } } ".repeat(6_000)
    );
    let resp = d.app.post_raw(None, json!({ "query": q })).await;
    let body = resp.text().await.unwrap();
    assert!(body.len() < 2_000, "{} bytes", body.len());
    // Fragments spread many times count each time they are spread.
    let frag = format!(
        "query {{ {} }} fragment C on Query {{ company {{ code name }} }}",
        "...C ".repeat(300)
    );
    let r = d.app.gql(Some(&d.admin), &frag, json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    // A document too long to be worth parsing (12,000 copies, 192 KB) is refused unparsed.
    let q = format!("{{ {} }}", "company { code } ".repeat(12_000));
    let r = d.app.gql(Some(&d.admin), &q, json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    assert!(
        r.0["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bytes")
    );
    // An ordinary page still runs.
    let r = d
        .app
        .gql(
            Some(&d.admin),
            "{ salesOrders(first: 50) { totalCount nodes { id number customer { code name } lines { id quantity item { sku name } } } } }",
            json!({}),
        )
        .await;
    assert!(r.is_ok(), "{}", r.0);
}

/// Finding 12: what a tenant admin learns of another company's identifiers is bounded: the
/// answer names nobody, and past the hourly quota the caller is told RATE_LIMITED.
#[tokio::test]
async fn probing_another_tenants_addresses_is_answered_vaguely_and_throttled() {
    let app = spawn_with(true, &[("MERCATO_PROBES_PER_HOUR", "3")]).await;
    let blk = app.login("admin@balkan.example").await;
    let create = "mutation($e: String!) { createUser(input: {email: $e, name: \"Probe\", password: \"probe-password-123\", role: WAREHOUSE}) { user { id } } }";
    let mut codes = vec![];
    for _ in 0..4 {
        let r = app
            .gql(Some(&blk), create, json!({"e": "ana@iberia.example"}))
            .await;
        let m = r.0["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!m.contains("IBX") && !m.contains("Ana"), "{m}");
        codes.push(r.code());
    }
    assert_eq!(codes, ["CONFLICT", "CONFLICT", "CONFLICT", "RATE_LIMITED"]);
    let r = app
        .gql(
            Some(&blk),
            "mutation { createCompany(input: {code: \"IBX\", name: \"Probe\", currency: \"EUR\", adminEmail: \"p@probe.example\", adminName: \"P\", adminPassword: \"probe-password-123\"}) { company { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "RATE_LIMITED", "{}", r.0);
}
