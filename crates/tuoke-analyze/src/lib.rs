//! The shipped sales brain: intent, sentiment and dialect models embedded in the binary, the
//! Cantonese → Mandarin lexicon, and entity extraction, behind one call: [`Analyzer::analyze`].
//!
//! Pipeline for one utterance (normalization and features computed once per text variant):
//! 1. reject empty or over-long text;
//! 2. `language` (`zh`/`en`/`mixed`) from the characters ([`language::detect`]);
//! 3. normalize (NFKC, lower-case, Traditional → Simplified) and extract hashed features once; all three
//!    models share one [`tuoke_nlu::FeatureConfig`], so these features feed each of them;
//! 4. `dialect`: Mandarin unless the text carries Cantonese evidence ([`dialect::evidence`]): a strong
//!    marker (嘅 喺 唔 哋…, 几多, 边度…) decides alone, weak ones (系, 几时, 呢个…) need the dialect
//!    model's agreement; script-independent
//!    (the text is already Simplified); English-only text is `cmn` by convention. For `yue`, the
//!    evidence is appended to `explanation` as `dialect:yue:<marker>` items;
//! 5. for Cantonese, the lexicon turns Cantonese words into Mandarin ones (唔→不, 幾多錢→多少钱) and the
//!    features are extracted again from that text; intent and sentiment use these features;
//! 6. intent (with its out-of-scope threshold) and sentiment from their models;
//! 7. entities from the original text with the gazetteer and the caller's `now`.
//!
//! No IO: the models, lexicon and default gazetteer are compiled in with `include_bytes!`/`include_str!`.

pub mod clauses;

/// Intents that carry no request of their own when something else is said with them.
const SMALL_TALK: &[&str] = &["greeting", "affirm", "goodbye", tuoke_core::OUT_OF_SCOPE];
pub mod dialect;
pub mod gazetteer;
pub mod language;
pub mod lexicon;
pub mod shorthand;

use chrono::{DateTime, FixedOffset};
use tuoke_core::Gazetteer;
use tuoke_core::{Analysis, Clause, Dialect, Intent, Language, Sentiment, SentimentLabel};
use tuoke_entities::Extractor;
use tuoke_nlu::{Features, Featurizer, Model, Normalizer, PredictOptions};

/// Intent model (20 sales labels), int8.
pub const INTENT_MODEL: &[u8] = include_bytes!("../../../models/intent.tkm");
/// Sentiment model (positive / neutral / negative), int8.
pub const SENTIMENT_MODEL: &[u8] = include_bytes!("../../../models/sentiment.tkm");
/// Dialect model (cmn / yue), int8.
pub const DIALECT_MODEL: &[u8] = include_bytes!("../../../models/dialect.tkm");

/// Longest accepted input, in chars. Longer text is an error, not silently cut.
pub const MAX_INPUT_CHARS: usize = 10_000;
/// How many runner-up intents `intent.top_k` lists.
pub const TOP_K: usize = 3;
/// How many features `explanation` lists.
pub const EXPLAIN: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("empty text")]
    Empty,
    #[error("text too long: {chars} chars (limit {limit})")]
    TooLong { chars: usize, limit: usize },
    #[error("embedded {name} model: {source}")]
    Model {
        name: &'static str,
        #[source]
        source: tuoke_nlu::NluError,
    },
    #[error("embedded {name} model: {message}")]
    ModelShape { name: &'static str, message: String },
    #[error("lexicon: {0}")]
    Lexicon(String),
    #[error("gazetteer: {0}")]
    Gazetteer(String),
    #[error("entities: {0}")]
    Entities(String),
}

/// The analyzer. `Send + Sync`: build once, share via `Arc`.
#[derive(Debug)]
pub struct Analyzer {
    intent: Model,
    sentiment: Model,
    dialect: Model,
    /// Shared featurizer (the three models have the same feature config).
    featurizer: Featurizer,
    /// Base normalization + the Cantonese → Mandarin lexicon.
    yue_normalizer: Normalizer,
    /// Index of `positive`, `neutral`, `negative` in the sentiment model's labels.
    sentiment_idx: [usize; 3],
    /// Index of `yue` in the dialect model's labels.
    yue_idx: usize,
    dialect_threshold: f32,
    gazetteer: Gazetteer,
    extractor: Extractor,
}

