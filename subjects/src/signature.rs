//! Signed orders: Shellia signs each order's subject and exact payload bytes with its nkey
//! (ed25519); a shop verifies against the Shellia public keys it trusts. A leaked shop
//! credential, or anyone else able to publish, cannot forge an order, nor move a signed one to
//! another shop's subject.
//!
//! Headers: `Maxis-Signer` holds the signer's public nkey (`U…`), `Maxis-Signature` the
//! ed25519 signature of [`signed_bytes`] (`<subject>\n<payload>`), base64url without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Header holding the signer's public nkey.
pub const SIGNER_HEADER: &str = "Maxis-Signer";
/// Header holding the signature.
pub const SIGNATURE_HEADER: &str = "Maxis-Signature";

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature or signer header.
    #[error("the order is not signed: a shop only executes orders signed by a trusted Shellia key")]
    Missing,
    /// The signer is not one of the trusted keys.
    #[error("the order is signed by a key this shop does not trust")]
    UnknownSigner,
    /// The signature does not match the payload (forged or altered).
    #[error(
        "the order's signature does not match its content and subject (forged, altered or sent to another subject)"
    )]
    Invalid,
    /// A seed that is not a valid nkey seed.
    #[error("invalid nkey seed")]
    BadSeed,
}

/// What is signed: the subject the message is published on, a line feed, then the payload bytes.
/// A subject holds no line feed, so no other (subject, payload) pair gives the same bytes.
pub fn signed_bytes(subject: &str, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(subject.len() + 1 + payload.len());
    bytes.extend_from_slice(subject.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(payload);
    bytes
}

/// Signs `payload` published on `subject` with `seed`: returns (signer public key, signature)
/// for the two headers.
pub fn sign(seed: &str, subject: &str, payload: &[u8]) -> Result<(String, String), SignatureError> {
    let pair = nkeys::KeyPair::from_seed(seed).map_err(|_| SignatureError::BadSeed)?;
    let signature = pair.sign(&signed_bytes(subject, payload)).map_err(|_| SignatureError::BadSeed)?;
    Ok((pair.public_key(), URL_SAFE_NO_PAD.encode(signature)))
}

/// Checks that `payload`, received on `subject`, was signed for that subject by `signer`, one of
/// `trusted`.
pub fn verify(
    trusted: &[String],
    signer: Option<&str>,
    signature: Option<&str>,
    subject: &str,
    payload: &[u8],
) -> Result<(), SignatureError> {
    let (Some(signer), Some(signature)) = (signer, signature) else {
        return Err(SignatureError::Missing);
    };
    if !trusted.iter().any(|k| k == signer) {
        return Err(SignatureError::UnknownSigner);
    }
    let pair = nkeys::KeyPair::from_public_key(signer).map_err(|_| SignatureError::UnknownSigner)?;
    let bytes = URL_SAFE_NO_PAD.decode(signature).map_err(|_| SignatureError::Invalid)?;
    pair.verify(&signed_bytes(subject, payload), &bytes).map_err(|_| SignatureError::Invalid)
}

/// Discovery metadata key holding the answering shop's public nkey.
pub const DISCOVERY_KEY: &str = "nkey";
/// Discovery metadata key holding the shop's signature of [`discovery_claim`].
pub const DISCOVERY_SIGNATURE: &str = "signature";

/// What a shop signs in its `$SRV` discovery metadata: the fields a reader relies on, one per
/// line. A reader rebuilds it from the answer and verifies it against the shop's public key.
pub fn discovery_claim(instance: &str, groups: &str, contract: &str, version: &str) -> Vec<u8> {
    format!("maxis-discovery\ninstance={instance}\ngroups={groups}\ncontract={contract}\nversion={version}")
        .into_bytes()
}

/// Signs a claim with `seed`: (public key, signature).
pub fn sign_claim(seed: &str, claim: &[u8]) -> Result<(String, String), SignatureError> {
    let pair = nkeys::KeyPair::from_seed(seed).map_err(|_| SignatureError::BadSeed)?;
    let signature = pair.sign(claim).map_err(|_| SignatureError::BadSeed)?;
    Ok((pair.public_key(), URL_SAFE_NO_PAD.encode(signature)))
}

/// Checks that `claim` was signed by `key`.
pub fn verify_claim(key: &str, signature: &str, claim: &[u8]) -> Result<(), SignatureError> {
    let pair = nkeys::KeyPair::from_public_key(key).map_err(|_| SignatureError::UnknownSigner)?;
    let bytes = URL_SAFE_NO_PAD.decode(signature).map_err(|_| SignatureError::Invalid)?;
    pair.verify(claim, &bytes).map_err(|_| SignatureError::Invalid)
}
