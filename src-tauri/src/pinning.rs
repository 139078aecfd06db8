//! TLS to the recorder with its certificate pinned: the enrollment text
//! carries the SHA-256 of the recorder's self-signed certificate, and the
//! app accepts exactly that certificate, no other, whoever signed it. The
//! handshake signatures are still checked with the provider's algorithms.

use std::sync::Arc;

use custos_core::signing::sha256_hex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, SignatureScheme};

/// How a refused certificate is named, so the client can tell it from a
/// network failure.
pub const NOT_THE_ENROLLED_RECORDER: &str = "this is not the recorder this device enrolled with";

#[derive(Debug)]
pub struct PinnedCertificate {
    /// SHA-256 of the certificate's DER bytes, lower-case hex.
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl PinnedCertificate {
    pub fn new(fingerprint: &str) -> Result<Self, String> {
        let fingerprint = fingerprint.trim().to_ascii_lowercase().replace(':', "");
        if fingerprint.len() != 64 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the certificate fingerprint must be a SHA-256: 64 hex digits".into());
        }
        Ok(PinnedCertificate {
            fingerprint,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        })
    }

    /// A client configuration that trusts only the pinned certificate.
    pub fn client_config(self) -> Result<ClientConfig, String> {
        let provider = self.provider.clone();
        Ok(ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(self))
            .with_no_client_auth())
    }
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let actual = sha256_hex(end_entity);
        if actual == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(Error::General(format!(
                "{NOT_THE_ENROLLED_RECORDER} (certificate SHA-256 {actual}); \
                 check the address, or enroll again if the recorder was replaced"
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivateKeyDer;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A TLS server with a fresh self-signed certificate; returns its port and fingerprint.
    async fn server() -> (u16, String) {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let fingerprint = sha256_hex(cert.cert.der());
        let key = PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls.write_all(b"custos").await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        (port, fingerprint)
    }

    async fn connect(port: u16, pin: &str) -> Result<String, String> {
        let config = PinnedCertificate::new(pin)?.client_config()?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = connector.connect(name, tcp).await.map_err(|e| e.to_string())?;
        let mut got = String::new();
        tls.read_to_string(&mut got).await.map_err(|e| e.to_string())?;
        Ok(got)
    }

    #[tokio::test]
    async fn only_the_enrolled_certificate_is_accepted() {
        let (port, fingerprint) = server().await;
        assert_eq!(connect(port, &fingerprint).await.unwrap(), "custos");
        assert_eq!(
            connect(port, &fingerprint.to_uppercase()).await.unwrap(),
            "custos",
            "case does not matter"
        );

        let (_, other) = server().await;
        let err = connect(port, &other).await.unwrap_err();
        assert!(err.contains("not the recorder this device enrolled with"), "{err}");
        assert!(PinnedCertificate::new("abc").is_err());
    }
}
