//! Per-request DataLoaders: every nested lookup of a page is one batched statement, and each
//! loader applies the caller's visibility (it is built with the request's principal).
use crate::auth::Principal;
use crate::auth::visibility::{self, VisibilityClass};
use crate::domain::{
    agreements, backorders, customers, documents, intercompany, invoices, items, orders, payments,
    proformas, purchase_invoices, purchasing, receipts, reservations, returns, sales_reps,
    sales_setup, schedules, shipments, stock, suppliers, taxes, unallocated, warehouses,
};
use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    agreement, agreement_line, backorder, backorder_assignment, bank_account, carrier, customer,
    customer_address, delivery_date_change, freight_rate, invoice, invoice_installment,
    invoice_line, item, item_description, kit_component, order_confirmation, order_document,
    order_installment, outbox, payment, payment_allocation, payment_method, payment_refund,
    payment_term_installment, payment_term_restriction, payment_terms, proforma, purchase_order,
    purchase_order_line, receipt_line, reservation, return_line, sales_order, sales_order_line,
    sales_rep, shipment, shipment_line, stock_level, supplier, tax_code, warehouse,
};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

#[derive(Clone)]
pub struct Scope {
    db: DatabaseConnection,
    principal: Principal,
}

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident => $value:ty, |$scope:ident, $keys:ident| $body:expr) => {
        $(#[$doc])*
        pub struct $name(Scope);

        impl Loader<i64> for $name {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, $value>, Self::Error> {
                let $scope = &self.0;
                let $keys = keys;
                let loaded = $body.await.map_err(|e| {
                    e.context(format!("{} for {} keys", stringify!($name), keys.len()))
                })?;
                Ok(loaded)
            }
        }
    };
}

loader!(
    /// Customers by id, filtered by `visibility::customers`.
    CustomerById => customer::Model,
    |s, keys| customers::visible_by_ids(&s.db, &s.principal, keys)
);
loader!(
    /// Reps by id; reached only through a parent the caller may see.
    SalesRepById => sales_rep::Model,
    |s, keys| sales_reps::by_ids(&s.db, keys)
);
loader!(AssociatedReps => Vec<sales_rep::Model>, |s, keys| sales_reps::associated_by_manager(&s.db, keys));
loader!(AddressesByCustomer => Vec<customer_address::Model>, |s, keys| customers::addresses_by_customer(&s.db, keys));
loader!(ItemById => item::Model, |s, keys| items::by_ids(&s.db, &s.principal, keys));
loader!(BarcodesByItem => Vec<String>, |s, keys| items::barcodes_by_item(&s.db, keys));
loader!(DescriptionsByItem => Vec<item_description::Model>, |s, keys| items::descriptions_by_item(&s.db, keys));
loader!(StockByItem => Vec<stock_level::Model>, |s, keys| stock::by_items(&s.db, &s.principal, keys));
loader!(WarehouseById => warehouse::Model, |s, keys| warehouses::by_ids(&s.db, &s.principal, keys));
loader!(SupplierById => supplier::Model, |s, keys| suppliers::by_ids(&s.db, &s.principal, keys));

