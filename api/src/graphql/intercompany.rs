//! Intercompany trade (R-IC-1…4): links, item links, mirrored agreements and the chain of
//! an order delivered directly by the sister company.
use super::agreements::{Agreement, AgreementLineInput, AgreementPayload, line_inputs};
use super::loaders;
use super::scalars::Date;
use super::{db, parse_id, principal, to_id};
use crate::auth::Principal;
use crate::domain::intercompany::chain;
use crate::domain::intercompany::{agreements, links};
use crate::domain::sales_setup;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::company_settings;
use entity::{intercompany_chain, intercompany_item_link, intercompany_link};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum IntercompanySide {
    /// This company sells to the partner (owns the customer record).
    Seller,
    /// This company buys from the partner (owns the supplier record).
    Buyer,
}

#[derive(SimpleObject)]
pub struct PartnerCompany {
    pub id: ID,
    pub code: String,
    pub name: String,
}

/// A link between two companies of this deployment (R-IC-1), as one of them sees it.
pub struct IntercompanyLink {
    link: intercompany_link::Model,
    side: IntercompanySide,
    partner: PartnerCompany,
}

#[Object]
impl IntercompanyLink {
    async fn id(&self) -> ID {
        to_id(self.link.id)
    }
    /// Which side of the link the caller's company is on.
    async fn side(&self) -> IntercompanySide {
        self.side
    }
    async fn partner_company(&self) -> &PartnerCompany {
        &self.partner
    }
    /// The seller's customer that stands for the buyer.
    async fn customer_id(&self) -> ID {
        to_id(self.link.customer_id)
    }
    /// The buyer's supplier that stands for the seller.
    async fn supplier_id(&self) -> ID {
        to_id(self.link.supplier_id)
    }
    async fn seller_confirmed(&self) -> bool {
        self.link.seller_confirmed_by.is_some()
    }
    async fn buyer_confirmed(&self) -> bool {
        self.link.buyer_confirmed_by.is_some()
    }
    /// Both sides confirmed: trade follows the link.
    async fn active(&self) -> bool {
        self.link.active
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.link.updated_at
    }
}

#[derive(SimpleObject)]
pub struct IntercompanyItemLink {
    pub id: ID,
    pub item_id: ID,
    pub partner_company_id: ID,
    pub partner_item_id: ID,
}

impl From<intercompany_item_link::Model> for IntercompanyItemLink {
    fn from(l: intercompany_item_link::Model) -> Self {
        IntercompanyItemLink {
            id: to_id(l.id),
            item_id: to_id(l.item_id),
            partner_company_id: to_id(l.partner_company_id),
            partner_item_id: to_id(l.partner_item_id),
        }
    }
}

async fn shown(
    ctx: &Context<'_>,
    company_id: i64,
    list: Vec<intercompany_link::Model>,
) -> Result<Vec<IntercompanyLink>> {
    let ids: Vec<i64> = list
        .iter()
        .map(|l| links::partner_company(l, company_id))
        .collect();
    let companies = links::companies_by_ids(db(ctx), &ids).await?;
    Ok(list
        .into_iter()
        .map(|link| {
            let partner_id = links::partner_company(&link, company_id);
            let (code, name) = companies
                .get(&partner_id)
                .map(|c| (c.code.clone(), c.name.clone()))
                .unwrap_or_default();
            let side = match links::side(&link, company_id) {
                Some(links::Side::Seller) => IntercompanySide::Seller,
                _ => IntercompanySide::Buyer,
            };
            IntercompanyLink {
                link,
                side,
                partner: PartnerCompany {
                    id: to_id(partner_id),
                    code,
                    name,
                },
            }
        })
        .collect())
}

#[derive(InputObject)]
pub struct LinkIntercompanyInput {
    /// The seller's customer that stands for the buying company.
    pub customer_id: ID,
    /// The buyer's supplier that stands for the selling company.
    pub supplier_id: ID,
}

#[derive(InputObject)]
pub struct LinkIntercompanyItemInput {
    /// Your item.
    pub item_id: ID,
    /// The partner company's item it trades as.
    pub partner_item_id: ID,
}

#[derive(InputObject)]
pub struct CreateIntercompanyAgreementInput {
    /// Your customer that stands for the buying company (an active link).
    pub customer_id: ID,
    pub valid_from: Date,
    pub valid_to: Date,
    pub currency: Option<String>,
    pub notes: Option<String>,
    /// Your items, sales units and prices; the buyer's purchase agreement gets the
    /// counterpart items in its stock units.
    pub lines: Vec<AgreementLineInput>,
}

#[derive(Default)]
pub struct IntercompanyQuery;

