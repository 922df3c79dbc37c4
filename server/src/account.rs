//! Accounts, passwords and bearer tokens.
//!
//! Passwords are hashed with Argon2id (PHC string); tokens are 32 random bytes shown
//! once as hex and stored only as their SHA-256, so a leaked database holds no usable
//! credential. A scope is a list of grid-code prefixes; the empty prefix (written `*`
//! on the command line) covers every cell and also reports that lie outside all cells.
//!
//! A department's account (a handler of 专业部门) has a department scope instead:
//! `@water` (every case dispatched to the department `water`, wherever it is) or
//! `@water/320508001` (only those in that area). The server records, for every case
//! dispatched (or assigned as assisting) to a department, the key `@<dept>/<cell>`
//! beside the case's cells, so the very same prefix match scopes pushes, pulls and the
//! supervisor API; department ids never hold `/`, so `@water/` does not match
//! `@waterworks/`.

use crate::StorageError;
use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use gridwork_core::model::{validate_name, Role};
use sha2::{Digest, Sha256};

/// A server account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account name; events pushed with its token must name it as `actor.user`.
    pub user: String,
    /// The role its events must carry as `actor.role`.
    pub role: Role,
    /// Grid-code prefixes it may see and act in (`""` = everywhere).
    pub scope: Vec<String>,
    /// Argon2 PHC string; `None` when the account can only use issued tokens.
    pub password_hash: Option<String>,
}

impl Account {
    /// Whether `cell` (`""` for a report outside every cell), or a department key
    /// `@<dept>/<cell>`, lies in the scope.
    pub fn covers(&self, cell: &str) -> bool {
        self.scope.iter().any(|p| cell.starts_with(p.as_str()))
    }

    /// The department this account acts for: the one its department scope names.
    pub fn department(&self) -> Option<&str> {
        self.scope
            .iter()
            .find_map(|p| p.strip_prefix('@'))
            .and_then(|rest| rest.split('/').next())
    }

    /// The area prefixes of a department account's scope (`""` for everywhere).
    pub fn department_areas(&self) -> Vec<String> {
        self.scope
            .iter()
            .filter_map(|p| p.strip_prefix('@'))
            .filter_map(|rest| rest.split_once('/').map(|(_, area)| area.to_string()))
            .collect()
    }

    /// Whether the account may see a case in `cell` whose lead and assisting
    /// departments are `departments`: by its cells, or by its department.
    pub fn sees(&self, cell: &str, departments: &[String]) -> bool {
        self.covers(cell)
            || departments
                .iter()
                .any(|d| self.covers(&department_key(d, cell)))
    }
}

/// The key recorded for a case in `cell` dispatched to `department`.
pub fn department_key(department: &str, cell: &str) -> String {
    format!("@{department}/{cell}")
}

/// Parses a comma-separated scope: digit prefixes, or `*` for everywhere.
pub fn parse_scope(text: &str) -> Result<Vec<String>, StorageError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "*" {
            out.push(String::new());
        } else if let Some(rest) = part.strip_prefix('@') {
            let (department, area) = rest.split_once('/').unwrap_or((rest, ""));
            let area_ok = area.len() <= 15 && area.chars().all(|c| c.is_ascii_digit());
            if validate_name("department", department).is_err() || !area_ok {
                return Err(StorageError::Invalid(format!(
                    "scope {part:?}: @<department> or @<department>/<grid-code prefix> expected"
                )));
            }
            out.push(department_key(department, area));
        } else if part.len() <= 15 && part.chars().all(|c| c.is_ascii_digit()) {
            out.push(part.to_string());
        } else {
            return Err(StorageError::Invalid(format!(
                "scope prefix {part:?}: digits of a grid code (at most 15) or * expected"
            )));
        }
    }
    if out.is_empty() {
        return Err(StorageError::Invalid("the scope is empty".into()));
    }
    Ok(out)
}

