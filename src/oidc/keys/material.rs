//! The key material: the algorithms the provider signs with, a private key made, opened from
//! its stored DER and signing (aws-lc-rs), and its public half as a JWK.

use super::KeyError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use data_encoding::BASE64URL_NOPAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType,
    PublicKeyUse, RSAKeyParameters, RSAKeyType,
};

/// A signing algorithm the provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Rs256,
    Es256,
    EdDsa,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::Rs256, Algorithm::Es256, Algorithm::EdDsa];

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn jose(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    fn key_algorithm(self) -> KeyAlgorithm {
        match self {
            Self::Rs256 => KeyAlgorithm::RS256,
            Self::Es256 => KeyAlgorithm::ES256,
            Self::EdDsa => KeyAlgorithm::EdDSA,
        }
    }
}

enum Pair {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

/// A private key ready to sign.
pub struct SigningKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pair: Pair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub(super) fn from_private(
        kid: String,
        algorithm: Algorithm,
        der: &[u8],
    ) -> Result<Self, KeyError> {
        let corrupt = |e: aws_lc_rs::error::KeyRejected| KeyError::Corrupt(format!("{kid}: {e}"));
        let pair = match algorithm {
            // PKCS#8 since aws-lc-rs makes the keys; PKCS#1 before.
            Algorithm::Rs256 => Pair::Rsa(
                sig::RsaKeyPair::from_pkcs8(der)
                    .or_else(|_| sig::RsaKeyPair::from_der(der))
                    .map_err(corrupt)?,
            ),
            Algorithm::Es256 => Pair::Ec(
                sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(corrupt)?,
            ),
            Algorithm::EdDsa => Pair::Ed(sig::Ed25519KeyPair::from_pkcs8(der).map_err(corrupt)?),
        };
        Ok(Self {
            kid,
            algorithm,
            pair,
        })
    }

    /// The signature of `message` (a JWS signing input).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        let failed = |_| KeyError::Sign(self.kid.clone());
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut out)
                    .map_err(failed)?;
                Ok(out)
            }
            Pair::Ec(pair) => Ok(pair.sign(&rng, message).map_err(failed)?.as_ref().to_vec()),
            Pair::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// The public half as a JWK (without `kid`).
    pub(super) fn public_jwk(&self) -> Jwk {
        let b64 = |bytes: &[u8]| BASE64URL_NOPAD.encode(bytes);
        let algorithm = match &self.pair {
            Pair::Rsa(pair) => {
                let public =
                    aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                let minimal = |bytes: &[u8]| {
                    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
                    b64(&bytes[start..])
                };
                AlgorithmParameters::RSA(RSAKeyParameters {
                    key_type: RSAKeyType::RSA,
                    n: minimal(&public.n),
                    e: minimal(&public.e),
                })
            }
            Pair::Ec(pair) => {
                // An uncompressed point: 0x04, x, y.
                let point = pair.public_key().as_ref();
                let (x, y) = point
                    .get(1..)
                    .unwrap_or_default()
                    .split_at(32.min(point.len() / 2));
                AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                    key_type: EllipticCurveKeyType::EC,
                    curve: EllipticCurve::P256,
                    x: b64(x),
                    y: b64(y),
                })
            }
            Pair::Ed(pair) => AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: b64(pair.public_key().as_ref()),
            }),
        };
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(self.algorithm.key_algorithm()),
                ..CommonParameters::default()
            },
            algorithm,
        }
    }
}

/// A new private key (PKCS#8 DER).
pub(super) fn generate(algorithm: Algorithm) -> Result<Vec<u8>, KeyError> {
    let rng = SystemRandom::new();
    let failed =
        |e: &dyn std::fmt::Display| KeyError::Generate(format!("{}: {e}", algorithm.name()));
    match algorithm {
        Algorithm::Rs256 => {
            let pair = sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|e| failed(&e))?;
            let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().map_err(|e| failed(&e))?;
            Ok(der.as_ref().to_vec())
        }
        Algorithm::Es256 => Ok(sig::EcdsaKeyPair::generate_pkcs8(
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .map_err(|e| failed(&e))?
        .as_ref()
        .to_vec()),
        Algorithm::EdDsa => Ok(sig::Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|e| failed(&e))?
            .as_ref()
            .to_vec()),
    }
}
