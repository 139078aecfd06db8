//! The first layout check, run by `cargo xtask test`:
//! **no import loops.** Within one crate, no module may import one that
//!   imports it back, directly or through others (DESIGN §3: "no module
//!   imports one that imports it back"). A module is a file; a `mod.rs` (or
//!   `lib.rs`) that only declares modules and re-exports counts as its
//!   children, so `crate::access::check_upload` is an import of the child
//!   that `access` re-exports it from. Declaring a module is not importing
//! it. Code under `#[cfg(test)]` is left out: tests may reach anywhere.
//!
//! The source is read with `syn` (macro bodies with `proc-macro2`'s
//! tokenizer), not by line patterns.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use crate::source::{has_cfg_test, item_attrs};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

type ModPath = Vec<String>;

/// One module of a crate, as read from its file.
#[derive(Debug, Default)]
struct Module {
    /// Only `mod` declarations and `use` items: it counts as its children.
    collapsed: bool,
    /// Child modules declared in this file (not inline ones).
    children: Vec<String>,
    /// Names this module re-exports (`pub use`), and the absolute path each
    /// one stands for.
    reexports: BTreeMap<String, ModPath>,
    /// `pub use path::*`: absolute module paths whose items it re-exports.
    globs: Vec<ModPath>,
    /// Names of the items defined here (for glob re-exports).
    items: BTreeSet<String>,
    /// Absolute paths this module's code refers to.
    refs: Vec<ModPath>,
}

/// The modules of one crate, keyed by their path below the crate root.
struct CrateModules {
    modules: BTreeMap<ModPath, Module>,
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn item_name(item: &syn::Item) -> Option<String> {
    use syn::Item::*;
    let ident = match item {
        Const(i) => &i.ident,
        Enum(i) => &i.ident,
        Fn(i) => &i.sig.ident,
        Mod(i) => &i.ident,
        Static(i) => &i.ident,
        Struct(i) => &i.ident,
        Trait(i) => &i.ident,
        Type(i) => &i.ident,
        Union(i) => &i.ident,
        Macro(i) => i.ident.as_ref()?,
        _ => return None,
    };
    Some(ident.to_string())
}

/// The flattened paths of a `use` tree: (path, the name it binds or `*`).
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                let bound = prefix.last().cloned().unwrap_or_default();
                out.push((prefix.clone(), bound));
            } else {
                let mut p = prefix.clone();
                p.push(name.clone());
                out.push((p, name));
            }
        }
        syn::UseTree::Rename(r) => {
            let mut p = prefix.clone();
            if r.ident != "self" {
                p.push(r.ident.to_string());
            }
            out.push((p, r.rename.to_string()));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), "*".into())),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_paths(t, prefix, out);
            }
        }
    }
}

