//! Members joining and being updated, as the bots see it over the gateway.

use fake_discord::FakeDiscord;
use serenity::all::RoleId;

use crate::helpers::{all_intents, spawn_bot, Seen};

#[tokio::test]
async fn member_join_reaches_the_event_handler() {
    let fake = FakeDiscord::start().await;
    let mut bot = spawn_bot(&fake, "Maxis", all_intents()).await;

    let newcomer = fake.member_join("newcomer").await;

    let member = bot.next(|seen| if let Seen::MemberAdd(m) = seen { Some(m) } else { None }).await;
    assert_eq!(member.user.id.get(), newcomer);
    assert_eq!(member.user.name, "newcomer");
    assert_eq!(member.guild_id.get(), fake.guild_id());
}

#[tokio::test]
async fn roles_changed_by_an_admin_reach_the_bot_as_a_member_update() {
    let fake = FakeDiscord::start().await;
    let vip = fake.add_role("VIP", 1);
    let member = fake.add_member("member", &[]);
    let mut bot = spawn_bot(&fake, "Maxis", all_intents()).await;

    fake.update_member_roles(member, &[vip]).await;

    let update = bot.next(|seen| if let Seen::MemberUpdate(u) = seen { Some(u) } else { None }).await;
    assert_eq!((update.user.id.get(), update.roles.clone()), (member, vec![RoleId::new(vip)]));
    assert_eq!(fake.member_roles(member), vec![vip]);
}
