//! `compact` on a bundle laid out as cargo-leptos writes it: every reference follows the new
//! names, compressed copies match their files, and nothing of the old names is left.

use std::fs;
use std::io::Read;
use std::path::Path;

const OLD_JS: &str = "AAAAAAAAAAAAAAAAAAAAAA";
const OLD_WASM: &str = "BBBBBBBBBBBBBBBBBBBBBB";
const OLD_LOADER: &str = "CCCCCCCCCCCCCCCCCCCCCC";
const OLD_MANIFEST: &str = "DDDDDDDDDDDDDDDDDDDDDD";
const OLD_CHUNK_1: &str = "EEEEEEEEEEEEEEEEEEEEEE";
const OLD_CHUNK_2: &str = "FFFFFFFFFFFFFFFFFFFFFF";
const CSS: &str = "GGGGGGGGGGGGGGGGGGGGGG";
const OLD_CHUNK_3: &str = "HHHHHHHHHHHHHHHHHHHHHH";

/// A main module with three data segments, two of them neighbours.
fn main_wasm() -> Vec<u8> {
    use wasm_encoder::{ConstExpr, DataSection, EntityType, ImportSection, MemorySection, MemoryType, Module, TypeSection};
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    module.section(&types);
    let mut imports = ImportSection::new();
    imports.import(&format!("./__wasm_split.{OLD_LOADER}.js"), "__wasm_split_load_page", EntityType::Function(0));
    imports.import("wbg", "__wbg_log", EntityType::Function(0));
    module.section(&imports);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType { minimum: 1, maximum: None, memory64: false, shared: false, page_size_log2: None });
    module.section(&memories);
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(16), b"ab".iter().copied());
    data.active(0, &ConstExpr::i32_const(20), b"cd".iter().copied());
    data.active(0, &ConstExpr::i32_const(40), b"ef".iter().copied());
    module.section(&data);
    module.finish()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    std::io::Write::write_all(&mut out, bytes).unwrap();
    out.into_inner()
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out).unwrap();
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).unwrap();
    fs::write(dir.join(format!("{name}.br")), brotli(bytes)).unwrap();
}

fn site() -> (tempfile::TempDir, std::path::PathBuf) {
    site_with_tab(false)
}

/// The bundle, with a second split point (`tab_3`) only loaded within the page if `tab`.
fn site_with_tab(tab: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    fs::create_dir(&pkg).unwrap();
    write(&pkg, &format!("app.{OLD_WASM}.wasm"), &main_wasm());
    write(&pkg, &format!("app.{OLD_JS}.js"), format!("import*as n from\"./__wasm_split.{OLD_LOADER}.js\";init(\"app_bg.wasm\")").as_bytes());
    // As the splitter writes it.
    let fetcher = |file: &str| format!("() => {{\n    const src = fetch(new URL(\"./{file}.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}}\n");
    let loader = format!(
        "import {{ initSync }} from \"./app.{OLD_JS}.js\";\n\n\
         let sharedImports = undefined;\n\
         /* __page_route_view_1, __other_route_view_2 */\n\
         const __chunk_1 = makeLoad({}, []);\n\
         export const __wasm_split_load___page_route_view_1 = wrapAsyncCb(makeLoad({}, [__chunk_1]));\n{}",
        fetcher(&format!("chunk_1.{OLD_CHUNK_1}")),
        fetcher(&format!("split_page.{OLD_CHUNK_2}")),
        if tab { format!("export const __wasm_split_load_tab_3 = wrapAsyncCb(makeLoad({}, [__chunk_1]));\n", fetcher(&format!("split_tab.{OLD_CHUNK_3}"))) } else { String::new() },
    );
    write(&pkg, &format!("__wasm_split.{OLD_LOADER}.js"), loader.as_bytes());
    let tab_entry = if tab { format!(",\"tab_3\":[\"chunk_1.{OLD_CHUNK_1}\",\"split_tab.{OLD_CHUNK_3}\"]") } else { String::new() };
    write(&pkg, &format!("__wasm_split_manifest.{OLD_MANIFEST}.json"), format!("{{\"__page_route_view_1\":[\"chunk_1.{OLD_CHUNK_1}\",\"split_page.{OLD_CHUNK_2}\"]{tab_entry}}}").as_bytes());
    if tab {
        write(&pkg, &format!("split_tab.{OLD_CHUNK_3}.wasm"), b"\0asm the tab");
    }
    write(&pkg, &format!("chunk_1.{OLD_CHUNK_1}.wasm"), b"\0asm chunk one");
    write(&pkg, &format!("split_page.{OLD_CHUNK_2}.wasm"), b"\0asm the page");
    write(&pkg, &format!("app.{CSS}.css"), b"body{}");
    let hash_file = dir.path().join("hash.txt");
    fs::write(&hash_file, format!("js: {OLD_JS}\nwasm: {OLD_WASM}\ncss: {CSS}\nmanifest: {OLD_MANIFEST}\nsplit: {OLD_LOADER}\n")).unwrap();
    (dir, hash_file)
}

