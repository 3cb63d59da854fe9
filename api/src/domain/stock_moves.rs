//! Set-based stock moves: a document that moves many slots (confirmation reserving its lines,
//! a shipment consuming them) plans every move in memory against slots it has locked, then
//! writes them in a fixed number of statements — one guarded UPDATE of all slots, one INSERT of
//! their STOCK_CHANGED events, one of the journal — however many lines the document has.
//!
//! The database still decides (R-STK-1): the UPDATE is a compare-and-set on the values read
//! under the lock (`WHERE id = :id AND on_hand = :read AND reserved = :read`, for every slot),
//! and a count of rows changed short of the slots moved fails the whole transaction. The new
//! values are computed exactly in Rust on both backends (SQLite stores decimals as text and
//! must not compute with them), and each is checked to keep `0 ≤ reserved ≤ on_hand` before
//! it is written.
use crate::auth::Principal;
use crate::domain::outbox;
use crate::error::{AppError, AppResult};
use chrono::Utc;
use entity::{Dec, stock_level, stock_movement};
use rust_decimal::Decimal;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, InsertStatement, Query, UpdateStatement};
use sea_orm::{Condition, ConnectionTrait, DbBackend, EntityTrait, QueryTrait, Set};
use std::collections::{BTreeMap, HashMap};

/// Slots at most per UPDATE (five bound values each on SQLite): far under both backends'
/// limits on bound parameters.
const SLOTS_PER_STATEMENT: usize = 500;

/// Locked slots and the moves planned on them.
pub(crate) struct SlotMoves {
    /// The slots as they are now in memory (read values plus the moves so far).
    now: HashMap<i64, stock_level::Model>,
    /// (on_hand, reserved) as read under the lock, for the slots moved.
    read: BTreeMap<i64, (Dec, Dec)>,
    /// The journal rows (on-hand changes) to write: slot, signed quantity, reason.
    journal: Vec<(i64, Decimal, String)>,
}

impl SlotMoves {
    /// `slots` must be locked by the caller's transaction (`stock::lock_slots`).
    pub fn new(slots: Vec<stock_level::Model>) -> Self {
        SlotMoves {
            now: slots.into_iter().map(|s| (s.id, s)).collect(),
            read: BTreeMap::new(),
            journal: Vec::new(),
        }
    }

    /// Every slot, with the moves planned so far.
    pub fn slots(&self) -> impl Iterator<Item = &stock_level::Model> {
        self.now.values()
    }

    pub fn get(&self, id: i64) -> Option<&stock_level::Model> {
        self.now.get(&id)
    }

    /// Plans a move of one slot (reserving is `(0, +q)`, releasing `(0, −q)`, shipping
    /// `(−q, −q)` or `(−q, 0)`); `false`, and nothing planned, when the slot could not take it.
    pub fn add(&mut self, id: i64, on_hand: Decimal, reserved: Decimal) -> AppResult<bool> {
        let slot = self
            .now
            .get_mut(&id)
            .ok_or(AppError::NotFound("stock slot"))?;
        let (new_on_hand, new_reserved) = (slot.on_hand.0 + on_hand, slot.reserved.0 + reserved);
        if new_reserved < Decimal::ZERO || new_reserved > new_on_hand {
            return Ok(false);
        }
        self.read.entry(id).or_insert((slot.on_hand, slot.reserved));
        slot.on_hand = Dec(Dec::canonical(new_on_hand));
        slot.reserved = Dec(Dec::canonical(new_reserved));
        Ok(true)
    }

    /// Plans a move that changes on-hand and records it in the movement journal.
    pub fn add_journaled(
        &mut self,
        id: i64,
        on_hand: Decimal,
        reserved: Decimal,
        reason: &str,
    ) -> AppResult<bool> {
        let moved = self.add(id, on_hand, reserved)?;
        if moved {
            self.journal.push((id, on_hand, reason.to_owned()));
        }
        Ok(moved)
    }

    /// Sets the journal's reason for moves planned before it was known (a delivery note's
    /// number is taken after its stock is planned).
    pub fn set_reason(&mut self, reason: &str) {
        for (_, _, r) in &mut self.journal {
            r.clear();
            r.push_str(reason);
        }
    }

