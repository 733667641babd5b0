use subjects::signature::{sign, verify, SignatureError};

const SUBJECT: &str = "maxis.shop1.control.status";

fn keys() -> (String, String) {
    let pair = nkeys::KeyPair::new_user();
    (pair.seed().unwrap(), pair.public_key())
}

#[test]
fn a_signed_payload_verifies_against_the_trusted_key() {
    let (seed, public) = keys();
    let (signer, signature) = sign(&seed, SUBJECT, b"{\"id\":\"1\"}").unwrap();
    assert_eq!(signer, public);
    assert_eq!(verify(&[public], Some(&signer), Some(&signature), SUBJECT, b"{\"id\":\"1\"}"), Ok(()));
}

#[test]
fn altered_unsigned_and_unknown_signers_are_refused() {
    let (seed, public) = keys();
    let (signer, signature) = sign(&seed, SUBJECT, b"{\"id\":\"1\"}").unwrap();
    let trusted = [public];
    let altered = verify(&trusted, Some(&signer), Some(&signature), SUBJECT, b"{\"id\":\"2\"}");
    assert_eq!(altered, Err(SignatureError::Invalid));
    assert_eq!(verify(&trusted, None, None, SUBJECT, b"x"), Err(SignatureError::Missing));
    assert_eq!(verify(&trusted, Some(&signer), None, SUBJECT, b"x"), Err(SignatureError::Missing));
    let (other_seed, _) = keys();
    let (other, other_sig) = sign(&other_seed, SUBJECT, b"x").unwrap();
    assert_eq!(verify(&trusted, Some(&other), Some(&other_sig), SUBJECT, b"x"), Err(SignatureError::UnknownSigner));
    assert_eq!(verify(&trusted, Some(&signer), Some("not base64!"), SUBJECT, b"x"), Err(SignatureError::Invalid));
}

#[test]
fn a_signature_is_bound_to_the_subject_it_was_made_for() {
    let (seed, public) = keys();
    let (signer, signature) = sign(&seed, SUBJECT, b"{\"id\":\"1\"}").unwrap();
    let moved = verify(&[public], Some(&signer), Some(&signature), "maxis.shop2.control.status", b"{\"id\":\"1\"}");
    assert_eq!(moved, Err(SignatureError::Invalid));
}
