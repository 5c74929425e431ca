//! No cycle between the dashboard's modules: data flows one way (link → host
//! → panels → app), and a module that names another may not be named back,
//! directly or around a loop (ARCHITECTURE.md). The check parses every file of
//! `dashboard/src` with `syn`, follows `mod` items from `lib.rs`, collects the
//! `crate::`, `super::`, `self::` and child-module paths each module names (in
//! `use` items and in code; `#[cfg(test)]` items apart, since tests may reach
//! anywhere), and fails naming the loop it finds.
//!
//! A private module (`mod windows;` inside `app`) is its parent's code split
//! across files, so it counts as part of its parent: `app/windows.rs` naming
//! `super::DashboardApp` is no cycle.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the first surprise"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module path from the crate root, `""` for the root itself.
type ModulePath = Vec<String>;

/// Which modules each module names, with the file that first did, for messages.
type Graph = BTreeMap<String, BTreeMap<String, PathBuf>>;

/// One module found from `lib.rs`.
struct Module {
    path: ModulePath,
    /// Declared with the default (private) visibility.
    private: bool,
    file: PathBuf,
    items: Vec<syn::Item>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

/// Every module of the crate whose root is `lib`, outside `#[cfg(test)]`.
fn modules(lib: &Path) -> Vec<Module> {
    let mut found = Vec::new();
    let text = std::fs::read_to_string(lib).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
    let dir = lib.parent().expect("lib.rs has a folder").to_owned();
    collect(&[], false, lib, &dir, file.items, &mut found);
    found
}

/// Adds the module at `path` (its `items`, read from `file`; its children's
/// files live in `dir`) and, depth first, every module it declares.
fn collect(
    path: &[String],
    private: bool,
    file: &Path,
    dir: &Path,
    items: Vec<syn::Item>,
    found: &mut Vec<Module>,
) {
    let mut own = Vec::new();
    let mut children = Vec::new();
    for item in items {
        match item {
            syn::Item::Mod(module) if is_cfg_test(&module.attrs) => {}
            syn::Item::Mod(module) => children.push(module),
            item => own.push(item),
        }
    }
    found.push(Module {
        path: path.to_vec(),
        private,
        file: file.to_owned(),
        items: own,
    });
    for child in children {
        let name = child.ident.to_string();
        let mut child_path = path.to_vec();
        child_path.push(name.clone());
        let child_private = matches!(child.vis, syn::Visibility::Inherited);
        let child_dir = dir.join(&name);
        if let Some((_, items)) = child.content {
            collect(&child_path, child_private, file, &child_dir, items, found);
            continue;
        }
        let candidates = [
            dir.join(format!("{name}.rs")),
            dir.join(&name).join("mod.rs"),
        ];
        let child_file = candidates
            .iter()
            .find(|candidate| candidate.exists())
            .unwrap_or_else(|| panic!("no file for `mod {name};` in {}", file.display()))
            .clone();
        let text = std::fs::read_to_string(&child_file)
            .unwrap_or_else(|e| panic!("{}: {e}", child_file.display()));
        let parsed =
            syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", child_file.display()));
        collect(
            &child_path,
            child_private,
            &child_file,
            &child_dir,
            parsed.items,
            found,
        );
    }
}

/// The paths one module's code names, as written, outside `#[cfg(test)]`.
#[derive(Default)]
struct Names {
    paths: Vec<Vec<String>>,
}

impl Names {
    fn use_tree(&mut self, prefix: &[String], tree: &syn::UseTree) {
        let with = |name: &syn::Ident| {
            let mut path = prefix.to_vec();
            path.push(name.to_string());
            path
        };
        match tree {
            syn::UseTree::Path(step) => {
                let prefix = with(&step.ident);
                self.use_tree(&prefix, &step.tree);
            }
            syn::UseTree::Name(name) => self.paths.push(with(&name.ident)),
            syn::UseTree::Rename(rename) => self.paths.push(with(&rename.ident)),
            syn::UseTree::Glob(_) => self.paths.push(prefix.to_vec()),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            _ => &[],
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_cfg_test(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {
        // `pub(crate)` and `pub(super)` say who may look, not what is used.
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&[], &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.paths
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }
}

/// The module `written` (a path as written in module `from`) names, if it is
/// one of `known`: the longest known prefix of the path made absolute.
fn resolve(
    from: &[String],
    written: &[String],
    known: &BTreeSet<ModulePath>,
) -> Option<ModulePath> {
    let (first, rest) = written.split_first()?;
    let mut absolute: ModulePath = match first.as_str() {
        "crate" => Vec::new(),
        "self" => from.to_vec(),
        "super" => from[..from.len().checked_sub(1)?].to_vec(),
        name => {
            let mut child = from.to_vec();
            child.push(name.to_owned());
            if !known.contains(&child) {
                return None; // Another crate, or an item imported by name.
            }
            child
        }
    };
    let mut rest = rest;
    while let Some(("super", tail)) = rest.split_first().map(|(s, t)| (s.as_str(), t)) {
        absolute.pop()?;
        rest = tail;
    }
    let mut best = known.contains(&absolute).then(|| absolute.clone());
    for segment in rest {
        absolute.push(segment.clone());
        if known.contains(&absolute) {
            best = Some(absolute.clone());
        }
    }
    best
}

/// The module graph of the crate rooted at `lib`, private modules folded into
/// their parents (but never into the crate root, which only declares).
fn graph(lib: &Path) -> Graph {
    let modules = modules(lib);
    let known: BTreeSet<ModulePath> = modules.iter().map(|m| m.path.clone()).collect();
    let private: BTreeSet<ModulePath> = modules
        .iter()
        .filter(|m| m.private)
        .map(|m| m.path.clone())
        .collect();
    let node = |path: &[String]| -> String {
        let mut path = path.to_vec();
        while path.len() > 1 && private.contains(&path) {
            path.pop();
        }
        if path.is_empty() {
            "crate".to_owned()
        } else {
            path.join("::")
        }
    };
    let mut graph = Graph::new();
    for module in &modules {
        let from = node(&module.path);
        let mut names = Names::default();
        for item in &module.items {
            names.visit_item(item);
        }
        let edges = graph.entry(from.clone()).or_default();
        for written in &names.paths {
            if let Some(target) = resolve(&module.path, written, &known) {
                let to = node(&target);
                if to != from {
                    edges.entry(to).or_insert_with(|| module.file.clone());
                }
            }
        }
    }
    graph
}

/// A loop in `graph`, as the modules along it with the first repeated at the
/// end, or `None` when there is none.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|n| n == node)?;
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

/// The cycle in words, each step with the file that names the next module.
fn describe(graph: &Graph, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|step| {
            let file = &graph[&step[0]][&step[1]];
            format!("{} → {} (in {})", step[0], step[1], file.display())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn the_dashboard_modules_form_no_cycle() {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let graph = graph(&lib);
    // The scan sees the dependencies that must be there, so a scan that
    // found nothing cannot pass.
    for (from, to) in [
        ("panels::host_view", "command"),
        ("panels::host_list", "host"),
        ("app", "panels::host_view"),
        ("host", "link"),
        ("history", "history::decimate"),
    ] {
        assert!(
            graph.get(from).is_some_and(|edges| edges.contains_key(to)),
            "the scan should see {from} → {to}; it saw {graph:#?}"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "module cycle in the dashboard: {}. Move what both sides need into a \
             module of its own that names neither.",
            describe(&graph, &cycle)
        );
    }
}

#[test]
fn the_cycle_finder_names_the_loop_of_a_small_graph() {
    let edge = |to: &str| (to.to_owned(), PathBuf::from("x.rs"));
    let mut graph = Graph::new();
    graph.insert("a".into(), [edge("b")].into());
    graph.insert("b".into(), [edge("c"), edge("d")].into());
    graph.insert("c".into(), [edge("a")].into());
    graph.insert("d".into(), BTreeMap::new());
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    graph.insert("c".into(), [edge("d")].into());
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn a_use_of_a_module_that_uses_it_back_is_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod app;\npub mod panels;\n");
    write("app.rs", "pub enum Command { Quit }\nmod windows;\n");
    // A private child naming its parent is part of it: no cycle.
    write("app/windows.rs", "use super::Command;\n");
    write("panels/mod.rs", "pub mod list;\n");
    write(
        "panels/list.rs",
        "pub fn ui() -> crate::app::Command { crate::app::Command::Quit }\n\
         #[cfg(test)]\nmod tests { use crate::app::windows; }\n",
    );
    let lib = dir.path().join("lib.rs");
    assert_eq!(find_cycle(&graph(&lib)), None);
    write(
        "app.rs",
        "pub enum Command { Quit }\nmod windows;\nfn draw() { super::panels::list::ui(); }\n",
    );
    let graph = graph(&lib);
    let cycle = find_cycle(&graph).expect("app → panels::list → app is a cycle");
    assert_eq!(cycle, ["app", "panels::list", "app"]);
    assert!(describe(&graph, &cycle).contains("app.rs"));
}
