//! The audit log (DESIGN.md §5): that a check happened, and how it ended, never who was checked.
//!
//! An [`AuditEntry`] is built only from an order's final event, and its type has no field that could hold a
//! personal number, a name, a phone number or an e-mail address: the hint or error code is kept only when
//! it is one BankID or the edge defines, and the order id only as a keyed hash ([`order_hash`]), so support
//! can find the row of an order id they are given but nobody can read order ids out of the log.
//!
//! [`AuditQuery`] is the admin's question (`GET /admin/audit?from=&to=&cursor=&limit=&format=&order=`), checked
//! here so the edge only runs it.

use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::api::{FailReason, OrderEvent, OrderKind, OrderStatus};
use crate::bankid::HintCode;
use crate::date::parse_utc_ms;
use crate::links_api::rfc3339_utc;

/// Rows in a page when the admin does not say.
pub const DEFAULT_PAGE: u32 = 100;
/// The most rows one page answers.
pub const MAX_PAGE: u32 = 1_000;

/// How an order ended, in the log's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Complete,
    Failed,
    /// Ended by the person (in the app) or by the agent or page: BankID's `userCancel`/`cancelled`, the
    /// edge's own cancel, or the withdrawal of the link it ran for (`link_withdrawn`).
    Cancelled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        match text {
            "complete" => Some(Outcome::Complete),
            "failed" => Some(Outcome::Failed),
            "cancelled" => Some(Outcome::Cancelled),
            _ => None,
        }
    }
}

/// The door an order came in by (DESIGN.md §5's channel): with the kind, it tells a self-service login from
/// an agent's check, a link sent by SMS or e-mail, or the IVR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Channel {
    /// A page's visitor identifying themself, with no credential (self-service).
    Page,
    /// An agent's widget, with a session.
    Agent,
    /// The tenant's own server, with its API key.
    Backend,
    /// A verification link, in rows written before the log told SMS from e-mail.
    Link,
    /// A verification link sent by SMS.
    LinkSms,
    /// A verification link sent by e-mail.
    LinkEmail,
    /// The IVR API.
    Ivr,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Page,
        Channel::Agent,
        Channel::Backend,
        Channel::Link,
        Channel::LinkSms,
        Channel::LinkEmail,
        Channel::Ivr,
    ];

    /// The door of an order a verification link started, by how the link was sent.
    pub fn of_link(sent_by: crate::links_api::Channel) -> Channel {
        match sent_by {
            crate::links_api::Channel::Sms => Channel::LinkSms,
            crate::links_api::Channel::Email => Channel::LinkEmail,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Page => "page",
            Channel::Agent => "agent",
            Channel::Backend => "backend",
            Channel::Link => "link",
            Channel::LinkSms => "linkSms",
            Channel::LinkEmail => "linkEmail",
            Channel::Ivr => "ivr",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Unix ms when the order ended.
    pub at_ms: u64,
    pub tenant: String,
    /// `auth`, `sign`, `phoneAuth` or `phoneSign`.
    pub kind: String,
    /// `None` only in rows written before the log recorded it.
    pub channel: Option<Channel>,
    pub outcome: Outcome,
    /// BankID's hint code or the edge's error code, only from the known sets.
    pub code: Option<String>,
    /// [`order_hash`] of the order id.
    pub order: String,
}

impl AuditEntry {
    /// The row for a final event; `None` while the order is pending, so nothing half-done is logged.
    pub fn from_final_event(
        event: &OrderEvent,
        tenant: &str,
        channel: Option<Channel>,
        order: String,
        at_ms: u64,
    ) -> Option<AuditEntry> {
        let known_hint = event
            .hint_code
            .as_deref()
            .map(HintCode::parse)
            .filter(|h| !matches!(h, HintCode::Unknown(_)))
            .map(|h| h.as_str().to_owned());
        // The edge's own codes are static, never user text.
        let known_error = event
            .error_code
            .as_deref()
            .filter(|c| is_edge_code(c))
            .map(str::to_owned);
        let code = known_error.or(known_hint);
        let outcome = match event.status {
            OrderStatus::Pending => return None,
            OrderStatus::Complete => Outcome::Complete,
            OrderStatus::Failed
                if matches!(
                    code.as_deref(),
                    Some("userCancel" | "cancelled" | "link_withdrawn")
                ) =>
            {
                Outcome::Cancelled
            }
            OrderStatus::Failed => Outcome::Failed,
        };
        Some(AuditEntry {
            at_ms,
            tenant: tenant.to_owned(),
            kind: event.kind.as_str().to_owned(),
            channel,
            outcome,
            code,
            order,
        })
    }

    /// The row for a start BankID refused or could not be reached for (`code`: the edge's error code, e.g.
    /// `already_in_progress`, `bankid_unavailable`): a check was tried, and the log says so even though no
    /// order came of it. `order` is the hash of an id nobody was given, so the row stays distinct and joins
    /// to nothing. `None` for a code outside the known set (nothing free-form is logged).
    pub fn refused_start(
        kind: OrderKind,
        tenant: &str,
        channel: Channel,
        code: &str,
        order: String,
        at_ms: u64,
    ) -> Option<AuditEntry> {
        is_edge_code(code).then(|| AuditEntry {
            at_ms,
            tenant: tenant.to_owned(),
            kind: kind.as_str().to_owned(),
            channel: Some(channel),
            outcome: Outcome::Failed,
            code: Some(code.to_owned()),
            order,
        })
    }

    /// What the admin API answers for a row (the tenant is the asker's own, so it is left out).
    pub fn view(&self) -> AuditView {
        AuditView {
            at: rfc3339_utc(self.at_ms),
            kind: self.kind.clone(),
            channel: self.channel,
            outcome: self.outcome,
            code: self.code.clone(),
            order: self.order.clone(),
        }
    }
}

/// Whether `code` is one of the edge's own `errorCode`s on a failed event: a [`FailReason`]'s, or the IVR's
/// order that BankID refused as already in progress.
fn is_edge_code(code: &str) -> bool {
    code == crate::ivr::ALREADY_IN_PROGRESS || FailReason::ALL.iter().any(|r| r.code() == code)
}

/// A row as `GET /admin/audit` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    pub at: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub order: String,
}

