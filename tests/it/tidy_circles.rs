//! Tidy: no two modules import each other, directly or around a circle.
//! A circle makes two modules one in all but name: neither can be read,
//! tested or changed without the other. Types go below the code that uses
//! them.
//!
//! The import graph is read from the sources, as rust-analyzer's tidy
//! does: every `crate::`, `super::` and `self::` path and every path
//! through a child module is an import of the module that *defines* what it
//! names (a name re-exported by a facade is followed to its definition).
//! `#[cfg(test)]` modules are left out: tests may use anything. A module
//! and the modules nested in it are one unit, as Rust's privacy has it (a
//! child sees its parent's private items): `app::write` using `app::App`
//! is no circle, `app::write` and `app::update` using each other is.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `app/write.rs` -> `app::write`; `app/mod.rs`, `lib.rs` -> their folder.
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn show(m: &[String]) -> String {
    if m.is_empty() {
        "<crate root>".into()
    } else {
        m.join("::")
    }
}

/// The source without comments and without `#[cfg(test)] mod x { .. }`
/// blocks.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let text = lines.join("\n");
    let mut out = String::new();
    let mut rest = text.as_str();
    const TEST: &str = "#[cfg(test)]";
    while let Some(at) = rest.find(TEST) {
        out.push_str(&rest[..at]);
        let after = &rest[at + TEST.len()..];
        let item = after.trim_start();
        let is_mod = item.starts_with("mod ") || item.starts_with("pub mod ");
        let Some(stop) = item.find(['{', ';']).filter(|_| is_mod) else {
            // An attribute on something else: kept.
            out.push_str(TEST);
            rest = after;
            continue;
        };
        let skipped = after.len() - item.len();
        if item.as_bytes()[stop] == b';' {
            rest = &after[skipped + stop + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, c) in item[stop..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = stop + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[skipped + end..];
    }
    out.push_str(rest);
    out
}

/// The `use` statements of `code`: (whether re-exported, each leaf path).
fn use_statements(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = vec![];
    let mut rest = code;
    while let Some(at) = find_use(rest) {
        let before = rest[..at].trim_end();
        let last = before
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default();
        let public = last == "pub" || last.starts_with("pub(");
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        let tree = after[..end].trim();
        // The word in prose (a string) is no statement.
        if !tree.contains('"') {
            out.push((public, expand(tree)));
        }
        rest = &after[end + 1..];
    }
    out
}

/// Index of the next `use` statement in `text`: the word `use` where a
/// statement starts (after `;`, a brace, an attribute or `pub`), so the
/// word in a string or a name is not one.
fn find_use(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = find_word(&text[from..], "use") {
        let at = from + i;
        let before = text[..at].trim_end();
        let last = before
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default();
        let starts = before.is_empty()
            || before.ends_with([';', '{', '}', ']'])
            || last == "pub"
            || last.starts_with("pub(");
        if starts && text[at + 3..].starts_with(char::is_whitespace) {
            return Some(at);
        }
        from = at + 3;
    }
    None
}

/// Index of `word` in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(at + word.len());
        let edge = |b: Option<&u8>| b.is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        if edge(before.as_ref()) && edge(after) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// `a::{b, c::{d, e}}` -> `a::b`, `a::c::d`, `a::c::e` (aliases dropped).
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default().trim();
        return vec![path.replace(' ', "")];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut parts = vec![];
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_string()
            } else if prefix.is_empty() {
                p
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// Every `crate::`/`super::`/`self::` path written in `code` outside `use`
/// statements (a path used in place, `super::update::act(..)`).
fn inline_paths(code: &str) -> Vec<String> {
    let mut out = vec![];
    for start in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(at) = find_word(rest, start.trim_end_matches(':')) {
            let tail = &rest[at..];
            if !tail.starts_with(start) {
                rest = &rest[at + 1..];
                continue;
            }
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push(tail[..end].trim_end_matches(':').to_string());
            rest = &tail[end..];
        }
    }
    out
}

/// The modules of one crate and what each imports.
struct Crate {
    modules: BTreeMap<Module, PathBuf>,
    /// Names a module re-exports: (module, name) -> the path it names.
    reexports: BTreeMap<(Module, String), (Module, String)>,
    /// `pub use x::*` of a module: the paths it re-exports all of.
    globs: BTreeMap<Module, Vec<Module>>,
}

