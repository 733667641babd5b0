use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use subjects::params::*;
use subjects::reply::StatusReport;
use subjects::{
    Action, Command, ContractVersion, ErrorBody, ErrorCode, Event, EventKind, Name, Order, OrderErrorKind, OrderId,
    Reply,
};

fn every_command() -> Vec<Command> {
    vec![
        Command::Status(StatusParams {}),
        Command::Config(ConfigParams { key: "price.pro".into(), value: Some("29.99".into()) }),
        Command::Start(StartParams {}),
        Command::Stop(StopParams { reason: Some("inventory".into()) }),
        Command::Restart(RestartParams {}),
        Command::Promo(PromoParams {
            discount: Discount::Percent(20),
            target: PromoTarget::Plan("pro".into()),
            duration_secs: 48 * 3600,
            audience: Audience::InactiveDays(30),
            code: Some("PRO20".into()),
            max_redemptions: Some(100),
            starts_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap()),
            replace: true,
        }),
        Command::Giveaway(GiveawayParams {
            prize: "Nitro".into(),
            winners: 2,
            duration_secs: 86_400,
            trigger: GiveawayTrigger::Members(100),
            channel: Some("123".into()),
            requirements: Requirements { role: Some("12345".into()), account_age_days: Some(30), member_days: None },
            bonus: vec![BonusEntries { role: "67890".into(), entries: 2 }],
        }),
        Command::Analytics(AnalyticsParams {
            period: Period::Month,
            from: Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()),
            to: None,
        }),
        Command::Report(ReportParams { period: Period::Week, chart: true }),
        Command::Execute(ExecuteParams { command: "!announce Promo".into() }),
        Command::Announce(AnnounceParams { message: "Soldes !".into(), audience: Audience::PromoPing, channel: None }),
        Command::Resync(ResyncParams {}),
        Command::Catalog(CatalogParams::Stock { id: "mug".into(), stock: Some(10) }),
        Command::Giveaways(GiveawaysParams::Reroll { id: "g1".into(), replace: Some("42".into()) }),
        Command::Preorder(PreorderParams::Open {
            product: "figurine".into(),
            release_at: Utc.with_ymd_and_hms(2027, 1, 15, 12, 0, 0).unwrap(),
            cap: 50,
            deposit_percent: 30,
        }),
        Command::Estimate(EstimateParams {
            promo: PromoParams {
                discount: Discount::Percent(20),
                target: PromoTarget::Plan("pro".into()),
                duration_secs: 48 * 3600,
                audience: Audience::InactiveDays(30),
                code: None,
                max_redemptions: None,
                starts_at: None,
                replace: false,
            },
            days: 7,
        }),
        Command::Why(WhyParams { member: "123456789012345678".into() }),
        Command::Grant(GrantParams { member: "<@123456789012345678>".into(), product: "vip".into(), revoke: false }),
        Command::Subscription(SubscriptionParams { member: "<@123456789012345678>".into(), switch_to: "pro".into() }),
    ]
}

#[test]
fn every_action_has_a_command_in_this_test() {
    let covered: Vec<Action> = every_command().iter().map(Command::action).collect();
    assert_eq!(covered, Action::ALL);
}

#[test]
fn every_order_round_trips_through_json() {
    for command in every_command() {
        let mut order = Order::new(command, "shellia:admin");
        order.expires_at = Some(order.issued_at + chrono::Duration::minutes(5));
        order.confirmed_by = Some("discord:42".into());
        let parsed = Order::from_json(&order.to_json()).unwrap();
        assert_eq!(parsed, order);
    }
}

#[test]
fn replies_and_events_round_trip() {
    let shop = Name::parse("shop1").unwrap();
    let ok = Reply::ok(OrderId::generate(), shop.clone(), json!({"open": true}));
    assert_eq!(serde_json::from_slice::<Reply>(&ok.to_json()).unwrap(), ok);
    let err = Reply::err(OrderId::generate(), shop.clone(), ErrorBody::new(ErrorCode::Conflict, "promo running"));
    let text: Value = serde_json::from_slice(&err.to_json()).unwrap();
    assert_eq!(text["error"]["code"], "conflict");
    assert!(text.get("result").is_none());
    assert_eq!(serde_json::from_slice::<Reply>(&err.to_json()).unwrap(), err);
    let event =
        Event::new(shop, EventKind::parse("promo.started").unwrap(), Some(OrderId::generate()), json!({"x": 1}));
    assert_eq!(serde_json::from_slice::<Event>(&event.to_json()).unwrap(), event);
}

