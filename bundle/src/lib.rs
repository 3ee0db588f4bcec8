//! Finishes the split bundle `cargo leptos build --split` writes into the site's `pkg` folder,
//! so the first load of a page carries less of the splitting's own weight:
//!
//! - the main module's data segments become one ([`segments`]);
//! - every file of the bundle (the main wasm and its script, the chunk loader, its manifest and
//!   each chunk) is named with one hash of the whole bundle instead of a hash of its own. The
//!   loader names all 280-odd chunks, and 280 different hashes were 5 KB of its 9 KB
//!   compressed; one repeated hash compresses to nearly nothing. Per-file hashes saved no
//!   download across deploys anyway: every chunk addresses the main module's function table
//!   and memory, so any change of the code changes nearly every chunk.
//! - the loader loses its comments (the names of the split points each chunk serves, and the
//!   generator's notes) and its indentation ([`tidy`]), and its shared chunks become one table
//!   ([`table`]): every page, the grid's first load included, fetches it;
//! - each lazy page gets a pack ([`pack`]): all the chunks it needs in one file, compressed
//!   as one. A page opened straight from its address (a cold load) fetches its pack, which
//!   the server names in the page, instead of a hundred-odd small files compressed one by
//!   one (35–40 % fewer bytes, measured); moving to it within the app still fetches only the
//!   chunks not loaded yet, one by one, as before. A split point that only ever loads inside
//!   another ([`Nested`]: the customer page's tabs) gets a pack of what the other's pack does
//!   not hold: a cold load of a tab's address fetches both packs, and no chunk twice.
//!
//! The names keep cargo-leptos' form (`<stem>.<22 characters>.<ext>`, recorded in its hash
//! file), so the server and Leptos find and cache them as before; the `.br`/`.gz` files of a
//! rewritten file are made again. Running it twice changes nothing the second time.

pub mod pack;

/// Changed whenever [`compact`] rewrites a bundle differently (the hash covers it).
const FORMAT: &[u8] = b"compact-bundle 4: packs, nested packs, chunk table, tidy loader";

pub mod segments;
pub mod table;

use anyhow::{bail, Context, Result};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What [`compact`] did, for its report.
#[derive(Debug)]
pub struct Report {
    pub hash: String,
    pub chunks: usize,
    pub segments: segments::Merged,
    pub loader_bytes: (usize, usize),
    pub already_compact: bool,
}

/// cargo-leptos' hash file: `kind: hash` lines (`js`, `wasm`, `css`, `manifest`, `split`).
struct HashFile {
    lines: Vec<(String, String)>,
}

impl HashFile {
    fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split_once(": ").map(|(k, v)| (k.to_owned(), v.trim().to_owned())).with_context(|| format!("{}: unreadable line {l:?}", path.display())))
            .collect::<Result<_>>()?;
        Ok(Self { lines })
    }

    fn get(&self, kind: &str) -> Option<&str> {
        self.lines.iter().find(|(k, _)| k == kind).map(|(_, v)| v.as_str())
    }

    fn need(&self, kind: &str) -> Result<&str> {
        self.get(kind).with_context(|| format!("the hash file names no {kind:?}"))
    }

    fn set(&mut self, kind: &str, hash: &str) {
        if let Some((_, v)) = self.lines.iter_mut().find(|(k, _)| k == kind) {
            *v = hash.to_owned();
        }
    }

    fn write(&self, path: &Path) -> Result<()> {
        let text: String = self.lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// One file of the bundle: its stem (`chunk_17`) and extension (`wasm`), and its hash.
#[derive(Clone)]
struct Named {
    stem: String,
    hash: String,
    ext: &'static str,
}

impl Named {
    fn file(&self, hash: &str) -> String {
        format!("{}.{hash}.{}", self.stem, self.ext)
    }
    /// How the loader and the manifest refer to it: without the extension.
    fn reference(&self, hash: &str) -> String {
        format!("{}.{hash}", self.stem)
    }
}

/// A split point that is only ever loaded inside another, both named by their stem (the
/// manifest's key without its numeric suffix: `users_tab` within `__customer_route_view`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nested {
    pub split: String,
    pub within: String,
}

impl Nested {
    /// `a,b,c=parent`: `a`, `b` and `c` are nested within `parent`.
    pub fn parse(arg: &str) -> Result<Vec<Nested>> {
        let Some((splits, within)) = arg.split_once('=') else { bail!("a nesting is `split,split=parent`, not `{arg}`") };
        let splits: Vec<&str> = splits.split(',').map(str::trim).collect();
        if within.trim().is_empty() || splits.iter().any(|s| s.is_empty()) {
            bail!("a nesting is `split,split=parent`, not `{arg}`");
        }
        Ok(splits.into_iter().map(|split| Nested { split: split.to_owned(), within: within.trim().to_owned() }).collect())
    }
}