loader!(
    /// Quotes and orders by id, filtered by `visibility::sales_orders`.
    OrderById => sales_order::Model,
    |s, keys| orders::visible_by_ids(&s.db, &s.principal, keys)
);
loader!(LinesByOrder => Vec<sales_order_line::Model>, |s, keys| orders::lines_by_orders(&s.db, keys));
loader!(InstallmentsByOrder => Vec<order_installment::Model>, |s, keys| orders::installments_by_orders(&s.db, keys));
loader!(DateChangesByOrder => Vec<delivery_date_change::Model>, |s, keys| orders::date_changes_by_orders(&s.db, keys));
loader!(ConfirmationsByOrder => Vec<order_confirmation::Model>, |s, keys| orders::confirmations_by_orders(&s.db, keys));
loader!(EventsByOrder => Vec<outbox::Model>, |s, keys| orders::events_by_orders(&s.db, keys));
loader!(PaymentTermsById => payment_terms::Model, |s, keys| sales_setup::payment_terms_by_ids(&s.db, s.principal.company_id, keys));
loader!(PaymentMethodById => payment_method::Model, |s, keys| sales_setup::payment_methods_by_ids(&s.db, s.principal.company_id, keys));
loader!(BankAccountById => bank_account::Model, |s, keys| sales_setup::bank_accounts_by_ids(&s.db, s.principal.company_id, keys));
loader!(CarrierById => carrier::Model, |s, keys| sales_setup::carriers_by_ids(&s.db, s.principal.company_id, keys));
loader!(InstallmentsByTerms => Vec<payment_term_installment::Model>, |s, keys| sales_setup::installments_by_terms(&s.db, keys));
loader!(RestrictionsByTerms => Vec<payment_term_restriction::Model>, |s, keys| sales_setup::restrictions_by_terms(&s.db, keys));
loader!(RatesByCarrier => Vec<freight_rate::Model>, |s, keys| sales_setup::rates_by_carriers(&s.db, keys));
loader!(KitComponentsByItem => Vec<kit_component::Model>, |s, keys| sales_setup::kit_components(&s.db, keys));
loader!(UniqueByItem => bool, |s, keys| sales_setup::unique_flags(&s.db, keys));
loader!(ReservationsByLine => Vec<reservation::Model>, |s, keys| reservations::by_lines(&s.db, keys));
loader!(BackordersByLine => Vec<backorder::Model>, |s, keys| backorders::by_lines(&s.db, keys));
loader!(AssignmentsByBackorder => Vec<backorder_assignment::Model>, |s, keys| backorders::assignments_by_backorders(&s.db, keys));
loader!(ShipmentsByOrder => Vec<shipment::Model>, |s, keys| shipments::by_orders(&s.db, keys));
loader!(LinesByShipment => Vec<shipment_line::Model>, |s, keys| shipments::lines_by_shipments(&s.db, keys));
loader!(PurchaseOrderById => purchase_order::Model, |s, keys| purchasing::by_ids(&s.db, &s.principal, keys));
loader!(PurchaseOrderLineById => purchase_order_line::Model, |s, keys| purchasing::lines_by_ids(&s.db, &s.principal, keys));
loader!(LinesByPurchaseOrder => Vec<purchase_order_line::Model>, |s, keys| purchasing::lines_by_pos(&s.db, keys));
loader!(LinesByReceipt => Vec<receipt_line::Model>, |s, keys| receipts::lines_by_receipts(&s.db, keys));
loader!(AvailabilityByItem => stock::Availability, |s, keys| stock::availability(&s.db, &s.principal, keys, None));
loader!(TaxCodeById => tax_code::Model, |s, keys| taxes::by_ids(&s.db, keys));
loader!(
    /// Invoices and credit notes by id, filtered by `visibility::invoices`.
    InvoiceById => invoice::Model,
    |s, keys| invoices::visible_by_ids(&s.db, &s.principal, keys)
);
loader!(InvoicesByOrder => Vec<invoice::Model>, |s, keys| invoices::by_orders(&s.db, &s.principal, keys));
loader!(LinesByInvoice => Vec<invoice_line::Model>, |s, keys| invoices::lines_by_invoices(&s.db, keys));
loader!(InstallmentsByInvoice => Vec<invoice_installment::Model>, |s, keys| invoices::installments_by_invoices(&s.db, keys));
loader!(
    /// Payments by id, filtered by `visibility::payments`.
    PaymentById => payment::Model,
    |s, keys| payments::visible_by_ids(&s.db, &s.principal, keys)
);
loader!(RefundsByPayment => Vec<payment_refund::Model>, |s, keys| unallocated::refunds_by_payments(&s.db, keys));
loader!(LinesByReturn => Vec<return_line::Model>, |s, keys| returns::lines_by_returns(&s.db, keys));
loader!(AllocationsByPayment => Vec<payment_allocation::Model>, |s, keys| payments::allocations_by_payments(&s.db, keys));
loader!(ProformasByOrder => Vec<proforma::Model>, |s, keys| proformas::by_orders(&s.db, &s.principal, keys));
loader!(DocumentsByOrder => Vec<order_document::Model>, |s, keys| documents::by_orders(&s.db, keys));
loader!(
    /// Payment schedules of visible orders (derived, R-PAY-1).
    ScheduleByOrder => Vec<schedules::ScheduleLine>,
    |s, keys| schedules::of_visible_orders(&s.db, &s.principal, keys)
);
loader!(
    /// Taxed figures of visible orders (R-TAX-1).
    TaxByOrder => taxes::DocumentTax,
    |s, keys| async {
        let orders: Vec<sales_order::Model> =
            orders::visible_by_ids(&s.db, &s.principal, keys).await?.into_values().collect();
        taxes::of_orders(&s.db, &orders).await
    }
);
loader!(SalesOrdersByPurchaseOrder => Vec<sales_order::Model>, |s, keys| purchasing::sales_orders_served(&s.db, &s.principal, keys));
loader!(PurchaseOrdersBySalesOrder => Vec<purchase_order::Model>, |s, keys| purchasing::by_sales_orders(&s.db, &s.principal, keys));
loader!(PaymentsByOrder => Vec<payment::Model>, |s, keys| payments::by_orders(&s.db, &s.principal, keys));
loader!(AllocationsByInvoice => Vec<payment_allocation::Model>, |s, keys| payments::allocations_by_invoices(&s.db, keys));

