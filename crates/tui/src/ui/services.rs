//! The services pane: clusters -> services table, and a service's detail
//! (deployments, tasks with stop reasons, events, task definition).

use super::widgets::{
    Column, Listing, age, clock_time, error_line, hanging, level_style, rollout_style,
    size_columns, sparkline, visible_rows, widest,
};
use crate::app::keymap::Action;
use crate::app::{App, Pane};
use crate::theme::Theme;
use flightdeck_model::TaskStatus;
use flightdeck_model::secrets::display_env_value;
use flightdeck_model::text::{ellipsize, sanitize};
use flightdeck_model::{MetricName, MetricQuery, Service, Task, TaskDefinition, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row};

const COLUMNS: [Column; 8] = [
    Column::fill("SERVICE", 16, 0),
    // One more than the header: room for its sort mark.
    Column::new("DES/RUN/PEND", 13, 0),
    Column::new("ROLLOUT", 11, 1),
    Column::new("CPU", 14, 2),
    Column::new("MEM", 14, 3),
    Column::sized("TASK DEF", 16, 60, 5),
    Column::sized("CLUSTER", 10, 40, 6),
    Column::new("LAUNCH", 7, 7),
];

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    if app.detail.is_some() {
        render_detail(frame, app, theme, area);
    } else {
        render_services(frame, app, theme, area);
    }
}

fn utilisation(
    app: &App,
    theme: &Theme,
    svc: &Service,
    metric: MetricName,
    width: usize,
) -> Cell<'static> {
    let id = MetricQuery::service_id(&svc.cluster, &svc.name, &metric);
    let series = app.env().metrics.data.as_ref().and_then(|m| m.get(&id));
    match series.filter(|s| !s.points.is_empty()) {
        Some(s) => {
            let values: Vec<f64> = s.points.iter().map(|p| p.value).collect();
            let last = values.last().copied().unwrap_or_default();
            let spark = sparkline(&values, width.saturating_sub(5));
            Cell::from(Line::from(vec![
                Span::styled(spark, theme.info),
                Span::styled(
                    format!("{last:>4.0}%"),
                    level_style(theme, last, 70.0, 85.0),
                ),
            ]))
        }
        None if app.env().metrics.fetched_at.is_some() => {
            Cell::from(Span::styled("no data", theme.muted))
        }
        None => Cell::from(Span::styled("…", theme.muted)),
    }
}

fn render_services(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let env = app.env();
    let [title, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    if let Some((e, at)) = &env.services.error {
        frame.render_widget(Paragraph::new(error_line(theme, app.now, e, *at)), title);
    } else if env.services.data.is_none() {
        frame.render_widget(
            Paragraph::new(Span::styled(" loading services…", theme.muted)),
            title,
        );
    } else {
        frame.render_widget(Paragraph::new(title_line(app, theme, title.width)), title);
    }
    render_table(frame, app, theme, table_area);
}

/// The line above the table: each cluster with its counts, in as many
/// words as `width` holds (every cluster keeps its name and counts), and
/// a warning when there are no services at all.
fn title_line(app: &App, theme: &Theme, width: u16) -> Line<'static> {
    let env = app.env();
    let clusters = env.clusters.data.as_deref().unwrap_or_default();
    let cluster = |c: &flightdeck_model::Cluster, level: usize| -> [String; 2] {
        let name = sanitize(&c.name);
        match level {
            0 => [
                format!(" cluster {name} "),
                format!(
                    "{} · {} · {} running · {} pending{} ",
                    c.launch_type,
                    flightdeck_model::text::count(c.active_services, "service", "services"),
                    c.running_tasks,
                    c.pending_tasks,
                    if c.container_insights {
                        " · insights"
                    } else {
                        ""
                    }
                ),
            ],
            1 => [
                format!(" cluster {name} "),
                format!(
                    "{} · {} running · {} pending ",
                    flightdeck_model::text::count(c.active_services, "service", "services"),
                    c.running_tasks,
                    c.pending_tasks,
                ),
            ],
            _ => [
                format!(" {name} "),
                format!(
                    "{} svc {} run {} pend ",
                    c.active_services, c.running_tasks, c.pending_tasks
                ),
            ],
        }
    };
    let fits = |level: usize| {
        clusters
            .iter()
            .map(|c| {
                cluster(c, level)
                    .iter()
                    .map(|s| s.chars().count())
                    .sum::<usize>()
            })
            .sum::<usize>()
            <= usize::from(width)
    };
    let level = (0..3).find(|&l| fits(l)).unwrap_or(2);
    let mut spans = vec![];
    for c in clusters {
        let [name, counts] = cluster(c, level);
        spans.push(Span::styled(name, theme.accent));
        spans.push(Span::styled(counts, theme.muted));
    }
    if env.services.data.as_ref().is_some_and(Vec::is_empty) {
        spans.push(Span::styled(
            " no services found: check the account, region and clusters filter",
            theme.warn,
        ));
    }
    Line::from(spans)
}

