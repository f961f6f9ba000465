//! A strict RFC 4180 CSV reader: quoted fields may hold commas, newlines and doubled quotes.
//!
//! Strict on purpose: a labels file that is silently misread gives wrong figures, so anything
//! ambiguous (a stray quote, an unclosed quote) is an error naming the line.

use super::EvalError;

/// One CSV record with the line it starts on (1-based), for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Line number (1-based) where the record starts.
    pub line: usize,
    /// The fields, unquoted and unescaped.
    pub fields: Vec<String>,
}

/// Split CSV text into records; blank lines are skipped, CRLF and LF both end a record.
pub fn parse(text: &str) -> Result<Vec<Record>, EvalError> {
    let mut p = Parser {
        line: 1,
        record_line: 1,
        ..Parser::default()
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if p.in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    p.field.push('"');
                }
                '"' => p.in_quotes = false,
                '\n' => {
                    p.line += 1;
                    p.field.push(c);
                }
                _ => p.field.push(c),
            }
            continue;
        }
        match c {
            '"' if p.field.is_empty() && !p.quoted => {
                p.in_quotes = true;
                p.quoted = true;
                p.quote_line = p.line;
            }
            '"' => return Err(EvalError::MisplacedQuote { line: p.line }),
            ',' => p.end_field(),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                p.end_record();
                p.line += 1;
                p.record_line = p.line;
            }
            _ if p.quoted => return Err(EvalError::MisplacedQuote { line: p.line }),
            _ => p.field.push(c),
        }
    }
    if p.in_quotes {
        return Err(EvalError::UnterminatedQuote { line: p.quote_line });
    }
    p.end_record();
    Ok(p.records)
}

#[derive(Default)]
struct Parser {
    records: Vec<Record>,
    fields: Vec<String>,
    field: String,
    /// The current field started with a quote (so only `,` or a line end may follow it).
    quoted: bool,
    in_quotes: bool,
    line: usize,
    record_line: usize,
    quote_line: usize,
}

impl Parser {
    fn end_field(&mut self) {
        self.fields.push(std::mem::take(&mut self.field));
        self.quoted = false;
    }

    fn end_record(&mut self) {
        let blank = self.fields.is_empty() && self.field.is_empty() && !self.quoted;
        self.end_field();
        let fields = std::mem::take(&mut self.fields);
        if !blank {
            self.records.push(Record {
                line: self.record_line,
                fields,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text)
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn quoted_commas_doubled_quotes_and_newlines() {
        let text = "a,b,c\n1,\"x, \"\"y\"\"\",\"two\nlines\"\r\n\n2,,\n";
        let got = fields(text);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], vec!["1", "x, \"y\"", "two\nlines"]);
        assert_eq!(got[2], vec!["2", "", ""]);
        let lines: Vec<usize> = parse(text)
            .unwrap_or_default()
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, vec![1, 2, 5]);
    }

    #[test]
    fn last_record_without_newline_and_empty_quoted_field() {
        assert_eq!(fields("a,b\n\"\",z"), vec![vec!["a", "b"], vec!["", "z"]]);
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        assert_eq!(
            parse("a,b\n1,\"open\n2,3\n"),
            Err(EvalError::UnterminatedQuote { line: 2 })
        );
    }

    #[test]
    fn misplaced_quotes_are_errors() {
        assert_eq!(
            parse("a,b\n1,x\"y\n"),
            Err(EvalError::MisplacedQuote { line: 2 })
        );
        assert_eq!(
            parse("a,b\n1,\"x\"y\n"),
            Err(EvalError::MisplacedQuote { line: 2 })
        );
    }

    #[test]
    fn empty_text_has_no_records() {
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(parse("\n\n"), Ok(vec![]));
    }
}
