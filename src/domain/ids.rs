//! Identifier newtypes. Parsing is validation: a value of one of these types is always well-formed,
//! so ids taken from URLs and forms never reach SQL or the file system unchecked.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} id must be 32 hexadecimal characters")]
pub struct IdError {
    /// What kind of id was expected ("project", "user", …).
    pub kind: &'static str,
}

macro_rules! hex_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// A new random id (a UUIDv4 as 32 lowercase hex characters, as Keystone writes them).
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4().simple().to_string())
            }

            /// Validates `s`: exactly 32 hex characters; upper case is folded to lower case.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(Self(s.to_ascii_lowercase()))
                } else {
                    Err(IdError { kind: $kind })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

hex_id!(
    /// A project (tenant) id; images are owned by projects.
    ProjectId,
    "project"
);
hex_id!(
    /// A user id.
    UserId,
    "user"
);
hex_id!(
    /// A role id.
    RoleId,
    "role"
);

/// An image id: a UUID in its canonical lowercase, dashed form (as Glance writes them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ImageId(String);

impl ImageId {
    /// A new random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// Validates `s`: a UUID (any case, dashed); stored in canonical lowercase form.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() != 36 {
            return Err(IdError { kind: "image" });
        }
        uuid::Uuid::parse_str(s)
            .map(|u| Self(u.to_string()))
            .map_err(|_| IdError { kind: "image" })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ImageId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<ImageId> for String {
    fn from(id: ImageId) -> String {
        id.0
    }
}

impl std::str::FromStr for ImageId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn image_ids_are_canonical_uuids() {
        let id = ImageId::parse("0F8E3A2C-1B4D-4E5F-8A9B-0C1D2E3F4A5B").unwrap();
        assert_eq!(id.as_str(), "0f8e3a2c-1b4d-4e5f-8a9b-0c1d2e3f4a5b");
        for bad in [
            "",
            "0f8e3a2c1b4d4e5f8a9b0c1d2e3f4a5b",
            "../0f8e3a2c-1b4d-4e5f-8a9b-0c1d2e3f4a5",
            "not-a-uuid-at-all-not-a-uuid-at-all!",
        ] {
            assert!(ImageId::parse(bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn parse_accepts_32_hex_and_folds_case() {
        let id = ProjectId::parse("ABCDEF0123456789abcdef0123456789").unwrap();
        assert_eq!(id.as_str(), "abcdef0123456789abcdef0123456789");
    }

    #[test]
    fn parse_rejects_everything_else() {
        for bad in [
            "",
            "admin",
            "abcdef0123456789abcdef012345678",   // 31
            "abcdef0123456789abcdef01234567890", // 33
            "abcdef0123456789abcdef012345678g",
            "../../../../etc/passwd0123456789ab",
            "12345678-1234-1234-1234-123456789abc",
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let a = RoleId::random();
        let b = RoleId::random();
        assert_ne!(a, b);
        assert!(RoleId::parse(a.as_str()).is_ok());
    }

    #[test]
    fn serde_validates() {
        let ok: Result<UserId, _> = serde_json::from_str("\"0123456789abcdef0123456789abcdef\"");
        assert!(ok.is_ok());
        let bad: Result<UserId, _> = serde_json::from_str("\"nope\"");
        assert!(bad.is_err());
    }
}
