//! Checks on display text shared by every use case that takes a name or a title.

use crate::error::FieldError;

/// Trims and checks a required display string (title, name): 1..=max characters, no control
/// characters.
pub fn clean_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let t = value.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_string())
}

/// `Some(clean_text(..))` for an optional field, recording its error in `fields`.
pub fn optional_text(
    fields: &mut crate::error::Fields,
    field: &str,
    value: Option<&String>,
    max: usize,
) -> Option<String> {
    value.and_then(|v| fields.check(clean_text(field, v, max)))
}
