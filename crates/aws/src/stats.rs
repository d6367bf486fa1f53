//! What the provider asked of AWS: every attempt of every call, by
//! operation, and the throttling answers among them (`--stats`, the
//! cockpit's debug overlay). Counted by an interceptor on every client, so
//! retries and paginated pages count as the calls they are.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use flightdeck_model::ApiStats;
use std::sync::{Arc, Mutex, PoisonError};

/// The counts of one provider, shared by its clients.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<ApiStats>>);

impl CallCounter {
    pub fn snapshot(&self) -> ApiStats {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn update(&self, f: impl FnOnce(&mut ApiStats)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// `ecs:ListServices`, from the operation's metadata, in the IAM action's
/// spelling (the service prefix an IAM policy names).
fn operation(cfg: &ConfigBag) -> String {
    cfg.load::<Metadata>().map_or_else(
        || "unknown".to_string(),
        |m| format!("{}:{}", iam_prefix(m.service()), m.name()),
    )
}

/// The IAM prefix of an SDK service name (`Application Auto Scaling` is
/// `application-autoscaling`).
fn iam_prefix(service: &str) -> String {
    match service.to_ascii_lowercase().as_str() {
        "application auto scaling" => "application-autoscaling".to_string(),
        "cloudwatch logs" => "logs".to_string(),
        "cost explorer" => "ce".to_string(),
        other => other.replace(' ', "-"),
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = operation(cfg);
        self.update(|s| *s.calls.entry(op).or_default() += 1);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let throttled = context.response().is_some_and(|r| {
            r.status().as_u16() == 429
                || r.headers()
                    .get("x-amzn-ErrorType")
                    .is_some_and(|t| t.contains("Throttl"))
        });
        if throttled {
            let op = operation(cfg);
            self.update(|s| *s.throttles.entry(op).or_default() += 1);
        }
        Ok(())
    }
}
