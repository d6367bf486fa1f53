//! The one parser of the durations people type: flags (`--since 15m`,
//! `--stuck-after 3m`) and files (a scenario step's `at = "-3d"`).
//! `humantime` reads the text (`90s`, `15m`, `2h 30m`, `1d`); every caller
//! names the range it accepts, and anything outside it (zero, huge, an
//! overflow, a stray byte) is an error that says the range: never a panic.

use chrono::Duration;
use std::ops::RangeInclusive;

/// Text that is not a duration in the range asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    text: String,
    why: String,
    range: String,
}

impl std::fmt::Display for DurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a duration {}: give one like 30s, 15m, 2h or 1d, {}",
            crate::text::sanitize(&crate::text::ellipsize(&self.text, 40)),
            self.why,
            self.range
        )
    }
}

impl std::error::Error for DurationError {}

/// `text` as a duration within `range`. A leading `-` is read, and then
/// only a range that goes below zero accepts it.
pub fn parse(text: &str, range: RangeInclusive<Duration>) -> Result<Duration, DurationError> {
    let fail = |why: String| DurationError {
        text: text.to_string(),
        why,
        range: describe_range(&range),
    };
    let trimmed = text.trim();
    let (negative, body) = trimmed
        .strip_prefix('-')
        .map_or((false, trimmed), |rest| (true, rest.trim_start()));
    if body.starts_with(['-', '+']) {
        return Err(fail("(one sign at most)".into()));
    }
    let std = humantime::parse_duration(body).map_err(|e| fail(format!("({e})")))?;
    let too_far = || fail("(out of range)".into());
    let d = Duration::from_std(std).map_err(|_| too_far())?;
    let d = if negative { -d } else { d };
    if range.contains(&d) {
        Ok(d)
    } else {
        Err(too_far())
    }
}

fn describe_range(range: &RangeInclusive<Duration>) -> String {
    format!("from {} to {}", short(*range.start()), short(*range.end()))
}

/// `d` in its largest whole unit: `30d`, `90m`, `-3d`, `0s`.
pub fn short(d: Duration) -> String {
    let s = d.num_seconds();
    let sign = if s < 0 { "-" } else { "" };
    let s = s.unsigned_abs();
    let (n, unit) = [(86_400, "d"), (3_600, "h"), (60, "m")]
        .into_iter()
        .find(|(size, _)| s >= *size && s.is_multiple_of(*size))
        .map_or((s, "s"), |(size, unit)| (s / size, unit));
    format!("{sign}{n}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since(t: &str) -> Result<Duration, DurationError> {
        parse(t, Duration::seconds(1)..=Duration::days(30))
    }

    #[test]
    fn durations_people_type_are_read() {
        assert_eq!(since("15m"), Ok(Duration::minutes(15)));
        assert_eq!(since("2h"), Ok(Duration::hours(2)));
        assert_eq!(since("2h 30m"), Ok(Duration::minutes(150)));
        assert_eq!(since("1d"), Ok(Duration::days(1)));
        assert_eq!(since(" 30s "), Ok(Duration::seconds(30)));
        let offset = |t| parse(t, -Duration::days(30)..=Duration::days(1));
        assert_eq!(offset("-3d"), Ok(Duration::days(-3)));
        assert_eq!(offset("2m"), Ok(Duration::minutes(2)));
    }

    #[test]
    fn nonsense_and_the_out_of_range_say_the_range() {
        for bad in [
            "0m",
            "15",
            "m",
            "",
            "90d",
            "-5m",
            "--5m",
            "5é",
            "é",
            "9999999999999h",
            "9223372036854776s",
            "9999999999999999d",
            "18446744073709551616s",
            "1y",
        ] {
            let e = since(bad).unwrap_err().to_string();
            assert!(e.contains("from 1s to 30d"), "{bad}: {e}");
            assert!(e.contains("is not a duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn ranges_are_said_in_their_largest_unit() {
        assert_eq!(short(Duration::days(30)), "30d");
        assert_eq!(short(Duration::minutes(90)), "90m");
        assert_eq!(short(Duration::hours(-72)), "-3d");
        assert_eq!(short(Duration::seconds(0)), "0s");
    }

    /// The inputs that once panicked or overflowed (`fuzz/corpus`).
    #[test]
    fn the_crash_corpus_is_refused_or_in_range() {
        for line in include_str!("../../../fuzz/corpus/durations.txt").lines() {
            if let Ok(d) = since(line) {
                assert!(
                    d >= Duration::seconds(1) && d <= Duration::days(30),
                    "{line}"
                );
            }
        }
    }

    proptest::proptest! {
        /// Any text at all: a duration in the range or an error, never a
        /// panic, and an error never carries the text raw to a terminal.
        #[test]
        fn any_text_is_a_bounded_duration_or_an_error(text in "\\PC{0,24}|[-0-9 smhdy]{0,30}") {
            match since(&text) {
                Ok(d) => proptest::prop_assert!(d >= Duration::seconds(1) && d <= Duration::days(30)),
                Err(e) => proptest::prop_assert!(!e.to_string().chars().any(crate::text::is_unsafe)),
            }
        }
    }
}
