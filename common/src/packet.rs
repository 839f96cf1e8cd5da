//! Placeholder module; filled in by the foundation work.
