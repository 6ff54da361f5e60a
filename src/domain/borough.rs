/// London's 33 local authorities: the 32 boroughs and the City of London.
pub const BOROUGHS: [&str; 33] = [
    "Barking and Dagenham",
    "Barnet",
    "Bexley",
    "Brent",
    "Bromley",
    "Camden",
    "City of London",
    "Croydon",
    "Ealing",
    "Enfield",
    "Greenwich",
    "Hackney",
    "Hammersmith and Fulham",
    "Haringey",
    "Harrow",
    "Havering",
    "Hillingdon",
    "Hounslow",
    "Islington",
    "Kensington and Chelsea",
    "Kingston upon Thames",
    "Lambeth",
    "Lewisham",
    "Merton",
    "Newham",
    "Redbridge",
    "Richmond upon Thames",
    "Southwark",
    "Sutton",
    "Tower Hamlets",
    "Waltham Forest",
    "Wandsworth",
    "Westminster",
];

/// One of [`BOROUGHS`], matched ignoring case and surrounding spaces, kept in its
/// common spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Borough(&'static str);

impl Borough {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let wanted = raw.trim();
        BOROUGHS
            .iter()
            .find(|name| name.eq_ignore_ascii_case(wanted))
            .map(|name| Self(name))
            .ok_or_else(|| {
                "must be one of London's 33 local authorities (see GET /api/v1/boroughs)".into()
            })
    }

    pub fn name(&self) -> &'static str {
        self.0
    }
}

/// The contract's view of a borough field: the 33 names (the server also accepts them
/// in any letter case, with surrounding spaces).
pub struct BoroughName;

impl utoipa::PartialSchema for BoroughName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(BOROUGHS))
            .description(Some(
                "One of London's 33 local authorities, as `GET /api/v1/boroughs` lists them",
            ))
            .examples([serde_json::json!("Camden")])
            .into()
    }
}

impl utoipa::ToSchema for BoroughName {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_33_distinct_authorities() {
        let mut names = BOROUGHS.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 33);
    }

    #[test]
    fn matches_ignoring_case_and_returns_the_common_name() {
        assert_eq!(
            Borough::parse("kensington AND chelsea").unwrap().name(),
            "Kensington and Chelsea"
        );
        assert_eq!(
            Borough::parse(" city of london ").unwrap().name(),
            "City of London"
        );
        assert!(Borough::parse("Manchester").is_err());
    }
}
