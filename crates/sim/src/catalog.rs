//! The seed environments of `SEED_ENVIRONMENTS.md`, as data: names, task
//! sizes, scaling rules, alarm thresholds and cost tables. The world in
//! [`super::world`] brings them to life.

use flightdeck_model::{Comparison, LaunchType, Severity};

/// What kind of traffic a service serves; drives its signals and log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    NodeApi,
    JavaApi,
    DjangoApi,
    PythonApi,
    Frontend,
    Worker,
    Redis,
    VectorDb,
}

/// A time series the simulation produces for one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Cpu,
    Memory,
    /// Average target response time, seconds.
    Latency,
    /// p95 response time, seconds.
    LatencyP95,
    /// p99 response time, seconds.
    LatencyP99,
    /// Percentage of 5xx responses.
    ErrorRate,
    /// Requests per minute.
    Requests,
    QueueDepth,
    /// Database replica lag, seconds.
    ReplicaLag,
}

pub const ALL_SIGNALS: [Signal; 9] = [
    Signal::Cpu,
    Signal::Memory,
    Signal::Latency,
    Signal::LatencyP95,
    Signal::LatencyP99,
    Signal::ErrorRate,
    Signal::Requests,
    Signal::QueueDepth,
    Signal::ReplicaLag,
];

#[derive(Debug, Clone)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub port: Option<u16>,
    pub environment: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum PolicySpec {
    /// Target tracking on CPU or memory utilisation (percent).
    TargetTracking { signal: Signal, target: f64 },
    /// Step scaling driven by one of the environment's alarms, by name suffix.
    Step {
        name: String,
        alarm: String,
        adjustment: i32,
        cooldown_secs: u32,
    },
}

#[derive(Debug, Clone)]
pub struct ScalingSpec {
    pub min: u32,
    pub max: u32,
    pub policies: Vec<PolicySpec>,
}

#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: String,
    pub family: String,
    pub desired: u32,
    pub cpu: u32,
    pub memory: u32,
    pub workload: Workload,
    pub containers: Vec<ContainerSpec>,
    pub scaling: Option<ScalingSpec>,
    /// Average CPU percent at the daily mean with the nominal task count.
    pub base_cpu: f64,
    /// Number of task definition revisions registered so far.
    pub revisions: u32,
}

#[derive(Debug, Clone)]
pub struct AlarmSpec {
    /// Full alarm name.
    pub name: String,
    pub service: String,
    pub signal: Signal,
    pub comparison: Comparison,
    pub threshold: f64,
    pub period_secs: u32,
    pub evaluation_periods: u32,
    pub severity: Severity,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub name: String,
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub launch_type: LaunchType,
    pub container_insights: bool,
    pub services: Vec<ServiceSpec>,
    pub alarms: Vec<AlarmSpec>,
    /// Monthly costs outside ECS tasks, `(Cost Explorer service name, USD)`.
    pub fixed_monthly_costs: Vec<(String, f64)>,
    /// For environments whose seed gives a full cost table, the ECS line too.
    pub ecs_monthly_override: Option<f64>,
}

fn s(v: &str) -> String {
    v.to_string()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (s(a), s(b))).collect()
}

fn container(name: &str, image: &str, port: Option<u16>) -> ContainerSpec {
    ContainerSpec {
        name: s(name),
        image: s(image),
        port,
        environment: vec![],
        secrets: vec![],
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of the seed table per call"
)]
fn alarm(
    name: &str,
    service: &str,
    signal: Signal,
    comparison: Comparison,
    threshold: f64,
    period_secs: u32,
    evaluation_periods: u32,
    severity: Severity,
    description: &str,
) -> AlarmSpec {
    AlarmSpec {
        name: s(name),
        service: s(service),
        signal,
        comparison,
        threshold,
        period_secs,
        evaluation_periods,
        severity,
        description: s(description),
    }
}

use Comparison::{GreaterThanThreshold as Gt, LessThanThreshold as Lt};
use Severity::{Critical, Info, Warning};

fn ecr(account: &str, repo: &str, tag: &str) -> String {
    format!("{account}.dkr.ecr.us-east-1.amazonaws.com/{repo}:{tag}")
}

