//! Environments found in the organisation (`[[discover]]`): the accounts an
//! IAM Identity Center login reaches, with the first of the configured
//! roles it has there (`from = "sso"`), or the accounts of an organisation
//! with a role assumed in each (`from = "organizations"`), each in each
//! configured region. What was found is kept in the state directory (0600)
//! for `cache_hours`, so a start does not wait for the portal;
//! `flightdeck envs --refresh` asks again.

use crate::config::{DiscoverConfig, DiscoverFrom};
use crate::options::Options;
#[cfg(feature = "aws")]
use anyhow::Context as _;
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
    pub production: bool,
    /// The rule that made it not production: `tag environment=staging`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_production_by: Option<String>,
    pub read_only: bool,
    pub endpoint_url: Option<String>,
    pub access: Access,
}

/// How a discovered environment's credentials are had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "lowercase")]
pub enum Access {
    /// The role's credentials from the IAM Identity Center login.
    Sso {
        role: String,
        start_url: String,
        sso_region: String,
    },
    /// The role assumed with the management account's profile.
    Organizations {
        role: String,
        profile: Option<String>,
    },
}

impl Access {
    pub fn role(&self) -> &str {
        match self {
            Access::Sso { role, .. } | Access::Organizations { role, .. } => role,
        }
    }

    /// `sso` or `organizations`, as `envs` names the source.
    pub fn source(&self) -> &'static str {
        match self {
            Access::Sso { .. } => "sso",
            Access::Organizations { .. } => "organizations",
        }
    }

    /// How `envs` says it is reached: `role ReadOnly`, `assume
    /// OrganizationAccountAccessRole (profile org)`.
    pub fn describe(&self) -> String {
        match self {
            Access::Sso { role, .. } => format!("role {role}"),
            Access::Organizations {
                role,
                profile: Some(p),
            } => format!("assume {role} (profile {p})"),
            Access::Organizations {
                role,
                profile: None,
            } => format!("assume {role}"),
        }
    }
}

/// An account as a source found it.
#[derive(Debug, Clone, Default)]
pub struct FoundAccount {
    pub id: String,
    pub name: String,
    /// sso: the roles the login has there.
    pub roles: Vec<String>,
    /// organizations: its tags.
    pub tags: Vec<(String, String)>,
    /// organizations: the units it sits under.
    pub units: Vec<String>,
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
    matching(globs, name).is_some()
}

/// The first glob of `globs` that `name` matches.
fn matching<'a>(globs: &'a [toml::Spanned<String>], name: &str) -> Option<&'a str> {
    globs
        .iter()
        .find(|g| glob::Pattern::new(g.get_ref()).is_ok_and(|p| p.matches(name)))
        .map(|g| g.get_ref().as_str())
}

/// The first `key=value-glob` rule that one of the tags matches.
fn tag_matching<'a>(
    rules: &'a [toml::Spanned<String>],
    tags: &[(String, String)],
) -> Option<&'a str> {
    rules
        .iter()
        .find(|rule| {
            let Some((key, value)) = rule.get_ref().split_once('=') else {
                return false;
            };
            let Ok(value) = glob::Pattern::new(value) else {
                return false;
            };
            tags.iter().any(|(k, v)| k == key && value.matches(v))
        })
        .map(|rule| rule.get_ref().as_str())
}

/// Which rule of `section` makes `account` not production, in words.
fn not_production_by(section: &DiscoverConfig, account: &FoundAccount) -> Option<String> {
    if let Some(glob) = matching(&section.not_production, &account.name) {
        return Some(format!("name matches not_production {glob:?}"));
    }
    if let Some(rule) = tag_matching(&section.not_production_tags, &account.tags) {
        return Some(format!("tag matches not_production_tags {rule:?}"));
    }
    account.units.iter().find_map(|unit| {
        matching(&section.not_production_ous, unit)
            .map(|glob| format!("unit {unit:?} matches not_production_ous {glob:?}"))
    })
}

/// The environments of one account under `section`, or none when the
/// account is filtered out or (sso) has none of the roles.
pub fn environments_of(section: &DiscoverConfig, account: &FoundAccount) -> Vec<Discovered> {
    let name = account.name.as_str();
    if (!section.include.is_empty() && !matches(&section.include, name))
        || matches(&section.exclude, name)
    {
        return vec![];
    }
    let access = match section.from {
        DiscoverFrom::Sso => {
            let Some(role) = section.roles.iter().find(|r| account.roles.contains(r)) else {
                return vec![];
            };
            Access::Sso {
                role: role.clone(),
                start_url: section.start_url.clone(),
                sso_region: section.sso_region.clone(),
            }
        }
        DiscoverFrom::Organizations => Access::Organizations {
            role: section.organization_role().to_string(),
            profile: section.profile.clone(),
        },
    };
    let not_production_by = not_production_by(section, account);
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
                .replace("{account_id}", &account.id)
                .replace("{account}", name)
                .replace("{region}", region)
                .replace("{role}", access.role()),
            account_id: account.id.clone(),
            account_name: name.into(),
            region: region.clone(),
            production: not_production_by.is_none(),
            not_production_by: not_production_by.clone(),
            read_only: section.read_only,
            endpoint_url: section.endpoint_url.clone(),
            access: access.clone(),
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
            DiscoverFrom::Organizations => found.extend(from_organizations(section).await?),
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
        .into_iter()
        .map(|a| FoundAccount {
            id: a.id,
            name: a.name,
            roles: a.roles,
            ..FoundAccount::default()
        })
        .flat_map(|a| environments_of(section, &a))
        .collect())
}

