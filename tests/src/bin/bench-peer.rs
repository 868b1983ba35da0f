//! `bench-peer [PORT]`: the benchmark's echo server ([`patchbay_tests::bench_peer`]) in a
//! process of its own; prints its MCP URL on the first line of stdout, then serves until killed.

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let port = match std::env::args().nth(1) {
        Some(port) => port.parse()?,
        None => 0,
    };
    // Two workers: the server answers concurrent sessions (P3's healthy connectors) at once.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let url = patchbay_tests::bench_peer::serve_echo(port).await?;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "{url}")?;
        stdout.flush()?;
        std::future::pending::<()>().await;
        Ok(())
    })
}
