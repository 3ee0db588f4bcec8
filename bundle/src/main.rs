//! `compact-bundle <site>/pkg <target>/<profile>/hash.txt [output-name] [--nested a,b=parent]…`:
//! run after `cargo leptos build --split` (the scripts do). See the library's documentation.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = Vec::new();
    let mut nested = Vec::new();
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        if arg == "--nested" {
            match given.next().as_deref().map(bundle::Nested::parse) {
                Some(Ok(more)) => nested.extend(more),
                Some(Err(error)) => {
                    eprintln!("compact-bundle: {error:#}");
                    return ExitCode::from(2);
                }
                None => {
                    eprintln!("compact-bundle: --nested needs `split,split=parent`");
                    return ExitCode::from(2);
                }
            }
        } else {
            args.push(arg);
        }
    }
    let (Some(pkg), Some(hash_file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: compact-bundle <site-pkg-dir> <hash-file> [output-name] [--nested split,split=parent]...");
        return ExitCode::from(2);
    };
    let output_name = args.get(2).cloned().or_else(|| std::env::var("LEPTOS_OUTPUT_NAME").ok()).unwrap_or_else(|| "reseller-portal".into());
    match bundle::compact(Path::new(pkg), Path::new(hash_file), &output_name, &nested) {
        Ok(None) => {
            println!("compact-bundle: {pkg} is not a split bundle; nothing to do");
            ExitCode::SUCCESS
        }
        Ok(Some(report)) if report.already_compact => {
            println!("compact-bundle: {pkg} is already compact ({})", report.hash);
            ExitCode::SUCCESS
        }
        Ok(Some(report)) => {
            println!(
                "compact-bundle: {pkg}: {} chunks named by the bundle's hash {}; main module's data segments {} -> {}; loader {} -> {} bytes",
                report.chunks, report.hash, report.segments.segments_before, report.segments.segments_after, report.loader_bytes.0, report.loader_bytes.1
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("compact-bundle: {error:#}");
            ExitCode::FAILURE
        }
    }
}
