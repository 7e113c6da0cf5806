"""deploy/helm/values.yaml against the Dagster chart's values schema (tests/data/helm/, its source and
version in its header): every key path the file sets exists in the chart with a type that agrees, and
the settings the Kubernetes route relies on are there (README "Run it on a cluster")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VALUES = ROOT / "deploy" / "helm" / "values.yaml"
SCHEMA = ROOT / "tests" / "data" / "helm" / "dagster-chart-schema-subset.yaml"


def _split_union(t: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in t:
        depth += ch == "[" and 1 or ch == "]" and -1 or 0
        if ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def check(value, t: str, models: dict, path: str) -> list[str]:
    """Where ``value`` disagrees with type ``t`` (the grammar in the schema file's header)."""
    t = t.strip()
    if t.endswith("?"):
        return [] if value is None else check(value, t[:-1], models, path)
    if "|" in t:
        errors = [check(value, alt, models, path) for alt in _split_union(t)]
        return [] if any(not e for e in errors) else [f"{path}: not {t} ({min(errors, key=len)[0]})"]
    if t in models:
        if not isinstance(value, dict):
            return [f"{path}: {t} must be a mapping, got {type(value).__name__}"]
        errors = []
        for key, sub in value.items():
            if key not in models[t]:
                errors.append(f"{path}.{key}: no such key in the chart's {t} (keys: {', '.join(models[t])})")
            else:
                errors += check(sub, models[t][key], models, f"{path}.{key}")
        return errors
    if t.startswith("list[") and t.endswith("]"):
        if not isinstance(value, list):
            return [f"{path}: must be a list, got {type(value).__name__}"]
        return [e for i, item in enumerate(value) for e in check(item, t[5:-1], models, f"{path}[{i}]")]
    if t.startswith("enum["):
        choices = t[5:-1].split(",")
        return [] if value in choices else [f"{path}: {value!r} is not one of {choices}"]
    simple = {"str": str, "int": int, "bool": bool, "map": dict, "list": list, "k8s": dict}
    if t not in simple:
        raise ValueError(f"schema type {t!r} at {path} is not in the grammar")
    ok = isinstance(value, simple[t]) and not (t == "int" and isinstance(value, bool))
    return [] if ok else [f"{path}: must be {t}, got {type(value).__name__} {value!r}"]


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(SCHEMA.read_text())


def test_schema_subset_names_its_source_version_and_license():
    header = SCHEMA.read_text().split("root:")[0]
    assert "https://github.com/dagster-io/dagster" in header and "1.13.27" in header and "Apache-2.0" in header


def test_every_key_path_exists_in_the_chart_with_its_type(values, schema):
    assert check(values, schema["root"], schema["models"], "values") == []


def test_the_checker_refuses_what_the_chart_would_not_take(schema):
    models = schema["models"]
    wrong = {"runLauncher": {"type": "K8sRunLauncher", "config": {"k8sRunLauncher": {"envSecret": [{"name": "x"}]}}},
             "postgresql": {"service": {"port": "5432"}},
             "concurrency": {"pools": {"granularity": "step"}}}
    errors = check(wrong, schema["root"], models, "values")
    assert any("envSecret: no such key" in e for e in errors), errors
    assert any("service.port: must be int" in e for e in errors), errors
    assert any("granularity: 'step' is not one of" in e for e in errors), errors


def _mounts_studio(spec: dict) -> str:
    """The mount path of the shared studio claim in a pod spec's volumes/volumeMounts."""
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"] if "persistentVolumeClaim" in v}
    mounts = {m["name"]: m["mountPath"] for m in spec["volumeMounts"]}
    studio = [mounts[n] for n, claim in claims.items() if claim == "filmaster-studio" and n in mounts]
    assert len(studio) == 1, (claims, mounts)
    return studio[0]


def test_the_route_code_location_runs_postgres_env_and_shared_studio(values):
    pvc = yaml.safe_load((ROOT / "deploy" / "helm" / "studio-pvc.yaml").read_text())
    assert pvc["metadata"]["name"] == "filmaster-studio" and pvc["spec"]["accessModes"] == ["ReadWriteMany"]

    (code,) = values["dagster-user-deployments"]["deployments"]
    assert code["name"] == "filmaster" and code["dagsterApiGrpcArgs"] == ["-m", "filmaster_assets.definitions"]
    import importlib

    assert importlib.import_module("filmaster_assets.definitions").defs is not None  # the module the image serves
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    runs = launcher["config"]["k8sRunLauncher"]
    # the studio at the same path, and FILMASTER_HOME pointing at it, in the code location and every run pod
    assert _mounts_studio(code) == code["env"]["FILMASTER_HOME"] == "/studio"
    assert _mounts_studio(runs) == "/studio" and "FILMASTER_HOME=/studio" in runs["envVars"]
    # the FILMASTER_* settings from one secret, in both
    assert {"name": "filmaster-env"} in code["envSecrets"] and {"name": "filmaster-env"} in runs["envSecrets"]
    assert code["includeConfigInLaunchedRuns"] == {"enabled": False}  # run pods get the launcher's copy only

    pg = values["postgresql"]
    assert pg["enabled"] is False and pg["postgresqlHost"] and pg["postgresqlDatabase"] and pg["service"]["port"] == 5432
    assert "postgresqlPassword" not in pg  # the password only from the secret
    assert values["generatePostgresqlPasswordSecret"] is False and values["global"]["postgresqlSecretName"]

    assert values["dagsterDaemon"]["runCoordinator"] == {"enabled": True, "type": "QueuedRunCoordinator"}
    assert values["concurrency"]["enabled"] is True and values["concurrency"]["pools"]["granularity"] == "op"


def test_no_secret_value_in_the_values_file():
    text = VALUES.read_text()
    assert not re.search(r"(?i)(api_key|password|secret_key|token)\s*[:=]\s*\S", text.replace("postgresqlSecretName", ""))
    assert "FILMASTER_HOME=/studio" in text and not re.search(r"FILMASTER_\w+_API_KEY\s*[:=]", text)