impl Crate {
    fn read(src: &Path) -> (Crate, BTreeMap<Module, String>) {
        let mut files = vec![];
        rust_files(src, &mut files);
        let mut modules = BTreeMap::new();
        let mut code = BTreeMap::new();
        for file in &files {
            let module = module_of(src, file);
            code.insert(
                module.clone(),
                code_of(&std::fs::read_to_string(file).unwrap()),
            );
            modules.insert(module, file.clone());
        }
        // Files that are `#[cfg(test)] mod x;` of their parent are tests.
        let tests: Vec<Module> = modules
            .keys()
            .filter(|m| {
                let Some((name, parent)) = m.split_last() else {
                    return false;
                };
                let text = std::fs::read_to_string(&modules[parent]).unwrap_or_default();
                text.contains(&format!("#[cfg(test)]\nmod {name};"))
                    || text.contains(&format!("#[cfg(test)]\npub mod {name};"))
            })
            .cloned()
            .collect();
        for t in &tests {
            modules.remove(t);
            code.remove(t);
        }
        let mut krate = Crate {
            modules,
            reexports: BTreeMap::new(),
            globs: BTreeMap::new(),
        };
        for (module, text) in &code {
            for (public, paths) in use_statements(text) {
                if !public {
                    continue;
                }
                for path in paths {
                    let (target, name) = krate.split(module, &path);
                    if name == "*" {
                        krate.globs.entry(module.clone()).or_default().push(target);
                    } else if let Some(name) = name.split("::").last() {
                        krate.reexports.insert(
                            (module.clone(), name.to_string()),
                            (target, name.to_string()),
                        );
                    }
                }
            }
        }
        (krate, code)
    }

    fn is_module(&self, m: &[String]) -> bool {
        self.modules.contains_key(m)
    }

