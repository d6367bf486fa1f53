//! Provider errors, classified by what the operator can do about them.

use thiserror::Error;

/// Why a provider call failed, classified so the UI can tell the operator
/// what to do about it rather than show a raw SDK error.
#[derive(Debug, Clone, PartialEq, Error, serde::Serialize, serde::Deserialize)]
pub enum ProviderError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("access denied for {action}")]
    AccessDenied { action: String },
    #[error("throttled by AWS: {0}")]
    Throttled(String),
    #[error("network error: {0}")]
    Network(String),
    #[error("credentials expired or missing: {0}")]
    Credentials(String),
    #[error("environment {environment} is read-only: {operation} refused")]
    ReadOnly {
        environment: String,
        operation: String,
    },
    #[error("invalid request: {0}")]
    Invalid(String),
    /// AWS recognisably refused because it cannot do this here (a feature
    /// not available for this service or region). Nothing was changed, so a
    /// caller may fall back to another way.
    #[error("not supported here: {0}")]
    Unsupported(String),
    #[error("{0}")]
    Other(String),
}