/// The table of services, the rows that fit around the selected one.
fn render_table(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let services = app.service_rows();
    let (keep, widths) = size_columns(
        &COLUMNS,
        &wanted_widths(&services),
        area.width.saturating_sub(2),
    );
    let selected = app.selected(Pane::Services);
    let shown = visible_rows(services.len(), selected, area, false);
    let first = shown.start;
    let rows: Vec<Row> = services[shown]
        .iter()
        .map(|s| service_row(app, theme, s, &keep, &widths))
        .collect();
    let (sort, reversed) = app.service_sort;
    Listing {
        columns: &COLUMNS,
        keep: &keep,
        widths: Some(&widths),
        // Always marked, A to Z by name too (`SERVICE▲`), as k9s does.
        sorted: Some((sort.column(), sort.descending() != reversed)),
        rows,
        first,
        selected,
        block: None,
        clicks: Some((&app.hits, crate::app::Pane::Services)),
        when_empty: super::widgets::nothing_matches(app, crate::app::Pane::Services),
    }
    .render(frame, area, theme);
}

/// The widths the columns want: names, task definitions and clusters take
/// what they need; the service's name takes the rest (`▶ ` takes two cells).
fn wanted_widths(services: &[&Service]) -> [u16; 8] {
    let mut wanted = [0u16; 8];
    wanted[0] = widest("SERVICE", services.iter().map(|s| s.name.as_str()));
    // `family:revision`, counted without making the text of every row.
    let digits = |n: u32| n.checked_ilog10().map_or(1, |d| d as usize + 1);
    wanted[5] = services
        .iter()
        .map(|s| s.task_definition.family.chars().count() + 1 + digits(s.task_definition.revision))
        .max()
        .map_or(0, |w| u16::try_from(w).unwrap_or(u16::MAX))
        .max(widest("TASK DEF", []));
    wanted[6] = widest("CLUSTER", services.iter().map(|s| s.cluster.as_str()));
    wanted
}

/// One service's row, the columns in `keep` at their `widths`.
fn service_row(
    app: &App,
    theme: &Theme,
    s: &Service,
    keep: &[usize],
    widths: &[u16],
) -> Row<'static> {
    let width_of = |column: usize| super::widgets::width_of(keep, widths, column);
    let counts_style = if s.running < s.desired || s.pending > 0 {
        theme.warn
    } else {
        theme.text
    };
    let cells: Vec<Cell> = keep
        .iter()
        .map(|&i| match i {
            0 => Cell::from(Span::styled(
                flightdeck_model::text::ellipsize(&sanitize(&s.name), width_of(0)),
                theme.text,
            )),
            1 => Cell::from(Span::styled(
                format!("{}/{}/{}", s.desired, s.running, s.pending),
                counts_style,
            )),
            2 => Cell::from(Span::styled(
                s.rollout_state().map_or("-".into(), |r| r.to_string()),
                rollout_style(theme, s.rollout_state()),
            )),
            3 => utilisation(
                app,
                theme,
                s,
                MetricName::CpuUtilization,
                usize::from(COLUMNS[3].width),
            ),
            4 => utilisation(
                app,
                theme,
                s,
                MetricName::MemoryUtilization,
                usize::from(COLUMNS[4].width),
            ),
            // The revision is never cut: the family gives way.
            5 => Cell::from(Span::styled(
                flightdeck_model::text::ellipsize_keeping_revision(
                    &sanitize(&s.task_definition.to_string()),
                    width_of(5),
                ),
                theme.muted,
            )),
            6 => Cell::from(Span::styled(
                flightdeck_model::text::ellipsize(&sanitize(&s.cluster), width_of(6)),
                theme.muted,
            )),
            _ => Cell::from(Span::styled(s.launch_type.to_string(), theme.muted)),
        })
        .collect();
    super::widgets::remembered(Row::new(cells), app.env().services.cached)
}

