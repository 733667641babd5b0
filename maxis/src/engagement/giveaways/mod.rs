//! Giveaways that users can trust: one entry per member, requirements and bonus entries, a
//! committed seed, draws anyone can recompute, rerolls that never pick an earlier winner, and an
//! end that happens exactly once, also across restarts.

pub mod orders;
pub mod store;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use subjects::results::{DrawProof, DrawRound, GiveawayInfo, GiveawayStatus};

use self::store::{self as giveaways, Giveaway};
use crate::commerce::Commerce;
use crate::domain::draw::{self, Entry, Seed};
use crate::domain::giveaway::{eligible, weight, MemberInfo};
use crate::execute::{self, ShopContext};
use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use crate::store::{payments, Store, Tx};

/// Entries per `giveaway.entries` event (each stays far below the broker's 1 MB payload).
const ENTRIES_PER_EVENT: usize = 5_000;

/// Why a member could not enter.
#[derive(Debug, thiserror::Error)]
pub enum EnterError {
    /// No such giveaway.
    #[error("there is no giveaway `{0}`")]
    NotFound(String),
    /// Not open for entries (waiting, ended or cancelled).
    #[error("this giveaway is not open for entries")]
    NotOpen,
    /// A requirement is not met; the message says which.
    #[error("{0}")]
    Requirement(String),
    /// The shop failed (the details are logged, not shown to the member).
    #[error("something went wrong on the shop's side: please try again in a minute")]
    Unexpected(#[from] anyhow::Error),
}

/// The outcome of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entered {
    /// False when the member had already entered (nothing changed).
    pub new: bool,
    /// The member's entries.
    pub weight: u32,
    /// Members entered so far.
    pub entrants: u64,
}

/// One entry waiting for its batch.
struct EntryRequest {
    giveaway: String,
    member: MemberInfo,
    now: DateTime<Utc>,
    reply: oneshot::Sender<Result<Entered, EnterError>>,
}

/// Entries are written in batches (group commit): button clicks arrive many at once, and one
/// SQLite transaction for a batch costs little more than one for a single entry.
#[derive(Clone)]
pub struct EntryQueue {
    sender: mpsc::Sender<EntryRequest>,
}

/// Most entries in one transaction.
const BATCH: usize = 512;

impl EntryQueue {
    /// Starts the writer task for `store`; it stops when every queue handle is dropped.
    pub fn start(store: Store, ctx: ShopContext) -> Self {
        let (sender, mut receiver) = mpsc::channel::<EntryRequest>(4 * BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while receiver.recv_many(&mut batch, BATCH).await > 0 {
                let requests = std::mem::take(&mut batch);
                if let Err((e, requests)) = write_batch(&store, &ctx, requests).await {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "Failed to write giveaway entries");
                    for r in requests {
                        let _ = r.reply.send(Err(EnterError::Unexpected(anyhow::anyhow!("{e:#}"))));
                    }
                }
            }
        });
        Self { sender }
    }
}

