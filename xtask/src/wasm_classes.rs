//! Drops from wasm-bindgen's output the JavaScript classes a page never uses, with the wasm exports only they
//! call. An export is a root wasm-opt must keep, so the code behind an unused class stays in the page until its
//! exports are gone. A class is only dropped when nothing left in the glue names it or those exports (the glue
//! never receives one from Rust, no other code calls them); otherwise the class stays, the page larger but
//! working. The functions only a dropped class could run go too ([`wasm_code`]).

use std::collections::HashSet;

use crate::util::Result;
use crate::wasm_code;
use crate::wasm_names::{EXPORT, assemble, encode_exports, exports, sections, uses};

/// `wasm` and `glue` (wasm-bindgen's, before minifying) without `classes` and their exports.
pub fn drop_classes(wasm: &[u8], glue: &str, classes: &[&str]) -> Result<(Vec<u8>, String)> {
    let mut sections = sections(wasm)?;
    let mut glue = glue.to_owned();
    let mut dropped: HashSet<String> = HashSet::new();
    let mut gone = Vec::new();
    for class in classes {
        if let Some((rest, calls)) = without_class(&glue, class) {
            glue = rest;
            dropped.extend(calls);
            gone.push(*class);
        }
    }
    for (id, body) in &mut sections {
        if *id == EXPORT {
            let mut list = exports(body)?;
            list.retain(|e| !dropped.contains(&e.name));
            *body = encode_exports(&list);
        }
    }
    match wasm_code::empty_functions_of(&mut sections, &gone) {
        Ok(0) => {}
        Ok(n) => println!("  emptied {n} functions only the dropped classes could run"),
        Err(e) => eprintln!("  note: the dropped classes' functions stay in the page: {e}"),
    }
    Ok((assemble(sections), glue))
}

/// The glue without `class` (its declaration, its `Symbol.dispose` alias, its `FinalizationRegistry`) and the
/// wasm exports those called; `None` if the class is not there as wasm-bindgen writes it or is still used.
fn without_class(glue: &str, class: &str) -> Option<(String, Vec<String>)> {
    let finalization = format!("{class}Finalization");
    let mut rest = glue.to_owned();
    let mut removed = String::new();
    let declaration = cut(&mut rest, &format!("export class {class} {{\n"), "\n}\n")?;
    removed.push_str(&declaration);
    removed.push_str(&cut(&mut rest, &format!("const {finalization} = "), ";\n")?);
    let dispose = format!(
        "if (Symbol.dispose) {class}.prototype[Symbol.dispose] = {class}.prototype.free;\n"
    );
    if let Some(at) = rest.find(&dispose) {
        rest.replace_range(at..at + dispose.len(), "");
    }
    let calls: Vec<String> = removed
        .split("wasm.")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                .collect()
        })
        .filter(|name: &String| !name.is_empty())
        .collect();
    let still_used = [class, finalization.as_str()]
        .into_iter()
        .chain(calls.iter().map(String::as_str))
        .any(|name| !uses(&rest, name).is_empty());
    (!still_used).then_some((rest, calls))
}

/// Removes from `text` the first span that starts a line with `start` and ends with the first `end` after it;
/// returns the span.
fn cut(text: &mut String, start: &str, end: &str) -> Option<String> {
    let from = text
        .match_indices(start)
        .map(|(at, _)| at)
        .find(|&at| at == 0 || text[..at].ends_with('\n'))?;
    let to = from + start.len() + text[from + start.len()..].find(end)? + end.len();
    let span = text[from..to].to_owned();
    text.replace_range(from..to, "");
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with only an export section: `names`, each exporting function 0.
    fn module(names: &[&str]) -> Vec<u8> {
        let mut exports = vec![names.len() as u8];
        for name in names {
            exports.push(name.len() as u8);
            exports.extend_from_slice(name.as_bytes());
            exports.extend_from_slice(&[0, 0]);
        }
        assemble(vec![(EXPORT, exports)])
    }

    fn export_names(wasm: &[u8]) -> Vec<String> {
        crate::wasm_names::names(wasm).1
    }

    /// The shape of wasm-bindgen 0.2's glue for an exported Rust struct `Source`.
    const GLUE: &str = "export class Source {\n    free() {\n        \
                        wasm.__wbg_source_free(this.__wbg_ptr, 0);\n    }\n    \
                        pull(c) {\n        return wasm.source_pull(this.__wbg_ptr, c);\n    }\n}\n\
                        if (Symbol.dispose) Source.prototype[Symbol.dispose] = Source.prototype.free;\n\n\
                        export function start_embed() {\n    wasm.start_embed();\n}\n\
                        const SourceFinalization = (typeof FinalizationRegistry === 'undefined')\n    \
                        ? { register: () => {}, unregister: () => {} }\n    \
                        : new FinalizationRegistry(ptr => wasm.__wbg_source_free(ptr, 1));\n";

    const EXPORTS: &[&str] = &["__wbg_source_free", "source_pull", "start_embed"];

    #[test]
    fn an_unused_class_goes_with_its_exports() {
        let (wasm, glue) = drop_classes(&module(EXPORTS), GLUE, &["Source"]).expect("dropped");
        assert_eq!(
            glue,
            "\nexport function start_embed() {\n    wasm.start_embed();\n}\n"
        );
        assert_eq!(export_names(&wasm), ["start_embed"]);
    }

    #[test]
    fn a_class_the_glue_still_uses_stays() {
        for glue in [
            format!("{GLUE}function wrap(p) {{ return Source.__wrap(p); }}\n"),
            format!("{GLUE}wasm.source_pull(0, 1);\n"),
        ] {
            let (wasm, out) = drop_classes(&module(EXPORTS), &glue, &["Source"]).expect("read");
            assert_eq!(out, glue);
            assert_eq!(export_names(&wasm), EXPORTS);
        }
        let (wasm, out) = drop_classes(&module(EXPORTS), GLUE, &["Sink"]).expect("read");
        assert_eq!(out, GLUE);
        assert_eq!(export_names(&wasm), EXPORTS);
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let m = module(EXPORTS);
        for cut in 0..m.len() {
            let _ = drop_classes(&m[..cut], GLUE, &["Source"]);
        }
        assert!(drop_classes(&m[..m.len() - 3], GLUE, &["Source"]).is_err());
    }
}
