//! Random bodies against every endpoint: the simulator must always answer like BankID.
//!
//! Whatever arrives with `Content-Type: application/json`, the answer is a JSON BankID answer: `200` with a
//! JSON object, or a 4xx whose body is `{"errorCode", "details"}` with a code from BANKID.md §3 and the status
//! that code carries. Never a 5xx, never a dropped connection. One simulator and one runtime serve each
//! property, so the simulator also has to survive the whole sequence, and a normal auth must work afterwards.

use std::collections::BTreeMap;

use legit_core::bankid::{Endpoint, ErrorCode};
use legit_tests::{Sim, StatusCode, keys};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

/// Field names BankID knows, so that random objects often reach the simulator's field validation.
const FIELDS: &[&str] = &[
    "endUserIp",
    "requirement",
    "userVisibleData",
    "userNonVisibleData",
    "userVisibleDataFormat",
    "returnUrl",
    "returnRisk",
    "web",
    "app",
    "personalNumber",
    "callInitiator",
    "orderRef",
    "pinCode",
    "mrtd",
    "cardReader",
    "certificatePolicies",
    "risk",
    "userAgent",
    "referringDomain",
    "deviceIdentifier",
];

/// Values that are valid somewhere, so that random objects sometimes pass validation.
const GOOD_STRINGS: &[&str] = &[
    "192.0.2.1",
    "2001:db8::1",
    "198112289874",
    "199001010025",
    "user",
    "RP",
    "SGVqIHDDpSBkaWc=",
    "simpleMarkdownV1",
    "class1",
    "1.2.752.78.1.*",
    "https://example.com/return?nonce=1",
    "low",
    "0c8d4f4e-7a4b-4f3c-9d2e-5b6a7c8d9e0f",
];

const CASES: u32 = 128;

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "[a-zA-Z]{0,12}",
        1 => ".{0,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        proptest::sample::select(GOOD_STRINGS).prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(field_name(), inner, 0..6).prop_map(object),
        ]
    })
}

fn object(map: BTreeMap<String, Value>) -> Value {
    Value::Object(map.into_iter().collect::<Map<String, Value>>())
}

/// A valid body for each endpoint, the starting point of the mutations.
fn valid_body(endpoint: Endpoint) -> Value {
    match endpoint {
        Endpoint::Auth => json!({"endUserIp": "192.0.2.1", "requirement": {"pinCode": true}}),
        Endpoint::Sign => json!({"endUserIp": "192.0.2.1", "userVisibleData": "SGVq"}),
        Endpoint::PhoneAuth => json!({"personalNumber": "198112289874", "callInitiator": "user"}),
        Endpoint::PhoneSign => {
            json!({"personalNumber": "199001010025", "callInitiator": "RP", "userVisibleData": "SGVq"})
        }
        Endpoint::Collect | Endpoint::Cancel => {
            json!({"orderRef": "0c8d4f4e-7a4b-4f3c-9d2e-5b6a7c8d9e0f"})
        }
    }
}

/// One change to a valid body.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(usize),
    Rename(usize, String),
    Replace(usize, Value),
    Insert(String, Value),
    /// Replace a field of the nested `requirement` (or add one).
    Nested(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), field_name()).prop_map(|(i, n)| Mutation::Rename(i, n)),
        (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        (field_name(), json_value()).prop_map(|(n, v)| Mutation::Insert(n, v)),
        (field_name(), json_value()).prop_map(|(n, v)| Mutation::Nested(n, v)),
    ]
}

fn mutate(mut body: Value, mutations: &[Mutation]) -> Value {
    let map = body.as_object_mut().expect("valid bodies are objects");
    for m in mutations {
        let key_at =
            |map: &Map<String, Value>, i: usize| map.keys().nth(i % map.len().max(1)).cloned();
        match m {
            Mutation::Remove(i) => {
                if let Some(k) = key_at(map, *i) {
                    map.remove(&k);
                }
            }
            Mutation::Rename(i, name) => {
                if let Some(k) = key_at(map, *i) {
                    let v = map.remove(&k).unwrap_or_default();
                    map.insert(name.clone(), v);
                }
            }
            Mutation::Replace(i, value) => {
                if let Some(k) = key_at(map, *i) {
                    map.insert(k, value.clone());
                }
            }
            Mutation::Insert(name, value) => {
                map.insert(name.clone(), value.clone());
            }
            Mutation::Nested(name, value) => {
                let requirement = map.entry("requirement").or_insert_with(|| json!({}));
                if let Some(r) = requirement.as_object_mut() {
                    r.insert(name.clone(), value.clone());
                }
            }
        }
    }
    body
}

