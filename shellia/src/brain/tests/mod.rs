//! The brain's tables: requests in French and English with the exact orders and target they must
//! give, and requests that must be asked back or refused. Every case reads at a fixed `now`.

mod en;
mod fr;
mod heard;
mod members;
mod refusals;

use chrono::{DateTime, TimeZone, Utc};
use subjects::params::*;
use subjects::{Command, Name, Target};

use super::{understand, Lang, Plan, Strategy, Understood};

/// Wednesday 11 June 2025, 10:00 UTC.
pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 11, 10, 0, 0).unwrap()
}

pub(super) const H: u64 = 3600;
pub(super) const DAY: u64 = 24 * H;

/// One request and what it must give.
pub(super) struct Case {
    pub(super) text: &'static str,
    pub(super) lang: Lang,
    pub(super) target: Target,
    pub(super) command: Command,
}

pub(super) fn case(text: &'static str, lang: Lang, target: Target, command: Command) -> Case {
    Case { text, lang, target, command }
}

pub(super) fn all() -> Target {
    Target::All
}

pub(super) fn named(name: &str) -> Target {
    Target::Named(Name::parse(name).unwrap())
}

pub(super) fn pct(p: u8) -> Discount {
    Discount::Percent(p)
}

pub(super) fn money(amount: u64, currency: &str) -> Discount {
    Discount::Fixed(Money { amount, currency: currency.to_owned() })
}

pub(super) fn on_plan(id: &str) -> PromoTarget {
    PromoTarget::Plan(id.to_owned())
}

pub(super) fn product(id: &str) -> PromoTarget {
    PromoTarget::Product(id.to_owned())
}

pub(super) fn promo(discount: Discount, target: PromoTarget, duration_secs: u64, audience: Audience) -> Command {
    Command::Promo(PromoParams {
        discount,
        target,
        duration_secs,
        audience,
        code: None,
        max_redemptions: None,
        starts_at: None,
        replace: false,
    })
}

pub(super) fn inactive() -> Audience {
    Audience::InactiveDays(30)
}

pub(super) fn giveaway(prize: &str, winners: u32, duration_secs: u64, trigger: GiveawayTrigger) -> Command {
    Command::Giveaway(GiveawayParams {
        prize: prize.to_owned(),
        winners,
        duration_secs,
        trigger,
        channel: None,
        requirements: Requirements::default(),
        bonus: Vec::new(),
    })
}

pub(super) fn config(key: &str, value: Option<&str>) -> Command {
    Command::Config(ConfigParams { key: key.to_owned(), value: value.map(str::to_owned) })
}

pub(super) fn analytics(period: Period) -> Command {
    Command::Analytics(AnalyticsParams { period, from: None, to: None })
}

pub(super) fn report(period: Period, chart: bool) -> Command {
    Command::Report(ReportParams { period, chart })
}

pub(super) fn stop(reason: Option<&str>) -> Command {
    Command::Stop(StopParams { reason: reason.map(str::to_owned) })
}

pub(super) fn announce(message: &str, audience: Audience) -> Command {
    Command::Announce(AnnounceParams { message: message.to_owned(), audience, channel: None })
}

/// The plan a request gives with the default strategy, or a panic saying what came instead.
pub(super) fn plan_of(text: &str, strategy: &Strategy) -> Plan {
    match understand(text, strategy, now()) {
        Understood::Plan(plan) => plan,
        other => panic!("{text:?} gave no plan: {other:?}"),
    }
}

