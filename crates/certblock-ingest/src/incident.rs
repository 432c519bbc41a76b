//! `incident.json`: the title, category, action and summary of one incident folder.

use std::path::Path;

use certblock_list::{Action, Category, Date, Incident, IncidentId, Timestamp};
use serde::Deserialize;

use crate::error::{Problem, ProblemKind};
use crate::json::json_problem;

/// The file as written; the id is the folder name, not a field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentFile {
    title: String,
    category: Category,
    action: Action,
    #[serde(default)]
    added: Option<Date>,
    /// Optional: distrust only certificates whose notBefore is after this UTC instant.
    #[serde(default)]
    distrust_after: Option<Timestamp>,
    #[serde(default)]
    references: Vec<String>,
    summary: String,
}

/// Reads the `incident.json` of the folder `id`; `path` is the file as the user sees it (it
/// names the file in the problem, with the line and column, when the JSON is refused).
pub fn parse_incident(path: &Path, id: IncidentId, bytes: &[u8]) -> Result<Incident, Problem> {
    let file: IncidentFile = serde_json::from_slice(bytes)
        .map_err(|e| json_problem(path, &e, |message| ProblemKind::IncidentJson { message }))?;
    Ok(Incident {
        id,
        title: file.title,
        category: file.category,
        action: file.action,
        added: file.added,
        distrust_after: file.distrust_after,
        references: file.references,
        summary: file.summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Incident, Problem> {
        parse_incident(
            Path::new("s/kz/incident.json"),
            "kz".parse().unwrap(),
            text.as_bytes(),
        )
    }

    #[test]
    fn reads_all_fields() {
        let i = parse(
            r#"{"title": "T", "category": "interception", "action": "blocked-interception",
                "added": "2019-08-21", "references": ["https://example.org/"], "summary": "S"}"#,
        )
        .unwrap();
        assert_eq!(i.id.as_str(), "kz");
        assert_eq!(i.action, Action::BlockedInterception);
        assert_eq!(i.category, Category::Interception);
        assert_eq!(i.added.unwrap().to_string(), "2019-08-21");
        assert_eq!(i.references.len(), 1);
        let minimal =
            parse(r#"{"title": "T", "category": "test", "action": "block", "summary": "S"}"#)
                .unwrap();
        assert!(minimal.added.is_none() && minimal.references.is_empty());
        assert!(minimal.distrust_after.is_none());
    }

    #[test]
    fn reads_an_optional_distrust_after() {
        let i = parse(
            r#"{"title": "T", "category": "misissuance", "action": "block", "summary": "S",
                "distrust_after": "2019-09-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(
            i.distrust_after.unwrap().to_string(),
            "2019-09-01T00:00:00Z"
        );
        let e = parse(
            "{\"title\": \"T\", \"category\": \"test\", \"action\": \"block\", \"summary\": \"S\",\n \"distrust_after\": \"2019-09-01\"}",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("YYYY-MM-DDTHH:MM:SSZ"), "{e}");
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("{\"title\": \"T\",\n \"category\": \"test\",\n \"action\": \"burn\",\n \"summary\": \"S\"}").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.column.is_some());
        assert!(e.to_string().starts_with("s/kz/incident.json:3:"), "{e}");
        assert!(e.to_string().contains("burn"), "{e}");
        let e = parse("{\"title\": \"T\", \"category\": \"test\", \"action\": \"block\", \"summary\": \"S\",\n \"added\": \"2019-02-30\"}").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("does not exist"), "{e}");
        let e = parse("{\"title\": ").unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        let e = parse("{\"title\": \"T\", \"category\": \"test\", \"action\": \"block\", \"summary\": \"S\", \"owner\": 1}").unwrap_err();
        assert!(e.to_string().contains("unknown field `owner`"), "{e}");
    }
}
