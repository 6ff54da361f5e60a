/// A URL slug: lower-case ASCII letters and digits in hyphen-separated words, with at
/// least one letter, so that a slug can never be mistaken for a numeric event id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

pub const MAX_SLUG_LEN: usize = 100;

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_SLUG_LEN
            && raw.bytes().any(|b| b.is_ascii_lowercase())
            && raw.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if valid {
            Ok(Self(raw.to_string()))
        } else {
            Err(format!(
                "must be 1 to {MAX_SLUG_LEN} characters of a-z, 0-9 and single hyphens between words, with at least one letter"
            ))
        }
    }

    /// A slug made from a title: accents dropped to their base letter where simple,
    /// everything else a word break. Never empty.
    pub fn from_title(title: &str) -> Self {
        let mut slug = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            let c = fold_accent(c);
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug: String = slug.chars().take(80).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        if !slug.bytes().any(|b| b.is_ascii_lowercase()) {
            // Empty or all digits ("2031"): a word keeps it apart from numeric ids.
            slug = if slug.is_empty() {
                "event".into()
            } else {
                format!("event-{slug}")
            };
        }
        Self(slug)
    }

    /// The same slug with a numeric suffix, to make a generated slug unique.
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lower_case_words_with_hyphens() {
        assert!(Slug::parse("community-engagement-2011").is_ok());
        for bad in [
            "",
            "Upper",
            "2031",
            "1-2",
            "double--hyphen",
            "-lead",
            "trail-",
            "sp ace",
            "ünï",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Slug::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn titles_become_valid_slugs() {
        assert_eq!(
            Slug::from_title("Community engagement (LCIP workshop)").as_str(),
            "community-engagement-lcip-workshop"
        );
        assert_eq!(Slug::from_title("Café Société!").as_str(), "cafe-societe");
        assert_eq!(Slug::from_title("!!!").as_str(), "event");
        assert_eq!(Slug::from_title("2031").as_str(), "event-2031");
        let long = Slug::from_title(&"word ".repeat(40));
        assert!(Slug::parse(long.as_str()).is_ok());
    }
}
