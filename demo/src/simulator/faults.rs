//! Fault injection as data: a list of rules, each hitting the next `count` requests to an endpoint. Handlers ask
//! [`Faults::take`] once per request; nothing else in the simulator knows faults exist.

use legit_core::bankid::{Endpoint, ErrorCode};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// Delay, then answer normally.
    Latency,
    InternalError,
    Maintenance,
    RequestTimeout,
    TooManyRequests,
    /// Close the connection without an answer.
    Drop,
}

impl FaultKind {
    /// The BankID error this fault answers with, if it answers with one.
    pub fn error_code(self) -> Option<ErrorCode> {
        match self {
            FaultKind::InternalError => Some(ErrorCode::InternalError),
            FaultKind::Maintenance => Some(ErrorCode::Maintenance),
            FaultKind::RequestTimeout => Some(ErrorCode::RequestTimeout),
            FaultKind::TooManyRequests => Some(ErrorCode::TooManyRequests),
            FaultKind::Latency | FaultKind::Drop => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// An endpoint path (`auth`, `phone/auth`, `collect`, …) or `*` for all.
    pub endpoint: String,
    pub kind: FaultKind,
    /// How many requests it hits; 0 means until cleared.
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn validate(&self) -> Result<(), String> {
        if self.endpoint != "*" && Endpoint::from_path(&self.endpoint).is_none() {
            return Err(format!("unknown endpoint {:?}", self.endpoint));
        }
        match (self.kind, self.latency_ms) {
            (FaultKind::Latency, None) => Err("a latency fault needs latencyMs".into()),
            (FaultKind::Latency, Some(ms)) if ms > 600_000 => {
                Err("latencyMs must be at most 600000".into())
            }
            (FaultKind::Latency, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err("latencyMs applies to latency faults only".into()),
        }
    }

    fn matches(&self, endpoint: Endpoint) -> bool {
        self.endpoint == "*" || self.endpoint == endpoint.path()
    }
}

/// What a request has to suffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub kind: FaultKind,
    pub latency_ms: u64,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Fault>,
}

impl Faults {
    pub fn add(&mut self, f: Fault) {
        self.rules.push(f);
    }

    pub fn list(&self) -> &[Fault] {
        &self.rules
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Takes the first rule matching `endpoint`, spending one of its count.
    pub fn take(&mut self, endpoint: Endpoint) -> Option<Hit> {
        let i = self.rules.iter().position(|f| f.matches(endpoint))?;
        let rule = &mut self.rules[i];
        let hit = Hit {
            kind: rule.kind,
            latency_ms: rule.latency_ms.unwrap_or(0),
        };
        if rule.count == 1 {
            self.rules.remove(i);
        } else if rule.count > 1 {
            rule.count -= 1;
        }
        Some(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(endpoint: &str, kind: FaultKind, count: u32) -> Fault {
        Fault {
            endpoint: endpoint.into(),
            kind,
            count,
            latency_ms: None,
        }
    }

    #[test]
    fn a_fault_is_spent_after_its_count() {
        let mut f = Faults::default();
        f.add(fault("collect", FaultKind::Maintenance, 2));
        assert_eq!(f.take(Endpoint::Auth), None);
        assert!(f.take(Endpoint::Collect).is_some());
        assert!(f.take(Endpoint::Collect).is_some());
        assert_eq!(f.take(Endpoint::Collect), None);
    }

    #[test]
    fn count_zero_lasts_until_cleared_and_star_matches_all() {
        let mut f = Faults::default();
        f.add(fault("*", FaultKind::Drop, 0));
        for e in Endpoint::ALL {
            assert_eq!(f.take(e).map(|h| h.kind), Some(FaultKind::Drop));
        }
        f.clear();
        assert_eq!(f.take(Endpoint::Auth), None);
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(
            fault("payment", FaultKind::Drop, 1)
                .validate()
                .unwrap_err()
                .contains("payment")
        );
        assert!(fault("auth", FaultKind::Latency, 1).validate().is_err());
        assert!(
            fault("phone/sign", FaultKind::InternalError, 1)
                .validate()
                .is_ok()
        );
    }
}
