//! Text from AWS made safe to show; secrets are kept out of sight by
//! [`crate::secrets`].
//!
//! Everything that came from AWS (log lines, event messages, tags, names)
//! goes through [`sanitize`] before it reaches a terminal, so nothing can
//! send escape sequences to the operator's terminal.

/// Replaces control characters (ESC, BEL, BS, CR, DEL, C1 controls, ...)
/// and invisible format characters with `?`, and tabs with spaces.
/// Newlines are kept only when `keep_newlines`.
///
/// Without ESC, C1 and BEL no escape sequence (CSI, OSC, DCS, APC) can
/// start or end; without BS and CR nothing overwrites what was drawn.
pub fn sanitize_with(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push(' '),
            c if is_unsafe(c) => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// Characters that never reach a terminal as they are: controls (C0, DEL,
/// C1), bidirectional overrides, isolates and marks that can disguise text,
/// zero-width and line-breaking format characters that upset the layout.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}'                      // Arabic letter mark
            | '\u{200b}'..='\u{200f}'      // zero width space, joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'      // line and paragraph separators
            | '\u{202a}'..='\u{202e}'      // bidi embeddings and overrides
            | '\u{2060}'..='\u{2069}'      // word joiner, invisible operators, isolates
            | '\u{feff}'                    // zero width no-break space (BOM)
            | '\u{fff9}'..='\u{fffb}'      // interlinear annotations
        )
}

/// [`sanitize_with`] on one line.
pub fn sanitize(s: &str) -> String {
    sanitize_with(s, false)
}

/// Text that is safe on a terminal. Only the sanitiser makes one (every
/// constructor runs [`sanitize_with`], newlines kept), and the binary's
/// printing (`output::out`, `output::err`) accepts nothing else: whatever
/// reaches stdout or stderr went through here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeText(String);

