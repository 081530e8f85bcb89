//! The small part of JavaScript semantics that FluxOS's spec handling depends on.
//!
//! FluxOS hashes and signs `JSON.stringify` of a spec, coerces fields with `Number(x)` and
//! `JSON.stringify(x)`, and measures strings in UTF-16 code units. Reproducing its verdicts and
//! bytes needs the same rules, written here once:
//!
//! * [`JsValue`]: a JSON value that keeps object keys in input order (as `JSON.parse` does) and
//!   stores every number as an `f64`;
//! * [`number_to_string`]: `Number.prototype.toString()` (integers without `.0`, exponent form
//!   from `1e21` up and below `1e-6`);
//! * [`to_number`]: the `Number(x)` conversion;
//! * [`JsFormatter`]: a `serde_json` formatter that prints numbers like JavaScript, so that
//!   serialising a spec with it yields exactly what `JSON.stringify` would.

use core::fmt;
use std::io;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value as JavaScript sees it after `JSON.parse`: numbers are doubles and object keys keep
/// their first-seen order (a repeated key keeps its first position and its last value).
#[derive(Debug, Clone, PartialEq)]
pub enum JsValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Any number, as an IEEE double.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsValue>),
    /// An object, keys in order.
    Object(Vec<(String, JsValue)>),
}

