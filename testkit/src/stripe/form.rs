//! Stripe's request bodies: `application/x-www-form-urlencoded` with nested brackets.

use serde_json::{Map, Value};

/// Parses an `application/x-www-form-urlencoded` body with Stripe's nested brackets
/// (`line_items[0][price_data][unit_amount]=2999`) into JSON: objects for names, arrays for
/// numeric indexes (and `[]`), every value a string. `metadata` keys are always object keys.
pub fn parse_form(body: &str) -> Value {
    let mut root = Value::Object(Map::new());
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        let (head, rest) = key.split_once('[').unwrap_or((&key, ""));
        let mut path = vec![head];
        path.extend(rest.split('[').filter(|_| !rest.is_empty()).map(|s| s.trim_end_matches(']')));
        insert(&mut root, "", &path, Value::String(decode(value)));
    }
    root
}

fn insert(node: &mut Value, parent: &str, path: &[&str], value: Value) {
    let Some((segment, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    let index = segment.is_empty()
        || (segment.bytes().all(|b| b.is_ascii_digit()) && parent != "metadata" && !node.is_object());
    let child = if index {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        let items = node.as_array_mut().expect("an array");
        let i = segment.parse().unwrap_or(items.len());
        if items.len() <= i {
            items.resize(i + 1, Value::Null);
        }
        &mut items[i]
    } else {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node.as_object_mut().expect("an object").entry(*segment).or_insert(Value::Null)
    };
    insert(child, segment, rest, value);
}

/// Percent-decoding, `+` as a space.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(|h| hex::decode(h).ok()) {
                Some(byte) => {
                    out.extend(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
