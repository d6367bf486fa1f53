//! A metric series as the simulation keeps it: one point a minute, each
//! the minute since the Unix epoch and the value (16 bytes, where a
//! `MetricPoint` takes 24), bounded to the newest `kept`. Thousands of
//! services keep several each.

use flightdeck_model::{MetricPoint, Timestamp};
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    minute: u32,
    value: f64,
}

impl Point {
    fn metric(self) -> MetricPoint {
        MetricPoint {
            at: chrono::DateTime::from_timestamp(i64::from(self.minute) * 60, 0)
                .unwrap_or_default(),
            value: self.value,
        }
    }
}

/// Oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series(VecDeque<Point>);

impl Series {
    /// Room for `kept` points from the start, so it never grows past them.
    pub fn with_capacity(kept: usize) -> Self {
        Series(VecDeque::with_capacity(kept))
    }

    /// Appends the point at `at` (a whole minute), dropping the oldest
    /// beyond `kept`.
    pub fn push(&mut self, at: Timestamp, value: f64, kept: usize) {
        let minute = u32::try_from(at.timestamp().div_euclid(60)).unwrap_or(u32::MAX);
        self.0.push_back(Point { minute, value });
        while self.0.len() > kept {
            self.0.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn back(&self) -> Option<MetricPoint> {
        self.0.back().map(|p| p.metric())
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = MetricPoint> + '_ {
        self.0.iter().map(|p| p.metric())
    }

    /// The values, oldest first.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = f64> + '_ {
        self.0.iter().map(|p| p.value)
    }

    /// The points from `start` to `end`, both included.
    pub fn between(&self, start: Timestamp, end: Timestamp) -> Vec<MetricPoint> {
        self.iter()
            .filter(|p| p.at >= start && p.at <= end)
            .collect()
    }

    /// The newest value at or before `at`.
    pub fn value_at(&self, at: Timestamp) -> Option<f64> {
        let minute = at.timestamp().div_euclid(60);
        let after = self.0.partition_point(|p| i64::from(p.minute) <= minute);
        self.0.get(after.checked_sub(1)?).map(|p| p.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn points_keep_their_minute_and_value_and_the_newest_kept() {
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
        let mut s = Series::with_capacity(3);
        for i in 0..5 {
            s.push(t0 + chrono::Duration::minutes(i), i as f64 / 3.0, 3);
        }
        assert_eq!(s.len(), 3);
        let back = s.back().unwrap();
        assert_eq!(back.at, t0 + chrono::Duration::minutes(4));
        assert_eq!(back.value, 4.0 / 3.0);
        assert_eq!(
            s.iter().next().unwrap().at,
            t0 + chrono::Duration::minutes(2)
        );
        assert_eq!(s.value_at(t0 + chrono::Duration::seconds(200)), Some(1.0));
        assert_eq!(s.value_at(t0), None);
        assert_eq!(
            s.between(
                t0 + chrono::Duration::minutes(3),
                t0 + chrono::Duration::hours(1)
            )
            .len(),
            2
        );
    }
}
