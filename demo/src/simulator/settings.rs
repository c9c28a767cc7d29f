//! The simulator's behaviour where BANKID.md leaves a choice (§11), as data that tests and the phone page change.

use serde::{Deserialize, Serialize};

/// The longest duration setting accepted. A year covers any test that wants "never" while keeping every
/// deadline in milliseconds (`seconds * 1000` added to a clock reading) eight orders of magnitude below `u64`.
pub const MAX_DURATION_SECONDS: u64 = 365 * 24 * 60 * 60;

/// Durations are whole seconds of the simulator's clock. Defaults follow BANKID.md §5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// An auth/sign order that no app opened fails with `startFailed` after this long.
    pub start_failed_seconds: u64,
    /// A pending order fails with `expiredTransaction` after this long.
    pub order_lifetime_seconds: u64,
    /// An order no app ever opened is forgotten this long after creation.
    pub unopened_retention_seconds: u64,
    /// A completed order stays collectable this long after completion.
    pub completed_retention_seconds: u64,
    /// A failed order stays collectable this long after failure.
    pub failed_retention_seconds: u64,
    /// How many seconds a scanned QR frame may lag the current second.
    pub qr_tolerance_seconds: u64,
    /// Whether `collect` repeats a final answer (true) or answers `invalidParameters` after the first one.
    pub repeat_final_result: bool,
    /// Whether every collect moves an order one scripted step, so that clients complete unattended.
    pub auto_progress: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            start_failed_seconds: 30,
            order_lifetime_seconds: 180,
            unopened_retention_seconds: 190,
            completed_retention_seconds: 180,
            failed_retention_seconds: 300,
            qr_tolerance_seconds: 1,
            repeat_final_result: true,
            auto_progress: false,
        }
    }
}

impl Settings {
    /// Applies a partial update: keys not named keep their value; an unknown key, a wrong type or a duration
    /// above [`MAX_DURATION_SECONDS`] is refused.
    pub fn merged(&self, patch: serde_json::Value) -> Result<Settings, String> {
        let serde_json::Value::Object(patch) = patch else {
            return Err("settings must be a JSON object".into());
        };
        let mut current = serde_json::to_value(self).map_err(|e| e.to_string())?;
        if let serde_json::Value::Object(fields) = &mut current {
            for (k, v) in patch {
                if !fields.contains_key(&k) {
                    return Err(format!("unknown setting {k:?}"));
                }
                fields.insert(k, v);
            }
        }
        let merged: Settings = serde_json::from_value(current).map_err(|e| e.to_string())?;
        merged.check_durations()?;
        Ok(merged)
    }

    fn check_durations(&self) -> Result<(), String> {
        let durations = [
            ("startFailedSeconds", self.start_failed_seconds),
            ("orderLifetimeSeconds", self.order_lifetime_seconds),
            ("unopenedRetentionSeconds", self.unopened_retention_seconds),
            (
                "completedRetentionSeconds",
                self.completed_retention_seconds,
            ),
            ("failedRetentionSeconds", self.failed_retention_seconds),
            ("qrToleranceSeconds", self.qr_tolerance_seconds),
        ];
        match durations
            .into_iter()
            .find(|&(_, seconds)| seconds > MAX_DURATION_SECONDS)
        {
            Some((name, seconds)) => Err(format!(
                "{name} must be at most {MAX_DURATION_SECONDS} (one year), not {seconds}"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_partial_update_keeps_the_other_settings() {
        let s = Settings::default()
            .merged(json!({"startFailedSeconds": 5}))
            .unwrap();
        assert_eq!(s.start_failed_seconds, 5);
        assert_eq!(s.order_lifetime_seconds, 180);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        assert!(
            Settings::default()
                .merged(json!({"startFailed": 5}))
                .is_err()
        );
        assert!(
            Settings::default()
                .merged(json!({"autoProgress": "yes"}))
                .is_err()
        );
        assert!(Settings::default().merged(json!([1])).is_err());
    }

    #[test]
    fn durations_above_a_year_are_refused_by_name() {
        let at_bound = Settings::default()
            .merged(json!({"failedRetentionSeconds": MAX_DURATION_SECONDS}))
            .unwrap();
        assert_eq!(at_bound.failed_retention_seconds, MAX_DURATION_SECONDS);
        for field in [
            "startFailedSeconds",
            "orderLifetimeSeconds",
            "unopenedRetentionSeconds",
            "completedRetentionSeconds",
            "failedRetentionSeconds",
            "qrToleranceSeconds",
        ] {
            let err = Settings::default()
                .merged(json!({ field: MAX_DURATION_SECONDS + 1 }))
                .unwrap_err();
            assert!(err.contains(field), "{err}");
            assert!(err.contains(&MAX_DURATION_SECONDS.to_string()), "{err}");
        }
    }
}
