//! The chunk loader's shared chunks as one table. The splitter declares each shared chunk as a
//! constant of its own and lists, for each split point, every chunk it needs by name:
//!
//! ```js
//! const __chunk_18 = makeLoad(chunk("chunk_18.<hash>"), []);
//! const __chunk_19 = makeLoad(chunk("chunk_19.<hash>"), []);
//! export const __wasm_split_load_users_tab_1 = wrapAsyncCb(makeLoad(chunk("split_users_tab_1.<hash>"), [__chunk_18, __chunk_19, __chunk_23]));
//! ```
//!
//! Every page's first load fetches the loader, and those names were two thirds of it
//! compressed. Here the constants become one loop filling `__chunks`, and each list the runs
//! of chunk numbers it holds (`chunks(18, 19, 23, 23)`). A loader not laid out that way (a
//! shared chunk with chunks of its own to wait for, numbers with gaps) is left as it is: it
//! works either way, only larger.

use regex::Regex;

const HELPERS: &str = "function chunks(...runs) {
    const out = [];
    for (let i = 0; i < runs.length; i += 2) for (let n = runs[i]; n <= runs[i + 1]; n++) out.push(__chunks[n]);
    return out;
}
";

/// `loader` with its shared chunks in one table, if they are laid out as the splitter writes
/// them; otherwise `loader` unchanged.
pub fn tabulate(loader: &str) -> String {
    let declaration = Regex::new(r#"^const __chunk_(\d+) = makeLoad\(chunk\("chunk_(\d+)\.([A-Za-z0-9_-]{22})"((?:, [A-Za-z_$][A-Za-z0-9_$]*)?)\), \[\]\);$"#)
        .expect("a valid pattern");
    let lines: Vec<&str> = loader.split('\n').collect();
    let found: Vec<(usize, u32, regex::Captures)> = lines
        .iter()
        .enumerate()
        .filter_map(|(at, line)| declaration.captures(line).map(|c| (at, c[1].parse().unwrap_or(u32::MAX), c)))
        .collect();
    let Some((first_line, first, head)) = found.first() else { return loader.to_owned() };
    let (hash, wrap) = (head[3].to_owned(), head[4].to_owned());
    let laid_out = found.iter().enumerate().all(|(i, (at, n, c))| {
        *at == first_line + i && *n == first + i as u32 && c[2] == c[1] && c[3] == *hash && c[4] == *wrap
    });
    // Every other mention of a chunk must be in a list the table replaces.
    let list = Regex::new(r"\[((?:__chunk_\d+, )*__chunk_\d+)\]").expect("a valid pattern");
    let rest: String = lines[..*first_line].iter().chain(&lines[first_line + found.len()..]).copied().collect::<Vec<_>>().join("\n");
    if !laid_out || list.replace_all(&rest, "").contains("__chunk_") || loader.contains("__chunks") {
        return loader.to_owned();
    }
    let last = first + found.len() as u32 - 1;
    let table = format!("const __chunks = [];\nfor (let i = {first}; i <= {last}; i++) __chunks[i] = makeLoad(chunk(`chunk_${{i}}.{hash}`{wrap}), []);\n{HELPERS}");
    let number = Regex::new(r"__chunk_(\d+)").expect("a valid pattern");
    let runs = |c: &regex::Captures| {
        let numbers: Vec<u32> = number.captures_iter(&c[1]).filter_map(|n| n[1].parse().ok()).collect();
        let mut out: Vec<(u32, u32)> = Vec::new();
        for n in numbers {
            match out.last_mut() {
                Some((_, end)) if *end + 1 == n => *end = n,
                _ => out.push((n, n)),
            }
        }
        format!("chunks({})", out.iter().map(|(a, b)| format!("{a}, {b}")).collect::<Vec<_>>().join(", "))
    };
    let before = lines[..*first_line].join("\n");
    let after = list.replace_all(&lines[first_line + found.len()..].join("\n"), runs).into_owned();
    format!("{before}\n{table}{after}")
}

#[cfg(test)]
mod tests {
    use super::tabulate;

    const H: &str = "AAAAAAAAAAAAAAAAAAAAAA";

    fn loader(wrap: &str) -> String {
        format!(
            "import x from \"./app.js\";\nfunction makeLoad() {{}}\n\
             const __chunk_3 = makeLoad(chunk(\"chunk_3.{H}\"{wrap}), []);\n\
             const __chunk_4 = makeLoad(chunk(\"chunk_4.{H}\"{wrap}), []);\n\
             const __chunk_5 = makeLoad(chunk(\"chunk_5.{H}\"{wrap}), []);\n\
             export const __wasm_split_load_a_1 = wrapAsyncCb(makeLoad(chunk(\"split_a_1.{H}\"{wrap}), [__chunk_3, __chunk_5]));\n\
             export const __wasm_split_load_b_2 = wrapAsyncCb(makeLoad(chunk(\"split_b_2.{H}\"{wrap}), [__chunk_3, __chunk_4, __chunk_5]));\n"
        )
    }

    #[test]
    fn the_shared_chunks_become_a_table_and_each_list_its_runs() {
        let out = tabulate(&loader(""));
        assert!(out.starts_with("import x from \"./app.js\";\nfunction makeLoad() {}\nconst __chunks = [];\n"), "{out}");
        assert!(out.contains(&format!("for (let i = 3; i <= 5; i++) __chunks[i] = makeLoad(chunk(`chunk_${{i}}.{H}`), []);")), "{out}");
        assert!(out.contains(&format!("makeLoad(chunk(\"split_a_1.{H}\"), chunks(3, 3, 5, 5)))")), "{out}");
        assert!(out.contains(&format!("makeLoad(chunk(\"split_b_2.{H}\"), chunks(3, 5)))")), "{out}");
        assert!(!out.contains("__chunk_"), "{out}");
        assert_eq!(tabulate(&out), out, "a second run changes nothing");
    }

    #[test]
    fn a_debug_loaders_wrapper_is_kept() {
        let out = tabulate(&loader(", debugWrap"));
        assert!(out.contains(&format!("makeLoad(chunk(`chunk_${{i}}.{H}`, debugWrap), [])")), "{out}");
        assert!(out.contains(&format!("chunk(\"split_a_1.{H}\", debugWrap), chunks(3, 3, 5, 5))")), "{out}");
    }

    #[test]
    fn a_loader_laid_out_otherwise_is_left_as_it_is() {
        // A gap in the numbers, a shared chunk waiting for another, a chunk named elsewhere.
        for changed in [
            loader("").replace("__chunk_4 = makeLoad(chunk(\"chunk_4", "__chunk_9 = makeLoad(chunk(\"chunk_9"),
            loader("").replace(&format!("chunk_5.{H}\"), [])"), &format!("chunk_5.{H}\"), [__chunk_3])")),
            loader("") + "preload(__chunk_4);\n",
        ] {
            assert_eq!(tabulate(&changed), changed);
        }
    }
}
