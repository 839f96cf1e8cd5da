//! ntpdc against the lab's real daemons: every query compared with the reference ntpdc on
//! ntp1 and ntp3, every configuration command verified through an independent path, monlist
//! against a scripted responder, NTPsec's missing mode 7 diagnosed, JSON shapes checked, and
//! the shell ntpdc shares with ntpq driven through a pty.

// Query output compared with the reference ntpdc, volatile values bracketed.
mod compare;
// Configuration commands end to end, effects seen through the reference tools or ntpkit.
mod config;
// Through the impairing relay: the same answers as without it, or a clean failure.
mod lossy;
// monlist (real daemons and the scripted responder), silent servers, JSON documents.
mod monlist;
// The shared shell: the pty prompt, help against the reference, `> file`, local dates.
mod shell;
// Shared helpers: running both tools, the lock for state-changing tests, comparisons.
mod support;
