//! How a plan is confirmed before it runs: one rule for the cockpit's
//! dialog and the commands' `--confirm`. Production is confirmed by typing
//! the service's name; a session (ECS Exec, a port forward) changes nothing
//! in AWS, so outside production its checked plan needs no confirmation.

use super::plan::{Operation, Plan};

/// What a plan needs before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Nothing: it changes nothing in AWS and is not in production.
    None,
    /// A yes (the cockpit's "Confirm"; the commands' `--confirm WORD`).
    Yes { word: String },
    /// The word typed exactly (production).
    Typed { word: String },
}

/// Why a plan was not confirmed; nothing ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unconfirmed {
    #[error("not confirmed: nothing changed; to apply this plan, run again with --confirm {word}")]
    Missing { word: String },
    #[error("confirmation `{given}` is not the service name `{word}`: nothing changed")]
    Wrong { given: String, word: String },
}

impl Plan {
    /// What this plan needs before it runs.
    pub fn confirmation(&self) -> Confirmation {
        let session = matches!(
            self.operation,
            Operation::Exec { .. } | Operation::PortForward { .. }
        );
        let word = self.confirmation_word().to_string();
        match (self.production, session) {
            (true, _) => Confirmation::Typed { word },
            (false, true) => Confirmation::None,
            (false, false) => Confirmation::Yes { word },
        }
    }
}

impl Confirmation {
    /// Whether the operator has to say anything.
    pub fn is_needed(&self) -> bool {
        !matches!(self, Confirmation::None)
    }

    /// Whether the word must be typed (the cockpit's production dialog).
    pub fn is_typed(&self) -> bool {
        matches!(self, Confirmation::Typed { .. })
    }

    /// The word that confirms, when one does.
    pub fn word(&self) -> Option<&str> {
        match self {
            Confirmation::None => None,
            Confirmation::Yes { word } | Confirmation::Typed { word } => Some(word),
        }
    }

    /// Checks the word given on a command line (`--confirm`); a command has
    /// no dialog, so a yes is the word too. `given` is shown sanitised by
    /// the caller's output path.
    pub fn check_word(&self, given: Option<&str>) -> Result<(), Unconfirmed> {
        let (Confirmation::Yes { word } | Confirmation::Typed { word }) = self else {
            return Ok(());
        };
        match given {
            None => Err(Unconfirmed::Missing { word: word.clone() }),
            Some(g) if g != word => Err(Unconfirmed::Wrong {
                given: g.to_string(),
                word: word.clone(),
            }),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ops::plan::Fingerprint;
    use flightdeck_model::TaskDefRef;

    /// A plan of `operation`, for tests.
    pub(crate) fn plan(operation: Operation, production: bool) -> Plan {
        let td = TaskDefRef::new("api", 3);
        Plan {
            operation,
            environment: "e".into(),
            account: "1".into(),
            region: "r".into(),
            production,
            steps: vec![],
            diff: vec![],
            notes: vec![],
            fingerprint: Fingerprint {
                task_definition: td.clone(),
                desired: 1,
                deployment: None,
                target: None,
            },
            from_task_definition: td,
            starts_deployment: false,
            aws_cli: vec![],
            lease: None,
            take_lease: None,
        }
    }

    fn scale() -> Operation {
        Operation::Scale {
            cluster: "c".into(),
            service: "api".into(),
            desired: Some(2),
            min: None,
            max: None,
            suspend: None,
        }
    }

    fn exec() -> Operation {
        Operation::Exec {
            cluster: "c".into(),
            service: "api".into(),
            task: None,
            container: None,
            command: "sh".into(),
        }
    }

    #[test]
    fn production_types_the_name_and_a_session_elsewhere_needs_nothing() {
        let word = "api".to_string();
        assert_eq!(
            plan(scale(), true).confirmation(),
            Confirmation::Typed { word: word.clone() }
        );
        assert_eq!(
            plan(exec(), true).confirmation(),
            Confirmation::Typed { word: word.clone() }
        );
        assert_eq!(
            plan(scale(), false).confirmation(),
            Confirmation::Yes { word }
        );
        assert_eq!(plan(exec(), false).confirmation(), Confirmation::None);
    }

    #[test]
    fn a_command_line_confirms_with_the_word_exactly() {
        let c = plan(scale(), false).confirmation();
        assert!(matches!(
            c.check_word(None),
            Err(Unconfirmed::Missing { .. })
        ));
        assert!(matches!(
            c.check_word(Some("API")),
            Err(Unconfirmed::Wrong { .. })
        ));
        assert_eq!(c.check_word(Some("api")), Ok(()));
        assert_eq!(plan(exec(), false).confirmation().check_word(None), Ok(()));
    }
}
