//! One-time enrollment codes. A code is 12 characters of Crockford base32
//! (60 random bits) shown as `XXXX-XXXX-XXXX`; only its SHA-256 is stored.
//! It expires, and it can be used once.

use custos_core::signing::sha256_hex;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn new_code() -> String {
    let bytes = crate::registry::random_bytes::<12>();
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[(*b & 31) as usize] as char).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Upper-case, without separators, with the letters people confuse mapped
/// the Crockford way (O→0, I/L→1), so a code typed by hand still matches.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

pub fn code_hash(code: &str) -> String {
    sha256_hex(format!("custos/enrollment-code/v1\n{}", normalize(code)).as_bytes())
}

pub use custos_core::enrollment::EnrollmentPayload;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_forgiving() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert_eq!(code_hash(&code), code_hash(&code.to_lowercase().replace('-', " ")));
        assert_eq!(normalize("o1l-i"), "0111");
        assert_ne!(new_code(), new_code());
    }
}