fn section<'a>(theme: &Theme, title: &str) -> Line<'a> {
    Line::from(Span::styled(title.to_string(), theme.accent))
}

fn render_detail(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let Some(svc) = app.detail_service() else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                " service no longer listed (Esc to go back)",
                theme.warn,
            )),
            area,
        );
        return;
    };
    let mut lines: Vec<Line> = vec![];
    summary_lines(theme, svc, area.width, &mut lines);
    presence_lines(app, theme, svc, area.width, &mut lines);
    action_lines(app, theme, area.width, &mut lines);
    lines.push(Line::default());
    deployment_lines(app, theme, svc, area.width, &mut lines);
    lines.push(Line::default());
    super::changes::detail_lines(app, theme, app.detail_timeline(), area.width, &mut lines);
    lines.push(Line::default());
    forward_lines(app, theme, &mut lines);
    task_lines(app, theme, svc, area.width, &mut lines);
    lines.push(Line::default());
    event_lines(theme, svc, app.now, area.width, &mut lines);
    lines.push(Line::default());
    match app
        .env()
        .task_definitions
        .get(&svc.task_definition)
        .and_then(|s| s.data.as_ref())
    {
        Some(td) => task_definition_lines(theme, td, area.width, &mut lines),
        None => lines.push(Line::from(Span::styled(
            format!("TASK DEFINITION {} loading…", svc.task_definition),
            theme.muted,
        ))),
    }
    // Scrolled no further than its last row, and saying where it is.
    let total = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let shown = area.height.saturating_sub(1);
    let max = total.saturating_sub(shown);
    let offset = app.detail_scroll.min(max);
    app.hits.set_scroll_limit(max);
    let position = (max > 0).then(|| {
        format!(
            "rows {}-{} of {total} ",
            offset + 1,
            (offset + shown).min(total)
        )
    });
    frame.render_widget(
        Paragraph::new(lines)
            .block(detail_block(app, theme, position))
            .scroll((offset, 0)),
        area,
    );
}

/// The detail's frame: a top border titled with its keys, and where the
/// scroll is when it does not all fit.
fn detail_block(app: &App, theme: &Theme, position: Option<String>) -> Block<'static> {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border);
    let block = match position {
        Some(p) => {
            block.title(ratatui::text::Line::from(Span::styled(p, theme.warn)).right_aligned())
        }
        None => block,
    };
    block.title(Span::styled(
        format!(
            " {} back · {} logs · {} changes · {} revisions · {}/{} scroll ",
            app.key(Action::Back),
            app.key(Action::Open),
            app.key(Action::Changes),
            app.key(Action::Revisions),
            app.key(Action::Down),
            app.key(Action::Up)
        ),
        theme.muted,
    ))
}

/// The service's name and cluster, its task counts, rollout and task
/// definition, and how it deploys.
fn summary_lines(theme: &Theme, svc: &Service, width: u16, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(vec![
        Span::styled(sanitize(&svc.name), theme.accent),
        Span::styled(
            format!(
                "  cluster {}  {}  {}",
                sanitize(&svc.cluster),
                svc.launch_type,
                sanitize(svc.status.as_str())
            ),
            theme.muted,
        ),
    ]));
    let counts_style = if svc.running < svc.desired {
        theme.warn
    } else {
        theme.ok
    };
    let mut counts = Line::from(vec![
        Span::styled(
            format!(
                "desired {}  running {}  pending {}",
                svc.desired, svc.running, svc.pending
            ),
            counts_style,
        ),
        Span::styled("  rollout ", theme.muted),
        Span::styled(
            svc.rollout_state().map_or("-".into(), |r| r.to_string()),
            rollout_style(theme, svc.rollout_state()),
        ),
    ]);
    // The task definition whole: on the same line where it fits, on its
    // own where it does not (never `muejam-backend:11` for `:114`).
    let task_def = Span::styled(
        sanitize(&format!("  task def {}", svc.task_definition)),
        theme.text,
    );
    if counts.width() + task_def.width() <= usize::from(width) {
        counts.spans.push(task_def);
        lines.push(counts);
    } else {
        lines.push(counts);
        lines.push(Line::from(Span::styled(
            sanitize(&format!("task def {}", svc.task_definition)),
            theme.text,
        )));
    }
    lines.extend(hanging(
        vec![Span::styled("deploys as ", theme.muted)],
        &sanitize(&svc.deployment_config.describe()),
        theme.text,
        width,
    ));
}

