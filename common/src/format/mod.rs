//! Renderers for [`crate::record`] types: plain tables and JSON, written to an injected
//! `impl Write` (never to stdout directly) so tools and tests capture the same bytes.

pub mod classic;
pub mod json;
pub mod table;
pub mod vars;

pub use json::{render_json, render_json_lines};
pub use table::render_table;