/// A page of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The CSV export's first line.
pub const CSV_HEADER: &str = "at,kind,channel,outcome,code,order\n";

impl AuditPage {
    /// The page's rows as CSV lines, without [`CSV_HEADER`], so an export can be written a page at a time;
    /// fields never hold a comma or a quote (they are codes, times and hex), so none is quoted.
    pub fn csv_rows(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                e.at,
                e.kind,
                e.channel.map_or("", Channel::as_str),
                e.outcome.as_str(),
                e.code.as_deref().unwrap_or(""),
                e.order
            ));
        }
        out
    }
}

/// The keyed hash of an order id in the log: HMAC-SHA256 under a key only the edge holds, 128 bits in hex.
pub fn order_hash(key: &[u8], order_id: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"audit\0");
    mac.update(order_id.as_bytes());
    let tag = mac.finalize().into_bytes();
    hex::encode(&tag[..16])
}

/// Why an audit query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditQueryError {
    #[error("`{field}` must be a date (2026-03-01) or a UTC time (2026-03-01T12:15:00Z)")]
    BadTime { field: &'static str },
    #[error("`from` must not be after `to`")]
    EmptyRange,
    #[error("`cursor` must be one a previous page gave")]
    BadCursor,
    #[error("`limit` must be a whole number from 1 to {MAX_PAGE}")]
    BadLimit,
    #[error("a CSV holds every row from `from` to `to`: `limit` pages the JSON answer only")]
    LimitOnCsv,
    #[error("unknown parameter `{0}`; use from, to, cursor, limit, format, order or sort")]
    UnknownParameter(String),
    #[error("`sort` must be oldest or newest")]
    BadSort,
    #[error("`format` must be json or csv")]
    BadFormat,
    #[error("`order` must be an order id: 32 hexadecimal digits")]
    BadOrder,
}

impl AuditQueryError {
    pub fn code(&self) -> &'static str {
        match self {
            AuditQueryError::BadTime { .. } => "invalid_time",
            AuditQueryError::EmptyRange => "empty_range",
            AuditQueryError::BadCursor => "invalid_cursor",
            AuditQueryError::BadLimit | AuditQueryError::LimitOnCsv => "invalid_limit",
            AuditQueryError::UnknownParameter(_) => "unknown_parameter",
            AuditQueryError::BadFormat => "invalid_format",
            AuditQueryError::BadOrder => "invalid_order",
            AuditQueryError::BadSort => "invalid_sort",
        }
    }
}

