//! Access tokens (JWT, HS256), refresh tokens and the key material behind them.
//!
//! The JWT is hand-rolled (one HMAC and two base64 decodes) because verification sits on every
//! authenticated request: a fixed header (`{"alg":"HS256","typ":"JWT"}`, nothing else
//! accepted, so `alg: none` and key-confusion tricks fail), a constant-time signature check,
//! then the claims (`iss`, `exp`, `iat`, `nbf`). An access token also carries the user's
//! token epoch when it was issued; the caller is then checked against the user's current
//! epoch and role (through [`super::current::CurrentUsers`], a cache of a few seconds), so a
//! role change or a deleted account takes effect within seconds, not at token expiry.
//!
//! Refresh tokens (`<family>.<secret>`, see [`RefreshToken`]) and API keys are random secrets
//! stored only as SHA-256 hashes.

use backbeat_store::{Id, Role};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::apikeys::ApiKeyCache;
use super::current::CurrentUsers;

type HmacSha256 = Hmac<Sha256>;

/// The issuer every access token names.
pub const ISSUER: &str = "backbeat";
/// Tolerated clock difference for `iat` and `nbf`, seconds.
const LEEWAY_S: i64 = 60;
/// Longer tokens are refused before any decoding.
const MAX_TOKEN_LEN: usize = 2048;
/// The only header accepted, base64url-encoded `{"alg":"HS256","typ":"JWT"}`.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Why a token was refused; every reason answers 401 (the reason is for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("unsupported token header")]
    Header,
    #[error("bad signature")]
    Signature,
    #[error("invalid claims")]
    Claims,
    #[error("expired")]
    Expired,
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub iss: String,
    /// The user id.
    pub sub: Id,
    pub role: Role,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Unique token id.
    pub jti: String,
    /// The user's token epoch at issue; the token is refused once the user's epoch is past
    /// it. Tokens issued before epochs existed lack it and count as 0.
    #[serde(default)]
    pub epoch: i64,
}

/// Keys and lifetimes for signing and verifying access tokens, plus the API-key cache.
pub struct TokenKeys {
    /// HMAC state already keyed; cloning it skips the key schedule on every request.
    jwt: HmacSha256,
    /// Life of an access token, seconds.
    pub access_ttl_s: u64,
    /// Life of a refresh token, seconds.
    pub refresh_ttl_s: u64,
    /// API keys resolved recently (see [`ApiKeyCache`]).
    pub api_keys: ApiKeyCache,
    /// Users' current roles and token epochs, checked on every request (see
    /// [`CurrentUsers`]).
    pub users: CurrentUsers,
}

/// Derives a 32-byte key for one purpose from the server secret: HMAC-SHA256(secret, label).
/// Distinct labels give independent keys, so a JWT signature can never double as a signed-URL
/// signature or the other way round.
pub fn derive_key(secret: &[u8], label: &str) -> [u8; 32] {
    let mut mac = hmac_with(secret);
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hmac_with(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this constructor cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// A random secret of 32 bytes, base64url without padding.
pub fn random_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 of a secret as lower-case hex: what the database stores for refresh tokens and keys.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

impl TokenKeys {
    /// Keys derived from the server secret.
    pub fn new(secret: &[u8], access_ttl_s: u64, refresh_ttl_s: u64) -> Self {
        Self {
            jwt: hmac_with(&derive_key(secret, "backbeat/jwt/v1")),
            access_ttl_s,
            refresh_ttl_s,
            api_keys: ApiKeyCache::new(),
            users: CurrentUsers::new(),
        }
    }

    /// Signs `claims` into a compact JWT. Used directly by tests to forge edge cases.
    pub fn sign(&self, claims: &Claims) -> String {
        // Serialising a plain struct of strings and integers cannot fail.
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = String::with_capacity(256);
        token.push_str(HEADER_B64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let mut mac = self.jwt.clone();
        mac.update(token.as_bytes());
        let sig = mac.finalize().into_bytes();
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut token);
        token
    }

    /// A fresh access token for a user in token epoch `epoch`, valid from `now` (Unix
    /// seconds) for the configured life.
    pub fn issue_access(
        &self,
        user: Id,
        role: Role,
        epoch: i64,
        now: i64,
    ) -> Result<String, getrandom::Error> {
        let ttl = i64::try_from(self.access_ttl_s).unwrap_or(i64::MAX);
        let mut jti = [0u8; 16];
        getrandom::fill(&mut jti)?;
        Ok(self.sign(&Claims {
            iss: ISSUER.into(),
            sub: user,
            role,
            exp: now.saturating_add(ttl),
            iat: now,
            nbf: None,
            jti: URL_SAFE_NO_PAD.encode(jti),
            epoch,
        }))
    }

    /// Checks an access token's signature and times at `now` (Unix seconds) and returns its
    /// claims. Whether the user still exists, and in that epoch, is the caller's to check.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        // Exactly our header: no other algorithm, no `kid`/`jku`/`crit` to interpret.
        if header != HEADER_B64 {
            return Err(TokenError::Header);
        }
        let mut sig_bytes = [0u8; 32];
        match URL_SAFE_NO_PAD.decode_slice(sig, &mut sig_bytes) {
            Ok(32) => {}
            _ => return Err(TokenError::Signature),
        }
        let mut mac = self.jwt.clone();
        mac.update(&token.as_bytes()[..header.len() + 1 + payload.len()]);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&sig_bytes)
            .map_err(|_| TokenError::Signature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Claims)?;
        if claims.iss != ISSUER
            || claims.iat > now + LEEWAY_S
            || claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_S)
            || claims.exp < claims.iat
        {
            return Err(TokenError::Claims);
        }
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// A refresh token as handed out: `<family>.<secret>`, the family (one per sign-in) in the
/// clear so that a replayed token can be traced to its family, the secret 32 random bytes.
/// Tokens made before families existed are a bare secret; they still rotate (into the new
/// shape), they only cannot be traced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub family: Id,
    pub token: String,
}

