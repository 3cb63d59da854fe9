//! Documents people read (R-DOC-1…3): invoices, delivery notes and the others rendered as
//! HTML and PDF in the document's language, fetched by URL with the GraphQL object's
//! visibility, and a posted invoice's bytes fixed forever (R-DOC-2).
use api::render::i18n::Locale;
use api_tests::billing::{Books, books};
use api_tests::fulfil::dec;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn fetch(b: &Books, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = b.w.app.client.get(format!("{}{path}", b.w.app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request sent")
}

async fn bytes(b: &Books, token: &str, path: &str) -> Vec<u8> {
    let r = fetch(b, Some(token), path).await;
    assert_eq!(r.status(), 200, "{path}");
    let body = r.bytes().await.unwrap().to_vec();
    // `MERCATO_DOCUMENT_DUMP=dir` keeps what the tests fetched, to look at.
    if let Ok(dir) = std::env::var("MERCATO_DOCUMENT_DUMP") {
        let name = path
            .trim_start_matches("/documents/")
            .replace(['/', '?', '='], "_");
        std::fs::write(std::path::Path::new(&dir).join(name), &body).unwrap();
    }
    body
}

/// The text of every page of a PDF, as a reader extracts it (through the ToUnicode maps).
fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a well-formed PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("its text extracts")
}

/// ACME (Spanish) buys 100 bolts; the invoice is posted. BOLT-M8 is described in Spanish
/// and Bulgarian (R-ITEM-5). Returns (invoice, delivery note id).
async fn posted_invoice(b: &Books) -> (Value, String) {
    let w = &b.w;
    b.gql(
        &w.admin,
        "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
        json!({"i": {"id": w.bolt, "fields": {"descriptions": [
            {"language": "es", "text": "Tornillo hexagonal M8"},
            {"language": "bg", "text": "Болт шестостенен M8"}
        ]}}}),
    )
    .await
    .data();
    b.gql(
        &w.admin,
        "mutation($i: UpdateCompanyInput!) { updateCompany(input: $i) { company { taxId } } }",
        json!({"i": {"address": "Calle Mayor 1\n28013 Madrid", "taxId": "ESB12345678", "language": "es"}}),
    )
    .await
    .data();
    let order = b.bolts(&w.acme, 100).await;
    let shipment = b.ship(&order).await;
    let inv = b.invoice_orders(&[&order]).await;
    let id = inv["id"].as_str().unwrap().to_owned();
    let posted = b.post(&id).await.data()["postInvoice"]["invoice"].clone();
    (posted, shipment)
}

#[tokio::test]
async fn an_invoice_renders_in_spanish_and_bulgarian_with_its_taxes_r_doc_1_r_doc_3() {
    let b = books().await;
    let (inv, _) = posted_invoice(&b).await;
    let id = inv["id"].as_str().unwrap();
    let number = inv["number"].as_str().unwrap();
    let total = dec(&inv["amounts"]["totalWithTax"]);
    let tax = &inv["taxes"][0];

    let r = fetch(
        &b,
        Some(&b.accounting),
        &format!("/documents/invoice/{id}.pdf"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains(&format!("invoice-{number}.pdf")),
        "{disposition}"
    );
    assert!(headers.contains_key("etag"));
    assert_eq!(headers["content-language"], "es");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let es = pdf_text(&pdf);
    let l = Locale::new("es");
    for expected in [
        "Factura".to_owned(),
        number.to_owned(),
        "Tornillo hexagonal M8".to_owned(),
        "Acme Industrial S.A.".to_owned(),
        "ESB12345678".to_owned(),
        l.amount(total, "EUR"),
        l.amount(dec(&tax["base"]), "EUR"),
        l.amount(dec(&tax["tax"]), "EUR"),
        "DESGLOSE DE IMPUESTOS".to_owned(),
    ] {
        assert!(
            es.contains(&expected),
            "{expected:?} not in the Spanish PDF:\n{es}"
        );
    }

    let bg = pdf_text(
        &bytes(
            &b,
            &b.accounting,
            &format!("/documents/invoice/{id}.pdf?language=bg"),
        )
        .await,
    );
    let l = Locale::new("bg");
    for expected in [
        "Фактура".to_owned(),
        "Болт шестостенен M8".to_owned(),
        "ДАНЪЧНА ОСНОВА И ДДС".to_owned(),
        l.amount(total, "EUR"),
        l.amount(dec(&tax["tax"]), "EUR"),
    ] {
        assert!(
            bg.contains(&expected),
            "{expected:?} not in the Bulgarian PDF:\n{bg}"
        );
    }

    // An unknown language falls back to the company's (Spanish).
    let r = fetch(
        &b,
        Some(&b.accounting),
        &format!("/documents/invoice/{id}.html?language=fr"),
    )
    .await;
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(html.contains(number));

    // The same bytes answer a conditional request with 304.
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let again =
        b.w.app
            .client
            .get(format!("{}/documents/invoice/{id}.pdf", b.w.app.url))
            .bearer_auth(&b.accounting)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
    assert_eq!(again.status(), 304);

    let url = b
        .gql(
            &b.accounting,
            "query($i: ID!) { invoice(id: $i) { documentUrl(format: PDF) } }",
            json!({"i": id}),
        )
        .await;
    assert_eq!(
        url.data()["invoice"]["documentUrl"],
        format!("/documents/invoice/{id}.pdf")
    );
}

async fn content_hash(b: &Books, id: &str) -> String {
    b.gql(
        &b.accounting,
        "query($i: ID!) { invoice(id: $i) { contentHash } }",
        json!({"i": id}),
    )
    .await
    .data()["invoice"]["contentHash"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_posted_invoice_renders_the_same_bytes_after_its_data_changes_r_doc_2() {
    let b = books().await;
    let (inv, _) = posted_invoice(&b).await;
    let id = inv["id"].as_str().unwrap();
    let hash = content_hash(&b, id).await;
    let path = format!("/documents/invoice/{id}.pdf");
    let pdf = bytes(&b, &b.accounting, &path).await;
    assert_eq!(hash, hex::encode(Sha256::digest(&pdf)));
    let bg = bytes(&b, &b.accounting, &format!("{path}?language=bg")).await;

    // The customer, the item's descriptions and the company change after posting.
    let w = &b.w;
    b.gql(
        &w.admin,
        "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) { customer { name } } }",
        json!({"i": {"id": w.acme, "fields": {"name": "Acme Renamed S.L."}}}),
    )
    .await
    .data();
    b.gql(
        &w.admin,
        "mutation($i: UpdateItemInput!) { updateItem(input: $i) { item { id } } }",
        json!({"i": {"id": w.bolt, "fields": {"descriptions": [
            {"language": "es", "text": "Otra cosa"}, {"language": "bg", "text": "Друго"}
        ]}}}),
    )
    .await
    .data();
    b.gql(
        &w.admin,
        "mutation($i: UpdateCompanyInput!) { updateCompany(input: $i) { company { taxId } } }",
        json!({"i": {"taxId": "ESX0000000"}}),
    )
    .await
    .data();

    assert_eq!(bytes(&b, &b.accounting, &path).await, pdf, "the same bytes");
    assert_eq!(
        bytes(&b, &b.accounting, &format!("{path}?language=bg")).await,
        bg
    );
    assert_eq!(content_hash(&b, id).await, hash);
    assert!(!pdf_text(&pdf).contains("Renamed"));

    // A document that is not frozen follows the data: the order confirmation shows the new
    // name and description.
    let (order, _) = w.order(&w.admin, &w.acme, 1).await;
    let text = pdf_text(
        &bytes(
            &b,
            &w.admin,
            &format!("/documents/order-confirmation/{order}.pdf"),
        )
        .await,
    );
    assert!(
        text.contains("Acme Renamed S.L.") && text.contains("Otra cosa"),
        "{text}"
    );
}

#[tokio::test]
async fn documents_by_url_are_seen_only_within_the_callers_scope_r_doc_1() {
    let b = books().await;
    let (inv, shipment) = posted_invoice(&b).await;
    let id = inv["id"].as_str().unwrap();
    let app = &b.w.app;
    let ana = app.login("ana@iberia.example").await; // ACME's rep
    let boris = app.login("boris@iberia.example").await; // GLOBEX's rep only
    let path = format!("/documents/invoice/{id}.pdf");

    assert_eq!(fetch(&b, Some(&ana), &path).await.status(), 200);
    let outside = fetch(&b, Some(&boris), &path).await;
    assert_eq!(outside.status(), 404);
    let outside_body = outside.text().await.unwrap();
    let missing = fetch(&b, Some(&boris), "/documents/invoice/999999.pdf").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().await.unwrap(),
        outside_body,
        "no hint that it exists"
    );
    // The warehouse does not read invoices: the same 404.
    assert_eq!(fetch(&b, Some(&b.w.warehouse), &path).await.status(), 404);
    assert_eq!(fetch(&b, None, &path).await.status(), 401);
    assert_eq!(fetch(&b, Some("not-a-token"), &path).await.status(), 401);
    // An invoice id asked for as a credit note, an odd kind or extension: 404.
    for odd in [
        format!("/documents/credit-note/{id}.pdf"),
        format!("/documents/nonsense/{id}.pdf"),
        format!("/documents/invoice/{id}.exe"),
        "/documents/invoice/-1.pdf".to_owned(),
        format!("/documents/invoice/{}.pdf", "9".repeat(40)),
    ] {
        assert_eq!(
            fetch(&b, Some(&b.accounting), &odd).await.status(),
            404,
            "{odd}"
        );
    }

    // The delivery note: ana sees it, boris does not.
    let note = format!("/documents/delivery-note/{shipment}.html");
    let html = String::from_utf8(bytes(&b, &ana, &note).await).unwrap();
    assert!(
        html.contains("Albarán") && html.contains("BOLT-M8"),
        "{html}"
    );
    assert_eq!(fetch(&b, Some(&boris), &note).await.status(), 404);
}
