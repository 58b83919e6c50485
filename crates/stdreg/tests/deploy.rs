//! The deployment files in `deploy/` hold together: every manifest parses,
//! every flag and variable they give `stdreg` exists, every Secret key,
//! volume and port they refer to is defined, probes ask `/healthz` and
//! `/readyz`, and the container runs as the image's unprivileged user.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml_ng::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// Every document of a YAML file.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| {
            let mut value =
                Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // Compose files share settings through merge keys (`<<: *anchor`).
            value
                .apply_merge()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            value
        })
        .filter(|doc| !doc.is_null())
        .collect()
}

fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_str()
        .unwrap_or_else(|| panic!("{} is not text in {value:?}", path.join(".")))
}

fn list<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_sequence().map_or(&[], Vec::as_slice)
}

/// `stdreg [command] --help`: the flags and environment variables it takes.
fn help(command: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args(command)
        .arg("--help")
        .output()
        .expect("run stdreg --help");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Flags (`--x`) given in `args` are all in the help of `stdreg serve`.
fn assert_known_flags(args: &[String], serve_help: &str, file: &str) {
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        let flag = flag.split('=').next().unwrap_or_default();
        assert!(
            serve_help.contains(&format!("{flag} ")),
            "{file}: `stdreg serve` has no flag {flag}"
        );
    }
}

/// Variables named `STDREG_*` are ones `stdreg serve` reads.
fn assert_known_variable(name: &str, serve_help: &str, file: &str) {
    if name.starts_with("STDREG_") {
        assert!(
            serve_help.contains(&format!("{name}=")) || serve_help.contains(&format!("${name}")),
            "{file}: `stdreg serve` reads no {name}"
        );
    }
}

fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.as_str().expect("text").to_owned())
        .collect()
}

