//! Small pieces the panes share: ages, sparklines, state styles, and
//! columns that collapse by priority on narrow terminals.

use crate::theme::Theme;
use flightdeck_model::{AlarmState, RolloutState, Timestamp};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A row of a previous run's last known state: dimmed, so nobody takes
/// it for this run's answer (the header says how old it is).
pub fn remembered(
    row: ratatui::widgets::Row<'static>,
    cached: bool,
) -> ratatui::widgets::Row<'static> {
    if cached {
        row.style(ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM))
    } else {
        row
    }
}

/// `42s`, `5m`, `3h`, `2d`.
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Words this long are paths or ARNs, broken between their parts.
const LONG_WORD: usize = 32;

/// The words of `line` for wrapping: split after each run of spaces, and a
/// long word (an image, an ARN) also after each `/` or `:`, so that it
/// breaks between its parts rather than inside a name. A short one
/// (`ecs-svc/4014…`) stays whole.
fn words_and_paths(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = vec![];
    let mut rest = line;
    while !rest.is_empty() {
        // A word with the run of spaces after it.
        let end = rest.find(' ').unwrap_or(rest.len());
        let spaces = rest[end..].len() - rest[end..].trim_start_matches(' ').len();
        let (word, after) = rest.split_at(end + spaces);
        if end <= LONG_WORD {
            words.push(textwrap::core::Word::from(word));
        } else {
            words.extend(
                word.split_inclusive(['/', ':'])
                    .map(textwrap::core::Word::from),
            );
        }
        rest = after;
    }
    Box::new(words.into_iter())
}

/// `head`, then `text` wrapped at its words to `width` columns: what is
/// too long for one row goes on the next ones, indented under where the
/// text began (four columns in when `head` takes more than half the row),
/// never cut at the screen's edge. `text` must be sanitised.
pub fn hanging(
    head: Vec<Span<'static>>,
    text: &str,
    style: Style,
    width: u16,
) -> Vec<Line<'static>> {
    let width = usize::from(width).max(20);
    let head_width: usize = head.iter().map(Span::width).sum();
    if head_width + Span::raw(text).width() <= width {
        let mut line = Line::from(head);
        line.spans.push(Span::styled(text.to_string(), style));
        return vec![line];
    }
    let beside = head_width <= width / 2;
    let indent = if beside { head_width } else { 4 };
    // Dates, regions and ARNs keep their hyphens: spaces break a line, and
    // in a path or an ARN a `/` or `:` (a word longer than the row, where
    // it must).
    let options = textwrap::Options::new(width - indent)
        .word_separator(textwrap::WordSeparator::Custom(words_and_paths))
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut parts = textwrap::wrap(text, options).into_iter();
    let mut first = Line::from(head);
    let mut out = vec![];
    if beside && let Some(part) = parts.next() {
        first.spans.push(Span::styled(part.into_owned(), style));
    }
    out.push(first);
    out.extend(parts.map(|part| {
        Line::from(vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(part.into_owned(), style),
        ])
    }));
    out
}

