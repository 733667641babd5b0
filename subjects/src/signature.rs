//! Signed orders: Shellia signs the exact payload bytes of each order with its nkey (ed25519);
//! a shop verifies against the Shellia public keys it trusts. A leaked shop credential, or
//! anyone else able to publish, cannot forge an order.
//!
//! Headers: `Maxis-Signer` holds the signer's public nkey (`U…`), `Maxis-Signature` the
//! ed25519 signature of the payload bytes, base64url without padding.

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
    #[error("the order's signature does not match its content (forged or altered)")]
    Invalid,
    /// A seed that is not a valid nkey seed.
    #[error("invalid nkey seed")]
    BadSeed,
}

/// Signs `payload` with `seed`: returns (signer public key, signature) for the two headers.
pub fn sign(seed: &str, payload: &[u8]) -> Result<(String, String), SignatureError> {
    let pair = nkeys::KeyPair::from_seed(seed).map_err(|_| SignatureError::BadSeed)?;
    let signature = pair.sign(payload).map_err(|_| SignatureError::BadSeed)?;
    Ok((pair.public_key(), URL_SAFE_NO_PAD.encode(signature)))
}

/// Checks that `payload` was signed by `signer`, one of `trusted`.
pub fn verify(
    trusted: &[String],
    signer: Option<&str>,
    signature: Option<&str>,
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
    pair.verify(payload, &bytes).map_err(|_| SignatureError::Invalid)
}
