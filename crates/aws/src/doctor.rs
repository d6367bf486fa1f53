//! What `flightdeck doctor` asks of AWS beyond the reads: how far this
//! machine's clock is from AWS's (SigV4 refuses requests more than five
//! minutes off), and when an IAM Identity Center (SSO) login runs out.

use super::AwsProvider;
use super::errors::Action;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use flightdeck_core::provider::Result;
use flightdeck_model::Timestamp;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// Keeps the `Date` header of the response it sees.
#[derive(Debug, Clone, Default)]
struct DateHeader(Arc<Mutex<Option<String>>>);

impl Intercept for DateHeader {
    fn name(&self) -> &'static str {
        "DateHeader"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let date = context.response().headers().get("date").map(str::to_string);
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = date;
        Ok(())
    }
}

impl AwsProvider {
    /// AWS's time minus this machine's, from the `Date` of a
    /// GetCallerIdentity answer (to the second); `None` when AWS sent none.
    pub async fn clock_skew(&self) -> Result<Option<chrono::Duration>> {
        let header = DateHeader::default();
        let asked = self.clock.now();
        self.clients
            .sts()
            .get_caller_identity()
            .customize()
            .interceptor(header.clone())
            .send()
            .await
            .map_err(self.fail(Action("sts:GetCallerIdentity")))?;
        let answered = self.clock.now();
        let date = header
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(theirs) = date.and_then(|d| chrono::DateTime::parse_from_rfc2822(&d).ok()) else {
            return Ok(None);
        };
        // The header is whole seconds: measured from the request's middle.
        let ours = asked + (answered - asked) / 2;
        Ok(Some(theirs.to_utc() - ours))
    }
}

/// An SSO login as the profile uses it.
#[derive(Debug, Clone, PartialEq)]
pub enum SsoLogin {
    /// The profile does not sign in with IAM Identity Center.
    NotSso,
    /// No cached token for its start URL: never logged in, or logged out.
    NoToken { start_url: String },
    /// The cached token's expiry.
    Expires { start_url: String, at: Timestamp },
}

/// The SSO login of `profile` (`default` when `None`), from the AWS config
/// files and the token cache the AWS CLI writes (`~/.aws/sso/cache`).
pub async fn sso_login(profile: Option<&str>) -> SsoLogin {
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    let name = profile.unwrap_or("default");
    let Ok(profiles) = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        Some(name.to_string().into()),
    )
    .await
    else {
        return SsoLogin::NotSso;
    };
    let Some(selected) = profiles.get_profile(name) else {
        return SsoLogin::NotSso;
    };
    let start_url = selected
        .get("sso_start_url")
        .map(str::to_string)
        .or_else(|| {
            let session = selected.get("sso_session")?;
            profiles
                .sso_session(session)?
                .get("sso_start_url")
                .map(str::to_string)
        });
    let Some(start_url) = start_url else {
        return SsoLogin::NotSso;
    };
    match crate::sso::token_cache_dir().and_then(|dir| cached_expiry(&dir, &start_url)) {
        Some(at) => SsoLogin::Expires { start_url, at },
        None => SsoLogin::NoToken { start_url },
    }
}

/// The latest expiry of a cached token for `start_url` in `dir`.
fn cached_expiry(dir: &Path, start_url: &str) -> Option<Timestamp> {
    crate::sso::cached_token(dir, start_url).map(|t| t.expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_of_the_start_url_is_found_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let token = |url: &str, at: &str| {
            serde_json::json!({"startUrl": url, "accessToken": "t", "expiresAt": at, "region": "eu-west-1"})
                .to_string()
        };
        std::fs::write(
            dir.path().join("a.json"),
            token("https://acme.awsapps.com/start", "2026-11-30T08:00:00Z"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.json"),
            token("https://other.awsapps.com/start", "2026-12-30T08:00:00Z"),
        )
        .unwrap();
        std::fs::write(dir.path().join("c.json"), "not json").unwrap();
        let at = cached_expiry(dir.path(), "https://acme.awsapps.com/start").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-30T08:00:00+00:00");
        assert_eq!(
            cached_expiry(dir.path(), "https://none.awsapps.com/start"),
            None
        );
    }
}