#[test]
fn a_status_report_round_trips() {
    let report = StatusReport {
        version: "0.1.0".into(),
        contract: ContractVersion::CURRENT,
        online: true,
        open: false,
        closed_reason: Some("inventory".into()),
        started_at: Utc::now(),
        uptime_secs: 12,
        groups: vec!["eu".into()],
        counts: subjects::reply::StatusCounts { products: 3, open_orders: 1, active_promos: 1, active_giveaways: 0 },
    };
    let reply = Reply::ok(OrderId::generate(), Name::parse("shop1").unwrap(), serde_json::to_value(&report).unwrap());
    assert_eq!(reply.result_as::<StatusReport>().unwrap().unwrap(), report);
}

#[test]
fn unknown_error_codes_from_newer_shops_are_read_as_other() {
    let reply: Reply = serde_json::from_value(json!({
        "v": "1.3", "order_id": "abc", "instance": "shop1", "ok": false, "at": "2026-11-24T00:00:00Z",
        "error": {"code": "rate_limited", "message": "later"}, "new_field": 1
    }))
    .unwrap();
    assert_eq!(reply.error.unwrap().code, ErrorCode::Other);
}

fn order_json(action: &str, params: Value) -> Value {
    json!({"v": "1.0", "id": "o1", "action": action, "params": params, "issued_by": "t", "issued_at": "2026-11-24T00:00:00Z"})
}

fn kind_of(value: Value) -> OrderErrorKind {
    Order::from_json(value.to_string().as_bytes()).unwrap_err().kind
}

#[test]
fn an_unknown_major_version_is_refused_as_unsupported() {
    let mut order = order_json("status", json!({}));
    order["v"] = json!("2.0");
    let err = Order::from_json(order.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.kind, OrderErrorKind::UnsupportedVersion);
    assert_eq!(err.kind.code(), ErrorCode::UnsupportedVersion);
    assert_eq!(err.order_id.unwrap().as_ref(), "o1", "the id is kept so the shop can answer");
}

#[test]
fn a_newer_minor_version_is_accepted() {
    let mut order = order_json("status", json!({}));
    order["v"] = json!("1.7");
    assert!(Order::from_json(order.to_string().as_bytes()).is_ok());
}

#[test]
fn unknown_actions_fields_and_wrong_types_are_typed_errors() {
    assert_eq!(kind_of(order_json("explode", json!({}))), OrderErrorKind::UnknownAction);
    assert_eq!(kind_of(order_json("status", json!({"verbose": true}))), OrderErrorKind::InvalidParams);
    assert_eq!(kind_of(order_json("config", json!({"key": 5}))), OrderErrorKind::InvalidParams);
    assert_eq!(kind_of(order_json("config", json!({}))), OrderErrorKind::InvalidParams);
    let promo = json!({"discount": {"percent": 120}, "target": "all", "duration_secs": 60});
    assert_eq!(kind_of(order_json("promo", promo)), OrderErrorKind::InvalidParams);
    let promo = json!({"discount": {"percent": "20"}, "target": "all", "duration_secs": 60});
    assert_eq!(kind_of(order_json("promo", promo)), OrderErrorKind::InvalidParams);
    assert_eq!(
        kind_of(order_json("giveaway", json!({"prize": "x", "duration_secs": 0}))),
        OrderErrorKind::InvalidParams
    );
    assert_eq!(kind_of(order_json("announce", json!({"message": " "}))), OrderErrorKind::InvalidParams);
    let mut extra = order_json("status", json!({}));
    extra["surprise"] = json!(1);
    assert_eq!(kind_of(extra), OrderErrorKind::Malformed);
    let mut no_version = order_json("status", json!({}));
    no_version.as_object_mut().unwrap().remove("v");
    assert_eq!(kind_of(no_version), OrderErrorKind::Malformed);
    assert_eq!(Order::from_json(b"not json").unwrap_err().kind, OrderErrorKind::Malformed);
    assert_eq!(Order::from_json(b"[1]").unwrap_err().kind, OrderErrorKind::Malformed);
}

