//! Typed results that every tool renders: as a table through [`crate::format::table`], as JSON
//! through [`crate::format::json`] (each record derives `Serialize`, snake_case fields, units
//! in field names such as `offset_ms`), and in the TUI.

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text columns.
    Left,
    /// Numeric columns.
    Right,
}

/// A table column: header text and alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header text.
    pub name: &'static str,
    /// Cell alignment.
    pub align: Align,
}

impl Column {
    /// A left-aligned column.
    #[must_use]
    pub const fn left(name: &'static str) -> Self {
        Self {
            name,
            align: Align::Left,
        }
    }

    /// A right-aligned column.
    #[must_use]
    pub const fn right(name: &'static str) -> Self {
        Self {
            name,
            align: Align::Right,
        }
    }
}

/// A record that can be shown as one row of a table.
pub trait Tabular {
    /// The columns, in order.
    fn columns() -> &'static [Column];
    /// This record's cells, one per column.
    fn cells(&self) -> Vec<String>;
}

mod auth;
mod date;
pub mod private;
mod system;
mod trace;

pub use auth::{
    AuthSpeedRecord, AuthTiming, AuthTimingRow, AuthTypeTiming, ChronyRecord, DesConversionRecord,
    DesKeyRecord, GeneratedKey, KeygenRecord, KeysCheckRecord,
};
pub use date::{
    DateAction, DateReport, DateSample, DateSelection, DateServer, DriftRecord, ServerStatus,
};
pub use system::{LeapField, SystemVariables};
pub use trace::{NextFrom, ReadBy, StopReason, TraceHop, TraceReport, TraceStop};

mod control;
mod peer;

pub use peer::{FILTER_STAGES, FilterRegisters, PeerVariables};

pub use control::{
    AssociationRecord, ClockStatusField, ConfigRecord, InterfaceRecord, MessageRecord, MruRecord,
    PeerRecord, PeerStatusField, RateBits, RestrictRecord, StatusField, SystemStatusField,
    VarValue, VariablesRecord,
};