/// All six seed environments, in the order of SEED_ENVIRONMENTS.md.
pub fn seed_environments() -> Vec<EnvSpec> {
    vec![
        radiox(),
        reelnet(),
        prod_infra(),
        tellmemore(),
        muejam("staging"),
        muejam("production"),
    ]
}

fn radiox() -> EnvSpec {
    let acct = "210987654321";
    let env = "radiox-prod";
    let mut api = container(
        "backend-api",
        &ecr(acct, "radiox/backend-api", "v2.14.3"),
        Some(3000),
    );
    api.environment = pairs(&[
        ("NODE_ENV", "production"),
        ("PORT", "3000"),
        ("LOG_LEVEL", "info"),
    ]);
    api.secrets = pairs(&[
        (
            "MONGODB_URI",
            "arn:aws:secretsmanager:us-east-1:210987654321:secret:radiox/prod/mongodb",
        ),
        (
            "JWT_SECRET",
            "arn:aws:secretsmanager:us-east-1:210987654321:secret:radiox/prod/jwt",
        ),
    ]);
    let mut proc = container(
        "processing-service",
        &ecr(acct, "radiox/processing", "v1.9.0"),
        None,
    );
    proc.environment = pairs(&[
        (
            "QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/210987654321/radiox-processing",
        ),
        ("WORKER_CONCURRENCY", "4"),
    ]);
    EnvSpec {
        name: s(env),
        account: s(acct),
        region: s("us-east-1"),
        cluster: s("radiox-prod"),
        launch_type: LaunchType::Fargate,
        container_insights: true,
        services: vec![
            ServiceSpec {
                name: s("backend-api"),
                family: s("radiox-backend-api"),
                desired: 2,
                cpu: 2048,
                memory: 4096,
                workload: Workload::NodeApi,
                containers: vec![api],
                scaling: Some(ScalingSpec {
                    min: 2,
                    max: 10,
                    policies: vec![
                        PolicySpec::Step {
                            name: s("backend-api-scale-out"),
                            alarm: s("radiox-prod-backend-api-scale-out-cpu"),
                            adjustment: 2,
                            cooldown_secs: 180,
                        },
                        PolicySpec::Step {
                            name: s("backend-api-scale-in"),
                            alarm: s("radiox-prod-backend-api-scale-in-cpu"),
                            adjustment: -1,
                            cooldown_secs: 300,
                        },
                    ],
                }),
                base_cpu: 48.0,
                revisions: 41,
            },
            ServiceSpec {
                name: s("processing-service"),
                family: s("radiox-processing-service"),
                desired: 2,
                cpu: 4096,
                memory: 8192,
                workload: Workload::Worker,
                containers: vec![proc],
                scaling: Some(ScalingSpec {
                    min: 2,
                    max: 8,
                    policies: vec![PolicySpec::Step {
                        name: s("processing-scale-out"),
                        alarm: s("radiox-prod-processing-queue-depth-scaling"),
                        adjustment: 1,
                        cooldown_secs: 120,
                    }],
                }),
                base_cpu: 40.0,
                revisions: 17,
            },
        ],
        alarms: vec![
            alarm(
                "radiox-prod-backend-api-scale-out-cpu",
                "backend-api",
                Signal::Cpu,
                Gt,
                70.0,
                60,
                3,
                Info,
                "Scale out backend-api: CPU > 70% for 3 minutes",
            ),
            alarm(
                "radiox-prod-backend-api-scale-in-cpu",
                "backend-api",
                Signal::Cpu,
                Lt,
                30.0,
                300,
                3,
                Info,
                "Scale in backend-api: CPU < 30% for 15 minutes",
            ),
            alarm(
                "radiox-prod-processing-queue-depth-scaling",
                "processing-service",
                Signal::QueueDepth,
                Gt,
                10.0,
                60,
                2,
                Info,
                "Scale out processing-service: queue depth > 10 for 2 minutes",
            ),
            alarm(
                "radiox-prod-backend-api-cpu-high",
                "backend-api",
                Signal::Cpu,
                Gt,
                70.0,
                300,
                2,
                Warning,
                "CPU > 70% for 10 minutes",
            ),
            alarm(
                "radiox-prod-backend-api-memory-high",
                "backend-api",
                Signal::Memory,
                Gt,
                80.0,
                300,
                2,
                Warning,
                "Memory > 80% for 10 minutes",
            ),
            alarm(
                "radiox-prod-backend-api-response-time",
                "backend-api",
                Signal::Latency,
                Gt,
                0.5,
                60,
                5,
                Critical,
                "Response time > 500 ms for 5 minutes",
            ),
            alarm(
                "radiox-prod-processing-cpu-high",
                "processing-service",
                Signal::Cpu,
                Gt,
                70.0,
                300,
                2,
                Warning,
                "CPU > 70% for 10 minutes",
            ),
            alarm(
                "radiox-prod-processing-memory-high",
                "processing-service",
                Signal::Memory,
                Gt,
                80.0,
                300,
                2,
                Warning,
                "Memory > 80% for 10 minutes",
            ),
            alarm(
                "radiox-prod-queue-depth",
                "processing-service",
                Signal::QueueDepth,
                Gt,
                10.0,
                300,
                1,
                Warning,
                "Processing queue depth > 10",
            ),
        ],
        fixed_monthly_costs: vec![
            (s("Amazon DocumentDB"), 190.0),
            (s("Amazon ElastiCache"), 95.0),
            (s("Elastic Load Balancing"), 22.0),
            (s("Amazon Simple Queue Service"), 6.0),
            (s("Amazon Simple Storage Service"), 48.0),
            (s("Amazon CloudFront"), 64.0),
            (s("AmazonCloudWatch"), 35.0),
        ],
        ecs_monthly_override: None,
    }
}

