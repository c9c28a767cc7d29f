//! Test persons. Names carry any Unicode: the default user exercises å, ä, ö, æ, ø and é end to end.

use legit_core::PersonalNumber;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestUser {
    pub personal_number: String,
    pub given_name: String,
    pub surname: String,
}

impl TestUser {
    pub fn default_user() -> TestUser {
        TestUser::new("198112289874", "Åsa Ørnulf", "Ämström-Lindé")
    }

    fn new(pnr: &str, given: &str, surname: &str) -> TestUser {
        TestUser {
            personal_number: pnr.into(),
            given_name: given.into(),
            surname: surname.into(),
        }
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.surname)
    }

    /// Checks a user sent to the admin API: a valid 12-digit number and non-empty names.
    pub fn validate(&self) -> Result<(), String> {
        PersonalNumber::parse_api(&self.personal_number)
            .map_err(|e| format!("personalNumber: {e}"))?;
        if self.given_name.trim().is_empty() || self.surname.trim().is_empty() {
            return Err("givenName and surname must not be empty".into());
        }
        Ok(())
    }
}

/// Built-in persons, so that a phone order for a well-known test number completes with a plausible name.
pub fn directory() -> Vec<TestUser> {
    vec![
        TestUser::default_user(),
        TestUser::new("191212121212", "Tolvan", "Tolvansson"),
        TestUser::new("199908072391", "Jöns", "Bäckström"),
        TestUser::new("198001629875", "Émile", "Østergård"),
    ]
}

/// The person with `pnr`: the current user, a built-in one, or a generic test person.
pub fn lookup(pnr: &str, current: &TestUser) -> TestUser {
    if current.personal_number == pnr {
        return current.clone();
    }
    directory()
        .into_iter()
        .find(|u| u.personal_number == pnr)
        .unwrap_or_else(|| TestUser::new(pnr, "Test", "Testsson"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_users_have_valid_numbers() {
        for u in directory() {
            assert_eq!(u.validate(), Ok(()), "{u:?}");
        }
    }

    #[test]
    fn lookup_prefers_the_current_user() {
        let me = TestUser::new("191212121212", "Tolva", "Ändrad");
        assert_eq!(lookup("191212121212", &me).surname, "Ändrad");
        assert_eq!(lookup("199908072391", &me).given_name, "Jöns");
        assert_eq!(lookup("200001012380", &me).surname, "Testsson");
    }
}
