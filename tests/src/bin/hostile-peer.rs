//! One of the hostile stand-in servers of `patchbay_tests::hostile_peer`, on its own, for
//! reproducing the Hardening issue's defects by hand and measuring them
//! (`tests/hardening-figures.sh`): prints the server's MCP URL, then serves until killed.
//!
//! `hostile-peer endless-line | endless-lines | escapes | slow-steps SECONDS`

use anyhow::{Result, bail};
use patchbay_tests::hostile_peer::{
    Endless, serve_endless_event, serve_escapes, serve_slow_at_every_step,
};

#[tokio::main]
async fn main() -> Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let peer = match arguments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["endless-line"] => serve_endless_event(Endless::Line).await?,
        ["endless-lines"] => serve_endless_event(Endless::Lines).await?,
        ["escapes"] => serve_escapes().await?,
        ["slow-steps", seconds] => {
            serve_slow_at_every_step(std::time::Duration::from_secs_f64(seconds.parse()?)).await?
        }
        _ => {
            bail!("usage: hostile-peer endless-line | endless-lines | escapes | slow-steps SECONDS")
        }
    };
    println!("{}", peer.url);
    std::future::pending::<()>().await;
    Ok(())
}
