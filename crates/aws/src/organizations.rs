//! The accounts of an organisation (AWS Organizations), as the management
//! or a delegated-admin account sees them: each active account with its
//! tags and the organizational units it sits under, for discovery.
//!
//! Tags and units cost calls (ListTagsForResource per account, a walk of
//! the unit tree), so they are read only when a discovery rule needs them.

use crate::errors::failed;
use aws_config::SdkConfig;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::AccountStatus;
use flightdeck_core::provider::ProviderError;
use std::collections::HashMap;

/// Tag reads in flight at once: Organizations allows a few requests a
/// second per account, and a hundred accounts should not wait on one line.
const TAG_READS_AT_ONCE: usize = 4;

/// One member account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    /// Its tags, when asked for.
    pub tags: Vec<(String, String)>,
    /// The names of the organizational units it sits under, nearest first,
    /// when asked for.
    pub units: Vec<String>,
}

/// What to read besides the accounts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    pub tags: bool,
    pub units: bool,
}

/// Every active account of the organisation (ListAccounts), with its tags
/// and units when `extras` asks for them.
pub async fn accounts(
    config: &SdkConfig,
    extras: Extras,
) -> Result<Vec<OrgAccount>, ProviderError> {
    let client = Client::new(config);
    let mut accounts = vec![];
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed(e, "organizations:ListAccounts"))?;
        for a in page.accounts.unwrap_or_default() {
            // Suspended and closing accounts cannot be operated.
            if a.status
                .as_ref()
                .is_some_and(|s| *s != AccountStatus::Active)
            {
                continue;
            }
            let Some(id) = a.id else { continue };
            accounts.push(OrgAccount {
                name: a.name.unwrap_or_else(|| id.clone()),
                id,
                ..OrgAccount::default()
            });
        }
    }
    if extras.tags {
        let tags = tags_of(&client, accounts.iter().map(|a| a.id.clone()).collect()).await?;
        for a in &mut accounts {
            a.tags = tags.get(&a.id).cloned().unwrap_or_default();
        }
    }
    if extras.units {
        let units = units_of_accounts(&client).await?;
        for a in &mut accounts {
            a.units = units.get(&a.id).cloned().unwrap_or_default();
        }
    }
    Ok(accounts)
}

/// The tags of each account (ListTagsForResource), a few at once.
async fn tags_of(
    client: &Client,
    ids: Vec<String>,
) -> Result<HashMap<String, Vec<(String, String)>>, ProviderError> {
    let mut out = HashMap::new();
    let mut waiting = ids.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < TAG_READS_AT_ONCE {
            let Some(id) = waiting.next() else { break };
            let client = client.clone();
            running.spawn(async move {
                let tags = tags_of_one(&client, &id).await;
                (id, tags)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (id, tags) =
            done.map_err(|e| ProviderError::Other(format!("reading an account's tags: {e}")))?;
        out.insert(id, tags?);
    }
    Ok(out)
}

async fn tags_of_one(client: &Client, id: &str) -> Result<Vec<(String, String)>, ProviderError> {
    let mut tags = vec![];
    let mut pages = client
        .list_tags_for_resource()
        .resource_id(id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed(e, "organizations:ListTagsForResource"))?;
        tags.extend(
            page.tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.key, t.value)),
        );
    }
    Ok(tags)
}

/// The units above each account, nearest first: a walk from the roots
/// (ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent),
/// two calls per unit instead of one per account.
async fn units_of_accounts(client: &Client) -> Result<HashMap<String, Vec<String>>, ProviderError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut parents: Vec<(String, Vec<String>)> = vec![];
    let mut pages = client.list_roots().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed(e, "organizations:ListRoots"))?;
        parents.extend(
            page.roots
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.id)
                .map(|id| (id, vec![])),
        );
    }
    while let Some((parent, above)) = parents.pop() {
        let mut pages = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| failed(e, "organizations:ListOrganizationalUnitsForParent"))?;
            for unit in page.organizational_units.unwrap_or_default() {
                let Some(id) = unit.id else { continue };
                let mut path = vec![unit.name.unwrap_or_else(|| id.clone())];
                path.extend(above.iter().cloned());
                parents.push((id, path));
            }
        }
        if above.is_empty() {
            continue;
        }
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed(e, "organizations:ListAccountsForParent"))?;
            for account in page.accounts.unwrap_or_default() {
                if let Some(id) = account.id {
                    out.insert(id, above.clone());
                }
            }
        }
    }
    Ok(out)
}
