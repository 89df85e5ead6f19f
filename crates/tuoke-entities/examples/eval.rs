//! Prints precision / recall per entity type on the hand-checked tables `tests/data/entities.jsonl`
//! (written together with the rules) and `tests/data/entities_holdout.jsonl` (written before the
//! rules were run on it): `cargo run -p tuoke-entities --example eval --release`.
//! Add `-- --errors` to list every miss, spurious entity and wrong value.

use std::path::Path;

use tuoke_entities::{Extractor, Gazetteer, eval};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let gaz: Gazetteer =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gazetteer.json"))?)?;
    let ex = Extractor::new(&gaz)?;
    for file in [
        "entities.jsonl",
        "entities_holdout.jsonl",
        "entities_blind2.jsonl",
        "entities_blind3.jsonl",
    ] {
        let table = std::fs::read_to_string(dir.join(file))?;
        let report = eval::evaluate(&ex, &table)?;
        println!("## {file}\n");
        print!("{}", report.table());
        if std::env::args().any(|a| a == "--errors") {
            println!();
            for e in &report.errors {
                println!("{e}");
            }
        }
        println!();
    }
    Ok(())
}