#[test]
fn omitted_params_mean_an_empty_object() {
    let mut order = order_json("status", json!({}));
    order.as_object_mut().unwrap().remove("params");
    assert!(Order::from_json(order.to_string().as_bytes()).is_ok());
}

#[test]
fn defaults_are_not_written_so_older_shops_accept_them() {
    let order = Order::new(
        Command::Promo(PromoParams {
            discount: Discount::Percent(20),
            target: PromoTarget::All,
            duration_secs: 60,
            audience: Audience::Everyone,
            code: None,
            max_redemptions: None,
            starts_at: None,
            replace: false,
        }),
        "t",
    );
    let wire: Value = serde_json::from_slice(&order.to_json()).unwrap();
    assert_eq!(wire["params"], json!({"discount": {"percent": 20}, "target": "all", "duration_secs": 60}));
}

#[test]
fn every_version_of_the_grammar_is_judged_by_its_major_and_nothing_else_is_a_version() {
    let with_version = |v: &str| {
        let mut order = order_json("status", json!({}));
        order["v"] = json!(v);
        Order::from_json(order.to_string().as_bytes()).map(|_| ())
    };
    assert_eq!(with_version("99999.0").unwrap_err().kind, OrderErrorKind::UnsupportedVersion);
    assert_eq!(with_version("65536.0").unwrap_err().kind, OrderErrorKind::UnsupportedVersion);
    assert!(with_version("1.99999").is_ok(), "a newer minor of major 1");
    assert!(with_version("00001.0").is_ok(), "leading zeros match the grammar");
    for bad in ["1", "1.", ".0", "1.0.0", "100000.0", "1.100000", "+1.0", "1.-0", " 1.0", "1.0 ", "١.0", "v1.0"] {
        assert_eq!(with_version(bad).unwrap_err().kind, OrderErrorKind::Malformed, "{bad:?}");
    }
}

#[test]
fn params_given_as_an_array_or_a_scalar_are_invalid_params() {
    assert_eq!(kind_of(order_json("status", json!([]))), OrderErrorKind::InvalidParams);
    assert_eq!(kind_of(order_json("config", json!(["price.pro", "9.99"]))), OrderErrorKind::InvalidParams);
    assert_eq!(kind_of(order_json("stop", json!("inventory"))), OrderErrorKind::InvalidParams);
    assert_eq!(kind_of(order_json("status", json!(0))), OrderErrorKind::InvalidParams);
}

#[test]
fn an_order_over_the_size_bound_is_malformed_with_its_id_and_no_echo() {
    let big = "x".repeat(subjects::limits::MAX_ORDER_BYTES);
    let err = Order::from_json(order_json("announce", json!({ "message": big })).to_string().as_bytes()).unwrap_err();
    assert_eq!(err.kind, OrderErrorKind::Malformed);
    assert_eq!(err.order_id.unwrap().as_ref(), "o1");
    assert!(err.message.len() < 200, "{}", err.message);
}

#[test]
fn long_issuers_and_actions_are_refused_without_repeating_them() {
    let long = "y".repeat(600 * 1024);
    let mut order = order_json("status", json!({}));
    order["issued_by"] = json!(long.clone()[..300].to_owned());
    assert_eq!(kind_of(order), OrderErrorKind::Malformed);
    let mut order = order_json("status", json!({}));
    order["confirmed_by"] = json!("");
    assert_eq!(kind_of(order), OrderErrorKind::Malformed);
    let err = Order::from_json(order_json(&long, json!({})).to_string().as_bytes()).unwrap_err();
    assert_eq!(err.kind, OrderErrorKind::Malformed, "over the size bound before anything else");
    let err = Order::from_json(order_json(&long[..60_000], json!({})).to_string().as_bytes()).unwrap_err();
    assert_eq!(err.kind, OrderErrorKind::UnknownAction);
    assert_eq!(err.action, None, "an action longer than any name is not carried");
    assert!(err.message.chars().count() <= subjects::limits::MAX_ERROR_CHARS, "{}", err.message.len());
    let body = ErrorBody::new(ErrorCode::InvalidParams, long);
    assert_eq!(body.message.chars().count(), subjects::limits::MAX_ERROR_CHARS);
}
