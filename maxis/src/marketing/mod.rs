//! Marketing: activity tracking (so "inactive for N days" means real members), the promotion
//! pings opt-in, and announcements delivered to an audience within Discord's rate limits, with
//! opt-outs respected and counts reported as `announcement.sent`.

pub mod orders;
pub mod store;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use subjects::params::Audience;

use subjects::params::{Discount, PromoTarget};
use subjects::results::{GiveawayInfo, PromoInfo};

use crate::commerce::webhook::money;
use crate::commerce::Commerce;
use crate::domain::giveaway::MemberInfo;
use crate::execute;
use crate::members::{Button, ButtonAction, MemberError};
use crate::store::{members, settings, Tx};
use store::announcements;

/// Time between two direct messages (Discord limits DMs far below its global 50 requests/s).
pub const DM_PACE: Duration = Duration::from_millis(200);

/// Delivery counts of one announcement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Members reached (or the channel's audience, for a channel post).
    pub reached: u64,
    /// Members skipped because they opted out of marketing.
    pub skipped: u64,
    /// Messages Discord refused.
    pub failed: u64,
}

impl Commerce {
    /// Records that a member was active (a message, a command, a button) at `at`.
    pub async fn touch(&self, member: &MemberInfo, at: DateTime<Utc>) -> anyhow::Result<()> {
        let mut tx = self.store.begin().await?;
        members::touch(&mut tx, &member.id, &member.roles, member.joined_at, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opts a member in to promotion pings (with the `marketing.promo_ping_role` role, when set)
    /// or out of marketing messages altogether.
    pub async fn set_promo_ping(&self, member: &str, on: bool) -> anyhow::Result<()> {
        let role = {
            let mut tx = self.store.begin().await?;
            members::set_marketing(&mut tx, member, on).await?;
            let role = settings::get(&mut tx, "marketing.promo_ping_role").await?;
            execute::enqueue(
                &mut tx,
                &self.ctx,
                None,
                "marketing.changed",
                json!({"member": member, "promo_ping": on}),
            )
            .await?;
            tx.commit().await?;
            role
        };
        if let Some(role) = role {
            let done = if on {
                self.members.grant_role(member, &role).await
            } else {
                self.members.revoke_role(member, &role).await
            };
            if let Err(e) = done {
                tracing::warn!(member, error.message = %e, "Failed to change the promotion pings role");
            }
        }
        self.flush().await;
        Ok(())
    }

    /// Delivers every queued announcement: everyone → a channel post; promotion pings → a post
    /// mentioning the opt-in role (or DMs when no role is set); inactive members or a role → DMs,
    /// paced by `pace`, skipping members who opted out.
    pub async fn deliver_announcements(&self, pace: Duration) -> anyhow::Result<Vec<(String, Delivery)>> {
        let queued = {
            let mut conn = self.store.pool().acquire().await?;
            announcements::queued(&mut conn).await?
        };
        let mut done = Vec::new();
        for announcements::Queued { id, message, channel, audience, buttons, file } in queued {
            let (role, audience_members) = {
                let mut conn = self.store.pool().acquire().await?;
                if !announcements::claim(&mut conn, &id).await? {
                    continue;
                }
                let role = settings::get(&mut conn, "marketing.promo_ping_role").await?;
                (role, members::resolve(&mut conn, &audience, Utc::now()).await?)
            };
            let mut d = Delivery::default();
            let post = match (&audience, &role) {
                (Audience::Everyone, _) => Some(message.clone()),
                (Audience::PromoPing, Some(role)) => Some(format!("<@&{role}> {message}")),
                _ => None,
            };
            match post {
                Some(text) => {
                    let sent = match &file {
                        Some((name, body)) => self.members.post_file(&channel, &text, name, body.as_bytes()).await,
                        None => self.members.post(&channel, &text, &buttons).await,
                    };
                    match sent {
                        Ok(()) => d.reached = audience_members.iter().filter(|(_, out)| !out).count() as u64,
                        Err(e) => {
                            tracing::warn!(announcement = %id, error.message = %e, "Failed to post an announcement");
                            d.failed = 1;
                        }
                    }
                }
                None => {
                    for (member, opted_out) in &audience_members {
                        if *opted_out {
                            d.skipped += 1;
                            continue;
                        }
                        match self.members.send_dm(member, &message).await {
                            Ok(()) => d.reached += 1,
                            Err(MemberError::Forbidden(_) | MemberError::Unavailable(_)) => d.failed += 1,
                        }
                        tokio::time::sleep(pace).await;
                    }
                }
            }
            let mut tx = self.store.begin().await?;
            announcements::delivered(&mut tx, &id, d.reached, d.skipped, d.failed).await?;
            let data =
                json!({"announcement": id, "reached": d.reached, "skipped_opt_out": d.skipped, "failed": d.failed});
            execute::enqueue(&mut tx, &self.ctx, None, "announcement.sent", data).await?;
            tx.commit().await?;
            done.push((id, d));
        }
        self.flush().await;
        Ok(done)
    }
}

/// A promotion that starts is announced in the shop's announcement channel (`announce.channel`),
/// and, when it is aimed at some members (inactive, a role), told to them by DM too. Nothing
/// when no channel is set. Queued in the caller's transaction; each at most once.
pub async fn announce_promo(tx: &mut Tx, p: &PromoInfo) -> anyhow::Result<()> {
    let Some(channel) = settings::get(tx, "announce.channel").await? else { return Ok(()) };
    let off = match &p.discount {
        Discount::Percent(n) => format!("-{n}%"),
        Discount::Fixed(m) => format!("-{}", money(i64::try_from(m.amount).unwrap_or(i64::MAX), &m.currency)),
    };
    let on = match &p.target {
        PromoTarget::All => "everything".to_owned(),
        PromoTarget::Plan(plan) => format!("the {plan} plans"),
        PromoTarget::Product(product) => product.clone(),
    };
    let code = p.code.as_ref().map(|c| format!(" with code `{c}`")).unwrap_or_default();
    let text = format!("🏷️ **{off}** on {on}{code}, until <t:{}:f>!", p.ends_at.timestamp());
    let everyone = subjects::params::Audience::Everyone;
    announcements::insert(tx, &format!("promo:{}", p.id), &text, &channel, &everyone).await?;
    if !matches!(p.audience, subjects::params::Audience::Everyone | subjects::params::Audience::PromoPing) {
        announcements::insert(tx, &format!("promo:{}:audience", p.id), &text, &channel, &p.audience).await?;
    }
    Ok(())
}

/// A giveaway that opens is posted in its channel with an Enter button. Nothing without a
/// channel. Queued in the caller's transaction, once.
pub async fn announce_giveaway(tx: &mut Tx, g: &GiveawayInfo) -> anyhow::Result<()> {
    let Some(channel) = &g.channel else { return Ok(()) };
    let ends = g.ends_at.map(|t| format!(", ends <t:{}:R>", t.timestamp())).unwrap_or_default();
    let proof = g
        .commitment
        .as_deref()
        .map(|c| format!("\n🔒 Fair draw: commitment `{c}`. The winners come from a secret seed whose SHA-256 is this commitment; the seed and the entry list are shown when the giveaway ends, so you can recompute the winners (see docs/giveaway-draw.md)."))
        .unwrap_or_default();
    let text =
        format!("🎉 **Giveaway: {}**: {} winner(s){ends}. Click **Enter** to take part.{proof}", g.prize, g.winners);
    let enter = Button::new(&ButtonAction::EnterGiveaway(g.id.clone()), "Enter");
    let everyone = subjects::params::Audience::Everyone;
    announcements::insert_with_buttons(tx, &format!("giveaway-open:{}", g.id), &text, channel, &everyone, &[enter])
        .await
}