fn load(name: &'static str, bytes: &[u8]) -> Result<Model, AnalyzeError> {
    Model::from_bytes(bytes).map_err(|source| AnalyzeError::Model { name, source })
}

fn label_index(model: &Model, name: &'static str, label: &str) -> Result<usize, AnalyzeError> {
    model
        .labels()
        .iter()
        .position(|l| l == label)
        .ok_or_else(|| AnalyzeError::ModelShape {
            name,
            message: format!("has no label {label:?}"),
        })
}

impl Analyzer {
    /// The analyzer with the embedded models, lexicon and the demo company's gazetteer.
    pub fn shipped() -> Result<Analyzer, AnalyzeError> {
        let intent = load("intent", INTENT_MODEL)?;
        let sentiment = load("sentiment", SENTIMENT_MODEL)?;
        let dialect = load("dialect", DIALECT_MODEL)?;
        let pairs = lexicon::shipped_pairs()?;
        let gazetteer = gazetteer::demo()?;
        Analyzer::from_parts(intent, sentiment, dialect, pairs, gazetteer)
    }

    /// An analyzer from given models (used by the model build tool to evaluate candidates).
    /// The three models must share one feature config without a lexicon; the sentiment model may
    /// add a polarity lexicon of its own (its `pol:*` features are added to the shared ones).
    pub fn from_parts(
        intent: Model,
        sentiment: Model,
        dialect: Model,
        lexicon: Vec<(String, String)>,
        gazetteer: Gazetteer,
    ) -> Result<Analyzer, AnalyzeError> {
        let cfg = intent.feature_config();
        for (name, m) in [("sentiment", &sentiment), ("dialect", &dialect)] {
            let same = if name == "sentiment" {
                m.feature_config().without_polarity() == *cfg
            } else {
                m.feature_config() == cfg
            };
            if !same {
                return Err(AnalyzeError::ModelShape {
                    name,
                    message: "feature config differs from the intent model's".into(),
                });
            }
        }
        if !cfg.lexicon.is_empty() || !cfg.polarity.is_empty() {
            return Err(AnalyzeError::ModelShape {
                name: "intent",
                message:
                    "feature config must not carry a lexicon (applied by the analyzer for yue \
                     only) or a polarity lexicon (the sentiment model's own)"
                        .into(),
            });
        }
        let sentiment_idx = [
            label_index(&sentiment, "sentiment", "positive")?,
            label_index(&sentiment, "sentiment", "neutral")?,
            label_index(&sentiment, "sentiment", "negative")?,
        ];
        let yue_idx = label_index(&dialect, "dialect", "yue")?;
        label_index(&dialect, "dialect", "cmn")?;
        let dialect_threshold = dialect
            .oos_threshold()
            .map(|o| o.threshold)
            .unwrap_or(0.5)
            .max(0.5);
        let yue_normalizer =
            Normalizer::with_lexicon(lexicon).map_err(|e| AnalyzeError::Lexicon(e.to_string()))?;
        let extractor =
            Extractor::new(&gazetteer).map_err(|e| AnalyzeError::Entities(e.to_string()))?;
        Ok(Analyzer {
            featurizer: intent.featurizer().clone(),
            intent,
            sentiment,
            dialect,
            yue_normalizer,
            sentiment_idx,
            yue_idx,
            dialect_threshold,
            gazetteer,
            extractor,
        })
    }

    /// Replace the product/competitor gazetteer (e.g. with the installing company's catalogue).
    /// If the gazetteer cannot be compiled (not expected for any list of names), the previous one is
    /// kept and a warning is logged.
    pub fn with_gazetteer(mut self, g: Gazetteer) -> Self {
        match Extractor::new(&g) {
            Ok(x) => {
                self.extractor = x;
                self.gazetteer = g;
            }
            Err(e) => {
                tracing::warn!(error = %e, "gazetteer not compiled; keeping the previous one")
            }
        }
        self
    }

    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// Probability that normalized features are Cantonese.
    fn p_yue(&self, f: &Features) -> f32 {
        self.dialect
            .probabilities(f)
            .get(self.yue_idx)
            .copied()
            .unwrap_or(0.0)
    }

