//! The crate's one error type and the located problem it reports for company files.

/// One problem found while loading a company: which file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// `company.yaml`, `products.yaml`, `faq.yaml`, `competitors.yaml`, `playbook.yaml` or `grading.yaml`.
    pub file: String,
    /// Location inside the file, e.g. `nodes[3] (quote_price).reply.yue` or `line 12 column 5`.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.location, self.message)
    }
}

/// Errors of the dialogue crate.
#[derive(Debug, thiserror::Error)]
pub enum DialogueError {
    /// The company files have problems; all of them are listed.
    #[error("invalid company files ({} problem(s)):\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// A stored conversation state cannot be used with this company.
    #[error("invalid conversation state: {0}")]
    State(String),
}
