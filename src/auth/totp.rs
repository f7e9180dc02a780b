//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), as virtual
//! MFA apps compute them, with the replay guard RFC 6238 section 5.2 asks for. Pure: the time
//! arrives as an argument.

use totp_rs::{Algorithm, Builder, Totp};

/// Seconds per step. Authenticator apps assume 30; changing it breaks every enrolled device.
pub const STEP_SECONDS: u64 = 30;
/// Accepted clock drift, in steps either side of now. One step tolerates a phone up to 30 s
/// off; more would widen the window for a guessed or shoulder-surfed code.
pub const SKEW_STEPS: u64 = 1;
/// How far back EnableMFADevice/ResyncMFADevice look for two consecutive codes, in steps
/// (a device whose clock drifted up to five minutes can be resynchronised).
pub const RESYNC_STEPS: u64 = 10;
pub const DIGITS: u8 = 6;
/// Seed length in bytes (160 bits, RFC 4226's recommendation).
pub const SEED_LEN: usize = 20;

fn totp(seed: &[u8]) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(0)
        .with_step_duration(STEP_SECONDS)
        .with_secret(seed.to_vec())
        .with_account_name("keyward".to_string())
        .build()
        .ok()
}

/// The code of `step` (for tests and clients of our own).
pub fn code_at_step(seed: &[u8], step: u64) -> Option<String> {
    totp(seed).map(|t| t.generate(step * STEP_SECONDS).to_string())
}

fn matches(t: &Totp, code: &str, step: u64) -> bool {
    // The comparison of tokens inside totp-rs is constant-time.
    t.check(code, step * STEP_SECONDS) == Some(step)
}

/// Accepts `code` if it belongs to a step within the skew of `unix_time` that is later than the
/// last accepted one; returns that step, which the caller stores as the new `last_used_step`.
pub fn verify(seed: &[u8], code: &str, unix_time: u64, last_used_step: Option<u64>) -> Option<u64> {
    let t = totp(seed)?;
    let now = unix_time / STEP_SECONDS;
    (now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS)
        .filter(|s| last_used_step.is_none_or(|last| *s > last))
        .find(|s| matches(&t, code, *s))
}

/// Finds two consecutive codes (as IAM asks when enabling or resynchronising a device) within
/// the resync window; returns the step of the second.
pub fn verify_consecutive(seed: &[u8], first: &str, second: &str, unix_time: u64) -> Option<u64> {
    let t = totp(seed)?;
    let now = unix_time / STEP_SECONDS;
    (now.saturating_sub(RESYNC_STEPS)..=now + SKEW_STEPS)
        .find(|s| matches(&t, first, *s) && matches(&t, second, s + 1))
        .map(|s| s + 1)
}

/// The `otpauth://` URI authenticator apps scan.
pub fn otpauth_uri(seed: &[u8], issuer: &str, account: &str) -> Option<String> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(seed.to_vec())
        .with_issuer(Some(issuer.to_string()))
        .with_account_name(account.to_string())
        .build()
        .ok()
        .and_then(|t| t.to_url().ok())
}

/// A QR code of `text` as an SVG image for pages (dark modules on white, quiet zone
/// included, at least 180 pixels wide).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(180, 180)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// A QR code of `text` as a PNG image (the `QRCodePNG` IAM returns), 4 pixels per module with
/// the standard 4-module quiet zone.
pub fn qr_png(text: &str) -> Option<Vec<u8>> {
    const SCALE: usize = 4;
    const QUIET: usize = 4;
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % modules + QUIET) * SCALE, (i / modules + QUIET) * SCALE);
            for dy in 0..SCALE {
                let row = (y + dy) * side;
                pixels.get_mut(row + x..row + x + SCALE)?.fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).ok()?;
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
        for (time, code) in [
            (59u64, "287082"),
            (1111111109, "081804"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(
                code_at_step(SEED, time / STEP_SECONDS).unwrap(),
                code,
                "{time}"
            );
        }
    }

    #[test]
    fn codes_are_accepted_once_within_the_skew() {
        let now = 1_700_000_000;
        let step = now / STEP_SECONDS;
        let code = code_at_step(SEED, step).unwrap();
        assert_eq!(verify(SEED, &code, now, None), Some(step));
        assert_eq!(verify(SEED, &code, now, Some(step)), None, "replayed");
        assert_eq!(
            verify(SEED, &code, now + 30, None),
            Some(step),
            "one step late"
        );
        assert_eq!(verify(SEED, &code, now + 90, None), None, "too late");
        assert_eq!(verify(SEED, "000000x", now, None), None);
        let next = code_at_step(SEED, step + 1).unwrap();
        assert_eq!(
            verify_consecutive(SEED, &code, &next, now + 120),
            Some(step + 1)
        );
        assert_eq!(
            verify_consecutive(SEED, &next, &code, now),
            None,
            "order matters"
        );
    }

    #[test]
    fn qr_png_is_a_png_and_the_uri_names_the_account() {
        let uri = otpauth_uri(SEED, "Keyward", "alice@111122223333").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Keyward:alice%40111122223333?secret="),
            "{uri}"
        );
        let png = qr_png(&uri).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
