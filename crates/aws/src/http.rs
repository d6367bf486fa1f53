//! The HTTPS client every AWS call goes through.

/// The HTTPS client of every AWS call: the SDK's own hyper and rustls
/// client, as its default builds it (proxy from `HTTPS_PROXY`/`NO_PROXY`,
/// the connector settings and sleep of each client), with rustls's *ring*
/// cryptography instead of aws-lc, whose C build alone is most of a cold
/// build's critical path on two cores.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
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
