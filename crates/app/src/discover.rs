//! Environments found in the organisation (`[[discover]]`): the accounts an
//! IAM Identity Center login reaches, each in each configured region, with
//! the first of the configured roles it has there. What was found is kept
//! in the state directory (0600) for `cache_hours`, so a start does not
//! wait for the portal; `flightdeck envs --refresh` asks again.

use crate::config::{DiscoverConfig, DiscoverFrom};
use crate::options::Options;
use flightdeck_model::Timestamp;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Hours a discovery is kept when the section does not say.
pub const DEFAULT_CACHE_HOURS: u32 = 12;
/// The cache file is never read past this size.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// One environment a `[[discover]]` section found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovered {
    pub name: String,
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub role: String,
    pub production: bool,
    pub read_only: bool,
    pub start_url: String,
    pub sso_region: String,
    pub endpoint_url: Option<String>,
}

/// The cache file: what the sections found, and when.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    /// The sections it was found with, as JSON: another config discovers
    /// again.
    sections: String,
    found_at: Timestamp,
    environments: Vec<Discovered>,
}

fn matches(globs: &[toml::Spanned<String>], name: &str) -> bool {
    globs.iter().any(|g| {
        glob::Pattern::new(g.get_ref())
            .map(|p| p.matches(name))
            .unwrap_or(false)
    })
}

/// The environments of one account under `section`, or none when the
/// account is filtered out or has none of the roles.
pub fn environments_of(
    section: &DiscoverConfig,
    account_id: &str,
    account_name: &str,
    roles: &[String],
) -> Vec<Discovered> {
    if (!section.include.is_empty() && !matches(&section.include, account_name))
        || matches(&section.exclude, account_name)
    {
        return vec![];
    }
    let Some(role) = section.roles.iter().find(|r| roles.contains(r)) else {
        return vec![];
    };
    let template = section.name.clone().unwrap_or_else(|| {
        if section.regions.len() > 1 {
            "{account}-{region}".into()
        } else {
            "{account}".into()
        }
    });
    section
        .regions
        .iter()
        .map(|region| Discovered {
            name: template
                .replace("{account_id}", account_id)
                .replace("{account}", account_name)
                .replace("{region}", region)
                .replace("{role}", role),
            account_id: account_id.into(),
            account_name: account_name.into(),
            region: region.clone(),
            role: role.clone(),
            production: !matches(&section.not_production, account_name),
            read_only: section.read_only,
            start_url: section.start_url.clone(),
            sso_region: section.sso_region.clone(),
            endpoint_url: section.endpoint_url.clone(),
        })
        .collect()
}

/// What the cache holds for `sections`, if it is younger than each of
/// their `cache_hours` at `now`.
fn kept(file: &Path, sections: &[DiscoverConfig], now: Timestamp) -> Option<Vec<Discovered>> {
    let bytes = flightdeck_core::files::read_bounded(file, MAX_BYTES).ok()??;
    let kept: Kept = serde_json::from_slice(&bytes).ok()?;
    let hours = sections
        .iter()
        .map(|s| s.cache_hours.unwrap_or(DEFAULT_CACHE_HOURS))
        .min()
        .unwrap_or(DEFAULT_CACHE_HOURS);
    let fresh = now - kept.found_at < chrono::Duration::hours(i64::from(hours));
    (kept.sections == key(sections) && fresh).then_some(kept.environments)
}

/// The sections, as the cache names them.
fn key(sections: &[DiscoverConfig]) -> String {
    serde_json::to_string(sections).unwrap_or_default()
}

/// The discovered environments: from the cache when it is fresh and
/// `refresh` is not asked, else from the portal (and kept).
#[cfg(feature = "aws")]
pub async fn environments(
    options: &Options,
    now: Timestamp,
    refresh: bool,
) -> anyhow::Result<Vec<Discovered>> {
    let sections = &options.config.discover;
    if sections.is_empty() {
        return Ok(vec![]);
    }
    let file = options.paths.cache_dir().join("discovered.json");
    if !refresh && let Some(found) = kept(&file, sections, now) {
        return Ok(found);
    }
    let mut found = vec![];
    for section in sections {
        match section.from {
            DiscoverFrom::Sso => found.extend(from_sso(section, now).await?),
        }
    }
    let kept = Kept {
        sections: key(sections),
        found_at: now,
        environments: found.clone(),
    };
    if let Err(e) = serde_json::to_vec_pretty(&kept)
        .map_err(std::io::Error::other)
        .and_then(|json| flightdeck_core::files::write_atomic(&file, &json))
    {
        tracing::warn!(
            "discovered environments not kept in {}: {e}",
            file.display()
        );
    }
    Ok(found)
}

