//! Documents attached to orders (R-PAY-1). Resolvers call `domain::documents`.
use crate::domain::documents;
use crate::graphql::{db, parse_id, principal, to_id};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::order_document;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::OrderDocumentKind")]
pub enum OrderDocumentKind {
    Quote,
    Contract,
    Other,
}

pub struct OrderDocument(pub order_document::Model);

#[Object]
impl OrderDocument {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn order_id(&self) -> ID {
        to_id(self.0.order_id)
    }
    async fn kind(&self) -> OrderDocumentKind {
        self.0.kind.into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Set once removed: the document stays in the order's history.
    async fn removed_at(&self) -> Option<DateTime<Utc>> {
        self.0.removed_at
    }
}

#[derive(InputObject)]
pub struct AttachOrderDocumentInput {
    pub order_id: ID,
    pub kind: OrderDocumentKind,
    pub name: String,
    /// An http(s) URL.
    pub url: String,
}

#[derive(InputObject)]
pub struct SetProductionReferenceInput {
    pub order_id: ID,
    /// None clears it.
    pub reference: Option<String>,
}

#[derive(SimpleObject)]
pub struct OrderDocumentPayload {
    pub document: OrderDocument,
}

#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    async fn attach_order_document(
        &self,
        ctx: &Context<'_>,
        input: AttachOrderDocumentInput,
    ) -> Result<OrderDocumentPayload> {
        let order_id = parse_id(&input.order_id, "orderId")?;
        let doc = documents::attach(
            db(ctx),
            principal(ctx)?,
            order_id,
            input.kind.into(),
            &input.name,
            &input.url,
            crate::graphql::services(ctx).public_links_only,
        )
        .await?;
        Ok(OrderDocumentPayload {
            document: OrderDocument(doc),
        })
    }

    /// The production order serving the order, by reference (R-PAY-4); staff only.
    async fn set_order_production_reference(
        &self,
        ctx: &Context<'_>,
        input: SetProductionReferenceInput,
    ) -> Result<crate::graphql::orders::SalesOrder> {
        let id = parse_id(&input.order_id, "orderId")?;
        Ok(crate::graphql::orders::SalesOrder(
            documents::set_production_reference(db(ctx), principal(ctx)?, id, input.reference)
                .await?,
        ))
    }

    /// Removes an attached document; it stays on the order marked removed, and is logged.
    async fn remove_order_document(
        &self,
        ctx: &Context<'_>,
        input: crate::graphql::IdInput,
    ) -> Result<OrderDocumentPayload> {
        let id = parse_id(&input.id, "id")?;
        Ok(OrderDocumentPayload {
            document: OrderDocument(documents::remove(db(ctx), principal(ctx)?, id).await?),
        })
    }
}
