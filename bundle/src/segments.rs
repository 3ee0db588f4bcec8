//! One data segment for the main module. The bundle is linked with its data segments kept apart
//! (`-Clink-arg=--no-merge-data-segments`, `.cargo/config.toml`) so the splitter can move each
//! constant into the chunk that uses it; what stays in the main module is then some two
//! thousand small segments, each with its own offset and length, and those headers compress
//! poorly (about 6 KB of the grid's first load, measured). Neighbouring segments are joined
//! here, the gap between them filled with zeros.
//!
//! That is safe for the main module only, and only because it is instantiated first: the gaps
//! hold the chunks' data, which each chunk writes when it is loaded, later. A chunk must never
//! be merged this way, since its zeros would overwrite data the program already uses.

use anyhow::{bail, Result};
use std::borrow::Cow;
use wasm_encoder::{ConstExpr, DataCountSection, DataSection, Module, RawSection};
use wasmparser::{DataKind, Operator, Parser, Payload};

/// Segments further apart than this stay apart (the zeros would cost more than a header).
pub const MAX_GAP: u32 = 64 * 1024;

/// What [`merge_data_segments`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Merged {
    pub segments_before: usize,
    pub segments_after: usize,
}

/// Joins the module's active data segments whose gaps are at most `max_gap` bytes. Returns the
/// module unchanged (borrowed) when it has nothing to join or holds anything this cannot
/// rewrite safely: a passive segment (code addresses those by index), a second memory, or an
/// offset that is not a constant.
pub fn merge_data_segments(wasm: &[u8], max_gap: u32) -> Result<(Cow<'_, [u8]>, Merged)> {
    let Some(segments) = active_segments(wasm)? else {
        return Ok((Cow::Borrowed(wasm), Merged { segments_before: 0, segments_after: 0 }));
    };
    let before = segments.len();
    let merged = join(segments, max_gap)?;
    let stats = Merged { segments_before: before, segments_after: merged.len() };
    if merged.len() == before {
        return Ok((Cow::Borrowed(wasm), stats));
    }

    let mut data = DataSection::new();
    for (offset, bytes) in &merged {
        // The offset round-trips through i32, as the module wrote it.
        data.active(0, &ConstExpr::i32_const(*offset as i32), bytes.iter().copied());
    }
    let mut module = Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        match &payload {
            Payload::DataSection(_) => {
                module.section(&data);
            }
            Payload::DataCountSection { .. } => {
                module.section(&DataCountSection { count: merged.len() as u32 });
            }
            other => {
                if let Some((id, range)) = other.as_section() {
                    let range = range.start as usize..range.end as usize;
                    module.section(&RawSection { id, data: &wasm[range] });
                }
            }
        }
    }
    Ok((Cow::Owned(module.finish()), stats))
}

/// The module with every import from module `old` imported from `new` instead, a name of the
/// same length (so no section's size changes).
pub fn rename_import_module(wasm: &[u8], old: &str, new: &str) -> Result<Vec<u8>> {
    if old.len() != new.len() {
        bail!("an import's module name can only be replaced by one of the same length ({old:?}, {new:?})");
    }
    let mut out = wasm.to_vec();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ImportSection(reader) = payload? {
            let range = reader.range();
            let section = &mut out[range.start as usize..range.end as usize];
            let mut at = 0;
            while let Some(found) = section[at..].windows(old.len()).position(|w| w == old.as_bytes()) {
                section[at + found..at + found + new.len()].copy_from_slice(new.as_bytes());
                at += found + new.len();
            }
        }
    }
    Ok(out)
}

/// A data segment: its address and bytes.
type Segment<'a> = (u32, &'a [u8]);

/// The module's data segments, or `None` if one of them is not an active segment of memory 0 at
/// a constant offset.
fn active_segments(wasm: &[u8]) -> Result<Option<Vec<Segment<'_>>>> {
    let mut segments = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::DataSection(reader) = payload? else { continue };
        for data in reader {
            let data = data?;
            let DataKind::Active { memory_index: 0, offset_expr } = data.kind else {
                return Ok(None);
            };
            let mut ops = offset_expr.get_operators_reader();
            let (Operator::I32Const { value }, Operator::End) = (ops.read()?, ops.read()?) else {
                return Ok(None);
            };
            segments.push((value as u32, data.data));
        }
    }
    Ok(Some(segments))
}

