//! Spawning serenity clients (optionally with a poise framework) against the fake, and reading the events
//! their handler saw.

use std::sync::Arc;
use std::time::Duration;

use fake_discord::{Bot, FakeDiscord};
use serenity::all::{
    Cache, ClientBuilder, ComponentInteraction, Context, EventHandler, GatewayIntents, Guild, GuildMemberUpdateEvent,
    Http, HttpBuilder, Interaction, Member, Message, Ready,
};
use tokio::sync::mpsc;

/// The error type of the test commands.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// How long a test waits for anything.
pub const WAIT: Duration = Duration::from_secs(10);

/// What a bot's event handler saw.
#[derive(Debug)]
pub enum Seen {
    Ready,
    GuildCreate(Box<Guild>),
    Message(Box<Message>),
    Component(Box<ComponentInteraction>),
    MemberAdd(Box<Member>),
    MemberUpdate(Box<GuildMemberUpdateEvent>),
}

/// An event handler that forwards every event it sees to the test.
struct Forward(mpsc::UnboundedSender<Seen>);

#[serenity::async_trait]
impl EventHandler for Forward {
    async fn ready(&self, _: Context, _: Ready) {
        let _ = self.0.send(Seen::Ready);
    }

    async fn guild_create(&self, _: Context, guild: Guild, _: Option<bool>) {
        let _ = self.0.send(Seen::GuildCreate(Box::new(guild)));
    }

    async fn message(&self, _: Context, message: Message) {
        let _ = self.0.send(Seen::Message(Box::new(message)));
    }

    async fn interaction_create(&self, _: Context, interaction: Interaction) {
        if let Interaction::Component(component) = interaction {
            let _ = self.0.send(Seen::Component(Box::new(component)));
        }
    }

    async fn guild_member_addition(&self, _: Context, member: Member) {
        let _ = self.0.send(Seen::MemberAdd(Box::new(member)));
    }

    async fn guild_member_update(
        &self,
        _: Context,
        _: Option<Member>,
        _: Option<Member>,
        event: GuildMemberUpdateEvent,
    ) {
        let _ = self.0.send(Seen::MemberUpdate(Box::new(event)));
    }
}

/// A connected serenity client, its HTTP client and cache, and the events it saw.
pub struct TestBot {
    pub bot: Bot,
    pub http: Arc<Http>,
    pub cache: Arc<Cache>,
    events: mpsc::UnboundedReceiver<Seen>,
}

impl TestBot {
    /// The next event `pick` accepts (others are skipped).
    pub async fn next<T>(&mut self, pick: impl Fn(Seen) -> Option<T>) -> T {
        let wait = async {
            loop {
                let seen = self.events.recv().await.expect("the client stopped");
                if let Some(found) = pick(seen) {
                    return found;
                }
            }
        };
        tokio::time::timeout(WAIT, wait).await.expect("the awaited event did not arrive")
    }
}

/// Every intent the bots use.
pub fn all_intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::GUILD_MEMBERS
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// Adds a bot named `name` and connects a serenity client for it with `intents`.
pub async fn spawn_bot(fake: &FakeDiscord, name: &str, intents: GatewayIntents) -> TestBot {
    spawn_client(fake, fake.add_bot(name), intents, None).await
}

/// Connects a serenity client for `bot`, with a poise framework when given, and waits for its READY.
pub async fn spawn_client(
    fake: &FakeDiscord,
    bot: Bot,
    intents: GatewayIntents,
    framework: Option<poise::Framework<(), Error>>,
) -> TestBot {
    let http = HttpBuilder::new(&bot.token).proxy(fake.base_url()).ratelimiter_disabled(true).build();
    let (tx, events) = mpsc::unbounded_channel();
    let mut builder = ClientBuilder::new_with_http(http, intents).event_handler(Forward(tx));
    if let Some(framework) = framework {
        builder = builder.framework(framework);
    }
    let mut client = builder.await.expect("serenity builds a client");
    let (http, cache) = (client.http.clone(), client.cache.clone());
    tokio::spawn(async move { client.start().await });
    fake.wait_connected(&bot, WAIT).await.expect("the bot connects");
    let mut test_bot = TestBot { bot, http, cache, events };
    test_bot.next(|seen| matches!(seen, Seen::Ready).then_some(())).await;
    test_bot
}
