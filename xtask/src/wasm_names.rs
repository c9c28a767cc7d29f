//! Shortens the names that wasm-bindgen gives the wasm's imports and exports (`__wbg_setTimeout_a60d83bec06b4345`,
//! `wasm_bindgen__convert__closures_____invoke__h10c7…`) to one or two letters, in the wasm and in its glue
//! alike. Each name is spelt out twice (wasm and JavaScript) with a hash gzip cannot squeeze: ~130 of them cost
//! a page ~4 KB gzip. A name is only renamed where the glue uses it in the one form this rewrites (an import as
//! the key of the import object, an export as `wasm.<name>`); anything else keeps its name, so an unexpected
//! glue is left working, only larger.

use std::collections::HashSet;

use crate::util::Result;

/// `wasm` (wasm-bindgen's output) and `glue` (its JavaScript, before minifying), both renamed.
pub fn shorten(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String)> {
    let mut sections = sections(wasm)?;
    let mut glue = glue.to_owned();
    let mut taken: HashSet<String> = HashSet::new();
    for (id, body) in &sections {
        match *id {
            IMPORT => taken.extend(imports(body)?.into_iter().map(|i| i.name)),
            EXPORT => taken.extend(exports(body)?.into_iter().map(|e| e.name)),
            _ => {}
        }
    }
    let mut names = Names { taken, next: 0 };
    for (id, body) in &mut sections {
        match *id {
            IMPORT => {
                let mut list = imports(body)?;
                for import in &mut list {
                    if let Some(at) = only_key(&glue, &import.name) {
                        let short = names.fresh("");
                        glue.replace_range(at..at + import.name.len(), &short);
                        import.name = short;
                    }
                }
                *body = encode_imports(&list);
            }
            EXPORT => {
                let mut list = exports(body)?;
                for export in &mut list {
                    let uses = uses(&glue, &export.name);
                    if !uses.is_empty() && uses.iter().all(|&at| glue[..at].ends_with("wasm.")) {
                        let short = names.fresh("$");
                        glue = replace_all(&glue, &uses, export.name.len(), &short);
                        export.name = short;
                    }
                }
                *body = encode_exports(&list);
            }
            _ => {}
        }
    }
    Ok((assemble(sections), glue))
}

pub(crate) const IMPORT: u8 = 2;
pub(crate) const EXPORT: u8 = 7;

struct Names {
    taken: HashSet<String>,
    next: usize,
}

impl Names {
    /// The next short name not already in the module: `a`…`Z`, then `ab`…
    fn fresh(&mut self, prefix: &str) -> String {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        loop {
            let mut k = self.next;
            self.next += 1;
            let mut name = prefix.to_owned();
            name.push(LETTERS[k % LETTERS.len()] as char);
            k /= LETTERS.len();
            while k > 0 {
                name.push(LETTERS[k % LETTERS.len()] as char);
                k /= LETTERS.len();
            }
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// Where `name` occurs in `text` as a whole JavaScript identifier.
pub(crate) fn uses(text: &str, name: &str) -> Vec<usize> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(name) {
        let at = from + i;
        let end = at + name.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            found.push(at);
        }
        from = end;
    }
    found
}

/// The position of `name` if it is used exactly once, as an object key (`name:`).
fn only_key(text: &str, name: &str) -> Option<usize> {
    match uses(text, name)[..] {
        [at] if text[at + name.len()..].starts_with(':') => Some(at),
        _ => None,
    }
}

fn replace_all(text: &str, at: &[usize], len: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &i in at {
        out.push_str(&text[last..i]);
        out.push_str(with);
        last = i + len;
    }
    out.push_str(&text[last..]);
    out
}

// ---------------------------------------------------------------- the wasm binary, as far as names go

pub(crate) struct Import {
    module: Vec<u8>,
    name: String,
    /// The import's kind and type, copied as they are.
    pub(crate) desc: Vec<u8>,
}

pub(crate) struct Export {
    pub(crate) name: String,
    pub(crate) desc: Vec<u8>,
}

pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).ok_or("wasm: unexpected end")?;
        self.at += 1;
        Ok(b)
    }

    pub(crate) fn leb(&mut self) -> Result<usize> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= usize::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err("wasm: LEB128 number too long".into())
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("wasm: unexpected end")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    pub(crate) fn name(&mut self) -> Result<String> {
        let n = self.leb()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "wasm: a name is not UTF-8".into())
    }

    fn limits(&mut self) -> Result {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 == 1 {
            self.leb()?;
        }
        Ok(())
    }
}

/// The module's sections, each as its id and body.
pub(crate) fn sections(wasm: &[u8]) -> Result<Vec<(u8, Vec<u8>)>> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a wasm module (version 1)".into());
    }
    let mut r = Reader { bytes: wasm, at: 8 };
    let mut out = Vec::new();
    while r.at < wasm.len() {
        let id = r.byte()?;
        let n = r.leb()?;
        out.push((id, r.take(n)?.to_vec()));
    }
    Ok(out)
}

/// A module (version 1) made of `sections`.
pub(crate) fn assemble(sections: Vec<(u8, Vec<u8>)>) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    for (id, body) in sections {
        out.push(id);
        leb(&mut out, body.len());
        out.extend_from_slice(&body);
    }
    out
}