loader!(
    /// Agreements by id, filtered by `visibility::agreements`.
    AgreementById => agreement::Model,
    |s, keys| agreements::visible_by_ids(&s.db, &s.principal, keys)
);
loader!(
    /// Agreement lines by id whose agreement the caller sees.
    AgreementLineById => agreement_line::Model,
    |s, keys| agreements::visible_lines_by_ids(&s.db, &s.principal, keys)
);
loader!(LinesByAgreement => Vec<agreement_line::Model>, |s, keys| agreements::lines_by_agreements(&s.db, keys));
loader!(LinesByPurchaseInvoice => Vec<entity::purchase_invoice_line::Model>, |s, keys| purchase_invoices::lines_by_invoices(&s.db, keys));
loader!(InstallmentsByPurchaseInvoice => Vec<entity::purchase_invoice_installment::Model>, |s, keys| purchase_invoices::installments_by_invoices(&s.db, keys));
loader!(ChainByOrder => intercompany::chain::Place, |s, keys| intercompany::chain::of_orders(&s.db, keys));
loader!(ChainByPurchaseOrder => entity::intercompany_chain::Model, |s, keys| intercompany::chain::of_purchase_orders(&s.db, keys));
loader!(
    /// The series and number of intercompany partner agreements, by id: reached only from the
    /// caller's own agreement that names its partner (R-IC-1).
    PartnerAgreementNumber => (String, i64),
    |s, keys| intercompany::agreements::partner_numbers(&s.db, keys)
);

