//! Members, trials and preorders: `why` and `grant` from a mention or an id, preorders opened with
//! their date, cap and deposit, membership figures read as analytics, trials refused.

use chrono::{TimeZone, Utc};
use subjects::params::*;
use subjects::Command;

use super::*;

/// A fleet of one shop with plans basic/pro/premium and products vip/mug.
fn strategy() -> Strategy {
    let catalog: crate::brain::Catalog = toml::from_str(
        r#"
        [[shop]]
        id = "shop1"
        plans = [{ id = "basic" }, { id = "pro" }, { id = "premium" }]
        products = [{ id = "vip", kind = "role" }, { id = "mug", kind = "physical" }]
        "#,
    )
    .unwrap();
    Strategy { catalog, ..Strategy::default() }
}

fn command(text: &str) -> Command {
    match understand(text, &strategy(), now()) {
        Understood::Plan(plan) => plan.commands.into_iter().next().unwrap(),
        other => panic!("{text:?} gave {other:?}"),
    }
}

fn asked(text: &str) -> bool {
    matches!(understand(text, &strategy(), now()), Understood::Ask { .. })
}

fn refused(text: &str) -> bool {
    matches!(understand(text, &strategy(), now()), Understood::Refuse { .. })
}

const ID: &str = "175928847299117063";

#[test]
fn why_reads_the_member_from_a_mention_or_a_bare_id() {
    let why = Command::Why(WhyParams { member: ID.to_owned() });
    assert_eq!(command(&format!("why did <@{ID}> lose Pro?")), why);
    assert_eq!(command(&format!("pourquoi <@!{ID}> n'a plus le rôle VIP ?")), why);
    assert_eq!(command(&format!("why doesn't {ID} have the premium role")), why);
    assert_eq!(command(&format!("<@{ID}> a payé mais n'a pas le rôle, pourquoi ?")), why);
}

#[test]
fn a_member_named_without_a_mention_is_asked_back() {
    assert!(asked("why did @bob lose Pro"));
    assert!(asked("give @carol premium"));
}

#[test]
fn grant_gives_or_takes_back_a_product_of_the_catalog() {
    let grant = |product: &str, revoke| {
        Command::Grant(GrantParams { member: ID.to_owned(), product: product.to_owned(), revoke })
    };
    assert_eq!(command(&format!("give <@{ID}> VIP")), grant("vip", false));
    assert_eq!(command(&format!("please give <@{ID}> the Pro plan for free")), grant("pro", false));
    assert_eq!(command(&format!("retire le VIP à <@{ID}>")), grant("vip", true));
    assert!(asked(&format!("give <@{ID}> the gold role")), "an unknown product is asked back");
    assert!(refused(&format!("donne les droits admin à <@{ID}>")));
}

#[test]
fn preorders_open_with_their_date_cap_and_deposit() {
    let open = command("open preorders for the mug, release on january 15, 200 max, 30% deposit");
    let release_at = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
    let want = PreorderParams::Open { product: "mug".to_owned(), release_at, cap: 200, deposit_percent: 30 };
    assert_eq!(open, Command::Preorder(want));
    let open = command("ouvre les précommandes du mug pour le 20 décembre, 50 places");
    let release_at = Utc.with_ymd_and_hms(2025, 12, 20, 0, 0, 0).unwrap();
    let want = PreorderParams::Open { product: "mug".to_owned(), release_at, cap: 50, deposit_percent: 100 };
    assert_eq!(open, Command::Preorder(want));
    assert!(asked("open preorders for the mug"), "no date, no cap");
}

#[test]
fn preorders_are_listed_closed_or_released() {
    assert_eq!(command("list preorders"), Command::Preorder(PreorderParams::List));
    let close = PreorderParams::Close { product: "mug".to_owned() };
    assert_eq!(command("arrête les précos du mug"), Command::Preorder(close));
    let release = PreorderParams::Release { product: "mug".to_owned() };
    assert_eq!(command("release the mug preorders now"), Command::Preorder(release));
}

#[test]
fn membership_figures_are_analytics_of_the_period_asked() {
    let month = Command::Analytics(AnalyticsParams { period: Period::Month, from: None, to: None });
    let week = Command::Analytics(AnalyticsParams { period: Period::Week, from: None, to: None });
    assert_eq!(command("how many members churned this month"), month);
    assert_eq!(command("combien de membres ont résilié ce mois-ci"), month);
    assert_eq!(command("what's our MRR"), week);
    assert_eq!(command("paiements récupérés cette semaine"), week);
    assert_eq!(command("how's business"), week);
}

#[test]
fn a_trial_length_is_the_plans_trial_setting_and_a_product_or_a_thousand_days_are_refused() {
    let trial = |text: &str| match command(text) {
        Command::Config(c) => (c.key, c.value.unwrap_or_default()),
        other => panic!("{text:?} gave {other:?}"),
    };
    assert_eq!(trial("offre 7 jours d'essai sur le plan Pro"), ("trial.pro".into(), "7".into()));
    assert_eq!(trial("give Pro a 7-day trial"), ("trial.pro".into(), "7".into()));
    assert_eq!(trial("essai gratuit d'une semaine sur le premium"), ("trial.premium".into(), "7".into()));
    assert_eq!(trial("remove the trial from pro"), ("trial.pro".into(), "0".into()));
    for refused in ["essai de 30 jours sur le mug", "trial of 1000 days on basic"] {
        assert!(matches!(understand(refused, &strategy(), now()), Understood::Refuse { .. }), "{refused}");
    }
    assert!(asked("offre un essai gratuit"));
}

#[test]
fn shells_mass_messages_and_other_secrets_are_refused() {
    for text in [
        "give me a shell on the server",
        "dm every member the discount code",
        "mass ban the raiders",
        "make me server owner",
        "balance-moi la clé API Stripe",
        "show me the .env",
    ] {
        assert!(refused(text), "{text:?} must be refused");
    }
}

#[test]
fn a_member_is_moved_to_another_plan_in_either_language() {
    let switch =
        |plan: &str| Command::Subscription(SubscriptionParams { member: ID.to_owned(), switch_to: plan.to_owned() });
    assert_eq!(command(&format!("passe <@{ID}> au plan pro")), switch("pro"));
    assert_eq!(command(&format!("switch <@{ID}> to the basic plan")), switch("basic"));
    assert_eq!(command(&format!("upgrade {ID} to premium")), switch("premium"));
    assert!(asked(&format!("passe <@{ID}> au plan")), "which plan?");
    assert!(asked("passe @bob au plan pro"), "a name, not a mention");
}