/// Writes one batch in one transaction, then answers each request.
async fn write_batch(
    store: &Store,
    ctx: &ShopContext,
    requests: Vec<EntryRequest>,
) -> Result<(), (anyhow::Error, Vec<EntryRequest>)> {
    let outcomes = async {
        let mut tx = store.begin().await?;
        let mut rules: HashMap<String, Option<giveaways::EntryRules>> = HashMap::new();
        let mut outcomes = Vec::with_capacity(requests.len());
        for r in &requests {
            if !rules.contains_key(&r.giveaway) {
                rules.insert(r.giveaway.clone(), giveaways::entry_rules(&mut tx, &r.giveaway).await?);
            }
            let outcome = match rules.get_mut(&r.giveaway).and_then(Option::as_mut) {
                None => Err(EnterError::NotFound(r.giveaway.clone())),
                Some(g) if g.status != GiveawayStatus::Open || g.ends_at.is_some_and(|end| end <= r.now) => {
                    Err(EnterError::NotOpen)
                }
                Some(g) => match eligible(&g.requirements, &r.member, r.now) {
                    Err(why) => Err(EnterError::Requirement(why)),
                    Ok(()) => {
                        let w = weight(&g.bonus, &r.member);
                        let new = giveaways::enter(&mut tx, &r.giveaway, &r.member.id, w, r.now).await?;
                        g.entrants += u64::from(new);
                        if new && g.entrants % 100 == 1 {
                            // Counts, not names: one event per hundred entries keeps the stream light.
                            let data = json!({"giveaway": r.giveaway, "entrants": g.entrants});
                            execute::enqueue(&mut tx, ctx, None, "giveaway.entered", data).await?;
                        }
                        Ok(Entered { new, weight: w, entrants: g.entrants })
                    }
                },
            };
            outcomes.push(outcome);
        }
        let mut added: HashMap<&str, u64> = HashMap::new();
        for (r, o) in requests.iter().zip(&outcomes) {
            if matches!(o, Ok(Entered { new: true, .. })) {
                *added.entry(r.giveaway.as_str()).or_default() += 1;
            }
        }
        for (id, n) in added {
            giveaways::count_entrants(&mut tx, id, n).await?;
        }
        tx.commit().await?;
        anyhow::Ok(outcomes)
    }
    .await;
    match outcomes {
        Ok(outcomes) => {
            for (r, outcome) in requests.into_iter().zip(outcomes) {
                let _ = r.reply.send(outcome);
            }
            Ok(())
        }
        Err(e) => Err((e, requests)),
    }
}

impl Commerce {
    /// Enters `member` in a giveaway: checks it is open and the requirements, then records one
    /// entry with its weight; a second entry (even concurrent) changes nothing.
    pub async fn enter_giveaway(
        &self,
        id: &str,
        member: &MemberInfo,
        now: DateTime<Utc>,
    ) -> Result<Entered, EnterError> {
        let (reply, answer) = oneshot::channel();
        let request = EntryRequest { giveaway: id.to_owned(), member: member.clone(), now, reply };
        self.entries.sender.send(request).await.map_err(|_| anyhow::anyhow!("the entry writer stopped"))?;
        answer.await.map_err(|_| anyhow::anyhow!("the entry writer stopped"))?
    }

    /// The server reached `count` members: giveaways waiting for that many open now.
    pub async fn members_changed(&self, count: u64, now: DateTime<Utc>) -> anyhow::Result<Vec<GiveawayInfo>> {
        let mut tx = self.store.begin().await?;
        let mut opened = Vec::new();
        for g in giveaways::triggered(&mut tx, count).await? {
            let ends_at =
                now + Duration::seconds(i64::try_from(g.info.duration_secs).unwrap_or(i64::MAX).min(365 * 86_400));
            if giveaways::open(&mut tx, &g.info.id, now, ends_at).await? {
                let mut info = g.info.clone();
                (info.status, info.starts_at, info.ends_at) = (GiveawayStatus::Open, Some(now), Some(ends_at));
                execute::enqueue(&mut tx, &self.ctx, None, "giveaway.started", json!(info)).await?;
                crate::marketing::announce_giveaway(&mut tx, &info).await?;
                opened.push(info);
            }
        }
        tx.commit().await?;
        self.flush().await;
        Ok(opened)
    }
}

fn entries_of(list: Vec<(String, u32)>) -> anyhow::Result<Vec<Entry>> {
    list.into_iter().map(|(m, w)| Entry::new(m, w).map_err(anyhow::Error::from)).collect()
}

