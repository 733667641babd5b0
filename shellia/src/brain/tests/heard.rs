//! Requests written the way admins type them, read against the evaluation fleet (its catalog,
//! its 60% cap): each checks one mechanism (times of day, ends, ranges, catalog names, values
//! corrected or contradicted, refusals), in both languages.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::brain::{explicit, understand, Understood};
use crate::eval::corpus::Fleet;

fn fleet() -> Fleet {
    Fleet::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("eval/fleet.toml")).expect("the fleet reads")
}

fn read(text: &str) -> Understood {
    let fleet = fleet();
    let now: DateTime<Utc> = fleet.now;
    understand(text, &fleet.strategy(), now)
}

/// The params of the one order a request gives, every field stated.
fn params(text: &str) -> Value {
    match read(text) {
        Understood::Plan(plan) if plan.commands.len() == 1 => explicit::params(&plan.commands[0]),
        other => panic!("{text:?}: {other:?}"),
    }
}

fn field(text: &str, key: &str) -> Value {
    params(text).get(key).cloned().unwrap_or(Value::Null)
}

fn asks(text: &str) -> bool {
    matches!(read(text), Understood::Ask { .. })
}

fn refuses(text: &str) -> bool {
    matches!(read(text), Understood::Refuse { .. })
}

#[test]
fn a_time_of_day_is_a_start_and_an_hour_or_a_date_after_until_is_an_end() {
    let p = params("moitie prix sur le basic demain 18h pendant 3h");
    assert_eq!((p["starts_at"].clone(), p["duration_secs"].clone()), (json!("2026-12-03T18:00:00Z"), json!(10800)));
    assert_eq!(field("friday at 9pm, 25% off premium for 3 hours", "starts_at"), json!("2026-12-04T21:00:00Z"));
    assert_eq!(field("promo -20% sur le pro jusqu'à 23h", "duration_secs"), json!(46800));
    assert_eq!(field("code XMAS 20% off pro valid until dec 31", "duration_secs"), json!(2_555_940));
    assert_eq!(field("promo 10% basic du 20 au 27 décembre", "starts_at"), json!("2026-12-20T00:00:00Z"));
}

#[test]
fn periods_are_read_as_months_day_ranges_and_days_since() {
    let p = params("ventes du 1er au 15 novembre");
    assert_eq!((p["from"].clone(), p["to"].clone()), (json!("2026-11-01T00:00:00Z"), json!("2026-11-16T00:00:00Z")));
    assert_eq!(field("how many sales in november", "to"), json!("2026-12-01T00:00:00Z"));
    assert_eq!(field("sales since monday", "from"), json!("2026-11-30T00:00:00Z"));
}

#[test]
fn catalog_names_are_found_by_prefix_and_a_choice_or_a_whole_price_off_is_not_planned() {
    assert_eq!(field("20% off prem for 2 days", "target"), json!({"plan": "premium"}));
    assert!(asks("20% off basic or pro"));
    assert!(refuses("€10 off pro"));
    assert!(refuses("20€ de réduction sur le basic"));
    assert!(asks("preorder the pro plan for march 1, 20 max"));
}

#[test]
fn values_corrected_contradicted_or_named_without_their_id_are_asked_back() {
    assert!(asks("20% off pro for 2 days, make it 3"));
    assert!(asks("promo 20 ou 30% sur le pro"));
    assert!(asks("20% off pro for everyone and for inactive members"));
    assert!(asks("close and open shop1"));
    assert!(asks("20% on pro for the VIP role"));
    assert!(asks("annonce pour les vieux membres : coucou"));
    assert!(asks("giveaway 2 months of platinum, 2 winners"));
}

#[test]
fn settings_that_do_not_exist_mass_grants_and_secrets_read_by_command_are_refused() {
    assert!(refuses("set the theme to dark"));
    assert!(refuses("grant vip to everyone"));
    assert!(refuses("execute !config stripe.secret_key"));
    assert!(refuses("give the bot admin"));
    assert!(refuses("prix du basic : -3 €"));
    assert!(refuses("prix du premium à 2 millions"));
}

#[test]
fn giveaways_take_their_entry_rules_and_settings_take_their_format() {
    let p = params("giveaway Nitro, members with <@&123456789012345678> get 2 extra entries, 3 days");
    assert_eq!(p["bonus"], json!([{"role": "123456789012345678", "entries": 2}]));
    assert_eq!(
        field("giveaway Nitro 3 winners 3 days, accounts older than 30 days only", "requirements"),
        json!({"account_age_days": 30})
    );
    assert_eq!(field("salon des giveaways : <#456456456456456456>", "value"), json!("456456456456456456"));
    assert_eq!(field("prix du pro : 12 euros", "value"), json!("12.00"));
}

#[test]
fn shops_written_loosely_are_found_and_never_widened_to_every_shop() {
    let target = |text: &str| match read(text) {
        Understood::Plan(plan) => plan.target.as_str().to_owned(),
        other => panic!("{text:?}: {other:?}"),
    };
    assert_eq!(target("redémarre le shop 3"), "shop3");
    assert_eq!(target("close shop-2"), "shop2");
    assert_eq!(target("ferme les boutiques européennes"), "eu");
    assert_eq!(target("status of the american shop"), "us");
    assert!(asks("restart everything except shop1"));
    assert!(asks("20% off pro for the asian shops"));
}

#[test]
fn a_later_time_for_an_order_that_runs_when_sent_is_refused_never_dropped() {
    assert!(refuses("close shop1 tomorrow"));
    assert!(refuses("annonce demain à 10h : soldes"));
    assert!(refuses("giveaway Nitro starting friday, 2 winners"));
    assert_eq!(field("annonce : Maintenance demain à 10h", "message"), json!("Maintenance demain à 10h"));
    assert_eq!(field("giveaway Nitro qui finit dimanche", "prize"), json!("Nitro"));
}
