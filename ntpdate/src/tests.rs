//! Unit tests of whole runs against a loopback server, with a recording clock.
