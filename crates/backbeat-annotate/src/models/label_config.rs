//! The schema as a Label Studio label config (XML), sent as `label_config` with every
//! request so that an existing Label Studio ML backend knows the question names (its
//! `from_name`s) and their labels.
//!
//! | Question       | Control                                                          |
//! |----------------|------------------------------------------------------------------|
//! | `single_choice`| `<Choices choice="single">` with one `<Choice>` per label        |
//! | `multi_label`  | `<Choices choice="multiple">`                                    |
//! | `key`          | `<Choices choice="single">` of the 24 keys, `"C major"`…`"B minor"` |
//! | `number`       | `<Number min max>`                                               |
//! | `rating`       | `<Rating maxRating>`                                             |
//! | `text`         | `<TextArea maxSubmissions="1">`                                  |
//! | `regions`      | `<Labels>`; each attribute a `perRegion` control named `question.attribute` |
//! | `markers`      | `<Labels>` (a marker is a zero-length region)                    |
//!
//! Every control is `toName="audio"`, the `<Audio name="audio" value="$audio"/>` object.

use std::fmt::Write as _;

use super::key_text::all_key_names;
use crate::schema::{Question, QuestionKind, Schema};

/// The Label Studio XML label config of a schema.
pub fn label_config(schema: &Schema) -> String {
    let mut xml = String::from("<View>\n  <Audio name=\"audio\" value=\"$audio\"/>\n");
    for q in &schema.questions {
        control(&mut xml, q, &q.name, false);
    }
    xml.push_str("</View>\n");
    xml
}

fn control(xml: &mut String, q: &Question, name: &str, per_region: bool) {
    if let Some(title) = &q.title {
        let _ = writeln!(xml, "  <Header value=\"{}\"/>", escape(title));
    }
    let mut attrs = format!("name=\"{}\" toName=\"audio\"", escape(name));
    if q.required && !per_region {
        attrs.push_str(" required=\"true\"");
    }
    if per_region {
        attrs.push_str(" perRegion=\"true\"");
    }
    match &q.kind {
        QuestionKind::SingleChoice { labels } => choices(xml, &attrs, "single", labels),
        QuestionKind::MultiLabel { labels, .. } => choices(xml, &attrs, "multiple", labels),
        QuestionKind::Key => choices(xml, &attrs, "single", &all_key_names()),
        QuestionKind::Number { min, max, .. } => {
            let _ = writeln!(xml, "  <Number {attrs} min=\"{min}\" max=\"{max}\"/>");
        }
        QuestionKind::Rating { max, .. } => {
            let _ = writeln!(xml, "  <Rating {attrs} maxRating=\"{max}\"/>");
        }
        QuestionKind::Text { .. } => {
            let _ = writeln!(xml, "  <TextArea {attrs} maxSubmissions=\"1\"/>");
        }
        QuestionKind::Regions { labels, attributes } => {
            labels_control(xml, &attrs, labels);
            for a in attributes {
                control(xml, a, &format!("{name}.{}", a.name), true);
            }
        }
        QuestionKind::Markers { labels } => labels_control(xml, &attrs, labels),
    }
}

fn choices(xml: &mut String, attrs: &str, choice: &str, labels: &[String]) {
    let _ = writeln!(xml, "  <Choices {attrs} choice=\"{choice}\">");
    for l in labels {
        let _ = writeln!(xml, "    <Choice value=\"{}\"/>", escape(l));
    }
    xml.push_str("  </Choices>\n");
}

fn labels_control(xml: &mut String, attrs: &str, labels: &[String]) {
    let _ = writeln!(xml, "  <Labels {attrs}>");
    for l in labels {
        let _ = writeln!(xml, "    <Label value=\"{}\"/>", escape(l));
    }
    xml.push_str("  </Labels>\n");
}

/// Escapes text for a double-quoted XML attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
