//! The states AWS reports as strings, as types. Providers map AWS's
//! spelling once ([`parse`](ServiceStatus::parse)); everything above matches
//! on variants. A value this version does not know keeps AWS's spelling in
//! `Other`, so nothing is lost or misread when AWS adds one.

/// An enum of AWS string values with its spelling, `parse`, `as_str`,
/// `Display`, `Serialize` and `Deserialize` (as the AWS string).
macro_rules! aws_states {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $aws:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, as AWS spelled it.
            Other(String),
        }

        impl $name {
            /// AWS's spelling to the variant.
            pub fn parse(aws: &str) -> Self {
                match aws {
                    $($aws => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }

            /// The variant in AWS's spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $aws,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let aws = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::parse(&aws))
            }
        }
    };
}

aws_states! {
    /// A service's status.
    ServiceStatus {
        Active => "ACTIVE",
        Draining => "DRAINING",
        Inactive => "INACTIVE",
    }
}

aws_states! {
    /// A cluster's status.
    ClusterStatus {
        Active => "ACTIVE",
        Provisioning => "PROVISIONING",
        Deprovisioning => "DEPROVISIONING",
        Failed => "FAILED",
        Inactive => "INACTIVE",
    }
}

aws_states! {
    /// A task's (or a container's) last or desired status, in lifecycle order.
    TaskStatus {
        Provisioning => "PROVISIONING",
        Pending => "PENDING",
        Activating => "ACTIVATING",
        Running => "RUNNING",
        Deactivating => "DEACTIVATING",
        Stopping => "STOPPING",
        Deprovisioning => "DEPROVISIONING",
        Stopped => "STOPPED",
        Deleted => "DELETED",
    }
}

aws_states! {
    /// A task's health, from its containers' health checks.
    HealthStatus {
        Healthy => "HEALTHY",
        Unhealthy => "UNHEALTHY",
        Unknown => "UNKNOWN",
    }
}

aws_states! {
    /// A task definition revision's status.
    TaskDefinitionStatus {
        Active => "ACTIVE",
        Inactive => "INACTIVE",
        DeleteInProgress => "DELETE_IN_PROGRESS",
    }
}

aws_states! {
    /// An Application Auto Scaling activity's status.
    ActivityStatus {
        Pending => "Pending",
        InProgress => "InProgress",
        Successful => "Successful",
        Overridden => "Overridden",
        Unfulfilled => "Unfulfilled",
        Failed => "Failed",
    }
}

impl TaskStatus {
    /// Still on its way up: not running yet, not stopping.
    pub fn is_starting(&self) -> bool {
        matches!(
            self,
            TaskStatus::Provisioning | TaskStatus::Pending | TaskStatus::Activating
        )
    }

