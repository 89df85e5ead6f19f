//! Prints precision / recall per entity type on the hand-checked table
//! `tests/data/entities.jsonl`: `cargo run -p tuoke-entities --example eval --release`.
//! Add `-- --errors` to list every miss, spurious entity and wrong value.

use std::path::Path;

use tuoke_entities::{Extractor, Gazetteer, eval};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let gaz: Gazetteer =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gazetteer.json"))?)?;
    let table = std::fs::read_to_string(dir.join("entities.jsonl"))?;
    let ex = Extractor::new(&gaz)?;
    let report = eval::evaluate(&ex, &table)?;
    print!("{}", report.table());
    if std::env::args().any(|a| a == "--errors") {
        for e in &report.errors {
            println!("{e}");
        }
    }
    Ok(())
}