fn reelnet() -> EnvSpec {
    let acct = "345678901234";
    let mut backend = container(
        "backend",
        &ecr(acct, "reelnet/backend", "2024.11.3"),
        Some(8080),
    );
    backend.environment = pairs(&[
        ("SPRING_PROFILES_ACTIVE", "prod"),
        ("JAVA_OPTS", "-Xmx1536m -XX:+UseG1GC"),
    ]);
    backend.secrets = pairs(&[(
        "DB_PASSWORD",
        "arn:aws:secretsmanager:us-east-1:345678901234:secret:reelnet/prod/db",
    )]);
    let mut frontend = container(
        "frontend",
        &ecr(acct, "reelnet/frontend", "2024.11.3"),
        Some(3000),
    );
    frontend.environment = pairs(&[
        ("NODE_ENV", "production"),
        ("API_URL", "http://backend-service.reelnet.local:8080"),
    ]);
    let scaling = |name: &str| ScalingSpec {
        min: 2,
        max: 10,
        policies: vec![
            PolicySpec::Step {
                name: format!("{name}-scale-up"),
                alarm: format!("reelnet-prod-{name}-scale-up"),
                adjustment: 1,
                cooldown_secs: 120,
            },
            PolicySpec::Step {
                name: format!("{name}-scale-down"),
                alarm: format!("reelnet-prod-{name}-scale-down"),
                adjustment: -1,
                cooldown_secs: 300,
            },
        ],
    };
    let mut alarms = vec![];
    for svc in ["backend-service", "frontend-service"] {
        alarms.push(alarm(
            &format!("reelnet-prod-{svc}-scale-up"),
            svc,
            Signal::Cpu,
            Gt,
            75.0,
            60,
            2,
            Info,
            "Scale up at 75% CPU",
        ));
        alarms.push(alarm(
            &format!("reelnet-prod-{svc}-scale-down"),
            svc,
            Signal::Cpu,
            Lt,
            25.0,
            300,
            2,
            Info,
            "Scale down at 25% CPU",
        ));
        alarms.push(alarm(
            &format!("reelnet-prod-{svc}-cpu_utilization"),
            svc,
            Signal::Cpu,
            Gt,
            80.0,
            300,
            2,
            Warning,
            "cpu_utilization > 80 for 2 periods of 300 s",
        ));
        alarms.push(alarm(
            &format!("reelnet-prod-{svc}-memory_utilization"),
            svc,
            Signal::Memory,
            Gt,
            85.0,
            300,
            2,
            Warning,
            "memory_utilization > 85 for 2 periods of 300 s",
        ));
    }
    EnvSpec {
        name: s("reelnet-prod"),
        account: s(acct),
        region: s("us-east-1"),
        cluster: s("reelnet-prod"),
        launch_type: LaunchType::Fargate,
        container_insights: false,
        services: vec![
            ServiceSpec {
                name: s("backend-service"),
                family: s("reelnet-backend"),
                desired: 3,
                cpu: 1024,
                memory: 2048,
                workload: Workload::JavaApi,
                containers: vec![backend],
                scaling: Some(scaling("backend-service")),
                base_cpu: 52.0,
                revisions: 88,
            },
            ServiceSpec {
                name: s("frontend-service"),
                family: s("reelnet-frontend"),
                desired: 2,
                cpu: 512,
                memory: 1024,
                workload: Workload::Frontend,
                containers: vec![frontend],
                scaling: Some(scaling("frontend-service")),
                base_cpu: 38.0,
                revisions: 64,
            },
        ],
        alarms,
        fixed_monthly_costs: vec![
            (s("Amazon Relational Database Service"), 140.0),
            (s("Elastic Load Balancing"), 22.0),
            (s("Amazon Simple Storage Service"), 30.0),
            (s("AmazonCloudWatch"), 18.0),
        ],
        ecs_monthly_override: None,
    }
}

