//! Placeholder; the lab harness is built by the lab work.