/// The other operators on this service now (`[team] lease_table`).
fn presence_lines(
    app: &App,
    theme: &Theme,
    svc: &Service,
    width: u16,
    lines: &mut Vec<Line<'static>>,
) {
    let suffix = format!("/{}/{}", svc.cluster, svc.name);
    let here: Vec<String> = app
        .env()
        .presence
        .iter()
        .filter(|p| p.service.as_deref().is_some_and(|s| s.ends_with(&suffix)))
        .map(|p| format!("{} (seen {})", p.operator, p.seen.format("%H:%M")))
        .collect();
    if here.is_empty() {
        return;
    }
    lines.extend(hanging(
        vec![Span::styled("also on it ", theme.warn)],
        &sanitize(&here.join(", ")),
        theme.warn,
        width,
    ));
}

/// The DEPLOYMENTS section: one line per deployment of the service.
fn deployment_lines(
    app: &App,
    theme: &Theme,
    svc: &Service,
    width: u16,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(section(theme, "DEPLOYMENTS"));
    for d in &svc.deployments {
        let head = vec![
            Span::styled(format!("  {:<8} ", d.status.to_string()), theme.text),
            Span::styled(
                format!("{:<12} ", d.rollout_state),
                rollout_style(theme, Some(d.rollout_state)),
            ),
        ];
        let text = format!(
            "{}  {}/{}/{} (des/run/pend)  failed {}  created {} ago  {}",
            d.task_definition,
            d.desired,
            d.running,
            d.pending,
            d.failed_tasks,
            age(app.now, d.created_at),
            sanitize(&d.id)
        );
        lines.extend(hanging(head, &text, theme.muted, width));
    }
}

/// The PORT FORWARDS section, followed by a blank line, when any is open.
fn forward_lines(app: &App, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    if app.forwards.is_empty() {
        return;
    }
    lines.push(section(
        theme,
        "PORT FORWARDS (open until closed or you quit)",
    ));
    for f in &app.forwards {
        lines.push(Line::from(Span::styled(
            format!("  {}", sanitize(f)),
            theme.info,
        )));
    }
    lines.push(Line::default());
}

/// The team's actions on this service and on its task marked `>`, with
/// their keys (the palette lists them too).
fn action_lines(app: &App, theme: &Theme, width: u16, lines: &mut Vec<Line<'static>>) {
    use flightdeck_core::action::Scope;
    for (scope, label) in [(Scope::Service, "ACTIONS"), (Scope::Task, "TASK ACTIONS")] {
        if let Some(line) = app.actions_line(scope) {
            let text = flightdeck_model::text::ellipsize(
                &sanitize(&line),
                usize::from(width).saturating_sub(label.len() + 2),
            );
            lines.push(Line::from(vec![
                Span::styled(label, theme.accent),
                Span::styled(format!("  {text}"), theme.muted),
            ]));
        }
    }
}

/// The TASKS section: its keys, then one line per task of the service (or
/// the error loading them, or that they are loading).
fn task_lines(app: &App, theme: &Theme, svc: &Service, width: u16, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::from(vec![
        Span::styled("TASKS", theme.accent),
        Span::styled(
            format!(
                "  {} {} pick · {} exec · {} port · {} stop",
                app.key(Action::Previous),
                app.key(Action::Next),
                app.key(Action::Exec),
                app.key(Action::PortForward),
                app.key(Action::StopTask)
            ),
            theme.muted,
        ),
    ]));
    let picked = app.selected_task().map(|t| t.id.as_str());
    match app.env().tasks.get(&svc.reference()) {
        Some(slot) if slot.data.is_some() => {
            for t in slot.data.iter().flatten() {
                lines.extend(task_line(
                    app,
                    theme,
                    t,
                    &svc.task_definition.family,
                    picked == Some(t.id.as_str()),
                    width,
                ));
            }
        }
        Some(slot) if slot.error.is_some() => {
            if let Some((e, at)) = &slot.error {
                lines.push(error_line(theme, app.now, e, *at));
            }
        }
        _ => lines.push(Line::from(Span::styled("  loading tasks…", theme.muted))),
    }
}

