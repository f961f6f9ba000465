//! Checks on account input shared by registration and the `backbeat user create` command.

use crate::error::FieldError;

use super::password::{MAX_LEN, MIN_LEN};

/// Longest display name, characters.
pub const MAX_DISPLAY_NAME: usize = 100;
/// Longest e-mail address (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL: usize = 254;

/// Lower-cases and trims an e-mail address and checks its shape: one `@`, a local part of
/// 1–64 printable characters without spaces or quotes, and a domain of at least two
/// dot-separated labels of letters, digits and inner hyphens. Deliberately stricter than
/// RFC 5322 (no quoted local parts, no IP literals): those addresses are legal but are far
/// more often typos than real.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let email = raw.trim().to_lowercase();
    let bad = |m: &str| Err(FieldError::new("email", m));
    if email.is_empty() || email.chars().count() > MAX_EMAIL {
        return bad("must be an e-mail address of at most 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return bad("must contain @");
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"\"(),:;<>@[\\]".contains(c));
    if !local_ok {
        return bad("has an invalid part before @");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
    if !domain_ok {
        return bad("has an invalid domain");
    }
    Ok(email)
}

/// A new password: 8–256 characters.
pub fn new_password(password: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if (MIN_LEN..=MAX_LEN).contains(&n) {
        Ok(())
    } else {
        Err(FieldError::new(
            "password",
            format!("must be {MIN_LEN} to {MAX_LEN} characters"),
        ))
    }
}

/// A trimmed, non-empty name of at most `max` characters, held to the character rules of
/// display text (`text.rs`: something visible, no control or bidi-override characters).
pub fn name(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    crate::text::check_characters(field, name)?;
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("  Ada@Example.ORG ").unwrap(), "ada@example.org");
        assert!(email("a.b+tag@sub.example.co").is_ok());
        for bad in [
            "",
            "plain",
            "@example.org",
            "a@",
            "a@b",
            "a@b.c",
            "a@@b.org",
            "a b@c.org",
            "a@-b.org",
            "a@b..org",
            ".a@b.org",
            "a..b@c.org",
            "a@b.org.",
            "\"q\"@b.org",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
        assert!(email(&format!("{}@b.org", "a".repeat(65))).is_err());
    }

    #[test]
    fn passwords_and_names() {
        assert!(new_password("1234567").is_err());
        assert!(new_password("12345678").is_ok());
        assert!(new_password(&"é".repeat(256)).is_ok());
        assert!(new_password(&"x".repeat(257)).is_err());
        assert_eq!(name("n", "  Ada  ", 100).unwrap(), "Ada");
        assert!(name("n", "   ", 100).is_err());
        assert!(name("n", &"x".repeat(101), 100).is_err());
        assert!(name("n", "a\u{0}b", 100).is_err());
        assert!(name("n", "\u{200B}\u{FEFF}", 100).is_err());
        assert!(name("n", "Ada\u{202E}", 100).is_err());
    }
}
