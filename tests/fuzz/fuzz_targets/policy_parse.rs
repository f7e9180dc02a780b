//! Parser and validator: any text, every policy kind and limit; must never panic or hang.
#![no_main]

#[allow(dead_code, unused_imports)]
#[path = "../../../src/policy/mod.rs"]
mod policy;

use libfuzzer_sys::fuzz_target;
use policy::{validate, Policy, PolicyKind, ValidationLimit};

const KINDS: [PolicyKind; 5] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Boundary,
    PolicyKind::Session,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = KINDS[usize::from(selector) % KINDS.len()];
    let _ = validate(text, kind, ValidationLimit::Managed);
    if let Ok(p) = Policy::parse(text, kind) {
        // A policy that parses must validate without errors.
        assert!(validate(text, kind, ValidationLimit::Unlimited)
            .iter()
            .all(|f| !f.is_error()));
        let _ = p.statements().len();
    }
});
