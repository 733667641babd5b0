use subjects::signature::{sign, verify, SignatureError};

fn keys() -> (String, String) {
    let pair = nkeys::KeyPair::new_user();
    (pair.seed().unwrap(), pair.public_key())
}

#[test]
fn a_signed_payload_verifies_against_the_trusted_key() {
    let (seed, public) = keys();
    let (signer, signature) = sign(&seed, b"{\"id\":\"1\"}").unwrap();
    assert_eq!(signer, public);
    assert_eq!(verify(&[public], Some(&signer), Some(&signature), b"{\"id\":\"1\"}"), Ok(()));
}

#[test]
fn altered_unsigned_and_unknown_signers_are_refused() {
    let (seed, public) = keys();
    let (signer, signature) = sign(&seed, b"{\"id\":\"1\"}").unwrap();
    let trusted = [public];
    assert_eq!(verify(&trusted, Some(&signer), Some(&signature), b"{\"id\":\"2\"}"), Err(SignatureError::Invalid));
    assert_eq!(verify(&trusted, None, None, b"x"), Err(SignatureError::Missing));
    assert_eq!(verify(&trusted, Some(&signer), None, b"x"), Err(SignatureError::Missing));
    let (other_seed, _) = keys();
    let (other, other_sig) = sign(&other_seed, b"x").unwrap();
    assert_eq!(verify(&trusted, Some(&other), Some(&other_sig), b"x"), Err(SignatureError::UnknownSigner));
    assert_eq!(verify(&trusted, Some(&signer), Some("not base64!"), b"x"), Err(SignatureError::Invalid));
}
