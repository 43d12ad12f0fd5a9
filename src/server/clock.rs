//! Timestamps: one stored form (sortable text, microseconds, UTC) and the forms the APIs print.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const STORED: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const SECONDS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Now, in milliseconds since the Unix epoch (what records shared between nodes compare).
pub fn now_ms() -> i64 {
    (now().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The current time.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The stored form, `2026-11-22T03:46:03.123456Z` (Keystone prints this form too).
pub fn stored(t: OffsetDateTime) -> String {
    t.format(STORED).expect("formatting a UTC time cannot fail")
}

/// Parses the stored form.
pub fn parse_stored(s: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, STORED)
        .ok()
        .map(|t| t.assume_utc())
}

/// The whole-seconds form `2026-11-22T03:46:03Z`, as Glance prints timestamps.
pub fn seconds(t: OffsetDateTime) -> String {
    t.format(SECONDS)
        .expect("formatting a UTC time cannot fail")
}

/// A stored timestamp reprinted in whole seconds; unparsable input is returned as it is.
pub fn stored_to_seconds(s: &str) -> String {
    parse_stored(s)
        .map(seconds)
        .unwrap_or_else(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_round_trips_and_sorts() {
        let t = now();
        let s = stored(t);
        assert_eq!(s.len(), 27);
        assert_eq!(
            parse_stored(&s).unwrap().unix_timestamp(),
            t.unix_timestamp()
        );
        let later = stored(t + time::Duration::seconds(1));
        assert!(later > s);
        assert_eq!(stored_to_seconds(&s).len(), 20);
    }
}