/// The organisation's accounts, read with the section's profile; tags and
/// units only when a rule needs them.
#[cfg(feature = "aws")]
async fn from_organizations(section: &DiscoverConfig) -> anyhow::Result<Vec<Discovered>> {
    use flightdeck_aws::organizations;
    let settings = flightdeck_aws::Settings {
        name: "organizations".into(),
        profile: section.profile.clone(),
        // Organizations answers in us-east-1, whatever the accounts' regions.
        region: Some("us-east-1".into()),
        endpoint_url: section.endpoint_url.clone(),
        ..flightdeck_aws::Settings::default()
    };
    let config = flightdeck_aws::loader(&settings).load().await;
    let extras = organizations::Extras {
        tags: !section.not_production_tags.is_empty(),
        units: !section.not_production_ous.is_empty(),
    };
    let accounts = organizations::accounts(&config, extras)
        .await
        .with_context(|| {
            let by = section
                .profile
                .as_deref()
                .map_or("the default credentials".to_string(), |p| {
                    format!("profile {p}")
                });
            format!("listing the organisation's accounts with {by}")
        })?;
    Ok(accounts
        .into_iter()
        .map(|a| FoundAccount {
            id: a.id,
            name: a.name,
            tags: a.tags,
            units: a.units,
            ..FoundAccount::default()
        })
        .flat_map(|a| environments_of(section, &a))
        .collect())
}

/// How to reach a discovered environment.
#[cfg(feature = "aws")]
pub fn settings(d: &Discovered, options: &Options) -> flightdeck_aws::Settings {
    use flightdeck_aws::sso::{PortalAddress, SsoRole};
    let mut settings = flightdeck_aws::Settings {
        name: d.name.clone(),
        region: Some(d.region.clone()),
        endpoint_url: d.endpoint_url.clone(),
        production: d.production,
        read_only: d.read_only,
        cache_dir: Some(options.paths.cache_dir()),
        ..flightdeck_aws::Settings::default()
    };
    match &d.access {
        Access::Sso {
            role,
            start_url,
            sso_region,
        } => {
            settings.sso = Some(SsoRole {
                portal: PortalAddress {
                    start_url: start_url.clone(),
                    region: sso_region.clone(),
                    endpoint_url: d.endpoint_url.clone(),
                },
                account_id: d.account_id.clone(),
                role: role.clone(),
            });
        }
        Access::Organizations { role, profile } => {
            settings.profile = profile.clone();
            settings.assume_role = Some(flightdeck_aws::AssumeRole {
                role_arn: format!("arn:aws:iam::{}:role/{role}", d.account_id),
                session_name: session_name(&options.operator()),
            });
        }
    }
    settings
}

