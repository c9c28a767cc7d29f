//! Empties the functions that only a dropped class could run. Dropping a class's exports ([`wasm_classes`])
//! is not enough: the futures and closures its methods create are called through the function table (a boxed
//! future's `poll`, a closure's `call`), and wasm-opt keeps whatever the table holds, since it cannot tell which
//! vtables in memory are still reachable. For wasm-streams' three classes that was 4 KB gzip a page.
//!
//! A function is emptied (its body becomes `unreachable`) when its name, which wasm-bindgen leaves demangled,
//! names one of the classes' Rust types as a path segment (`<wasm_streams::…::IntoUnderlyingSink>::write::
//! {closure#0}`, `drop_in_place::<Rc<WasmRefCell<IntoUnderlyingSink>>>`): such a function is an instance made for
//! that type, and only code holding a value of it can reach it. No value exists once the class is gone: the
//! glue never receives one ([`wasm_classes`] checks that) and the methods that made its futures are no longer
//! exported. Two guards make that hold in the module itself, not only in the argument:
//! - a function that anything still live calls directly, exports, starts with, or puts in the table without
//!   being such an instance, keeps its body, and so does everything it calls;
//! - the build compiles with `-Zmerge-functions=disabled` (`widget.rs`), so LLVM never folds a live function
//!   into an identical one bearing a dropped type's name (wasm-opt folds duplicates later, after this).
//!
//! An instruction this reader does not know (it reads the MVP, sign-extension, saturating conversions, bulk
//! memory, reference types, multi-value and tail calls, which is what rustc emits for wasm32 today) leaves the
//! module as it is: the page is larger, never broken.
//!
//! [`wasm_classes`]: crate::wasm_classes

use std::collections::{HashMap, HashSet};

use crate::util::Result;
use crate::wasm_names::{EXPORT, IMPORT, Reader, exports, imports, leb};

const GLOBAL: u8 = 6;
const START: u8 = 8;
const ELEMENT: u8 = 9;
const CODE: u8 = 10;

/// Empties in `sections` the functions made for `types` (Rust type names, the last segment of their path) that
/// nothing live reaches; returns how many. An error means the module was left untouched.
pub fn empty_functions_of(sections: &mut [(u8, Vec<u8>)], types: &[&str]) -> Result<usize> {
    let module = Module::read(sections)?;
    let candidates: HashSet<usize> = module
        .names
        .iter()
        .filter(|&(&f, name)| f >= module.imported && types.iter().any(|t| names_type(name, t)))
        .map(|(&f, _)| f)
        .collect();
    if candidates.is_empty() {
        return Ok(0);
    }
    let mut live: HashSet<usize> = HashSet::new();
    let mut queue: Vec<usize> = module.roots.iter().copied().collect();
    queue.extend(module.table.iter().filter(|f| !candidates.contains(f)));
    while let Some(f) = queue.pop() {
        if !live.insert(f) {
            continue;
        }
        if let Some(body) = f
            .checked_sub(module.imported)
            .and_then(|i| module.bodies.get(i))
        {
            queue.extend(references(body)?);
        }
    }
    let emptied: HashSet<usize> = candidates.difference(&live).copied().collect();
    if emptied.is_empty() {
        return Ok(0);
    }

    let mut code = Vec::new();
    leb(&mut code, module.bodies.len());
    for (i, body) in module.bodies.iter().enumerate() {
        // No locals; `unreachable`; `end`. Valid for any signature.
        let body: &[u8] = if emptied.contains(&(module.imported + i)) {
            &[0x00, 0x00, 0x0b]
        } else {
            body
        };
        leb(&mut code, body.len());
        code.extend_from_slice(body);
    }
    for (id, body) in sections.iter_mut() {
        if *id == CODE {
            *body = code;
            break;
        }
    }
    Ok(emptied.len())
}

