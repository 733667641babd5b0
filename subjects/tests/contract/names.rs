use subjects::{subject, Action, EventKind, Name, NameErrorKind, OrderId, Target};

#[test]
fn valid_names_are_accepted() {
    for ok in ["shop1", "eu", "a", "0", "my-shop_2", &"a".repeat(32)] {
        assert!(Name::parse(ok).is_ok(), "{ok} refused");
    }
}

#[test]
fn each_bad_name_is_rejected_with_its_kind() {
    let cases = [
        ("", NameErrorKind::Empty),
        (&"a".repeat(33) as &str, NameErrorKind::TooLong),
        ("shop.1", NameErrorKind::InvalidChar),
        ("shop*", NameErrorKind::InvalidChar),
        ("*", NameErrorKind::InvalidChar),
        ("shop>", NameErrorKind::InvalidChar),
        (">", NameErrorKind::InvalidChar),
        ("my shop", NameErrorKind::InvalidChar),
        (" shop", NameErrorKind::InvalidChar),
        ("boutique-été", NameErrorKind::InvalidChar),
        ("ショップ", NameErrorKind::InvalidChar),
        ("Shop1", NameErrorKind::InvalidChar),
        ("-shop", NameErrorKind::BadStart),
        ("_shop", NameErrorKind::BadStart),
        ("all", NameErrorKind::Reserved),
    ];
    for (input, kind) in cases {
        let err = Name::parse(input).expect_err(input);
        assert_eq!(err.kind, kind, "{input:?}");
    }
}

#[test]
fn a_unicode_name_of_32_characters_but_more_bytes_is_rejected() {
    let err = Name::parse("é".repeat(20)).unwrap_err();
    assert_eq!(err.kind, NameErrorKind::TooLong);
}

#[test]
fn targets_accept_all_and_a_leading_at() {
    assert_eq!(Target::parse("all").unwrap(), Target::All);
    assert_eq!(Target::parse("@all").unwrap(), Target::All);
    assert_eq!(Target::parse("@eu").unwrap().as_str(), "eu");
    assert_eq!(Target::parse("@eu.x").unwrap_err().kind, NameErrorKind::InvalidChar);
}

#[test]
fn subjects_are_built_and_parsed_back() {
    let shop = Name::parse("shop1").unwrap();
    let order = OrderId::parse("0192abc").unwrap();
    assert_eq!(subject::control(&Target::All, Action::Status), "maxis.all.control.status");
    assert_eq!(subject::reply(&shop, &order), "maxis.shop1.reply.0192abc");
    assert_eq!(
        subject::event(&shop, &EventKind::parse("order.executed").unwrap()),
        "maxis.shop1.events.order.executed"
    );
    let parsed = subject::parse_control("maxis.eu.control.promo").unwrap();
    assert_eq!(parsed.target.as_str(), "eu");
    assert_eq!(parsed.action, "promo");
    assert_eq!(subject::parse_reply("maxis.shop1.reply.0192abc"), Some((shop.clone(), order)));
    assert_eq!(subject::parse_control("maxis.shop1.events.x"), None);
    assert_eq!(subject::parse_control_filter("maxis.eu.control.>").unwrap().as_str(), "eu");
    assert_eq!(
        subject::shop_consumer_filters(&shop, &[Name::parse("eu").unwrap()]),
        vec!["maxis.shop1.control.>", "maxis.eu.control.>", "maxis.all.control.>"]
    );
}

#[test]
fn event_kinds_have_one_to_four_tokens() {
    assert!(EventKind::parse("order.executed").is_ok());
    assert!(EventKind::parse("a.b.c.d").is_ok());
    for bad in ["", "a.b.c.d.e", "order..x", "order.*", "order.>", "Order", "a b"] {
        assert!(EventKind::parse(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn order_ids_are_single_tokens() {
    assert!(OrderId::parse("abc-DEF_123").is_ok());
    for bad in ["", "a.b", "a*", "a>", "a b", &"x".repeat(65)] {
        assert!(OrderId::parse(bad).is_err(), "{bad:?} accepted");
    }
    let generated = OrderId::generate();
    assert!(OrderId::parse(generated.to_string()).is_ok());
}
