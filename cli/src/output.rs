//! Printing: human-readable lines on a terminal, stable JSON with `--json`.

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use serde::Serialize;
use std::io::Write;

/// Writes a line to stdout, ignoring a closed pipe (`gridwork … | head`).
pub fn line(text: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.as_ref());
}

/// Writes a value as pretty JSON to stdout.
pub fn json<T: Serialize>(value: &T) -> anyhow_free::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    line(text);
    Ok(())
}

/// An instant as RFC 3339 in UTC (`2026-11-28T10:00:00Z`), for JSON.
pub fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

/// An instant in the given UTC offset (minutes), for people: `2026-11-28 18:00 +08:00`.
pub fn local(ms: i64, offset_minutes: i32) -> String {
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(Utc.fix());
    let t: Option<DateTime<FixedOffset>> = offset.timestamp_millis_opt(ms).single();
    t.map(|t| t.format("%Y-%m-%d %H:%M %:z").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// A tiny error type for the shell: any error with a message.
pub mod anyhow_free {
    /// The shell's error: a message for stderr.
    #[derive(Debug)]
    pub struct Error(pub String);

    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl<E: std::error::Error> From<E> for Error {
        fn from(e: E) -> Self {
            Error(e.to_string())
        }
    }

    /// The shell's result.
    pub type Result<T> = std::result::Result<T, Error>;
}