/// Checks every case, reporting all failures at once.
pub(super) fn check(cases: &[Case]) {
    let strategy = Strategy::default();
    let mut failures = Vec::new();
    for c in cases {
        match understand(c.text, &strategy, now()) {
            Understood::Plan(p) if p.lang == c.lang && p.target == c.target && p.commands == [c.command.clone()] => {}
            other => failures
                .push(format!("{:?}\n  want {:?} {:?} {:?}\n  got  {other:?}", c.text, c.lang, c.target, c.command)),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn the_seeds_example_gives_the_promotion_and_its_exact_reply() {
    let plan = plan_of("@Shellia Lance une promotion de 20% sur les plans Pro", &Strategy::default());
    assert_eq!(plan.lang, Lang::Fr);
    assert_eq!(plan.target, Target::All);
    assert_eq!(plan.commands, vec![promo(pct(20), on_plan("pro"), 48 * H, inactive())]);
    assert_eq!(plan.done_text, "✅ Promotion lancée ! 20% sur les plans Pro pendant 48h.");
    assert!(plan.summary.contains("20%") && plan.summary.contains("tous les shops"), "{}", plan.summary);
}

#[test]
fn the_strategy_decides_what_the_request_leaves_unsaid() {
    let strategy = Strategy {
        promo_hours: 72,
        promo_audience: Audience::PromoPing,
        max_discount: 30,
        default_target: named("eu"),
        ..Strategy::default()
    };
    let plan = plan_of("Lance une promotion de 20% sur les plans Pro", &strategy);
    assert_eq!(plan.target, named("eu"));
    assert_eq!(plan.commands, vec![promo(pct(20), on_plan("pro"), 72 * H, Audience::PromoPing)]);
    assert_eq!(plan.done_text, "✅ Promotion lancée ! 20% sur les plans Pro pendant 3 jours.");
}

#[test]
fn known_targets_are_accepted_and_others_asked_about() {
    let strategy = Strategy {
        known_targets: ["shop1", "shop2", "eu", "us", "asia"].map(|n| Name::parse(n).unwrap()).to_vec(),
        ..Strategy::default()
    };
    assert_eq!(plan_of("statut de asia", &strategy).target, named("asia"));
    assert_eq!(plan_of("redémarre shop2", &strategy).target, named("shop2"));
    match understand("statut du shop9", &strategy, now()) {
        Understood::Ask { lang: Lang::Fr, question } => assert!(question.contains("shop9"), "{question}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn this_weekend_runs_until_sunday_23_59_utc_whatever_the_day() {
    let strategy = Strategy::default();
    let at = |y, m, d, h, min, s| Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap();
    let cases = [
        (at(2025, 6, 11, 10, 0, 0), 4 * DAY + 13 * H + 59 * 60),
        (at(2025, 6, 14, 20, 0, 0), 27 * H + 59 * 60),
        (at(2025, 6, 15, 23, 0, 0), 59 * 60),
        (at(2025, 6, 15, 23, 59, 30), 7 * DAY - 30),
    ];
    for (now, secs) in cases {
        let Understood::Plan(plan) = understand("20% off everything this weekend", &strategy, now) else { panic!() };
        assert_eq!(plan.commands, vec![promo(pct(20), PromoTarget::All, secs, inactive())], "at {now}");
        assert_eq!(plan.done_text, "✅ Promotion started! 20% off everything until Sunday 23:59 UTC.");
    }
}

#[test]
fn replies_are_in_the_requests_language() {
    let strategy = Strategy::default();
    let en = plan_of("$5 off the Pro plan for 3 days", &strategy);
    assert_eq!(en.done_text, "✅ Promotion started! $5 off the Pro plan for 3 days.");
    assert!(
        en.summary.starts_with("Start a $5 promotion") && en.summary.ends_with("target: every shop."),
        "{}",
        en.summary
    );
    let fr = plan_of("promo de 4,99€ sur le produit ebook pendant une semaine", &strategy);
    assert_eq!(fr.done_text, "✅ Promotion lancée ! 4,99€ sur le produit ebook pendant 7 jours.");
    assert_eq!(plan_of("ferme la boutique pour inventaire", &strategy).done_text, "⛔ Boutique fermée (inventaire).");
    assert_eq!(
        plan_of("giveaway Nitro 24h 2 gagnants", &strategy).done_text,
        "🎉 Giveaway lancé ! Nitro, 2 gagnants, pendant 24h."
    );
    assert_eq!(
        plan_of("giveaway Nitro when we reach 100 members", &strategy).done_text,
        "🎉 Giveaway scheduled! Nitro, 1 winner, once the server reaches 100 members, for 24h."
    );
}

#[test]
fn a_later_start_and_a_code_are_read_with_the_promotion() {
    let plan = plan_of(
        "promo de 20% sur les plans Pro dès demain avec le code NOEL20, limitée à 100 utilisations",
        &Strategy::default(),
    );
    let Command::Promo(params) = &plan.commands[0] else { panic!("{plan:?}") };
    assert_eq!(params.starts_at, Some(Utc.with_ymd_and_hms(2025, 6, 12, 0, 0, 0).unwrap()));
    assert_eq!(params.code.as_deref(), Some("NOEL20"));
    assert_eq!(params.max_redemptions, Some(100));
    assert_eq!(params.duration_secs, 48 * H);
    assert!(plan.done_text.starts_with("✅ Promotion programmée !"), "{}", plan.done_text);
}

#[test]
fn yesterday_and_the_last_days_are_custom_ranges() {
    let strategy = Strategy::default();
    let midnight = Utc.with_ymd_and_hms(2025, 6, 11, 0, 0, 0).unwrap();
    let yesterday =
        AnalyticsParams { period: Period::Week, from: Some(midnight - chrono::Duration::days(1)), to: Some(midnight) };
    assert_eq!(plan_of("les ventes d'hier", &strategy).commands, vec![Command::Analytics(yesterday.clone())]);
    assert_eq!(plan_of("sales yesterday", &strategy).commands, vec![Command::Analytics(yesterday)]);
    let three = AnalyticsParams { period: Period::Week, from: Some(now() - chrono::Duration::days(3)), to: None };
    assert_eq!(plan_of("ventes des 3 derniers jours", &strategy).commands, vec![Command::Analytics(three)]);
}

#[test]
fn two_plans_give_one_promotion_each() {
    let plan = plan_of("Mets une promo de 15% sur les plans Pro et Max pendant 3 jours", &Strategy::default());
    assert_eq!(
        plan.commands,
        vec![promo(pct(15), on_plan("pro"), 3 * DAY, inactive()), promo(pct(15), on_plan("max"), 3 * DAY, inactive())]
    );
    assert_eq!(plan.done_text, "✅ Promotion lancée ! 15% sur les plans Pro et Max pendant 3 jours.");
}