    /// Dialect of a text (exposed for evaluation) and the model's P(yue); English-only text is `cmn`.
    pub fn dialect_of(&self, text: &str) -> (Dialect, f32) {
        let f = self.featurizer.featurize(text);
        let p = self.p_yue(&f);
        let ev = dialect::evidence(&f.normalized);
        (self.decide_dialect(language::detect(text), p, &ev), p)
    }

    /// P(yue) at or above which the dialect model alone would say `yue` (for evaluation).
    pub fn dialect_threshold(&self) -> f32 {
        self.dialect_threshold
    }

    /// The Cantonese evidence (characters, words) found in a text.
    pub fn dialect_evidence(&self, text: &str) -> dialect::Evidence {
        dialect::evidence(&self.featurizer.normalizer().normalize(text))
    }

    /// Mandarin is the prior: `yue` needs Cantonese evidence in the text and either the model's
    /// agreement or decisive evidence.
    fn decide_dialect(&self, lang: Language, p_yue: f32, ev: &dialect::Evidence) -> Dialect {
        let yue = lang != Language::En
            && ev.score > 0
            && (p_yue >= self.dialect_threshold || ev.decisive());
        if yue { Dialect::Yue } else { Dialect::Cmn }
    }

    /// `dialect:yue:<marker>` explanation items for a Cantonese decision (weight 2 for a strong
    /// marker, 1 for a weak one).
    fn dialect_explanation(
        ev: &dialect::Evidence,
    ) -> impl Iterator<Item = tuoke_core::FeatureWeight> + '_ {
        ev.markers.iter().map(|(m, w)| tuoke_core::FeatureWeight {
            feature: format!("dialect:yue:{m}"),
            weight: *w as f32,
        })
    }

    /// The text the intent model sees: base normalization, plus the lexicon for Cantonese.
    pub fn normalize_for(&self, text: &str, dialect: Dialect) -> String {
        match dialect {
            Dialect::Yue => self.yue_normalizer.normalize(text),
            Dialect::Cmn => self.featurizer.normalizer().normalize(text),
        }
    }

    fn sentiment_of(&self, f: &Features) -> Sentiment {
        // The sentiment model's polarity-lexicon features on top of the shared ones (none: as is).
        let with = self.sentiment.featurizer().with_polarity(f);
        let p = self.sentiment.probabilities(with.as_ref().unwrap_or(f));
        let get = |i: usize| p.get(i).copied().unwrap_or(0.0);
        let [ip, iu, ing] = self.sentiment_idx;
        let (pp, pu, pn) = (get(ip), get(iu), get(ing));
        let (label, confidence) = if pp >= pu && pp >= pn {
            (SentimentLabel::Positive, pp)
        } else if pn >= pu {
            (SentimentLabel::Negative, pn)
        } else {
            (SentimentLabel::Neutral, pu)
        };
        Sentiment {
            label,
            score: (pp - pn).clamp(-1.0, 1.0),
            confidence,
        }
    }

    /// Analyze one customer utterance. `now` resolves relative dates ("明天下午三点").
    pub fn analyze(
        &self,
        text: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Analysis, AnalyzeError> {
        if text.trim().is_empty() {
            return Err(AnalyzeError::Empty);
        }
        let chars = text.chars().count();
        if chars > MAX_INPUT_CHARS {
            return Err(AnalyzeError::TooLong {
                chars,
                limit: MAX_INPUT_CHARS,
            });
        }
        let lang = language::detect(text);
        // English chat shorthand ("hw much", "diff btw x10 n x20") read as the words it stands for.
        let expanded = (lang == Language::En)
            .then(|| shorthand::expand(text))
            .flatten();
        // The models read the text as typed (they were trained on shorthand too); everything the
        // dialogue reads — the text, its clauses, entities and normalized form — is spelled out.
        let typed = text;
        let text = expanded.as_deref().unwrap_or(text);
        let base = self.featurizer.featurize(typed);
        let evidence = dialect::evidence(&base.normalized);
        let dialect = if lang == Language::En || evidence.score == 0 {
            Dialect::Cmn
        } else {
            self.decide_dialect(lang, self.p_yue(&base), &evidence)
        };
        let feats = match dialect {
            Dialect::Yue => {
                let mapped = self.yue_normalizer.normalize(text);
                self.featurizer.featurize(&mapped)
            }
            Dialect::Cmn => base,
        };
        let mut pred = self.intent.predict_features(
            &feats,
            &PredictOptions {
                top_k: TOP_K,
                explain: EXPLAIN,
            },
        );
        // "你好，X20多少钱？": the greeting is not the point of the message; read what follows it.
        if SMALL_TALK.contains(&pred.label.as_str())
            && let Some(rest) = clauses::after_greeting(typed)
        {
            let f = self
                .featurizer
                .featurize(&self.normalize_for(&rest, dialect));
            let p = self.intent.predict_features(
                &f,
                &PredictOptions {
                    top_k: TOP_K,
                    explain: EXPLAIN,
                },
            );
            // Only a clear request wins over the greeting ("您好，请问在线吗" stays a greeting).
            let request = p.label.starts_with("ask_")
                || matches!(
                    p.label.as_str(),
                    "purchase_intent" | "compare_competitor" | "complaint"
                );
            if request && p.confidence >= 0.7 {
                pred = p;
            }
        }
        let sentiment = self.sentiment_of(&feats);
        if dialect == Dialect::Yue {
            pred.explanation
                .extend(Self::dialect_explanation(&evidence));
        }
        let entities = self.extractor.extract(text, now);
        let clauses = self.clauses(text, dialect, &entities, &pred, sentiment.clone());
        let intent = Intent {
            label: pred.label,
            confidence: pred.confidence,
            top_k: pred.top_k,
        };
        let normalized = match &expanded {
            Some(e) => self.featurizer.normalizer().normalize(e),
            None => feats.normalized,
        };
        Ok(Analysis {
            text: text.to_string(),
            normalized,
            language: lang,
            dialect,
            intent,
            sentiment,
            entities,
            explanation: pred.explanation,
            clauses,
        })
    }

    /// The turn's clauses ([`clauses::split`]), each with its own intent and sentiment (the same
    /// models and dialect as the turn) and the turn's entities that fall inside it. A one-clause
    /// turn reuses the turn's prediction.
    fn clauses(
        &self,
        text: &str,
        dialect: Dialect,
        entities: &[tuoke_core::Entity],
        turn: &tuoke_nlu::Prediction,
        turn_sentiment: Sentiment,
    ) -> Vec<Clause> {
        let spans = clauses::split(text);
        let chars: Vec<char> = text.chars().collect();
        let one = spans.len() <= 1;
        spans
            .into_iter()
            .map(|(start, end)| {
                let t: String = chars.get(start..end).unwrap_or(&[]).iter().collect();
                let (intent, sentiment) = if one {
                    (
                        Intent {
                            label: turn.label.clone(),
                            confidence: turn.confidence,
                            top_k: turn.top_k.clone(),
                        },
                        turn_sentiment.clone(),
                    )
                } else {
                    let feats = match dialect {
                        Dialect::Yue => self
                            .featurizer
                            .featurize(&self.yue_normalizer.normalize(&t)),
                        Dialect::Cmn => self.featurizer.featurize(&t),
                    };
                    let p = self.intent.predict_features(
                        &feats,
                        &PredictOptions {
                            top_k: TOP_K,
                            explain: 0,
                        },
                    );
                    (
                        Intent {
                            label: p.label,
                            confidence: p.confidence,
                            top_k: p.top_k,
                        },
                        self.sentiment_of(&feats),
                    )
                };
                Clause {
                    question: clauses::is_question(&t),
                    entities: entities
                        .iter()
                        .filter(|e| e.start >= start && e.end <= end)
                        .cloned()
                        .collect(),
                    normalized: self.normalize_for(&t, dialect),
                    text: t,
                    start,
                    end,
                    intent,
                    sentiment,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<FixedOffset> {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
            .unwrap()
    }

    fn analyzer() -> Analyzer {
        Analyzer::shipped().expect("embedded models load")
    }

    #[test]
    fn analyzer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Analyzer>();
    }

    #[test]
    fn empty_and_too_long_text_are_errors() {
        let a = analyzer();
        assert!(matches!(a.analyze("", now()), Err(AnalyzeError::Empty)));
        assert!(matches!(
            a.analyze("  \n\t", now()),
            Err(AnalyzeError::Empty)
        ));
        let long = "好".repeat(MAX_INPUT_CHARS + 1);
        assert!(matches!(
            a.analyze(&long, now()),
            Err(AnalyzeError::TooLong { .. })
        ));
    }

    #[test]
    fn price_question_in_three_varieties() {
        let a = analyzer();
        for (text, dialect) in [
            ("这个多少钱", Dialect::Cmn),
            ("呢個幾多錢呀", Dialect::Yue),
            ("how much is it", Dialect::Cmn),
        ] {
            let r = a.analyze(text, now()).unwrap();
            assert_eq!(r.intent.label, "ask_price", "{text}: {:?}", r.intent);
            assert_eq!(r.dialect, dialect, "{text}");
        }
    }

    #[test]
    fn cantonese_is_mapped_to_mandarin_before_intent() {
        let a = analyzer();
        let r = a.analyze("我唔要喇", now()).unwrap();
        assert_eq!(r.dialect, Dialect::Yue);
        assert!(r.normalized.contains('不'), "{}", r.normalized);
        assert!(!r.normalized.contains('唔'), "{}", r.normalized);
    }

    #[test]
    fn dialect_does_not_follow_the_script() {
        let a = analyzer();
        // Cantonese in Simplified, Mandarin in Traditional.
        assert_eq!(a.dialect_of("你哋几时可以送货啊").0, Dialect::Yue);
        assert_eq!(a.dialect_of("佢话听日先嚟睇").0, Dialect::Yue);
        assert_eq!(a.dialect_of("你們什麼時候可以送貨").0, Dialect::Cmn);
        assert_eq!(a.dialect_of("這個東西怎麼用啊").0, Dialect::Cmn);
    }

    #[test]
    fn sentiment_polarity_and_score() {
        let a = analyzer();
        let pos = a
            .analyze("太好了，服务真不错，谢谢", now())
            .unwrap()
            .sentiment;
        let neg = a.analyze("质量太差了，我要投诉", now()).unwrap().sentiment;
        assert_eq!(pos.label, SentimentLabel::Positive);
        assert_eq!(neg.label, SentimentLabel::Negative);
        assert!(pos.score > 0.0 && neg.score < 0.0);
        assert!((-1.0..=1.0).contains(&pos.score));
    }

    #[test]
    fn language_field() {
        let a = analyzer();
        assert_eq!(
            a.analyze("这个price能便宜点吗", now()).unwrap().language,
            Language::Mixed
        );
        assert_eq!(
            a.analyze("can you do a discount", now()).unwrap().language,
            Language::En
        );
        assert_eq!(
            a.analyze("能便宜点吗", now()).unwrap().language,
            Language::Zh
        );
    }

    #[test]
    fn default_gazetteer_finds_demo_competitor_and_custom_one_replaces_it() {
        let a = analyzer();
        let r = a.analyze("你们和小米比怎么样", now()).unwrap();
        assert!(
            r.entities
                .iter()
                .any(|e| e.kind == tuoke_core::EntityType::Competitor && e.value == "xiaomi"),
            "{:?}",
            r.entities
        );
        let g = Gazetteer {
            products: vec![tuoke_core::GazetteerEntry {
                id: "acme-crm".into(),
                names: vec!["Acme CRM".into(), "艾克米".into()],
            }],
            competitors: Vec::new(),
        };
        let a = a.with_gazetteer(g);
        let r = a.analyze("艾克米多少钱，和小米比呢", now()).unwrap();
        let products: Vec<_> = r
            .entities
            .iter()
            .filter(|e| e.kind == tuoke_core::EntityType::Product)
            .collect();
        assert_eq!(products.len(), 1, "{:?}", r.entities);
        assert_eq!(products[0].value, "acme-crm");
        assert_eq!((products[0].start, products[0].end), (0, 3));
        assert!(
            !r.entities
                .iter()
                .any(|e| e.kind == tuoke_core::EntityType::Competitor)
        );
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let a = analyzer();
        for t in [
            "👍",
            "\u{0}\u{1}x",
            "？？？",
            "a",
            "１２３",
            "\u{FEFF}你好",
            "ok啦",
        ] {
            let _ = a.analyze(t, now());
        }
    }
}