fn prod_infra() -> EnvSpec {
    let acct = "456789012345";
    let cluster = "prod-infra-production-cluster";
    let svc = |name: &str,
               desired: u32,
               cpu: u32,
               memory: u32,
               workload: Workload,
               image: String,
               port: u16,
               base_cpu: f64,
               revisions: u32| {
        let mut c = container(name, &image, Some(port));
        if workload == Workload::PythonApi {
            c.secrets = pairs(&[(
                "OPENAI_API_KEY",
                "arn:aws:secretsmanager:us-east-1:456789012345:secret:prod-infra/ai-service",
            )]);
        }
        if name == "backend" {
            c.environment = pairs(&[
                ("NODE_ENV", "production"),
                ("REDIS_URL", "redis://redis.prod-infra.local:6379"),
                ("QDRANT_URL", "http://qdrant.prod-infra.local:6333"),
            ]);
            c.secrets = pairs(&[(
                "DATABASE_URL",
                "arn:aws:secretsmanager:us-east-1:456789012345:secret:prod-infra/backend/db",
            )]);
        }
        ServiceSpec {
            name: s(name),
            family: format!("prod-infra-production-{name}"),
            desired,
            cpu,
            memory,
            workload,
            containers: vec![c],
            scaling: Some(ScalingSpec {
                min: 1,
                max: 10,
                policies: vec![
                    PolicySpec::TargetTracking {
                        signal: Signal::Cpu,
                        target: 70.0,
                    },
                    PolicySpec::TargetTracking {
                        signal: Signal::Memory,
                        target: 80.0,
                    },
                ],
            }),
            base_cpu,
            revisions,
        }
    };
    let services = vec![
        svc(
            "frontend",
            2,
            512,
            1024,
            Workload::Frontend,
            ecr(acct, "prod-infra/frontend", "1.12.0"),
            3000,
            35.0,
            23,
        ),
        svc(
            "backend",
            2,
            512,
            1024,
            Workload::NodeApi,
            ecr(acct, "prod-infra/backend", "1.12.0"),
            8000,
            50.0,
            31,
        ),
        svc(
            "ai-service",
            1,
            1024,
            2048,
            Workload::PythonApi,
            ecr(acct, "prod-infra/ai-service", "0.7.2"),
            8001,
            55.0,
            12,
        ),
        svc(
            "redis",
            1,
            256,
            512,
            Workload::Redis,
            s("public.ecr.aws/docker/library/redis:7-alpine"),
            6379,
            12.0,
            3,
        ),
        svc(
            "qdrant",
            1,
            512,
            1024,
            Workload::VectorDb,
            s("public.ecr.aws/qdrant/qdrant:v1.7.4"),
            6333,
            30.0,
            4,
        ),
    ];
    let mut alarms = vec![];
    for sv in &services {
        let n = &sv.name;
        alarms.push(alarm(
            &format!("prod-infra-production-{n}-cpu-high"),
            n,
            Signal::Cpu,
            Gt,
            70.0,
            60,
            2,
            Warning,
            "CPU > 70% for 2 minutes",
        ));
        alarms.push(alarm(
            &format!("prod-infra-production-{n}-memory-high"),
            n,
            Signal::Memory,
            Gt,
            80.0,
            60,
            2,
            Warning,
            "Memory > 80% for 2 minutes",
        ));
    }
    alarms.push(alarm(
        "prod-infra-production-requests-high",
        "backend",
        Signal::Requests,
        Gt,
        1000.0,
        60,
        1,
        Warning,
        "Requests > 1000 per minute",
    ));
    alarms.push(alarm(
        "prod-infra-production-response-time",
        "backend",
        Signal::Latency,
        Gt,
        2.0,
        60,
        2,
        Critical,
        "Response time > 2 s",
    ));
    EnvSpec {
        name: s("prod-infra-production"),
        account: s(acct),
        region: s("us-east-1"),
        cluster: s(cluster),
        launch_type: LaunchType::Ec2,
        container_insights: true,
        services,
        alarms,
        fixed_monthly_costs: vec![
            (s("Amazon Elastic Compute Cloud - Compute"), 121.0),
            (s("Amazon Relational Database Service"), 98.0),
            (s("Amazon Elastic File System"), 12.0),
            (s("Elastic Load Balancing"), 22.0),
            (s("EC2 - Other"), 33.0),
            (s("AmazonCloudWatch"), 15.0),
        ],
        ecs_monthly_override: Some(0.0),
    }
}

