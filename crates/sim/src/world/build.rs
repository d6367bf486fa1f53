//! Building the world's environments from the seed specs: services with
//! their revisions and first tasks, scaling targets and policies (with the
//! alarms AWS creates for target tracking), alarms.

use super::*;

pub(super) fn build_env(spec: EnvSpec, origin: Timestamp, rng: &mut ChaCha8Rng) -> EnvState {
    let mut alarms: Vec<SimAlarm> = spec.alarms.iter().cloned().map(new_alarm(origin)).collect();
    let mut services = Vec::new();
    for svc_spec in &spec.services {
        let mut svc = build_service(svc_spec.clone(), &spec, origin, rng);
        if let Some(scaling) = &svc_spec.scaling {
            let mut policies = Vec::new();
            for p in &scaling.policies {
                policies.push(build_policy(p, &spec, svc_spec, &mut alarms, rng, origin));
            }
            svc.target = Some(TargetState {
                min: scaling.min,
                max: scaling.max,
                suspended: false,
                policies,
                activities: VecDeque::new(),
            });
        }
        services.push(svc);
    }
    EnvState {
        spec,
        services,
        alarms,
        outage: None,
        cost_changes: vec![],
    }
}

pub(super) fn new_alarm(origin: Timestamp) -> impl Fn(AlarmSpec) -> SimAlarm {
    move |spec| SimAlarm {
        spec,
        state: AlarmState::InsufficientData,
        reason: "Unchecked: Initial alarm creation".into(),
        updated_at: origin,
        history: VecDeque::new(),
        actions: vec![],
    }
}

pub(super) fn policy_arn(env: &EnvSpec, svc: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:scalingPolicy:{}:resource/ecs/service/{}/{svc}:policyName/{name}",
        env.region,
        env.account,
        uuid_like(name),
        env.cluster
    )
}

/// A stable pseudo-UUID derived from a name (no randomness: ARNs must not
/// shift when the generator is consumed differently).
/// The ARN of a service's target group: `...:targetgroup/<env>-<svc>/<id>`
/// (names cut to AWS's 32 characters), the id derived from the name.
pub fn target_group_arn(env: &EnvSpec, service: &str) -> String {
    let name: String = format!("{}-{service}", env.name).chars().take(32).collect();
    let id: String = uuid_like(&name).replace('-', "").chars().take(16).collect();
    format!(
        "arn:aws:elasticloadbalancing:{}:{}:targetgroup/{name}/{id}",
        env.region, env.account
    )
}

pub(super) fn uuid_like(name: &str) -> String {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xffff,
        (h >> 48) & 0xffff,
        h & 0xffff_ffff_ffff
    )
}

pub(super) fn build_policy(
    p: &PolicySpec,
    env: &EnvSpec,
    svc: &ServiceSpec,
    alarms: &mut Vec<SimAlarm>,
    rng: &mut ChaCha8Rng,
    origin: Timestamp,
) -> PolicyState {
    match p {
        PolicySpec::TargetTracking { signal, target } => {
            let metric = if *signal == Signal::Memory {
                ScalingMetric::EcsServiceAverageMemoryUtilization
            } else {
                ScalingMetric::EcsServiceAverageCpuUtilization
            };
            let short = if *signal == Signal::Memory {
                "memory"
            } else {
                "cpu"
            };
            let name = format!("{}-{short}-target-tracking", svc.name);
            let arn = policy_arn(env, &svc.name, &name);
            let resource = format!("service/{}/{}", env.cluster, svc.name);
            let high = TrackingSide::High.alarm_name(&resource, &hex(rng, 8));
            let low = TrackingSide::Low.alarm_name(&resource, &hex(rng, 8));
            let mk = |name: &str, cmp, threshold, evals| AlarmSpec {
                name: name.to_string(),
                service: svc.name.clone(),
                signal: *signal,
                comparison: cmp,
                threshold,
                period_secs: 60,
                evaluation_periods: evals,
                severity: Severity::Info,
                description: format!(
                    "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {arn}."
                ),
            };
            for (spec,) in [
                (mk(&high, Comparison::GreaterThanThreshold, *target, 3),),
                (mk(
                    &low,
                    Comparison::LessThanThreshold,
                    (target * 0.9).round(),
                    15,
                ),),
            ] {
                let mut alarm = new_alarm(origin)(spec);
                alarm.actions.push(arn.clone());
                alarms.push(alarm);
            }
            PolicyState {
                name,
                kind: PolicyKind::TargetTracking {
                    metric,
                    target: *target,
                },
                alarms: vec![high, low],
                // ECS target tracking's default scale-out and scale-in cooldowns.
                cooldown: Duration::seconds(300),
                last_action: None,
            }
        }
        PolicySpec::Step {
            name,
            alarm,
            adjustment,
            cooldown_secs,
        } => {
            let arn = policy_arn(env, &svc.name, name);
            if let Some(a) = alarms.iter_mut().find(|a| &a.spec.name == alarm) {
                a.actions.push(arn);
            }
            PolicyState {
                name: name.clone(),
                kind: PolicyKind::StepScaling {
                    adjustments: vec![StepAdjustment {
                        lower_bound: Some(0.0),
                        upper_bound: None,
                        adjustment: *adjustment,
                    }],
                    cooldown_secs: *cooldown_secs,
                },
                alarms: vec![alarm.clone()],
                cooldown: Duration::seconds(i64::from(*cooldown_secs)),
                last_action: None,
            }
        }
    }
}