/// Sorts the segments by address and joins each to the one before when the gap allows.
fn join(mut segments: Vec<Segment<'_>>, max_gap: u32) -> Result<Vec<(u32, Vec<u8>)>> {
    segments.sort_by_key(|(offset, _)| *offset);
    let mut merged: Vec<(u32, Vec<u8>)> = Vec::new();
    for (offset, bytes) in segments {
        if let Some((start, joined)) = merged.last_mut() {
            let end = *start as u64 + joined.len() as u64;
            if (offset as u64) < end {
                bail!("data segments overlap at address {offset:#x}");
            }
            let gap = offset as u64 - end;
            if gap <= max_gap as u64 {
                joined.resize(joined.len() + gap as usize, 0);
                joined.extend_from_slice(bytes);
                continue;
            }
        }
        merged.push((offset, bytes.to_vec()));
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, MemorySection, MemoryType, TypeSection, ValType};

    /// A module with a memory, one function (so a code section is copied), and
    /// the given active segments.
    fn module(segments: &[(u32, &[u8])]) -> Vec<u8> {
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([ValType::I32], [ValType::I32]);
        module.section(&types);
        let mut functions = FunctionSection::new();
        functions.function(0);
        module.section(&functions);
        let mut memories = MemorySection::new();
        memories.memory(MemoryType { minimum: 2, maximum: None, memory64: false, shared: false, page_size_log2: None });
        module.section(&memories);
        let mut exports = ExportSection::new();
        exports.export("load", ExportKind::Func, 0);
        module.section(&exports);
        module.section(&DataCountSection { count: segments.len() as u32 });
        let mut code = CodeSection::new();
        let mut load = Function::new([]);
        load.instruction(&Instruction::LocalGet(0));
        load.instruction(&Instruction::End);
        code.function(&load);
        module.section(&code);
        let mut data = DataSection::new();
        for (offset, bytes) in segments {
            data.active(0, &ConstExpr::i32_const(*offset as i32), bytes.iter().copied());
        }
        module.section(&data);
        module.finish()
    }

    /// The memory a module's segments write, as `(address, byte)` for every byte they set.
    fn image(wasm: &[u8]) -> std::collections::BTreeMap<u32, u8> {
        active_segments(wasm)
            .unwrap()
            .unwrap()
            .into_iter()
            .flat_map(|(offset, bytes)| bytes.iter().enumerate().map(move |(i, b)| (offset + i as u32, *b)))
            .collect()
    }

    fn validate(wasm: &[u8]) {
        wasmparser::Validator::new().validate_all(wasm).expect("a valid module");
    }

    #[test]
    fn neighbours_are_joined_and_far_segments_kept_apart() {
        let input = module(&[(0x100, b"abc"), (0x110, b"de"), (0x103, b"x"), (0x2_0000, b"far")]);
        validate(&input);
        let (output, stats) = merge_data_segments(&input, 64).unwrap();
        assert_eq!(stats, Merged { segments_before: 4, segments_after: 2 });
        validate(&output);

        // Every byte the input set is set alike; what lies between is zero.
        let (before, after) = (image(&input), image(&output));
        for (address, byte) in &before {
            assert_eq!(after.get(address), Some(byte), "byte at {address:#x}");
        }
        for (address, byte) in &after {
            if !before.contains_key(address) {
                assert_eq!(*byte, 0, "filled gap at {address:#x}");
                assert!((0x100..0x112).contains(address), "only the gap between joined segments is filled: {address:#x}");
            }
        }
        // The data count follows the new number of segments (a validator checks it, above).
        let joined = active_segments(&output).unwrap().unwrap();
        assert_eq!(joined.iter().map(|(offset, bytes)| (*offset, bytes.len())).collect::<Vec<_>>(), [(0x100, 0x12), (0x2_0000, 3)]);
    }

    #[test]
    fn a_module_with_nothing_to_join_is_returned_as_it_was() {
        let input = module(&[(0x100, b"abc"), (0x9000, b"de")]);
        let (output, stats) = merge_data_segments(&input, 64).unwrap();
        assert!(matches!(output, Cow::Borrowed(_)));
        assert_eq!(stats.segments_after, 2);
        // Joining again what was joined changes nothing.
        let joined = merge_data_segments(&module(&[(0, b"a"), (2, b"b")]), 64).unwrap().0.into_owned();
        assert!(matches!(merge_data_segments(&joined, 64).unwrap().0, Cow::Borrowed(_)));
    }

    #[test]
    fn passive_segments_leave_the_module_alone() {
        let mut module = Module::new();
        let mut memories = MemorySection::new();
        memories.memory(MemoryType { minimum: 1, maximum: None, memory64: false, shared: false, page_size_log2: None });
        module.section(&memories);
        let mut data = DataSection::new();
        data.active(0, &ConstExpr::i32_const(0), b"a".iter().copied());
        data.passive(b"b".iter().copied());
        data.active(0, &ConstExpr::i32_const(2), b"c".iter().copied());
        module.section(&data);
        let input = module.finish();
        let (output, _) = merge_data_segments(&input, 64).unwrap();
        assert_eq!(&*output, &input[..]);
    }

    #[test]
    fn overlapping_segments_are_refused() {
        let input = module(&[(0x100, b"abcd"), (0x102, b"x")]);
        assert!(merge_data_segments(&input, 64).is_err());
    }
}