/// A resource's own time as a clock shows it: `14:02:31` today, with its
/// date (`11-28 14:02`) on another day, so five-day-old events never pass
/// for today's.
pub fn clock_time(now: Timestamp, at: Timestamp) -> String {
    if now.date_naive() == at.date_naive() {
        at.format("%H:%M:%S").to_string()
    } else {
        at.format("%m-%d %H:%M").to_string()
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A text sparkline of the last `width` values scaled to 0..=100.
pub fn sparkline(values: &[f64], width: usize) -> String {
    let start = values.len().saturating_sub(width);
    values[start..]
        .iter()
        .map(|v| BARS[((v.clamp(0.0, 100.0) / 100.0) * 7.0).round() as usize])
        .collect()
}

pub fn alarm_style(theme: &Theme, state: AlarmState) -> Style {
    match state {
        AlarmState::Alarm => theme.crit,
        AlarmState::InsufficientData => theme.warn,
        AlarmState::Ok => theme.ok,
    }
}

pub fn rollout_style(theme: &Theme, state: Option<RolloutState>) -> Style {
    match state {
        Some(RolloutState::Completed) => theme.ok,
        Some(RolloutState::InProgress) => theme.warn,
        Some(RolloutState::Failed) => theme.crit,
        None => theme.muted,
    }
}

/// Style for a percentage that has warn/crit thresholds.
pub fn level_style(theme: &Theme, value: f64, warn: f64, crit: f64) -> Style {
    if value >= crit {
        theme.crit
    } else if value >= warn {
        theme.warn
    } else {
        theme.text
    }
}

/// A table column: its header, its width, and how important it is (0 =
/// always shown; higher numbers go first when the terminal is narrow).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// Its width, or the least it takes when sized by its content.
    pub width: u16,
    /// The most it takes when sized by its content ([`size_columns`]).
    pub max: u16,
    pub priority: u8,
    /// Takes the leftover width.
    pub fill: bool,
}

impl Column {
    pub const fn new(header: &'static str, width: u16, priority: u8) -> Self {
        Self {
            header,
            width,
            max: width,
            priority,
            fill: false,
        }
    }

    pub const fn fill(header: &'static str, width: u16, priority: u8) -> Self {
        Self {
            header,
            width,
            max: u16::MAX,
            priority,
            fill: true,
        }
    }

    /// Sized by its content, from `min` to `max` cells.
    pub const fn sized(header: &'static str, min: u16, max: u16, priority: u8) -> Self {
        Self {
            header,
            width: min,
            max,
            priority,
            fill: false,
        }
    }
}

/// The widest of `texts` in cells, at least `header`'s and its sort mark
/// (`TASK DEF▼`): what a column sized by its content wants.
pub fn widest<'t>(header: &str, texts: impl IntoIterator<Item = &'t str>) -> u16 {
    let widest = texts
        .into_iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0)
        .max(header.chars().count() + 1);
    u16::try_from(widest).unwrap_or(u16::MAX)
}

/// The columns that fit in `available` cells and their widths, sized by
/// their content: each takes what it `wanted` (its widest cell), within
/// its least and most. When they do not all fit, the least important
/// columns go first while an essential one (priority 0) would be cut, then
/// the widest give way, down to their least. Room left over goes to the
/// fill column (or the first essential column sized by its content), so a
/// wide terminal gives its room to what would be cut.
pub fn size_columns(columns: &[Column], wanted: &[u16], available: u16) -> (Vec<usize>, Vec<u16>) {
    let want = |i: usize| {
        let c = &columns[i];
        wanted
            .get(i)
            .copied()
            .unwrap_or(c.width)
            .clamp(c.width, c.max.max(c.width))
    };
    let mut keep = fit_columns(columns, available);
    loop {
        let widths = shrink(
            columns,
            &keep,
            keep.iter().map(|&i| want(i)).collect(),
            available,
        );
        let essential_cut = keep
            .iter()
            .zip(&widths)
            .any(|(&i, w)| columns[i].priority == 0 && *w < want(i));
        let droppable = keep
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].priority > 0)
            .max_by_key(|(pos, i)| (columns[**i].priority, *pos))
            .map(|(pos, _)| pos);
        match droppable {
            Some(pos) if essential_cut => {
                keep.remove(pos);
            }
            _ => {
                let mut widths = widths;
                let gaps = u16::try_from(keep.len().saturating_sub(1)).unwrap_or(u16::MAX);
                let used = widths.iter().sum::<u16>().saturating_add(gaps);
                // The fill column takes it; without it, the first essential
                // column sized by its content (the columns stay put at the
                // right edge).
                let taker = keep.iter().position(|&i| columns[i].fill).or_else(|| {
                    keep.iter().position(|&i| {
                        columns[i].priority == 0 && columns[i].max > columns[i].width
                    })
                });
                if let Some(k) = taker {
                    widths[k] = widths[k].saturating_add(available.saturating_sub(used));
                }
                return (keep, widths);
            }
        }
    }
}

