//! Credit risk without reading every open order (R-ORD-9), on PostgreSQL.
//!
//! The risk of a customer sums the value of all its counted orders. Summed at every save, that
//! cost grew with the customer's open orders: 18 ms per check at 5,000 orders, twice per
//! order placed, and the throughput of `place-order` halved within a minute of load. Triggers
//! now keep what the check needs:
//!
//! - `credit_deltas`: every change of an order's credit terms (undelivered value, freight
//!   waiting for its invoice) appends a row — an `INSERT` takes no lock that another order's
//!   save could wait on, so customers with many concurrent orders do not queue on a total row,
//!   and no lock order with the number series can deadlock;
//! - `credit_totals`: one row per customer, into which the event relay folds the deltas in one
//!   statement (`domain::credit::fold_deltas`); a reader adds the total and the few deltas not
//!   folded yet in one snapshot, so it sees each change exactly once;
//! - `credit_watch`: the orders whose lines the check must read (some of their value shipped,
//!   was handed over to a backorder or was billed) or which carry an advance not yet applied.
//!   It may hold more orders than need it (the check applies the exact conditions to each), it
//!   never holds fewer; a closed or cancelled order leaves it.
//!
//! The term functions are the single definition of what an order contributes, used by the
//! trigger, the backfill below and the check. SQLite keeps amounts as text and cannot add them
//! exactly, so there the check still reads the counted orders and sums them in Rust.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000009_credit_totals"
    }
}

