//! Classifies SDK errors into [`ProviderError`]s that tell the operator what
//! to do: log in again, ask for a permission, wait, check the network.

use super::sdk::OPERATION_TIMEOUT;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use flightdeck_core::provider::ProviderError;

/// What the failed call was, for messages: `ecs:ListServices`.
#[derive(Debug, Clone, Copy)]
pub struct Action(pub &'static str);

/// [`classify`] for a call made outside an environment's provider (the
/// team's trail and table), with no profile to advise on.
pub(crate) fn failed<E>(err: SdkError<E, HttpResponse>, action: &'static str) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    classify(err, Action(action), None)
}

/// Turns an SDK error into a classified provider error. `profile` is named
/// in the advice for expired or missing credentials.
pub fn classify<E>(
    err: SdkError<E, HttpResponse>,
    action: Action,
    profile: Option<&str>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::TimeoutError(_) => {
            return ProviderError::Network(format!(
                "{} timed out after {}s",
                action.0,
                OPERATION_TIMEOUT.as_secs()
            ));
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            return ProviderError::Network(format!("{} timed out connecting", action.0));
        }
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            // A credentials provider that could not reach its endpoint
            // (STS, the SSO portal) is the network's fault, not the login's.
            if mentions_credentials(&text) && !unreachable(&text) {
                return credentials(&text, profile);
            }
            return ProviderError::Network(format!("{}: {}", action.0, last_cause(&text)));
        }
        _ => {}
    }
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    classify_code(action, &code, &message, status, profile)
}

/// The part of classification that depends only on the error code.
pub fn classify_code(
    action: Action,
    code: &str,
    message: &str,
    status: Option<u16>,
    profile: Option<&str>,
) -> ProviderError {
    match code {
        "AccessDeniedException"
        | "AccessDenied"
        | "UnauthorizedOperation"
        | "UnauthorizedException"
        | "AuthorizationError" => ProviderError::AccessDenied {
            action: action.0.to_string(),
        },
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "LimitExceededException"
        | "ThrottledException"
        | "RequestThrottled" => ProviderError::Throttled(format!("{}: {message}", action.0)),
        "ExpiredTokenException"
        | "ExpiredToken"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch" => credentials(message, profile),
        c if c.ends_with("NotFoundException") || c == "ResourceNotFound" => {
            ProviderError::NotFound(if message.is_empty() {
                action.0.to_string()
            } else {
                message.to_string()
            })
        }
        "InvalidParameterException"
        | "InvalidParameterValue"
        | "ValidationException"
        | "InvalidParameterCombination" => {
            ProviderError::Invalid(format!("{}: {message}", action.0))
        }
        "UnsupportedFeatureException" => {
            ProviderError::Unsupported(format!("{}: {message}", action.0))
        }
        "" => ProviderError::Other(match status {
            Some(s) => format!("{}: HTTP {s}", action.0),
            None => format!("{}: no response", action.0),
        }),
        _ => ProviderError::Other(format!("{}: {code}: {message}", action.0)),
    }
}

fn mentions_credentials(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["credential", "sso", "token", "profile"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Whether the error's text says the endpoint could not be reached.
fn unreachable(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "connection refused",
        "connection reset",
        "timed out",
        "dns error",
        "failed to lookup address",
        "network is unreachable",
        "no route to host",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// The cause in an SDK error's display text: its first line without the
/// wrappers before it (`dispatch failure: other: ...`) or the debug dump
/// after it.
fn last_cause(text: &str) -> &str {
    let first = text.lines().next().unwrap_or(text);
    // DisplayErrorContext ends with the error's Debug form, e.g. ` (DispatchFailure(...`.
    let dump = [
        " (DispatchFailure",
        " (ConstructionFailure",
        " (TimeoutError",
        " (ResponseError",
        " (ServiceError",
    ]
    .iter()
    .filter_map(|m| first.find(m))
    .min()
    .unwrap_or(first.len());
    let first = first[..dump].trim().trim_end_matches("Attempted:").trim();
    first
        .rsplit(": ")
        .next()
        .unwrap_or(first)
        .trim()
        .trim_end_matches('.')
}

fn credentials(detail: &str, profile: Option<&str>) -> ProviderError {
    let profile_flag = profile
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    let advice = match profile {
        _ if detail.to_lowercase().contains("sso") => format!("run `aws sso login{profile_flag}`"),
        Some(p) => format!(
            "run `aws sso login{profile_flag}` for an SSO profile, else check profile `{p}` (`aws configure list --profile {p}`)"
        ),
        None => "set AWS_PROFILE, run `aws configure` or `aws sso login`".to_string(),
    };
    ProviderError::Credentials(format!("{advice}; {}", last_cause(detail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Action = Action("ecs:ListServices");

    #[test]
    fn access_denied_names_the_action() {
        let e = classify_code(
            A,
            "AccessDeniedException",
            "User is not authorized",
            Some(400),
            None,
        );
        assert_eq!(
            e,
            ProviderError::AccessDenied {
                action: "ecs:ListServices".into()
            }
        );
    }

    #[test]
    fn expired_tokens_tell_how_to_log_in_again() {
        let e = classify_code(
            A,
            "ExpiredTokenException",
            "token expired",
            Some(400),
            Some("radiox"),
        );
        let ProviderError::Credentials(text) = e else {
            panic!("not a credentials error: {e:?}");
        };
        assert!(text.contains("aws sso login --profile radiox"), "{text}");
    }

    #[test]
    fn causes_are_read_out_of_sdk_error_texts() {
        assert_eq!(
            last_cause(
                "dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:\n  Environment: ..."
            ),
            "no credentials found in chain"
        );
        assert_eq!(
            last_cause(
                "dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111) (DispatchFailure(..))"
            ),
            "Connection refused (os error 111)"
        );
        let ProviderError::Credentials(text) =
            credentials("the SSO session has expired", Some("radiox"))
        else {
            panic!()
        };
        assert!(
            text.starts_with("run `aws sso login --profile radiox`"),
            "{text}"
        );
    }

    #[test]
    fn throttling_missing_things_and_unknown_codes() {
        assert!(matches!(
            classify_code(A, "ThrottlingException", "Rate exceeded", Some(400), None),
            ProviderError::Throttled(_)
        ));
        assert_eq!(
            classify_code(
                A,
                "ClusterNotFoundException",
                "Cluster not found.",
                Some(400),
                None
            ),
            ProviderError::NotFound("Cluster not found.".into())
        );
        assert_eq!(
            classify_code(A, "", "", Some(500), None),
            ProviderError::Other("ecs:ListServices: HTTP 500".into())
        );
    }

    #[test]
    fn service_errors_are_classified_from_their_metadata() {
        use aws_sdk_ecs::operation::list_services::ListServicesError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let meta = ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build();
        let raw = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty());
        let err = SdkError::service_error(ListServicesError::generic(meta), raw);
        assert_eq!(
            classify(err, A, None),
            ProviderError::Throttled("ecs:ListServices: Rate exceeded".into())
        );
    }

    #[test]
    fn credentials_that_could_not_be_fetched_for_want_of_a_network_are_the_networks() {
        let refused = "dispatch failure: io error: the credential provider was not enabled: error trying to connect: tcp connect error: Connection refused (os error 111)";
        assert!(mentions_credentials(refused) && unreachable(refused));
        assert!(!unreachable("the SSO token for profile x expired"));
    }
}
