#!/usr/bin/python3
"""Validates gpuplan's --json documents against schemas/*.schema.json (JSON Schema draft 2020-12).

Usage: check_schemas.py <gpuplan binary> <source dir>

Reads every tests/schema_cases*.txt. One case per line:
    <schema> | <gpuplan arguments> [| exit=<n>]
<schema> names schemas/<schema>.schema.json; the expected exit status is 2 for `error`, else 0,
unless `exit=<n>` says otherwise. Blank lines and lines starting with # are skipped.
Fails when a document does not validate, when a case names a missing schema, or when a schema
file has no case. $ref to common.schema.json resolves from the local files, never the network.
"""
import glob
import json
import os
import shlex
import subprocess
import sys

import jsonschema


def load_schemas(schema_dir):
    schemas = {}
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.schema.json"))):
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        schemas[os.path.basename(path)[: -len(".schema.json")]] = schema
    return schemas


def make_validator(schema, schemas):
    store = {s["$id"]: s for s in schemas.values() if "$id" in s}
    try:  # jsonschema >= 4.18 resolves through `referencing`
        from referencing import Registry, Resource

        registry = Registry().with_resources((uri, Resource.from_contents(s)) for uri, s in store.items())
        return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12 ships 4.10: RefResolver with a local store
        resolver = jsonschema.RefResolver.from_schema(schema, store=store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def read_cases(source_dir):
    cases = []
    for path in sorted(glob.glob(os.path.join(source_dir, "tests", "schema_cases*.txt"))):
        with open(path, encoding="utf-8") as f:
            for number, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                parts = [p.strip() for p in line.split("|")]
                where = f"{os.path.basename(path)}:{number}"
                if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
                    sys.exit(f"{where}: expected '<schema> | <gpuplan args> [| exit=<n>]', got: {line}")
                expected = 2 if parts[0] == "error" else 0
                if len(parts) == 3:
                    if not parts[2].startswith("exit=") or not parts[2][5:].isdigit():
                        sys.exit(f"{where}: the third field must be exit=<n>, got: {parts[2]}")
                    expected = int(parts[2][5:])
                cases.append((where, parts[0], parts[1], expected))
    return cases


def run_case(binary, source_dir, validator, case):
    where, _, args, expected = case
    run = subprocess.run([binary] + shlex.split(args), cwd=source_dir, capture_output=True, text=True, timeout=120)
    problems = []
    if run.returncode != expected:
        problems.append(f"exit status {run.returncode}, expected {expected}; stderr: {run.stderr.strip()[:300]}")
    try:
        doc = json.loads(run.stdout)
    except json.JSONDecodeError as e:
        return problems + [f"stdout is not one JSON document ({e}): {run.stdout[:200]!r}"]
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors[:5]:
        while err.context:  # oneOf / anyOf: name the branch that came closest, not the whole object
            err = jsonschema.exceptions.best_match(err.context)
        path = "/".join(str(p) for p in err.absolute_path) or "(top)"
        problems.append(f"at {path}: {err.message[:300]}")
    if len(errors) > 5:
        problems.append(f"... and {len(errors) - 5} more")
    return problems


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_schemas.py <gpuplan binary> <source dir>")
    binary, source_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(binary, os.X_OK):
        sys.exit(f"check_schemas: {binary} is not an executable gpuplan binary")
    schemas = load_schemas(os.path.join(source_dir, "schemas"))
    cases = read_cases(source_dir)
    failures = []
    used = {"common"}
    for case in cases:
        where, name, args, _ = case
        if name not in schemas:
            failures.append(f"{where}: no schema file schemas/{name}.schema.json")
            continue
        used.add(name)
        for p in run_case(binary, source_dir, make_validator(schemas[name], schemas), case):
            failures.append(f"{where}: gpuplan {args}\n    {p}")
    for name in sorted(set(schemas) - used):
        failures.append(f"schemas/{name}.schema.json has no case in tests/schema_cases*.txt")
    for f in failures:
        print("FAIL " + f)
    print(f"{len(cases)} cases, {len(schemas)} schemas, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
