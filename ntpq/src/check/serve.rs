//! `ntpq serve`: the check's metrics over HTTP for Prometheus to scrape.
//!
//! `GET /metrics` runs the check of every configured server (within `--timeout`) and answers
//! with the exposition: as OpenMetrics when the `Accept` header asks for
//! `application/openmetrics-text`, else as the Prometheus text format (the same text, see
//! [`ntpkit::check::openmetrics`]). `GET /` describes the endpoint; anything else is 404, and
//! methods other than GET and HEAD are 405. A few worker threads answer requests; each scrape
//! opens its own socket, so concurrent scrapes never mix their replies.

use std::io::Write;
use std::net::{Ipv6Addr, SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use anyhow::{Context, anyhow};
use ntpkit::check::openmetrics::{
    OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, render_openmetrics,
};
use tiny_http::{Header, Method, Request, Response, Server};

use ntpkit::transport::Family;

use super::{CheckOptions, ServeCommand, family, misplaced};
use crate::cli::Cli;

/// Requests answered at once.
const WORKERS: usize = 4;

/// Reads `--listen`: `ADDR:PORT`, `[V6]:PORT`, or `:PORT` for every address (IPv6 and IPv4).
///
/// # Errors
/// Not one of those forms.
pub fn listen_addr(text: &str) -> anyhow::Result<SocketAddr> {
    if let Some(port) = text.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| anyhow!("'{text}': expected :PORT with a port number"))?;
        return Ok(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)));
    }
    text.parse()
        .map_err(|_| anyhow!("'{text}': expected ADDR:PORT, [IPV6]:PORT or :PORT"))
}

/// Serves until the process is stopped; tells `log` where (one line).
///
/// # Errors
/// Classic options that do not apply, a malformed address or one that cannot be bound.
pub fn run(cli: &Cli, cmd: &ServeCommand, log: &mut impl Write) -> anyhow::Result<ExitCode> {
    if let Some(msg) = misplaced(cli, "serve") {
        writeln!(log, "ntpq: serve: {msg}")?;
        return Ok(ExitCode::from(2));
    }
    serve(cmd, family(cli), log).context("serve")
}

fn serve(cmd: &ServeCommand, family: Family, log: &mut impl Write) -> anyhow::Result<ExitCode> {
    let addr = listen_addr(&cmd.listen)?;
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let server = Server::from_listener(listener, None)
        .map_err(|e| anyhow!("cannot serve on {bound}: {e}"))?;
    let hosts = cmd.options.hosts();
    writeln!(
        log,
        "ntpq: serving the check of {} at http://{bound}/metrics",
        hosts.join(" ")
    )?;
    log.flush()?;
    let server = Arc::new(server);
    let options = Arc::new(cmd.options.clone());
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            let options = Arc::clone(&options);
            thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    if let Err(e) = answer(request, &options, family) {
                        eprintln!("ntpq: serve: {e:#}");
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    Ok(ExitCode::FAILURE)
}

fn header(name: &str, value: &str) -> anyhow::Result<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .map_err(|()| anyhow!("bad header {name}: {value}"))
}

/// Whether the client prefers OpenMetrics (Prometheus sends
/// `Accept: application/openmetrics-text;version=1.0.0,…;q=…,text/plain;…`).
fn wants_openmetrics(request: &Request) -> bool {
    request.headers().iter().any(|h| {
        h.field.equiv("Accept")
            && h.value
                .as_str()
                .to_ascii_lowercase()
                .contains("application/openmetrics-text")
    })
}

fn answer(request: Request, options: &CheckOptions, family: Family) -> anyhow::Result<()> {
    let method = request.method().clone();
    if !matches!(method, Method::Get | Method::Head) {
        let response = Response::from_string("only GET and HEAD are served\n")
            .with_status_code(405)
            .with_header(header("Allow", "GET, HEAD")?);
        return Ok(request.respond(response)?);
    }
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (status, content_type, body) = match path.as_str() {
        "/metrics" => {
            let run = options.run(family);
            let mut body = Vec::new();
            render_openmetrics(&run.reports, Some(run.elapsed.as_secs_f64()), &mut body)?;
            let content_type = if wants_openmetrics(&request) {
                OPENMETRICS_CONTENT_TYPE
            } else {
                PROMETHEUS_CONTENT_TYPE
            };
            (200, content_type, body)
        }
        "/" => {
            let text = format!(
                "ntpq serve: the health check of {} as Prometheus metrics at /metrics\n",
                options.hosts().join(" ")
            );
            (200, "text/plain; charset=utf-8", text.into_bytes())
        }
        _ => (
            404,
            "text/plain; charset=utf-8",
            b"not found; try /metrics\n".to_vec(),
        ),
    };
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", content_type)?);
    Ok(request.respond(response)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            listen_addr("127.0.0.1:9123").unwrap(),
            "127.0.0.1:9123".parse().unwrap()
        );
        assert_eq!(
            listen_addr("[::1]:80").unwrap(),
            "[::1]:80".parse().unwrap()
        );
        assert_eq!(listen_addr(":9123").unwrap(), "[::]:9123".parse().unwrap());
        for bad in ["9123", "localhost:9123", ":x", "1.2.3.4"] {
            assert!(listen_addr(bad).is_err(), "{bad}");
        }
    }
}
