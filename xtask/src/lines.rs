//! The second layout check, run by `cargo xtask test`: **short files.** No
//! source file has more than [`MAX_CODE_LINES`] lines that are not blank,
//! not comments (doc comments included) and not inside `#[cfg(test)]`.
//! Lines are told from `proc-macro2`'s tokens, so a `//` inside a string or
//! a comment inside code is read as Rust reads it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};

use crate::source::{has_cfg_test, item_attrs};

/// Most lines of code a source file may have (outside tests).
pub const MAX_CODE_LINES: usize = 500;

/// Lines of `text` that hold code: not blank, not a comment (doc comments
/// included) and not inside an item under `#[cfg(test)]`.
pub fn code_lines(text: &str) -> Result<usize, String> {
    let file = syn::parse_file(text).map_err(|e| e.to_string())?;
    let mut test_lines: Vec<(usize, usize)> = Vec::new();
    let mut note_tests = |attrs: &[syn::Attribute], span: proc_macro2::Span| {
        if has_cfg_test(attrs) {
            test_lines.push((span.start().line, span.end().line));
        }
    };
    for item in &file.items {
        note_tests(item_attrs(item), syn::spanned::Spanned::span(item));
        if let syn::Item::Impl(imp) = item {
            for inner in &imp.items {
                if let syn::ImplItem::Fn(f) = inner {
                    note_tests(&f.attrs, syn::spanned::Spanned::span(f));
                }
            }
        }
    }
    let tokens: TokenStream = text.parse().map_err(|e: proc_macro2::LexError| e.to_string())?;
    let mut lines = BTreeSet::new();
    token_lines(tokens, &mut lines);
    Ok(lines
        .into_iter()
        .filter(|l| !test_lines.iter().any(|(a, b)| (a..=b).contains(&l)))
        .count())
}

fn token_lines(tokens: TokenStream, lines: &mut BTreeSet<usize>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        // A doc comment is `#` (`!`) `[doc = "..."]`: not code.
        if let TokenTree::Punct(p) = &tokens[i]
            && p.as_char() == '#'
        {
            let bang = matches!(tokens.get(i + 1), Some(TokenTree::Punct(b)) if b.as_char() == '!');
            let at = if bang { i + 2 } else { i + 1 };
            if let Some(TokenTree::Group(g)) = tokens.get(at)
                && g.stream()
                    .into_iter()
                    .next()
                    .is_some_and(|t| matches!(&t, TokenTree::Ident(id) if id == "doc"))
            {
                i = at + 1;
                continue;
            }
        }
        match &tokens[i] {
            TokenTree::Group(g) => {
                lines.insert(g.span_open().start().line);
                lines.insert(g.span_close().start().line);
                token_lines(g.stream(), lines);
            }
            other => {
                let span = other.span();
                lines.extend(span.start().line..=span.end().line);
            }
        }
        i += 1;
    }
}

/// The source files under `dir` whose code is longer than the limit.
pub fn long_files(dir: &Path) -> Result<Vec<(PathBuf, usize)>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let n = code_lines(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                if n > MAX_CODE_LINES {
                    out.push((path, n));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lines_leave_out_blanks_comments_docs_and_tests() {
        let text = "//! A module.\n\n/// A function.\nfn f() {\n    // why\n    let s = \"https://x\"; /* more */\n}\n/* a\n block */\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\n";
        assert_eq!(code_lines(text).unwrap(), 3);
    }
}