/// The width [`size_columns`] gave `column` (0 when it was left out).
pub fn width_of(keep: &[usize], widths: &[u16], column: usize) -> usize {
    keep.iter()
        .position(|&i| i == column)
        .map_or(0, |k| usize::from(widths[k]))
}

/// `widths` of the `keep` columns made to fit `available` cells: the one
/// with the most to give above its least gives a cell, until they fit.
fn shrink(columns: &[Column], keep: &[usize], mut widths: Vec<u16>, available: u16) -> Vec<u16> {
    let gaps = u16::try_from(keep.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let mut excess = widths
        .iter()
        .sum::<u16>()
        .saturating_add(gaps)
        .saturating_sub(available);
    while excess > 0 {
        let Some(k) = (0..keep.len())
            .filter(|&k| widths[k] > columns[keep[k]].width)
            .max_by_key(|&k| (widths[k] - columns[keep[k]].width, widths[k]))
        else {
            break;
        };
        widths[k] -= 1;
        excess -= 1;
    }
    widths
}

/// Indices of the columns that fit in `available` cells (one cell of
/// spacing between columns), dropping the least important first.
pub fn fit_columns(columns: &[Column], available: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..columns.len()).collect();
    let total = |keep: &[usize]| -> u16 {
        keep.iter().map(|&i| columns[i].width).sum::<u16>() + keep.len().saturating_sub(1) as u16
    };
    while total(&keep) > available && keep.len() > 1 {
        let Some(pos) = keep
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].priority > 0)
            .max_by_key(|(pos, i)| (columns[**i].priority, *pos))
            .map(|(pos, _)| pos)
        else {
            break;
        };
        keep.remove(pos);
    }
    keep
}

pub fn constraints(columns: &[Column], keep: &[usize]) -> Vec<Constraint> {
    keep.iter()
        .map(|&i| {
            if columns[i].fill {
                Constraint::Min(columns[i].width)
            } else {
                Constraint::Length(columns[i].width)
            }
        })
        .collect()
}

/// A line saying that data failed to load, with its age.
pub fn error_line<'a>(
    theme: &Theme,
    now: Timestamp,
    error: &flightdeck_core::provider::ProviderError,
    at: Timestamp,
) -> Line<'a> {
    Line::from(vec![
        Span::styled(" ! ", theme.crit),
        Span::styled(
            flightdeck_model::text::sanitize(&error.to_string()),
            theme.crit,
        ),
        Span::styled(format!(" ({} ago)", age(now, at)), theme.muted),
    ])
}

/// Which rows of a `total`-row table in `area` show, the selection kept in
/// view the way a table scrolled from its top keeps it. A pane builds only
/// these: a frame costs the same with 40 services or 10,000.
pub fn visible_rows(
    total: usize,
    selected: usize,
    area: Rect,
    bordered: bool,
) -> std::ops::Range<usize> {
    let chrome = if bordered { 3 } else { 1 };
    let height = usize::from(area.height.saturating_sub(chrome)).max(1);
    let selected = selected.min(total.saturating_sub(1));
    let first = (selected + 1).saturating_sub(height);
    first..(first + height).min(total)
}

/// A table of `rows` under the headers of the `keep` columns, with the
/// `selected` row highlighted (none when the table is empty). `rows` may be
/// a window of the list starting at row `first` (see [`visible_rows`]).
pub struct Listing<'a> {
    pub columns: &'a [Column],
    pub keep: &'a [usize],
    /// The kept columns' widths when sized by their content
    /// ([`size_columns`]); otherwise each column's own.
    pub widths: Option<&'a [u16]>,
    /// The column the rows are sorted by, and whether the largest (or
    /// worst) come first: its header says so (`CPU▼`, `NAME▲`).
    pub sorted: Option<(usize, bool)>,
    pub rows: Vec<ratatui::widgets::Row<'a>>,
    pub first: usize,
    pub selected: usize,
    pub block: Option<ratatui::widgets::Block<'a>>,
    /// Where the rows are recorded for clicks, as rows of which pane.
    pub clicks: Option<(&'a crate::app::mouse::HitMap, crate::app::Pane)>,
    /// What an empty table says under its headers (a filter nothing
    /// matches), instead of an empty list without a word.
    pub when_empty: Option<String>,
}

