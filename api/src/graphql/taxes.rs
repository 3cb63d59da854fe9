//! Tax codes, an item's default code and a customer's regime (R-TAX-1). Resolvers call
//! `domain::taxes`.
use crate::domain::taxes;
use crate::graphql::customers::Customer;
use crate::graphql::items::Item;
use crate::graphql::scalars::Decimal;
use crate::graphql::{db, parse_id, parse_opt_id, principal, to_id};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::tax_code;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::TaxRegime")]
pub enum TaxRegime {
    Standard,
    /// Rate 0.
    Exempt,
    /// Rate 0, and the invoice carries the reverse-charge note.
    ReverseCharge,
}

pub struct TaxCode(pub tax_code::Model);

#[Object]
impl TaxCode {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Percent.
    async fn rate(&self) -> Decimal {
        self.0.rate.into()
    }
}

#[derive(InputObject)]
pub struct CreateTaxCodeInput {
    pub code: String,
    pub name: String,
    pub rate: Decimal,
}

#[derive(InputObject)]
pub struct SetItemTaxCodeInput {
    pub item_id: ID,
    /// None clears it (the item is then taxed at 0).
    pub tax_code_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetCustomerTaxRegimeInput {
    pub customer_id: ID,
    pub tax_regime: TaxRegime,
}

#[derive(SimpleObject)]
pub struct TaxCodePayload {
    pub tax_code: TaxCode,
}

#[derive(Default)]
pub struct TaxQuery;

#[Object]
impl TaxQuery {
    /// The company's tax codes, by code.
    async fn tax_codes(&self, ctx: &Context<'_>) -> Result<Vec<TaxCode>> {
        Ok(taxes::list(db(ctx), principal(ctx)?)
            .await?
            .into_iter()
            .map(TaxCode)
            .collect())
    }
}

#[derive(Default)]
pub struct TaxMutation;

#[Object]
impl TaxMutation {
    async fn create_tax_code(
        &self,
        ctx: &Context<'_>,
        input: CreateTaxCodeInput,
    ) -> Result<TaxCodePayload> {
        let t = taxes::create(
            db(ctx),
            principal(ctx)?,
            &input.code,
            &input.name,
            input.rate.0,
        )
        .await?;
        Ok(TaxCodePayload {
            tax_code: TaxCode(t),
        })
    }

    async fn set_item_tax_code(
        &self,
        ctx: &Context<'_>,
        input: SetItemTaxCodeInput,
    ) -> Result<Item> {
        let item_id = parse_id(&input.item_id, "itemId")?;
        let code = parse_opt_id(input.tax_code_id.as_ref(), "taxCodeId")?;
        Ok(Item(
            taxes::set_item_tax_code(db(ctx), principal(ctx)?, item_id, code).await?,
        ))
    }

    async fn set_customer_tax_regime(
        &self,
        ctx: &Context<'_>,
        input: SetCustomerTaxRegimeInput,
    ) -> Result<Customer> {
        let id = parse_id(&input.customer_id, "customerId")?;
        Ok(Customer(
            taxes::set_customer_regime(db(ctx), principal(ctx)?, id, input.tax_regime.into())
                .await?,
        ))
    }
}
