//! A BERT-family safetensors folder (all-MiniLM-L6-v2) through `candle_transformers`' BERT.

mod common;

use tuoke_encoder::{Encoder, EncoderKind, EncoderOptions};

#[test]
fn minilm_embeds_by_meaning_and_ignores_padding() {
    let Some(dir) = common::fetched("minilm_embeds", tuoke_encoder::MINILM_DIR) else {
        return;
    };
    let enc = Encoder::load(&dir, EncoderOptions::default()).unwrap();
    assert_eq!(
        (enc.kind, enc.dim(), enc.layers()),
        (EncoderKind::Bert, 384, 6)
    );
    // The tokenizer.json's fixed padding to 128 is off: a short text has few tokens.
    assert!(enc.token_ids(&["hello there"]).unwrap()[0].len() < 10);
    let texts = [
        "How much does this purifier cost?",
        "What is the price of the air purifier?",
        "My order arrived broken and I want a refund.",
    ];
    let e = enc.embed(&texts).unwrap();
    for v in &e {
        let n: f32 = v.iter().map(|x| x * x).sum();
        assert!((n - 1.0).abs() < 1e-4, "unit norm, got {n}");
    }
    assert!(common::cosine(&e[0], &e[1]) > common::cosine(&e[0], &e[2]) + 0.2);
    // Alone or batched with a longer text (so padded): the same vector.
    let alone = enc.embed(&texts[..1]).unwrap();
    assert!(common::cosine(&alone[0], &e[0]) > 0.9999);
    // Texts longer than max_len are truncated, not an error.
    let long = "purifier ".repeat(2000);
    assert_eq!(enc.embed(&[long.as_str()]).unwrap()[0].len(), 384);
}

#[test]
fn missing_or_broken_models_are_errors() {
    let tmp = std::env::temp_dir().join(format!("tuoke-enc-bad-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // A folder without config.json.
    assert!(Encoder::load(&tmp, EncoderOptions::default()).is_err());
    // A bad config and a truncated e5 file.
    std::fs::write(tmp.join("config.json"), "{\"hidden_size\": 3}").unwrap();
    assert!(Encoder::load(&tmp, EncoderOptions::default()).is_err());
    let f = tmp.join("e5.bin");
    std::fs::write(&f, b"E5S1\x01\x00\x00\x00").unwrap();
    let e = Encoder::load(&f, EncoderOptions::default()).err().unwrap();
    assert!(e.to_string().contains("truncated"), "{e}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn truncated_real_e5_file_is_an_error() {
    let Some(bin) = common::fetched("truncated_e5", tuoke_encoder::E5_FILE) else {
        return;
    };
    let bytes = std::fs::read(&bin).unwrap();
    for cut in [100, 3_000_000, bytes.len() - 1000] {
        let r = tuoke_encoder::e5file::E5File::parse(&bytes[..cut], &bin);
        assert!(r.is_err(), "cut at {cut}");
    }
}
