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

/// An event's id: its row number, shown as an integer in the API and in its links.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    diesel::AsExpression,
    diesel::FromSqlRow,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(sql_type = diesel::sql_types::BigInt)]
#[serde(transparent)]
pub struct EventId(i64);

impl EventId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for EventId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl std::str::FromStr for EventId {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Self)
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

crate::sql_column!(EventId: BigInt,
    reads i64 as |bytes| {
        <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>>::from_sql(bytes).map(EventId)
    },
    writes i64 as |id| &id.0);

#[cfg(test)]
mod tests {
    use super::{EventId, RegistrationId};

    #[test]
    fn an_event_id_is_an_integer_on_the_wire_and_in_a_path() {
        let id: EventId = "42".parse().unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<EventId>("42").unwrap(), id);
        for bad in ["", "forty-two", "4.2"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad:?}");
        }
    }

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
