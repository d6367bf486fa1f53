//! The team's shared audit trail (`[team] audit_log_group`) against moto's
//! CloudWatch Logs: every write's records reach the operator's stream once,
//! an unreachable trail never fails the write, and what waited is sent by
//! the next catch-up, nothing lost and nothing twice.
#![cfg(feature = "aws")]

use crate::common;

use common::cli::{fixture, flightdeck};

#[test]
fn every_write_reaches_the_shared_trail_once_even_after_an_outage() {
    let Some(fx) = fixture("team_audit", "muejam-staging") else {
        return;
    };
    let (h, env) = (fx.home.path(), &fx.env);
    let group = "flightdeck-audit";
    let config = fx.moto.sdk_config(&env.region);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.rt.block_on(config));
    fx.rt
        .block_on(logs.create_log_group().log_group_name(group).send())
        .unwrap();
    let file = h.join("config/flightdeck/config.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!(
        "\n[team]\naudit_log_group = \"{group}\"\nenvironment = \"{}\"\noperator = \"alice@laptop\"\n",
        env.name
    ));
    std::fs::write(&file, text).unwrap();
    let service = &env.services[0].name;
    let scale = |desired: &str| {
        flightdeck(
            h,
            &[
                "scale",
                "--cluster",
                &env.cluster,
                "--service",
                service,
                "--desired",
                desired,
                "--confirm",
                service,
            ],
            Some(&fx.moto),
        )
    };
    let trail = || -> Vec<String> {
        fx.rt
            .block_on(
                logs.get_log_events()
                    .log_group_name(group)
                    .log_stream_name("alice@laptop")
                    .start_from_head(true)
                    .send(),
            )
            .map(|o| {
                o.events()
                    .iter()
                    .filter_map(|e| e.message().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let local = || {
        std::fs::read_to_string(h.join("state/flightdeck/audit.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };

    let first = scale("3");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(trail(), local(), "the before and after records, as written");
    assert_eq!(trail().len(), 2);

    // The trail unreachable: the write goes through, says so, and waits.
    fx.moto
        .fault("PutLogEvents", "ServiceUnavailableException", "try later");
    let second = scale("4");
    assert!(second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("shared audit trail was not reached"),
        "{stderr}"
    );
    assert_eq!(trail().len(), 2);
    assert_eq!(local().len(), 4);

    // Back: the next write sends what waited and its own, once each.
    fx.moto.clear_faults();
    let third = scale("3");
    assert!(
        third.status.success(),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    assert_eq!(trail(), local());
    assert_eq!(trail().len(), 6);

    // A teammate on another machine (no local record of these writes)
    // sees them on the change timeline, by operator, with request ids.
    std::fs::rename(
        h.join("state/flightdeck/audit.jsonl"),
        h.join("state/flightdeck/alice-audit.jsonl"),
    )
    .unwrap();
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("alice@laptop", "bob@desk");
    std::fs::write(&file, text).unwrap();
    let timeline = flightdeck(
        h,
        &["timeline", "--service", service, "--since", "1h", "--json"],
        Some(&fx.moto),
    );
    let out: serde_json::Value = common::cli::json(&timeline);
    let team: Vec<&serde_json::Value> = out["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["summary"]
                .as_str()
                .unwrap()
                .contains("with flightdeck by alice@laptop")
        })
        .collect();
    assert_eq!(team.len(), 3, "{out:#}");
    assert!(
        team.iter().all(|e| e["detail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().starts_with("request id "))),
        "{out:#}"
    );
    assert!(
        !out["gaps"].to_string().contains("team's audit trail"),
        "{out:#}"
    );
}

/// A store on the fixture's moto account, as another operator's cockpit
/// would hold it.
fn store(
    fx: &common::cli::Fixture,
    table: &str,
) -> std::sync::Arc<dyn flightdeck::lease::LeaseStore> {
    let config = fx.rt.block_on(fx.moto.sdk_config(&fx.env.region));
    std::sync::Arc::new(flightdeck::aws::leases::DynamoStore::with_config(
        &config, table,
    ))
}

/// `[team] lease_table` against moto's DynamoDB: `team init` makes the
/// table with TTL on; a plan shows another operator's lease and executing
/// is refused (exit 3) naming them, unless taken over with a reason, which
/// the audit keeps and the holder learns at its next renewal; a killed
/// holder's lease expires by itself; two operators racing for a service:
/// one wins, the other is told who.
#[test]
fn a_second_write_is_refused_naming_the_first_operator_until_taken_over() {
    use flightdeck::lease::{LeaseError, Team};
    let Some(fx) = fixture("team_leases", "muejam-staging") else {
        return;
    };
    let (h, env) = (fx.home.path(), &fx.env);
    let table = "flightdeck-team";
    let file = h.join("config/flightdeck/config.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!(
        "\n[team]\nlease_table = \"{table}\"\nenvironment = \"{}\"\noperator = \"bob@laptop\"\n",
        env.name
    ));
    std::fs::write(&file, text).unwrap();

    let init = flightdeck(h, &["team", "init"], Some(&fx.moto));
    let said = String::from_utf8_lossy(&init.stdout).to_string();
    assert!(
        init.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(said.contains(&format!("created table {table}")), "{said}");
    assert!(said.contains("TTL on `expires`"), "{said}");
    let again = flightdeck(h, &["team", "init"], Some(&fx.moto));
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("exists"));
    let config = fx.rt.block_on(fx.moto.sdk_config(&env.region));
    let ttl = fx
        .rt
        .block_on(
            aws_sdk_dynamodb::Client::new(&config)
                .describe_time_to_live()
                .table_name(table)
                .send(),
        )
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires"));

    let service = env.services[0].name.clone();
    let key = Team::key(&fx.moto.account, &env.region, &env.cluster, &service);
    let alice = Team::new(store(&fx, table), "alice@desk");
    let now = chrono::Utc::now();
    let hers = fx
        .rt
        .block_on(alice.take(&key, "arn:alice", "deploy api", now, None))
        .unwrap();
    let scale = |desired: &str, more: &[&str]| {
        let mut args = vec![
            "scale",
            "--cluster",
            &env.cluster,
            "--service",
            &service,
            "--desired",
            desired,
        ];
        args.extend_from_slice(more);
        flightdeck(h, &args, Some(&fx.moto))
    };
    let plan = scale("3", &["--dry-run", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(plan["plan"]["lease"]["holder"], "alice@desk");
    assert_eq!(plan["plan"]["lease"]["what"], "deploy api");
    let text = scale("3", &["--dry-run"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        text.contains("LEASE: alice@desk holds the lease (deploy api"),
        "{text}"
    );

    let refused = scale("3", &["--confirm", &service]);
    let stderr = String::from_utf8_lossy(&refused.stderr).to_string();
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("alice@desk holds the lease"), "{stderr}");
    let audit = h.join("state/flightdeck/audit.jsonl");
    assert!(!audit.exists(), "refused before any record");

    let taken = scale(
        "3",
        &[
            "--confirm",
            &service,
            "--take-lease",
            "alice is asleep, paged twice",
        ],
    );
    let out = String::from_utf8_lossy(&taken.stdout).to_string();
    assert!(
        taken.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(out.contains("took over the lease"), "{out}");
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["lease_taken_from"], "alice@desk");
    assert_eq!(records[0]["lease_reason"], "alice is asleep, paged twice");
    // Alice's renewal tells her; bob's write gave the lease back.
    let told = fx.rt.block_on(alice.renew(&hers, chrono::Utc::now()));
    let Err(LeaseError::Held(by)) = told else {
        panic!("{told:?}")
    };
    assert!(
        by.told_to("alice@desk")
            .starts_with("bob@laptop took the lease over from you (scale "),
        "{}",
        by.told_to("alice@desk")
    );
    assert_eq!(
        fx.rt
            .block_on(alice.held_by_other(&key, chrono::Utc::now()))
            .unwrap(),
        None
    );

    // Carol's process died holding it: past its expiry it is free, without
    // a take-over.
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(5);
    let carols = flightdeck::lease::Lease {
        service: key.clone(),
        holder: "carol@ci".into(),
        identity: "arn:carol".into(),
        what: "deploy api".into(),
        since: long_ago,
        expires: long_ago + flightdeck::lease::LEASE_TTL,
        taken_from: None,
        reason: None,
    };
    fx.rt
        .block_on(store(&fx, table).put(&carols, chrono::Utc::now(), None))
        .unwrap()
        .unwrap();
    assert_eq!(
        fx.rt
            .block_on(store(&fx, table).get(&key))
            .unwrap()
            .unwrap()
            .holder,
        "carol@ci",
        "still in the table: TTL deletes it only eventually"
    );
    let after = scale("2", &["--confirm", &service]);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let last: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&audit)
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert!(last.get("lease_taken_from").is_none(), "{last}");

    // Two operators racing for another service: one wins, the other is
    // told who.
    let other = Team::key(&fx.moto.account, &env.region, &env.cluster, "race");
    let (dave, erin) = (
        Team::new(store(&fx, table), "dave"),
        Team::new(store(&fx, table), "erin"),
    );
    let now = chrono::Utc::now();
    let (d, e) = fx.rt.block_on(async {
        tokio::join!(
            dave.take(&other, "arn:dave", "rollback race", now, None),
            erin.take(&other, "arn:erin", "deploy race", now, None)
        )
    });
    let (won, lost) = match (d, e) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        both => panic!("exactly one wins: {both:?}"),
    };
    let LeaseError::Held(holder) = lost else {
        panic!("{lost:?}")
    };
    assert_eq!(holder.holder, won.holder);

    // Presence: each sees the other, not themselves.
    let scope = Team::scope(&fx.moto.account, &env.region);
    fx.rt.block_on(async {
        dave.beat(&scope, Some(&key), now).await.unwrap();
        erin.beat(&scope, None, now).await.unwrap();
    });
    let seen = fx.rt.block_on(erin.others(&scope, now)).unwrap();
    assert_eq!(
        flightdeck::lease::describe_others(&seen).unwrap(),
        format!("1 other: dave on {service}")
    );
}

/// The team's bucket in moto: a recording goes up once (a second put of
/// the same name is refused by S3 and left as it was), a large one in
/// checksummed parts, and one is read back in ranges, seeking, exactly.
#[test]
fn a_recording_goes_up_once_in_parts_when_large_and_reads_back_in_ranges() {
    use flightdeck::aws::recordings::{self, Bucket, Location, Uploaded};
    use std::io::{Read, Seek, SeekFrom};
    let Some(moto) = common::moto::Moto::new("team_recordings_bucket") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = rt.block_on(moto.sdk_config("us-east-1"));
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    // Bucket names are one namespace for all of moto, as for all of S3.
    let bucket = format!("team-recordings-{}", moto.account);
    rt.block_on(s3.create_bucket().bucket(&bucket).send())
        .unwrap();
    let team = Bucket::with_config(
        &config,
        Location::parse(&format!("s3://{bucket}/flightdeck")).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();

    // Small: one conditional put; the second is refused, the first kept.
    let small = dir.path().join("session-1.jsonl");
    std::fs::write(&small, "first\n").unwrap();
    let key = "flightdeck/alice/session-1.jsonl";
    let sent = rt.block_on(team.upload(key, &small)).unwrap();
    assert_eq!(
        sent,
        Uploaded::Sent {
            url: format!("s3://{bucket}/flightdeck/alice/session-1.jsonl"),
            bytes: 6,
            parts: 1
        }
    );
    std::fs::write(&small, "second\n").unwrap();
    let again = rt.block_on(team.upload(key, &small)).unwrap();
    assert!(matches!(again, Uploaded::AlreadyThere { .. }), "{again:?}");
    let kept = rt.block_on(async {
        let got = s3
            .get_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        got.body.collect().await.unwrap().into_bytes()
    });
    assert_eq!(&kept[..], b"first\n", "never overwritten");

    // Large: in parts of 8 MiB, each with its SHA-256, and refused again
    // at completion.
    let large = dir.path().join("session-2.jsonl");
    let text: Vec<u8> = (0..recordings::PART_BYTES + 300_000)
        .map(|i| {
            if i % 97 == 96 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            }
        })
        .collect();
    std::fs::write(&large, &text).unwrap();
    let key = "flightdeck/alice/session-2.jsonl";
    let sent = rt.block_on(team.upload(key, &large)).unwrap();
    assert!(
        matches!(sent, Uploaded::Sent { parts: 2, bytes, .. } if bytes == text.len() as u64),
        "{sent:?}"
    );
    let again = rt.block_on(team.upload(key, &large)).unwrap();
    assert!(matches!(again, Uploaded::AlreadyThere { .. }), "{again:?}");
    let uploads = rt.block_on(async {
        s3.list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .uploads
            .unwrap_or_default()
            .len()
    });
    assert_eq!(uploads, 0, "the refused upload's parts are let go");

    // Read back in ranges: across range boundaries, after seeking back.
    let mut object = team.open(key).unwrap();
    assert_eq!(object.len(), text.len() as u64);
    let mut all = vec![];
    object.read_to_end(&mut all).unwrap();
    assert!(all == text, "the object read whole in ranges is the file");
    let at_byte = recordings::RANGE_BYTES - 10;
    object.seek(SeekFrom::Start(at_byte)).unwrap();
    let mut across = [0u8; 20];
    object.read_exact(&mut across).unwrap();
    assert_eq!(&across[..], &text[at_byte as usize..at_byte as usize + 20]);
    object.seek(SeekFrom::End(-5)).unwrap();
    let mut tail = vec![];
    object.read_to_end(&mut tail).unwrap();
    assert_eq!(&tail[..], &text[text.len() - 5..]);

    // Listed under the operator's folder, newest first.
    let listed = rt.block_on(team.list()).unwrap();
    let names: Vec<(&str, &str)> = listed
        .iter()
        .map(|r| (r.operator.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [("alice", "session-2.jsonl"), ("alice", "session-1.jsonl")]
    );
    let missing = team.open("flightdeck/nobody.jsonl");
    assert!(missing.is_err());
}
