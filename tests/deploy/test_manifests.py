"""Static checks of the deployment artifacts in deploy/ (no cluster, no container engine):

- every YAML file passes yamllint (deploy/.yamllint.yaml);
- Kubernetes (the output of `kubectl kustomize deploy/k8s`): Deployment probes on
  /health and /readiness, resources, non-root read-only security context, the
  Secret reference, Service, PDB, HPA, migration Job — all selecting the same pods;
  Ingress (TLS, backend, body cap >= UPLOAD_MAX_BYTES), NetworkPolicy (pods, port,
  egress); a schema check of every object (known apiVersion/kind, DNS-1123 names,
  labels, small JSON schemas); secret.example.yaml holds placeholders, never applied;
- compose.yaml: the four services, health-based start order, a one-shot migration,
  secrets from env files only, volumes for data and uploads;
- Dockerfile (the final image = its last stage and the stages it is built FROM):
  multi-stage, numeric non-root USER, HEALTHCHECK on /health, exec-form
  ENTRYPOINT/CMD, no secret in ENV/ARG; runtime-prebuilt (what `make test` runs)
  differs from the full image only by where the binary comes from; .dockerignore
  keeps secrets out;
- nginx template: upload cap = UPLOAD_MAX_BYTES + keel's multipart allowance;
- systemd unit: `systemd-analyze verify` without a warning, hardening options set,
  `systemd-analyze security --offline=true` exposure at most EXPOSURE_THRESHOLD.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile

import pytest
import yaml

try:  # python3-jsonschema: validates key fields of the rendered objects when present
    import jsonschema
except ImportError:
    jsonschema = None

from conftest import DEPLOY, REPO

K8S = os.path.join(DEPLOY, "k8s")
KEEL_BINARY = os.environ.get("KEEL_BINARY", os.path.join(REPO, "build", "lead", "keel"))


def load_all(path: str) -> list[dict]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


KUBECTL = shutil.which("kubectl") or ("/usr/bin/kubectl" if os.access("/usr/bin/kubectl", os.X_OK) else None)


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    """rendered is the output of `kubectl kustomize deploy/k8s`: exactly what `kubectl apply -k` sends."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed: cannot render deploy/k8s with kubectl kustomize")
    done = subprocess.run([KUBECTL, "kustomize", K8S], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d is not None]


@pytest.fixture(scope="module")
def k8s(rendered) -> dict[str, dict]:
    """k8s maps "Kind/name" to each rendered object; kustomization.yaml lists every manifest but the examples."""
    kustomization = load_all(os.path.join(K8S, "kustomization.yaml"))[0]
    listed = set(kustomization["resources"])
    on_disk = {os.path.basename(p) for p in glob.glob(os.path.join(K8S, "*.yaml"))} - {"kustomization.yaml"}
    on_disk = {name for name in on_disk if not name.endswith(".example.yaml")}
    assert listed == on_disk, f"kustomization.yaml resources {sorted(listed)} != files {sorted(on_disk)}"
    docs = {f"{doc['kind']}/{doc['metadata']['name']}": doc for doc in rendered}
    assert len(docs) == len(rendered), "two rendered objects share a kind and name"
    return docs


# --------------------------------------------------------------------------- yamllint


