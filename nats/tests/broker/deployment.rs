//! The deployment files, checked as far as this machine allows: every rendered server config
//! passes `nats-server -t`, TLS works end to end with a local CA, the systemd units pass
//! `systemd-analyze verify`, the compose file is well formed.

use std::path::{Path, PathBuf};
use std::process::Command;

use broker::cluster::ClusterSpec;
use broker::server_config::TlsSpec;
use broker::{Fleet, Identity, ShopSpec};
use testkit::fleet::name;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fleet_in(dir: &Path) -> Fleet {
    let shops = [ShopSpec::parse("shop1:eu").unwrap(), ShopSpec::parse("shop2:us").unwrap()];
    Fleet::init(dir, None, &shops, &[name("admin")], &[name("ops")]).unwrap()
}

/// A local CA and server certificate made by `deploy/make-certs`.
fn certificates(dir: &Path) -> TlsSpec {
    let status = Command::new(root().join("deploy/make-certs")).arg(dir).status().expect("deploy/make-certs runs");
    assert!(status.success(), "deploy/make-certs failed (is openssl installed?)");
    let path = |f: &str| dir.join(f).display().to_string();
    TlsSpec { cert_file: path("server.pem"), key_file: path("server-key.pem"), ca_file: Some(path("ca.pem")) }
}

fn assert_server_accepts(config: &Path) {
    let out = Command::new(testkit::nats_server_bin().unwrap()).arg("-t").arg("-c").arg(config).output().unwrap();
    assert!(
        out.status.success(),
        "nats-server -t refused {}:\n{}{}",
        config.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_rendered_config_passes_the_servers_own_check() {
    let single = tempfile::tempdir().unwrap();
    let fleet = fleet_in(single.path());
    assert_server_accepts(&fleet.server_config_path());

    let clustered = tempfile::tempdir().unwrap();
    let mut fleet = fleet_in(clustered.path());
    fleet.manifest.cluster = Some(ClusterSpec::local(3, "127.0.0.1", 4222, 6222).unwrap());
    fleet.manifest.streams.replicas = 3;
    fleet.manifest.sync_interval = Some("always".to_owned());
    fleet.save().unwrap();
    for node in &fleet.manifest.cluster.clone().unwrap().nodes {
        let config = fleet.node_config_path(node);
        assert_server_accepts(&config);
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(text.contains(&format!("server_name: {}", node.name)) && text.contains("sync_interval: always"));
    }

    let secured = tempfile::tempdir().unwrap();
    let mut fleet = fleet_in(secured.path());
    fleet.manifest.tls = Some(certificates(&secured.path().join("certs")));
    fleet.save().unwrap();
    assert_server_accepts(&fleet.server_config_path());
}

#[test]
fn replicas_without_a_cluster_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut fleet = fleet_in(dir.path());
    fleet.manifest.streams.replicas = 3;
    let err = fleet.save().unwrap_err().to_string();
    assert!(err.contains("needs a [cluster]"), "{err}");
}

#[tokio::test]
async fn a_client_trusting_the_fleet_ca_connects_over_tls_and_one_without_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut fleet = fleet_in(dir.path());
    fleet.manifest.tls = Some(certificates(&dir.path().join("certs")));
    fleet.save().unwrap();
    let server = testkit::NatsServer::start(&fleet.server_config_path()).unwrap();
    let url = server.url().replacen("nats://", "tls://", 1);

    let client = broker::connect::connect_identity(&fleet, &Identity::Provisioner, &url, "tls-check").await.unwrap();
    let js = async_nats::jetstream::new(client);
    js.query_account().await.expect("a JetStream call over TLS");

    let untrusting = broker::connect::options(
        &fleet.seed(&Identity::Provisioner).unwrap(),
        &Identity::Provisioner.inbox_prefix(),
        "no-ca",
        None,
    )
    .connect(url.as_str())
    .await;
    assert!(untrusting.is_err(), "a client that does not trust the CA connected");
}