/// Ends a giveaway if it is still open and draws its winners; `None` when it had already ended
/// (so a second restart draws nothing).
pub async fn end(tx: &mut Tx, ctx: &ShopContext, g: &Giveaway) -> anyhow::Result<Option<DrawProof>> {
    if !giveaways::transition(tx, &g.info.id, GiveawayStatus::Open, GiveawayStatus::Ended).await? {
        return Ok(None);
    }
    let entries = entries_of(giveaways::entries(tx, &g.info.id).await?)?;
    giveaways::set_entries_digest(tx, &g.info.id, &draw::entry_list_digest(&entries)).await?;
    let seed = Seed::from_hex(&g.seed)?;
    let label = draw::round_label(0);
    let picked = draw::draw(&seed, &entries, g.info.winners as usize, &[], &label)?;
    let round = DrawRound { round: label, winners: g.info.winners, exclude: vec![], picked: picked.clone() };
    giveaways::add_round(tx, &g.info.id, 0, &round, None).await?;
    notify_winners(tx, g, &entries, &round).await?;
    let proof = publish_proof(tx, ctx, g, &entries, vec![round]).await?;
    execute::enqueue(tx, ctx, None, "giveaway.ended", json!(proof)).await?;
    Ok(Some(proof))
}

/// Draws again: all winners, or only `replace`, by members who never won this giveaway.
pub async fn reroll(
    tx: &mut Tx,
    ctx: &ShopContext,
    g: &Giveaway,
    replace: Option<&str>,
) -> anyhow::Result<Result<DrawProof, String>> {
    if g.info.status != GiveawayStatus::Ended {
        return Ok(Err("only an ended giveaway can be rerolled".to_owned()));
    }
    let rounds = giveaways::rounds(tx, &g.info.id).await?;
    let current = giveaways::current_winners(&rounds);
    if let Some(r) = replace {
        if !current.iter().any(|w| w == r) {
            return Ok(Err(format!("{r} is not a current winner of this giveaway")));
        }
    }
    let mut exclude: Vec<String> = rounds.iter().flat_map(|(r, _)| r.picked.iter().cloned()).collect();
    exclude.sort();
    exclude.dedup();
    let n = rounds.len() as u32;
    let label = draw::round_label(n);
    let wanted = if replace.is_some() { 1 } else { g.info.winners };
    let entries = entries_of(giveaways::entries(tx, &g.info.id).await?)?;
    let picked = draw::draw(&Seed::from_hex(&g.seed)?, &entries, wanted as usize, &exclude, &label)?;
    let round = DrawRound { round: label, winners: wanted, exclude, picked: picked.clone() };
    giveaways::add_round(tx, &g.info.id, i64::from(n), &round, replace).await?;
    notify_winners(tx, g, &entries, &round).await?;
    let mut all: Vec<DrawRound> = rounds.into_iter().map(|(r, _)| r).collect();
    all.push(round);
    let proof = proof_of(g, &entries, all);
    execute::enqueue(tx, ctx, None, "giveaway.rerolled", json!({"proof": proof, "replaced": replace})).await?;
    Ok(Ok(proof))
}

fn proof_of(g: &Giveaway, entries: &[Entry], rounds: Vec<DrawRound>) -> DrawProof {
    DrawProof {
        giveaway: g.info.id.clone(),
        commitment: g.info.commitment.clone().unwrap_or_default(),
        seed: g.seed.clone(),
        entries_digest: draw::entry_list_digest(entries),
        entrants: entries.len() as u64,
        rounds,
    }
}

/// The proof of an ended giveaway, recomputed from the database.
pub async fn proof(tx: &mut Tx, g: &Giveaway) -> anyhow::Result<(DrawProof, bool)> {
    let entries = entries_of(giveaways::entries(tx, &g.info.id).await?)?;
    let rounds: Vec<DrawRound> = giveaways::rounds(tx, &g.info.id).await?.into_iter().map(|(r, _)| r).collect();
    let seed = Seed::from_hex(&g.seed)?;
    let commitment = g.info.commitment.clone().unwrap_or_default();
    // The list must be the one drawn from (a changed weight can leave the winners as they were),
    // and every round must come out of it again.
    let same_list = match giveaways::entries_digest(tx, &g.info.id).await? {
        Some(digest) => draw::verify_entry_list(&digest, &entries).is_ok(),
        None => true,
    };
    let verified = same_list
        && rounds.iter().all(|r| {
            draw::verify(&commitment, &seed, &entries, r.winners as usize, &r.exclude, &r.round, &r.picked).is_ok()
        });
    Ok((proof_of(g, &entries, rounds), verified))
}