const UP: [&str; 15] = [
    "CREATE FUNCTION mercato_credit_undelivered(kind text, status text, total numeric, \
     freight numeric, freight_invoiced boolean) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ \
     SELECT CASE WHEN kind = 'ORDER' AND status IN ('DRAFT', 'CONFIRMED', 'PARTIALLY_SHIPPED') \
     THEN total - CASE WHEN freight_invoiced THEN freight ELSE 0 END ELSE 0 END $$",
    "CREATE FUNCTION mercato_credit_to_invoice(kind text, status text, freight numeric, \
     freight_invoiced boolean) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ \
     SELECT CASE WHEN kind = 'ORDER' AND status = 'SHIPPED' AND NOT freight_invoiced \
     THEN freight ELSE 0 END $$",
    "CREATE FUNCTION mercato_credit_watched(kind text, status text, advance numeric, \
     applied numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ \
     SELECT kind = 'ORDER' AND (status IN ('PARTIALLY_SHIPPED', 'SHIPPED') \
     OR (status <> 'CANCELLED' AND advance <> applied)) $$",
    "CREATE TABLE credit_totals (customer_id BIGINT PRIMARY KEY, \
     undelivered NUMERIC NOT NULL, to_invoice NUMERIC NOT NULL)",
    "CREATE TABLE credit_deltas (id BIGSERIAL PRIMARY KEY, customer_id BIGINT NOT NULL, \
     undelivered NUMERIC NOT NULL, to_invoice NUMERIC NOT NULL)",
    "CREATE INDEX credit_deltas_customer ON credit_deltas (customer_id)",
    "CREATE TABLE credit_watch (order_id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL)",
    "CREATE INDEX credit_watch_customer ON credit_watch (customer_id)",
    r#"CREATE FUNCTION mercato_order_credit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_u numeric := 0; old_t numeric := 0; new_u numeric := 0; new_t numeric := 0;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_u := mercato_credit_undelivered(OLD.kind, OLD.status, OLD.company_total_amount,
      OLD.company_freight_amount, OLD.freight_invoiced);
    old_t := mercato_credit_to_invoice(OLD.kind, OLD.status, OLD.company_freight_amount,
      OLD.freight_invoiced);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_u := mercato_credit_undelivered(NEW.kind, NEW.status, NEW.company_total_amount,
      NEW.company_freight_amount, NEW.freight_invoiced);
    new_t := mercato_credit_to_invoice(NEW.kind, NEW.status, NEW.company_freight_amount,
      NEW.freight_invoiced);
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.customer_id = NEW.customer_id THEN
    IF new_u <> old_u OR new_t <> old_t THEN
      INSERT INTO credit_deltas (customer_id, undelivered, to_invoice)
        VALUES (NEW.customer_id, new_u - old_u, new_t - old_t);
    END IF;
  ELSE
    IF TG_OP <> 'INSERT' AND (old_u <> 0 OR old_t <> 0) THEN
      INSERT INTO credit_deltas (customer_id, undelivered, to_invoice)
        VALUES (OLD.customer_id, -old_u, -old_t);
    END IF;
    IF TG_OP <> 'DELETE' AND (new_u <> 0 OR new_t <> 0) THEN
      INSERT INTO credit_deltas (customer_id, undelivered, to_invoice)
        VALUES (NEW.customer_id, new_u, new_t);
    END IF;
  END IF;
  IF TG_OP = 'DELETE' OR NEW.status = 'CANCELLED'
     OR (NEW.status = 'CLOSED' AND NEW.advance_amount = NEW.advance_applied) THEN
    DELETE FROM credit_watch WHERE order_id = OLD.id;
  ELSIF mercato_credit_watched(NEW.kind, NEW.status, NEW.advance_amount, NEW.advance_applied) THEN
    INSERT INTO credit_watch (order_id, customer_id) VALUES (NEW.id, NEW.customer_id)
      ON CONFLICT (order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id
      WHERE credit_watch.customer_id <> EXCLUDED.customer_id;
  ELSIF TG_OP = 'UPDATE' AND OLD.customer_id <> NEW.customer_id THEN
    UPDATE credit_watch SET customer_id = NEW.customer_id WHERE order_id = NEW.id;
  END IF;
  RETURN NULL;
END $$"#,
    "CREATE TRIGGER sales_orders_credit AFTER INSERT OR UPDATE OR DELETE ON sales_orders \
     FOR EACH ROW EXECUTE FUNCTION mercato_order_credit()",
    r#"CREATE FUNCTION mercato_order_value_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO credit_watch (order_id, customer_id)
    SELECT id, customer_id FROM sales_orders
    WHERE id = NEW.order_id AND kind = 'ORDER' AND status NOT IN ('CLOSED', 'CANCELLED')
    ON CONFLICT (order_id) DO NOTHING;
  RETURN NULL;
END $$"#,
    "CREATE TRIGGER backorders_credit AFTER INSERT OR UPDATE OF status ON backorders \
     FOR EACH ROW WHEN (NEW.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) \
     EXECUTE FUNCTION mercato_order_value_moved()",
    "CREATE TRIGGER invoice_lines_credit AFTER INSERT OR UPDATE OF order_id ON invoice_lines \
     FOR EACH ROW WHEN (NEW.order_id IS NOT NULL) EXECUTE FUNCTION mercato_order_value_moved()",
    "INSERT INTO credit_totals (customer_id, undelivered, to_invoice) \
     SELECT customer_id, \
     SUM(mercato_credit_undelivered(kind, status, company_total_amount, company_freight_amount, \
     freight_invoiced)), \
     SUM(mercato_credit_to_invoice(kind, status, company_freight_amount, freight_invoiced)) \
     FROM sales_orders GROUP BY customer_id",
    "INSERT INTO credit_watch (order_id, customer_id) \
     SELECT id, customer_id FROM sales_orders o \
     WHERE mercato_credit_watched(kind, status, advance_amount, advance_applied) \
     OR (kind = 'ORDER' AND status NOT IN ('CLOSED', 'CANCELLED') AND ( \
     EXISTS (SELECT 1 FROM backorders b WHERE b.order_id = o.id \
     AND b.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) \
     OR EXISTS (SELECT 1 FROM invoice_lines il WHERE il.order_id = o.id)))",
];

const DOWN: [&str; 11] = [
    "DROP TRIGGER IF EXISTS invoice_lines_credit ON invoice_lines",
    "DROP TRIGGER IF EXISTS backorders_credit ON backorders",
    "DROP TRIGGER IF EXISTS sales_orders_credit ON sales_orders",
    "DROP FUNCTION IF EXISTS mercato_order_value_moved()",
    "DROP FUNCTION IF EXISTS mercato_order_credit()",
    "DROP TABLE IF EXISTS credit_watch",
    "DROP TABLE IF EXISTS credit_deltas",
    "DROP TABLE IF EXISTS credit_totals",
    "DROP FUNCTION IF EXISTS mercato_credit_watched(text, text, numeric, numeric)",
    "DROP FUNCTION IF EXISTS mercato_credit_to_invoice(text, text, numeric, boolean)",
    "DROP FUNCTION IF EXISTS mercato_credit_undelivered(text, text, numeric, numeric, boolean)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, &UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, &DOWN).await
    }
}

/// PostgreSQL only (see the module documentation); on SQLite the migration is recorded and
/// does nothing.
async fn run(m: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if m.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = m.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
