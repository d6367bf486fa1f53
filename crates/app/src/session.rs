//! Which environments a run covers and the provider of each: the embedded
//! simulated production (`--demo`) or AWS, from the config's
//! `[[environment]]` sections and the flags. Shared by the cockpit and the
//! read commands, so both see exactly the same environments.

use crate::options::Options;
use anyhow::anyhow;
use flightdeck_core::provider::{Provider, ReadProvider};
use flightdeck_model::EnvironmentInfo;
use flightdeck_model::clock::Clock;
use flightdeck_sim::{SimProvider, World};
use std::sync::{Arc, Mutex};

/// When the simulated world is made: a command needs it at once; the
/// cockpit draws its first frame while it is made (its reads wait for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorldBuild {
    Now,
    Background,
}

/// The providers of one run, each behind its read-only guard.
pub struct Session {
    pub providers: Vec<Arc<Provider>>,
    /// What the header shows of each environment (config overrides applied).
    pub infos: Vec<EnvironmentInfo>,
    /// `--read-only` or the config's global `read_only`.
    pub read_only: bool,
    pub demo: bool,
    /// The drill the simulation plays (`demo --scenario`).
    pub scenario: Option<flightdeck_sim::scenario::Scenario>,
    /// The simulated world of a demo, for a drill's restart.
    pub world: Option<flightdeck_sim::SharedWorld>,
}

/// A shared world whose making has begun on a thread of its own: the lock
/// is that thread's until the world is made, so a read waits for it and
/// never sees it half made.
fn build_in_background(
    seed: u64,
    start: flightdeck_model::Timestamp,
    estate: Option<flightdeck_sim::estate::EstateSpec>,
    scenario: Option<flightdeck_sim::scenario::Scenario>,
) -> flightdeck_sim::SharedWorld {
    let world = Arc::new(Mutex::new(World::empty(seed)));
    let (locked, is_locked) = std::sync::mpsc::channel();
    let shared = world.clone();
    std::thread::spawn(move || {
        let mut guard = shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = locked.send(());
        *guard = World::create(seed, start, estate, scenario);
    });
    // Once the builder holds the lock, nothing can read before it is done.
    let _ = is_locked.recv();
    world
}

impl Session {
    /// The environments of a run: the simulated ones for the demo, else AWS.
    pub async fn start(
        options: &Options,
        clock: Arc<dyn Clock>,
        build: WorldBuild,
    ) -> anyhow::Result<Session> {
        if options.demo {
            Session::demo(options, clock, build)
        } else {
            Session::aws(options, clock).await
        }
    }