    /// On its way down or gone.
    pub fn is_stopping_or_stopped(&self) -> bool {
        matches!(
            self,
            TaskStatus::Deactivating
                | TaskStatus::Stopping
                | TaskStatus::Deprovisioning
                | TaskStatus::Stopped
                | TaskStatus::Deleted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_spellings_round_trip_and_unknown_ones_are_kept() {
        for s in ["PROVISIONING", "RUNNING", "STOPPED", "DELETED"] {
            assert_eq!(TaskStatus::parse(s).as_str(), s);
        }
        assert_eq!(TaskStatus::parse("RUNNING"), TaskStatus::Running);
        assert_eq!(
            TaskStatus::parse("HIBERNATING"),
            TaskStatus::Other("HIBERNATING".into())
        );
        assert_eq!(
            ActivityStatus::parse("Successful").to_string(),
            "Successful"
        );
        assert_eq!(
            serde_json::to_string(&HealthStatus::Unhealthy).unwrap(),
            "\"UNHEALTHY\""
        );
        assert!(TaskStatus::Pending.is_starting() && TaskStatus::Stopping.is_stopping_or_stopped());
    }
}

aws_states! {
    /// A service deployment's status in ECS's deployment history
    /// (ListServiceDeployments).
    ServiceDeploymentStatus {
        Pending => "PENDING",
        InProgress => "IN_PROGRESS",
        Successful => "SUCCESSFUL",
        StopRequested => "STOP_REQUESTED",
        Stopped => "STOPPED",
        RollbackRequested => "ROLLBACK_REQUESTED",
        RollbackInProgress => "ROLLBACK_IN_PROGRESS",
        RollbackSuccessful => "ROLLBACK_SUCCESSFUL",
        RollbackFailed => "ROLLBACK_FAILED",
    }
}

impl ServiceDeploymentStatus {
    /// The deployment finished with its target revision serving.
    pub fn completed(&self) -> bool {
        *self == Self::Successful
    }
}

aws_states! {
    /// Where a service deployment is in its lifecycle: the stages ECS runs
    /// blue/green, canary and linear deployments through (lifecycle hooks
    /// run at them).
    LifecycleStage {
        ReconcileService => "RECONCILE_SERVICE",
        PreScaleUp => "PRE_SCALE_UP",
        ScaleUp => "SCALE_UP",
        PostScaleUp => "POST_SCALE_UP",
        TestTrafficShift => "TEST_TRAFFIC_SHIFT",
        PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
        ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
        PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
        BakeTime => "BAKE_TIME",
        CleanUp => "CLEAN_UP",
    }
}

aws_states! {
    /// A lifecycle hook run's status in a service deployment
    /// (lifecycleHookDetails).
    HookStatus {
        InProgress => "IN_PROGRESS",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
        TimedOut => "TIMED_OUT",
        /// A pause waiting for the operator to continue or roll back.
        AwaitingAction => "AWAITING_ACTION",
    }
}

aws_states! {
    /// What ECS does when a waiting pause hook times out.
    HookTimeoutAction {
        Rollback => "ROLLBACK",
        Continue => "CONTINUE",
    }
}

aws_states! {
    /// A managed agent's status in a container, e.g. the ExecuteCommandAgent
    /// ECS Exec needs.
    ManagedAgentStatus {
        Pending => "PENDING",
        Running => "RUNNING",
        Stopped => "STOPPED",
    }
}

aws_states! {
    /// A CloudWatch metric's name: those flightdeck reads and the simulator
    /// writes; any other alarm's metric keeps its name.
    MetricName {
        CpuUtilization => "CPUUtilization",
        MemoryUtilization => "MemoryUtilization",
        /// Container Insights: CPU units used, and reserved.
        CpuUtilized => "CpuUtilized",
        CpuReserved => "CpuReserved",
        /// Container Insights: memory used, and reserved.
        MemoryUtilized => "MemoryUtilized",
        MemoryReserved => "MemoryReserved",
        RequestCount => "RequestCount",
        TargetResponseTime => "TargetResponseTime",
        HttpCodeTarget5xxCount => "HTTPCode_Target_5XX_Count",
        HttpCodeTarget5xxPercent => "HTTPCode_Target_5XX_Percent",
        ApproximateNumberOfMessagesVisible => "ApproximateNumberOfMessagesVisible",
        ReplicaLag => "ReplicaLag",
    }
}

aws_states! {
    /// A CloudWatch metric's namespace.
    MetricNamespace {
        Ecs => "AWS/ECS",
        ContainerInsights => "ECS/ContainerInsights",
        ApplicationElb => "AWS/ApplicationELB",
        Sqs => "AWS/SQS",
        Rds => "AWS/RDS",
    }
}

aws_states! {
    /// How CloudWatch aggregates a metric over a period: a statistic or
    /// a percentile.
    Statistic {
        Average => "Average",
        Sum => "Sum",
        Minimum => "Minimum",
        Maximum => "Maximum",
        SampleCount => "SampleCount",
        P95 => "p95",
        P99 => "p99",
    }
}

aws_states! {
    /// The metric a target-tracking scaling policy tracks: one of
    /// Application Auto Scaling's predefined metrics, or a custom metric
    /// by its name.
    ScalingMetric {
        EcsServiceAverageCpuUtilization => "ECSServiceAverageCPUUtilization",
        EcsServiceAverageMemoryUtilization => "ECSServiceAverageMemoryUtilization",
        AlbRequestCountPerTarget => "ALBRequestCountPerTarget",
    }
}

aws_states! {
    /// Where CloudTrail says a write came from (sourceIPAddress): the AWS
    /// service that called on someone's behalf, or the caller's address.
    WriteSource {
        /// Application Auto Scaling, adjusting a desired count.
        AutoScaling => "application-autoscaling.amazonaws.com",
    }
}
