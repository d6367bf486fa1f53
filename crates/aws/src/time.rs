//! Conversions between the SDK's `DateTime` and the model's `Timestamp`.

use aws_smithy_types::DateTime;
use flightdeck_model::Timestamp;

pub fn from_sdk(t: &DateTime) -> Timestamp {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

pub fn from_sdk_opt(t: Option<&DateTime>) -> Option<Timestamp> {
    t.map(from_sdk)
}

pub fn to_sdk(t: Timestamp) -> DateTime {
    DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_with_subsecond_precision() {
        let t = chrono::Utc
            .timestamp_opt(1_795_314_142, 539_000_000)
            .unwrap();
        assert_eq!(from_sdk(&to_sdk(t)), t);
    }
}
