//! Request budgets: one token bucket per account+region and API family, so
//! the cockpit never spends the throttling allowance it shares with the
//! console, CI and colleagues.

use flightdeck_model::Timestamp;

/// The AWS API families with separate throttling buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiFamily {
    /// ECS Describe*/List*: burst 100, 20/s sustained.
    Ecs,
    /// CloudWatch DescribeAlarms/GetMetricData.
    CloudWatch,
    /// CloudWatch Logs FilterLogEvents: 5/s per account and region.
    Logs,
    /// Application Auto Scaling Describe*.
    AutoScaling,
    /// Cost Explorer: billed per request; a trickle is plenty.
    CostExplorer,
    /// CloudTrail LookupEvents: 2/s per account and region.
    CloudTrail,
}

impl ApiFamily {
    /// Its name in the debug overlay.
    pub fn name(self) -> &'static str {
        match self {
            ApiFamily::Ecs => "ECS",
            ApiFamily::CloudWatch => "CloudWatch",
            ApiFamily::Logs => "Logs",
            ApiFamily::AutoScaling => "Auto Scaling",
            ApiFamily::CostExplorer => "Cost Explorer",
            ApiFamily::CloudTrail => "CloudTrail",
        }
    }

    /// `(burst, refill per second)`. We take half of what AWS allows for
    /// reads: the rest belongs to everybody else on the account.
    pub fn limits(self) -> (f64, f64) {
        match self {
            ApiFamily::Ecs => (50.0, 10.0),
            ApiFamily::CloudWatch => (20.0, 5.0),
            ApiFamily::Logs => (5.0, 2.5),
            ApiFamily::AutoScaling => (10.0, 2.0),
            ApiFamily::CostExplorer => (2.0, 1.0 / 600.0),
            // A timeline's lookups in one burst, then half of AWS's rate.
            ApiFamily::CloudTrail => (8.0, 1.0),
        }
    }
}

/// A token bucket over an injected clock.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    refill_per_sec: f64,
    tokens: f64,
    last: Timestamp,
}

impl TokenBucket {
    pub fn new(capacity: f64, refill_per_sec: f64, now: Timestamp) -> Self {
        Self {
            capacity,
            refill_per_sec,
            tokens: capacity,
            last: now,
        }
    }

    pub fn for_family(family: ApiFamily, now: Timestamp) -> Self {
        let (burst, rate) = family.limits();
        Self::new(burst, rate, now)
    }

    /// Adds what the time since the last refill earned. A clock set back
    /// (a drill restarted at 0:00) earns nothing and refills from the new
    /// time on: keeping the old, later instant would starve the bucket
    /// until the clock caught up with it (minutes of a blind cockpit).
    fn refill(&mut self, now: Timestamp) {
        let elapsed = (now - self.last).num_milliseconds().max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        self.last = now;
    }

    /// Takes `cost` tokens if there are enough; otherwise takes nothing.
    /// A cost above the whole burst (a refresh of 1000 services is 100
    /// DescribeServices) is taken from a full bucket, which goes into debt
    /// and pays it back at the refill rate before anything else is taken:
    /// without that such a job would wait forever.
    pub fn try_take(&mut self, cost: f64, now: Timestamp) -> bool {
        self.refill(now);
        if self.tokens >= cost.min(self.capacity) {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    pub fn available(&mut self, now: Timestamp) -> f64 {
        self.refill(now);
        self.tokens
    }

    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    pub fn refill_per_sec(&self) -> f64 {
        self.refill_per_sec
    }
}

/// One bucket as the debug overlay shows it: what is left of it, and how
/// many fetches it let through or held back since the cockpit started.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketReport {
    pub env: String,
    pub family: ApiFamily,
    /// Tokens left (one a request), of `capacity`.
    pub available: f64,
    pub capacity: f64,
    pub refill_per_sec: f64,
    /// Fetches it paid for.
    pub started: u64,
    /// Times a due fetch was held back for want of tokens (it is tried
    /// again at the engine's next round, 200 ms later).
    pub deferred: u64,
}

/// The engine's request budget at one instant, for the debug overlay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BudgetReport {
    /// Every bucket used so far, by environment then family.
    pub buckets: Vec<BucketReport>,
    /// Fetches running now.
    pub in_flight: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn a_bucket_spends_its_burst_then_refills_at_its_rate() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = TokenBucket::new(5.0, 2.5, t0);
        assert!((0..5).all(|_| b.try_take(1.0, t0)));
        assert!(!b.try_take(1.0, t0));
        assert!(!b.try_take(1.0, t0 + Duration::milliseconds(300)));
        assert!(b.try_take(1.0, t0 + Duration::milliseconds(400)));
        assert!(b.available(t0 + Duration::hours(1)) <= 5.0);
    }

    #[test]
    fn a_cost_above_the_burst_is_taken_from_a_full_bucket_and_paid_back() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut b = TokenBucket::new(50.0, 10.0, t0);
        assert!(b.try_take(1.0, t0));
        // Not full: the 102 of a 1000-service refresh waits.
        assert!(!b.try_take(102.0, t0));
        let full = t0 + Duration::seconds(1);
        assert!(b.try_take(102.0, full));
        // 52 in debt: nothing for the next 5 s, then it flows again.
        assert!(!b.try_take(1.0, full + Duration::seconds(5)));
        assert!(b.try_take(1.0, full + Duration::milliseconds(5300)));
    }

    /// A drill restarted: the clock goes back 20 minutes. The bucket keeps
    /// refilling from the new time at its rate, as it did before.
    #[test]
    fn a_clock_set_back_does_not_starve_the_bucket() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 20, 0).unwrap();
        let mut b = TokenBucket::new(5.0, 1.0, t0);
        assert!((0..5).all(|_| b.try_take(1.0, t0)));
        let back = t0 - Duration::minutes(20);
        assert!(!b.try_take(1.0, back), "nothing earned by going back");
        assert!(
            b.try_take(1.0, back + Duration::seconds(1)),
            "refills from then"
        );
    }
}