/// Builds an account after checking its name, hashing the password if one is given.
pub fn new_account(
    user: &str,
    role: Role,
    scope: Vec<String>,
    password: Option<&str>,
) -> Result<Account, StorageError> {
    validate_name("user", user).map_err(|e| StorageError::Invalid(e.to_string()))?;
    let password_hash = password.map(hash_password).transpose()?;
    Ok(Account {
        user: user.to_string(),
        role,
        scope,
        password_hash,
    })
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, StorageError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StorageError::Invalid(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StorageError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StorageError::Invalid(e.to_string()))
}

/// [`verify_password`] computing in `memory`, a buffer the caller keeps for the next
/// verification (resized to the hash's memory cost). Argon2 takes ≈19 MiB a time: with
/// a fresh allocation per call the allocator keeps each one resident (glibc raises its
/// mmap threshold after the first and the freed blocks stay in the heap), so a server
/// that verifies on a few threads of its own reuses one buffer per thread instead.
pub fn verify_password_in(password: &str, hash: &str, memory: &mut Vec<argon2::Block>) -> bool {
    use argon2::{password_hash::Output, Algorithm, Params, Version};
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    memory.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new bearer token: 32 random bytes as lower-case hex, and its SHA-256 (what is stored).
pub fn new_token() -> Result<(String, String), StorageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StorageError::Invalid(format!("no randomness: {e}")))?;
    let token = hex::encode(bytes);
    let digest = token_digest(&token);
    Ok((token, digest))
}

/// The stored form of a token: SHA-256 of its text, lower-case hex.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn scopes_parse_and_cover_by_prefix() {
        assert_eq!(parse_scope("320508001, 320508002").unwrap().len(), 2);
        assert_eq!(parse_scope("*").unwrap(), vec![String::new()]);
        assert!(parse_scope("32a").is_err());
        assert!(parse_scope("").is_err());
        let a = new_account("li", Role::Worker, parse_scope("320508001").unwrap(), None).unwrap();
        assert!(a.covers("32050800100101"));
        assert!(!a.covers("32050800200101"));
        assert!(!a.covers(""));
        let all = new_account("wang", Role::Supervisor, vec![String::new()], None).unwrap();
        assert!(all.covers("") && all.covers("3205"));
    }

    #[test]
    fn department_scopes_see_their_departments_cases_only() {
        let scope = parse_scope("@water").unwrap();
        assert_eq!(scope, vec!["@water/".to_string()]);
        let water = new_account("w", Role::Handler, scope, None).unwrap();
        assert_eq!(water.department(), Some("water"));
        assert!(water.sees("32050800100101", &["water".into()]));
        assert!(!water.sees("32050800100101", &["waterworks".into()]));
        assert!(!water.sees("32050800100101", &[]));
        let local = new_account(
            "l",
            Role::Handler,
            parse_scope("@water/320508001").unwrap(),
            None,
        )
        .unwrap();
        assert!(local.sees("32050800100101", &["water".into()]));
        assert!(!local.sees("32050800200101", &["water".into()]));
        assert_eq!(local.department_areas(), vec!["320508001".to_string()]);
        assert!(parse_scope("@wa/ter/1").is_err() && parse_scope("@/1").is_err());
    }

    #[test]
    fn passwords_verify_and_tokens_are_stored_hashed() {
        let h = hash_password("s3cret").unwrap();
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("S3cret", &h));
        assert!(!verify_password("s3cret", "garbage"));
        let mut memory = Vec::new();
        assert!(verify_password_in("s3cret", &h, &mut memory));
        assert!(!verify_password_in("S3cret", &h, &mut memory));
        assert!(!verify_password_in("s3cret", "garbage", &mut memory));
        assert!(
            verify_password_in("s3cret", &h, &mut memory),
            "the buffer is reused"
        );
        let (t, d) = new_token().unwrap();
        assert_eq!(t.len(), 64);
        assert_eq!(token_digest(&t), d);
        assert_ne!(t, d);
    }
}
