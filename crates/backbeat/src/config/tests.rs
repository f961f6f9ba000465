//! Assembling the configuration: layers, sections, the flat keys of earlier versions, and
//! clear errors.

use clap::Parser as _;

use super::*;

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: ServeArgs,
}

fn parse(args: &[&str]) -> Result<Settings, String> {
    let cli = Cli::try_parse_from(std::iter::once("backbeat").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    Settings::load(&cli.args).map_err(|e| e.to_string())
}

#[test]
fn config_file_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conf.toml");
    std::fs::write(
        &file,
        "public_url = \"https://music.example.org\"\naccess_token_ttl_s = 60\n\
         [rate_limits.auth]\nburst = 3\n",
    )
    .unwrap();
    let data = dir.path().to_str().unwrap();
    let f = file.to_str().unwrap();
    let c = parse(&["--config", f, "--data-dir", data]).unwrap();
    assert_eq!(c.http.public_url, "https://music.example.org");
    assert_eq!(c.catalog.access_token_ttl_s, 60);
    assert_eq!(c.http.rate_limits.auth.burst, 3);
    // Untouched keys keep their defaults, including the rest of a partly-set table.
    assert_eq!(
        c.http.rate_limits.auth.per_second,
        Settings::default().http.rate_limits.auth.per_second
    );
    assert_eq!(
        c.catalog.stream_url_ttl_s,
        Settings::default().catalog.stream_url_ttl_s
    );
    let c = parse(&[
        "--config",
        f,
        "--data-dir",
        data,
        "--access-token-ttl-s",
        "120",
    ])
    .unwrap();
    assert_eq!(c.catalog.access_token_ttl_s, 120);
    assert_eq!(c.http.public_url, "https://music.example.org");
}

#[test]
fn data_dir_file_is_below_the_named_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("backbeat.toml"),
        "cache_entries = 5\nlog_format = \"json\"\n",
    )
    .unwrap();
    let named = dir.path().join("named.toml");
    std::fs::write(&named, "cache_entries = 7\n").unwrap();
    let data = dir.path().to_str().unwrap();
    let c = parse(&["--data-dir", data]).unwrap();
    assert_eq!(
        (c.catalog.cache_entries, c.log_format.as_str()),
        (5, "json")
    );
    let c = parse(&["--data-dir", data, "--config", named.to_str().unwrap()]).unwrap();
    assert_eq!(
        (c.catalog.cache_entries, c.log_format.as_str()),
        (7, "json")
    );
    // The data directory's own file may not move the data directory.
    std::fs::write(
        dir.path().join("backbeat.toml"),
        "data_dir = \"/elsewhere\"\n",
    )
    .unwrap();
    assert!(parse(&["--data-dir", data])
        .unwrap_err()
        .contains("data_dir"));
}

#[test]
fn config_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let data = dir.path().to_str().unwrap();
    let f = file.to_str().unwrap();
    std::fs::write(&file, "public_url = \"http://x\"\nacess_token_ttl_s = 5\n").unwrap();
    let e = parse(&["--config", f, "--data-dir", data]).unwrap_err();
    assert!(
        e.contains("acess_token_ttl_s") && e.contains("bad.toml"),
        "{e}"
    );
    std::fs::write(&file, "[rate_limits.read]\nper_secnd = 5\n").unwrap();
    let e = parse(&["--config", f, "--data-dir", data]).unwrap_err();
    assert!(e.contains("per_secnd"), "{e}");
    std::fs::write(&file, "access_token_ttl_s = \"soon\"\n").unwrap();
    assert!(parse(&["--config", f, "--data-dir", data]).is_err());
    let missing = dir.path().join("missing.toml");
    let e = parse(&["--config", missing.to_str().unwrap()]).unwrap_err();
    assert!(e.contains("missing.toml"), "{e}");
    for (flags, field) in [
        (vec!["--access-token-ttl-s", "0"], "access_token_ttl_s"),
        (vec!["--public-url", "not a url"], "public_url"),
        (vec!["--public-url", "ftp://x.org"], "public_url"),
        (vec!["--rate-read-per-second", "0"], "rate_limits.read"),
        (vec!["--rate-auth-burst", "0"], "rate_limits.auth"),
        (vec!["--secret", "too-short"], "secret"),
    ] {
        let mut args = vec!["--data-dir", data];
        args.extend(flags);
        let e = parse(&args).unwrap_err();
        assert!(e.contains(field), "{args:?}: {e}");
    }
    assert!(parse(&["--log-format", "xml"]).is_err());
}

