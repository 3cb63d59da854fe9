//! Per-request DataLoaders: every nested lookup of a page is one batched statement, and each
//! loader applies the caller's visibility (it is built with the request's principal).
use crate::auth::Principal;
use crate::domain::{customers, items, sales_reps, stock, suppliers, warehouses};
use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    customer, customer_address, item, item_description, sales_rep, stock_level, supplier, warehouse,
};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;

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
                Ok($body.await?)
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
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, principal: &Principal) -> Self {
        let scope = Scope {
            db: db.clone(),
            principal: principal.clone(),
        };
        fn dl<L: Loader<i64>>(l: L) -> DataLoader<L> {
            DataLoader::new(l, tokio::spawn)
        }
        Loaders {
            customer: dl(CustomerById(scope.clone())),
            sales_rep: dl(SalesRepById(scope.clone())),
            associated_reps: dl(AssociatedReps(scope.clone())),
            addresses: dl(AddressesByCustomer(scope.clone())),
            item: dl(ItemById(scope.clone())),
            barcodes: dl(BarcodesByItem(scope.clone())),
            descriptions: dl(DescriptionsByItem(scope.clone())),
            stock: dl(StockByItem(scope.clone())),
            warehouse: dl(WarehouseById(scope.clone())),
            supplier: dl(SupplierById(scope)),
        }
    }
}

pub fn get<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>().ok_or_else(|| {
        crate::error::AppError::Unauthenticated("send Authorization: Bearer <token>".into()).into()
    })
}