#[test]
fn every_file_gets_the_bundles_hash_and_every_reference_follows() {
    let (dir, hash_file) = site();
    let pkg = dir.path().join("pkg");
    let report = bundle::compact(&pkg, &hash_file, "app", &[]).unwrap().expect("a split bundle");
    let hash = report.hash.clone();
    assert_eq!(hash.len(), 22);
    assert_eq!(report.chunks, 2);
    assert_eq!((report.segments.segments_before, report.segments.segments_after), (3, 1));

    let hashes = fs::read_to_string(&hash_file).unwrap();
    assert_eq!(hashes, format!("js: {hash}\nwasm: {hash}\ncss: {CSS}\nmanifest: {hash}\nsplit: {hash}\n"));

    let mut names: Vec<String> = fs::read_dir(&pkg).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut expected: Vec<String> = ["app.H.wasm", "app.H.js", "__wasm_split.H.js", "__wasm_split_manifest.H.json", "chunk_1.H.wasm", "split_page.H.wasm", "pack___page_route_view_1.H.wasm"]
        .iter()
        .map(|n| n.replace('H', &hash))
        .chain([format!("app.{CSS}.css")])
        .flat_map(|n| [format!("{n}.br"), n])
        .collect();
    expected.sort();
    assert_eq!(names, expected, "the old names are gone, and each file has its compressed copy");

    let read = |name: &str| fs::read_to_string(pkg.join(name.replace('H', &hash))).unwrap();
    assert_eq!(read("app.H.js"), format!("import*as n from\"./__wasm_split.{hash}.js\";init(\"app_bg.wasm\")"));
    let loader = read("__wasm_split.H.js");
    assert!(loader.contains(&format!("from \"./app.{hash}.js\"")), "{loader}");
    assert!(loader.contains(&format!("for (let i = 1; i <= 1; i++) __chunks[i] = makeLoad(chunk(`chunk_${{i}}.{hash}`), [])")), "{loader}");
    assert!(loader.contains(&format!("makeLoad(chunk(\"split_page.{hash}\"), chunks(1, 1))")), "{loader}");
    assert!(loader.contains("function chunk(name"), "the loader reads packs: {loader}");
    assert!(!loader.contains("/*"), "the comments are gone: {loader}");
    // The page names its pack; the pack holds what the manifest named before, in its order.
    assert_eq!(read("__wasm_split_manifest.H.json"), format!("{{\"__page_route_view_1\":[\"pack___page_route_view_1.{hash}\"]}}"));
    let pack = fs::read(pkg.join(format!("pack___page_route_view_1.{hash}.wasm"))).unwrap();
    let packed: Vec<(String, Vec<u8>)> = bundle::pack::unpack(&pack).unwrap().into_iter().map(|(n, b)| (n, b.to_vec())).collect();
    assert_eq!(packed, [(format!("chunk_1.{hash}"), b"\0asm chunk one".to_vec()), (format!("split_page.{hash}"), b"\0asm the page".to_vec())]);

    // Rewritten files were compressed again; a renamed chunk keeps its content.
    for name in ["app.H.wasm", "app.H.js", "__wasm_split.H.js", "__wasm_split_manifest.H.json", "chunk_1.H.wasm", "pack___page_route_view_1.H.wasm"] {
        let name = name.replace('H', &hash);
        assert_eq!(unbrotli(&fs::read(pkg.join(format!("{name}.br"))).unwrap()), fs::read(pkg.join(&name)).unwrap(), "{name}.br");
    }
    assert_eq!(fs::read(pkg.join(format!("chunk_1.{hash}.wasm"))).unwrap(), b"\0asm chunk one");
    let main = fs::read(pkg.join(format!("app.{hash}.wasm"))).unwrap();
    wasmparser::Validator::new().validate_all(&main).unwrap();
    // The main module imports the loader under its new name.
    let imports: Vec<(String, String)> = wasmparser::Parser::new(0)
        .parse_all(&main)
        .filter_map(|p| match p.unwrap() {
            wasmparser::Payload::ImportSection(reader) => Some(reader.into_imports().map(|i| i.unwrap()).map(|i| (i.module.to_owned(), i.name.to_owned())).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(imports, [(format!("./__wasm_split.{hash}.js"), "__wasm_split_load_page".to_owned()), ("wbg".into(), "__wbg_log".into())]);

    // A second run finds nothing to do and changes nothing.
    let again = bundle::compact(&pkg, &hash_file, "app", &[]).unwrap().unwrap();
    assert!(again.already_compact);
    assert_eq!(again.hash, hash);
    let mut after: Vec<String> = fs::read_dir(&pkg).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    after.sort();
    assert_eq!(after, names);
}

#[test]
fn a_bundle_that_is_not_split_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let hash_file = dir.path().join("hash.txt");
    fs::write(&hash_file, format!("js: {OLD_JS}\nwasm: {OLD_WASM}\ncss: {CSS}\n")).unwrap();
    assert!(bundle::compact(dir.path(), &hash_file, "app", &[]).unwrap().is_none());
    assert_eq!(fs::read_to_string(&hash_file).unwrap(), format!("js: {OLD_JS}\nwasm: {OLD_WASM}\ncss: {CSS}\n"));
}

#[test]
fn a_loader_naming_a_missing_chunk_is_an_error_and_changes_nothing() {
    let (dir, hash_file) = site();
    let pkg = dir.path().join("pkg");
    fs::remove_file(pkg.join(format!("chunk_1.{OLD_CHUNK_1}.wasm"))).unwrap();
    let before = fs::read_to_string(&hash_file).unwrap();
    let error = bundle::compact(&pkg, &hash_file, "app", &[]).unwrap_err();
    assert!(error.to_string().contains("chunk_1"), "{error}");
    assert_eq!(fs::read_to_string(&hash_file).unwrap(), before);
}

fn unpacked(pkg: &Path, name: &str) -> Vec<(String, Vec<u8>)> {
    let pack = fs::read(pkg.join(name)).unwrap();
    bundle::pack::unpack(&pack).unwrap().into_iter().map(|(n, b)| (n, b.to_vec())).collect()
}

#[test]
fn a_nested_split_points_pack_holds_only_what_its_parents_pack_does_not() {
    let (dir, hash_file) = site_with_tab(true);
    let pkg = dir.path().join("pkg");
    let nested = bundle::Nested::parse("tab=__page_route_view").unwrap();
    let hash = bundle::compact(&pkg, &hash_file, "app", &nested).unwrap().unwrap().hash;
    // The page's pack is whole; the tab's leaves out the chunk the page's pack brings.
    assert_eq!(
        unpacked(&pkg, &format!("pack___page_route_view_1.{hash}.wasm")),
        [(format!("chunk_1.{hash}"), b"\0asm chunk one".to_vec()), (format!("split_page.{hash}"), b"\0asm the page".to_vec())]
    );
    assert_eq!(unpacked(&pkg, &format!("pack_tab_3.{hash}.wasm")), [(format!("split_tab.{hash}"), b"\0asm the tab".to_vec())]);

    // Without the nesting, the tab's pack is whole too.
    let (dir, hash_file) = site_with_tab(true);
    let pkg = dir.path().join("pkg");
    let hash = bundle::compact(&pkg, &hash_file, "app", &[]).unwrap().unwrap().hash;
    assert_eq!(unpacked(&pkg, &format!("pack_tab_3.{hash}.wasm")).len(), 2);
}

#[test]
fn a_nesting_naming_an_unknown_split_point_is_an_error_and_changes_nothing() {
    let (dir, hash_file) = site_with_tab(true);
    let pkg = dir.path().join("pkg");
    let before = fs::read_to_string(&hash_file).unwrap();
    let nested = bundle::Nested::parse("tab,drawer=__page_route_view").unwrap();
    let error = bundle::compact(&pkg, &hash_file, "app", &nested).unwrap_err();
    assert!(error.to_string().contains("drawer"), "{error}");
    assert_eq!(fs::read_to_string(&hash_file).unwrap(), before);
    assert!(pkg.join(format!("split_tab.{OLD_CHUNK_3}.wasm")).is_file(), "the old bundle is whole");
    for bad in ["tab", "=page", "tab,=page", "tab="] {
        assert!(bundle::Nested::parse(bad).is_err(), "{bad}");
    }
}
