//! `tuoke company check DIR`: validates a company folder with the loader `tuoke serve --company`
//! uses, without starting a server, and lists every problem with its file and location.

use std::path::{Path, PathBuf};

use anyhow::bail;
use serde_json::json;
use tuoke_dialogue::{Company, CompanySources, DialogueError, Problem};

#[derive(clap::Subcommand, Debug)]
pub enum CompanyCommand {
    /// Check a company folder (its six YAML files); exits non-zero on any problem.
    Check {
        /// The company folder, e.g. companies/demo.
        dir: PathBuf,
        /// Print `{dir, ok, problems: [{file, path, location, message}]}` as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(c: CompanyCommand) -> anyhow::Result<()> {
    match c {
        CompanyCommand::Check { dir, json } => check(&dir, json),
    }
}

fn check(dir: &Path, json: bool) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let (company, problems) = load(dir);
    if json {
        let problems: Vec<_> = problems
            .iter()
            .map(|p| {
                json!({
                    "file": p.file,
                    "path": dir.join(&p.file).display().to_string(),
                    "location": p.location,
                    "message": p.message,
                })
            })
            .collect();
        let out = json!({
            "dir": dir.display().to_string(),
            "ok": problems.is_empty(),
            "problems": problems,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if let Some(c) = &company {
        println!(
            "{}: ok ({} products, {} FAQs, {} competitors, {} playbook nodes)",
            dir.display(),
            c.products().len(),
            c.faqs().len(),
            c.competitors().len(),
            c.playbook().nodes.len(),
        );
    } else {
        for p in &problems {
            let at = if p.location.is_empty() {
                String::new()
            } else {
                format!("{}: ", p.location)
            };
            println!("{}: {at}{}", dir.join(&p.file).display(), p.message);
        }
    }
    if !problems.is_empty() {
        bail!("{} problem(s) in {}", problems.len(), dir.display());
    }
    Ok(())
}

/// The company of `dir`, or every problem found: files that cannot be read, and whatever
/// [`Company::from_sources`] finds in the others.
fn load(dir: &Path) -> (Option<Company>, Vec<Problem>) {
    let mut unreadable = Vec::new();
    let texts = CompanySources::FILE_NAMES.map(|f| match std::fs::read_to_string(dir.join(f)) {
        Ok(t) => t,
        Err(e) => {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                "the file is missing".to_string()
            } else {
                format!("cannot read the file: {e}")
            };
            unreadable.push(Problem {
                file: f.to_string(),
                location: String::new(),
                message,
            });
            String::new()
        }
    });
    let [company, products, faq, competitors, playbook, grading] = texts;
    let src = CompanySources {
        company,
        products,
        faq,
        competitors,
        playbook,
        grading,
    };
    // canned.yaml is optional; when present it must be valid.
    if let Ok(text) = std::fs::read_to_string(dir.join(tuoke_dialogue::canned::FILE))
        && let Err(DialogueError::Invalid(found)) =
            tuoke_dialogue::canned::CannedReplies::from_yaml(&text)
    {
        unreadable.extend(found);
    }
    match Company::from_sources(&src) {
        Ok(c) if unreadable.is_empty() => (Some(c), Vec::new()),
        Ok(_) => (None, unreadable),
        Err(DialogueError::Invalid(found)) => {
            // A missing file reads as empty; its parse errors would only repeat "missing".
            let missing = |p: &Problem| unreadable.iter().any(|u| u.file == p.file);
            let rest: Vec<Problem> = found.into_iter().filter(|p| !missing(p)).collect();
            let mut all = unreadable;
            all.extend(rest);
            (None, all)
        }
        Err(e) => (
            None,
            vec![Problem {
                file: String::new(),
                location: String::new(),
                message: e.to_string(),
            }],
        ),
    }
}
