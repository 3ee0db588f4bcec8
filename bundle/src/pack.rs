//! Packs: one file per lazy page holding every chunk the page needs, so that opening the page
//! straight from its address downloads one stream compressed as a whole instead of a hundred
//! small files compressed one by one.
//!
//! - The split manifest (which Leptos reads to name a server-rendered page's chunks in
//!   `<link rel="preload">` tags) names each page's pack instead of its chunks.
//! - The chunk loader, at start, fetches the packs the page names (the preloaded responses)
//!   and takes a chunk from them when it has it; any other chunk (a page reached by a link
//!   later) is fetched on its own, as before.
//!
//! A pack is named `pack_<split point>.<hash>.wasm`, as Leptos names every preloaded module,
//! though it is not a module itself. Its layout, little-endian: the number of chunks (u32);
//! for each, its name's length (u8), the name, and its size (u32); then the chunks' bytes in
//! that order.

use anyhow::{bail, Result};
use regex::Regex;
use std::collections::BTreeMap;

/// The file a split point's pack is written to.
pub fn file_name(split: &str, hash: &str) -> String {
    format!("pack_{split}.{hash}.wasm")
}

/// The manifest Leptos reads: each split point names its pack (without the extension).
pub fn manifest_of_packs(manifest: &BTreeMap<String, Vec<String>>, hash: &str) -> BTreeMap<String, Vec<String>> {
    manifest
        .keys()
        .map(|split| (split.clone(), vec![file_name(split, hash).trim_end_matches(".wasm").to_owned()]))
        .collect()
}

/// `chunks` (name, bytes) in one pack.
pub fn pack(chunks: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(chunks.iter().map(|(n, b)| n.len() + b.len() + 5).sum::<usize>() + 4);
    out.extend_from_slice(&(chunks.len() as u32).to_le_bytes());
    for (name, bytes) in chunks {
        let Ok(length) = u8::try_from(name.len()) else { bail!("a chunk's name is too long for a pack: {name}") };
        out.push(length);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&u32::try_from(bytes.len())?.to_le_bytes());
    }
    for (_, bytes) in chunks {
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// What [`pack`] packed, in order (the loader's reading of it, in Rust for the tests).
pub fn unpack(pack: &[u8]) -> Option<Vec<(String, &[u8])>> {
    let count = u32::from_le_bytes(pack.get(..4)?.try_into().ok()?) as usize;
    let mut at = 4;
    let mut heads = Vec::with_capacity(count);
    for _ in 0..count {
        let length = *pack.get(at)? as usize;
        let name = std::str::from_utf8(pack.get(at + 1..at + 1 + length)?).ok()?.to_owned();
        at += 1 + length;
        let size = u32::from_le_bytes(pack.get(at..at + 4)?.try_into().ok()?) as usize;
        at += 4;
        heads.push((name, size));
    }
    let mut chunks = Vec::with_capacity(count);
    for (name, size) in heads {
        chunks.push((name, pack.get(at..at + size)?));
        at += size;
    }
    (at == pack.len()).then_some(chunks)
}

/// The loader's part that reads packs: `chunk(name)` is what each chunk's fetcher becomes.
/// The packs are the page's `<link rel="preload">` of `pack_…` files: the same request, so the
/// browser answers it from the preload. A pack that fails to arrive only means its chunks are
/// fetched one by one.
const PACK_READER: &str = r#"const packs = Array.from(document.querySelectorAll('link[rel="preload"][href*="/pack_"]'), (link) =>
    fetch(link.href).then((r) => (r.ok ? r.arrayBuffer() : null)).then(unpack).catch(() => null));
function unpack(buffer) {
    if (!buffer) return null;
    const view = new DataView(buffer), bytes = new Uint8Array(buffer), heads = [], chunks = new Map();
    let at = 4;
    for (let i = 0, n = view.getUint32(0, true); i < n; i++) {
        const length = bytes[at];
        const name = new TextDecoder().decode(bytes.subarray(at + 1, at + 1 + length));
        at += 1 + length;
        heads.push([name, view.getUint32(at, true)]);
        at += 4;
    }
    for (const [name, size] of heads) {
        chunks.set(name, bytes.subarray(at, at + size));
        at += size;
    }
    return chunks;
}
function chunk(name, wrap = (instantiating) => instantiating) {
    return () => {
        const src = (async () => {
            for (const pack of packs) {
                const chunks = await pack;
                const bytes = chunks && chunks.get(name);
                if (bytes) {
                    chunks.delete(name);
                    return bytes;
                }
            }
            return fetch(new URL(`./${name}.wasm`, import.meta.url));
        })();
        return async (imports) => {
            const source = await src;
            return wrap(source instanceof Response ? WebAssembly.instantiateStreaming(source, imports) : WebAssembly.instantiate(source, imports));
        };
    };
}
"#;

