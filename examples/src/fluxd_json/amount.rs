//! FLUX amounts as fluxd prints them, and the writer that puts them in JSON text.
//!
//! fluxd's `ValueFromAmount` (`rpc/server.cpp:120-128`) makes a JSON *number* token with exactly
//! eight decimals: `150.00000000`, `0.00000001`, `-2.50000000`. `serde_json` (without its
//! `arbitrary_precision` feature) holds numbers as integers or doubles and would print `150.0`,
//! `1e-8` and `-2.5`. So a view keeps each amount as a marked integer of zatoshis ([`amount`])
//! until [`to_text`] or [`to_text_pretty`] writes it out as fluxd's token; everything else is
//! written exactly as `serde_json` writes it.

use serde_json::{Map, Value, json};

/// The key of the one-entry object that marks an amount inside a view. It starts with a NUL
/// character, which no view field name has.
const AMOUNT_MARK: &str = "\u{0}zatoshis";

/// An amount as fluxd's `ValueFromAmount` prints it: sign, whole FLUX, a point, eight decimals.
pub fn amount_text(zat: i64) -> String {
    let sign = if zat < 0 { "-" } else { "" };
    let abs = zat.unsigned_abs();
    format!("{sign}{}.{:08}", abs / 100_000_000, abs % 100_000_000)
}

/// An amount field of a view: written by [`to_text`] as a JSON number with eight decimals.
pub fn amount(zat: i64) -> Value {
    json!({ AMOUNT_MARK: zat })
}

/// The zatoshis of an [`amount`] value.
fn as_amount(map: &Map<String, Value>) -> Option<i64> {
    match (map.len(), map.get(AMOUNT_MARK)) {
        (1, Some(Value::Number(zat))) => zat.as_i64(),
        _ => None,
    }
}

/// A view as compact JSON text (what the RPC sends).
pub fn to_text(view: &Value) -> String {
    let mut out = String::new();
    write(&mut out, view, None);
    out
}

/// A view as indented JSON text (what the CLI prints), laid out as `serde_json`'s pretty
/// printer lays it out.
pub fn to_text_pretty(view: &Value) -> String {
    let mut out = String::new();
    write(&mut out, view, Some(0));
    out
}

/// Writes `value`; `indent` is the nesting depth when pretty-printing.
fn write(out: &mut String, value: &Value, indent: Option<usize>) {
    match value {
        Value::Object(map) => {
            if let Some(zat) = as_amount(map) {
                out.push_str(&amount_text(zat));
                return;
            }
            write_items(
                out,
                ('{', '}'),
                map.iter(),
                indent,
                |out, (key, item), depth| {
                    // A string is always valid JSON text.
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push_str(if depth.is_some() { ": " } else { ":" });
                    write(out, item, depth);
                },
            );
        }
        Value::Array(items) => {
            write_items(out, ('[', ']'), items.iter(), indent, |out, item, depth| {
                write(out, item, depth);
            });
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Writes a bracketed, comma-separated list, one item per line when pretty-printing.
fn write_items<T>(
    out: &mut String,
    (open, close): (char, char),
    items: impl ExactSizeIterator<Item = T>,
    indent: Option<usize>,
    mut write_item: impl FnMut(&mut String, T, Option<usize>),
) {
    out.push(open);
    let empty = items.len() == 0;
    let inner = indent.map(|depth| depth + 1);
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push(',');
        }
        if let Some(depth) = inner {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
        write_item(out, item, inner);
    }
    if let (Some(depth), false) = (indent, empty) {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    }
    out.push(close);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_as_fluxd_prints_them() {
        assert_eq!(amount_text(150_0000_0000), "150.00000000");
        assert_eq!(amount_text(1), "0.00000001");
        assert_eq!(amount_text(-2_5000_0000), "-2.50000000");
        assert_eq!(amount_text(0), "0.00000000");
        assert_eq!(amount_text(i64::MIN), "-92233720368.54775808");
        let view = json!({"value": amount(150_0000_0000), "valueZat": 150_0000_0000i64});
        assert_eq!(
            to_text(&view),
            r#"{"value":150.00000000,"valueZat":15000000000}"#
        );
        // Still a JSON number to a reader.
        let read: Value = serde_json::from_str(&to_text(&view)).unwrap();
        assert_eq!(read["value"].as_f64(), Some(150.0));
    }

    #[test]
    fn everything_else_is_written_as_serde_json_writes_it() {
        let view = json!({
            "text": "quote \" and \u{0} and é",
            "numbers": [1, -2, 0.5, 1e300, u64::MAX],
            "empty_object": {},
            "empty_array": [],
            "nested": {"a": [{"b": null, "c": true}]},
            "looks_like_a_mark": {"zatoshis": 5},
        });
        assert_eq!(to_text(&view), view.to_string());
        assert_eq!(to_text_pretty(&view), format!("{view:#}"));
        assert_eq!(
            to_text_pretty(&json!({"v": [amount(1)]})),
            "{\n  \"v\": [\n    0.00000001\n  ]\n}"
        );
    }
}