/// An empty pane's words when its filter is what empties it.
pub fn nothing_matches(app: &crate::app::App, pane: crate::app::Pane) -> Option<String> {
    let filter = app.filter(pane);
    (!filter.is_empty()).then(|| {
        format!(
            "  nothing matches \"{}\" · {} clears the filter",
            flightdeck_model::text::sanitize(filter),
            app.key(crate::app::keymap::Action::Back)
        )
    })
}

impl Listing<'_> {
    pub fn render(self, frame: &mut ratatui::Frame, area: Rect, theme: &Theme) {
        use ratatui::widgets::{Cell, Row, Table, TableState};
        let (columns, keep) = (self.columns, self.keep);
        let header = Row::new(keep.iter().map(|&i| {
            Cell::from(match self.sorted {
                Some((column, descending)) if column == i => {
                    format!(
                        "{}{}",
                        columns[i].header,
                        if descending { "▼" } else { "▲" }
                    )
                }
                _ => columns[i].header.to_string(),
            })
        }))
        .style(theme.muted);
        let empty = self.rows.is_empty();
        let when_empty = self.when_empty.filter(|_| empty);
        if let Some((hits, pane)) = self.clicks {
            let inner = self.block.as_ref().map_or(area, |b| b.inner(area));
            // The header takes the first row; then one row per data row.
            let shown = self
                .rows
                .len()
                .min(usize::from(inner.height.saturating_sub(1)));
            for i in 0..shown {
                let y = inner.y + 1 + i as u16;
                let row = Rect::new(inner.x, y, inner.width, 1);
                hits.add(row, crate::app::mouse::Target::Row(pane, self.first + i));
            }
        }
        let block_inner = self.block.as_ref().map_or(area, |b| b.inner(area));
        let widths = match self.widths {
            Some(widths) => widths.iter().map(|w| Constraint::Length(*w)).collect(),
            None => constraints(columns, keep),
        };
        let mut table = Table::new(self.rows, widths)
            .header(header)
            .row_highlight_style(theme.cursor)
            .highlight_symbol("▶ ");
        if let Some(block) = self.block {
            table = table.block(block);
        }
        let selected = self.selected.saturating_sub(self.first);
        let mut state = TableState::default().with_selected((!empty).then_some(selected));
        frame.render_stateful_widget(table, area, &mut state);
        if let Some(words) = when_empty {
            let inner = block_inner;
            if inner.height > 1 {
                let row = Rect::new(inner.x, inner.y + 1, inner.width, 1);
                frame.render_widget(
                    ratatui::widgets::Paragraph::new(ratatui::text::Span::styled(
                        words, theme.warn,
                    )),
                    row,
                );
            }
        }
    }
}