/// Publishes the entry list (in parts) with the proof, so anyone can recompute the draw.
async fn publish_proof(
    tx: &mut Tx,
    ctx: &ShopContext,
    g: &Giveaway,
    entries: &[Entry],
    rounds: Vec<DrawRound>,
) -> anyhow::Result<DrawProof> {
    let parts = entries.len().div_ceil(ENTRIES_PER_EVENT).max(1);
    for (part, chunk) in entries.chunks(ENTRIES_PER_EVENT).enumerate() {
        let list: Vec<(&str, u32)> = chunk.iter().map(|e| (e.member.as_str(), e.weight)).collect();
        let data = json!({"giveaway": g.info.id, "part": part + 1, "parts": parts, "entries": list});
        execute::enqueue(tx, ctx, None, "giveaway.entries", data).await?;
    }
    Ok(proof_of(g, entries, rounds))
}

/// Winners are told by DM (the prize named) and announced in the giveaway's channel with what a
/// member needs to check the draw: the seed, the entry list (attached, canonical text) and its
/// digest, the commitment shown when the giveaway opened, and the command of
/// docs/giveaway-draw.md that recomputes the winners.
async fn notify_winners(tx: &mut Tx, g: &Giveaway, entries: &[Entry], round: &DrawRound) -> anyhow::Result<()> {
    let winners = &round.picked;
    for w in winners {
        let text = format!(
            "🎉 You won **{}** in giveaway {}! An admin will contact you to hand it over.",
            g.info.prize, g.info.id
        );
        payments::queue_receipt(tx, &format!("giveaway:{}:{w}", g.info.id), w, &text).await?;
    }
    if let Some(channel) = &g.info.channel {
        let mentions: Vec<String> = winners.iter().map(|w| format!("<@{w}>")).collect();
        let headline = if winners.is_empty() {
            format!("Giveaway **{}** ended with no entries.", g.info.prize)
        } else {
            format!("Giveaway **{}**: congratulations {}!", g.info.prize, mentions.join(", "))
        };
        let id = format!("giveaway:{}:{}", g.info.id, giveaways::rounds(tx, &g.info.id).await?.len());
        let file = format!("entries-{}.txt", g.info.id);
        let message = format!("{headline}\n{}", check_text(g, entries, round, &file));
        if entries.is_empty() {
            crate::marketing::store::announcements::insert(
                tx,
                &id,
                &message,
                channel,
                &subjects::params::Audience::Everyone,
            )
            .await?;
        } else {
            let list = draw::entry_list_text(entries);
            crate::marketing::store::announcements::insert_with_file(tx, &id, &message, channel, (&file, &list))
                .await?;
        }
    }
    Ok(())
}

/// How members check a round from what the announcement shows (docs/giveaway-draw.md).
fn check_text(g: &Giveaway, entries: &[Entry], round: &DrawRound, file: &str) -> String {
    let commitment = g.info.commitment.as_deref().unwrap_or_default();
    let mut command = format!("python3 draw.py {} {file} {}", g.seed, round.winners);
    if round.round != draw::FIRST_ROUND {
        command.push_str(&format!(" {}", round.round));
        for member in &round.exclude {
            command.push_str(&format!(" {member}"));
        }
    }
    format!(
        "🔎 Check the draw yourself: seed `{}`, entry list digest `{}` ({} entrant(s), the list is attached as \
         `{file}`), round `{}`, commitment shown when it opened `{commitment}`.\n\
         `{command}` prints the commitment, the digest and the winners (the script and the steps: \
         docs/giveaway-draw.md).",
        g.seed,
        draw::entry_list_digest(entries),
        entries.len(),
        round.round,
    )
}
