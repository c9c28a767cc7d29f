//! The simulator's behaviour where BANKID.md leaves a choice (§11), as data that tests and the phone page change.

use serde::{Deserialize, Serialize};

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
    /// Applies a partial update: keys not named keep their value; an unknown key or a wrong type is refused.
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
        serde_json::from_value(current).map_err(|e| e.to_string())
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
}