/// All loaders of one request.
pub struct Loaders {
    pub customer: DataLoader<CustomerById>,
    pub sales_rep: DataLoader<SalesRepById>,
    pub associated_reps: DataLoader<AssociatedReps>,
    pub addresses: DataLoader<AddressesByCustomer>,
    pub item: DataLoader<ItemById>,
    pub barcodes: DataLoader<BarcodesByItem>,
    pub descriptions: DataLoader<DescriptionsByItem>,
    pub stock: DataLoader<StockByItem>,
    pub warehouse: DataLoader<WarehouseById>,
    pub supplier: DataLoader<SupplierById>,
    pub order: DataLoader<OrderById>,
    pub lines: DataLoader<LinesByOrder>,
    pub installments: DataLoader<InstallmentsByOrder>,
    pub date_changes: DataLoader<DateChangesByOrder>,
    pub confirmations: DataLoader<ConfirmationsByOrder>,
    pub events: DataLoader<EventsByOrder>,
    pub payment_terms: DataLoader<PaymentTermsById>,
    pub payment_method: DataLoader<PaymentMethodById>,
    pub bank_account: DataLoader<BankAccountById>,
    pub carrier: DataLoader<CarrierById>,
    pub term_installments: DataLoader<InstallmentsByTerms>,
    pub term_restrictions: DataLoader<RestrictionsByTerms>,
    pub freight_rates: DataLoader<RatesByCarrier>,
    pub kit_components: DataLoader<KitComponentsByItem>,
    pub unique: DataLoader<UniqueByItem>,
    pub reservations: DataLoader<ReservationsByLine>,
    pub backorders: DataLoader<BackordersByLine>,
    pub assignments: DataLoader<AssignmentsByBackorder>,
    pub shipments: DataLoader<ShipmentsByOrder>,
    pub shipment_lines: DataLoader<LinesByShipment>,
    pub return_lines: DataLoader<LinesByReturn>,
    pub purchase_order: DataLoader<PurchaseOrderById>,
    pub purchase_order_line: DataLoader<PurchaseOrderLineById>,
    pub purchase_order_lines: DataLoader<LinesByPurchaseOrder>,
    pub receipt_lines: DataLoader<LinesByReceipt>,
    pub availability: DataLoader<AvailabilityByItem>,
    pub tax_code: DataLoader<TaxCodeById>,
    pub invoice: DataLoader<InvoiceById>,
    pub invoices: DataLoader<InvoicesByOrder>,
    pub invoice_lines: DataLoader<LinesByInvoice>,
    pub invoice_installments: DataLoader<InstallmentsByInvoice>,
    pub payment: DataLoader<PaymentById>,
    pub payment_allocations: DataLoader<AllocationsByPayment>,
    pub payment_refunds: DataLoader<RefundsByPayment>,
    pub invoice_allocations: DataLoader<AllocationsByInvoice>,
    pub proformas: DataLoader<ProformasByOrder>,
    pub documents: DataLoader<DocumentsByOrder>,
    pub schedule: DataLoader<ScheduleByOrder>,
    pub order_tax: DataLoader<TaxByOrder>,
    pub serving_purchase_orders: DataLoader<PurchaseOrdersBySalesOrder>,
    pub served_sales_orders: DataLoader<SalesOrdersByPurchaseOrder>,
    pub order_payments: DataLoader<PaymentsByOrder>,
    pub agreement: DataLoader<AgreementById>,
    pub agreement_line: DataLoader<AgreementLineById>,
    pub agreement_lines: DataLoader<LinesByAgreement>,
    pub partner_agreement_number: DataLoader<PartnerAgreementNumber>,
    pub order_chain: DataLoader<ChainByOrder>,
    pub purchase_order_chain: DataLoader<ChainByPurchaseOrder>,
    pub purchase_invoice_lines: DataLoader<LinesByPurchaseInvoice>,
    pub purchase_invoice_installments: DataLoader<InstallmentsByPurchaseInvoice>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, principal: &Principal, activity: &Activity) -> Self {
        Self::with_delay(db, principal, activity, None)
    }

    fn with_delay(
        db: &DatabaseConnection,
        principal: &Principal,
        activity: &Activity,
        delay: Option<Duration>,
    ) -> Self {
        let scope = Scope {
            db: db.clone(),
            principal: principal.clone(),
        };
        Loaders {
            customer: dl(CustomerById(scope.clone()), activity, delay),
            sales_rep: dl(SalesRepById(scope.clone()), activity, delay),
            associated_reps: dl(AssociatedReps(scope.clone()), activity, delay),
            addresses: dl(AddressesByCustomer(scope.clone()), activity, delay),
            item: dl(ItemById(scope.clone()), activity, delay),
            barcodes: dl(BarcodesByItem(scope.clone()), activity, delay),
            descriptions: dl(DescriptionsByItem(scope.clone()), activity, delay),
            stock: dl(StockByItem(scope.clone()), activity, delay),
            warehouse: dl(WarehouseById(scope.clone()), activity, delay),
            supplier: dl(SupplierById(scope.clone()), activity, delay),
            order: dl(OrderById(scope.clone()), activity, delay),
            lines: dl(LinesByOrder(scope.clone()), activity, delay),
            installments: dl(InstallmentsByOrder(scope.clone()), activity, delay),
            date_changes: dl(DateChangesByOrder(scope.clone()), activity, delay),
            confirmations: dl(ConfirmationsByOrder(scope.clone()), activity, delay),
            events: dl(EventsByOrder(scope.clone()), activity, delay),
            payment_terms: dl(PaymentTermsById(scope.clone()), activity, delay),
            payment_method: dl(PaymentMethodById(scope.clone()), activity, delay),
            bank_account: dl(BankAccountById(scope.clone()), activity, delay),
            carrier: dl(CarrierById(scope.clone()), activity, delay),
            term_installments: dl(InstallmentsByTerms(scope.clone()), activity, delay),
            term_restrictions: dl(RestrictionsByTerms(scope.clone()), activity, delay),
            freight_rates: dl(RatesByCarrier(scope.clone()), activity, delay),
            kit_components: dl(KitComponentsByItem(scope.clone()), activity, delay),
            unique: dl(UniqueByItem(scope.clone()), activity, delay),
            reservations: dl(ReservationsByLine(scope.clone()), activity, delay),
            backorders: dl(BackordersByLine(scope.clone()), activity, delay),
            assignments: dl(AssignmentsByBackorder(scope.clone()), activity, delay),
            shipments: dl(ShipmentsByOrder(scope.clone()), activity, delay),
            shipment_lines: dl(LinesByShipment(scope.clone()), activity, delay),
            return_lines: dl(LinesByReturn(scope.clone()), activity, delay),
            purchase_order: dl(PurchaseOrderById(scope.clone()), activity, delay),
            purchase_order_line: dl(PurchaseOrderLineById(scope.clone()), activity, delay),
            purchase_order_lines: dl(LinesByPurchaseOrder(scope.clone()), activity, delay),
            receipt_lines: dl(LinesByReceipt(scope.clone()), activity, delay),
            availability: dl(AvailabilityByItem(scope.clone()), activity, delay),
            tax_code: dl(TaxCodeById(scope.clone()), activity, delay),
            invoice: dl(InvoiceById(scope.clone()), activity, delay),
            invoices: dl(InvoicesByOrder(scope.clone()), activity, delay),
            invoice_lines: dl(LinesByInvoice(scope.clone()), activity, delay),
            invoice_installments: dl(InstallmentsByInvoice(scope.clone()), activity, delay),
            payment: dl(PaymentById(scope.clone()), activity, delay),
            payment_allocations: dl(AllocationsByPayment(scope.clone()), activity, delay),
            payment_refunds: dl(RefundsByPayment(scope.clone()), activity, delay),
            invoice_allocations: dl(AllocationsByInvoice(scope.clone()), activity, delay),
            proformas: dl(ProformasByOrder(scope.clone()), activity, delay),
            documents: dl(DocumentsByOrder(scope.clone()), activity, delay),
            schedule: dl(ScheduleByOrder(scope.clone()), activity, delay),
            order_tax: dl(TaxByOrder(scope.clone()), activity, delay),
            serving_purchase_orders: dl(PurchaseOrdersBySalesOrder(scope.clone()), activity, delay),
            served_sales_orders: dl(SalesOrdersByPurchaseOrder(scope.clone()), activity, delay),
            order_payments: dl(PaymentsByOrder(scope.clone()), activity, delay),
            agreement: dl(AgreementById(scope.clone()), activity, delay),
            agreement_line: dl(AgreementLineById(scope.clone()), activity, delay),
            agreement_lines: dl(LinesByAgreement(scope.clone()), activity, delay),
            partner_agreement_number: dl(PartnerAgreementNumber(scope.clone()), activity, delay),
            order_chain: dl(ChainByOrder(scope.clone()), activity, delay),
            purchase_order_chain: dl(ChainByPurchaseOrder(scope.clone()), activity, delay),
            purchase_invoice_lines: dl(LinesByPurchaseInvoice(scope.clone()), activity, delay),
            purchase_invoice_installments: dl(
                InstallmentsByPurchaseInvoice(scope),
                activity,
                delay,
            ),
        }
    }
}

