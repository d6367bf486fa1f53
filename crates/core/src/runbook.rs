//! Where an alarm's runbook is, in this order: its `runbook` tag, a
//! `runbook:` line of its description, the team's map of alarm-name
//! patterns (the config's `[[runbook]]`), the first link of its
//! description. The alarm's own word first; a bare link last, since a
//! description's link may be a dashboard.

use flightdeck_model::Alarm;
use serde::{Deserialize, Serialize};

/// An alarm's runbook and where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbook {
    /// A link, or whatever the alarm's owner wrote after `runbook:`.
    pub url: String,
    pub from: Source,
}

/// Where a runbook was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The alarm's `runbook` tag.
    Tag,
    /// A `runbook:` line of its description.
    Description,
    /// The team's map (config `[[runbook]]`).
    Team,
    /// The first link of its description.
    Link,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Tag => "its runbook tag",
            Source::Description => "its description",
            Source::Team => "the team's map",
            Source::Link => "the link in its description",
        }
    }
}

/// The team's map: alarm-name patterns (`*`, `?`, `[...]`) and their
/// runbooks, the first match winning.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamMap(pub Vec<(glob::Pattern, String)>);

impl TeamMap {
    /// The runbook of alarm `name` in the map, if one matches.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(pattern, _)| pattern.matches(name))
            .map(|(_, url)| url.as_str())
    }

    /// The runbook of `alarm`, the team's map in its place (see the module).
    pub fn runbook(&self, alarm: &Alarm) -> Option<Runbook> {
        own(alarm).or_else(|| self.fill(&alarm.name, link(&alarm.description)))
    }

    /// What the map adds to `found` (an alarm's runbook without the map):
    /// its entry where the alarm says nothing or only has a link.
    pub fn fill(&self, name: &str, found: Option<Runbook>) -> Option<Runbook> {
        match found {
            Some(r) if r.from != Source::Link => Some(r),
            found => self
                .get(name)
                .map(|url| Runbook {
                    url: url.to_string(),
                    from: Source::Team,
                })
                .or(found),
        }
    }
}

/// The runbook the alarm itself names: its tag, then a `runbook:` line.
fn own(alarm: &Alarm) -> Option<Runbook> {
    let tag = alarm
        .tags
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("runbook") && !v.trim().is_empty())
        .map(|(_, v)| Runbook {
            url: v.trim().to_string(),
            from: Source::Tag,
        });
    tag.or_else(|| {
        alarm.description.lines().find_map(|line| {
            let line = line.trim();
            let (head, rest) = line.split_at_checked("runbook:".len())?;
            (head.eq_ignore_ascii_case("runbook:") && !rest.trim().is_empty()).then(|| Runbook {
                url: rest.trim().to_string(),
                from: Source::Description,
            })
        })
    })
}

/// The first `http://` or `https://` link of `text`, up to a space or a
/// closing bracket or quote.
fn link(text: &str) -> Option<Runbook> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"' | '\'' | '<'))
        .unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches(['.', ',', ';', ':']);
    Some(Runbook {
        url: url.to_string(),
        from: Source::Link,
    })
}

/// The runbook `alarm` names itself or links to, without the team's map.
pub fn of_alarm(alarm: &Alarm) -> Option<Runbook> {
    own(alarm).or_else(|| link(&alarm.description))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use flightdeck_model::{AlarmState, Severity};

    fn alarm(description: &str, tags: &[(&str, &str)]) -> Alarm {
        let mut a = fixtures::alarm("checkout-5xx", Severity::Critical, AlarmState::Alarm, 3);
        a.description = description.into();
        a.tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        a
    }

    fn team() -> TeamMap {
        TeamMap(vec![
            (
                glob::Pattern::new("checkout-*").unwrap(),
                "https://wiki.example/checkout".into(),
            ),
            (
                glob::Pattern::new("*").unwrap(),
                "https://wiki.example/all".into(),
            ),
        ])
    }

    #[test]
    fn the_tag_then_a_runbook_line_then_the_team_then_a_link() {
        let both = alarm(
            "5xx above 1%\nRunbook: https://wiki.example/from-line\nsee https://dash.example/x.",
            &[("Runbook", "https://wiki.example/from-tag")],
        );
        assert_eq!(
            team().runbook(&both),
            Some(Runbook {
                url: "https://wiki.example/from-tag".into(),
                from: Source::Tag
            })
        );
        let line = alarm(both.description.as_str(), &[]);
        assert_eq!(team().runbook(&line).unwrap().from, Source::Description);
        assert_eq!(
            team().runbook(&line).unwrap().url,
            "https://wiki.example/from-line"
        );
        // A link alone gives way to the team's map...
        let link_only = alarm("see (https://dash.example/x).", &[]);
        assert_eq!(
            team().runbook(&link_only).unwrap().url,
            "https://wiki.example/checkout"
        );
        // ...and stands without one, its trailing punctuation left out.
        assert_eq!(
            TeamMap::default().runbook(&link_only),
            Some(Runbook {
                url: "https://dash.example/x".into(),
                from: Source::Link
            })
        );
        assert_eq!(
            TeamMap::default().runbook(&alarm("nothing here", &[])),
            None
        );
        // An empty tag or line names nothing.
        let empty = alarm("runbook:   ", &[("runbook", " ")]);
        assert_eq!(team().runbook(&empty).unwrap().from, Source::Team);
    }
}
