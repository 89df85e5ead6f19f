//! A small parser for the `text/event-stream` lines of an OpenAI-compatible streaming answer.

/// One parsed SSE `data:` payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SseData {
    /// A JSON payload.
    Json(String),
    /// `data: [DONE]`.
    Done,
}

/// Splits bytes into lines as they arrive and yields the `data:` payloads of complete events.
/// Multi-line `data:` fields of one event are joined with `\n`, as the SSE spec says.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    data: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the payloads of the events it completed.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<SseData> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if let Some(d) = self.data.take() {
                    out.push(classify(d));
                }
            } else if let Some(rest) = line.strip_prefix("data:") {
                let rest = rest.strip_prefix(' ').unwrap_or(rest);
                match &mut self.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(rest);
                    }
                    None => self.data = Some(rest.to_string()),
                }
            }
            // Comments (":"), "event:", "id:" and "retry:" lines carry nothing we need.
        }
        out
    }

    /// The payload of a last event that had no blank line after it.
    pub(crate) fn finish(&mut self) -> Option<SseData> {
        self.data.take().map(classify)
    }
}

fn classify(d: String) -> SseData {
    if d.trim() == "[DONE]" {
        SseData::Done
    } else {
        SseData::Json(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_crlf() {
        let mut p = SseParser::default();
        assert!(p.feed(b"data: {\"a\"").is_empty());
        assert_eq!(
            p.feed(b":1}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n"),
            vec![SseData::Json("{\"a\":1}".into()), SseData::Done]
        );
        assert_eq!(p.finish(), None);
    }

    #[test]
    fn multi_line_data_and_unterminated_last_event() {
        let mut p = SseParser::default();
        assert!(p.feed(b"event: x\ndata: one\ndata:two\n").is_empty());
        assert_eq!(p.finish(), Some(SseData::Json("one\ntwo".into())));
    }
}