def test_yamllint_passes_on_every_deploy_yaml():
    files = glob.glob(os.path.join(DEPLOY, "**", "*.yaml"), recursive=True)
    assert len(files) >= 9, files
    done = subprocess.run(["yamllint", "-s", "-f", "parsable", "-c", os.path.join(DEPLOY, ".yamllint.yaml"), *files],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------- Kubernetes


def pod_spec_and_container(doc: dict, name: str) -> tuple[dict, dict]:
    spec = doc["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in spec["containers"]}
    assert name in containers, containers.keys()
    return spec, containers[name]


def assert_hardened(spec: dict, container: dict) -> None:
    pod_sc = spec["securityContext"]
    assert pod_sc["runAsNonRoot"] is True
    assert isinstance(pod_sc["runAsUser"], int) and pod_sc["runAsUser"] >= 1000
    assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault"
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert spec.get("automountServiceAccountToken") is False
    res = container["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(res[kind]), res
    env_from = container["envFrom"]
    assert {"name": "keel-secrets"} in [e.get("secretRef") for e in env_from], env_from
    assert {"name": "keel-config"} in [e.get("configMapRef") for e in env_from], env_from


def test_deployment_probes_resources_and_security(k8s):
    deployment = k8s["Deployment/keel"]
    spec, keel = pod_spec_and_container(deployment, "keel")
    assert_hardened(spec, keel)
    port = {p["name"]: p["containerPort"] for p in keel["ports"]}
    assert port == {"http": 8000}
    assert keel["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert keel["readinessProbe"]["httpGet"] == {"path": "/readiness", "port": "http"}
    assert keel["startupProbe"]["httpGet"]["path"] == "/health"
    assert keel["args"] == ["serve"]
    # The read-only root needs writable mounts for exactly what keel writes.
    mounts = {m["mountPath"] for m in keel["volumeMounts"]}
    assert {"/tmp", "/var/lib/keel/uploads"} <= mounts
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["uploads"]["persistentVolumeClaim"]["claimName"] == "keel-uploads"
    assert "PersistentVolumeClaim/keel-uploads" in k8s
    assert k8s["PersistentVolumeClaim/keel-uploads"]["spec"]["accessModes"] == ["ReadWriteMany"]
    # Rollouts never drop below the desired count.
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert deployment["spec"]["replicas"] >= 2


def test_grace_period_covers_keels_drain(k8s):
    spec, keel = pod_spec_and_container(k8s["Deployment/keel"], "keel")
    config = k8s["ConfigMap/keel-config"]["data"]
    pause = int(keel["lifecycle"]["preStop"]["exec"]["command"][1])
    assert spec["terminationGracePeriodSeconds"] > pause + int(config["SHUTDOWN_GRACE_MS"]) / 1000


def test_configmap_holds_no_secret_and_production_settings(k8s):
    config = k8s["ConfigMap/keel-config"]["data"]
    assert all(isinstance(v, str) for v in config.values()), "ConfigMap values must be strings"
    for forbidden in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DATA_ENCRYPTION_KEYS", "METRICS_TOKEN", "SMTP_URL"):
        assert forbidden not in config, f"{forbidden} belongs in the keel-secrets Secret"
    assert config["APP_ENV"] == "production"
    assert config["HOST"] == "0.0.0.0" and config["PORT"] == "8000"
    assert config["TRUSTED_PROXIES"] and config["TRUSTED_HOSTS"] not in ("", "*")


def test_service_pdb_and_hpa_select_the_deployments_pods(k8s):
    labels = k8s["Deployment/keel"]["spec"]["template"]["metadata"]["labels"]
    assert k8s["Deployment/keel"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = k8s["Service/keel"]["spec"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"][0]["targetPort"] == "http"
    pdb = k8s["PodDisruptionBudget/keel"]
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < k8s["HorizontalPodAutoscaler/keel"]["spec"]["minReplicas"]
    hpa = k8s["HorizontalPodAutoscaler/keel"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "keel"}
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


def test_migration_job_runs_migrate_up_with_the_same_image(k8s):
    job = k8s["Job/keel-migrate"]
    spec, migrate = pod_spec_and_container(job, "migrate")
    assert_hardened(spec, migrate)
    assert migrate["args"] == ["migrate", "up"]
    assert spec["restartPolicy"] == "Never"
    _, keel = pod_spec_and_container(k8s["Deployment/keel"], "keel")
    assert migrate["image"] == keel["image"]


def size_bytes(text: str) -> int:
    """size_bytes reads an nginx size ("10502144", "10k", "10m", "1g") as bytes."""
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", text)
    assert m, f"not an nginx size: {text!r}"
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def documented_default(name: str) -> str:
    """documented_default returns the default column of `name` in docs/configuration.md."""
    with open(os.path.join(REPO, "docs", "configuration.md")) as f:
        m = re.search(rf"^\| `{name}` \| `([^`]+)`", f.read(), re.M)
    assert m, f"{name} has no default in docs/configuration.md"
    return m.group(1)


def test_ingress_terminates_tls_for_the_service_with_keels_upload_cap(k8s):
    ingress = k8s["Ingress/keel"]
    spec = ingress["spec"]
    assert spec["ingressClassName"] == "nginx"
    hosts = [h for tls in spec["tls"] for h in tls["hosts"]]
    assert hosts and all(tls["secretName"] for tls in spec["tls"]), spec["tls"]
    assert {rule["host"] for rule in spec["rules"]} <= set(hosts), "every routed host must be covered by TLS"
    config = k8s["ConfigMap/keel-config"]["data"]
    trusted_hosts = config["TRUSTED_HOSTS"].split(",")
    assert set(hosts) <= set(trusted_hosts), f"keel would refuse Host {hosts} (TRUSTED_HOSTS={trusted_hosts})"
    # The backend is the keel Service, by one of its port names or numbers.
    service_ports = k8s["Service/keel"]["spec"]["ports"]
    for rule in spec["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "keel"
            port = backend["port"]
            assert any(port.get("name") == p["name"] or port.get("number") == p["port"] for p in service_ports), port
    # Like deploy/nginx: the proxy lets through what keel accepts (upload + multipart allowance).
    annotations = ingress["metadata"]["annotations"]
    upload_max = int(config.get("UPLOAD_MAX_BYTES", documented_default("UPLOAD_MAX_BYTES")))
    body = size_bytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
    assert body >= upload_max + 16384, f"proxy-body-size {body} < UPLOAD_MAX_BYTES {upload_max} + 16384"
    for timeout in ("proxy-connect-timeout", "proxy-send-timeout", "proxy-read-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{timeout}"]) > 0, timeout
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    # ingress-nginx's pods must be proxies keel trusts, or X-Forwarded-For/-Proto are ignored.
    assert config["TRUSTED_PROXIES"].strip()


def port_matches(rule_port: int | str, container_port: dict) -> bool:
    return rule_port in (container_port["containerPort"], container_port.get("name"))


def test_networkpolicy_admits_only_the_proxy_and_prometheus_and_the_needed_egress(k8s):
    policy = k8s["NetworkPolicy/keel"]["spec"]
    labels = k8s["Deployment/keel"]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    _, keel = pod_spec_and_container(k8s["Deployment/keel"], "keel")
    http = next(p for p in keel["ports"] if p["name"] == "http")
    sources = []
    for rule in policy["ingress"]:
        assert rule["ports"] and all(port_matches(p["port"], http) for p in rule["ports"]), rule
        assert rule.get("from"), "an ingress rule without `from` admits every pod"
        sources += rule["from"]
    namespaces = {s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for s in sources}
    assert namespaces == {"ingress-nginx", "monitoring"}, namespaces
    egress_ports = {(p.get("protocol", "TCP"), p["port"]) for rule in policy["egress"] for p in rule["ports"]}
    assert {("UDP", 53), ("TCP", 53), ("TCP", 5432), ("TCP", 6379)} <= egress_ports, egress_ports
    assert {port for _, port in egress_ports} <= {53, 5432, 6379, 587, 465}, egress_ports
    assert all(rule.get("ports") for rule in policy["egress"]), "every egress rule must name its ports"


# The kinds deploy/k8s uses, with their stable apiVersion.
KNOWN_KINDS = {
    "Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1", "PersistentVolumeClaim": "v1", "Secret": "v1",
    "Job": "batch/v1", "PodDisruptionBudget": "policy/v1", "HorizontalPodAutoscaler": "autoscaling/v2",
    "Ingress": "networking.k8s.io/v1", "NetworkPolicy": "networking.k8s.io/v1",
}
DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")

NAME = {"type": "string", "pattern": DNS_1123_LABEL.pattern, "maxLength": 63}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
PORT_REF = {"anyOf": [PORT, {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 15}]}
PROBE = {"type": "object", "required": ["httpGet"],
         "properties": {"httpGet": {"type": "object", "required": ["path", "port"],
                                    "properties": {"path": {"type": "string", "pattern": "^/"}, "port": PORT_REF}},
                        "periodSeconds": {"type": "integer", "minimum": 1},
                        "failureThreshold": {"type": "integer", "minimum": 1}}}
CONTAINER = {"type": "object", "required": ["name", "image", "resources", "securityContext"],
             "properties": {"name": NAME, "image": {"type": "string", "pattern": r"^[^\s:]+(:[\w.-]+)?$"},
                            "args": {"type": "array", "items": {"type": "string"}},
                            "ports": {"type": "array", "items": {
                                "type": "object", "required": ["containerPort"],
                                "properties": {"containerPort": PORT, "name": PORT_REF,
                                               "protocol": {"enum": ["TCP", "UDP", "SCTP"]}}}},
                            "livenessProbe": PROBE, "readinessProbe": PROBE, "startupProbe": PROBE}}
POD_TEMPLATE = {"type": "object", "required": ["metadata", "spec"],
                "properties": {"spec": {"type": "object", "required": ["containers"],
                                        "properties": {"containers": {"type": "array", "minItems": 1,
                                                                      "items": CONTAINER}}}}}
SCHEMAS = {
    "Deployment": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["selector", "template"],
        "properties": {"replicas": {"type": "integer", "minimum": 1}, "template": POD_TEMPLATE}}}},
    "Job": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["template"], "properties": {"template": POD_TEMPLATE}}}},
    "Service": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["selector", "ports"],
        "properties": {"type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                       "ports": {"type": "array", "minItems": 1, "items": {
                           "type": "object", "required": ["port"],
                           "properties": {"port": PORT, "targetPort": PORT_REF, "name": PORT_REF}}}}}}},
    "ConfigMap": {"type": "object", "required": ["data"], "properties": {"data": {
        "type": "object", "additionalProperties": {"type": "string"}}}},
    "Secret": {"type": "object", "properties": {"stringData": {
        "type": "object", "additionalProperties": {"type": "string"}}}},
    "Ingress": {"type": "object", "required": ["spec"], "properties": {
        "metadata": {"type": "object", "properties": {"annotations": {
            "type": "object", "additionalProperties": {"type": "string"}}}},
        "spec": {"type": "object", "required": ["tls", "rules"], "properties": {
            "tls": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["hosts", "secretName"],
                "properties": {"hosts": {"type": "array", "minItems": 1}, "secretName": NAME}}},
            "rules": {"type": "array", "items": {"type": "object", "required": ["host", "http"], "properties": {
                "http": {"type": "object", "required": ["paths"], "properties": {"paths": {
                    "type": "array", "items": {"type": "object", "required": ["path", "pathType", "backend"],
                                               "properties": {"pathType": {"enum": ["Prefix", "Exact",
                                                                                    "ImplementationSpecific"]}}}}}}}}}}}}},
    "NetworkPolicy": {"type": "object", "required": ["spec"], "properties": {"spec": {
        "type": "object", "required": ["podSelector", "policyTypes"],
        "properties": {"policyTypes": {"type": "array", "items": {"enum": ["Ingress", "Egress"]}},
                       "ingress": {"type": "array", "items": {"type": "object", "properties": {"ports": {
                           "type": "array", "items": {"type": "object", "required": ["port"], "properties": {
                               "port": PORT_REF, "protocol": {"enum": ["TCP", "UDP", "SCTP"]}}}}}}},
                       "egress": {"type": "array", "items": {"type": "object", "properties": {"ports": {
                           "type": "array", "items": {"type": "object", "required": ["port"], "properties": {
                               "port": PORT_REF, "protocol": {"enum": ["TCP", "UDP", "SCTP"]}}}}}}}}}}},
}


