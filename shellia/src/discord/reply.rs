//! The assistant's [`Answer`] as a Discord message: its text (within Discord's 2,000
//! characters), Confirm/Cancel buttons under a plan, and its files attached.

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, CreateActionRow, CreateAttachment, CreateButton, CreateMessage};

use crate::assistant::Answer;

/// Discord refuses longer message contents.
const MAX_CONTENT: usize = 2000;

/// What a plan's button does, carried in its `custom_id` as `plan:<verb>:<plan id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    /// Send the plan's orders.
    Confirm,
    /// Drop the plan.
    Cancel,
}

/// The `custom_id` of a plan's button.
pub(super) fn custom_id(verb: Verb, plan: &str) -> String {
    match verb {
        Verb::Confirm => format!("plan:confirm:{plan}"),
        Verb::Cancel => format!("plan:cancel:{plan}"),
    }
}

/// Reads a plan button's `custom_id`; `None` for any other button.
pub(super) fn parse(custom_id: &str) -> Option<(Verb, &str)> {
    let rest = custom_id.strip_prefix("plan:")?;
    let (verb, plan) = rest.split_once(':')?;
    match verb {
        "confirm" => Some((Verb::Confirm, plan)),
        "cancel" => Some((Verb::Cancel, plan)),
        _ => None,
    }
}

/// The text for Discord, cut to fit: a table's rows in a code block (so their columns line up
/// in Discord's proportional font), and an order id moved from the head of its table to a small
/// footer line under it.
pub(super) fn content(answer: &Answer) -> String {
    let text = markdown(answer.text.trim_end());
    let text = text.as_str();
    let text = if text.is_empty() { "(nothing to say)" } else { text };
    if text.chars().count() <= MAX_CONTENT {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_CONTENT - 40).collect();
    format!("{cut}\n… (cut: {} more characters)", text.chars().count() - (MAX_CONTENT - 40))
}

/// `order <id> · status → all · 2 shop(s)` becomes `status → all · 2 shop(s)`, its rows (lines
/// indented by two spaces) go in a code block, and `-# order <id>` follows them.
fn markdown(text: &str) -> String {
    let mut out = String::new();
    let mut footer: Option<String> = None;
    let mut in_block = false;
    for line in text.lines() {
        let row = line.starts_with("  ");
        if !row && in_block {
            out.push_str("```\n");
            in_block = false;
        }
        if !row {
            if let Some(f) = footer.take() {
                out.push_str(&f);
            }
        }
        if let Some((id, rest)) = line.strip_prefix("order ").and_then(|l| l.split_once(" · ")) {
            if id.len() >= 16 && !id.contains(' ') {
                out.push_str(&format!("**{rest}**\n"));
                footer = Some(format!("-# order {id}\n"));
                continue;
            }
        }
        if row && !in_block {
            out.push_str("```\n");
            in_block = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    if in_block {
        out.push_str("```\n");
    }
    if let Some(f) = footer {
        out.push_str(&f);
    }
    out.trim_end().to_owned()
}

/// Confirm / Cancel under a plan waiting for its confirmation.
pub(super) fn components(answer: &Answer) -> Vec<CreateActionRow> {
    match &answer.pending {
        Some(plan) => vec![CreateActionRow::Buttons(vec![
            CreateButton::new(custom_id(Verb::Confirm, &plan.id)).label("Confirm").style(ButtonStyle::Success),
            CreateButton::new(custom_id(Verb::Cancel, &plan.id)).label("Cancel").style(ButtonStyle::Secondary),
        ])],
        None => vec![],
    }
}

/// The files to attach (report charts).
pub(super) fn files(answer: &Answer) -> Vec<CreateAttachment> {
    answer.attachments.iter().map(|(name, bytes)| CreateAttachment::bytes(bytes.clone(), name.clone())).collect()
}

/// As a command's reply.
pub(super) fn poise_reply(answer: &Answer) -> poise::CreateReply {
    let mut reply = poise::CreateReply::default().content(content(answer)).components(components(answer));
    for file in files(answer) {
        reply = reply.attachment(file);
    }
    reply
}

/// As a channel message.
pub(super) fn message(answer: &Answer) -> CreateMessage {
    CreateMessage::new().content(content(answer)).components(components(answer)).files(files(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_button_id_reads_back_to_its_verb_and_plan() {
        let id = custom_id(Verb::Confirm, "p-42");
        assert_eq!(parse(&id), Some((Verb::Confirm, "p-42")));
        assert_eq!(parse(&custom_id(Verb::Cancel, "x")), Some((Verb::Cancel, "x")));
        assert_eq!(parse("buy:pro"), None);
        assert_eq!(parse("plan:delete:x"), None);
    }

    #[test]
    fn a_table_goes_in_a_code_block_with_its_order_id_in_a_footer() {
        let text = "order 0190abcd-0000-7000-8000-000000000001 · status → all · 2 shop(s)\n  shop1  ok  open\n  shop22 ok  open\n";
        let shown = markdown(text);
        assert_eq!(
            shown,
            "**status → all · 2 shop(s)**\n```\n  shop1  ok  open\n  shop22 ok  open\n```\n-# order 0190abcd-0000-7000-8000-000000000001"
        );
        assert_eq!(markdown("✅ Promotion lancée !"), "✅ Promotion lancée !");
    }

    #[test]
    fn a_long_answer_is_cut_to_fit_discord() {
        let answer = Answer {
            text: "x".repeat(5000),
            pending: None,
            attachments: vec![],
            outcome: crate::assistant::Outcome::Info,
        };
        let text = content(&answer);
        assert!(text.chars().count() <= MAX_CONTENT);
        assert!(text.ends_with("more characters)"));
    }
}
