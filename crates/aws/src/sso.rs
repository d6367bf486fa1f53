//! IAM Identity Center: the accounts and roles a login reaches, and a
//! role's credentials, through the portal API with the token that
//! `aws sso login` cached (`~/.aws/sso/cache`). flightdeck never logs in
//! itself: an expired token says to run `aws sso login`.
//!
//! [`SsoRole`] is a credentials provider of its own rather than
//! aws-config's `SsoCredentialsProvider`: that one reads a profile and
//! cannot be pointed at another portal endpoint (a VPC endpoint, the
//! tests' proxy); this one takes the start URL, account and role that
//! discovery found.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError};
use flightdeck_model::Timestamp;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SsoError {
    #[error("no cached IAM Identity Center token for {start_url}: run `aws sso login`")]
    NoToken { start_url: String },
    #[error("the IAM Identity Center token for {start_url} expired at {at}: run `aws sso login`")]
    Expired { start_url: String, at: Timestamp },
    #[error(
        "the IAM Identity Center login for {start_url} is no longer valid: run `aws sso login`"
    )]
    LoggedOut { start_url: String },
    #[error("IAM Identity Center portal: {0}")]
    Portal(String),
}

/// The token the AWS CLI cached for a start URL, and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedToken {
    pub token: String,
    pub expires: Timestamp,
}

/// Where the AWS CLI caches its SSO tokens.
pub fn token_cache_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".aws/sso/cache"))
}

/// The newest token cached in `dir` for `start_url`.
pub fn cached_token(dir: &Path, start_url: &str) -> Option<CachedToken> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter(|token| token["startUrl"].as_str() == Some(start_url))
        .filter_map(|token| {
            Some(CachedToken {
                token: token["accessToken"].as_str()?.to_string(),
                expires: chrono::DateTime::parse_from_rfc3339(token["expiresAt"].as_str()?)
                    .ok()?
                    .to_utc(),
            })
        })
        .max_by_key(|t| t.expires)
}

/// The token for `start_url`, refused when missing or expired at `now`.
pub fn valid_token(start_url: &str, now: Timestamp) -> Result<String, SsoError> {
    let token = token_cache_dir()
        .and_then(|dir| cached_token(&dir, start_url))
        .ok_or_else(|| SsoError::NoToken {
            start_url: start_url.into(),
        })?;
    if token.expires <= now {
        return Err(SsoError::Expired {
            start_url: start_url.into(),
            at: token.expires,
        });
    }
    Ok(token.token)
}

/// Where a login's portal answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAddress {
    pub start_url: String,
    /// The region of the IAM Identity Center instance.
    pub region: String,
    /// Another endpoint than AWS's (a VPC endpoint, tests).
    pub endpoint_url: Option<String>,
}

impl PortalAddress {
    fn client(&self) -> aws_sdk_sso::Client {
        let mut config = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .http_client(crate::http::https_client());
        if let Some(url) = &self.endpoint_url {
            config = config.endpoint_url(url);
        }
        aws_sdk_sso::Client::from_conf(config.build())
    }
}

/// One account the login reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAccount {
    pub id: String,
    pub name: String,
    /// The roles the login may take there.
    pub roles: Vec<String>,
}

/// A failed portal call: a token the portal no longer takes says to log
/// in again, anything else what AWS said.
fn portal_error<E>(
    e: aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    action: &'static str,
    start_url: &str,
) -> SsoError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    if e.code() == Some("UnauthorizedException") {
        return SsoError::LoggedOut {
            start_url: start_url.into(),
        };
    }
    let detail = match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => aws_smithy_types::error::display::DisplayErrorContext(&e).to_string(),
    };
    SsoError::Portal(format!("{action}: {detail}"))
}

/// Every account the login reaches, with its roles (ListAccounts, then
/// ListAccountRoles per account).
pub async fn accounts(portal: &PortalAddress, token: &str) -> Result<Vec<PortalAccount>, SsoError> {
    let client = portal.client();
    let mut listed = vec![];
    let mut pages = client
        .list_accounts()
        .access_token(token)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| portal_error(e, "sso:ListAccounts", &portal.start_url))?;
        listed.extend(page.account_list.unwrap_or_default());
    }
    let mut out = vec![];
    for account in listed {
        let Some(id) = account.account_id else {
            continue;
        };
        let mut roles = vec![];
        let mut pages = client
            .list_account_roles()
            .access_token(token)
            .account_id(&id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| portal_error(e, "sso:ListAccountRoles", &portal.start_url))?;
            roles.extend(
                page.role_list
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|r| r.role_name),
            );
        }
        out.push(PortalAccount {
            name: account.account_name.unwrap_or_else(|| id.clone()),
            id,
            roles,
        });
    }
    Ok(out)
}

/// The credentials of one role in one account, from the cached login
/// (GetRoleCredentials), fetched again by the SDK before they expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoRole {
    pub portal: PortalAddress,
    pub account_id: String,
    pub role: String,
}

impl SsoRole {
    async fn credentials(&self) -> Result<Credentials, SsoError> {
        // Its expiry is the portal's to judge (an expired one is refused,
        // and said so): the provider has no clock of its own.
        let token = token_cache_dir()
            .and_then(|dir| cached_token(&dir, &self.portal.start_url))
            .ok_or_else(|| SsoError::NoToken {
                start_url: self.portal.start_url.clone(),
            })?
            .token;
        let answer = self
            .portal
            .client()
            .get_role_credentials()
            .access_token(token)
            .account_id(&self.account_id)
            .role_name(&self.role)
            .send()
            .await
            .map_err(|e| portal_error(e, "sso:GetRoleCredentials", &self.portal.start_url))?;
        let c = answer
            .role_credentials
            .ok_or_else(|| SsoError::Portal("GetRoleCredentials answered no credentials".into()))?;
        let expires = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(c.expiration).unwrap_or(0));
        Ok(Credentials::new(
            c.access_key_id.unwrap_or_default(),
            c.secret_access_key.unwrap_or_default(),
            c.session_token,
            Some(expires),
            "flightdeck-sso",
        ))
    }
}

impl ProvideCredentials for SsoRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.credentials()
                .await
                .map_err(CredentialsError::not_loaded)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_token_of_the_start_url_is_taken_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let token = |url: &str, value: &str, at: &str| {
            serde_json::json!({"startUrl": url, "accessToken": value, "expiresAt": at, "region": "eu-west-1"})
                .to_string()
        };
        let acme = "https://acme.awsapps.com/start";
        std::fs::write(
            dir.path().join("a.json"),
            token(acme, "old", "2026-11-30T08:00:00Z"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.json"),
            token(acme, "new", "2026-12-30T08:00:00Z"),
        )
        .unwrap();
        std::fs::write(dir.path().join("c.json"), "not json").unwrap();
        let found = cached_token(dir.path(), acme).unwrap();
        assert_eq!(found.token, "new");
        assert_eq!(found.expires.to_rfc3339(), "2026-12-30T08:00:00+00:00");
        assert_eq!(
            cached_token(dir.path(), "https://none.awsapps.com/start"),
            None
        );
    }
}