def schema_problems(doc: dict) -> list[str]:
    """schema_problems lists what is wrong with one object against the fixed kind table and schemas."""
    kind, name = doc.get("kind"), doc.get("metadata", {}).get("name", "")
    where = f"{kind}/{name}"
    problems = []
    if KNOWN_KINDS.get(kind) != doc.get("apiVersion"):
        problems.append(f"{where}: apiVersion {doc.get('apiVersion')} (expected {KNOWN_KINDS.get(kind, 'a known kind')})")
    if not DNS_1123_LABEL.fullmatch(name):
        problems.append(f"{where}: metadata.name is not a DNS-1123 label")
    labels = doc.get("metadata", {}).get("labels", {})
    if labels.get("app.kubernetes.io/part-of") != "keel" or not labels.get("app.kubernetes.io/name", "").startswith("keel"):
        problems.append(f"{where}: labels {labels} lack app.kubernetes.io/part-of=keel and name=keel*")
    problems += [f"{where}: label {k}={v!r} is not a valid label value"
                 for k, v in labels.items() if not isinstance(v, str) or not LABEL_VALUE.fullmatch(v) or len(v) > 63]
    if "template" in doc.get("spec", {}):
        template_labels = doc["spec"]["template"]["metadata"]["labels"]
        selector = doc["spec"].get("selector", {}).get("matchLabels", {})
        if not selector.items() <= template_labels.items():
            problems.append(f"{where}: selector {selector} does not match the pod template labels {template_labels}")
        if template_labels.get("app.kubernetes.io/name") != labels.get("app.kubernetes.io/name"):
            problems.append(f"{where}: pod template and object disagree on app.kubernetes.io/name")
    if jsonschema is not None and kind in SCHEMAS:
        validator = jsonschema.Draft202012Validator(SCHEMAS[kind])
        problems += [f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                     for e in validator.iter_errors(doc)]
    return problems


