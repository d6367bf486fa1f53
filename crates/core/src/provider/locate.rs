//! Which cluster runs a service, so that commands can leave `--cluster`
//! out wherever the service's name is unique in the environment.

use super::{ReadProvider, all_services, find_service};
use crate::provider::ProviderError;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum LocateError {
    #[error("no service `{service}` in {environment}{}", near(.similar))]
    NotFound {
        service: String,
        environment: String,
        /// Services whose names contain the one asked for, `cluster/name`.
        similar: Vec<String>,
    },
    #[error(
        "service `{service}` runs in several clusters of {environment}: {}; name one with --cluster",
        .clusters.join(", ")
    )]
    Ambiguous {
        service: String,
        environment: String,
        clusters: Vec<String>,
    },
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

fn near(similar: &[String]) -> String {
    if similar.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", similar.join(", "))
    }
}

/// The cluster of service `name`: `cluster` itself when given (checked to
/// have the service), else the one cluster whose services include it.
pub async fn locate_service<P: ReadProvider + ?Sized>(
    p: &P,
    cluster: Option<&str>,
    name: &str,
) -> Result<String, LocateError> {
    let environment = p.environment().name.clone();
    if let Some(cluster) = cluster {
        return match find_service(p, cluster, name).await {
            Ok(Some(_)) => Ok(cluster.to_string()),
            Ok(None) | Err(ProviderError::NotFound(_)) => Err(LocateError::NotFound {
                service: format!("{cluster}/{name}"),
                environment,
                similar: vec![],
            }),
            Err(e) => Err(e.into()),
        };
    }
    let mut found = vec![];
    let mut similar = vec![];
    let needle = name.to_lowercase();
    for s in all_services(p).await? {
        if s.name == name {
            found.push(s.cluster);
        } else if !needle.is_empty() && s.name.to_lowercase().contains(&needle) {
            similar.push(format!("{}/{}", s.cluster, s.name));
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(LocateError::NotFound {
            service: name.to_string(),
            environment,
            similar,
        }),
        _ => Err(LocateError::Ambiguous {
            service: name.to_string(),
            environment,
            clusters: found,
        }),
    }
}