/// Collects the paths a module's code names: every `syn::Path`, and
/// `crate::`/`super::`/`self::` sequences inside macro bodies.
struct PathCollector {
    paths: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for PathCollector {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.paths
            .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
    /// `pub(crate)`, `pub(super)`: who may see an item, not an import.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        collect_token_paths(m.tokens.clone(), &mut self.paths);
        syn::visit::visit_macro(self, m);
    }
    fn visit_item(&mut self, i: &'ast syn::Item) {
        if !has_cfg_test(item_attrs(i)) {
            syn::visit::visit_item(self, i);
        }
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !has_cfg_test(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
}

fn collect_token_paths(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Group(g) => collect_token_paths(g.stream(), out),
            TokenTree::Ident(id) if matches!(id.to_string().as_str(), "crate" | "super" | "self") => {
                let mut path = vec![id.to_string()];
                let mut j = i + 1;
                while j + 2 < tokens.len() + 1 {
                    let colons = matches!((&tokens.get(j), &tokens.get(j + 1)),
                        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':');
                    match (colons, tokens.get(j + 2)) {
                        (true, Some(TokenTree::Ident(next))) => {
                            path.push(next.to_string());
                            j += 3;
                        }
                        _ => break,
                    }
                }
                if path.len() > 1 {
                    out.push(path);
                }
                i = j.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
}

impl CrateModules {
    /// Reads the crate whose root file is `root` (`src/lib.rs`).
    fn read(root: &Path) -> Result<CrateModules, String> {
        let mut modules = BTreeMap::new();
        let mut queue = vec![(Vec::new(), root.to_path_buf(), true)];
        while let Some((path, file, owns_dir)) = queue.pop() {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let parsed = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            // A file's children live beside it (lib.rs, mod.rs) or in the
            // folder of its name (a.rs → a/).
            let dir = if owns_dir {
                file.parent().unwrap().to_path_buf()
            } else {
                file.with_extension("")
            };
            let mut module = Module {
                collapsed: true,
                ..Default::default()
            };
            let mut collector = PathCollector { paths: Vec::new() };
            for item in &parsed.items {
                if has_cfg_test(item_attrs(item)) {
                    continue;
                }
                if let Some(name) = item_name(item) {
                    module.items.insert(name);
                }
                match item {
                    syn::Item::Mod(m) if m.content.is_none() => {
                        let name = m.ident.to_string();
                        let child = match path_attr(&m.attrs) {
                            Some(p) => (file.parent().unwrap().join(p), true),
                            None if dir.join(&name).join("mod.rs").exists() => (dir.join(&name).join("mod.rs"), true),
                            None => (dir.join(format!("{name}.rs")), false),
                        };
                        let mut child_path = path.clone();
                        child_path.push(name.clone());
                        module.children.push(name);
                        queue.push((child_path, child.0, child.1));
                    }
                    syn::Item::Use(u) => {
                        let mut flat = Vec::new();
                        use_paths(&u.tree, &mut Vec::new(), &mut flat);
                        let public = !matches!(u.vis, syn::Visibility::Inherited);
                        for (p, bound) in flat {
                            module.refs.push(p.clone());
                            if public {
                                if bound == "*" {
                                    module.globs.push(p);
                                } else {
                                    module.reexports.insert(bound, p);
                                }
                            }
                        }
                    }
                    other => {
                        module.collapsed = false;
                        collector.visit_item(other);
                    }
                }
            }
            module.refs.extend(collector.paths);
            modules.insert(path, module);
        }
        // Make every reference absolute, now that all module names are known.
        let names: BTreeMap<ModPath, Vec<String>> =
            modules.iter().map(|(p, m)| (p.clone(), m.children.clone())).collect();
        for (path, module) in modules.iter_mut() {
            let absolute = |p: &Vec<String>| absolute_path(path, &names[path], p);
            module.refs = module.refs.iter().filter_map(absolute).collect();
            module.globs = module.globs.iter().filter_map(absolute).collect();
            module.reexports = module
                .reexports
                .iter()
                .filter_map(|(k, v)| absolute(v).map(|v| (k.clone(), v)))
                .collect();
        }
        Ok(CrateModules { modules })
    }

    /// The modules (files) an absolute path names: the deepest module it
    /// reaches, followed through re-exports; a collapsed module that cannot
    /// be seen through stands for all its children.
    fn resolve(&self, path: &[String], depth: usize) -> BTreeSet<ModPath> {
        let mut out = BTreeSet::new();
        if depth > 16 {
            return out;
        }
        let mut reach = 0;
        while reach < path.len() && self.modules.contains_key(&path[..reach + 1]) {
            reach += 1;
        }
        let module_path = path[..reach].to_vec();
        let module = &self.modules[&module_path];
        if let Some(name) = path.get(reach) {
            if let Some(target) = module.reexports.get(name) {
                let mut full = target.clone();
                full.extend_from_slice(&path[reach + 1..]);
                if full != path {
                    return self.resolve(&full, depth + 1);
                }
            }
            if !module.items.contains(name) {
                for glob in &module.globs {
                    let target = &self.modules.get(glob);
                    let found = target.is_some_and(|t| t.items.contains(name) || t.reexports.contains_key(name));
                    if found {
                        let mut full = glob.clone();
                        full.extend_from_slice(&path[reach..]);
                        return self.resolve(&full, depth + 1);
                    }
                }
            }
        }
        if module.collapsed {
            for (p, m) in self.modules.range(module_path.clone()..) {
                if !p.starts_with(&module_path) {
                    break;
                }
                if !m.collapsed {
                    out.insert(p.clone());
                }
            }
        } else {
            out.insert(module_path);
        }
        out
    }

    /// The import graph between file modules.
    fn graph(&self) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let mut graph: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        for (path, module) in &self.modules {
            if module.collapsed {
                continue;
            }
            let edges = graph.entry(path.clone()).or_default();
            for r in &module.refs {
                for target in self.resolve(r, 0) {
                    if &target != path {
                        edges.insert(target);
                    }
                }
            }
        }
        graph
    }
}

/// Turns a path as written in module `here` into a path from the crate
/// root, or `None` for a path outside the crate (another crate, std, a
/// local item).
fn absolute_path(here: &[String], children: &[String], p: &[String]) -> Option<ModPath> {
    let first = p.first()?;
    match first.as_str() {
        "crate" => Some(p[1..].to_vec()),
        "self" => Some(here.iter().chain(&p[1..]).cloned().collect()),
        "super" => {
            let mut base = here.to_vec();
            let mut rest = p;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            Some(base)
        }
        name if children.iter().any(|c| c == name) => Some(here.iter().chain(p).cloned().collect()),
        _ => None,
    }
}

/// A loop of imports, as module paths, the first repeated at the end.
fn find_loops(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    // Tarjan's strongly connected components.
    struct State<'g> {
        graph: &'g BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        components: Vec<Vec<&'g ModPath>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = s.graph.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            s.components.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    let mut loops = Vec::new();
    for component in s.components.into_iter().filter(|c| c.len() > 1) {
        let members: BTreeSet<&ModPath> = component.iter().copied().collect();
        let start = *members.iter().next().unwrap();
        // The shortest way back to the start, inside the component.
        let mut came_from: BTreeMap<&ModPath, &ModPath> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        let mut back = None;
        while let Some(v) = queue.pop_front() {
            for w in &graph[v] {
                if w == start {
                    back = Some(v);
                    break;
                }
                if members.contains(w) && !came_from.contains_key(w) && w != start {
                    let (w, _) = graph.get_key_value(w).unwrap();
                    came_from.insert(w, v);
                    queue.push_back(w);
                }
            }
            if back.is_some() {
                break;
            }
        }
        let mut cycle = vec![start.clone()];
        let mut at = back.expect("a component of two or more has a cycle through each member");
        let mut path = vec![at.clone()];
        while at != start {
            at = came_from[at];
            path.push(at.clone());
        }
        path.pop();
        path.reverse();
        cycle.extend(path);
        cycle.push(start.clone());
        loops.push(cycle);
    }
    loops
}

fn show(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

/// The import loops of the crate whose root file is `root`, each as
/// `a → b → a`.
pub fn import_loops(root: &Path) -> Result<Vec<String>, String> {
    let modules = CrateModules::read(root)?;
    Ok(find_loops(&modules.graph())
        .into_iter()
        .map(|cycle| cycle.iter().map(show).collect::<Vec<_>>().join(" → "))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planted(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_planted_two_file_loop_is_reported() {
        let dir = planted(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("a.rs", "use crate::b::B;\npub struct A(B);\n"),
            (
                "b.rs",
                "pub struct B;\npub fn make() -> super::a::A { super::a::A(B) }\n",
            ),
            ("c.rs", "use crate::a::A;\n"),
        ]);
        let loops = import_loops(&dir.path().join("lib.rs")).unwrap();
        assert_eq!(loops, ["a → b → a"]);
    }

    #[test]
    fn layers_that_only_import_downwards_pass() {
        let dir = planted(&[
            ("lib.rs", "pub mod a;\npub mod b;\npub use a::A;\n"),
            ("a.rs", "pub struct A;\n"),
            (
                "b.rs",
                "use crate::A;\npub fn f(_: A) { let _ = format!(\"{}\", crate::a::name()); }\n",
            ),
        ]);
        assert_eq!(import_loops(&dir.path().join("lib.rs")).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_mod_rs_that_only_re_exports_counts_as_its_children() {
        // x imports y through the parent's re-export; y imports x by path.
        let dir = planted(&[
            ("lib.rs", "mod m;\n"),
            ("m/mod.rs", "mod x;\nmod y;\npub use y::Y;\n"),
            ("m/x.rs", "pub struct X(super::Y);\n"),
            (
                "m/y.rs",
                "pub struct Y;\nfn f() { let _ = std::mem::size_of::<crate::m::x::X>(); }\n",
            ),
        ]);
        assert_eq!(
            import_loops(&dir.path().join("lib.rs")).unwrap(),
            ["m::x → m::y → m::x"]
        );
    }

    #[test]
    fn paths_inside_macros_and_through_three_files_count_and_tests_do_not() {
        let dir = planted(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("a.rs", "fn f() { println!(\"{}\", crate::b::N); }\n"),
            ("b.rs", "pub const N: u8 = crate::c::M;\n"),
            (
                "c.rs",
                "pub const M: u8 = 1;\n#[cfg(test)]\nmod tests { use crate::a; }\n",
            ),
        ]);
        assert!(import_loops(&dir.path().join("lib.rs")).unwrap().is_empty());
        std::fs::write(dir.path().join("c.rs"), "pub const M: u8 = 1;\nuse crate::a as _;\n").unwrap();
        assert_eq!(import_loops(&dir.path().join("lib.rs")).unwrap(), ["a → b → c → a"]);
    }

    #[test]
    fn visibility_is_not_an_import() {
        let dir = planted(&[
            ("lib.rs", "mod m;\n"),
            ("m/mod.rs", "mod x;\nmod y;\npub use x::X;\n"),
            (
                "m/x.rs",
                "pub struct X;\npub(super) fn f() -> super::y::Y { super::y::Y }\n",
            ),
            (
                "m/y.rs",
                "pub struct Y;\npub(crate) fn g() {}\npub(in crate::m) fn h() {}\n",
            ),
        ]);
        assert!(import_loops(&dir.path().join("lib.rs")).unwrap().is_empty());
    }
}
