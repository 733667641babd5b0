//! Bounds of the contract: how large an order, a reply or an event may be, and how much of a
//! refused value an error message may repeat.
//!
//! The broker refuses any message over its `max_payload` (1 MiB, `nats/broker.conf`). A shop
//! checks an order's reply against [`MAX_MESSAGE_BYTES`] and its events against [`MAX_EVENT_BYTES`]
//! before anything commits, so
//! nothing it stores can be unpublishable.

/// Most bytes of an order payload. Shellia refuses to send a larger one; a shop refuses one as
/// `malformed`.
pub const MAX_ORDER_BYTES: usize = 64 * 1024;

/// Most bytes of a reply payload (the broker's 1 MiB `max_payload`, less room for headers).
pub const MAX_MESSAGE_BYTES: usize = 1_000_000;

/// Most bytes of an event payload. Events are stored (the events stream refuses a larger message,
/// so a leaked shop credential cannot fill the store with a few huge ones); a shop refuses, as
/// `malformed` before anything commits, an order one of whose events would be larger.
pub const MAX_EVENT_BYTES: usize = 128 * 1024;

/// Room for an event's headers (`Nats-Msg-Id`, signature) on top of [`MAX_EVENT_BYTES`] in the
/// events stream's `max_message_size`.
pub const EVENT_HEADER_ROOM: usize = 4 * 1024;

/// Most characters of `issued_by` and `confirmed_by`.
pub const MAX_ISSUER_CHARS: usize = 256;

/// Most characters of an error message (a longer one is cut, ending with `…`).
pub const MAX_ERROR_CHARS: usize = 500;

/// Most characters of a refused value quoted inside an error message.
pub const MAX_QUOTED_CHARS: usize = 64;

/// `text` cut to at most `max` characters (on a character boundary), ending with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((end, _)) if text.chars().count() > max => format!("{}…", &text[..end]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_cuts_long_text_on_a_character_boundary() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("ééééé", 3).chars().count(), 3);
        assert_eq!(clip("abcd", 4), "abcd");
    }
}