/// `GET /admin/audit`'s question: rows with `from_ms <= at < to_ms`, after the row `after`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub from_ms: u64,
    pub to_ms: u64,
    /// The last row id of the previous page.
    pub after: u64,
    /// Rows a JSON page holds; a CSV holds them all, so the edge reads it [`MAX_PAGE`] rows at a time.
    pub limit: u32,
    pub csv: bool,
    /// `order=`: only the row of this order id, which support was given; the edge looks it up by its hash.
    pub order_id: Option<String>,
    /// `sort=newest`: the latest rows first, and `after` is then the row before which the page starts.
    pub newest_first: bool,
}

impl AuditQuery {
    /// From the query string's pairs. A `to` that is a date means the end of that day, so
    /// `from=2026-03-01&to=2026-03-01` is that whole day.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<AuditQuery, AuditQueryError> {
        let mut limit = None;
        let mut q = AuditQuery {
            from_ms: 0,
            to_ms: u64::MAX,
            after: 0,
            limit: DEFAULT_PAGE,
            csv: false,
            order_id: None,
            newest_first: false,
        };
        for (key, value) in pairs {
            match key {
                "from" => {
                    q.from_ms = parse_utc_ms(value, false)
                        .ok_or(AuditQueryError::BadTime { field: "from" })?;
                }
                "to" => {
                    q.to_ms = parse_utc_ms(value, true)
                        .ok_or(AuditQueryError::BadTime { field: "to" })?;
                }
                "cursor" => {
                    q.after = value
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(AuditQueryError::BadCursor)?;
                }
                "limit" => {
                    limit = Some(
                        value
                            .parse::<u32>()
                            .ok()
                            .filter(|n| (1..=MAX_PAGE).contains(n))
                            .ok_or(AuditQueryError::BadLimit)?,
                    );
                }
                "format" => {
                    q.csv = match value {
                        "csv" => true,
                        "json" => false,
                        _ => return Err(AuditQueryError::BadFormat),
                    };
                }
                "order" => {
                    let id = value.trim().to_ascii_lowercase();
                    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(AuditQueryError::BadOrder);
                    }
                    q.order_id = Some(id);
                }
                "sort" => {
                    q.newest_first = match value {
                        "newest" => true,
                        "oldest" => false,
                        _ => return Err(AuditQueryError::BadSort),
                    };
                }
                other => return Err(AuditQueryError::UnknownParameter(other.to_owned())),
            }
        }
        if q.from_ms >= q.to_ms {
            return Err(AuditQueryError::EmptyRange);
        }
        q.limit = match (q.csv, limit) {
            (true, Some(_)) => return Err(AuditQueryError::LimitOnCsv),
            (true, None) => MAX_PAGE,
            (false, limit) => limit.unwrap_or(DEFAULT_PAGE),
        };
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{EventUser, OrderKind};

    fn event(status: OrderStatus, hint: Option<&str>, error: Option<&str>) -> OrderEvent {
        OrderEvent {
            order_id: "0123456789abcdef0123456789abcdef".into(),
            kind: OrderKind::PhoneAuth,
            status,
            hint_code: hint.map(str::to_owned),
            rfa: None,
            error_code: error.map(str::to_owned),
            user: (status == OrderStatus::Complete).then(|| EventUser {
                personal_number: Some("198112289874".into()),
                name: Some("Åsa Ørnulf".into()),
                given_name: Some("Åsa".into()),
                surname: Some("Ørnulf".into()),
            }),
            collects: 3,
            result_token: None,
        }
    }

    #[test]
    fn a_completed_order_is_logged_without_anything_that_names_the_person() {
        let e = event(OrderStatus::Complete, None, None);
        let entry = AuditEntry::from_final_event(
            &e,
            "acme",
            Some(Channel::Ivr),
            order_hash(b"k", &e.order_id),
            1_000,
        )
        .unwrap();
        assert_eq!(entry.outcome, Outcome::Complete);
        assert_eq!(entry.kind, "phoneAuth");
        assert_eq!(entry.view().channel, Some(Channel::Ivr));
        let text = serde_json::to_string(&entry).unwrap() + &entry.view().order;
        for secret in ["198112289874", "Åsa", "Ørnulf", &e.order_id] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
    }

    #[test]
    fn a_refused_start_is_logged_as_failed_with_a_known_code_only() {
        let entry = AuditEntry::refused_start(
            OrderKind::PhoneAuth,
            "acme",
            Channel::Agent,
            crate::ivr::ALREADY_IN_PROGRESS,
            "h".into(),
            5,
        )
        .unwrap();
        assert_eq!(
            (
                entry.kind.as_str(),
                entry.outcome,
                entry.code.as_deref(),
                entry.channel
            ),
            (
                "phoneAuth",
                Outcome::Failed,
                Some("already_in_progress"),
                Some(Channel::Agent)
            )
        );
        assert!(
            AuditEntry::refused_start(
                OrderKind::Auth,
                "acme",
                Channel::Page,
                "bankid_unavailable",
                "h".into(),
                5
            )
            .is_some()
        );
        assert_eq!(
            AuditEntry::refused_start(
                OrderKind::Auth,
                "acme",
                Channel::Page,
                "198112289874",
                "h".into(),
                5
            ),
            None
        );
    }

    #[test]
    fn pending_orders_are_not_logged() {
        let e = event(OrderStatus::Pending, Some("outstandingTransaction"), None);
        assert_eq!(
            AuditEntry::from_final_event(&e, "acme", Some(Channel::Agent), "h".into(), 1),
            None
        );
    }

    #[test]
    fn cancels_failures_and_their_codes_are_told_apart() {
        let cases = [
            (
                Some("userCancel"),
                None,
                Outcome::Cancelled,
                Some("userCancel"),
            ),
            (
                None,
                Some("cancelled"),
                Outcome::Cancelled,
                Some("cancelled"),
            ),
            (
                Some("expiredTransaction"),
                None,
                Outcome::Failed,
                Some("expiredTransaction"),
            ),
            (
                None,
                Some("identity_mismatch"),
                Outcome::Failed,
                Some("identity_mismatch"),
            ),
            // Its link withdrawn by the sender: an RP cancel, told apart by its code.
            (
                Some("cancelled"),
                Some("link_withdrawn"),
                Outcome::Cancelled,
                Some("link_withdrawn"),
            ),
            (
                None,
                Some("already_in_progress"),
                Outcome::Failed,
                Some("already_in_progress"),
            ),
            (
                None,
                Some("bankid_unavailable"),
                Outcome::Failed,
                Some("bankid_unavailable"),
            ),
            // Text BankID or a bug might put there is never copied into the log.
            (Some("Åsa 198112289874"), None, Outcome::Failed, None),
            (None, Some("call 0701234567"), Outcome::Failed, None),
        ];
        for (hint, error, outcome, code) in cases {
            let e = event(OrderStatus::Failed, hint, error);
            let entry =
                AuditEntry::from_final_event(&e, "acme", Some(Channel::Page), "h".into(), 1)
                    .unwrap();
            assert_eq!(entry.outcome, outcome, "{hint:?} {error:?}");
            assert_eq!(entry.code.as_deref(), code, "{hint:?} {error:?}");
        }
    }

    #[test]
    fn channels_read_back_as_written() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
            // The JSON of the admin API spells it the same.
            assert_eq!(
                serde_json::to_value(channel).unwrap(),
                serde_json::json!(channel.as_str())
            );
        }
        assert_eq!(Channel::parse("sms"), None);
        assert_eq!(
            Channel::of_link(crate::links_api::Channel::Sms),
            Channel::LinkSms
        );
        assert_eq!(
            Channel::of_link(crate::links_api::Channel::Email),
            Channel::LinkEmail
        );
    }

    #[test]
    fn the_order_hash_is_stable_keyed_and_not_the_id() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(order_hash(b"key one", id), order_hash(b"key one", id));
        assert_ne!(order_hash(b"key one", id), order_hash(b"key two", id));
        assert_ne!(order_hash(b"key one", id), order_hash(b"key one", "other"));
        assert_eq!(order_hash(b"key one", id).len(), 32);
        assert!(!order_hash(b"key one", id).contains(id));
    }

    #[test]
    fn queries_read_dates_times_cursors_and_formats() {
        let q = AuditQuery::parse([
            ("from", "2026-03-01"),
            ("to", "2026-03-01"),
            ("cursor", "42"),
            ("limit", "10"),
        ])
        .unwrap();
        let day = 1_772_323_200_000; // 2026-03-01T00:00:00Z
        assert_eq!(q.from_ms, day);
        assert_eq!(
            q.to_ms,
            day + 86_400_000,
            "a date as `to` includes that day"
        );
        assert_eq!((q.after, q.limit, q.csv), (42, 10, false));
        let q = AuditQuery::parse([("cursor", "42"), ("format", "csv")]).unwrap();
        assert_eq!(
            (q.after, q.limit, q.csv),
            (42, MAX_PAGE, true),
            "a CSV is read in the largest pages"
        );
        let q = AuditQuery::parse([("from", "2026-03-01T12:15:00Z")]).unwrap();
        assert_eq!(q.from_ms, day + (12 * 3600 + 15 * 60) * 1000);
        assert_eq!(q.to_ms, u64::MAX);
        assert_eq!(AuditQuery::parse([]).unwrap().limit, DEFAULT_PAGE);
        let id = "0123456789ABCDEF0123456789abcdef";
        let q = AuditQuery::parse([("order", id)]).unwrap();
        assert_eq!(
            q.order_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert!(!AuditQuery::parse([]).unwrap().newest_first, "oldest first");
        assert!(
            AuditQuery::parse([("sort", "newest")])
                .unwrap()
                .newest_first
        );
        assert!(
            !AuditQuery::parse([("sort", "oldest")])
                .unwrap()
                .newest_first
        );
    }

    #[test]
    fn bad_queries_say_which_parameter_is_wrong() {
        let cases: [(&[(&str, &str)], &str); 13] = [
            (&[("order", "0123")], "invalid_order"),
            (
                &[("order", "198112289874198112289874-1234567")],
                "invalid_order",
            ),
            (&[("from", "yesterday")], "invalid_time"),
            (&[("to", "2026-02-30")], "invalid_time"),
            (&[("from", "2026-03-01T25:00:00Z")], "invalid_time"),
            (
                &[("from", "2026-03-02"), ("to", "2026-03-01")],
                "empty_range",
            ),
            (&[("cursor", "abc")], "invalid_cursor"),
            (&[("cursor", "0")], "invalid_cursor"),
            (&[("limit", "0")], "invalid_limit"),
            (&[("limit", "100000")], "invalid_limit"),
            (&[("format", "csv"), ("limit", "10")], "invalid_limit"),
            (&[("personalNumber", "198112289874")], "unknown_parameter"),
            (&[("sort", "desc")], "invalid_sort"),
        ];
        for (pairs, code) in cases {
            let err = AuditQuery::parse(pairs.iter().copied()).unwrap_err();
            assert_eq!(err.code(), code, "{pairs:?}");
        }
        assert_eq!(
            AuditQuery::parse([("format", "xml")]).unwrap_err().code(),
            "invalid_format"
        );
    }

    #[test]
    fn csv_is_a_header_and_one_line_per_row() {
        let page = AuditPage {
            entries: vec![AuditView {
                at: "2026-03-01T12:15:00Z".into(),
                kind: "auth".into(),
                channel: Some(Channel::Link),
                outcome: Outcome::Failed,
                code: Some("startFailed".into()),
                order: "ab".repeat(16),
            }],
            next_cursor: None,
        };
        let csv = format!("{CSV_HEADER}{}", page.csv_rows());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "at,kind,channel,outcome,code,order");
        assert_eq!(
            lines[1],
            format!(
                "2026-03-01T12:15:00Z,auth,link,failed,startFailed,{}",
                "ab".repeat(16)
            )
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(AuditPage::default().csv_rows(), "", "no rows, no lines");
    }

    proptest::proptest! {
        // ARCHITECTURE.md: no parser panics. Any keys' values, dates and times of any shape.
        #[test]
        fn query_parse_never_panics(
            pairs in proptest::collection::vec(
                ("(from|to|cursor|limit|format|other)", "([0-9T:.Z+-]{0,30}|.{0,30})"),
                0..6,
            ),
        ) {
            let _ = AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
    }
}