    /// Writes every planned move: `false` (the caller rolls back) when some slot no longer
    /// held what was read — which a lock makes impossible unless a path forgot to take it.
    pub async fn apply<C: ConnectionTrait>(
        &self,
        tx: &C,
        p: &Principal,
        events: &mut outbox::Batch,
    ) -> AppResult<bool> {
        for (stmt, rows) in self.updates() {
            if tx.execute(&stmt).await?.rows_affected() != rows {
                return Ok(false);
            }
        }
        events.stocks(self.read.keys().map(|id| &self.now[id]));
        if let Some(journal) = self.journal(p) {
            tx.execute(&journal).await?;
        }
        Ok(true)
    }

    /// [`apply`](Self::apply) for a caller that writes `events` before anything reads the
    /// slots again: on PostgreSQL the moves go out with the events, in their statement
    /// (`outbox::Carried::Guarded`), and a slot that no longer held what was read fails that
    /// write with `refusal`. Elsewhere the moves are written now.
    pub async fn apply_with_events<C: ConnectionTrait>(
        &self,
        tx: &C,
        p: &Principal,
        events: &mut outbox::Batch,
        refusal: impl Fn() -> AppError,
    ) -> AppResult<()> {
        if tx.get_database_backend() != DbBackend::Postgres {
            return match self.apply(tx, p, events).await? {
                true => Ok(()),
                false => Err(refusal()),
            };
        }
        for (update, rows) in self.updates() {
            events.carry(outbox::Carried::Guarded {
                update,
                rows,
                refusal: refusal(),
            });
        }
        events.stocks(self.read.keys().map(|id| &self.now[id]));
        if let Some(journal) = self.journal(p) {
            events.carry(journal);
        }
        Ok(())
    }

    /// The compare-and-set UPDATEs of the moved slots, each with the rows it must change.
    fn updates(&self) -> Vec<(UpdateStatement, u64)> {
        use stock_level::Column as C;
        let now = Utc::now();
        let ids: Vec<i64> = self.read.keys().copied().collect();
        ids.chunks(SLOTS_PER_STATEMENT)
            .map(|chunk| {
                let (mut on_hand, mut reserved) = (CaseStatement::new(), CaseStatement::new());
                let mut guard = Condition::any();
                for id in chunk {
                    let slot = &self.now[id];
                    let (read_on_hand, read_reserved) = &self.read[id];
                    on_hand = on_hand.case(Expr::col(C::Id).eq(*id), slot.on_hand);
                    reserved = reserved.case(Expr::col(C::Id).eq(*id), slot.reserved);
                    guard = guard.add(
                        Condition::all()
                            .add(Expr::col(C::Id).eq(*id))
                            .add(Expr::col(C::OnHand).eq(*read_on_hand))
                            .add(Expr::col(C::Reserved).eq(*read_reserved)),
                    );
                }
                let mut stmt = Query::update();
                stmt.table(stock_level::Entity)
                    .value(C::OnHand, on_hand.finally(Expr::col(C::OnHand)))
                    .value(C::Reserved, reserved.finally(Expr::col(C::Reserved)))
                    .value(C::UpdatedAt, now)
                    .cond_where(guard);
                (stmt, chunk.len() as u64)
            })
            .collect()
    }

    /// The movement journal's rows for the on-hand changes, if any.
    fn journal(&self, p: &Principal) -> Option<InsertStatement> {
        if self.journal.is_empty() {
            return None;
        }
        let now = Utc::now();
        let rows = self
            .journal
            .iter()
            .map(|(slot, q, reason)| stock_movement::ActiveModel {
                company_id: Set(p.company_id),
                stock_level_id: Set(*slot),
                quantity: Set(Dec(*q)),
                reason: Set(reason.clone()),
                user_id: Set(p.user_id()),
                api_token_id: Set(p.api_token_id()),
                created_at: Set(now),
                ..Default::default()
            });
        Some(stock_movement::Entity::insert_many(rows).into_query())
    }
}