/// A manifest key without its numeric suffix (`users_tab_8634…` → `users_tab`).
fn stem_of(key: &str) -> &str {
    match key.rsplit_once('_') {
        Some((stem, digits)) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => stem,
        _ => key,
    }
}

/// Compacts the split bundle in `pkg` whose names `hash_file` records. `output_name` is the
/// bundle's name (`reseller-portal`); `nested` the split points that load only inside another.
/// A bundle that is not split is left alone.
pub fn compact(pkg: &Path, hash_file: &Path, output_name: &str, nested: &[Nested]) -> Result<Option<Report>> {
    let mut hashes = HashFile::read(hash_file)?;
    let Some(split) = hashes.get("split").map(str::to_owned) else {
        return Ok(None);
    };
    let main_js = Named { stem: output_name.to_owned(), hash: hashes.need("js")?.to_owned(), ext: "js" };
    let main_wasm = Named { stem: output_name.to_owned(), hash: hashes.need("wasm")?.to_owned(), ext: "wasm" };
    let loader = Named { stem: "__wasm_split".into(), hash: split, ext: "js" };
    let manifest = Named { stem: "__wasm_split_manifest".into(), hash: hashes.need("manifest")?.to_owned(), ext: "json" };

    let loader_text = read_text(pkg, &loader)?;
    let chunks = chunk_names(&loader_text);
    if chunks.is_empty() {
        bail!("{} names no chunks", loader.file(&loader.hash));
    }
    for chunk in &chunks {
        if !pkg.join(chunk.file(&chunk.hash)).is_file() {
            bail!("the loader names {}, which is not in {}", chunk.file(&chunk.hash), pkg.display());
        }
    }
    let wasm = fs::read(pkg.join(main_wasm.file(&main_wasm.hash)))?;
    let (merged, segments) = segments::merge_data_segments(&wasm, segments::MAX_GAP)?;
    let merged_unchanged = matches!(merged, std::borrow::Cow::Borrowed(_));
    let js_text = read_text(pkg, &main_js)?;
    let manifest_text = read_text(pkg, &manifest)?;

    let current = &main_wasm.hash;
    let already_compact = [&main_js, &loader, &manifest].iter().all(|n| &n.hash == current)
        && chunks.iter().all(|c| &c.hash == current)
        && merged_unchanged
        && !loader_text.contains("/* ");
    if already_compact {
        return Ok(Some(Report { hash: current.clone(), chunks: chunks.len(), segments, loader_bytes: (loader_text.len(), loader_text.len()), already_compact }));
    }

    // One hash of everything the bundle holds, in cargo-leptos' form (22 URL-safe characters).
    let mut digest = Sha256::new();
    // What this tool makes of them, too: a new way of rewriting the same bundle is a new bundle.
    digest.update(FORMAT);
    for chunk in &chunks {
        digest.update(chunk.stem.as_bytes());
        digest.update(fs::read(pkg.join(chunk.file(&chunk.hash)))?);
    }
    for part in [&merged[..], js_text.as_bytes(), loader_text.as_bytes(), manifest_text.as_bytes()] {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    }
    let hash = URL_SAFE_NO_PAD.encode(&digest.finalize()[..16]);

    // Each file is referred to by its stem and old hash; all of them get the new hash.
    let renames: Vec<(String, String)> = chunks
        .iter()
        .chain([&main_js, &main_wasm, &loader, &manifest])
        .map(|n| (n.reference(&n.hash), n.reference(&hash)))
        .collect();
    let rename_all = |text: &str| renames.iter().fold(text.to_owned(), |text, (old, new)| text.replace(old, new));
    let comment = Regex::new(r"(?m)^/\* [^\n]*\*/\n").expect("a valid pattern");
    let new_loader = tidy(&table::tabulate(&pack::rewrite_loader(&rename_all(&comment.replace_all(&loader_text, "")))?));
    let new_manifest: BTreeMap<String, Vec<String>> = serde_json::from_str(&rename_all(&manifest_text)).context("reading the split manifest")?;
    // Each nested split point's key, and the files of the split point it loads within.
    let key_of = |stem: &str| new_manifest.keys().find(|key| stem_of(key) == stem);
    let mut within: BTreeMap<&String, &Vec<String>> = BTreeMap::new();
    for n in nested {
        let (Some(split), Some(parent)) = (key_of(&n.split), key_of(&n.within)) else {
            bail!("the split manifest has no `{}` or no `{}` (nested one in the other)", n.split, n.within);
        };
        within.insert(split, &new_manifest[parent]);
    }

    // New files first, then the hash file, then the old files go: a run that stops half way
    // leaves the old bundle whole.
    let mut written = Vec::new();
    for chunk in &chunks {
        // A chunk's content does not change, nor do its compressed copies.
        for suffix in ["", ".br", ".gz"] {
            let from = pkg.join(chunk.file(&chunk.hash) + suffix);
            if from.exists() && chunk.hash != hash {
                fs::copy(&from, pkg.join(chunk.file(&hash) + suffix))?;
                written.push(from);
            }
        }
    }
    // The main module imports the loader by its file name (wasm-bindgen's module name).
    let main_module = segments::rename_import_module(&merged, &format!("./{}", loader.file(&loader.hash)), &format!("./{}", loader.file(&hash)))?;
    for (named, bytes) in [
        (&main_wasm, main_module),
        (&main_js, rename_all(&js_text).into_bytes()),
        (&loader, new_loader.clone().into_bytes()),
        (&manifest, serde_json::to_vec(&pack::manifest_of_packs(&new_manifest, &hash)).expect("a map of strings serialises")),
    ] {
        let old = pkg.join(named.file(&named.hash));
        write_with_copies(&old, &pkg.join(named.file(&hash)), &bytes)?;
        if named.hash != hash {
            written.extend(["", ".br", ".gz"].map(|s| PathBuf::from(format!("{}{s}", old.display()))).into_iter().filter(|p| p.exists()));
        }
    }
    let compressed_like = pkg.join(main_wasm.file(&hash));
    for (split, files) in &new_manifest {
        let loaded_before = within.get(split).map_or(&[][..], |files| files.as_slice());
        let chunks = files.iter().filter(|f| !loaded_before.contains(f)).map(|f| Ok((f.clone(), fs::read(pkg.join(format!("{f}.wasm")))?))).collect::<Result<Vec<_>>>()?;
        write_with_copies(&compressed_like, &pkg.join(pack::file_name(split, &hash)), &pack::pack(&chunks)?)?;
    }
    for kind in ["js", "wasm", "manifest", "split"] {
        hashes.set(kind, &hash);
    }
    hashes.write(hash_file)?;
    for old in written {
        fs::remove_file(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    Ok(Some(Report { hash, chunks: chunks.len(), segments, loader_bytes: (loader_text.len(), new_loader.len()), already_compact }))
}

/// `js` without its indentation, blank lines and whole-line `//` comments: 6 % of the loader's
/// compressed size. Line breaks stay, so no statement runs into the next. A script with a
/// template literal over several lines (whose lines are text, not code) is left as it is.
pub fn tidy(js: &str) -> String {
    if js.lines().any(|line| line.matches('`').count() % 2 == 1) {
        return js.to_owned();
    }
    let mut out = String::with_capacity(js.len());
    for line in js.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("//")) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn read_text(pkg: &Path, named: &Named) -> Result<String> {
    let path = pkg.join(named.file(&named.hash));
    fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The chunks the loader fetches (`"./chunk_17.<hash>.wasm"`, or `chunk("chunk_17.<hash>")`
/// once compacted), each once, in name order.
fn chunk_names(loader: &str) -> Vec<Named> {
    let pattern = Regex::new(r#"(?:"\./|chunk\(")([A-Za-z0-9_]+)\.([A-Za-z0-9_-]{22})(?:\.wasm"|"\))"#).expect("a valid pattern");
    let unique: BTreeMap<String, String> = pattern.captures_iter(loader).map(|c| (c[1].to_owned(), c[2].to_owned())).collect();
    unique.into_iter().map(|(stem, hash)| Named { stem, hash, ext: "wasm" }).collect()
}

/// Writes `bytes` to `new`, with `.br` and `.gz` copies if `old` had them.
fn write_with_copies(old: &Path, new: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(new, bytes).with_context(|| format!("writing {}", new.display()))?;
    let with = |path: &Path, suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
    if with(old, ".br").exists() {
        let mut out = brotli::CompressorWriter::new(Vec::new(), 4096, 11, 22);
        out.write_all(bytes)?;
        fs::write(with(new, ".br"), out.into_inner())?;
    }
    if with(old, ".gz").exists() {
        let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        out.write_all(bytes)?;
        fs::write(with(new, ".gz"), out.finish()?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn tidying_drops_indentation_blank_lines_and_line_comments_only() {
        let js = "function f(a) {\n    // why\n    const url = `./${a}.wasm`; // kept: code before it\n\n    return url;\n}\n";
        assert_eq!(tidy(js), "function f(a) {\nconst url = `./${a}.wasm`; // kept: code before it\nreturn url;\n}\n");
        assert_eq!(tidy(&tidy(js)), tidy(js), "a second run changes nothing");
    }

    #[test]
    fn a_template_literal_over_several_lines_is_left_alone() {
        let js = "const text = `first\n    // not a comment\n  last`;\n";
        assert_eq!(tidy(js), js);
    }
}