/// The units with their programs pointed at stand-ins, as `systemd-analyze verify` checks that
/// every ExecStart program exists.
#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        eprintln!("note: systemd-analyze is not installed here: the units were not verified");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for program in ["nats-server", "maxis", "shellia"] {
        let path = bin.join(program);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let mut units = Vec::new();
    for (file, instance) in [
        ("nats-server.service", "nats-server.service"),
        ("maxis@.service", "maxis@shop1.service"),
        ("shellia.service", "shellia.service"),
    ] {
        let text = std::fs::read_to_string(root().join("deploy/systemd").join(file)).unwrap();
        let path = dir.path().join(instance);
        std::fs::write(&path, text.replace("/usr/local/bin/", &format!("{}/", bin.display()))).unwrap();
        units.push(path);
    }
    let out = Command::new("systemd-analyze").arg("verify").args(&units).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify:\n{stderr}");
}

/// `docker compose config` when docker has its compose plugin; otherwise the YAML is parsed and
/// its references checked (services, volumes, env files' examples).
#[test]
fn the_compose_file_is_well_formed() {
    let compose = root().join("deploy/docker/compose.yaml");
    let docker = Command::new("docker").args(["compose", "version"]).output();
    if docker.is_ok_and(|o| o.status.success()) {
        let out = Command::new("docker").args(["compose", "-f"]).arg(&compose).args(["config", "-q"]).output().unwrap();
        assert!(out.status.success(), "docker compose config:\n{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    // The project's venv (first on PATH under deploy/test) has no PyYAML: look further.
    let with_yaml = ["python3", "/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|python| Command::new(python).args(["-c", "import yaml"]).output().is_ok_and(|o| o.status.success()));
    let Some(python) = with_yaml else {
        eprintln!("note: neither docker compose nor python3 with PyYAML is here: compose.yaml was not checked");
        return;
    };
    eprintln!("note: docker compose is not available here: checking compose.yaml with deploy/docker/check-compose");
    let out = Command::new(python).arg(root().join("deploy/docker/check-compose")).arg(&compose).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// `deploy/backup` copies a database that is open and being written (WAL mode), and the copy
/// holds every committed row.
#[tokio::test]
async fn the_backup_script_copies_a_live_database() {
    if Command::new("sqlite3").arg("--version").output().is_err() {
        eprintln!("note: sqlite3 is not installed here: deploy/backup was not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop1.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::query("CREATE TABLE handled_orders (order_id TEXT PRIMARY KEY)").execute(&pool).await.unwrap();
    for i in 0..100 {
        sqlx::query("INSERT INTO handled_orders VALUES (?)").bind(format!("o{i}")).execute(&pool).await.unwrap();
    }

    let out = Command::new(root().join("deploy/backup")).arg(&db).arg(dir.path().join("backups")).output().unwrap();

    assert!(out.status.success(), "deploy/backup failed: {}", String::from_utf8_lossy(&out.stderr));
    let copy = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let count = Command::new("sqlite3").arg(&copy).arg("SELECT COUNT(*) FROM handled_orders").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "100");
    pool.close().await;
}

#[test]
fn broker_init_with_cluster_writes_a_valid_config_per_node_and_prints_every_url() {
    let dir = tempfile::tempdir().unwrap();
    let broker = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_broker")).arg("--dir").arg(dir.path()).args(args).output().unwrap();
        assert!(out.status.success(), "broker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    broker(&["init", "--cluster", "3", "--listen", "127.0.0.1:14222", "--route-port", "16222", "--shop", "shop1:eu"]);

    let fleet = Fleet::load(dir.path()).unwrap();
    assert_eq!(fleet.manifest.streams.replicas, 3);
    for node in &fleet.manifest.cluster.clone().unwrap().nodes {
        assert_server_accepts(&fleet.node_config_path(node));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(fleet.node_config_path(node)).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600, "a node config holds the route password");
    }
    assert!(!fleet.server_config_path().exists(), "no single-server config for a cluster");
    assert_eq!(broker(&["urls"]).trim(), "nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224");
}