pub(super) fn build_service(
    spec: ServiceSpec,
    env: &EnvSpec,
    origin: Timestamp,
    rng: &mut ChaCha8Rng,
) -> ServiceState {
    let revision = spec.revisions;
    let created_at = origin - Duration::days(120);
    let deployed_at = origin - Duration::hours(rng.random_range(20..200));
    let td = TaskDefRef::new(spec.family.clone(), revision);
    let deployment = Deployment {
        id: deployment_id(rng),
        status: DeploymentStatus::Primary,
        task_definition: td.clone(),
        desired: spec.desired,
        running: spec.desired,
        pending: 0,
        failed_tasks: 0,
        rollout_state: RolloutState::Completed,
        rollout_reason: "ECS deployment completed.".into(),
        created_at: deployed_at,
        updated_at: deployed_at + Duration::minutes(6),
    };
    let listens = spec.containers.iter().any(|c| c.port.is_some());
    let target_groups = if listens {
        vec![target_group_arn(env, &spec.name)]
    } else {
        vec![]
    };
    let config = deployment_config(env, spec.deployment.as_ref());
    let alternate_target_groups = match target_groups.first() {
        Some(production) if config.strategy.shifts_traffic() => {
            vec![alternate_target_group_arn(production)]
        }
        _ => vec![],
    };
    let mut svc = ServiceState {
        target_groups,
        alternate_target_groups,
        live_group: 0,
        group_series: Default::default(),
        arn: format!(
            "arn:aws:ecs:{}:{}:service/{}/{}",
            env.region, env.account, env.cluster, spec.name
        ),
        cluster: env.cluster.clone(),
        desired: spec.desired,
        current_revision: revision,
        latest_revision: revision,
        tasks: vec![],
        stopped: VecDeque::new(),
        one_offs: VecDeque::new(),
        deployments: vec![],
        history: VecDeque::new(),
        trail: VecDeque::new(),
        config,
        shift: None,
        events: VecDeque::new(),
        series: kept_signals(&spec)
            .map(|s| (s, Series::with_capacity(kept_points(&spec) + 1)))
            .collect(),
        spike: None,
        impairment: None,
        memory_drift: 0.0,
        target: None,
        logs: VecDeque::new(),
        created_at,
        last_steady_event: origin,
        registered: BTreeMap::new(),
        seed_registered_at: deployed_at - Duration::minutes(20),
        image_faults: HashMap::new(),
        spec,
    };
    let name = svc.spec.name.clone();
    let dep_id = deployment.id.clone();
    svc.push_event(
        hex(rng, 8),
        deployment.created_at,
        EventKind::TasksStarted,
        format!("(service {name}) has started {} tasks.", svc.spec.desired),
    );
    svc.push_event(
        hex(rng, 8),
        deployment.updated_at,
        EventKind::DeploymentCompleted,
        format!("(service {name}) (deployment {dep_id}) deployment completed."),
    );
    svc.push_event(
        hex(rng, 8),
        deployment.updated_at,
        EventKind::SteadyState,
        format!("(service {name}) has reached a steady state."),
    );
    for _ in 0..svc.spec.desired {
        let mut task = new_task(&deployment, &svc.tasks, deployed_at, rng);
        task.phase = TaskPhase::Running;
        task.started_at = Some(deployed_at + Duration::seconds(40));
        svc.tasks.push(task);
    }
    record_start(&mut svc, &deployment.id, &td, deployment.created_at);
    // The deployment replaced the revision before it, which ran until then
    // (ECS's history names it as the deployment's source).
    if let Some(entry) = svc.history.front_mut()
        && revision > 1
    {
        entry.sources = vec![TaskDefRef::new(svc.spec.family.clone(), revision - 1)];
    }
    record_success(&mut svc, &deployment.id, deployment.updated_at);
    svc.deployments.push(deployment);
    svc
}

/// The deployment configuration of a seed service: its document's
/// strategy, else a rolling update with the circuit breaker rolling back.
fn deployment_config(
    env: &EnvSpec,
    spec: Option<&crate::catalog::DeploymentSpec>,
) -> DeploymentConfig {
    use crate::catalog::DeploymentSpec as S;
    let base = DeploymentConfig {
        circuit_breaker: Some(true),
        ..DeploymentConfig::default()
    };
    let Some(spec) = spec else {
        return base;
    };
    let (strategy, bake, hook, approval, alarms) = match spec {
        S::BlueGreen {
            bake_minutes,
            hook,
            approval_minutes,
            rollback_alarms,
        } => (
            Strategy::BlueGreen,
            bake_minutes,
            hook.clone(),
            *approval_minutes,
            rollback_alarms,
        ),
        S::Canary {
            percent,
            canary_minutes,
            bake_minutes,
            rollback_alarms,
        } => (
            Strategy::Canary {
                percent: *percent,
                bake_minutes: *canary_minutes,
            },
            bake_minutes,
            None,
            None,
            rollback_alarms,
        ),
        S::Linear {
            step_percent,
            step_minutes,
            bake_minutes,
            rollback_alarms,
        } => (
            Strategy::Linear {
                step_percent: *step_percent,
                step_bake_minutes: *step_minutes,
            },
            bake_minutes,
            None,
            None,
            rollback_alarms,
        ),
    };
    DeploymentConfig {
        strategy,
        bake_minutes: Some(*bake),
        hooks: hook
            .map(|f| LifecycleHook {
                kind: HookKind::Lambda,
                target: format!("arn:aws:lambda:{}:{}:function:{f}", env.region, env.account),
                stages: vec!["POST_TEST_TRAFFIC_SHIFT".into()],
                timeout_minutes: None,
            })
            .into_iter()
            .chain(approval.map(|minutes| LifecycleHook {
                kind: HookKind::Pause,
                target: String::new(),
                stages: vec!["POST_TEST_TRAFFIC_SHIFT".into()],
                timeout_minutes: Some(minutes),
            }))
            .collect(),
        rollback_alarms: alarms.clone(),
        ..base
    }
}
