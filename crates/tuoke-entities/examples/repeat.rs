//! Runs the extractor N times on one text, for profilers (instruction counts do not depend on the
//! machine's load): `valgrind --tool=callgrind target/release/examples/repeat "TEXT" 2000`.

use tuoke_entities::{Extractor, Gazetteer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gaz: Gazetteer = serde_json::from_str(include_str!("../tests/data/gazetteer.json"))?;
    let ex = Extractor::new(&gaz)?;
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00+08:00")?;
    let mut args = std::env::args().skip(1);
    let text = args.next().ok_or("usage: repeat TEXT [N]")?;
    let n: usize = args.next().map(|x| x.parse()).transpose()?.unwrap_or(2000);
    let mut found = 0;
    for _ in 0..n {
        found += ex.extract(std::hint::black_box(&text), now).len();
    }
    println!("{} entities per call", found / n.max(1));
    Ok(())
}