fn dl<L: Loader<i64>>(l: L, activity: &Activity, delay: Option<Duration>) -> DataLoader<L> {
    let activity = activity.clone();
    let loader = DataLoader::new(l, move |batch| {
        let activity = activity.clone();
        tokio::spawn(async move {
            activity.settled().await;
            batch.await
        })
    });
    match delay {
        Some(d) => loader.delay(d),
        None => loader,
    }
}

/// Loaders shared by the WebSocket connections of one visibility class
/// (`visibility::class`): when an event reaches a thousand subscribers, their nested fields
/// load in a few batched statements instead of a thousand. Batches wait a little longer
/// (`SHARED_DELAY`) so that subscribers woken by one event meet in one batch.
#[derive(Default)]
pub struct SharedLoaders {
    by_class: std::sync::Mutex<HashMap<VisibilityClass, std::sync::Weak<Loaders>>>,
}

const SHARED_DELAY: Duration = Duration::from_millis(5);

impl SharedLoaders {
    pub fn get(&self, db: &DatabaseConnection, principal: &Principal) -> Arc<Loaders> {
        let class = visibility::class(principal);
        let mut map = self.by_class.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = map.get(&class).and_then(std::sync::Weak::upgrade) {
            return l;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let loaders = Arc::new(Loaders::with_delay(
            db,
            principal,
            &Activity::default(),
            Some(SHARED_DELAY),
        ));
        map.insert(class, Arc::downgrade(&loaders));
        loaders
    }
}

/// How often the request's execution future has been polled.
///
/// DataLoader gathers the keys that arrive within a 1 ms window. Under CPU contention the
/// request can take longer than that to enqueue one level's keys (futures-util yields after
/// every pass over a list), and a batch would split in two. Batches therefore wait until the
/// request stops moving, i.e. is waiting for its loads: one statement per nested field and
/// level, however busy the machine.
#[derive(Clone, Default)]
pub struct Activity(Arc<AtomicU64>);

impl Activity {
    async fn settled(&self) {
        for _ in 0..256 {
            let seen = self.0.load(Ordering::Relaxed);
            tokio::task::yield_now().await;
            if self.0.load(Ordering::Relaxed) == seen {
                return;
            }
        }
    }

    /// Wraps the request's execution so that each poll is counted.
    pub fn track<F: Future>(&self, inner: F) -> Tracked<F> {
        Tracked {
            inner: Box::pin(inner),
            activity: self.clone(),
        }
    }
}

pub struct Tracked<F> {
    inner: Pin<Box<F>>,
    activity: Activity,
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        self.activity.0.fetch_add(1, Ordering::Relaxed);
        self.inner.as_mut().poll(cx)
    }
}

pub fn get<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>()
        .or_else(|| ctx.data_opt::<Arc<Loaders>>().map(|l| &**l))
        .ok_or_else(|| {
            crate::error::AppError::Unauthenticated("send Authorization: Bearer <token>".into())
                .into()
        })
}