/// The loader with each chunk's fetcher reading from the packs first ([`PACK_READER`]).
/// Refuses a loader whose fetchers are not written as this knows them (a newer splitter):
/// better no build than a loader that half works.
pub fn rewrite_loader(loader: &str) -> Result<String> {
    if loader.contains("function chunk(name") {
        return Ok(loader.to_owned());
    }
    let fetcher = Regex::new(
        r#"\(\) => \{\n\s*const src = fetch\(new URL\("\./([A-Za-z0-9_]+\.[A-Za-z0-9_-]{22})\.wasm", import\.meta\.url\)\);\n\s*return async \(imports\) => ([A-Za-z]*)\(WebAssembly\.instantiateStreaming\(src, imports\)\);\n\}\n"#,
    )
    .expect("a valid pattern");
    let expected = loader.matches("WebAssembly.instantiateStreaming").count();
    let found = fetcher.find_iter(loader).count();
    if found == 0 || found != expected {
        bail!("the chunk loader's fetchers are not as expected ({found} of {expected} recognised): has the splitter changed?");
    }
    // A debug build's loader wraps each instantiation (`debugWrap`, which explains a mismatched
    // chunk); the wrapper is kept.
    let rewritten = fetcher.replace_all(loader, |c: &regex::Captures| match &c[2] {
        "" => format!("chunk(\"{}\")", &c[1]),
        wrap => format!("chunk(\"{}\", {wrap})", &c[1]),
    });
    // After the imports, before the first use.
    let Some(body) = rewritten.find("\nlet sharedImports") else {
        bail!("the chunk loader has no `sharedImports`: has the splitter changed?");
    };
    Ok(format!("{}\n{PACK_READER}{}", &rewritten[..body], &rewritten[body..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_holds_its_chunks_in_order() {
        let chunks = vec![("chunk_1.H".to_owned(), b"\0asm one".to_vec()), ("split_page.H".to_owned(), vec![]), ("chunk_2.H".to_owned(), vec![7; 300])];
        let packed = pack(&chunks).unwrap();
        let unpacked = unpack(&packed).unwrap();
        assert_eq!(unpacked.iter().map(|(n, b)| (n.clone(), b.to_vec())).collect::<Vec<_>>(), chunks);
        assert_eq!(unpack(&packed[..packed.len() - 1]), None, "a cut pack is refused");
    }

    #[test]
    fn the_loaders_fetchers_read_packs_and_an_unknown_loader_is_refused() {
        let loader = "import { initSync } from \"./app.AAAAAAAAAAAAAAAAAAAAAA.js\";\n\nlet sharedImports = undefined;\n\
            const __chunk_1 = makeLoad(() => {\n    const src = fetch(new URL(\"./chunk_1.BBBBBBBBBBBBBBBBBBBBBB.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, []);\n\
            const __chunk_2 = makeLoad(() => async (_imp) => ({}), []);\n";
        let rewritten = rewrite_loader(loader).unwrap();
        assert!(rewritten.contains("const __chunk_1 = makeLoad(chunk(\"chunk_1.BBBBBBBBBBBBBBBBBBBBBB\"), []);"), "{rewritten}");
        assert!(rewritten.contains("const __chunk_2 = makeLoad(() => async (_imp) => ({}), []);"), "an empty chunk is kept: {rewritten}");
        assert!(rewritten.starts_with("import { initSync }"), "imports stay first: {rewritten}");
        assert_eq!(rewrite_loader(&rewritten).unwrap(), rewritten, "rewriting twice changes nothing");

        // A debug build's loader: the wrapper stays.
        let debug = rewrite_loader(&loader.replace("=> (WebAssembly", "=> debugWrap(WebAssembly")).unwrap();
        assert!(debug.contains("makeLoad(chunk(\"chunk_1.BBBBBBBBBBBBBBBBBBBBBB\", debugWrap), [])"), "{debug}");

        let other = loader.replace("instantiateStreaming(src, imports)", "instantiateStreaming(src, imports, {})");
        assert!(rewrite_loader(&other).is_err());
    }
}
