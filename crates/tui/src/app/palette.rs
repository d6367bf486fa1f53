//! The `:` command palette: jump to an environment, cluster, service or pane.

use super::{App, Pane};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jump {
    Env(usize),
    Pane(Pane),
    /// Environment index, cluster.
    Cluster(usize, String),
    /// Environment index, cluster, service.
    Service(usize, String, String),
    /// Run the team's action (by name) on what it is aimed at.
    Action(String, Box<super::actions::Target>),
    /// The output of the actions run in this session.
    Runs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    pub label: String,
    pub jump: Jump,
}

impl App {
    /// Every palette entry whose label contains each word of `input`.
    pub fn palette_items(&self, input: &str) -> Vec<PaletteItem> {
        let mut items = Vec::new();
        // The team's actions with something to act on here, first.
        for (spec, target) in self.actions_in_scope() {
            let on = match spec.scope {
                flightdeck_core::action::Scope::Environment => self.env().info.name.clone(),
                flightdeck_core::action::Scope::Service => target.service.clone(),
                flightdeck_core::action::Scope::Task => target.task.clone(),
                flightdeck_core::action::Scope::Alarm => target.alarm.clone(),
            };
            items.push(PaletteItem {
                label: format!(
                    "action {} on {on}{}{}",
                    spec.name,
                    spec.key
                        .as_ref()
                        .map(|k| format!(" [{k}]"))
                        .unwrap_or_default(),
                    if spec.description.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", spec.description)
                    }
                ),
                jump: Jump::Action(spec.name.clone(), Box::new(target)),
            });
        }
        if !self.runs.is_empty() {
            items.push(PaletteItem {
                label: format!(
                    "actions: the output of this session's {} run(s)",
                    self.runs.len()
                ),
                jump: Jump::Runs,
            });
        }
        for p in Pane::ALL {
            items.push(PaletteItem {
                label: format!("pane {}", p.title().to_lowercase()),
                jump: Jump::Pane(p),
            });
        }
        for (i, env) in self.envs.iter().enumerate() {
            items.push(PaletteItem {
                label: format!("env {}", env.info.name),
                jump: Jump::Env(i),
            });
            for c in env.clusters.data.iter().flatten() {
                items.push(PaletteItem {
                    label: format!("cluster {} ({})", c.name, env.info.name),
                    jump: Jump::Cluster(i, c.name.clone()),
                });
            }
            for s in env.services() {
                items.push(PaletteItem {
                    label: format!("service {}/{} ({})", s.cluster, s.name, env.info.name),
                    jump: Jump::Service(i, s.cluster.clone(), s.name.clone()),
                });
            }
        }
        let words: Vec<String> = input.split_whitespace().map(str::to_lowercase).collect();
        items.retain(|item| {
            let label = item.label.to_lowercase();
            words.iter().all(|w| label.contains(w))
        });
        items
    }
}