impl SafeText {
    pub fn new(text: &str) -> SafeText {
        SafeText(sanitize_with(text, true))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SafeText {
    fn from(text: &str) -> SafeText {
        SafeText::new(text)
    }
}

impl From<String> for SafeText {
    fn from(text: String) -> SafeText {
        if text
            .chars()
            .any(|c| c == '\t' || (c != '\n' && is_unsafe(c)))
        {
            SafeText::new(&text)
        } else {
            // Already safe: kept without a copy.
            SafeText(text)
        }
    }
}

impl From<&String> for SafeText {
    fn from(text: &String) -> SafeText {
        SafeText::new(text)
    }
}

impl std::fmt::Display for SafeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Formats `70.0` as `70` and `0.5` as `0.5`.
pub fn trim_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// `n` and the noun, singular for one: `1 line`, `3 lines`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Shortens `s` to `max` characters in its middle, keeping what follows
/// its last `:` whole: a task definition `family:revision` never loses
/// its revision (`radiox-processi…:113`).
pub fn ellipsize_keeping_revision(s: &str, max: usize) -> String {
    let len = s.chars().count();
    if len <= max {
        return s.to_string();
    }
    let Some((family, revision)) = s.rsplit_once(':') else {
        return ellipsize(s, max);
    };
    let tail = revision.chars().count() + 1;
    if tail + 2 > max {
        return ellipsize(s, max);
    }
    let head: String = family.chars().take(max - tail - 1).collect();
    format!("{head}…:{revision}")
}

/// Shortens `s` to `max` characters in its middle, keeping its start and
/// (the larger share) its end: `/ecs/prod-i…/ai-service`, where the end of
/// a path or a name says the most.
pub fn ellipsize_middle(s: &str, max: usize) -> String {
    let len = s.chars().count();
    if len <= max {
        return s.to_string();
    }
    if max < 3 {
        return ellipsize(s, max);
    }
    let tail = (max - 1) * 2 / 3;
    let head = max - 1 - tail;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(len - tail).collect();
    format!("{start}…{end}")
}

/// Shortens `s` to `max` characters, ending with `…` when cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Whether `haystack` contains `needle` ignoring case, `needle` already in
/// lower case. Filters and searches run it over every row or line on every
/// key and frame, so ASCII text (the usual case) allocates nothing; other
/// text is lowercased as Unicode says (a Kelvin sign is a `k`).
pub fn contains_lowercase(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if !needle.is_ascii() || !haystack.is_ascii() {
        return haystack.to_lowercase().contains(needle);
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    h.len() >= n.len()
        && h.windows(n.len()).any(|w| {
            w[0].eq_ignore_ascii_case(&n[0])
                && w.iter().zip(n).all(|(a, b)| a.eq_ignore_ascii_case(b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_gives_way_keeping_the_end() {
        assert_eq!(
            ellipsize_middle("/ecs/prod-infra-production/ai-service", 24),
            "/ecs/pro…tion/ai-service"
        );
        assert_eq!(ellipsize_middle("short", 24), "short");
        assert_eq!(ellipsize_middle("abcdef", 2), "a…");
        for max in 0..12 {
            assert!(ellipsize_middle("abcdefghijklmnop", max).chars().count() <= max);
        }
    }

    #[test]
    fn contains_lowercase_ignores_case_and_handles_any_text() {
        assert!(contains_lowercase("Payments-API-01", "api-0"));
        assert!(contains_lowercase("x", ""));
        assert!(!contains_lowercase("pay", "payments"));
        assert!(contains_lowercase("ÉCHEC de connexion", "échec"));
        assert!(!contains_lowercase("timeout", "timeouts"));
        assert!(contains_lowercase("\u{212A}ELVIN", "kelvin"));
    }

    proptest::proptest! {
        /// The same answer as lowercasing both, for any text.
        #[test]
        fn contains_lowercase_agrees_with_to_lowercase(h in ".{0,40}", n in ".{0,4}") {
            let needle = n.to_lowercase();
            proptest::prop_assert_eq!(
                contains_lowercase(&h, &needle),
                h.to_lowercase().contains(&needle)
            );
        }
    }

    #[test]
    fn trim_float_drops_useless_decimals() {
        assert_eq!(trim_float(70.0), "70");
        assert_eq!(trim_float(0.5), "0.5");
    }

    #[test]
    fn escape_sequences_never_pass() {
        let evil = "ok\x1b]0;pwned\x07\x1b[2J\r\u{9b}31m\u{202e}";
        let clean = sanitize(evil);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert!(clean.starts_with("ok?]0;pwned??[2J"));
    }

    proptest::proptest! {
        #[test]
        fn nothing_unsafe_ever_passes(s in proptest::prelude::any::<String>()) {
            let clean = sanitize(&s);
            proptest::prop_assert!(!clean.chars().any(is_unsafe), "{clean:?}");
            proptest::prop_assert!(!clean.contains('\n'));
            // Defused text stays defused, and stays readable.
            proptest::prop_assert_eq!(sanitize(&clean), clean.clone());
            proptest::prop_assert!(clean.chars().count() <= 4 * s.chars().count());
        }

        #[test]
        fn escape_sequences_are_defused_wherever_they_are(
            before in "[ -~]{0,20}",
            seq in proptest::sample::select(vec![
                "\x1b[2J", "\x1b]0;title\x07", "\x1b]52;c;ZWNobw==\x1b\\",
                "\x1b]8;;http://x\x1b\\", "\x1bP+q544e\x1b\\", "\u{9b}31m", "\u{9d}0;t\u{9c}",
                "\x1b", "\x07", "\x08\x08", "\rX", "\x7f", "\u{202e}", "\u{2028}",
            ]),
            after in "[ -~]{0,20}",
        ) {
            let clean = sanitize(&format!("{before}{seq}{after}"));
            let live = ['\x1b', '\u{9b}', '\u{9d}', '\x07', '\x08', '\r'];
            proptest::prop_assert!(!clean.contains(live), "{:?}", clean);
            proptest::prop_assert!(clean.starts_with(&before) && clean.ends_with(&after));
        }

        #[test]
        fn printable_text_is_left_alone(s in "[ -~\u{a0}-\u{5ff}\u{700}-\u{1fff}\u{3000}-\u{9fff}]{0,64}") {
            proptest::prop_assert_eq!(sanitize(&s), s);
        }
    }

    proptest::proptest! {
        /// However it is made, a `SafeText` holds nothing unsafe but
        /// newlines, and text that was safe is kept as it was.
        #[test]
        fn safe_text_is_safe_however_it_is_made(s in proptest::prelude::any::<String>()) {
            for t in [SafeText::new(&s), SafeText::from(s.clone()), SafeText::from(&s), SafeText::from(s.as_str())] {
                proptest::prop_assert!(!t.as_str().chars().any(|c| c != '\n' && is_unsafe(c)), "{t:?}");
            }
            if !s.chars().any(|c| c == '\t' || (c != '\n' && is_unsafe(c))) {
                let kept = SafeText::from(s.clone());
                proptest::prop_assert_eq!(kept.as_str(), s.as_str());
            }
        }
    }

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(1u32, "line", "lines"), "1 line");
        assert_eq!(count(0u32, "line", "lines"), "0 lines");
        assert_eq!(count(2u64, "service", "services"), "2 services");
    }

    #[test]
    fn a_revision_is_never_cut() {
        assert_eq!(
            ellipsize_keeping_revision("radiox-processing-service:113", 20),
            "radiox-processi…:113"
        );
        let cut = ellipsize_keeping_revision("prod-infra-production-ai-service:1234", 26);
        assert_eq!(cut.chars().count(), 26);
        assert!(cut.ends_with("…:1234"), "{cut}");
        assert_eq!(ellipsize_keeping_revision("api:7", 26), "api:7");
        assert_eq!(
            ellipsize_keeping_revision("no-revision-here-at-all", 10),
            "no-revisi…"
        );
    }

    #[test]
    fn ellipsize_marks_the_cut() {
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("abc", 4), "abc");
    }
}
