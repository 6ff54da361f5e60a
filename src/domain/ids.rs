//! Ids of rows that are UUIDs stored as TEXT: one type per table, so that one cannot be
//! passed for another, read back only if the text is a UUID (bad data is an error, not
//! a nil id). They read as `&str` where a query takes the stored text.

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name {
            uuid: uuid::Uuid,
            text: String,
        }

        impl $name {
            pub fn uuid(&self) -> uuid::Uuid {
                self.uuid
            }

            pub fn as_str(&self) -> &str {
                &self.text
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(uuid: uuid::Uuid) -> Self {
                Self {
                    text: uuid.to_string(),
                    uuid,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, uuid::Error> {
                uuid::Uuid::parse_str(text).map(Self::from)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.text
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.text)
            }
        }

        $crate::text_column!($name);
    };
}

uuid_id!(
    /// A registration's id.
    RegistrationId
);
uuid_id!(
    /// A membership application's id.
    ApplicationId
);
uuid_id!(
    /// An account's id.
    AccountId
);

#[cfg(test)]
mod tests {
    use super::RegistrationId;

    #[test]
    fn an_id_reads_back_only_from_a_uuid() {
        let id: RegistrationId = "0190a3c2-7b1e-7c3d-9f00-123456789abc".parse().unwrap();
        assert_eq!(id.as_str(), "0190a3c2-7b1e-7c3d-9f00-123456789abc");
        assert_eq!(id.uuid().to_string(), id.as_str());
        for bad in ["", "not-a-uuid", "0190a3c2"] {
            assert!(bad.parse::<RegistrationId>().is_err(), "{bad:?}");
        }
    }
}