/// Sends `body` to `endpoint` and checks the answer is a well-formed BankID answer.
async fn check_answer(sim: &Sim, endpoint: Endpoint, body: Vec<u8>) -> Result<(), TestCaseError> {
    let shown = String::from_utf8_lossy(&body)
        .chars()
        .take(300)
        .collect::<String>();
    let reply = sim
        .request(
            reqwest::Method::POST,
            &sim.url(endpoint.path()),
            Some("application/json"),
            body,
        )
        .await
        .map_err(|e| {
            TestCaseError::fail(format!(
                "{endpoint} dropped the connection for {shown:?}: {e:?}"
            ))
        })?;
    let status = reply.status;
    let answer: Value = serde_json::from_slice(&reply.bytes).map_err(|e| {
        TestCaseError::fail(format!(
            "{endpoint} {status} answered non-JSON ({e}) for {shown:?}: {:?}",
            String::from_utf8_lossy(&reply.bytes)
        ))
    })?;
    prop_assert_eq!(
        reply.content_type(),
        Some("application/json"),
        "{} for {:?}",
        endpoint,
        shown
    );
    prop_assert!(
        answer.is_object(),
        "{} answered {} for {:?}",
        endpoint,
        answer,
        shown
    );
    if status == StatusCode::OK {
        return Ok(());
    }
    prop_assert!(
        status.is_client_error(),
        "{} answered {} {} for {:?}",
        endpoint,
        status,
        answer,
        shown
    );
    prop_assert_eq!(
        keys(&answer),
        vec!["details", "errorCode"],
        "{} for {:?}",
        endpoint,
        shown
    );
    let code = ErrorCode::parse(answer["errorCode"].as_str().unwrap_or_default());
    prop_assert!(
        !matches!(code, ErrorCode::Unknown(_)),
        "unknown errorCode in {} for {:?}",
        answer,
        shown
    );
    prop_assert_eq!(
        code.http_status(),
        status.as_u16(),
        "{} for {:?}",
        answer,
        shown
    );
    prop_assert!(answer["details"].is_string(), "{}", answer);
    Ok(())
}

/// Runs `strategy` for [`CASES`] cases; each case's bodies go to every endpoint of one simulator. Afterwards
/// the simulator must still serve a normal auth to completion.
fn run_property<S: Strategy>(strategy: S, bodies: impl Fn(&S::Value, Endpoint) -> Vec<u8>) {
    let runtime = Runtime::new().expect("tokio runtime");
    let sim = runtime.block_on(Sim::start());
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |value| {
        runtime.block_on(async {
            for endpoint in Endpoint::ALL {
                check_answer(&sim, endpoint, bodies(&value, endpoint)).await?;
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    runtime.block_on(async {
        // Proof that the property really ran: every endpoint saw at least one request per case.
        let (_, stats) = sim.admin_get("/admin/stats").await;
        for endpoint in Endpoint::ALL {
            let seen = stats["requests"][endpoint.path()].as_u64().unwrap_or(0);
            assert!(
                seen >= u64::from(CASES),
                "{endpoint} saw {seen} requests: {stats}"
            );
        }
        let order = sim.start_auth().await;
        sim.act_ok(&order.order_ref, "open", None).await;
        sim.act_ok(&order.order_ref, "approve", None).await;
        let (status, body) = sim.collect(&order.order_ref).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "complete", "{body}");
    });
}

#[test]
fn arbitrary_bytes_get_a_bankid_answer_on_every_endpoint() {
    run_property(
        proptest::collection::vec(any::<u8>(), 0..512),
        |bytes, _| bytes.clone(),
    );
}

#[test]
fn arbitrary_json_values_get_a_bankid_answer_on_every_endpoint() {
    run_property(json_value(), |value, _| {
        serde_json::to_vec(value).expect("serialise")
    });
}

#[test]
fn random_objects_with_known_field_names_get_a_bankid_answer_on_every_endpoint() {
    let objects =
        proptest::collection::btree_map(field_name(), json_value(), 0..8).prop_map(object);
    run_property(objects, |value, _| {
        serde_json::to_vec(value).expect("serialise")
    });
}

#[test]
fn mutated_valid_requests_get_a_bankid_answer_on_every_endpoint() {
    run_property(
        proptest::collection::vec(mutation(), 1..4),
        |mutations, endpoint| {
            serde_json::to_vec(&mutate(valid_body(endpoint), mutations)).expect("serialise")
        },
    );
}