/// A `width` x `height` rectangle in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 23 (QA): an image, an ARN or a date wrapped in the detail at
    /// 80 columns keeps every character, breaks between its parts (after a
    /// `/` or `:`), never at a hyphen, and no row is wider than the screen.
    #[test]
    fn hanging_text_breaks_between_the_parts_of_a_path_not_at_hyphens() {
        let text = "image 210987654321.dkr.ecr.us-east-1.amazonaws.com/radiox/backend-api:v2.14.4  port 3000";
        let head = vec![Span::raw("  container backend-api ")];
        let lines = hanging(head, text, Style::default(), 80);
        let rows: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert!(rows.iter().all(|r| r.chars().count() <= 80), "{rows:#?}");
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert!(rows[0].ends_with("amazonaws.com/"), "{rows:#?}");
        assert_eq!(
            rows[1].trim_start(),
            "radiox/backend-api:v2.14.4  port 3000"
        );
        let dated = hanging(
            vec![Span::raw("TASK DEFINITION radiox-backend-api:42  ")],
            "cpu 2048  memory 4096  registered 2026-12-05",
            Style::default(),
            80,
        );
        let rows: Vec<String> = dated.iter().map(ToString::to_string).collect();
        assert_eq!(rows[1].trim(), "2026-12-05", "{rows:#?}");
    }

    #[test]
    fn only_the_rows_that_show_are_built_with_the_selection_in_view() {
        let area = |h| Rect::new(0, 0, 80, h);
        // 21 lines: a header and 20 rows.
        assert_eq!(visible_rows(10_000, 0, area(21), false), 0..20);
        assert_eq!(visible_rows(10_000, 19, area(21), false), 0..20);
        assert_eq!(visible_rows(10_000, 50, area(21), false), 31..51);
        assert_eq!(visible_rows(10_000, 9_999, area(21), false), 9_980..10_000);
        // Borders take two lines more; a selection past the end is the last.
        assert_eq!(visible_rows(100, 500, area(23), true), 80..100);
        assert_eq!(visible_rows(5, 0, area(21), false), 0..5);
        assert_eq!(visible_rows(0, 3, area(21), false), 0..0);
        assert_eq!(visible_rows(10, 4, area(1), false), 4..5);
    }

    /// A wide terminal gives every column what its content needs (the
    /// rest to the fill column); a narrow one drops the least important
    /// column before it cuts an essential one, then the widest give way.
    #[test]
    fn columns_are_sized_by_their_content() {
        let cols = [
            Column::fill("SERVICE", 10, 0),
            Column::new("COUNTS", 6, 0),
            Column::sized("TASK DEF", 10, 40, 5),
            Column::sized("CLUSTER", 8, 30, 6),
        ];
        let wanted = [26, 0, 28, 21];
        let (keep, widths) = size_columns(&cols, &wanted, 200);
        assert_eq!(keep, [0, 1, 2, 3]);
        assert_eq!(widths[1..], [6, 28, 21], "each what it needs");
        assert_eq!(widths.iter().sum::<u16>() + 3, 200, "the rest to SERVICE");
        // 70 cells: CLUSTER (least important) goes; at 60 TASK DEF gives
        // way, SERVICE stays whole.
        let (keep, widths) = size_columns(&cols, &wanted, 70);
        assert_eq!((keep, widths), (vec![0, 1, 2], vec![34, 6, 28]));
        let (keep, widths) = size_columns(&cols, &wanted, 60);
        assert_eq!((keep, widths), (vec![0, 1, 2], vec![26, 6, 26]));
        // TASK DEF would have to cut SERVICE: it goes.
        let (keep, widths) = size_columns(&cols, &wanted, 50);
        assert_eq!((keep, widths), (vec![0, 1], vec![43, 6]));
        // Narrower still: TASK DEF goes too, and SERVICE takes what is left.
        let (keep, widths) = size_columns(&cols, &wanted, 30);
        assert_eq!((keep, widths), (vec![0, 1], vec![23, 6]));
    }

    #[test]
    fn columns_collapse_by_priority() {
        let cols = [
            Column::new("A", 10, 0),
            Column::new("B", 10, 2),
            Column::new("C", 10, 1),
            Column::new("D", 10, 3),
        ];
        assert_eq!(fit_columns(&cols, 100), vec![0, 1, 2, 3]);
        assert_eq!(fit_columns(&cols, 32), vec![0, 1, 2]);
        assert_eq!(fit_columns(&cols, 31), vec![0, 2]);
        assert_eq!(fit_columns(&cols, 5), vec![0]);
    }

    #[test]
    fn sparkline_scales_to_percent() {
        assert_eq!(sparkline(&[0.0, 50.0, 100.0], 10), "▁▅█");
        assert_eq!(sparkline(&[0.0, 50.0, 100.0], 2), "▅█");
    }
}