#[cfg(feature = "aws")]
async fn from_sso(section: &DiscoverConfig, now: Timestamp) -> anyhow::Result<Vec<Discovered>> {
    use flightdeck_aws::sso;
    let token = sso::valid_token(&section.start_url, now)?;
    let portal = sso::PortalAddress {
        start_url: section.start_url.clone(),
        region: section.sso_region.clone(),
        endpoint_url: section.endpoint_url.clone(),
    };
    let accounts = sso::accounts(&portal, &token).await?;
    Ok(accounts
        .iter()
        .flat_map(|a| environments_of(section, &a.id, &a.name, &a.roles))
        .collect())
}

/// How to reach a discovered environment.
#[cfg(feature = "aws")]
pub fn settings(d: &Discovered, cache_dir: &Path) -> flightdeck_aws::Settings {
    use flightdeck_aws::sso::{PortalAddress, SsoRole};
    flightdeck_aws::Settings {
        name: d.name.clone(),
        region: Some(d.region.clone()),
        endpoint_url: d.endpoint_url.clone(),
        production: d.production,
        read_only: d.read_only,
        cache_dir: Some(cache_dir.to_path_buf()),
        sso: Some(SsoRole {
            portal: PortalAddress {
                start_url: d.start_url.clone(),
                region: d.sso_region.clone(),
                endpoint_url: d.endpoint_url.clone(),
            },
            account_id: d.account_id.clone(),
            role: d.role.clone(),
        }),
        ..flightdeck_aws::Settings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn section(extra: &str) -> DiscoverConfig {
        let source = format!(
            "[[discover]]\nfrom = \"sso\"\nstart_url = \"https://acme.awsapps.com/start\"\nsso_region = \"eu-west-1\"\nroles = [\"ReadOnly\", \"Operator\"]\nregions = [\"eu-west-1\"]\n{extra}"
        );
        Config::parse(Path::new("t.toml"), &source)
            .unwrap()
            .discover
            .remove(0)
    }

    #[test]
    fn an_account_is_named_filtered_and_production_unless_a_glob_says_otherwise() {
        let s = section(
            "include = [\"shop-*\"]\nexclude = [\"*-sandbox\"]\nnot_production = [\"*-staging\"]\n",
        );
        let roles = vec!["Operator".to_string(), "Admin".to_string()];
        let prod = environments_of(&s, "111111111111", "shop-prod", &roles);
        assert_eq!(prod.len(), 1);
        assert_eq!(prod[0].name, "shop-prod");
        assert_eq!(
            prod[0].role, "Operator",
            "the first of the section's roles it has"
        );
        assert!(prod[0].production);
        let staging = environments_of(&s, "222222222222", "shop-staging", &roles);
        assert!(!staging[0].production);
        assert!(environments_of(&s, "3", "shop-sandbox", &roles).is_empty());
        assert!(environments_of(&s, "4", "data-prod", &roles).is_empty());
        assert!(
            environments_of(&s, "5", "shop-dev", &["Admin".to_string()]).is_empty(),
            "none of the roles"
        );
    }

    #[test]
    fn two_regions_name_each_environment_by_its_region() {
        let mut s = section("");
        s.regions = vec!["eu-west-1".into(), "us-east-1".into()];
        let names: Vec<String> = environments_of(&s, "1", "shop", &["ReadOnly".into()])
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["shop-eu-west-1", "shop-us-east-1"]);
        s.name = Some("{account_id}/{region}".into());
        assert_eq!(
            environments_of(&s, "1", "shop", &["ReadOnly".into()])[0].name,
            "1/eu-west-1"
        );
    }

    #[test]
    fn a_bad_glob_is_named_with_its_line_and_column() {
        let e = Config::parse(
            Path::new("t.toml"),
            "[[discover]]\nfrom = \"sso\"\nstart_url = \"u\"\nsso_region = \"r\"\nroles = []\nregions = []\nexclude = [\"[oops\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("t.toml:7:12") && e.contains("not a glob"), "{e}");
        let e = Config::parse(
            Path::new("t.toml"),
            "[[discover]]\nfrom = \"ldap\"\nstart_url = \"u\"\nsso_region = \"r\"\nroles = []\nregions = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("t.toml:2") && e.contains("sso"), "{e}");
    }

    #[test]
    fn the_cache_is_used_while_fresh_and_for_the_same_sections_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("discovered.json");
        let s = section("cache_hours = 2\n");
        let found = environments_of(&s, "1", "shop", &["ReadOnly".into()]);
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z")
            .unwrap()
            .to_utc();
        let json = serde_json::to_vec(&Kept {
            sections: key(std::slice::from_ref(&s)),
            found_at: t0,
            environments: found.clone(),
        })
        .unwrap();
        flightdeck_core::files::write_atomic(&file, &json).unwrap();
        let sections = vec![s.clone()];
        assert_eq!(
            kept(&file, &sections, t0 + chrono::Duration::minutes(90)),
            Some(found)
        );
        assert_eq!(
            kept(&file, &sections, t0 + chrono::Duration::hours(3)),
            None,
            "stale"
        );
        let mut other = s;
        other.regions = vec!["us-east-1".into()];
        assert_eq!(kept(&file, &[other], t0), None, "another config");
    }
}
