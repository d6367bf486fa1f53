//! Which environments a run covers and the provider of each: the embedded
//! simulated production (`--demo`) or AWS, from the config's
//! `[[environment]]` sections and the flags. Shared by the cockpit and the
//! read commands, so both see exactly the same environments.

use crate::cli::Cli;
use crate::clock::Clock;
use crate::config::{Config, Paths};
use crate::model::EnvironmentInfo;
use crate::provider::{Provider, ReadOnlyGuard, ReadProvider};
use crate::sim::{SimProvider, World};
use anyhow::anyhow;
use std::sync::{Arc, Mutex};

/// The seed of the simulation when neither `--seed` nor the config names one.
pub const DEFAULT_SEED: u64 = 42;

/// The providers of one run, each behind its read-only guard.
pub struct Session {
    pub providers: Vec<Arc<dyn Provider>>,
    /// What the header shows of each environment (config overrides applied).
    pub infos: Vec<EnvironmentInfo>,
    /// `--read-only` or the config's global `read_only`.
    pub read_only: bool,
    pub demo: bool,
}

impl Session {
    /// The six simulated seed environments (or the one `--env` names).
    pub fn demo(
        cli: &Cli,
        config: &Config,
        seed: Option<u64>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Session> {
        let seed = seed.or(config.demo.seed).unwrap_or(DEFAULT_SEED);
        let world = Arc::new(Mutex::new(World::new(seed, clock.now())));
        let read_only = cli.read_only.unwrap_or(config.read_only);
        let sims = SimProvider::all(world, clock);
        let names: Vec<String> = sims.iter().map(|p| p.environment().name.clone()).collect();
        let mut session = Session {
            providers: vec![],
            infos: vec![],
            read_only,
            demo: true,
        };
        for sim in sims {
            let name = sim.environment().name.clone();
            if cli.env.as_ref().is_some_and(|e| *e != name) {
                continue;
            }
            let section = config.environment(&name);
            let mut info = sim.environment().clone();
            if let Some(production) = section.and_then(|s| s.production) {
                info.production = production;
            }
            info.read_only = read_only || section.is_some_and(|s| s.read_only);
            session.infos.push(info.clone());
            session
                .providers
                .push(Arc::new(ReadOnlyGuard::new(sim, info.read_only)));
        }
        if session.providers.is_empty() {
            return Err(anyhow!(
                "no demo environment is called `{}`; there are: {}",
                cli.env.clone().unwrap_or_default(),
                names.join(", ")
            ));
        }
        Ok(session)
    }

    /// The environments of a command: the simulated ones with `--demo`,
    /// else AWS.
    pub async fn for_command(
        cli: &Cli,
        config: &Config,
        paths: &Paths,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Session> {
        if cli.demo {
            Session::demo(cli, config, None, clock)
        } else {
            Session::aws(cli, config, paths, clock).await
        }
    }

    /// The one environment a command acts on; an error naming the
    /// choices when there are several.
    pub fn single(&self, what: &str) -> anyhow::Result<&Arc<dyn Provider>> {
        match self.providers.as_slice() {
            [p] => Ok(p),
            _ => Err(anyhow!(
                "{what} needs exactly one environment; name it with --env (there are {})",
                self.infos
                    .iter()
                    .map(|i| i.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The AWS environments of the config and flags, connected.
    #[cfg(feature = "aws")]
    pub async fn aws(
        cli: &Cli,
        config: &Config,
        paths: &Paths,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Session> {
        use crate::provider::aws::AwsProvider;
        let read_only = cli.read_only.unwrap_or(config.read_only);
        let mut session = Session {
            providers: vec![],
            infos: vec![],
            read_only,
            demo: false,
        };
        for settings in aws_settings(cli, config, paths)? {
            let provider = AwsProvider::connect(settings, clock.clone()).await?;
            let info = provider.environment().clone();
            session.infos.push(info.clone());
            session
                .providers
                .push(Arc::new(ReadOnlyGuard::new(provider, info.read_only)));
        }
        Ok(session)
    }

    #[cfg(not(feature = "aws"))]
    pub async fn aws(
        _cli: &Cli,
        _config: &Config,
        _paths: &Paths,
        _clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Session> {
        Err(anyhow!(
            "this flightdeck was built without the `aws` feature; use --demo or rebuild with default features"
        ))
    }
}

/// How to reach each environment. Precedence: config section < environment
/// variables (applied by the SDK for what the section leaves unset) <
/// flags. Without any `[[environment]]`, one environment on the default
/// credential chain, named after `--env`, the profile or `default`.
#[cfg(feature = "aws")]
pub fn aws_settings(
    cli: &Cli,
    config: &Config,
    paths: &Paths,
) -> anyhow::Result<Vec<crate::provider::aws::Settings>> {
    use crate::provider::aws::Settings;
    let global_ro = cli.read_only.unwrap_or(config.read_only);
    let cache_dir = Some(paths.state_dir.join("cache"));
    let env_profile = std::env::var("AWS_PROFILE").ok();
    let mut settings: Vec<Settings> = config
        .environments
        .iter()
        .filter(|e| cli.env.as_ref().is_none_or(|n| n == e.name.get_ref()))
        .map(|e| Settings {
            name: e.name.get_ref().clone(),
            // AWS_PROFILE beats the section only where the section is silent.
            profile: e.profile.clone().or_else(|| env_profile.clone()),
            region: e.region.clone(),
            endpoint_url: e.endpoint_url.as_ref().map(|u| u.get_ref().clone()),
            clusters: e.clusters.clone(),
            production: e.is_production(),
            read_only: global_ro || e.read_only,
            cache_dir: cache_dir.clone(),
        })
        .collect();
    if config.environments.is_empty() {
        let profile = cli.profile.clone().or(env_profile);
        let name = cli
            .env
            .clone()
            .or_else(|| profile.clone())
            .unwrap_or_else(|| "default".into());
        settings.push(Settings {
            production: crate::model::is_production_name(&name),
            name,
            profile,
            read_only: global_ro,
            cache_dir,
            ..Settings::default()
        });
    } else if settings.is_empty() {
        let names: Vec<&str> = config
            .environments
            .iter()
            .map(|e| e.name.get_ref().as_str())
            .collect();
        return Err(anyhow!(
            "no configured environment is called `{}`; there are: {}",
            cli.env.clone().unwrap_or_default(),
            names.join(", ")
        ));
    }
    for s in &mut settings {
        if let Some(p) = &cli.profile {
            s.profile = Some(p.clone());
        }
        if let Some(r) = &cli.region {
            s.region = Some(r.clone());
        }
        if let Some(u) = &cli.endpoint_url {
            s.endpoint_url = Some(u.clone());
        }
    }
    Ok(settings)
}