def test_schema_check_of_every_rendered_object(rendered):
    kinds = {doc["kind"] for doc in rendered}
    assert kinds == set(KNOWN_KINDS) - {"Secret"}, kinds  # the Secret is never rendered from the repository
    problems = [p for doc in rendered for p in schema_problems(doc)]
    assert not problems, "\n".join(problems)


def test_schema_check_catches_mistakes(k8s):
    # The check itself can fail: a wrong apiVersion, a bad name, a port out of range.
    broken = json.loads(json.dumps(k8s["Deployment/keel"]))
    broken["apiVersion"] = "extensions/v1beta1"
    broken["metadata"]["name"] = "Keel_API"
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 70000
    problems = "\n".join(schema_problems(broken))
    assert "apiVersion extensions/v1beta1" in problems and "DNS-1123" in problems
    if jsonschema is not None:
        assert "70000" in problems, problems


SECRET_EXAMPLE = os.path.join(K8S, "secret.example.yaml")
PLACEHOLDER = re.compile(r"change-me|<[^<>]+>", re.I)


def test_secret_example_is_a_placeholder_template_never_applied():
    docs = load_all(SECRET_EXAMPLE)
    assert len(docs) == 1
    secret = docs[0]
    assert not schema_problems(secret), schema_problems(secret)
    assert secret["metadata"]["name"] == "keel-secrets" and secret["type"] == "Opaque"
    assert "data" not in secret, "base64 data hides what is in it; use stringData placeholders"
    values = secret["stringData"]
    expected = {"SECRET_KEY", "DATABASE_URL", "DATA_ENCRYPTION_KEYS", "REDIS_URL", "SMTP_URL", "METRICS_TOKEN"}
    assert set(values) == expected, sorted(values)
    with open(os.path.join(REPO, "docs", "configuration.md")) as f:
        documented = f.read()
    for name, value in values.items():
        assert f"| `{name}` |" in documented, f"{name} is not a setting in docs/configuration.md"
        assert PLACEHOLDER.search(value), f"{name} holds {value!r}, not a placeholder"
    kustomization = load_all(os.path.join(K8S, "kustomization.yaml"))[0]
    assert "secret.example.yaml" not in kustomization["resources"]