/// Runs [`config_env_child`] in a child process with `BACKBEAT_*` set (environment variables
/// are process-wide, so they are not set in this test process).
#[test]
fn config_env_between_file_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conf.toml");
    std::fs::write(
        &file,
        "upload_url_ttl_s = 11\nstream_url_ttl_s = 12\naccess_token_ttl_s = 13\n",
    )
    .unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "config::tests::config_env_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BACKBEAT_TEST_ENV_CHILD", "1")
        .env("BACKBEAT_CONFIG", &file)
        .env("BACKBEAT_DATA_DIR", dir.path())
        .env("BACKBEAT_STREAM_URL_TTL_S", "22")
        .env("BACKBEAT_ACCESS_TOKEN_TTL_S", "23")
        .env("BACKBEAT_RATE_LIMITS_ENABLED", "false")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The child half of [`config_env_between_file_and_flags`]; passes trivially on its own.
#[test]
fn config_env_child() {
    if std::env::var_os("BACKBEAT_TEST_ENV_CHILD").is_none() {
        return;
    }
    let c = parse(&["--access-token-ttl-s", "33"]).unwrap();
    assert_eq!(c.catalog.upload_url_ttl_s, 11, "file only");
    assert_eq!(c.catalog.stream_url_ttl_s, 22, "env over file");
    assert_eq!(c.catalog.access_token_ttl_s, 33, "flag over env");
    assert!(!c.http.rate_limits.enabled);
    assert_eq!(
        c.catalog.refresh_token_ttl_s,
        Settings::default().catalog.refresh_token_ttl_s
    );
}

#[test]
fn config_cost_limits_and_quotas() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conf.toml");
    std::fs::write(
        &file,
        "[catalog]\nmax_decoded_samples = 1000000\nmax_channels = 2\n\
         [catalog.quota]\nmax_tracks = 0\nmax_stored_bytes = 5000\nadmins_exempt = false\n",
    )
    .unwrap();
    let data = dir.path().to_str().unwrap();
    let f = file.to_str().unwrap();
    let c = parse(&["--config", f, "--data-dir", data]).unwrap();
    assert_eq!(c.catalog.max_decoded_samples, 1_000_000);
    assert_eq!(c.catalog.max_channels, 2);
    let defaults = Settings::default().catalog;
    assert_eq!(c.catalog.max_sample_rate, defaults.max_sample_rate);
    // 0 is unlimited; unset keys keep their defaults.
    assert_eq!(c.catalog.quota.max_tracks, None);
    assert_eq!(c.catalog.quota.max_stored_bytes, Some(5_000));
    assert!(!c.catalog.quota.admins_exempt);
    assert_eq!(
        c.catalog.quota.max_processing_s_per_day,
        defaults.quota.max_processing_s_per_day
    );
    let c = parse(&[
        "--data-dir",
        data,
        "--quota-max-processing-s-per-day",
        "60",
        "--max-sample-rate",
        "48000",
    ])
    .unwrap();
    assert_eq!(c.catalog.quota.max_processing_s_per_day, Some(60));
    assert_eq!(c.catalog.max_sample_rate, 48_000);
    assert!(parse(&["--data-dir", data, "--max-decoded-samples", "0"]).is_err());
}

#[test]
fn client_limits_come_from_the_http_section_and_zero_timeouts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conf.toml");
    let data = dir.path().to_str().unwrap();
    let f = file.to_str().unwrap();
    std::fs::write(
        &file,
        "[http.client_limits]\nheader_read_timeout_s = 5\nmax_connections_per_ip = 0\n",
    )
    .unwrap();
    let c = parse(&["--config", f, "--data-dir", data]).unwrap();
    let limits = c.http.client_limits;
    assert_eq!(limits.header_read_timeout_s, 5);
    assert_eq!(limits.max_connections_per_ip, 0);
    let defaults = Settings::default().http.client_limits;
    assert_eq!(limits.body_idle_timeout_s, defaults.body_idle_timeout_s);
    assert_eq!(limits.max_connections, defaults.max_connections);
    let c = parse(&[
        "--config",
        f,
        "--data-dir",
        data,
        "--max-connections-per-ip",
        "9",
    ])
    .unwrap();
    assert_eq!(c.http.client_limits.max_connections_per_ip, 9);
    std::fs::write(&file, "[http.client_limits]\nbody_idle_timeout_s = 0\n").unwrap();
    let e = parse(&["--config", f, "--data-dir", data]).unwrap_err();
    assert!(e.contains("client_limits.body_idle_timeout_s"), "{e}");
    std::fs::write(&file, "[http.client_limits]\nheader_timeout_s = 5\n").unwrap();
    let e = parse(&["--config", f, "--data-dir", data]).unwrap_err();
    assert!(e.contains("header_timeout_s"), "{e}");
}