/// The uid the image runs as (`useradd --uid N` in the Dockerfile).
fn image_uid() -> u64 {
    let dockerfile = std::fs::read_to_string(deploy_dir().join("Dockerfile")).expect("Dockerfile");
    assert!(
        dockerfile.lines().any(|l| l.trim() == "USER stdreg"),
        "the image does not switch to its user"
    );
    dockerfile
        .split("--uid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
        .expect("useradd --uid N in the Dockerfile")
}

#[test]
fn the_kubernetes_manifests_hold_together() {
    let dir = deploy_dir().join("kubernetes");
    let serve_help = help(&["serve"]);
    let mut objects: BTreeMap<(String, String), Value> = BTreeMap::new();
    for file in ["stdreg.yaml", "secret.example.yaml"] {
        for doc in documents(&dir.join(file)) {
            let kind = text(&doc, &["kind"]).to_owned();
            let name = text(&doc, &["metadata", "name"]).to_owned();
            assert!(!text(&doc, &["apiVersion"]).is_empty());
            assert!(
                objects.insert((kind.clone(), name.clone()), doc).is_none(),
                "{kind}/{name} is defined twice"
            );
        }
    }
    let kinds: Vec<&str> = objects.keys().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["Deployment", "PodDisruptionBudget", "Secret", "Service"]
    );
    let secret = &objects[&("Secret".to_owned(), "stdreg".to_owned())];
    let secret_has =
        |name: &str, key: &str| name == "stdreg" && !secret["stringData"][key].is_null();
    // The example Secret's tokens file is one `stdreg serve` reads.
    let tokens: api::auth::TokenFile =
        serde_json::from_str(text(secret, &["stringData", "tokens.json"])).expect("a tokens file");
    assert_eq!(tokens.format, api::auth::TOKENS_FORMAT);

    let deployment = &objects[&("Deployment".to_owned(), "stdreg".to_owned())];
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], Value::Bool(true));
    assert_eq!(
        pod["securityContext"]["runAsUser"].as_u64(),
        Some(image_uid())
    );
    let containers = list(pod, &["containers"]);
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    assert_eq!(
        container["securityContext"]["readOnlyRootFilesystem"],
        Value::Bool(true)
    );
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        Value::Bool(false)
    );

    let args = strings(list(container, &["args"]));
    assert_eq!(args.first().map(String::as_str), Some("serve"));
    assert_known_flags(&args, &serve_help, "stdreg.yaml");
    for env in list(container, &["env"]) {
        assert_known_variable(text(env, &["name"]), &serve_help, "stdreg.yaml");
        let reference = &env["valueFrom"]["secretKeyRef"];
        if !reference.is_null() {
            let (name, key) = (text(reference, &["name"]), text(reference, &["key"]));
            assert!(secret_has(name, key), "no Secret {name} with key {key}");
        }
    }

    // Volumes: every mount has one, every secret volume's keys exist, and
    // every file the arguments name is under a mount.
    let volumes = list(pod, &["volumes"]);
    let mounts = list(container, &["volumeMounts"]);
    let mut mounted = Vec::new();
    for mount in mounts {
        let name = text(mount, &["name"]);
        let volume = volumes
            .iter()
            .find(|v| text(v, &["name"]) == name)
            .unwrap_or_else(|| panic!("no volume {name}"));
        if !volume["secret"].is_null() {
            let secret_name = text(volume, &["secret", "secretName"]);
            for item in list(volume, &["secret", "items"]) {
                let key = text(item, &["key"]);
                assert!(
                    secret_has(secret_name, key),
                    "no Secret {secret_name} with key {key}"
                );
                mounted.push(format!(
                    "{}/{}",
                    text(mount, &["mountPath"]),
                    text(item, &["path"])
                ));
            }
        } else {
            mounted.push(text(mount, &["mountPath"]).to_owned());
        }
    }
    for file in args.iter().filter(|a| a.starts_with('/')) {
        assert!(
            mounted.iter().any(|m| file.starts_with(m.as_str())),
            "{file} is on no volume ({mounted:?})"
        );
    }
    let store_url = text(secret, &["stringData", "store-url"]);
    let root_cert = store_url
        .split("sslrootcert=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the store url names the database's CA");
    assert!(
        mounted.iter().any(|m| m == root_cert),
        "{root_cert} is not mounted"
    );
    let data_dir = list(container, &["env"])
        .iter()
        .find(|e| text(e, &["name"]) == "STDREG_DATA_DIR")
        .map(|e| text(e, &["value"]))
        .expect("STDREG_DATA_DIR");
    assert!(
        mounted.iter().any(|m| m == data_dir),
        "the data directory is not writable"
    );

    // Probes: liveness and start-up on /healthz, readiness on /readyz, on the served port.
    let port = &list(container, &["ports"])[0];
    let port_name = text(port, &["name"]);
    let listen = args
        .windows(2)
        .find(|w| w[0] == "--listen")
        .map(|w| w[1].clone())
        .expect("--listen");
    assert!(listen.ends_with(&format!(
        ":{}",
        port["containerPort"].as_u64().expect("port")
    )));
    for (probe, path) in [
        ("livenessProbe", "/healthz"),
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        assert_eq!(
            text(container, &[probe, "httpGet", "path"]),
            path,
            "{probe}"
        );
        assert_eq!(
            text(container, &[probe, "httpGet", "port"]),
            port_name,
            "{probe}"
        );
    }
    assert_eq!(
        text(&container["readinessProbe"], &["httpGet", "path"]),
        "/readyz"
    );

    // The Service and the disruption budget select these pods and this port.
    for kind in ["Service", "PodDisruptionBudget"] {
        let object = &objects[&(kind.to_owned(), "stdreg".to_owned())];
        let selector = if kind == "Service" {
            &object["spec"]["selector"]
        } else {
            &object["spec"]["selector"]["matchLabels"]
        };
        assert_eq!(selector, labels, "{kind}");
    }
    let service = &objects[&("Service".to_owned(), "stdreg".to_owned())];
    assert_eq!(
        text(&list(service, &["spec", "ports"])[0], &["targetPort"]),
        port_name
    );
}

#[test]
fn the_compose_file_holds_together() {
    let serve_help = help(&["serve"]);
    let docs = documents(&deploy_dir().join("compose.yaml"));
    assert_eq!(docs.len(), 1);
    let compose = &docs[0];
    let services = compose["services"].as_mapping().expect("services");
    let mut servers = 0;
    for (name, service) in services {
        let name = name.as_str().expect("a service name");
        if name.starts_with("stdreg") {
            servers += 1;
            let command = strings(list(service, &["command"]));
            assert_eq!(command.first().map(String::as_str), Some("serve"), "{name}");
            assert_known_flags(&command, &serve_help, "compose.yaml");
            for (variable, _) in service["environment"].as_mapping().expect("environment") {
                assert_known_variable(
                    variable.as_str().expect("a name"),
                    &serve_help,
                    "compose.yaml",
                );
            }
        }
    }
    assert!(servers >= 2, "the compose file runs {servers} servers");
}