pub(crate) fn imports(body: &[u8]) -> Result<Vec<Import>> {
    let mut r = Reader::new(body);
    let count = r.leb()?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let n = r.leb()?;
        let module = r.take(n)?.to_vec();
        let name = r.name()?;
        let start = r.at;
        match r.byte()? {
            0 => {
                r.leb()?; // function: type index
            }
            1 => {
                r.byte()?; // table: element type, limits
                r.limits()?;
            }
            2 => r.limits()?, // memory
            3 => {
                r.take(2)?; // global: value type, mutability
            }
            4 => {
                r.byte()?; // tag: attribute, type index
                r.leb()?;
            }
            kind => return Err(format!("wasm: unknown import kind {kind}")),
        }
        out.push(Import {
            module,
            name,
            desc: body[start..r.at].to_vec(),
        });
    }
    Ok(out)
}

pub(crate) fn exports(body: &[u8]) -> Result<Vec<Export>> {
    let mut r = Reader::new(body);
    let count = r.leb()?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let name = r.name()?;
        let start = r.at;
        r.byte()?;
        r.leb()?;
        out.push(Export {
            name,
            desc: body[start..r.at].to_vec(),
        });
    }
    Ok(out)
}

fn encode_imports(list: &[Import]) -> Vec<u8> {
    let mut out = Vec::new();
    leb(&mut out, list.len());
    for i in list {
        leb(&mut out, i.module.len());
        out.extend_from_slice(&i.module);
        leb(&mut out, i.name.len());
        out.extend_from_slice(i.name.as_bytes());
        out.extend_from_slice(&i.desc);
    }
    out
}

pub(crate) fn encode_exports(list: &[Export]) -> Vec<u8> {
    let mut out = Vec::new();
    leb(&mut out, list.len());
    for e in list {
        leb(&mut out, e.name.len());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.desc);
    }
    out
}

/// The names of `wasm`'s imports and of its exports, for tests.
#[cfg(test)]
pub(crate) fn names(wasm: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut import_names, mut export_names) = (Vec::new(), Vec::new());
    for (id, body) in sections(wasm).expect("a module") {
        match id {
            IMPORT => {
                import_names = imports(&body)
                    .expect("imports")
                    .into_iter()
                    .map(|i| i.name)
                    .collect()
            }
            EXPORT => {
                export_names = exports(&body)
                    .expect("exports")
                    .into_iter()
                    .map(|e| e.name)
                    .collect()
            }
            _ => {}
        }
    }
    (import_names, export_names)
}

pub(crate) fn leb(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing `./m_bg.js`'s `__wbg_log_0123456789abcdef` (function type 0) and exporting its
    /// memory as `memory` and function 0 as `__wbindgen_start`.
    fn module() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // type section: one type, () -> ()
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        let mut imports = vec![1];
        imports.push(9);
        imports.extend_from_slice(b"./m_bg.js");
        imports.push(26);
        imports.extend_from_slice(b"__wbg_log_0123456789abcdef");
        imports.extend_from_slice(&[0, 0]);
        m.push(IMPORT);
        leb(&mut m, imports.len());
        m.extend_from_slice(&imports);
        // memory section: one memory, min 1
        m.extend_from_slice(&[5, 3, 1, 0, 1]);
        let mut exports = vec![2, 6];
        exports.extend_from_slice(b"memory");
        exports.extend_from_slice(&[2, 0, 16]);
        exports.extend_from_slice(b"__wbindgen_start");
        exports.extend_from_slice(&[0, 0]);
        m.push(EXPORT);
        leb(&mut m, exports.len());
        m.extend_from_slice(&exports);
        m
    }

    const GLUE: &str = "const import0 = { __wbg_log_0123456789abcdef: function() { console.log(wasm.memory); } };\n\
                        wasm.__wbindgen_start();\nexport function memory_size() {}";

    #[test]
    fn renames_an_import_and_the_exports_only_the_wasm_object_uses() {
        let (wasm, glue) = shorten(&module(), GLUE).expect("renamed");
        let (imports, exports) = names(&wasm);
        assert_eq!(imports, ["a"]);
        assert_eq!(exports, ["$b", "$c"]);
        assert_eq!(
            glue,
            "const import0 = { a: function() { console.log(wasm.$b); } };\nwasm.$c();\nexport function memory_size() {}"
        );
    }

    #[test]
    fn a_name_used_another_way_keeps_its_name() {
        let glue = format!("{GLUE}\nconst memory = 1; __wbg_log_0123456789abcdef();");
        let (wasm, out) = shorten(&module(), &glue).expect("renamed");
        assert!(out.contains("__wbg_log_0123456789abcdef: function"));
        assert!(out.contains("wasm.memory"));
        assert!(out.contains("wasm.$a()"), "{out}");
        assert!(wasm.windows(6).any(|w| w == b"memory"));
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let m = module();
        for cut in 0..m.len() {
            let _ = shorten(&m[..cut], GLUE);
        }
        assert!(shorten(&m[..m.len() - 3], GLUE).is_err());
        assert!(shorten(b"not wasm", GLUE).is_err());
    }
}
