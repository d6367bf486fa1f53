//! Environments discovered from IAM Identity Center (`[[discover]]`), as an
//! operator's laptop finds them: the token `aws sso login` cached, the
//! portal's accounts and roles, each account's role credentials reaching
//! its own moto account. moto has no portal API: the test proxy answers
//! ListAccounts, ListAccountRoles and GetRoleCredentials in the shapes of
//! the AWS documentation (`scripts/aws_sso.py`), and the credentials it
//! hands out select each account's moto account.
#![cfg(feature = "aws")]
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;

use common::cli::{flightdeck, json};
use common::moto::{Moto, seed, spec};
use std::path::Path;

const START_URL: &str = "https://acme.awsapps.com/start";

/// The portal's directory: these accounts (id, name, roles), this token.
fn portal(endpoint: &str, token: &str, accounts: &[(&str, &str, &[&str])]) {
    let accounts: Vec<serde_json::Value> = accounts
        .iter()
        .map(|(id, name, roles)| serde_json::json!({"id": id, "name": name, "roles": roles}))
        .collect();
    ureq::post(format!("{endpoint}/__flightdeck/sso"))
        .send_json(serde_json::json!({"token": token, "accounts": accounts}))
        .unwrap();
}

/// The AWS CLI's token cache after `aws sso login`, expiring at `expires`.
fn logged_in(home: &Path, token: &str, expires: &str) {
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("0f1e2d3c.json"),
        serde_json::json!({
            "startUrl": START_URL,
            "region": "us-east-1",
            "accessToken": token,
            "expiresAt": expires,
        })
        .to_string(),
    )
    .unwrap();
}

fn config(home: &Path, endpoint: &str, region: &str) {
    let dir = home.join("config/flightdeck");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"[[discover]]
from = "sso"
start_url = "{START_URL}"
sso_region = "us-east-1"
roles = ["FlightdeckOperator", "ReadOnly"]
regions = ["{region}"]
exclude = ["sandbox-*"]
not_production = ["*-staging"]
endpoint_url = "{endpoint}"
"#
        ),
    )
    .unwrap();
}