fn tellmemore() -> EnvSpec {
    let acct = "567890123456";
    let mk = |name: &str,
              desired: u32,
              cpu: u32,
              memory: u32,
              workload: Workload,
              base_cpu: f64,
              revisions: u32,
              containers: Vec<ContainerSpec>| ServiceSpec {
        name: s(name),
        family: format!("tellmemore-{name}"),
        desired,
        cpu,
        memory,
        workload,
        containers,
        scaling: None,
        base_cpu,
        revisions,
    };
    let mut api_c = container("api", &ecr(acct, "tellmemore/api", "3.4.1"), Some(8000));
    api_c.environment = pairs(&[
        ("ENVIRONMENT", "production"),
        ("WORKERS", "4"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317"),
    ]);
    api_c.secrets = pairs(&[
        (
            "MONGODB_URI",
            "arn:aws:secretsmanager:us-east-1:567890123456:secret:tellmemore/prod/mongodb",
        ),
        (
            "OPENAI_API_KEY",
            "arn:aws:secretsmanager:us-east-1:567890123456:secret:tellmemore/prod/openai",
        ),
    ]);
    let mut api = mk(
        "api",
        3,
        1024,
        2048,
        Workload::PythonApi,
        50.0,
        57,
        vec![api_c],
    );
    api.scaling = Some(ScalingSpec {
        min: 3,
        max: 20,
        policies: vec![
            PolicySpec::TargetTracking {
                signal: Signal::Cpu,
                target: 70.0,
            },
            PolicySpec::TargetTracking {
                signal: Signal::Memory,
                target: 80.0,
            },
        ],
    });
    let mut auth_c = container(
        "auth-service",
        &ecr(acct, "tellmemore/auth-service", "1.8.0"),
        Some(8001),
    );
    auth_c.environment = pairs(&[
        ("TOKEN_TTL_SECONDS", "3600"),
        ("AUTH_API_KEY", "tmm_live_4f8a1c2e9b7d"),
    ]);
    auth_c.secrets = pairs(&[(
        "JWT_PRIVATE_KEY",
        "arn:aws:secretsmanager:us-east-1:567890123456:secret:tellmemore/prod/jwt",
    )]);
    let worker_containers = ["transcriber", "summarizer", "embedding"]
        .iter()
        .map(|n| {
            let mut c = container(n, &ecr(acct, &format!("tellmemore/{n}"), "3.4.1"), None);
            c.environment = pairs(&[("QUEUE", n), ("CONCURRENCY", "2")]);
            c
        })
        .collect();
    let services = vec![
        api,
        mk(
            "auth-service",
            2,
            512,
            1024,
            Workload::PythonApi,
            30.0,
            22,
            vec![auth_c],
        ),
        mk(
            "playlist-service",
            2,
            512,
            1024,
            Workload::PythonApi,
            34.0,
            19,
            vec![container(
                "playlist-service",
                &ecr(acct, "tellmemore/playlist-service", "2.1.4"),
                Some(8002),
            )],
        ),
        mk(
            "search-service",
            2,
            1024,
            2048,
            Workload::PythonApi,
            45.0,
            26,
            vec![container(
                "search-service",
                &ecr(acct, "tellmemore/search-service", "2.3.0"),
                Some(8003),
            )],
        ),
        mk(
            "worker",
            2,
            2048,
            4096,
            Workload::Worker,
            60.0,
            35,
            worker_containers,
        ),
    ];
    let alarms = vec![
        alarm(
            "tellmemore-prod-api-error-rate-warning",
            "api",
            Signal::ErrorRate,
            Gt,
            1.0,
            60,
            5,
            Warning,
            "Error rate > 1%",
        ),
        alarm(
            "tellmemore-prod-api-error-rate-critical",
            "api",
            Signal::ErrorRate,
            Gt,
            5.0,
            60,
            3,
            Critical,
            "Error rate > 5%",
        ),
        alarm(
            "tellmemore-prod-api-p95-latency-warning",
            "api",
            Signal::LatencyP95,
            Gt,
            1.0,
            60,
            5,
            Warning,
            "p95 response time > 1 s",
        ),
        alarm(
            "tellmemore-prod-api-p99-latency-critical",
            "api",
            Signal::LatencyP99,
            Gt,
            3.0,
            60,
            5,
            Critical,
            "p99 response time > 3 s",
        ),
        alarm(
            "tellmemore-prod-api-cpu-warning",
            "api",
            Signal::Cpu,
            Gt,
            80.0,
            300,
            2,
            Warning,
            "CPU > 80%",
        ),
        alarm(
            "tellmemore-prod-api-memory-critical",
            "api",
            Signal::Memory,
            Gt,
            90.0,
            300,
            2,
            Critical,
            "Memory > 90%",
        ),
        alarm(
            "tellmemore-prod-worker-cpu-warning",
            "worker",
            Signal::Cpu,
            Gt,
            80.0,
            300,
            2,
            Warning,
            "CPU > 80%",
        ),
        alarm(
            "tellmemore-prod-worker-memory-critical",
            "worker",
            Signal::Memory,
            Gt,
            90.0,
            300,
            2,
            Critical,
            "Memory > 90%",
        ),
    ];
    // The seed's monthly table: total $600.
    EnvSpec {
        name: s("tellmemore-prod"),
        account: s(acct),
        region: s("us-east-1"),
        cluster: s("tellmemore-prod"),
        launch_type: LaunchType::Fargate,
        container_insights: true,
        services,
        alarms,
        fixed_monthly_costs: vec![
            (s("Amazon DocumentDB (database)"), 50.0),
            (s("Qdrant Cloud (vector DB)"), 150.0),
            (s("Amazon ElastiCache (cache)"), 50.0),
            (s("Amazon Simple Storage Service"), 30.0),
            (s("Amazon EC2 GPU (transcription)"), 100.0),
            (s("AmazonCloudWatch (monitoring)"), 100.0),
            (s("Amazon CloudFront (frontend)"), 20.0),
        ],
        ecs_monthly_override: Some(100.0),
    }
}

fn muejam(stage: &str) -> EnvSpec {
    let acct = "678901234567";
    let production = stage == "production";
    let env = format!("muejam-{stage}");
    let mut c = container(
        "backend",
        &ecr(
            acct,
            "muejam-backend",
            if production { "v5.2.0" } else { "v5.3.0-rc.2" },
        ),
        Some(8000),
    );
    c.environment = pairs(&[
        ("DJANGO_SETTINGS_MODULE", "config.settings.production"),
        ("DJANGO_ENV", stage),
        ("GUNICORN_WORKERS", "3"),
        (
            "SENTRY_DSN",
            "https://3c5a9e7f21b04d8e@o41.ingest.sentry.io/55",
        ),
    ]);
    c.secrets = pairs(&[
        (
            "DATABASE_URL",
            &format!(
                "arn:aws:secretsmanager:us-east-1:678901234567:secret:muejam/{stage}/database"
            ),
        ),
        (
            "DJANGO_SECRET_KEY",
            &format!("arn:aws:secretsmanager:us-east-1:678901234567:secret:muejam/{stage}/django"),
        ),
    ]);
    let (desired, min, max) = if production { (4, 2, 20) } else { (2, 1, 4) };
    let a = |suffix: &str, signal, threshold, period, evals, severity, description: &str| {
        alarm(
            &format!("{env}-backend-{suffix}"),
            "backend",
            signal,
            Gt,
            threshold,
            period,
            evals,
            severity,
            description,
        )
    };
    let alarms = vec![
        a(
            "error-rate-critical",
            Signal::ErrorRate,
            5.0,
            60,
            3,
            Critical,
            "Error rate > 5%",
        ),
        a(
            "p95-latency-critical",
            Signal::LatencyP95,
            2.0,
            60,
            3,
            Critical,
            "p95 response time > 2 s",
        ),
        a(
            "error-rate-warning",
            Signal::ErrorRate,
            1.0,
            60,
            5,
            Warning,
            "Error rate > 1%",
        ),
        a(
            "p95-latency-warning",
            Signal::LatencyP95,
            1.0,
            60,
            5,
            Warning,
            "p95 response time > 1 s",
        ),
        a(
            "cpu-warning",
            Signal::Cpu,
            80.0,
            300,
            2,
            Warning,
            "CPU > 80%",
        ),
        a(
            "memory-warning",
            Signal::Memory,
            80.0,
            300,
            2,
            Warning,
            "Memory > 80%",
        ),
        a(
            "replication-lag-warning",
            Signal::ReplicaLag,
            10.0,
            60,
            3,
            Warning,
            "Database replication lag > 10 s",
        ),
    ];
    EnvSpec {
        name: env.clone(),
        account: s(acct),
        region: s("us-east-1"),
        cluster: env.clone(),
        launch_type: LaunchType::Fargate,
        container_insights: production,
        services: vec![ServiceSpec {
            name: s("backend"),
            family: s("muejam-backend"),
            desired,
            cpu: 1024,
            memory: 2048,
            workload: Workload::DjangoApi,
            containers: vec![c],
            scaling: Some(ScalingSpec {
                min,
                max,
                policies: vec![PolicySpec::TargetTracking {
                    signal: Signal::Cpu,
                    target: 70.0,
                }],
            }),
            base_cpu: if production { 55.0 } else { 20.0 },
            revisions: if production { 112 } else { 118 },
        }],
        alarms,
        fixed_monthly_costs: if production {
            vec![
                (s("Amazon Relational Database Service"), 210.0),
                (s("Amazon ElastiCache"), 48.0),
                (s("Elastic Load Balancing"), 22.0),
                (s("Amazon Simple Storage Service"), 26.0),
                (s("AmazonCloudWatch"), 20.0),
            ]
        } else {
            vec![
                (s("Amazon Relational Database Service"), 55.0),
                (s("Elastic Load Balancing"), 18.0),
                (s("AmazonCloudWatch"), 6.0),
            ]
        },
        ecs_monthly_override: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_environments_with_the_seed_names() {
        let names: Vec<_> = seed_environments().into_iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "radiox-prod",
                "reelnet-prod",
                "prod-infra-production",
                "tellmemore-prod",
                "muejam-staging",
                "muejam-production"
            ]
        );
    }

    #[test]
    fn tellmemore_costs_add_up_to_the_seed_table() {
        let tmm = tellmemore();
        let fixed: f64 = tmm.fixed_monthly_costs.iter().map(|(_, v)| v).sum();
        assert_eq!(fixed + tmm.ecs_monthly_override.unwrap_or(0.0), 600.0);
    }

    #[test]
    fn every_step_policy_names_an_existing_alarm() {
        for env in seed_environments() {
            for svc in &env.services {
                for p in svc.scaling.iter().flat_map(|s| &s.policies) {
                    if let PolicySpec::Step { alarm, .. } = p {
                        assert!(env.alarms.iter().any(|a| &a.name == alarm), "{alarm}");
                    }
                }
            }
        }
    }
}
