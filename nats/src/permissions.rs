//! Least-privilege permissions of each identity.
//!
//! Each line below was checked against nats-server 2.15 by removing it and watching the client
//! fail (see `nats/tests/broker/permissions.rs` for the refusals that must hold).

use subjects::subject::{self, api, CONTROL_STREAM, EVENTS_STREAM};

use crate::fleet::Identity;

/// What one identity may publish and subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    /// Subjects it may publish to.
    pub publish: Vec<String>,
    /// Subjects it may subscribe to.
    pub subscribe: Vec<String>,
    /// Whether it may answer requests it received (one reply each, within the default 2 minutes).
    pub allow_responses: bool,
}

/// The permissions of `identity`.
pub fn of(identity: &Identity) -> Permissions {
    let inbox = subject::inbox_wildcard(&identity.inbox_prefix());
    match identity {
        Identity::Provisioner => Permissions {
            // Stream and consumer management; nothing of the application's subjects.
            publish: vec![api::ALL.to_owned()],
            subscribe: vec![inbox],
            allow_responses: false,
        },
        Identity::Shellia(_) => {
            let mut publish = vec![
                // Orders to any shop, group or `all`.
                subject::control_all_targets(),
                // Which shops an order reaches, and how many orders wait for each (read only).
                api::consumer_list(CONTROL_STREAM),
                api::consumer_info(CONTROL_STREAM, "*"),
                api::stream_info(CONTROL_STREAM),
            ];
            publish.extend(event_reader());
            // Its readers' consumers, and any the guard removes.
            publish.push(api::consumer_delete_any(EVENTS_STREAM));
            publish.extend(api::service_discovery_ask());
            Permissions {
                publish,
                subscribe: vec![
                    subject::replies_all(),
                    subject::events_all(),
                    // Shops joining or leaving: keeps its list of the shops' consumers current.
                    api::consumer_advisories(CONTROL_STREAM),
                    // Consumers created on the events stream: one pushing anywhere but a
                    // reader's own inbox is deleted (the server does not check where a push
                    // consumer delivers).
                    api::consumer_created_advisories(EVENTS_STREAM),
                    inbox,
                ],
                allow_responses: false,
            }
        }
        Identity::Shop(shop) => {
            let consumer = subject::shop_consumer(&shop.id);
            // Not its own events: a leaked key could then see the shop's publications and
            // answer their acknowledgements in the stream's place (`allow_responses`).
            let mut subscribe = vec![inbox];
            subscribe.extend(api::service_discovery_listen());
            Permissions {
                publish: vec![
                    // Its own answers and events only.
                    subject::replies_of(&shop.id),
                    subject::events_of(&shop.id),
                    // Its own durable consumer: bind (info), pull (next), ack (incl. in-progress).
                    api::consumer_info(CONTROL_STREAM, &consumer),
                    api::consumer_next(CONTROL_STREAM, &consumer),
                    api::acks(CONTROL_STREAM, &consumer),
                    // Its events intake's last sequence: one it was not given means its
                    // credential is used elsewhere (the misuse watch).
                    api::stream_info(&subject::events_intake(&shop.id)),
                ],
                subscribe,
                // Service discovery answers go to the asker's inbox.
                allow_responses: true,
            }
        }
        Identity::Ops(name) => {
            // The official clients' standard flows: an ordered push consumer delivering to its
            // own inbox (flow control answered), and one named durable pull consumer of its own.
            let durable = subject::ops_consumer(name);
            let mut publish = event_reader();
            publish.extend(api::durable_create(EVENTS_STREAM, &durable));
            publish.push(api::acks(EVENTS_STREAM, &durable));
            // Only its own durable: not another reader's consumer (ordered consumers go away
            // by themselves once idle).
            publish.push(api::consumer_delete(EVENTS_STREAM, &durable));
            publish.push(api::flow_control(EVENTS_STREAM));
            publish.push(api::stream_names());
            Permissions { publish, subscribe: vec![subject::events_all(), inbox], allow_responses: false }
        }
    }
}

/// What reading the events stream through an unnamed ordered consumer needs. The unnamed create
/// subject refuses a durable name, so a reader can add no durable consumer.
fn event_reader() -> Vec<String> {
    vec![
        api::stream_info(EVENTS_STREAM),
        api::ephemeral_create(EVENTS_STREAM),
        api::consumer_next_any(EVENTS_STREAM),
        api::consumer_info(EVENTS_STREAM, "*"),
    ]
}

#[cfg(test)]
mod tests {
    use subjects::{Name, ShopId};

    use super::*;
    use crate::fleet::ShopSpec;

    /// Each identity's subjects with its name as a placeholder (`<shop>`, `<name>`).
    fn documented() -> Vec<(&'static str, Permissions)> {
        let shop = ShopSpec { id: ShopId::parse("shopid").unwrap(), groups: vec![] };
        let placeholders = |p: Permissions| Permissions {
            publish: p.publish.iter().map(|s| s.replace("shopid", "<shop>").replace("somename", "<name>")).collect(),
            subscribe: p
                .subscribe
                .iter()
                .map(|s| s.replace("shopid", "<shop>").replace("somename", "<name>"))
                .collect(),
            allow_responses: p.allow_responses,
        };
        vec![
            ("shop", placeholders(of(&Identity::Shop(shop)))),
            ("shellia", placeholders(of(&Identity::Shellia(Name::parse("somename").unwrap())))),
            ("ops", placeholders(of(&Identity::Ops(Name::parse("somename").unwrap())))),
            ("provisioner", placeholders(of(&Identity::Provisioner))),
        ]
    }

    #[test]
    fn the_protocol_documents_every_subject_each_identity_may_use() {
        let readme = include_str!("../../subjects/README.md");
        let section = &readme[readme.find("### Exact subjects per identity").expect("the section exists")..];
        for (who, p) in documented() {
            let row = section.lines().find(|l| l.starts_with(&format!("| {who} |"))).unwrap_or_else(|| panic!("{who}"));
            for subject in p.publish.iter().chain(&p.subscribe) {
                assert!(row.contains(&format!("`{subject}`")), "{who}: `{subject}` is not documented");
            }
            assert_eq!(row.contains("allow_responses"), p.allow_responses, "{who}: allow_responses");
        }
    }
}
