"""dialcrm's ARI subset (ari_subset.json, which drives the fake Asterisk) held against Asterisk's
published ARI contract: every operation, parameter, error status and model field it describes
must be Asterisk's, with the same type and required-ness, and nothing Asterisk requires may be
missing from it. The contract is the Swagger 1.1 JSON of Asterisk's `rest-api/api-docs/`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.telephony.fake_ari import AriSubset, Operation

REPOSITORY = Path(__file__).resolve().parents[2]
CONTRACT_DIR = Path(
    os.environ.get("ARI_CONTRACT_DIR") or REPOSITORY.parent / "shared/reference/asterisk-ari"
)


@dataclass(frozen=True)
class PublishedContract:
    """The contract as its files give it, read only as far as the comparison needs."""

    operations: dict[str, dict[str, Any]]  # "METHOD /path" -> the operation
    models: dict[str, dict[str, Any]]
    parents: dict[str, str]  # model -> the model it extends

    @classmethod
    def load(cls, directory: Path) -> PublishedContract:
        operations: dict[str, dict[str, Any]] = {}
        models: dict[str, dict[str, Any]] = {}
        for file in sorted(directory.glob("*.json")):
            document = json.loads(file.read_text())
            models.update(document.get("models", {}))
            for api in document.get("apis", []):
                for operation in api.get("operations", []):
                    operations[f"{operation['httpMethod']} {api['path']}"] = operation
        if not operations:
            raise FileNotFoundError(f"no ARI operations in {directory}/*.json")
        parents = {
            child: name for name, model in models.items() for child in model.get("subTypes", [])
        }
        return cls(operations, models, parents)

    def properties(self, model: str) -> dict[str, dict[str, Any]]:
        """A model's properties with those of the models it extends."""
        chain = [model]
        while chain[-1] in self.parents:
            chain.append(self.parents[chain[-1]])
        merged: dict[str, dict[str, Any]] = {}
        for name in reversed(chain):
            merged.update(self.models[name].get("properties", {}))
        return merged


def _allowed(spec: dict[str, Any]) -> set[str] | None:
    values = (spec.get("allowableValues") or {}).get("values")
    return set(values) if values else None


def _extra_values(ours: tuple[str, ...] | None, theirs: set[str] | None) -> list[str]:
    """Our allowed values that Asterisk's contract does not list; all of them when it lists none,
    since the subset may narrow Asterisk's list but not invent one."""
    if ours is None:
        return []
    return [value for value in ours if theirs is None or value not in theirs]


def _operation_differences(ours: Operation, theirs: dict[str, Any]) -> list[str]:
    where = f"{ours.method} {ours.path}"
    found: list[str] = []
    if ours.answer != theirs.get("responseClass", "void"):
        found.append(f"{where}: answers {ours.answer}, Asterisk {theirs.get('responseClass')}")
    if ours.is_websocket != (theirs.get("upgrade") == "websocket"):
        found.append(f"{where}: WebSocket or not, the subset and Asterisk disagree")
    parameters = {item["name"]: item for item in theirs.get("parameters", [])}
    for name, parameter in ours.parameters.items():
        spec = parameters.get(name)
        if spec is None:
            found.append(f"{where}: Asterisk has no parameter {name!r}")
            continue
        is_required = bool(spec.get("required")) or spec["paramType"] == "path"
        pairs = [
            ("in", parameter.location, spec["paramType"]),
            ("type", parameter.data_type, spec["dataType"]),
            ("required", parameter.is_required, is_required),
            ("multiple", parameter.is_multiple, bool(spec.get("allowMultiple"))),
        ]
        found += [
            f"{where} {name}: {key} is {mine!r} here, {published!r} in Asterisk's contract"
            for key, mine, published in pairs
            if mine != published
        ]
        extra = _extra_values(parameter.allowed, _allowed(spec))
        if extra:
            found.append(f"{where} {name}: Asterisk does not allow {extra}")
    found += [
        f"{where}: Asterisk requires {name!r}, which the subset does not describe"
        for name, spec in parameters.items()
        if (spec.get("required") or spec["paramType"] == "path") and name not in ours.parameters
    ]
    statuses = {int(error["code"]) for error in theirs.get("errorResponses", [])}
    found += [
        f"{where}: Asterisk's contract lists no status {status} (it lists {sorted(statuses)})"
        for status in ours.errors
        if status not in statuses
    ]
    return found


def _model_differences(subset: AriSubset, contract: PublishedContract, name: str) -> list[str]:
    if name not in contract.models:
        return [f"model {name}: Asterisk has no such model"]
    found: list[str] = []
    if subset.models[name].parent != contract.parents.get(name):
        found.append(
            f"model {name}: extends {subset.models[name].parent} here, "
            f"{contract.parents.get(name)} in Asterisk's contract"
        )
    theirs = contract.properties(name)
    ours = subset.fields(name)
    for field_name, field in ours.items():
        spec = theirs.get(field_name)
        if spec is None:
            found.append(f"{name}.{field_name}: Asterisk has no such field")
            continue
        if field.data_type != spec["type"]:
            found.append(
                f"{name}.{field_name}: {field.data_type} here, {spec['type']} in Asterisk's"
            )
        if field.is_required != bool(spec.get("required")):
            found.append(f"{name}.{field_name}: required or not, the subset and Asterisk disagree")
        extra = _extra_values(field.allowed, _allowed(spec))
        if extra:
            found.append(f"{name}.{field_name}: Asterisk does not allow {extra}")
    found += [
        f"{name}: Asterisk requires {field_name!r}, which the subset does not describe"
        for field_name, spec in theirs.items()
        if spec.get("required") and field_name not in ours
    ]
    return found


@pytest.mark.skipif(
    not CONTRACT_DIR.is_dir(),
    reason=f"the published ARI contract is not at {CONTRACT_DIR}: set ARI_CONTRACT_DIR",
)
def test_the_subset_says_what_asterisks_published_contract_says() -> None:
    subset = AriSubset()
    contract = PublishedContract.load(CONTRACT_DIR)

    found: list[str] = []
    for operation in subset.operations:
        theirs = contract.operations.get(f"{operation.method} {operation.path}")
        if theirs is None:
            found.append(f"{operation.method} {operation.path}: not in Asterisk's contract")
        else:
            found += _operation_differences(operation, theirs)
    for name in subset.models:
        found += _model_differences(subset, contract, name)

    assert found == []