    /// The six simulated seed environments and any generated estate (or
    /// the one `--env` names).
    pub fn demo(
        options: &Options,
        clock: Arc<dyn Clock>,
        build: WorldBuild,
    ) -> anyhow::Result<Session> {
        let scenario = match &options.scenario {
            Some(name) => Some(crate::config::scenarios::find(
                &options.paths.scenarios_dir,
                name,
            )?),
            None => None,
        };
        let (seed, start, estate) = (options.seed, clock.now(), options.estate);
        let world = match build {
            WorldBuild::Now => Arc::new(Mutex::new(World::create(
                seed,
                start,
                estate,
                scenario.clone(),
            ))),
            WorldBuild::Background => build_in_background(seed, start, estate, scenario.clone()),
        };
        let read_only = options.read_only;
        let config = &options.config;
        let sims = SimProvider::named(
            world.clone(),
            clock,
            seed,
            World::environments(seed, estate),
        );
        let names: Vec<String> = sims.iter().map(|p| p.environment().name.clone()).collect();
        let mut session = Session {
            providers: vec![],
            infos: vec![],
            read_only,
            demo: true,
            scenario,
            world: Some(world),
        };
        for sim in sims {
            let name = sim.environment().name.clone();
            if options.env.as_ref().is_some_and(|e| *e != name) {
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
                .push(Arc::new(Provider::new(sim.with_environment(info))));
        }
        if session.providers.is_empty() {
            return Err(anyhow!(
                "no demo environment is called `{}`; there are: {}",
                options.env.clone().unwrap_or_default(),
                names.join(", ")
            ));
        }
        Ok(session)
    }

    /// `--stats`: the API calls each environment's provider made, by
    /// operation, with the throttling answers; one line per environment
    /// and one per operation, for stderr.
    pub fn api_stats(&self) -> String {
        let mut out = String::new();
        for (info, p) in self.infos.iter().zip(&self.providers) {
            let name = flightdeck_model::text::sanitize(&info.name);
            let Some(stats) = p.api_stats() else {
                out.push_str(&format!("api calls, {name}: none (the simulation)\n"));
                continue;
            };
            let throttled: u64 = stats.throttles.values().sum();
            out.push_str(&format!(
                "api calls, {name}: {} ({throttled} throttled)\n",
                stats.total()
            ));
            for (op, n) in &stats.calls {
                let t = stats.throttles.get(op).copied().unwrap_or(0);
                let t = if t > 0 {
                    format!(" ({t} throttled)")
                } else {
                    String::new()
                };
                out.push_str(&format!("  {op} {n}{t}\n"));
            }
        }
        out
    }

    /// The one environment a command acts on; an error naming the
    /// choices when there are several.
    pub fn single(&self, what: &str) -> anyhow::Result<&Arc<Provider>> {
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
    pub async fn aws(options: &Options, clock: Arc<dyn Clock>) -> anyhow::Result<Session> {
        use flightdeck_aws::AwsProvider;
        let mut session = Session {
            providers: vec![],
            infos: vec![],
            read_only: options.read_only,
            demo: false,
            scenario: None,
            world: None,
        };
        let discovered = crate::discover::environments(options, clock.now(), false).await?;
        let settings = aws_settings(options, &discovered)?;
        for provider in AwsProvider::connect_all(settings, clock.clone()).await {
            let provider = provider?;
            let info = provider.environment().clone();
            session.infos.push(info.clone());
            session.providers.push(Arc::new(Provider::new(provider)));
        }
        Ok(session)
    }

    #[cfg(not(feature = "aws"))]
    pub async fn aws(_options: &Options, _clock: Arc<dyn Clock>) -> anyhow::Result<Session> {
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
    options: &Options,
    discovered: &[crate::discover::Discovered],
) -> anyhow::Result<Vec<flightdeck_aws::Settings>> {
    use flightdeck_aws::Settings;
    let config = &options.config;
    let global_ro = options.read_only;
    let cache_dir = Some(options.paths.cache_dir());
    let env_profile = options.aws_profile_env.clone();
    let mut settings: Vec<Settings> = config
        .environments
        .iter()
        .filter(|e| options.env.as_ref().is_none_or(|n| n == e.name.get_ref()))
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
            sso: None,
            assume_role: None,
        })
        .collect();
    // A discovered environment a section already names is the section's.
    settings.extend(
        discovered
            .iter()
            .filter(|d| options.env.as_ref().is_none_or(|n| *n == d.name))
            .filter(|d| {
                !config
                    .environments
                    .iter()
                    .any(|e| *e.name.get_ref() == d.name)
            })
            .map(|d| {
                let mut s = crate::discover::settings(d, options);
                s.read_only |= global_ro;
                s
            }),
    );
    if config.environments.is_empty() && config.discover.is_empty() {
        let profile = options.aws.profile.clone().or(env_profile);
        let name = options
            .env
            .clone()
            .or_else(|| profile.clone())
            .unwrap_or_else(|| "default".into());
        settings.push(Settings {
            // Nothing says otherwise: production, whatever the name.
            production: true,
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
            .chain(discovered.iter().map(|d| d.name.as_str()))
            .collect();
        let Some(wanted) = &options.env else {
            return Err(anyhow!(
                "no environment: the config has no [[environment]] and its [[discover]] sections found none (`flightdeck envs --refresh` asks again)"
            ));
        };
        return Err(anyhow!(
            "no environment is called `{wanted}`; there are: {}",
            names.join(", ")
        ));
    }
    for s in &mut settings {
        if let Some(p) = &options.aws.profile {
            s.profile = Some(p.clone());
        }
        if let Some(r) = &options.aws.region {
            s.region = Some(r.clone());
        }
        if let Some(u) = &options.aws.endpoint_url {
            s.endpoint_url = Some(u.clone());
        }
    }
    Ok(settings)
}
