//! Member commands: `/shop`, `/cart`, `/checkout`, `/orders`, `/preorder`, `/pings`.

use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::{ButtonStyle, CreateActionRow, CreateButton, CreateEmbed};

use super::{Context, Error};
use crate::commerce::webhook::money;
use crate::domain::catalog::{Interval, Product};
use crate::members::ButtonAction;

/// Products shown by `/shop` (Discord allows five rows of buttons under a message).
const SHOWN: usize = 5;

/// The price as a buyer reads it: `29.99 EUR`, `9.99 EUR / month`.
fn price(p: &Product) -> String {
    let base = money(p.price, &p.currency);
    match &p.interval {
        Some(Interval::Month) => format!("{base} / month"),
        Some(Interval::Year) => format!("{base} / year"),
        None => base,
    }
}

fn embed(p: &Product) -> CreateEmbed {
    let mut e = CreateEmbed::new()
        .title(&p.name)
        .field("Price", price(p), true)
        .footer(serenity::CreateEmbedFooter::new(format!("id: {}", p.id)));
    if !p.description.is_empty() {
        e = e.description(&p.description);
    }
    if let Some(stock) = p.stock {
        e = e.field("Left", stock.to_string(), true);
    }
    e
}

/// The member's id as the shop stores it.
fn member(ctx: &Context<'_>) -> String {
    ctx.author().id.to_string()
}

/// Browse the shop: each product with its price, and Buy / Add to cart buttons.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn shop(ctx: Context<'_>) -> Result<(), Error> {
    let products = ctx.data().commerce.catalog().await?;
    if products.is_empty() {
        ctx.say("Nothing is for sale yet: come back soon.").await?;
        return Ok(());
    }
    let mut reply = CreateReply::default();
    let mut rows = Vec::new();
    for p in products.iter().take(SHOWN) {
        reply = reply.embed(embed(p));
        rows.push(CreateActionRow::Buttons(vec![
            CreateButton::new(ButtonAction::Buy(p.id.clone()).custom_id())
                .label(format!("Buy {}", p.name))
                .style(ButtonStyle::Success),
            CreateButton::new(ButtonAction::AddToCart(p.id.clone()).custom_id())
                .label("Add to cart")
                .style(ButtonStyle::Secondary),
        ]));
    }
    if products.len() > SHOWN {
        let more: Vec<&str> = products[SHOWN..].iter().map(|p| p.id.as_str()).collect();
        reply = reply.content(format!("More: {} (`/cart add <id>`).", more.join(", ")));
    }
    ctx.send(reply.components(rows)).await?;
    Ok(())
}

/// Your cart: see it, add a product, remove one.
#[poise::command(slash_command, guild_only, subcommands("view", "add", "remove"), subcommand_required)]
pub async fn cart(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// What is in your cart.
#[poise::command(slash_command, guild_only, ephemeral)]
async fn view(ctx: Context<'_>) -> Result<(), Error> {
    let lines = ctx.data().commerce.cart(&member(&ctx)).await?;
    if lines.is_empty() {
        ctx.say("Your cart is empty: `/shop` to browse.").await?;
        return Ok(());
    }
    let text: Vec<String> = lines.iter().map(|(p, n)| format!("{n} × **{}** ({})", p.name, price(p))).collect();
    ctx.say(format!("{}\n`/checkout` to pay.", text.join("\n"))).await?;
    Ok(())
}

/// Put a product in your cart.
#[poise::command(slash_command, guild_only, ephemeral)]
async fn add(
    ctx: Context<'_>,
    #[description = "Product id (shown under each product in /shop)"] product: String,
    #[description = "How many (default 1)"]
    #[min = 1]
    #[max = 100]
    quantity: Option<i64>,
) -> Result<(), Error> {
    let added = ctx.data().commerce.add_to_cart(&member(&ctx), product.trim(), quantity.unwrap_or(1)).await?;
    ctx.say(format!("Added: you have {added} × `{}` in your cart. `/checkout` to pay.", product.trim())).await?;
    Ok(())
}

/// Take a product out of your cart.
#[poise::command(slash_command, guild_only, ephemeral)]
async fn remove(ctx: Context<'_>, #[description = "Product id"] product: String) -> Result<(), Error> {
    ctx.data().commerce.set_cart(&member(&ctx), product.trim(), 0).await?;
    ctx.say(format!("`{}` is out of your cart.", product.trim())).await?;
    Ok(())
}

/// Pay for your cart: a private Stripe Checkout link (a promo code is optional).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn checkout(ctx: Context<'_>, #[description = "Promo code"] code: Option<String>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let code = code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let view = ctx.data().commerce.checkout(&member(&ctx), code).await?;
    ctx.say(pay_text(&view)).await?;
    Ok(())
}

/// The text with a payment link.
pub(super) fn pay_text(view: &crate::commerce::CheckoutView) -> String {
    format!(
        "💳 Pay {} here: {}\nYour items are held until <t:{}:t>.",
        money(view.amount_total, &view.currency),
        view.url,
        view.expires_at.timestamp()
    )
}

/// Your orders in this shop, newest first.
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn orders(ctx: Context<'_>) -> Result<(), Error> {
    let list = ctx.data().commerce.orders_with_receipts(&member(&ctx), 10).await?;
    if list.is_empty() {
        ctx.say("You have no orders yet: `/shop` to browse.").await?;
        return Ok(());
    }
    let lines: Vec<String> = list
        .iter()
        .map(|(c, receipt)| {
            let receipt = match receipt.as_deref() {
                Some(r) if r.starts_with("not sent") => format!(" — receipt {r}"),
                Some(r) => format!(" — receipt {r}"),
                None => String::new(),
            };
            format!("`{}` {} — {}{receipt}", c.id, money(c.amount_total, &c.currency), c.status)
        })
        .collect();
    ctx.say(lines.join("\n")).await?;
    Ok(())
}

/// Preorder a product before its release, or cancel your preorder (refunded).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn preorder(
    ctx: Context<'_>,
    #[description = "Product id"] product: String,
    #[description = "Cancel your preorder instead (refunded)"] cancel: Option<bool>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (buyer, product) = (member(&ctx), product.trim().to_owned());
    if cancel.unwrap_or(false) {
        ctx.data().commerce.cancel_preorder(&buyer, &product).await?;
        ctx.say(format!("Your preorder of `{product}` is cancelled; the refund is on its way.")).await?;
    } else {
        let view = ctx.data().commerce.preorder(&buyer, &product).await?;
        ctx.say(pay_text(&view)).await?;
    }
    Ok(())
}

/// Get pinged for promotions (on), or no marketing messages at all (off).
#[poise::command(slash_command, guild_only, ephemeral)]
pub async fn pings(
    ctx: Context<'_>,
    #[description = "on: be told of promotions; off: never"] on: bool,
) -> Result<(), Error> {
    ctx.data().commerce.set_promo_ping(&member(&ctx), on).await?;
    ctx.say(if on { "🔔 You will hear about promotions." } else { "🔕 No more marketing messages." }).await?;
    Ok(())
}
