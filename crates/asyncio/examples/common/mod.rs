//! Helpers shared by the seed examples: printing values the way Python prints them, so each
//! example's stdout can be compared line for line with its CPython original, and the few
//! devices that make a nondeterministic seed program deterministic.
#![allow(dead_code)] // each example uses a few of these

use std::sync::{Condvar, Mutex};

/// A list of strings as Python prints it: `['a', 'b']`.
pub fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{}'", s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// A bool as Python prints it: `True` / `False`.
pub fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// A float as Python's `f'{x:.6e}'` prints it: a signed, two-digit exponent (`1.5e-03`).
pub fn py_exp(x: f64) -> String {
    let rust = format!("{x:.6e}");
    let (mantissa, exponent) = rust
        .split_once('e')
        .expect("`e` formatting has an exponent");
    let exponent: i32 = exponent.parse().expect("the exponent is an integer");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// `<coroutine object NAME>` for an `async fn`'s future: what Python prints for a coroutine
/// object, without the address (the future's type name is `crate::NAME::{{closure}}`).
pub fn coroutine_repr<T>(_: &T) -> String {
    let ty = std::any::type_name::<T>();
    let name = ty
        .trim_end_matches("::{{closure}}")
        .rsplit("::")
        .next()
        .unwrap_or(ty);
    format!("<coroutine object {name}>")
}

/// The linear congruential generator the Python ports use in place of `random.random()`,
/// so both languages draw the same numbers.
pub struct Lcg {
    state: u64,
}

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg { state: seed }
    }

    /// A float in `[0, 1)`.
    pub fn random(&mut self) -> f64 {
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Lets threads print in a fixed order of turns (0, 1, 2...) while they run at the same
/// time, as `tests/python/turnstile.py` does: two threads printing at the same moment would
/// otherwise print in an order the OS scheduler picks.
pub struct Turnstile {
    turn: Mutex<usize>,
    changed: Condvar,
}

impl Turnstile {
    pub const fn new() -> Self {
        Turnstile {
            turn: Mutex::new(0),
            changed: Condvar::new(),
        }
    }

    /// Waits for turn `turn`, prints `line`, and passes the turn on.
    pub fn print_in_turn(&self, turn: usize, line: &str) {
        let mut current = self.turn.lock().unwrap();
        while *current != turn {
            current = self.changed.wait(current).unwrap();
        }
        println!("{line}");
        *current += 1;
        self.changed.notify_all();
    }
}
