//! Printing: human-readable lines on a terminal, stable JSON with `--json`.

use crate::lang::{Lang, Msg};
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

/// A clock time in the given offset: `14:32`.
pub fn clock(ms: i64, offset_minutes: i32) -> String {
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(Utc.fix());
    offset
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// When something will happen, for people: `in 4 min, at 14:32` (the city's clock),
/// `in 2 h 5 min, at 16:37`, or the full local time when it is not today.
pub fn when(lang: Lang, ms: i64, now_ms: i64, offset_minutes: i32) -> String {
    let minutes = ((ms - now_ms).max(0) + 59_999) / 60_000;
    let same_day = local(ms, offset_minutes).get(..10) == local(now_ms, offset_minutes).get(..10);
    if !same_day {
        return lang.say(Msg::AtTime, &[&local(ms, offset_minutes)]);
    }
    let at = clock(ms, offset_minutes);
    if minutes == 0 {
        lang.say(Msg::Now, &[])
    } else if minutes < 60 {
        lang.say(Msg::InMinutes, &[&minutes, &at])
    } else {
        lang.say(Msg::InHours, &[&(minutes / 60), &(minutes % 60), &at])
    }
}

/// A spinner on stderr while a long step runs, drawn only when stderr is a terminal.
pub fn spinner(message: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
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
