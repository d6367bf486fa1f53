//! The theme of each environment.

use crate::options::Options;
use flightdeck_tui::theme::Theme;
use std::collections::HashMap;

pub(super) struct Palette {
    default: Theme,
    per_env: HashMap<String, Theme>,
}

impl Palette {
    pub(super) fn new(options: &Options) -> anyhow::Result<Palette> {
        let themes = &options.themes;
        let default = themes
            .require(&options.theme)
            .map_err(anyhow::Error::msg)?
            .clone();
        let mut per_env = HashMap::new();
        // An explicit --theme or NO_COLOR beats per-environment themes.
        if !options.theme_is_explicit {
            for env in &options.config.environments {
                if let Some(t) = env.theme.as_ref().and_then(|t| themes.get(t.get_ref())) {
                    per_env.insert(env.name.get_ref().clone(), t.clone());
                }
            }
        }
        Ok(Palette { default, per_env })
    }

    pub(super) fn for_env(&self, env: &str) -> &Theme {
        self.per_env.get(env).unwrap_or(&self.default)
    }
}
