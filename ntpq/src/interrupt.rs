//! Ctrl-C during `mrulist`: stop asking and show what arrived, as classic ntpq does. Anywhere
//! else SIGINT keeps its default action.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The flags the SIGINT handlers look at, installed at the first [`Guard::arm`].
struct Flags {
    /// Set by SIGINT.
    fired: Arc<AtomicBool>,
    /// True outside a guarded section: SIGINT then does what it always does.
    default: Arc<AtomicBool>,
}

static FLAGS: OnceLock<Option<Flags>> = OnceLock::new();

fn flags() -> Option<&'static Flags> {
    FLAGS
        .get_or_init(|| {
            let fired = Arc::new(AtomicBool::new(false));
            let default = Arc::new(AtomicBool::new(true));
            let sig = signal_hook::consts::SIGINT;
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&default)).ok()?;
            signal_hook::flag::register(sig, Arc::clone(&fired)).ok()?;
            Some(Flags { fired, default })
        })
        .as_ref()
}

/// While alive, SIGINT only sets a flag ([`Guard::fired`]) instead of ending the process.
#[derive(Debug)]
pub struct Guard(());

impl Guard {
    /// Catches SIGINT until dropped.
    pub fn arm() -> Self {
        if let Some(f) = flags() {
            f.fired.store(false, Ordering::SeqCst);
            f.default.store(false, Ordering::SeqCst);
        }
        Self(())
    }

    /// Whether Ctrl-C was pressed since [`Guard::arm`].
    pub fn fired(&self) -> bool {
        flags().is_some_and(|f| f.fired.load(Ordering::SeqCst))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(f) = flags() {
            f.default.store(true, Ordering::SeqCst);
        }
    }
}