/// Serial: the portal's directory is one for the whole proxy.
#[test]
fn an_sso_login_discovers_the_accounts_and_reads_each_with_its_role() {
    let (Some(prod), Some(staging)) = (Moto::new("discovery_prod"), Moto::new("discovery_staging"))
    else {
        return;
    };
    let env = spec("radiox-prod");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seeded = rt.block_on(seed(&prod, &env, chrono::Utc::now()));
    let endpoint = prod.endpoint.clone();
    let token = format!("token-{}", prod.account);
    portal(
        &endpoint,
        &token,
        &[
            (
                &prod.account,
                "shop-prod",
                &["ReadOnly", "FlightdeckOperator"],
            ),
            (&staging.account, "shop-staging", &["ReadOnly"]),
            ("999999999999", "sandbox-alice", &["FlightdeckOperator"]),
            ("888888888888", "billing", &["Billing"]),
        ],
    );
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    config(h, &endpoint, &env.region);
    logged_in(h, &token, "2099-01-01T00:00:00Z");

    // Found: two accounts, the preferred role each has, production unless
    // a glob says otherwise; the sandbox excluded, billing without a role.
    let envs = json(&flightdeck(h, &["envs", "--json"], None));
    let rows = envs.as_array().unwrap();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {envs}"))
    };
    assert_eq!(rows.len(), 2, "{envs}");
    assert_eq!(row("shop-prod")["source"], "sso");
    assert_eq!(row("shop-prod")["access"], "role FlightdeckOperator");
    assert_eq!(row("shop-prod")["production"], true);
    assert_eq!(row("shop-staging")["access"], "role ReadOnly");
    assert_eq!(row("shop-staging")["production"], false);
    assert!(
        row("shop-prod")["account"]
            .as_str()
            .unwrap()
            .starts_with(&prod.account)
    );

    // The discovered environment is read with its role's credentials: its
    // own account's services.
    let services = json(&flightdeck(
        h,
        &["services", "--env", "shop-prod", "--json"],
        None,
    ));
    assert_eq!(
        services.as_array().unwrap().len(),
        seeded.services.len(),
        "{services}"
    );

    // Kept: the portal forgetting an account changes nothing until asked
    // again.
    portal(
        &endpoint,
        &token,
        &[(&prod.account, "shop-prod", &["ReadOnly"])],
    );
    let kept = json(&flightdeck(h, &["envs", "--json"], None));
    assert_eq!(kept.as_array().unwrap().len(), 2, "{kept}");
    let fresh = json(&flightdeck(h, &["envs", "--refresh", "--json"], None));
    assert_eq!(fresh.as_array().unwrap().len(), 1, "{fresh}");

    // An expired login says what to do, and discovers nothing.
    logged_in(h, &token, "2020-01-01T00:00:00Z");
    let out = flightdeck(h, &["envs", "--refresh"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("expired") && stderr.contains("aws sso login"),
        "{stderr}"
    );

    // A login the portal no longer takes (signed out elsewhere): reading
    // the kept environment fails saying to log in again.
    logged_in(h, "signed-out", "2099-01-01T00:00:00Z");
    let out = flightdeck(h, &["services", "--env", "shop-prod", "--json"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("aws sso login"), "{stderr}");
}

/// An organisation as its management account sees it in moto: the
/// accounts Organizations created (ids of moto's choosing), their tags and
/// units; the role assumed in each (moto hands out credentials that select
/// the member account, as AWS does).
#[test]
fn an_organisation_is_discovered_and_each_member_account_read_with_the_assumed_role() {
    use aws_sdk_organizations::types::Tag;
    let Some(management) = Moto::new("discovery_org_management") else {
        return;
    };
    let env = spec("radiox-prod");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let org = rt.block_on(async {
        aws_sdk_organizations::Client::new(&management.sdk_config("us-east-1").await)
    });
    let create = |name: &str| {
        rt.block_on(async {
            org.create_account()
                .account_name(name)
                .email(format!("{name}@example.com"))
                .send()
                .await
                .unwrap()
                .create_account_status
                .unwrap()
                .account_id
                .unwrap()
        })
    };
    rt.block_on(async {
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap()
    });
    let shop_prod = create("shop-prod");
    let shop_staging = create("shop-staging");
    let lab = create("data-lab");
    let sandbox = create("sandbox-bob");
    rt.block_on(async {
        let tag = Tag::builder()
            .key("environment")
            .value("staging")
            .build()
            .unwrap();
        org.tag_resource()
            .resource_id(&shop_staging)
            .tags(tag)
            .send()
            .await
            .unwrap();
        let root = org.list_roots().send().await.unwrap().roots.unwrap()[0]
            .id
            .clone()
            .unwrap();
        let experiments = org
            .create_organizational_unit()
            .parent_id(&root)
            .name("Experiments")
            .send()
            .await
            .unwrap()
            .organizational_unit
            .unwrap()
            .id
            .unwrap();
        let labs = org
            .create_organizational_unit()
            .parent_id(&experiments)
            .name("Labs")
            .send()
            .await
            .unwrap()
            .organizational_unit
            .unwrap()
            .id
            .unwrap();
        org.move_account()
            .account_id(&lab)
            .source_parent_id(&root)
            .destination_parent_id(&labs)
            .send()
            .await
            .unwrap();
    });
    // The production account's services, in the account moto chose.
    let member = Moto {
        endpoint: management.endpoint.clone(),
        account: shop_prod.clone(),
    };
    let seeded = rt.block_on(seed(&member, &env, chrono::Utc::now()));

    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(
        h.join("aws-credentials"),
        format!(
            "[org]\naws_access_key_id = {}\naws_secret_access_key = moto-secret\n",
            management.access_key()
        ),
    )
    .unwrap();
    let dir = h.join("config/flightdeck");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"[[discover]]
from = "organizations"
profile = "org"
regions = ["{}"]
include = ["shop-*", "data-*"]
exclude = ["sandbox-*"]
not_production_tags = ["environment=staging"]
not_production_ous = ["Experiments"]
endpoint_url = "{}"
"#,
            env.region, management.endpoint
        ),
    )
    .unwrap();

    let envs = json(&flightdeck(h, &["envs", "--json"], None));
    let rows = envs.as_array().unwrap();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {envs}"))
    };
    assert_eq!(
        rows.len(),
        3,
        "the sandbox and the management account left out: {envs}"
    );
    assert_eq!(row("shop-prod")["source"], "organizations");
    assert_eq!(
        row("shop-prod")["access"],
        "assume OrganizationAccountAccessRole (profile org)"
    );
    assert!(
        row("shop-prod")["account"]
            .as_str()
            .unwrap()
            .starts_with(&shop_prod)
    );
    assert_eq!(
        row("shop-prod")["production"],
        true,
        "no tag or unit says otherwise"
    );
    assert_eq!(row("shop-staging")["production"], false, "tagged staging");
    assert_eq!(
        row("data-lab")["production"],
        false,
        "under Experiments/Labs"
    );
    assert!(!envs.to_string().contains(&sandbox));

    // The member account is read with the role assumed in it: its own
    // services, not the management account's (which has none).
    let services = json(&flightdeck(
        h,
        &["services", "--env", "shop-prod", "--json"],
        None,
    ));
    assert_eq!(
        services.as_array().unwrap().len(),
        seeded.services.len(),
        "{services}"
    );

    // Credentials that Organizations refuses: said so, with the profile.
    std::fs::write(
        h.join("aws-credentials"),
        "[org]\naws_access_key_id = FDT000000000001\naws_secret_access_key = moto-secret\n",
    )
    .unwrap();
    let out = flightdeck(h, &["envs", "--refresh"], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("organisation's accounts") && stderr.contains("profile org"),
        "{stderr}"
    );
}
