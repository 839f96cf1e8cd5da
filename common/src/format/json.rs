//! JSON output: one document per result, or one document per line for streams.

use std::io::{self, Write};

use serde::Serialize;

/// Writes `value` as one pretty-printed JSON document followed by a newline.
///
/// # Errors
/// Serialization or writing to `out` fails.
pub fn render_json<T: Serialize + ?Sized>(value: &T, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Writes each item as a compact JSON document on its own line (JSON Lines).
///
/// # Errors
/// Serialization or writing to `out` fails.
pub fn render_json_lines<T: Serialize>(
    items: impl IntoIterator<Item = T>,
    out: &mut impl Write,
) -> io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut *out, &item)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Hop {
        host: &'static str,
        offset_s: f64,
    }

    #[test]
    fn documents_and_lines() {
        let hop = Hop {
            host: "ntp1",
            offset_s: -0.25,
        };
        let mut out = Vec::new();
        render_json(&hop, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n  \"host\": \"ntp1\",\n  \"offset_s\": -0.25\n}\n"
        );
        let mut out = Vec::new();
        render_json_lines([&hop, &hop], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap().lines().collect::<Vec<_>>(),
            vec![r#"{"host":"ntp1","offset_s":-0.25}"#; 2]
        );
    }
}