# --------------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_all(os.path.join(DEPLOY, "compose.yaml"))[0]


def test_compose_has_the_four_services_and_a_one_shot_migration(compose):
    services = compose["services"]
    assert set(services) == {"keel", "postgres", "redis", "nginx", "migrate"}
    assert services["migrate"]["command"] == ["migrate", "up"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["image"] == services["keel"]["image"]
    assert services["migrate"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert os.path.isfile(os.path.join(DEPLOY, services["migrate"]["build"]["context"], "deploy", "Dockerfile"))


def test_compose_start_order_follows_health(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "keel", "nginx"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    keel_deps = services["keel"]["depends_on"]
    assert keel_deps["migrate"] == {"condition": "service_completed_successfully"}
    assert keel_deps["postgres"] == {"condition": "service_healthy"}
    assert keel_deps["redis"] == {"condition": "service_healthy"}
    assert services["nginx"]["depends_on"] == {"keel": {"condition": "service_healthy"}}
    assert "/readiness" in " ".join(services["keel"]["healthcheck"]["test"])


SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY|KEYS|DATABASE_URL|REDIS_URL|SMTP_URL")


def test_compose_secrets_come_from_env_files_only(compose):
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        assert isinstance(env, dict), f"{name}: use the mapping form of environment"
        leaked = [k for k in env if SECRET_NAMES.search(k) and not k.startswith("KEEL_TLS_")]
        assert not leaked, f"{name} sets {leaked} in compose.yaml; secrets belong in the env file"
    # Each service reads only its own secrets.
    expected_env_files = {"keel": ["keel.env"], "migrate": ["keel.env"], "postgres": ["postgres.env"],
                          "redis": ["redis.env"]}
    for name, service in compose["services"].items():
        assert service.get("env_file") == expected_env_files.get(name), name
    # The examples exist, and every secret in them is a placeholder.
    for example in ("keel.env.example", "postgres.env.example", "redis.env.example"):
        with open(os.path.join(DEPLOY, example)) as f:
            pairs = dict(line.split("=", 1) for line in f.read().splitlines() if line and not line.startswith("#"))
        for key, value in pairs.items():
            if key in ("SECRET_KEY", "DATA_ENCRYPTION_KEYS", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "METRICS_TOKEN"):
                assert value == "CHANGE_ME", f"{example}: {key} must be a placeholder"
    with open(os.path.join(DEPLOY, "keel.env.example")) as f:
        assert "sslmode=require" in f.read()


def test_compose_volumes_proxy_trust_and_hardening(compose):
    services = compose["services"]
    keel_mounts = {m.split(":")[1]: m.split(":")[0] for m in services["keel"]["volumes"]}
    assert keel_mounts["/var/lib/keel/uploads"] in compose["volumes"]
    assert keel_mounts["/var/lib/keel/data"] in compose["volumes"]
    assert any(m.endswith(":/var/lib/postgresql/data") for m in services["postgres"]["volumes"])
    nginx_ip = services["nginx"]["networks"]["frontend"]["ipv4_address"]
    assert services["keel"]["environment"]["TRUSTED_PROXIES"] == nginx_ip
    assert services["keel"]["read_only"] is True and services["keel"]["cap_drop"] == ["ALL"]
    assert services["keel"]["user"] == "10001:10001"
    assert compose["networks"]["backend"]["internal"] is True
    assert "ports" not in services["keel"] and "ports" not in services["postgres"] and "ports" not in services["redis"]
    nginx_env = services["nginx"]["environment"]
    template = "./nginx/keel.conf.template:/etc/nginx/templates/keel.conf.template:ro"
    assert template in services["nginx"]["volumes"]
    with open(os.path.join(DEPLOY, "nginx", "keel.conf.template")) as f:
        placeholders = set(re.findall(r"\$\{(KEEL_[A-Z_]+)\}", f.read()))
    assert placeholders == {k for k in nginx_env if k.startswith("KEEL_")}


def test_nginx_body_caps_match_keels_limits(compose):
    env = compose["services"]["nginx"]["environment"]
    with open(os.path.join(DEPLOY, "keel.env.example")) as f:
        keel_env = dict(line.split("=", 1) for line in f.read().splitlines() if line and not line.startswith("#"))
    upload_max = int(keel_env.get("UPLOAD_MAX_BYTES", "10485760"))
    assert int(env["KEEL_UPLOAD_BODY_BYTES"]) == upload_max + 16384  # keel's kMultipartOverhead
    assert int(env["KEEL_MAX_BODY_BYTES"]) == int(keel_env.get("MAX_BODY_BYTES", "1048576"))


# --------------------------------------------------------------------------- Dockerfile


def dockerfile_instructions(path: str) -> list[tuple[str, str]]:
    """dockerfile_instructions returns (INSTRUCTION, arguments) with continuation lines joined."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions(os.path.join(DEPLOY, "Dockerfile"))


def stages(instructions: list[tuple[str, str]]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """stages returns (name, FROM image or stage, instructions from FROM on) in file order."""
    starts = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    out = []
    for begin, end in zip(starts, starts[1:] + [len(instructions)]):
        words = [w for w in instructions[begin][1].split() if not w.startswith("--")]
        name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
        out.append((name, words[0], instructions[begin:end]))
    return out


def image_of(instructions: list[tuple[str, str]], target: str | None = None) -> list[tuple[str, str]]:
    """image_of returns what makes up the image of stage `target` (default: the last stage):
    its instructions preceded by those of the stages it is built FROM."""
    all_stages = stages(instructions)
    by_name = {name: (base, body) for name, base, body in all_stages if name}
    base, body = by_name[target] if target else all_stages[-1][1:]
    chain = [body]
    while base in by_name:
        base, parent = by_name[base]
        chain.insert(0, parent)
    return [instruction for stage in chain for instruction in stage]


def test_dockerfile_is_multi_stage_with_a_slim_runtime(dockerfile):
    froms = [rest for word, rest in dockerfile if word == "FROM"]
    assert len(froms) >= 2, froms
    assert re.search(r"\bAS build\b", froms[0], re.I)
    runtime = image_of(dockerfile)
    runtime_text = " ".join(rest for _, rest in runtime)
    assert "COPY" in [w for w, _ in runtime] and "--from=build" in runtime_text
    assert stages(dockerfile)[-1][0] == "runtime", "the full image (binary compiled in `build`) must be the last stage"
    # The compiler and -dev packages stay in the build stage.
    assert not re.search(r"\b(g\+\+|gcc|cmake|ninja-build|build-essential|[a-z0-9.+-]+-dev)\b", runtime_text), runtime_text
    assert "rm -rf /var/lib/apt/lists/*" in runtime_text


def test_dockerfile_runs_as_a_fixed_numeric_non_root_user(dockerfile):
    users = [rest for word, rest in image_of(dockerfile) if word == "USER"]
    assert users, "no USER in the runtime stage"
    m = re.fullmatch(r"(\d+)(?::(\d+))?", users[-1])
    assert m, f"USER {users[-1]!r} is not numeric (Kubernetes runAsNonRoot needs a numeric uid)"
    assert int(m.group(1)) >= 1000 and (m.group(2) is None or int(m.group(2)) != 0)


def test_dockerfile_healthcheck_and_exec_form_entrypoint(dockerfile):
    runtime = dict((w, r) for w, r in image_of(dockerfile))
    health = runtime["HEALTHCHECK"]
    assert "CMD" in health and "/health" in health
    json.loads(health.split("CMD", 1)[1])  # exec form
    assert json.loads(runtime["ENTRYPOINT"]) == ["/usr/local/bin/keel"]
    assert json.loads(runtime["CMD"]) == ["serve"]
    assert runtime.get("STOPSIGNAL", "SIGTERM") == "SIGTERM"


def test_dockerfile_prebuilt_runtime_differs_only_by_the_binary(dockerfile):
    # `make test` checks runtime-prebuilt (its release binary in runtime-base);
    # it stands for the full image only if the two differ in the binary's origin alone.
    def without_binary(target):
        image = image_of(dockerfile, target)
        copies = [rest for word, rest in image if word == "COPY" and rest.endswith(" /usr/local/bin/keel")]
        assert len(copies) == 1, (target, copies)
        return [(w, r) for w, r in image if (w, r) != ("COPY", copies[0])], copies[0]

    full, full_copy = without_binary("runtime")
    prebuilt, prebuilt_copy = without_binary("runtime-prebuilt")
    assert full_copy.startswith("--from=build ") and prebuilt_copy.startswith("--from=prebuilt ")
    strip_from = lambda image: [(w, r) for w, r in image if w != "FROM"]
    assert strip_from(full) == strip_from(prebuilt)
    assert ("HEALTHCHECK" in [w for w, _ in prebuilt]) and ("USER" in [w for w, _ in prebuilt])


def test_dockerfile_bakes_in_no_secret(dockerfile):
    for word, rest in dockerfile:
        if word not in ("ENV", "ARG", "LABEL"):
            continue
        for token in shlex.split(rest):
            name = token.split("=", 1)[0]
            assert not re.search(r"SECRET|PASSWORD|TOKEN|_KEY|KEYS|CREDENTIAL", name, re.I), f"{word} {token}"
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", token), f"{word} {token} holds credentials"
    copies = " ".join(rest for word, rest in dockerfile if word in ("COPY", "ADD"))
    assert not re.search(r"\.env\b|\.pem\b|\.key\b|id_rsa", copies), copies
    assert "ADD" not in [w for w, _ in dockerfile], "use COPY (ADD fetches URLs and unpacks archives)"


def test_dockerignore_admits_only_the_build_inputs():
    with open(os.path.join(REPO, ".dockerignore")) as f:
        rules = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    assert rules[0] == "*", "start from nothing and let the needed paths back in"
    for secret in ("**/.env", "**/*.pem", "**/*.key"):
        assert secret in rules
    admitted = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    # Every path the Dockerfile copies from the context is admitted.
    for word, rest in dockerfile_instructions(os.path.join(DEPLOY, "Dockerfile")):
        if word != "COPY" or rest.startswith("--from"):
            continue
        for source in rest.split()[:-1]:
            source = source.rstrip("/")
            assert any(source == a or source.startswith(a + "/") for a in admitted), f"{source} is excluded"
            assert os.path.exists(os.path.join(REPO, source)), f"{source} does not exist (run scripts/setup)"


# --------------------------------------------------------------------------- systemd


def systemd_analyze(*args: str) -> subprocess.CompletedProcess:
    """systemd_analyze runs `systemd-analyze ARGS UNIT` on a copy of keel.service whose
    ExecStart points at the binary under test (verify checks that it is executable)."""
    assert os.access(KEEL_BINARY, os.X_OK), f"keel binary not found: {KEEL_BINARY}"
    with open(os.path.join(DEPLOY, "systemd", "keel.service")) as f:
        unit = f.read()
    tmp = tempfile.mkdtemp(prefix="keel-unit-")
    try:
        path = os.path.join(tmp, "keel.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/bin/keel", os.path.abspath(KEEL_BINARY)))
        return subprocess.run(["systemd-analyze", *args, path], capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(tmp)


def test_systemd_unit_verifies_cleanly():
    done = systemd_analyze("verify")
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stdout + done.stderr


def test_systemd_unit_is_hardened_and_drains_gracefully():
    with open(os.path.join(DEPLOY, "systemd", "keel.service")) as f:
        lines = [l.strip() for l in f if "=" in l and not l.lstrip().startswith("#")]
    settings: dict[str, list[str]] = {}
    for line in lines:
        key, _, value = line.partition("=")
        settings.setdefault(key, []).append(value)
    expected = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                "PrivateDevices": "yes", "RestrictSUIDSGID": "yes", "MemoryDenyWriteExecute": "yes",
                "CapabilityBoundingSet": "", "User": "keel", "KillSignal": "SIGTERM",
                "RestartPreventExitStatus": "78", "ExecStart": "/usr/local/bin/keel serve",
                "ExecStartPre": "/usr/local/bin/keel migrate up", "StateDirectory": "keel"}
    for key, value in expected.items():
        assert settings.get(key) == [value], f"{key}={settings.get(key)} (expected {value!r})"
    assert "@system-service" in settings["SystemCallFilter"]
    assert int(settings["TimeoutStopSec"][0]) > 10  # > SHUTDOWN_GRACE_MS default (10 s)


# Measured 1.1 ("OK") with systemd 252 on Debian 12; the margin absorbs scoring
# changes between systemd versions, not a dropped hardening option (each is worth >= 0.1–0.5).
EXPOSURE_THRESHOLD = 1.5


def test_systemd_unit_exposure_level_stays_low():
    done = systemd_analyze("security", "--offline=true", "--no-pager")
    m = re.search(r"Overall exposure level for keel\.service: (\d+(?:\.\d+)?) (\w+)", done.stdout)
    assert done.returncode == 0 and m, done.stdout + done.stderr
    score, band = float(m.group(1)), m.group(2)
    print(f"systemd-analyze security exposure: {score} {band}")
    assert score <= EXPOSURE_THRESHOLD, f"exposure {score} {band} > {EXPOSURE_THRESHOLD}:\n{done.stdout}"
    # The settings keel cannot take (it needs the network), not forgotten ones, are what remains.
    exposed = {line.split()[1].split("=")[0] for line in done.stdout.splitlines() if line.startswith("✗")}
    assert exposed <= {"RootDirectory", "RestrictAddressFamilies", "ProcSubset", "PrivateNetwork", "DeviceAllow",
                       "IPAddressDeny", "UMask"}, exposed