/// One task: its id (marked when picked), status, health, zone and task
/// definition (`:22` of the service's own family), and when it started or
/// why it stopped (wrapped to `width`).
fn task_line(
    app: &App,
    theme: &Theme,
    t: &Task,
    family: &str,
    picked: bool,
    width: u16,
) -> Vec<Line<'static>> {
    let now = app.now;
    let mark = if picked { ">" } else { " " };
    let status_style = match t.last_status {
        TaskStatus::Running => theme.ok,
        TaskStatus::Stopped => theme.crit,
        _ => theme.warn,
    };
    let mut spans = vec![
        Span::styled(format!("{mark} {} ", ellipsize(&t.id, 8)), theme.text),
        Span::styled(
            format!("{:<8}", sanitize(t.last_status.as_str())),
            status_style,
        ),
        Span::styled(
            sanitize(&format!(
                " {:<9} {} {}",
                t.health,
                t.availability_zone,
                if t.task_definition.family == family {
                    format!(":{}", t.task_definition.revision)
                } else {
                    t.task_definition.to_string()
                }
            )),
            theme.muted,
        ),
    ];
    if let Some(stopped) = t.stopped_at {
        spans.push(Span::styled(
            format!("  stopped {} ago", age(now, stopped)),
            theme.muted,
        ));
        if let Some(code) = t
            .containers
            .iter()
            .find_map(|c| c.exit_code)
            .filter(|c| *c != 0)
        {
            spans.push(Span::styled(format!(" (exit {code})"), theme.crit));
        }
        spans.push(Span::styled(": ", theme.muted));
        return hanging(
            spans,
            &sanitize(t.stopped_reason.as_deref().unwrap_or("")),
            theme.warn,
            width,
        );
    } else if let Some(started) = t.started_at {
        spans.push(Span::styled(
            format!("  started {} ago", age(now, started)),
            theme.muted,
        ));
    }
    vec![Line::from(spans)]
}

/// The EVENTS section: the service's newest 15 events, each wrapped
/// under its message.
fn event_lines(
    theme: &Theme,
    svc: &Service,
    now: Timestamp,
    width: u16,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(section(theme, "EVENTS (newest first)"));
    for e in svc.events.iter().take(15) {
        let stamp = Span::styled(
            format!("  {:<11} ", clock_time(now, e.created_at)),
            theme.muted,
        );
        lines.extend(hanging(
            vec![stamp],
            &sanitize(&e.message),
            theme.text,
            width,
        ));
    }
}

fn task_definition_lines(
    theme: &Theme,
    td: &TaskDefinition,
    width: u16,
    lines: &mut Vec<Line<'static>>,
) {
    lines.extend(hanging(
        vec![Span::styled(
            format!("TASK DEFINITION {}  ", td.reference),
            theme.accent,
        )],
        &format!(
            "cpu {}  memory {}  registered {}",
            td.cpu,
            td.memory,
            td.registered_at.format("%Y-%m-%d")
        ),
        theme.muted,
        width,
    ));
    // Every value whole, wrapped under its name: an image's tag and a
    // secret's name are at the end, where a cut would fall.
    let item = |head: String, text: String, style, lines: &mut Vec<Line<'static>>| {
        lines.extend(hanging(
            vec![Span::styled(head, theme.muted)],
            &text,
            style,
            width,
        ));
    };
    for c in &td.containers {
        item(
            format!("  container {} ", sanitize(&c.name)),
            format!(
                "image {}{}",
                sanitize(&c.image),
                c.port.map_or(String::new(), |p| format!("  port {p}"))
            ),
            theme.info,
            lines,
        );
        if let Some(group) = &c.log_group {
            item("    logs ".into(), sanitize(group), theme.muted, lines);
        }
        for e in &c.environment {
            item(
                "    env ".into(),
                format!(
                    "{}={}",
                    sanitize(&e.name),
                    display_env_value(&e.name, &e.value)
                ),
                theme.muted,
                lines,
            );
        }
        for s in &c.secrets {
            item(
                format!("    secret {} from ", sanitize(&s.name)),
                format!("{} (value not shown)", sanitize(&s.value_from)),
                theme.muted,
                lines,
            );
        }
    }
}
