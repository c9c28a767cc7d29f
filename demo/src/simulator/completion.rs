//! What a completed order returns: `completionData` shaped as BankID's, with plausible signature and OCSP bytes.

use legit_core::bankid::{CompletionData, DeviceInfo, StepUp, User, encode_base64};
use sha2::{Digest, Sha256};

use super::order::Order;
use super::users::TestUser;

pub fn completion_data(order: &Order, user: &TestUser) -> CompletionData {
    let digest = Sha256::digest(format!("{}:{}", order.order_ref, user.personal_number).as_bytes());
    let uhi = encode_base64(&Sha256::digest(user.personal_number.as_bytes())[..24]);
    CompletionData {
        user: User {
            personal_number: user.personal_number.clone(),
            name: user.name(),
            given_name: user.given_name.clone(),
            surname: user.surname.clone(),
        },
        device: DeviceInfo {
            ip_address: order
                .end_user_ip
                .clone()
                .unwrap_or_else(|| "127.0.0.1".into()),
            uhi,
        },
        bank_id_issue_date: "2024-03-15".into(),
        step_up: order.mrtd_required.then_some(StepUp { mrtd: true }),
        signature: encode_base64(signature_xml(order, user, &hex::encode(digest)).as_bytes()),
        ocsp_response: encode_base64(&ocsp_bytes(&digest)),
        risk: order.return_risk.then(|| "low".to_owned()),
    }
}

/// An XMLDSig-shaped document carrying what the user saw, as BankID's signature does. Not a real signature.
fn signature_xml(order: &Order, user: &TestUser, digest_hex: &str) -> String {
    let visible = order
        .visible_text
        .as_deref()
        .map(|t| encode_base64(t.as_bytes()))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"#,
            r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>"#,
            r#"<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>"#,
            r##"<Reference URI="#bidSignedData"><DigestValue>{digest}</DigestValue></Reference></SignedInfo>"##,
            r#"<SignatureValue>SIMULATED</SignatureValue><Object>"#,
            r#"<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" Id="bidSignedData">"#,
            r#"<usrVisibleData charset="UTF-8" visible="wysiwys">{visible}</usrVisibleData>"#,
            r#"<srvInfo><nonce>{order_ref}</nonce></srvInfo>"#,
            r#"<clientInfo><funcId>Identification</funcId><subject>{pnr}</subject></clientInfo>"#,
            r#"</bankIdSignedData></Object></Signature>"#
        ),
        digest = digest_hex,
        visible = visible,
        order_ref = order.order_ref,
        pnr = user.personal_number,
    )
}

/// A DER SEQUENCE header followed by filler: parses as "some OCSP response" for clients that only pass it on.
fn ocsp_bytes(digest: &[u8]) -> Vec<u8> {
    let mut body = vec![0x0a, 0x01, 0x00]; // responseStatus ENUMERATED successful(0)
    body.extend_from_slice(&[0x04, u8::try_from(digest.len()).unwrap_or(32)]);
    body.extend_from_slice(digest);
    let mut der = vec![0x30, u8::try_from(body.len()).unwrap_or(0)];
    der.extend(body);
    der
}
