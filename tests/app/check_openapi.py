#!/usr/bin/env python3
"""Checks that docs/openapi.json describes the API that docs/api.md specifies.

- every "`METHOD /path`" that docs/api.md mentions (table rows and text) is an operation in openapi.json,
  and every operation in openapi.json is mentioned in docs/api.md (neither document drifts alone);
- every {parameter} of a path is declared as a path parameter, and every $ref resolves;
- every operation has responses, and security is declared.

Python 3 standard library only. Exit status 0 when everything matches, 1 with a list of problems otherwise.
"""

import argparse
import json
import re
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# "`GET /api/v0/cs/{csId}`", "`POST /api/v0/token`", "`GET /api/v0/token?offset=0&limit=20`"
MENTION = re.compile(r"`(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS) (/[^`\s]*)`")
TABLE_ROW = re.compile(r"^\s*\|")


def mentioned_operations(markdown):
    """(method, path) pairs named in the markdown, with the query string dropped; and how many sit in table rows."""
    operations = set()
    in_tables = 0
    for line in markdown.splitlines():
        for method, target in MENTION.findall(line):
            operations.add((method.lower(), target.split("?", 1)[0]))
            if TABLE_ROW.match(line):
                in_tables += 1
    return operations, in_tables


def resolve(document, ref):
    if not ref.startswith("#/"):
        raise KeyError(ref)
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


def declared_path_parameters(document, parameters):
    names = set()
    for parameter in parameters or []:
        if "$ref" in parameter:
            parameter = resolve(document, parameter["$ref"])
        if parameter.get("in") == "path":
            names.add(parameter["name"])
    return names


def check(markdown, document):
    problems = []
    if not str(document.get("openapi", "")).startswith("3.0"):
        problems.append(f"openapi.json: 'openapi' is {document.get('openapi')!r}, expected 3.0.x")

    documented, in_tables = mentioned_operations(markdown)
    if in_tables == 0:
        problems.append("api.md: no `METHOD /path` found in any table row (has the format changed?)")

    described = set()
    paths = document.get("paths", {})
    for path, item in paths.items():
        for method in METHODS:
            if method in item:
                described.add((method, path))

    for method, path in sorted(documented - described, key=lambda op: (op[1], op[0])):
        problems.append(f"{method.upper()} {path}: in api.md, missing from openapi.json")
    for method, path in sorted(described - documented, key=lambda op: (op[1], op[0])):
        problems.append(f"{method.upper()} {path}: in openapi.json, not mentioned in api.md")

    for ref in sorted(set(all_refs(document))):
        try:
            resolve(document, ref)
        except (KeyError, TypeError):
            problems.append(f"openapi.json: $ref {ref} does not resolve")

    for path, item in paths.items():
        in_template = set(re.findall(r"\{([^}]+)\}", path))
        path_level = declared_path_parameters(document, item.get("parameters"))
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            where = f"{method.upper()} {path}"
            try:
                declared = path_level | declared_path_parameters(document, operation.get("parameters"))
            except (KeyError, TypeError):
                continue  # reported above as an unresolved $ref
            for name in sorted(in_template - declared):
                problems.append(f"{where}: path parameter {{{name}}} is not declared")
            for name in sorted(declared - in_template):
                problems.append(f"{where}: declares path parameter {name!r} that the path does not have")
            if not operation.get("responses"):
                problems.append(f"{where}: no responses")
            if "security" not in operation and "security" not in document:
                problems.append(f"{where}: no security requirement (neither its own nor a global one)")

    if "bearerAuth" not in document.get("components", {}).get("securitySchemes", {}):
        problems.append("openapi.json: components.securitySchemes.bearerAuth is missing")
    return problems, len(documented)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-doc", default="docs/api.md")
    parser.add_argument("--openapi", default="docs/openapi.json")
    args = parser.parse_args()

    with open(args.api_doc, encoding="utf-8") as f:
        markdown = f.read()
    try:
        with open(args.openapi, encoding="utf-8") as f:
            document = json.load(f)
    except json.JSONDecodeError as error:
        print(f"{args.openapi}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}", file=sys.stderr)
        return 1

    problems, count = check(markdown, document)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"openapi.json describes all {count} operations of api.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