impl RefreshToken {
    /// A new token of `family`.
    pub fn new(family: Id) -> Result<Self, getrandom::Error> {
        Ok(Self {
            family,
            token: format!("{}.{}", family.simple(), random_secret()?),
        })
    }

    /// The family a presented token names, if it names one.
    pub fn family_of(token: &str) -> Option<Id> {
        let (family, _) = token.split_once('.')?;
        if family.len() != 32 {
            return None;
        }
        Id::try_parse(family).ok()
    }
}

/// The current time in Unix seconds.
pub fn now_secs() -> i64 {
    backbeat_store::now_millis().div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], 900, 3600)
    }

    #[test]
    fn header_constant_is_the_fixed_header() {
        let decoded = URL_SAFE_NO_PAD.decode(HEADER_B64).unwrap();
        assert_eq!(decoded, br#"{"alg":"HS256","typ":"JWT"}"#);
    }

    #[test]
    fn round_trip_and_expiry() {
        let k = keys();
        let user = backbeat_store::new_id();
        let t = k.issue_access(user, Role::Artist, 3, 1_000_000).unwrap();
        let c = k.verify(&t, 1_000_001).unwrap();
        assert_eq!((c.sub, c.role, c.epoch), (user, Role::Artist, 3));
        assert_eq!(k.verify(&t, 1_000_900), Err(TokenError::Expired));
        // Issued far in the future: refused even though unexpired.
        assert_eq!(k.verify(&t, 1_000_000 - 3600), Err(TokenError::Claims));
    }

    #[test]
    fn other_secret_and_other_label_refuse() {
        let t = keys()
            .issue_access(backbeat_store::new_id(), Role::Admin, 0, 10)
            .unwrap();
        let other = TokenKeys::new(&[8u8; 32], 900, 3600);
        assert_eq!(other.verify(&t, 11), Err(TokenError::Signature));
        assert_ne!(
            derive_key(&[7u8; 32], "backbeat/jwt/v1"),
            derive_key(&[7u8; 32], "x")
        );
    }

    #[test]
    fn every_flipped_character_is_refused() {
        let k = keys();
        let t = k
            .issue_access(backbeat_store::new_id(), Role::Listener, 0, 10)
            .unwrap();
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            if forged != t {
                assert!(k.verify(&forged, 11).is_err(), "flipped byte {i} accepted");
            }
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let k = keys();
        let t = k
            .issue_access(backbeat_store::new_id(), Role::Admin, 0, 10)
            .unwrap();
        let payload = t.split('.').nth(1).unwrap();
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            k.verify(&format!("{none}.{payload}."), 11),
            Err(TokenError::Header)
        );
    }

    #[test]
    fn refresh_tokens_name_their_family() {
        let family = backbeat_store::new_id();
        let t = RefreshToken::new(family).unwrap();
        assert_eq!(RefreshToken::family_of(&t.token), Some(family));
        assert_eq!(t.token.len(), 32 + 1 + 43);
        assert_ne!(t.token, RefreshToken::new(family).unwrap().token);
        // A token from before families, and garbage, name none.
        assert_eq!(RefreshToken::family_of(&random_secret().unwrap()), None);
        for bad in ["", ".", "x.y", "not-a-uuid-at-all-but-32-chars!!.s"] {
            assert_eq!(RefreshToken::family_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tokens_without_an_epoch_count_as_epoch_zero() {
        let k = keys();
        let user = backbeat_store::new_id();
        let payload = serde_json::json!({
            "iss": ISSUER, "sub": user, "role": "artist", "exp": 2_000, "iat": 1_000, "jti": "j"
        });
        let claims: Claims = serde_json::from_value(payload).unwrap();
        let t = k.sign(&claims);
        assert_eq!(k.verify(&t, 1_001).unwrap().epoch, 0);
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let a = random_secret().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret().unwrap());
    }
}
