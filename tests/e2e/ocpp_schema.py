"""The OCPP JSON schemas and schema-derived test vectors, for checking the node's answers.

check(schema, value) implements the subset of JSON schema the OCPP schemas use: type, required,
properties, additionalProperties, enum, minLength/maxLength, minimum/maximum, items,
minItems/maxItems, $ref to #/definitions, format date-time. It returns a list of
"<pointer>: <problem>" strings, empty when the value is valid.
"""

import functools
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

VERSION_DIRS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
VECTOR_FILES = {"ocpp1.6": "vectors_16.json", "ocpp2.0.1": "vectors_201.json"}

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def _escape(key):
    return str(key).replace("~", "~0").replace("/", "~1")


def check(schema, value, root=None, pointer=""):
    root = schema if root is None else root
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"unsupported $ref {ref}")
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        return check(target, value, root, pointer)
    where = pointer or "/"
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_TYPES[name](value) for name in names):
            return [f"{where}: expected {types}, got {json.dumps(value)[:60]}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in enum {schema['enum']}")
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: longer than maxLength {schema['maxLength']}")
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: shorter than minLength {schema['minLength']}")
        if schema.get("format") == "date-time" and not _DATE_TIME.match(value):
            errors.append(f"{where}: {value!r} is not an RFC 3339 date-time")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: {value} below minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: {value} above maximum {schema['maximum']}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{where}: fewer than minItems {schema['minItems']}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{where}: more than maxItems {schema['maxItems']}")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                errors += check(schema["items"], item, root, f"{pointer}/{i}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{pointer}/{_escape(name)}: required property missing")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                errors += check(props[name], item, root, f"{pointer}/{_escape(name)}")
            elif extra is False:
                errors.append(f"{pointer}/{_escape(name)}: property not allowed")
            elif isinstance(extra, dict):
                errors += check(extra, item, root, f"{pointer}/{_escape(name)}")
    return errors


def schemas_dir():
    return os.environ.get("EVBROKER_SCHEMAS_DIR") or os.path.join(REPO, "schemas")


@functools.lru_cache(maxsize=None)
def load_schema(protocol, name):
    """The schema `<name>.json` (e.g. "BootNotificationResponse") of protocol "ocpp1.6"/"ocpp2.0.1"."""
    path = os.path.join(schemas_dir(), VERSION_DIRS[protocol], name + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def response_errors(protocol, action, payload):
    return check(load_schema(protocol, action + "Response"), payload)


def request_errors(protocol, action, payload):
    return check(load_schema(protocol, action + "Request"), payload)


@functools.lru_cache(maxsize=None)
def load_vectors(protocol):
    """The schema-derived cases for protocol; generated into a temp dir when the build gave none."""
    directory = os.environ.get("EVBROKER_VECTORS_DIR")
    name = VECTOR_FILES[protocol]
    path = os.path.join(directory, name) if directory else None
    if not path or not os.path.exists(path):
        out_dir = os.path.join(tempfile.gettempdir(), f"evbroker-e2e-vectors-{os.getuid()}")
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, name)
        if not os.path.exists(path):
            version = VERSION_DIRS[protocol]
            subprocess.run([sys.executable, os.path.join(REPO, "tools", "ocpp_codegen", "make_test_vectors.py"),
                            "--schemas", os.path.join(schemas_dir(), version), "--version", version,
                            "--out", path], check=True)
    with open(path, encoding="utf-8") as f:
        return json.load(f)["cases"]


def vectors(protocol, action, kind="request", valid=True):
    """Cases of `action`: valid ones (expect "ok") or the invalid ones (expect {errc, pointer, ocpp})."""
    return [c for c in load_vectors(protocol)
            if c["action"] == action and c["kind"] == kind and (c["expect"] == "ok") == valid]


def valid_request(protocol, action, name="minimal"):
    for case in vectors(protocol, action):
        if case["name"] == name:
            return case["payload"]
    raise KeyError(f"no {name} vector for {protocol} {action}")