#[Object]
impl IntercompanyQuery {
    /// The links the caller's company is on either side of (R-IC-1).
    async fn intercompany_links(&self, ctx: &Context<'_>) -> Result<Vec<IntercompanyLink>> {
        let p = principal(ctx)?;
        let list = links::list(db(ctx), p).await?;
        shown(ctx, p.company_id, list).await
    }

    /// The item links the caller's company made.
    async fn intercompany_item_links(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<IntercompanyItemLink>> {
        let list = links::item_links_of(db(ctx), principal(ctx)?).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// The caller's company's intercompany posting settings (R-IC-4).
    async fn intercompany_settings(&self, ctx: &Context<'_>) -> Result<IntercompanySettings> {
        let p = principal(ctx)?;
        // Internal purchasing set-up: not for buyers, partners or reps.
        crate::auth::visibility::require(p, crate::auth::Permission::ReadPurchasing)?;
        Ok(sales_setup::settings(db(ctx), p.company_id).await?.into())
    }
}

#[derive(Default)]
pub struct IntercompanyMutation;

#[Object]
impl IntercompanyMutation {
    /// Confirms the caller's side of an intercompany link (an admin of each side does);
    /// active once both have (R-IC-1).
    async fn link_intercompany(
        &self,
        ctx: &Context<'_>,
        input: LinkIntercompanyInput,
    ) -> Result<IntercompanyLink> {
        let p = principal(ctx)?;
        let customer_id = parse_id(&input.customer_id, "customerId")?;
        let supplier_id = parse_id(&input.supplier_id, "supplierId")?;
        let l = links::link(db(ctx), p, customer_id, supplier_id).await?;
        let mut shown = shown(ctx, p.company_id, vec![l]).await?;
        Ok(shown.remove(0))
    }

    /// Your item trades as the partner's item (else the one with the same SKU).
    async fn link_intercompany_item(
        &self,
        ctx: &Context<'_>,
        input: LinkIntercompanyItemInput,
    ) -> Result<IntercompanyItemLink> {
        let item_id = parse_id(&input.item_id, "itemId")?;
        let partner_item_id = parse_id(&input.partner_item_id, "partnerItemId")?;
        Ok(
            links::link_item(db(ctx), principal(ctx)?, item_id, partner_item_id)
                .await?
                .into(),
        )
    }

    /// Your sales agreement with the customer that stands for the buyer and the buyer's
    /// purchase agreement, together, ON_HOLD (R-IC-1). Returns yours.
    async fn create_intercompany_agreement(
        &self,
        ctx: &Context<'_>,
        input: CreateIntercompanyAgreementInput,
    ) -> Result<AgreementPayload> {
        let new = agreements::NewIntercompanyAgreement {
            customer_id: parse_id(&input.customer_id, "customerId")?,
            valid_from: input.valid_from.into(),
            valid_to: input.valid_to.into(),
            currency: input.currency,
            notes: input.notes,
            lines: line_inputs(input.lines)?,
        };
        Ok(AgreementPayload {
            agreement: Agreement(agreements::create(db(ctx), principal(ctx)?, new).await?),
        })
    }

    /// The confirmed ship and receipt dates: on an intercompany order by the supplying company,
    /// copied back to the buyer's purchase order and original order; refused on the original
    /// (R-IC-3).
    async fn confirm_delivery_dates(
        &self,
        ctx: &Context<'_>,
        input: ConfirmDeliveryDatesInput,
    ) -> Result<crate::graphql::orders::SalesOrder> {
        let id = parse_id(&input.order_id, "orderId")?;
        let o = chain::confirm_dates(
            db(ctx),
            principal(ctx)?,
            id,
            input.confirmed_ship_date.map(Into::into),
            input.confirmed_receipt_date.map(Into::into),
        )
        .await?;
        Ok(crate::graphql::orders::SalesOrder(o))
    }

    /// Changes the settings given; the rest stay (admins, R-IC-4).
    async fn update_intercompany_settings(
        &self,
        ctx: &Context<'_>,
        input: IntercompanySettingsInput,
    ) -> Result<IntercompanySettings> {
        let s = sales_setup::update_settings(
            db(ctx),
            principal(ctx)?,
            sales_setup::SettingsInput {
                intercompany: sales_setup::IntercompanySettings {
                    post_packing_slip: input.post_packing_slip,
                    print_packing_slip: input.print_packing_slip,
                    post_receipt: input.post_receipt,
                    print_receipt: input.print_receipt,
                    post_invoice: input.post_invoice,
                    print_invoice: input.print_invoice,
                    post_purchase_invoice: input.post_purchase_invoice,
                    print_purchase_invoice: input.print_purchase_invoice,
                },
                ..Default::default()
            },
        )
        .await?;
        Ok(s.into())
    }
}

/// An order's intercompany chain (R-IC-3): each document shows only to its own company's
/// callers (and, within it, by the usual visibility), so each side sees its own part.
pub struct IntercompanyChain(pub intercompany_chain::Model);

#[Object]
impl IntercompanyChain {
    /// The buying company's order for its external customer.
    async fn original(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::orders::SalesOrder>> {
        let seen = chain::seen_by(principal(ctx)?, &self.0);
        load_order(ctx, seen.original_order_id).await
    }
    /// The buying company's purchase order to the supplying company.
    async fn purchase_order(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::purchasing::PurchaseOrder>> {
        let seen = chain::seen_by(principal(ctx)?, &self.0);
        let Some(id) = seen.purchase_order_id else {
            return Ok(None);
        };
        let po = loaders::get(ctx)?.purchase_order.load_one(id).await?;
        Ok(po.map(crate::graphql::purchasing::PurchaseOrder))
    }
    /// The supplying company's order that ships to the customer.
    async fn intercompany_order(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::orders::SalesOrder>> {
        let seen = chain::seen_by(principal(ctx)?, &self.0);
        load_order(ctx, seen.intercompany_order_id).await
    }
}

async fn load_order(
    ctx: &Context<'_>,
    id: Option<i64>,
) -> Result<Option<crate::graphql::orders::SalesOrder>> {
    let Some(id) = id else { return Ok(None) };
    let o = loaders::get(ctx)?.order.load_one(id).await?;
    Ok(o.map(crate::graphql::orders::SalesOrder))
}

/// The chain a sales order is on, when the caller's company is on it.
pub async fn of_order(ctx: &Context<'_>, id: i64) -> Result<Option<IntercompanyChain>> {
    let p: &Principal = principal(ctx)?;
    let place = loaders::get(ctx)?.order_chain.load_one(id).await?;
    Ok(place
        .map(|pl| match pl {
            chain::Place::Original(c) | chain::Place::Intercompany(c) => c,
        })
        .filter(|c| c.buying_company_id == p.company_id || c.selling_company_id == p.company_id)
        .map(IntercompanyChain))
}

/// The chain a purchase order is on.
pub async fn of_purchase_order(ctx: &Context<'_>, id: i64) -> Result<Option<IntercompanyChain>> {
    let p: &Principal = principal(ctx)?;
    let c = loaders::get(ctx)?.purchase_order_chain.load_one(id).await?;
    Ok(c.filter(|c| c.buying_company_id == p.company_id)
        .map(IntercompanyChain))
}

#[derive(InputObject)]
pub struct ConfirmDeliveryDatesInput {
    pub order_id: ID,
    pub confirmed_ship_date: Option<Date>,
    pub confirmed_receipt_date: Option<Date>,
}

/// R-IC-4: what shipping and invoicing the supplying company's intercompany order posts (and
/// prints) in this, the buying company. Printing is kept as a setting: documents are not
/// rendered yet, so nothing is printed today.
#[derive(SimpleObject)]
pub struct IntercompanySettings {
    /// Shipping posts the original order's delivery note.
    pub post_packing_slip: bool,
    pub print_packing_slip: bool,
    /// Shipping posts the purchase order's receipt.
    pub post_receipt: bool,
    pub print_receipt: bool,
    /// Invoicing posts the original order's invoice to the external customer (not built yet).
    pub post_invoice: bool,
    pub print_invoice: bool,
    /// Invoicing posts the purchase order's purchase invoice (not built yet).
    pub post_purchase_invoice: bool,
    pub print_purchase_invoice: bool,
}

impl From<company_settings::Model> for IntercompanySettings {
    fn from(s: company_settings::Model) -> Self {
        IntercompanySettings {
            post_packing_slip: s.ic_post_packing_slip,
            print_packing_slip: s.ic_print_packing_slip,
            post_receipt: s.ic_post_receipt,
            print_receipt: s.ic_print_receipt,
            post_invoice: s.ic_post_invoice,
            print_invoice: s.ic_print_invoice,
            post_purchase_invoice: s.ic_post_purchase_invoice,
            print_purchase_invoice: s.ic_print_purchase_invoice,
        }
    }
}

#[derive(InputObject, Default)]
pub struct IntercompanySettingsInput {
    pub post_packing_slip: Option<bool>,
    pub print_packing_slip: Option<bool>,
    pub post_receipt: Option<bool>,
    pub print_receipt: Option<bool>,
    pub post_invoice: Option<bool>,
    pub print_invoice: Option<bool>,
    pub post_purchase_invoice: Option<bool>,
    pub print_purchase_invoice: Option<bool>,
}
