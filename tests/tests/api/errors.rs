//! Errors keep their cause (issue 12): a database failure answers INTERNAL with a request id
//! and nothing of the SQL, and the log line for that request holds the database's own message.
use api_tests::spawn_demo;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything the process logs, for the assertions.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_database_answers_internal_with_a_request_id_and_logs_the_cause() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::ERROR)
        .init();
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    let db = &app.state.db;
    let drop = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "DROP TABLE item_barcodes CASCADE",
        _ => "DROP TABLE item_barcodes",
    };
    db.execute_unprepared(drop).await.unwrap();

    let r = app
        .gql(
            Some(&admin),
            "{ items(first: 5) { nodes { sku barcodes } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "INTERNAL", "{}", r.0);
    let err = &r.0["errors"][0];
    assert_eq!(err["message"], "internal error");
    let request_id = err["extensions"]["requestId"]
        .as_str()
        .expect("a request id")
        .to_owned();
    let answer = r.0.to_string();
    assert!(
        !answer.contains("item_barcodes") && !answer.contains("SELECT"),
        "no SQL for the client: {answer}"
    );

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(&request_id))
        .unwrap_or_else(|| panic!("no log line for request {request_id}: {text}"));
    assert!(
        line.contains("item_barcodes"),
        "the log names the database's complaint: {line}"
    );
    assert!(
        line.contains("BarcodesByItem"),
        "and what was being done: {line}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains(&request_id)).count(),
        1,
        "logged once: {text}"
    );
}
