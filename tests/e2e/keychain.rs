//! The real Secret Service (gnome-keyring inside dbus-run-session, set up by `cargo xtask test`).

use anyhow::{Result, ensure};

#[test]
fn secret_service_round_trip() -> Result<()> {
    let service = format!("dev.patchbay.test.roundtrip.{}", std::process::id());
    let keychain = patchbay_core::keychain::os_keychain(&service);
    let secret = [0u8, 1, 2, 254, 255, 42];
    keychain
        .set("probe", &secret)
        .map_err(|e| anyhow::anyhow!("{e} (run through `cargo xtask test`)"))?;
    ensure!(
        keychain.get("probe")?.as_deref().map(Vec::as_slice) == Some(&secret[..]),
        "bytes survive"
    );
    keychain.set("probe", b"replaced")?;
    ensure!(keychain.get("probe")?.as_deref().map(Vec::as_slice) == Some(&b"replaced"[..]));
    keychain.delete("probe")?;
    ensure!(keychain.get("probe")?.is_none(), "deleted entries are gone");
    keychain.delete("probe")?;
    Ok(())
}