    /// A path written in `from`, split into the deepest module it walks
    /// through and what it names there.
    fn split(&self, from: &Module, path: &str) -> (Module, String) {
        let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut here: Module = from.clone();
        let mut i = 0;
        match segments.first() {
            Some(&"crate") => {
                here = vec![];
                i = 1;
            }
            Some(&"super" | &"self") => {
                while let Some(s) = segments.get(i) {
                    match *s {
                        "super" => {
                            here.pop();
                        }
                        "self" => {}
                        _ => break,
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        while let Some(s) = segments.get(i) {
            let mut next = here.clone();
            next.push(s.to_string());
            if !self.is_module(&next) {
                break;
            }
            here = next;
            i += 1;
        }
        (here, segments.get(i..).unwrap_or_default().join("::"))
    }

    /// The module that defines what `path` (written in `from`) names,
    /// through re-exports.
    fn resolve(&self, from: &Module, path: &str) -> Module {
        let (mut module, mut rest) = self.split(from, path);
        for _ in 0..8 {
            let name = rest.split("::").next().unwrap_or_default().to_string();
            if let Some((target, _)) = self.reexports.get(&(module.clone(), name.clone())) {
                let (m, r) = (target.clone(), rest.clone());
                module = m;
                rest = r;
                continue;
            }
            let glob = self
                .globs
                .get(&module)
                .and_then(|targets| targets.iter().find(|t| self.defines(t, &name)).cloned());
            match glob {
                Some(target) if target != module => module = target,
                _ => break,
            }
        }
        module
    }

    /// Whether module `m`'s own code defines `name` (a quick textual look).
    fn defines(&self, m: &Module, name: &str) -> bool {
        let text = std::fs::read_to_string(&self.modules[m]).unwrap_or_default();
        ["struct", "enum", "fn", "trait", "type", "const", "static"]
            .iter()
            .any(|kind| text.contains(&format!("{kind} {name}")))
    }

    /// Each module -> the modules its code imports.
    fn imports(&self, code: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (module, text) in code {
            let mut paths = vec![];
            for (public, used) in use_statements(text) {
                if !public {
                    paths.extend(used);
                }
            }
            // Code outside the `use` statements, re-exports included, so a
            // re-export is not counted as a use of what it re-exports.
            let mut body = text.clone();
            while let Some(at) = find_use(&body) {
                let Some(end) = body[at..].find(';') else {
                    break;
                };
                body.replace_range(at..at + end + 1, "");
            }
            paths.extend(inline_paths(&body));
            // A child module named in place: `write::start(..)`.
            let children: Vec<String> = self
                .modules
                .keys()
                .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
                .filter_map(|m| m.last().cloned())
                .collect();
            for child in &children {
                let needle = format!("{child}::");
                let mut rest = body.as_str();
                while let Some(at) = rest.find(&needle) {
                    let before = rest[..at].chars().last();
                    if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':')) {
                        let end = rest[at..]
                            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                            .map_or(rest.len(), |e| at + e);
                        paths.push(format!("self::{}", rest[at..end].trim_end_matches(':')));
                    }
                    rest = &rest[at + needle.len()..];
                }
            }
            // `use` of a child without a prefix: `use write::Dialog;`.
            let imports = out.entry(module.clone()).or_default();
            for path in paths {
                let path = if children
                    .iter()
                    .any(|c| path.split("::").next() == Some(c.as_str()))
                {
                    format!("self::{path}")
                } else {
                    path
                };
                if !(path.starts_with("crate")
                    || path.starts_with("super")
                    || path.starts_with("self"))
                {
                    continue;
                }
                let target = self.resolve(module, &path);
                // A module and the modules nested in it are one unit.
                if !target.starts_with(module) && !module.starts_with(&target) {
                    imports.insert(target);
                }
            }
        }
        out
    }
}

/// The circles of `graph`: each strongly connected set of two or more
/// modules (Tarjan).
fn circles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        found: Vec<Vec<Module>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &Module) {
            let n = self.index.len();
            self.index.insert(v.clone(), n);
            self.low.insert(v.clone(), n);
            self.stack.push(v.clone());
            for w in self.graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.clone(), low);
                } else if self.stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.clone(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut set = vec![];
                while let Some(w) = self.stack.pop() {
                    let done = &w == v;
                    set.push(w);
                    if done {
                        break;
                    }
                }
                if set.len() > 1 {
                    set.sort();
                    self.found.push(set);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: vec![],
        found: vec![],
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

/// Every crate's source folder, the binary's included.
fn crate_sources() -> Vec<PathBuf> {
    let mut out = vec![root().join("src")];
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        out.push(entry.unwrap().path().join("src"));
    }
    out.sort();
    out
}

#[test]
fn no_two_modules_import_each_other() {
    let mut report = vec![];
    for src in crate_sources() {
        let (krate, code) = Crate::read(&src);
        let graph = krate.imports(&code);
        for set in circles(&graph) {
            let name = src.strip_prefix(root()).unwrap().display().to_string();
            let mut lines = vec![format!("{name}: a circle of {} modules", set.len())];
            for a in &set {
                for b in graph[a].iter().filter(|b| set.contains(b)) {
                    lines.push(format!("    {} imports {}", show(a), show(b)));
                }
            }
            report.push(lines.join("\n"));
        }
    }
    assert!(
        report.is_empty(),
        "modules that import each other (move the types they share below \
         both, or let one return what the other acts on):\n{}",
        report.join("\n")
    );
}

/// The reader itself: a circle written on purpose is found (through a
/// facade's re-export, a path used in place), and a parent with its child
/// is none.
#[test]
fn a_circle_is_found_and_a_parent_with_its_child_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |path: &str, text: &str| {
        let file = src.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "lib.rs",
        "//! x\nmod app;\npub use app::App;\n#[cfg(test)]\nmod tests;\n",
    );
    write("tests.rs", "use crate::app::write::go;\n");
    write(
        "app/mod.rs",
        "//! x\nmod state;\nmod write;\npub use state::App;\npub use write::go;\n",
    );
    write(
        "app/state.rs",
        "pub struct App;\nfn f() { super::write::go(); }\n",
    );
    write("app/write.rs", "use super::App;\npub fn go() {}\n");
    let (krate, code) = Crate::read(src);
    let graph = krate.imports(&code);
    let module = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    assert_eq!(
        circles(&graph),
        vec![vec![module("app::state"), module("app::write")]]
    );
    // Without the call back, the facade re-exporting both is no circle.
    write("app/state.rs", "pub struct App;\n");
    let (krate, code) = Crate::read(src);
    assert!(circles(&krate.imports(&code)).is_empty());
    // A parent whose code uses its child, and the child its parent's
    // type: one unit, no circle.
    write(
        "app/mod.rs",
        "//! x\nmod write;\npub struct App;\nfn f() { write::go(); }\n",
    );
    let (krate, code) = Crate::read(src);
    assert!(circles(&krate.imports(&code)).is_empty());
    // Siblings calling each other in place, one through `crate::`.
    write("app/mod.rs", "//! x\nmod state;\nmod write;\n");
    write(
        "app/state.rs",
        "pub struct App;\nfn f() { crate::app::write::go(); }\n",
    );
    write("app/write.rs", "pub fn go() { super::state::App; }\n");
    let (krate, code) = Crate::read(src);
    assert_eq!(
        circles(&krate.imports(&code)),
        vec![vec![module("app::state"), module("app::write")]]
    );
}
