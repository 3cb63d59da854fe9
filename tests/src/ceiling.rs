//! `bench ceiling`: what PostgreSQL alone can do with the statements of one `place-order`.
//!
//! The script mirrors, statement for statement, what the server sends for one order of three
//! lines (create, then confirm with reservation) as PostgreSQL's statement log shows it
//! (`log_statement = all`; see README "Performance"): the same tables, the same filters and
//! locks, the same multi-row writes, the same transaction boundaries, the three items drawn at
//! random from the same 200 the scenario uses and the customer alternating the same way. It
//! is written by hand from that log, not replayed from it: values that flow from one statement
//! to the next (the new order's id, its lines, its number) are carried with `\gset` or
//! sub-selects, and the columns a statement writes but nothing reads back are shortened. The
//! per-request read of the caller (user row) is included; HTTP, JSON, GraphQL and the
//! server's own work are what the ratio measures.

/// What the script needs from the seeded database.
pub struct Params {
    pub company_id: i64,
    pub user_id: i64,
    pub customers: [i64; 2],
    pub rep_id: i64,
    /// The scenario's items have consecutive ids from `first_item` to `last_item`.
    pub first_item: i64,
    pub last_item: i64,
}

pub fn script(p: &Params) -> String {
    let Params {
        company_id: co,
        user_id: user,
        customers: [c1, c2],
        rep_id: rep,
        first_item: lo,
        last_item: hi,
    } = p;
    format!(
        r#"\set i1 random({lo}, {hi})
\set i2 random({lo}, {hi})
\set i3 random({lo}, {hi})
\set c random(0, 1)
\set customer {c1} + :c * ({c2} - {c1})
-- createSalesOrder: the caller, the reads on one connection outside any transaction, then
-- one statement that takes the number and writes the order, its lines and its event.
SELECT * FROM users WHERE id = {user} LIMIT 1;
SELECT c.*, (SELECT a.id FROM customer_addresses a WHERE a.customer_id = c.id AND a.kind = 'SHIPPING' ORDER BY a.is_default DESC, a.id LIMIT 1) AS ship_to_id, (SELECT db_id FROM setup_version WHERE id = 1) AS setup_db_id, (SELECT version FROM setup_version WHERE id = 1) AS setup_version, EXISTS (SELECT 1 FROM agreements a WHERE a.customer_id = c.id AND a.kind = 'SALES' AND a.status = 'EFFECTIVE') AS under_agreement, nextval(pg_get_serial_sequence('sales_orders', 'id')) AS order_id FROM customers c WHERE c.id = :customer AND c.company_id = {co} AND c.sales_rep_id IN ({rep}) \gset cust_
SELECT i.*, (SELECT cp.id FROM customer_prices cp WHERE cp.item_id = i.id AND cp.customer_id = :customer) AS cp_id, (SELECT cp.price FROM customer_prices cp WHERE cp.item_id = i.id AND cp.customer_id = :customer) AS cp_price, (SELECT cp.discount_percent FROM customer_prices cp WHERE cp.item_id = i.id AND cp.customer_id = :customer) AS cp_discount, (SELECT d.description FROM item_descriptions d WHERE d.item_id = i.id AND d.language = 'es') AS description FROM items i WHERE i.company_id = {co} AND i.id IN (:i1, :i2, :i3);
SELECT 'O' AS src, o.id, o.status, o.company_total_amount AS a, o.company_net_amount AS b, o.company_freight_amount AS c, o.advance_amount AS d, o.advance_applied AS e, o.exchange_rate AS f, o.freight_invoiced AS g, EXISTS (SELECT 1 FROM backorders b WHERE b.order_id = o.id AND b.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) AS h, EXISTS (SELECT 1 FROM invoice_lines il WHERE il.order_id = o.id) AS i FROM sales_orders o WHERE o.customer_id = :customer AND o.kind = 'ORDER' AND o.id = ANY (ARRAY(SELECT order_id FROM credit_watch WHERE customer_id = :customer)) AND ((o.status IN ('DRAFT', 'CONFIRMED', 'PARTIALLY_SHIPPED', 'SHIPPED') AND o.id <> :cust_order_id AND (o.status IN ('PARTIALLY_SHIPPED', 'SHIPPED') OR EXISTS (SELECT 1 FROM backorders b WHERE b.order_id = o.id AND b.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) OR EXISTS (SELECT 1 FROM invoice_lines il WHERE il.order_id = o.id))) OR (o.status <> 'CANCELLED' AND o.advance_amount <> o.advance_applied)) UNION ALL (SELECT 'I', id, status, total_amount, paid_amount, credited_amount, advance_amount, company_total_amount, company_total_amount, false, false, false FROM invoices WHERE customer_id = :customer AND kind = 'INVOICE' AND status IN ('PENDING', 'POSTED') AND financial_status <> 'PAID') UNION ALL (SELECT 'P', id, status, company_amount, company_allocated_amount, company_amount, company_amount, company_amount, company_amount, false, false, false FROM payments WHERE customer_id = :customer AND status = 'RECORDED') UNION ALL (SELECT 'S', 0, '', COALESCE((SELECT undelivered FROM credit_totals WHERE customer_id = :customer), 0) + COALESCE((SELECT SUM(undelivered) FROM credit_deltas WHERE customer_id = :customer), 0) - COALESCE((SELECT mercato_credit_undelivered(kind, status, company_total_amount, company_freight_amount, freight_invoiced) FROM sales_orders WHERE id = :cust_order_id AND customer_id = :customer), 0), COALESCE((SELECT to_invoice FROM credit_totals WHERE customer_id = :customer), 0) + COALESCE((SELECT SUM(to_invoice) FROM credit_deltas WHERE customer_id = :customer), 0) - COALESCE((SELECT mercato_credit_to_invoice(kind, status, company_freight_amount, freight_invoiced) FROM sales_orders WHERE id = :cust_order_id AND customer_id = :customer), 0), 0::numeric, 0::numeric, 0::numeric, 0::numeric, false, false, false);
WITH taken AS (INSERT INTO number_series (company_id, code, doc_type, next_number) VALUES ({co}, 'A', 'ORDER', 2) ON CONFLICT (company_id, code, doc_type) DO UPDATE SET next_number = number_series.next_number + 1 RETURNING next_number), new_document AS (INSERT INTO sales_orders (id, company_id, kind, series, number, customer_id, sales_rep_id, status, financial_status, credit_hold, order_date, currency, exchange_rate, language, freight_terms, version, created_by, created_at, updated_at, weight, volume, gross_amount, discount_amount, net_amount, freight_amount, total_amount, company_gross_amount, company_net_amount, company_freight_amount, company_total_amount) VALUES (:cust_order_id, {co}, 'ORDER', 'A', (SELECT next_number - 1 FROM taken), :customer, {rep}, 'DRAFT', 'UNPAID', false, current_date, 'EUR', 1, 'es', 'ON_INVOICE', 1, 'user:{user}', now(), now(), 0, 0, 7.5, 0, 7.5, 0, 7.5, 7.5, 7.5, 0, 7.5) RETURNING *), new_lines AS (INSERT INTO sales_order_lines (company_id, order_id, position, item_id, description, quantity, bonus_quantity, unit_price, discount_percent, price_source, cost, shipped_quantity, created_at) VALUES ({co}, :cust_order_id, 1, :i1, 'Bench item', 1, 0, 1.25, 0, 'LIST', 0, 0, now()), ({co}, :cust_order_id, 2, :i2, 'Bench item', 2, 0, 1.25, 0, 'LIST', 0, 0, now()), ({co}, :cust_order_id, 3, :i3, 'Bench item', 3, 0, 1.25, 0, 'LIST', 0, 0, now()) RETURNING *), events AS (INSERT INTO outbox (company_id, kind, order_id, customer_id, customer_rep_id, order_rep_id, status, financial_status, payload, occurred_at, published_at, item_id, warehouse_id) VALUES ({co}, 'ORDER_CREATED', :cust_order_id, :customer, {rep}, {rep}, 'DRAFT', 'UNPAID', NULL, now(), NULL, NULL, NULL)) SELECT new_lines.*, new_document.* FROM new_lines, new_document ORDER BY new_lines.position;
-- confirmSalesOrder(createBackorders: true).
SELECT * FROM users WHERE id = {user} LIMIT 1;
BEGIN;
SELECT o.*, c.*, (SELECT db_id FROM setup_version WHERE id = 1) AS setup_db_id, (SELECT version FROM setup_version WHERE id = 1) AS setup_version FROM sales_orders o JOIN customers c ON o.customer_id = c.id WHERE o.id = :cust_order_id AND o.company_id = {co} AND (o.sales_rep_id IN ({rep}) OR o.customer_id IN (SELECT id FROM customers WHERE company_id = {co} AND sales_rep_id IN ({rep}))) AND o.kind = 'ORDER' FOR UPDATE OF o;
SELECT l.*, i.*, EXISTS (SELECT 1 FROM reservations WHERE order_id = :cust_order_id) AS has_reservations, EXISTS (SELECT 1 FROM backorders WHERE order_id = :cust_order_id) AS has_backorders FROM sales_order_lines l JOIN items i ON l.item_id = i.id WHERE l.order_id = :cust_order_id ORDER BY l.position, l.id;
SELECT 'O' AS src, o.id, o.status, o.company_total_amount AS a, o.company_net_amount AS b, o.company_freight_amount AS c, o.advance_amount AS d, o.advance_applied AS e, o.exchange_rate AS f, o.freight_invoiced AS g, EXISTS (SELECT 1 FROM backorders b WHERE b.order_id = o.id AND b.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) AS h, EXISTS (SELECT 1 FROM invoice_lines il WHERE il.order_id = o.id) AS i FROM sales_orders o WHERE o.customer_id = :customer AND o.kind = 'ORDER' AND o.id = ANY (ARRAY(SELECT order_id FROM credit_watch WHERE customer_id = :customer)) AND ((o.status IN ('DRAFT', 'CONFIRMED', 'PARTIALLY_SHIPPED', 'SHIPPED') AND o.id <> :cust_order_id AND (o.status IN ('PARTIALLY_SHIPPED', 'SHIPPED') OR EXISTS (SELECT 1 FROM backorders b WHERE b.order_id = o.id AND b.status IN ('PARTIALLY_FULFILLED', 'FULFILLED', 'CANCELLED')) OR EXISTS (SELECT 1 FROM invoice_lines il WHERE il.order_id = o.id))) OR (o.status <> 'CANCELLED' AND o.advance_amount <> o.advance_applied)) UNION ALL (SELECT 'I', id, status, total_amount, paid_amount, credited_amount, advance_amount, company_total_amount, company_total_amount, false, false, false FROM invoices WHERE customer_id = :customer AND kind = 'INVOICE' AND status IN ('PENDING', 'POSTED') AND financial_status <> 'PAID') UNION ALL (SELECT 'P', id, status, company_amount, company_allocated_amount, company_amount, company_amount, company_amount, company_amount, false, false, false FROM payments WHERE customer_id = :customer AND status = 'RECORDED') UNION ALL (SELECT 'S', 0, '', COALESCE((SELECT undelivered FROM credit_totals WHERE customer_id = :customer), 0) + COALESCE((SELECT SUM(undelivered) FROM credit_deltas WHERE customer_id = :customer), 0) - COALESCE((SELECT mercato_credit_undelivered(kind, status, company_total_amount, company_freight_amount, freight_invoiced) FROM sales_orders WHERE id = :cust_order_id AND customer_id = :customer), 0), COALESCE((SELECT to_invoice FROM credit_totals WHERE customer_id = :customer), 0) + COALESCE((SELECT SUM(to_invoice) FROM credit_deltas WHERE customer_id = :customer), 0) - COALESCE((SELECT mercato_credit_to_invoice(kind, status, company_freight_amount, freight_invoiced) FROM sales_orders WHERE id = :cust_order_id AND customer_id = :customer), 0), 0::numeric, 0::numeric, 0::numeric, 0::numeric, false, false, false);
SELECT * FROM stock_levels WHERE company_id = {co} AND item_id IN (:i1, :i2, :i3) ORDER BY id FOR UPDATE;
WITH carried_0 AS (UPDATE stock_levels s SET reserved = s.reserved + l.quantity, updated_at = now() FROM (SELECT item_id, sum(quantity) AS quantity FROM sales_order_lines WHERE order_id = :cust_order_id GROUP BY item_id) l WHERE s.item_id = l.item_id AND s.company_id = {co} AND s.on_hand >= s.reserved + l.quantity RETURNING 1), carried_1 AS (INSERT INTO reservations (company_id, order_id, order_line_id, item_id, stock_level_id, warehouse_id, location, lot, quantity, created_by, created_at) SELECT {co}, :cust_order_id, l.id, l.item_id, s.id, s.warehouse_id, s.location, s.lot, l.quantity, 'user:{user}', now() FROM sales_order_lines l JOIN stock_levels s ON s.item_id = l.item_id AND s.company_id = {co} WHERE l.order_id = :cust_order_id), carried_2 AS (UPDATE sales_orders SET status = 'CONFIRMED', credit_hold = false, version = version + 1, updated_at = now() WHERE id = :cust_order_id) INSERT INTO outbox (company_id, kind, order_id, customer_id, customer_rep_id, order_rep_id, status, financial_status, payload, occurred_at, published_at, item_id, warehouse_id) SELECT {co}, 'STOCK_CHANGED', NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL, NULL, '{{"onHand":"' || on_hand || '","reserved":"' || reserved || '"}}', now(), NULL::timestamptz, item_id, warehouse_id FROM stock_levels WHERE company_id = {co} AND item_id IN (:i1, :i2, :i3) UNION ALL VALUES ({co}, 'CONFIRMED', CAST(:cust_order_id AS bigint), CAST(:customer AS bigint), {rep}, {rep}, 'CONFIRMED', 'UNPAID', NULL, now(), NULL::timestamptz, NULL::bigint, NULL::bigint), ({co}, 'RESERVED', CAST(:cust_order_id AS bigint), CAST(:customer AS bigint), {rep}, {rep}, 'CONFIRMED', 'UNPAID', '{{"lines":[]}}', now(), NULL, NULL, NULL) RETURNING (SELECT count(*) FROM carried_0);
COMMIT;
"#
    )
}

/// The transactions per second pgbench reports (excluding connection set-up).
pub fn tps(pgbench_output: &str) -> Option<f64> {
    pgbench_output
        .lines()
        .find(|l| l.starts_with("tps = ") && l.contains("without initial connection time"))
        .or_else(|| pgbench_output.lines().find(|l| l.starts_with("tps = ")))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
}

/// Statements one run of the script sends (BEGIN/COMMIT and meta-commands excluded), to
/// compare with the server's statements per order.
pub fn statements(script: &str) -> usize {
    script
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("--")
                && !l.starts_with('\\')
                && *l != "BEGIN;"
                && *l != "COMMIT;"
        })
        .count()
}
