//! Reading JSON strictly: one documented form for each value, no duplicate keys, and errors that
//! name the file, line, column and field.

use crate::InferError;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::path::Path;

/// A JSON value that is checked and discarded: its deserialisation fails on a duplicate key in
/// any object (serde_json keeps the last silently).
struct NoDuplicates;

impl<'de> de::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<NoDuplicates, A::Error> {
        while a.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<NoDuplicates, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(k) = a.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                return Err(de::Error::custom(format!(
                    "the key `{k}` appears twice in one object: keep one"
                )));
            }
            a.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// Where objects must be objects (serde also reads a struct from an array of its fields in
/// order, a form nobody means): paths with `*` for any key or index.
pub(crate) const PROBLEM_OBJECTS: &[&str] = &[
    "",
    "fit",
    "fit/jitter",
    "latents/*",
    "channels/*",
    "discover",
];

/// The same inside a result file.
pub(crate) const RESULT_OBJECTS: &[&str] = &[
    "",
    "problem",
    "problem/fit",
    "problem/fit/jitter",
    "problem/latents/*",
    "problem/channels/*",
    "problem/discover",
];

fn find_non_object(v: &serde_json::Value, pattern: &[&str], at: &str) -> Option<String> {
    let Some((first, rest)) = pattern.split_first() else {
        return (!v.is_object()).then(|| at.to_string());
    };
    let child = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match (first, v) {
        (&"*", serde_json::Value::Object(m)) => m
            .iter()
            .find_map(|(k, c)| find_non_object(c, rest, &child(k))),
        (&"*", serde_json::Value::Array(a)) => a
            .iter()
            .enumerate()
            .find_map(|(i, c)| find_non_object(c, rest, &format!("{at}[{i}]"))),
        (k, serde_json::Value::Object(m)) => {
            m.get(*k).and_then(|c| find_non_object(c, rest, &child(k)))
        }
        _ => None,
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Read a JSON file into `T`: no duplicate keys anywhere, the given paths objects, and every
/// error naming the file, line, column and the field's path.
pub(crate) fn read_json<T: de::DeserializeOwned>(
    path: &Path,
    objects: &[&str],
) -> Result<T, InferError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| InferError::Io {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    parse_json(&text, &shown, objects)
}

/// [`read_json`] of text; `shown` names it in messages.
pub(crate) fn parse_json<T: de::DeserializeOwned>(
    text: &str,
    shown: &str,
    objects: &[&str],
) -> Result<T, InferError> {
    let json_err = |e: &serde_json::Error, message: String| InferError::Json {
        path: shown.to_string(),
        line: e.line(),
        column: e.column(),
        message,
    };
    let strip = |e: &serde_json::Error| {
        let m = e.to_string();
        m.split(" at line ").next().unwrap_or_default().to_string()
    };
    let mut d = serde_json::Deserializer::from_str(text);
    de::Deserialize::deserialize(&mut d)
        .and_then(|NoDuplicates| d.end())
        .map_err(|e| json_err(&e, strip(&e)))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| json_err(&e, strip(&e)))?;
    for pattern in objects {
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
        if let Some(at) = find_non_object(&value, &parts, "") {
            let found = at
                .split('.')
                .try_fold(&value, |v, k| {
                    let (key, idx) = match k.split_once('[') {
                        Some((key, i)) => (key, i.trim_end_matches(']').parse::<usize>().ok()),
                        None => (k, None),
                    };
                    let v = if key.is_empty() { Some(v) } else { v.get(key) };
                    match idx {
                        Some(i) => v.and_then(|v| v.get(i)),
                        None => v,
                    }
                })
                .map_or("something else", kind);
            return Err(InferError::Field {
                field: format!("{shown}: {}", if at.is_empty() { "the file" } else { &at }),
                message: format!("must be an object {{…}}, found {found}"),
            });
        }
    }
    let mut d = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut d).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let msg = strip(&inner);
        // A latent's own reader names the place inside it first (`kernel.sum[1]: …`): one path.
        let inner_path = msg.split_once(": ").filter(|(p, _)| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
        });
        let msg = match (field.is_empty() || field == ".", inner_path) {
            (true, _) => msg,
            (false, Some((p, rest))) => format!("{field}.{p}: {rest}"),
            (false, None) => format!("{field}: {msg}"),
        };
        json_err(&inner, msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_and_arrays_for_objects_are_refused_with_their_place() {
        let e = parse_json::<serde_json::Value>("{\"a\": 1,\n \"a\": 2}", "p.json", &[""])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.json:2:") && e.contains("the key `a` appears twice"),
            "{e}"
        );
        let e = parse_json::<serde_json::Value>("{\"fit\": [4, 0]}", "p.json", PROBLEM_OBJECTS)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "p.json: fit: must be an object {…}, found an array");
    }
}