/// Whether a demangled `name` has `ty` as a whole path segment (`…::IntoUnderlyingSink>` but not
/// `…::IntoUnderlyingSinkExt`).
fn names_type(name: &str, ty: &str) -> bool {
    let segment = format!("::{ty}");
    name.match_indices(&segment).any(|(at, _)| {
        !name[at + segment.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// What the emptying needs to know of a module.
struct Module<'a> {
    /// How many functions are imported: a defined function's index is this plus its place in the code section.
    imported: usize,
    /// Function names from the `name` section.
    names: HashMap<usize, String>,
    /// Functions the host reaches: exported, the start function, referenced by a global.
    roots: HashSet<usize>,
    /// Functions in the table (element segments).
    table: Vec<usize>,
    bodies: Vec<&'a [u8]>,
}

impl<'a> Module<'a> {
    fn read(sections: &'a [(u8, Vec<u8>)]) -> Result<Self> {
        let mut m = Module {
            imported: 0,
            names: HashMap::new(),
            roots: HashSet::new(),
            table: Vec::new(),
            bodies: Vec::new(),
        };
        for (id, body) in sections {
            let mut r = Reader::new(body);
            match *id {
                0 if r.name()? == "name" => m.names = function_names(&mut r)?,
                IMPORT => m.imported = imports(body)?.iter().filter(|i| i.desc[0] == 0).count(),
                GLOBAL => {
                    for _ in 0..r.leb()? {
                        r.take(2)?; // value type, mutability
                        m.roots.extend(expression(&mut r)?);
                    }
                }
                EXPORT => {
                    for export in exports(body)? {
                        let mut desc = Reader::new(&export.desc);
                        if desc.byte()? == 0 {
                            m.roots.insert(desc.leb()?);
                        }
                    }
                }
                START => {
                    m.roots.insert(r.leb()?);
                }
                ELEMENT => m.table = elements(&mut r)?,
                CODE => {
                    for _ in 0..r.leb()? {
                        let n = r.leb()?;
                        m.bodies.push(r.take(n)?);
                    }
                }
                _ => {}
            }
        }
        Ok(m)
    }
}

/// The `name` section's function names (subsection 1).
fn function_names(r: &mut Reader) -> Result<HashMap<usize, String>> {
    let mut out = HashMap::new();
    while r.at < r.bytes.len() {
        let (id, n) = (r.byte()?, r.leb()?);
        let mut sub = Reader::new(r.take(n)?);
        if id == 1 {
            for _ in 0..sub.leb()? {
                let f = sub.leb()?;
                out.insert(f, sub.name()?);
            }
        }
    }
    Ok(out)
}

/// Every function the element segments name.
fn elements(r: &mut Reader) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for _ in 0..r.leb()? {
        let flags = r.leb()?;
        if flags > 7 {
            return Err(format!("wasm: unknown element segment kind {flags}"));
        }
        if flags & 1 == 0 {
            if flags & 2 != 0 {
                r.leb()?; // table index
            }
            expression(r)?; // offset
        }
        if flags & 3 != 0 {
            r.byte()?; // element kind or reference type
        }
        for _ in 0..r.leb()? {
            if flags & 4 == 0 {
                out.push(r.leb()?);
            } else {
                out.extend(expression(r)?);
            }
        }
    }
    Ok(out)
}

/// The functions a constant expression references, reading up to its `end`.
fn expression(r: &mut Reader) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    while instruction(r, &mut out)? != 0x0b {}
    Ok(out)
}

/// The functions a body calls directly or takes a reference to.
fn references(body: &[u8]) -> Result<Vec<usize>> {
    let mut r = Reader::new(body);
    for _ in 0..r.leb()? {
        r.leb()?; // count
        r.byte()?; // value type
    }
    let mut out = Vec::new();
    while r.at < body.len() {
        instruction(&mut r, &mut out)?;
    }
    Ok(out)
}

/// Reads one instruction, noting in `out` a function it calls or references; returns its opcode.
fn instruction(r: &mut Reader, out: &mut Vec<usize>) -> Result<u8> {
    let op = r.byte()?;
    match op {
        // unreachable, nop, else, end, return, drop, select; comparisons, arithmetic, conversions and
        // sign extension; ref.is_null.
        0x00 | 0x01 | 0x05 | 0x0b | 0x0f | 0x1a | 0x1b | 0x45..=0xc4 | 0xd1 => {}
        // block, loop, if: an empty type, a value type or a type index (signed LEB)
        0x02..=0x04 => {
            if !matches!(r.byte()?, 0x40 | 0x6f | 0x70 | 0x7b..=0x7f) {
                r.at -= 1;
                skip_leb(r)?;
            }
        }
        // br, br_if, local.*, global.*, table.get/set, memory.size/grow
        0x0c | 0x0d | 0x20..=0x26 | 0x3f | 0x40 => skip_leb(r)?,
        0x0e => {
            for _ in 0..=r.leb()? {
                skip_leb(r)?;
            }
        }
        // call, return_call, ref.func
        0x10 | 0x12 | 0xd2 => out.push(r.leb()?),
        // call_indirect, return_call_indirect
        0x11 | 0x13 => {
            skip_leb(r)?;
            skip_leb(r)?;
        }
        0x1c => {
            let n = r.leb()?;
            r.take(n)?;
        }
        // loads and stores: alignment (bit 6: a memory index follows), offset
        0x28..=0x3e => {
            if r.leb()? & 0x40 != 0 {
                skip_leb(r)?;
            }
            skip_leb(r)?;
        }
        0x41 | 0x42 => skip_leb(r)?,
        0x43 => {
            r.take(4)?;
        }
        0x44 => {
            r.take(8)?;
        }
        0xd0 => {
            r.byte()?;
        }
        0xfc => match r.leb()? {
            0..=7 => {}
            8 | 10 | 12 | 14 => {
                skip_leb(r)?;
                skip_leb(r)?;
            }
            9 | 11 | 13 | 15..=17 => skip_leb(r)?,
            sub => return Err(format!("wasm: unknown instruction 0xfc {sub}")),
        },
        _ => return Err(format!("wasm: unknown instruction {op:#04x}")),
    }
    Ok(op)
}

/// Skips a LEB128 number of any width (an `i64.const` takes up to ten bytes).
fn skip_leb(r: &mut Reader) -> Result {
    for _ in 0..10 {
        if r.byte()? < 0x80 {
            return Ok(());
        }
    }
    Err("wasm: LEB128 number too long".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm_names::{assemble, sections};

    fn vec_of(items: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        leb(&mut out, items.len());
        for item in items {
            out.extend_from_slice(item);
        }
        out
    }

    fn sized(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        leb(&mut out, bytes.len());
        out.extend_from_slice(bytes);
        out
    }

    /// A module of functions `() -> ()`, one imported (index 0), then `defined` as (name, body instructions),
    /// with `exported` and `table` holding function indices.
    fn module(defined: &[(&str, Vec<u8>)], exported: &[usize], table: &[usize]) -> Vec<u8> {
        let import = [sized(b"env"), sized(b"f"), vec![0, 0]].concat();
        let exports: Vec<Vec<u8>> = exported
            .iter()
            .map(|&f| [sized(format!("e{f}").as_bytes()), vec![0, f as u8]].concat())
            .collect();
        let elements = [
            vec![0, 0x41, 1, 0x0b],
            vec_of(&table.iter().map(|&f| vec![f as u8]).collect::<Vec<_>>()),
        ]
        .concat();
        let bodies: Vec<Vec<u8>> = defined
            .iter()
            .map(|(_, code)| sized(&[&[0][..], code, &[0x0b]].concat()))
            .collect();
        let mut names: Vec<Vec<u8>> = vec![[vec![0], sized(b"f")].concat()];
        for (i, (name, _)) in defined.iter().enumerate() {
            names.push([vec![i as u8 + 1], sized(name.as_bytes())].concat());
        }
        let name_section = [sized(b"name"), vec![1], sized(&vec_of(&names))].concat();
        assemble(vec![
            (1, vec_of(&[vec![0x60, 0, 0]])),
            (IMPORT, vec_of(&[import])),
            (3, vec_of(&vec![vec![0]; defined.len()])),
            (4, vec_of(&[vec![0x70, 0, 8]])),
            (EXPORT, vec_of(&exports)),
            (ELEMENT, vec_of(&[elements])),
            (CODE, vec_of(&bodies)),
            (0, name_section),
        ])
    }

    /// The defined functions' bodies after emptying the ones made for `Sink`; returns them and how many.
    fn emptied(wasm: &[u8]) -> (Vec<Vec<u8>>, usize) {
        let mut sections = sections(wasm).expect("a module");
        let n = empty_functions_of(&mut sections, &["Sink"]).expect("read");
        let module = Module::read(&sections).expect("read");
        (module.bodies.iter().map(|b| b.to_vec()).collect(), n)
    }

    const EMPTY: [u8; 3] = [0x00, 0x00, 0x0b];

    #[test]
    fn a_function_only_the_table_holds_is_emptied_with_what_only_it_calls() {
        // 1 live (exported), 2 a Sink closure in the table calling 3 (a Sink helper) and 0 (an import),
        // 4 an i64.const and a load before a call to 1, 5 a type that only shares a prefix.
        let wasm = module(
            &[
                ("live::start", vec![0x10, 0]),
                (
                    "<streams::Sink>::write::{closure#0}",
                    vec![0x10, 3, 0x10, 0],
                ),
                ("core::ptr::drop_in_place::<Rc<streams::Sink>>", vec![0x01]),
                (
                    "<streams::Sink as Trait>::poll",
                    vec![0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x1a, 0x10, 1],
                ),
                ("streams::SinkExt::go", vec![0x01]),
            ],
            &[1],
            &[2, 4, 5],
        );
        let (bodies, n) = emptied(&wasm);
        assert_eq!(n, 3);
        assert_eq!(bodies[0], [0, 0x10, 0, 0x0b]);
        assert_eq!(bodies[1], EMPTY);
        assert_eq!(bodies[2], EMPTY);
        assert_eq!(bodies[3], EMPTY);
        assert_eq!(bodies[4], [0, 0x01, 0x0b]);
    }

    #[test]
    fn a_function_live_code_calls_keeps_its_body_and_its_callees() {
        // 1 exported calls 2 (a Sink function), which calls 3 (another).
        let wasm = module(
            &[
                ("live::start", vec![0x10, 2]),
                ("<streams::Sink>::new", vec![0x10, 3]),
                ("drop_in_place::<streams::Sink>", vec![0x01]),
            ],
            &[1],
            &[],
        );
        let (bodies, n) = emptied(&wasm);
        assert_eq!(n, 0);
        assert_eq!(bodies[1], [0, 0x10, 3, 0x0b]);
        // Exported or in the table by a live function's hand: kept too.
        let wasm = module(&[("<streams::Sink>::free", vec![0x01])], &[1], &[]);
        assert_eq!(emptied(&wasm).1, 0);
        let wasm = module(
            &[
                ("live::vtable_user", vec![0xd2, 2, 0x1a]),
                ("<streams::Sink>::call", vec![0x01]),
            ],
            &[],
            &[1],
        );
        assert_eq!(emptied(&wasm).1, 0);
    }

    #[test]
    fn an_unknown_instruction_leaves_the_module_as_it_was() {
        // 0xfd: SIMD, which this reader does not decode.
        let wasm = module(
            &[
                ("live::start", vec![0xfd, 0x0c]),
                ("<streams::Sink>::write::{closure#0}", vec![0x01]),
            ],
            &[1],
            &[2],
        );
        let mut sections = sections(&wasm).expect("a module");
        let before = sections.clone();
        assert!(empty_functions_of(&mut sections, &["Sink"]).is_err());
        assert_eq!(sections, before);
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let wasm = module(
            &[("<streams::Sink>::write::{closure#0}", vec![0x10, 0])],
            &[],
            &[1],
        );
        for cut in 8..wasm.len() {
            if let Ok(mut sections) = sections(&wasm[..cut]) {
                let _ = empty_functions_of(&mut sections, &["Sink"]);
            }
        }
    }
}