impl JsValue {
    /// Parses JSON text the way `JSON.parse` does (object key order kept).
    ///
    /// # Errors
    /// The `serde_json` error when the text is not JSON.
    pub fn parse(text: &str) -> Result<JsValue, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&JsValue> {
        match self {
            JsValue::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// JavaScript truthiness (`!!x`): false for `null`, `false`, `0`, `NaN` and `""`.
    pub fn is_truthy(&self) -> bool {
        match self {
            JsValue::Null => false,
            JsValue::Bool(b) => *b,
            JsValue::Number(n) => *n != 0.0 && !n.is_nan(),
            JsValue::String(s) => !s.is_empty(),
            JsValue::Array(_) | JsValue::Object(_) => true,
        }
    }

    /// `JSON.stringify(x)`: compact JSON with JavaScript number formatting.
    pub fn stringify(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            JsValue::Null => out.push_str("null"),
            JsValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsValue::Number(n) => {
                if n.is_finite() {
                    out.push_str(&number_to_string(*n));
                } else {
                    out.push_str("null");
                }
            }
            JsValue::String(s) => write_json_string(s, out),
            JsValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            JsValue::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(key, out);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// `String(x)` (the `ToString` conversion), as used when arrays are turned into numbers.
    fn to_js_string(&self) -> String {
        match self {
            JsValue::Null => "null".to_owned(),
            JsValue::Bool(b) => b.to_string(),
            JsValue::Number(n) => number_to_string(*n),
            JsValue::String(s) => s.clone(),
            JsValue::Array(items) => items
                .iter()
                .map(|item| match item {
                    JsValue::Null => String::new(),
                    other => other.to_js_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            JsValue::Object(_) => "[object Object]".to_owned(),
        }
    }
}

/// FluxOS's `ensureString`: a string stays as it is, anything else becomes its `JSON.stringify`.
/// A missing value (`undefined`) stays missing.
pub fn ensure_string(value: Option<&JsValue>) -> Option<String> {
    value.map(|v| match v {
        JsValue::String(s) => s.clone(),
        other => other.stringify(),
    })
}

/// FluxOS's `ensureBoolean`: `true/"true"/1/"1"` and `false/"false"/0/"0"`; anything else is
/// `None` (JavaScript `undefined`).
pub fn ensure_boolean(value: Option<&JsValue>) -> Option<bool> {
    match value? {
        JsValue::Bool(b) => Some(*b),
        JsValue::String(s) if s == "true" || s == "1" => Some(true),
        JsValue::String(s) if s == "false" || s == "0" => Some(false),
        JsValue::Number(n) if *n == 1.0 => Some(true),
        JsValue::Number(n) if *n == 0.0 => Some(false),
        _ => None,
    }
}

/// FluxOS's `ensureObject` followed by `Array.isArray`: the array a value stands for, if any
/// (an array, or a string holding a JSON array).
pub fn ensure_array(value: Option<&JsValue>) -> Option<Vec<JsValue>> {
    match value? {
        JsValue::Array(items) => Some(items.clone()),
        JsValue::String(text) => match JsValue::parse(text) {
            Ok(JsValue::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// `Number(x)` for a possibly missing value (`Number(undefined)` is `NaN`).
pub fn to_number(value: Option<&JsValue>) -> f64 {
    match value {
        None => f64::NAN,
        Some(JsValue::Null) => 0.0,
        Some(JsValue::Bool(b)) => f64::from(u8::from(*b)),
        Some(JsValue::Number(n)) => *n,
        Some(JsValue::String(s)) => string_to_number(s),
        Some(array @ JsValue::Array(_)) => string_to_number(&array.to_js_string()),
        Some(JsValue::Object(_)) => f64::NAN,
    }
}

fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// `Number(s)` for a string: whitespace trimmed, empty is 0, decimal literals with optional sign
/// and exponent, `Infinity`, and unsigned `0x`/`0o`/`0b` integers; anything else is `NaN`.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return 0.0;
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    let radix = match t.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &t[2..];
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut value = 0.0_f64;
        for c in digits.chars() {
            match c.to_digit(radix) {
                Some(d) => value = value * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        return value;
    }
    if is_decimal_literal(t) {
        t.parse::<f64>().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// `StrDecimalLiteral` of ECMA-262 without `Infinity`: `[+-] (d+ [. d*] | . d+) [(e|E) [+-] d+]`.
fn is_decimal_literal(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - frac_start;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// `Number.prototype.toString()` in base 10: the shortest digits that round-trip, plain notation
/// for `1e-6 <= |x| < 1e21` and exponent notation (`1e+21`, `1.5e-7`) outside it.
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x < 0.0 {
        return format!("-{}", number_to_string(-x));
    }
    // Rust's `{:e}` prints the shortest round-tripping digits, as ECMA-262 requires.
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let n = exponent + 1;
    if k <= n && n <= 21 {
        let zeros = usize::try_from(n - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        format!("{}.{}", &digits[..split], &digits[split..])
    } else if -6 < n && n <= 0 {
        let zeros = usize::try_from(-n).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        if digits.len() == 1 {
            format!("{digits}e{sign}{}", e.unsigned_abs())
        } else {
            format!(
                "{}.{}e{sign}{}",
                &digits[..1],
                &digits[1..],
                e.unsigned_abs()
            )
        }
    }
}

/// JavaScript's `String.prototype.length`: the number of UTF-16 code units.
pub fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// FluxOS's `isDecimalLimit(value, decimals)` for a number: the number must not be `NaN` and its
/// `toString()` must have at most `decimals` digits after a `.` (exponent forms count the digits
/// after the point, so `1e-7` passes).
pub fn is_decimal_limit(value: f64, decimals: usize) -> bool {
    if value.is_nan() {
        return false;
    }
    decimal_part_len(&number_to_string(value)) <= decimals
}

/// `isDecimalLimit` for a string value: `Number(s)` must not be `NaN`, and the text after its
/// first `.` must be at most `decimals` characters.
pub fn is_decimal_limit_str(value: &str, decimals: usize) -> bool {
    if string_to_number(value).is_nan() {
        return false;
    }
    decimal_part_len(value) <= decimals
}

fn decimal_part_len(text: &str) -> usize {
    text.split('.')
        .nth(1)
        .map_or(0, |part| part.chars().count())
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A `serde_json` formatter that writes compact JSON with JavaScript number formatting, so that
/// `serde_json::Serializer::with_formatter(w, JsFormatter)` reproduces `JSON.stringify`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsFormatter;

impl serde_json::ser::Formatter for JsFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(number_to_string(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        writer.write_all(number_to_string(f64::from(value)).as_bytes())
    }
}

/// Serialises `value` to a string with [`JsFormatter`].
///
/// # Errors
/// Whatever the value's `Serialize` implementation reports.
pub fn to_js_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, JsFormatter);
    value.serialize(&mut serializer)?;
    // serde_json writes only UTF-8.
    Ok(String::from_utf8(out).unwrap_or_default())
}

impl Serialize for JsValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsValue::Null => serializer.serialize_unit(),
            JsValue::Bool(b) => serializer.serialize_bool(*b),
            JsValue::Number(n) => serializer.serialize_f64(*n),
            JsValue::String(s) => serializer.serialize_str(s),
            JsValue::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsValue::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

struct JsValueVisitor;

impl<'de> Visitor<'de> for JsValueVisitor {
    type Value = JsValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<JsValue, E> {
        Ok(JsValue::Bool(v))
    }

    #[allow(clippy::cast_precision_loss)] // JavaScript numbers are doubles.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsValue, E> {
        Ok(JsValue::Number(v as f64))
    }

    #[allow(clippy::cast_precision_loss)] // JavaScript numbers are doubles.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsValue, E> {
        Ok(JsValue::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsValue, E> {
        Ok(JsValue::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsValue, E> {
        Ok(JsValue::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<JsValue, E> {
        Ok(JsValue::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsValue, D::Error> {
        JsValue::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsValue::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsValue, A::Error> {
        let mut entries: Vec<(String, JsValue)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, JsValue>()? {
            if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                entries.push((key, value));
            }
        }
        Ok(JsValue::Object(entries))
    }
}

impl<'de> Deserialize<'de> for JsValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsValue, D::Error> {
        deserializer.deserialize_any(JsValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        for (x, s) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(number_to_string(x), s);
        }
    }

    #[test]
    fn number_conversion_follows_ecma() {
        let n = |s: &str| string_to_number(s);
        assert_eq!(n(" 12 "), 12.0);
        assert_eq!(n(""), 0.0);
        assert_eq!(n("0x10"), 16.0);
        assert_eq!(n("1e3"), 1000.0);
        assert_eq!(n(".5"), 0.5);
        assert_eq!(n("5."), 5.0);
        assert!(n("abc").is_nan());
        assert!(n("-0x10").is_nan());
        assert!(n("1_000").is_nan());
        assert!(n("inf").is_nan());
        let arr = JsValue::Array(vec![JsValue::Number(5.0)]);
        assert_eq!(to_number(Some(&arr)), 5.0);
        assert_eq!(to_number(Some(&JsValue::Array(vec![]))), 0.0);
    }

    #[test]
    fn key_order_is_kept() {
        let v = JsValue::parse(r#"{"b":1,"a":[1.0,"x\u0001"],"b":2}"#).unwrap();
        assert_eq!(v.stringify(), r#"{"b":2,"a":[1,"x\u0001"]}"#);
    }
}
