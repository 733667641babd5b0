//! English requests and the exact orders they give.

use subjects::params::*;
use subjects::Command;

use super::*;
use crate::brain::Lang::En;

fn cases() -> Vec<Case> {
    vec![
        // Promotions.
        case("launch a 20% promo on the Pro plans", En, all(), promo(pct(20), on_plan("pro"), 48 * H, inactive())),
        case(
            "20% off everything this weekend",
            En,
            all(),
            promo(pct(20), PromoTarget::All, 4 * DAY + 13 * H + 59 * 60, inactive()),
        ),
        case(
            "$5 off the Pro plan for 3 days",
            En,
            all(),
            promo(money(500, "usd"), on_plan("pro"), 3 * DAY, inactive()),
        ),
        case(
            "5 euros off the whole catalog",
            En,
            all(),
            promo(money(500, "eur"), PromoTarget::All, 48 * H, inactive()),
        ),
        case(
            "twenty percent off the pro plan for two days",
            En,
            all(),
            promo(pct(20), on_plan("pro"), 2 * DAY, inactive()),
        ),
        case("fifty percent off everything for one day", En, all(), promo(pct(50), PromoTarget::All, DAY, inactive())),
        case(
            "25% off product ebook for a week for inactive members",
            En,
            all(),
            promo(pct(25), product("ebook"), 7 * DAY, inactive()),
        ),
        case(
            "10% discount on everything for members inactive for 14 days",
            En,
            all(),
            promo(pct(10), PromoTarget::All, 48 * H, Audience::InactiveDays(14)),
        ),
        case(
            "15% off the pro plan for promo-ping members",
            En,
            all(),
            promo(pct(15), on_plan("pro"), 48 * H, Audience::PromoPing),
        ),
        case(
            "start a sale: 30% off everything for everyone",
            En,
            all(),
            promo(pct(30), PromoTarget::All, 48 * H, Audience::Everyone),
        ),
        case("30% off everything on every shop", En, all(), promo(pct(30), PromoTarget::All, 48 * H, inactive())),
        case(
            "promo 20% on the Pro plans on shop1",
            En,
            named("shop1"),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case(
            "run a 20% promotion on the pro plan for the eu group",
            En,
            named("eu"),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        // Status.
        case("how are the shops doing?", En, all(), Command::Status(StatusParams {})),
        case("status of shop2", En, named("shop2"), Command::Status(StatusParams {})),
        case("@us status", En, named("us"), Command::Status(StatusParams {})),
        case("is everything up on all shops?", En, all(), Command::Status(StatusParams {})),
        // Figures.
        case("sales today", En, all(), analytics(Period::Today)),
        case("sales this week for eu", En, named("eu"), analytics(Period::Week)),
        case("monthly revenue", En, all(), analytics(Period::Month)),
        case("sales for the last 30 days", En, all(), analytics(Period::Month)),
        case("sales since the beginning", En, all(), analytics(Period::All)),
        case("weekly report", En, all(), report(Period::Week, false)),
        case("weekly report with chart for all shops", En, all(), report(Period::Week, true)),
        // Giveaways.
        case(
            "start a Nitro giveaway for 24 hours with 2 winners",
            En,
            all(),
            giveaway("Nitro", 2, 24 * H, GiveawayTrigger::Now),
        ),
        case(
            "giveaway Nitro when we reach 100 members",
            En,
            all(),
            giveaway("Nitro", 1, 24 * H, GiveawayTrigger::Members(100)),
        ),
        case(
            "giveaway Steam key for a week, three winners",
            En,
            all(),
            giveaway("Steam key", 3, 7 * DAY, GiveawayTrigger::Now),
        ),
        case("giveaway Nitro at 100members", En, all(), giveaway("Nitro", 1, 24 * H, GiveawayTrigger::Members(100))),
        case(
            "end giveaway 0190abcd1234",
            En,
            all(),
            Command::Giveaways(GiveawaysParams::End { id: "0190abcd1234".into() }),
        ),
        // Open, close, restart.
        case("close the shop for inventory", En, all(), stop(Some("inventory"))),
        case("open the shop", En, all(), Command::Start(StartParams {})),
        case("reopen shop1", En, named("shop1"), Command::Start(StartParams {})),
        case("restart shop2", En, named("shop2"), Command::Restart(RestartParams {})),
        case("restart every shop", En, all(), Command::Restart(RestartParams {})),
        // Settings.
        case("set price_pro to 29.99", En, all(), config("price.pro", Some("29.99"))),
        case("what's the price of pro?", En, all(), config("price.pro", None)),
        case("set the max discount to 40", En, all(), config("promo.max_discount", Some("40"))),
        case("set the shop name to Maxis Store", En, all(), config("shop.name", Some("Maxis Store"))),
        // Announcements, commands, lists.
        case("announce: Big sale tonight!", En, all(), announce("Big sale tonight!", Audience::Everyone)),
        case("announce to inactive members: We miss you", En, all(), announce("We miss you", inactive())),
        case("run !status", En, all(), Command::Execute(ExecuteParams { command: "!status".into() })),
        case("resync roles on eu", En, named("eu"), Command::Resync(ResyncParams {})),
        case("list the preorders", En, all(), Command::Preorder(PreorderParams::List)),
        case("close eu", En, named("eu"), stop(None)),
        case("is shop1 closed?", En, named("shop1"), Command::Status(StatusParams {})),
        case(
            "20% off the pro plan today only",
            En,
            all(),
            promo(pct(20), on_plan("pro"), 13 * H + 59 * 60, inactive()),
        ),
        case(
            "set the promo ping role to <@&123456789>",
            En,
            all(),
            config("marketing.promo_ping_role", Some("123456789")),
        ),
        case("show the catalog", En, all(), Command::Catalog(CatalogParams::List)),
    ]
}

#[test]
fn english_requests_give_the_expected_orders() {
    check(&cases());
}

#[test]
fn the_english_table_has_enough_cases() {
    assert!(cases().len() >= 30);
}