/// `flightdeck-<operator>` in the characters and length STS takes for a
/// session name, so CloudTrail names who assumed the role.
pub fn session_name(operator: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c);
    let name: String = format!("flightdeck-{operator}")
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .take(64)
        .collect();
    name
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

    /// An account the login reaches with `roles`.
    fn sso_account(id: &str, name: &str, roles: &[&str]) -> FoundAccount {
        FoundAccount {
            id: id.into(),
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            ..FoundAccount::default()
        }
    }

    #[test]
    fn an_account_is_named_filtered_and_production_unless_a_glob_says_otherwise() {
        let s = section(
            "include = [\"shop-*\"]\nexclude = [\"*-sandbox\"]\nnot_production = [\"*-staging\"]\n",
        );
        let roles = ["Operator", "Admin"];
        let prod = environments_of(&s, &sso_account("111111111111", "shop-prod", &roles));
        assert_eq!(prod.len(), 1);
        assert_eq!(prod[0].name, "shop-prod");
        assert_eq!(
            prod[0].access.role(),
            "Operator",
            "the first of the section's roles it has"
        );
        assert!(prod[0].production);
        let staging = environments_of(&s, &sso_account("222222222222", "shop-staging", &roles));
        assert!(!staging[0].production);
        assert!(environments_of(&s, &sso_account("3", "shop-sandbox", &roles)).is_empty());
        assert!(environments_of(&s, &sso_account("4", "data-prod", &roles)).is_empty());
        assert!(
            environments_of(&s, &sso_account("5", "shop-dev", &["Admin"])).is_empty(),
            "none of the roles"
        );
    }

    #[test]
    fn two_regions_name_each_environment_by_its_region() {
        let mut s = section("");
        s.regions = vec!["eu-west-1".into(), "us-east-1".into()];
        let names: Vec<String> = environments_of(&s, &sso_account("1", "shop", &["ReadOnly"]))
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["shop-eu-west-1", "shop-us-east-1"]);
        s.name = Some("{account_id}/{region}".into());
        assert_eq!(
            environments_of(&s, &sso_account("1", "shop", &["ReadOnly"]))[0].name,
            "1/eu-west-1"
        );
    }

    fn organizations(extra: &str) -> Result<DiscoverConfig, String> {
        let source = format!(
            "[[discover]]\nfrom = \"organizations\"\nprofile = \"org\"\nregions = [\"eu-west-1\"]\n{extra}"
        );
        Config::parse(Path::new("t.toml"), &source)
            .map(|mut c| c.discover.remove(0))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn an_organisation_account_is_production_unless_its_tag_or_unit_says_otherwise() {
        let s = organizations(
            "not_production_tags = [\"environment=staging\", \"stage=dev*\"]\nnot_production_ous = [\"Sandbox*\"]\n",
        )
        .unwrap();
        let account = |tags: &[(&str, &str)], units: &[&str]| FoundAccount {
            id: "123456789012".into(),
            name: "shop".into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            units: units.iter().map(|u| u.to_string()).collect(),
            ..FoundAccount::default()
        };
        let production = |a: &FoundAccount| environments_of(&s, a)[0].production;
        assert!(production(&account(
            &[("environment", "production")],
            &["Workloads"]
        )));
        assert!(!production(&account(&[("environment", "staging")], &[])));
        assert_eq!(
            environments_of(&s, &account(&[], &["Team-A", "Sandboxes"]))[0]
                .not_production_by
                .as_deref(),
            Some("unit \"Sandboxes\" matches not_production_ous \"Sandbox*\""),
            "doctor says which rule"
        );
        assert!(!production(&account(&[("stage", "dev-2")], &[])));
        assert!(
            production(&account(&[("Environment", "staging")], &[])),
            "tag keys are case-sensitive, as in AWS"
        );
        assert!(
            !production(&account(&[], &["Team-A", "Sandboxes"])),
            "a unit at any depth"
        );
        let found = environments_of(&s, &account(&[], &[]));
        assert_eq!(
            found[0].access,
            Access::Organizations {
                role: "OrganizationAccountAccessRole".into(),
                profile: Some("org".into()),
            },
            "the role Organizations creates, by default"
        );
        assert_eq!(
            found[0].access.describe(),
            "assume OrganizationAccountAccessRole (profile org)"
        );
    }

    #[test]
    fn a_section_with_the_other_sources_keys_or_no_account_values_is_refused_at_its_line() {
        let e = organizations("roles = [\"ReadOnly\"]\n").unwrap_err();
        assert!(
            e.contains("t.toml:5:1") && e.contains("from = \"sso\""),
            "{e}"
        );
        let e = organizations("role = \"  \"\n").unwrap_err();
        assert!(
            e.contains("t.toml:5:1") && e.contains("role is empty"),
            "{e}"
        );
        let e = organizations("not_production_tags = [\"=staging\"]\n").unwrap_err();
        assert!(e.contains("t.toml:5:24") && e.contains("no tag key"), "{e}");
        let bad_regions = |regions: &str| {
            Config::parse(
                Path::new("t.toml"),
                &format!("[[discover]]\nfrom = \"organizations\"\nregions = {regions}\n"),
            )
            .unwrap_err()
            .to_string()
        };
        let e = bad_regions("[]");
        assert!(
            e.contains("t.toml:3:1") && e.contains("regions is empty"),
            "{e}"
        );
        let e = bad_regions("[\"eu west 1\"]");
        assert!(
            e.contains("t.toml:3:1") && e.contains("not a region"),
            "{e}"
        );
        let e = organizations("not_production_tags = [\"staging\"]\n").unwrap_err();
        assert!(
            e.contains("t.toml:5:24") && e.contains("key=value-glob"),
            "{e}"
        );
        let e = Config::parse(
            Path::new("t.toml"),
            "theme = \"dark\"\n\n[[discover]]\nfrom = \"sso\"\nregions = []\nroles = [\"R\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("t.toml:3:1") && e.contains("start_url"), "{e}");
    }

    #[test]
    fn a_session_name_is_one_sts_takes() {
        assert_eq!(session_name("alice@desk"), "flightdeck-alice@desk");
        assert_eq!(session_name("bob smith/ops"), "flightdeck-bob-smith-ops");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
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
        let found = environments_of(&s, &sso_account("1", "shop", &["ReadOnly"]));
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
