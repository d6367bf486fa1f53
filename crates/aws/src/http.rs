//! The HTTPS client every AWS call goes through.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, OnceLock};

/// The HTTPS client of every AWS call: the SDK's own hyper and rustls
/// client, as its default builds it (proxy from `HTTPS_PROXY`/`NO_PROXY`,
/// the connector settings and sleep of each client), with rustls's *ring*
/// cryptography instead of aws-lc, whose C build alone is most of a cold
/// build's critical path on two cores. Its connector (TLS: the system's
/// root certificates, a few hundred of them parsed) is made at the first
/// call, not when a client is: a warm start draws before any call.
pub fn https_client() -> SharedHttpClient {
    let hyper = hyper_client();
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Deferred {
            client: hyper.clone(),
            settings: settings.clone(),
            components: Arc::new(components.clone()),
            connector: OnceLock::new(),
        })
    })
}

fn hyper_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// A connector of the hyper client, asked for at its first call (the
/// client keeps one per settings: later ones are the same).
#[derive(Debug)]
struct Deferred {
    client: SharedHttpClient,
    settings: HttpConnectorSettings,
    components: Arc<RuntimeComponents>,
    connector: OnceLock<SharedHttpConnector>,
}

impl HttpConnector for Deferred {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.connector
            .get_or_init(|| self.client.http_connector(&self.settings, &self.components))
            .call(request)
    }
}
