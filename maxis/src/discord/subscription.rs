//! `/subscription`: a member's own membership, privately: status, cancel at the end of the period
//! (with a reason), resume, a Billing Portal link to manage their payment, and a switch to
//! another plan.

use poise::ChoiceParameter;

use super::{Context, Error};
use crate::commerce::webhook::money;
use crate::memberships::MembershipView;
use crate::payments::CancelFeedback;

/// Why a member cancels: the one-line picker (Stripe's cancellation feedback).
#[derive(Debug, Clone, Copy, ChoiceParameter)]
pub enum Reason {
    #[name = "Too expensive"]
    TooExpensive,
    #[name = "I don't use it enough"]
    Unused,
    #[name = "Missing features"]
    MissingFeatures,
    #[name = "Switched to something else"]
    SwitchedService,
    #[name = "Quality was too low"]
    LowQuality,
    #[name = "Too complicated"]
    TooComplex,
    #[name = "Customer service"]
    CustomerService,
    #[name = "Something else"]
    Other,
}

impl From<Reason> for CancelFeedback {
    fn from(r: Reason) -> Self {
        match r {
            Reason::TooExpensive => Self::TooExpensive,
            Reason::Unused => Self::Unused,
            Reason::MissingFeatures => Self::MissingFeatures,
            Reason::SwitchedService => Self::SwitchedService,
            Reason::LowQuality => Self::LowQuality,
            Reason::TooComplex => Self::TooComplex,
            Reason::CustomerService => Self::CustomerService,
            Reason::Other => Self::Other,
        }
    }
}

fn member(ctx: &Context<'_>) -> String {
    ctx.author().id.to_string()
}

/// The status lines of a membership.
fn status_text(v: &MembershipView) -> String {
    let s = &v.subscription;
    let price = money(s.amount, &s.currency);
    let when = format!("<t:{}:D>", s.current_period_end);
    let mut lines = vec![format!("**{}** — {}", v.plan, s.status)];
    if v.trial {
        let end = s.trial_end.unwrap_or(s.current_period_end);
        lines.push(format!("🎁 Free trial until <t:{end}:D>; then {price} per period."));
    }
    if let Some(grace) = v.grace_until {
        lines.push(format!(
            "⚠️ Your last payment failed: you keep the role until <t:{}:D>. `/subscription manage` to fix it.",
            grace.timestamp()
        ));
    }
    if let Some((plan, at)) = &v.scheduled_switch {
        lines.push(format!("Switches to **{plan}** on <t:{}:D> (you keep this plan until then).", at.timestamp()));
    }
    if s.cancel_at_period_end {
        lines.push(format!("Ends on {when} (role kept until then). `/subscription resume` to keep it."));
    } else if !v.trial {
        lines.push(format!("Next payment: {price} on {when}."));
    }
    lines.join("\n")
}

/// Your membership: status, cancel, resume, manage payment.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("status", "cancel", "resume", "manage", "switch"),
    subcommand_required
)]
pub async fn subscription(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Your plan, next payment, trial or grace.
#[poise::command(slash_command, guild_only, ephemeral)]
async fn status(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let view = ctx.data().commerce.membership(&member(&ctx)).await?;
    ctx.say(status_text(&view)).await?;
    Ok(())
}

/// End your membership at the end of the period (the role stays until then).
#[poise::command(slash_command, guild_only, ephemeral)]
async fn cancel(ctx: Context<'_>, #[description = "Why are you leaving?"] reason: Reason) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let view = ctx.data().commerce.cancel_membership(&member(&ctx), reason.into()).await?;
    let end = view.subscription.current_period_end;
    ctx.say(format!(
        "Your {} membership ends on <t:{end}:D>; you keep its role until then. Thanks for the feedback. \
         `/subscription resume` if you change your mind.",
        view.plan
    ))
    .await?;
    Ok(())
}

/// Keep your membership after all (before the period ends).
#[poise::command(slash_command, guild_only, ephemeral)]
async fn resume(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let view = ctx.data().commerce.resume_membership(&member(&ctx)).await?;
    ctx.say(format!("✅ Your {} membership is resumed: it renews as usual.", view.plan)).await?;
    Ok(())
}

/// Update your card, see invoices: a private Stripe link.
#[poise::command(slash_command, guild_only, ephemeral)]
async fn manage(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let url = ctx.data().commerce.manage_payment(&member(&ctx)).await?;
    ctx.say(format!("🔒 Manage your payment and invoices here (this link is yours alone): {url}")).await?;
    Ok(())
}

/// Move to another plan: an upgrade now (prorated), a downgrade at the end of the period.
#[poise::command(slash_command, guild_only, ephemeral)]
async fn switch(
    ctx: Context<'_>,
    #[description = "The plan to move to (its name or id, as /shop lists them)"] plan: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let commerce = &ctx.data().commerce;
    let done = commerce.switch_plan(&member(&ctx), &plan).await?;
    let names = commerce.plan_switch_names(&done).await?;
    let text = match done.effective_at.filter(|_| done.status == "scheduled") {
        Some(at) => format!(
            "📅 You move from **{}** to **{}** on <t:{}:D>, at the end of the period you paid for; you keep {} and its role until then.",
            names.0, names.1, at.timestamp(), names.0
        ),
        None if done.direction == "stay" => {
            format!("✅ You stay on **{}**: the switch you had scheduled is canceled.", names.1)
        }
        None => {
            let charged = match done.prorated.filter(|p| *p > 0) {
                Some(p) => format!(" Stripe charged {} for the rest of this period (prorated).", money(p, &names.2)),
                None => String::new(),
            };
            format!("✅ You are now on **{}** (was {}): your roles are being updated.{charged}", names.1, names.0)
        }
    };
    ctx.say(text).await?;
    Ok(())
}
