#!/usr/bin/env python3
"""Derives test payloads from the OCPP schemas, for tests/protocol/vectors_test.cpp.

For every request and response of every action it writes:
  - valid instances: "minimal" (required properties only), "full" (every optional property, strings
    at their maxLength with characters that need escaping and multi-byte UTF-8, numbers at their
    bounds, open objects with extra members) and "enum-N" variants so every enum value is used once;
  - one invalid instance per constraint occurrence reachable from the full instance (each required
    property removed, an unknown property added, each value of the wrong JSON type, each maxLength,
    minimum, maximum, multipleOf, minItems, maxItems, enum, date-time and URI violated), each with the
    exact error kind, JSON pointer and OCPP error code the decoder must report.

The expected OCPP error codes are stated here, independently of protocol/error_codes.cpp, so the
test checks the C++ mapping against a second statement of it.

Usage: make_test_vectors.py --schemas schemas/2.0.1 --version 2.0.1 --out vectors_201.json
"""

from __future__ import annotations

import argparse
import copy
import json
import sys

import schema_model as sm

# error kind -> (OCPP 1.6 code, OCPP 2.0.1/2.1 code)
OCPP_CODE = {
    "wrong_type": ("TypeConstraintViolation", "TypeConstraintViolation"),
    "integer_out_of_range": ("TypeConstraintViolation", "TypeConstraintViolation"),
    "missing_property": ("OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
    "too_few_items": ("OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
    "too_many_items": ("OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
    "unknown_property": ("FormationViolation", "FormatViolation"),
    "invalid_enum_value": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "string_too_long": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "below_minimum": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "above_maximum": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "not_multiple_of": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "invalid_date_time": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
    "invalid_uri": ("PropertyConstraintViolation", "PropertyConstraintViolation"),
}

# Characters that exercise the encoder's escaping and the decoder's code-point counting.
TEXT_ALPHABET = ['a', 'é', '"', '\\', '\n', '€', '\t', 'Z', '😀', '/', '\u0001']


def text_of_length(n: int) -> str:
    return "".join(TEXT_ALPHABET[i % len(TEXT_ALPHABET)] for i in range(n))


def pointer_join(base: str, key) -> str:
    k = str(key).replace("~", "~0").replace("/", "~1")
    return f"{base}/{k}"


class Builder:
    def __init__(self, model: sm.Model):
        self.model = model

    # ---- valid instances ----------------------------------------------------------------------------

    def value(self, t: sm.TypeRef, mode: str, enum_pick: int = -1, top: bool = False):
        """mode: minimal (required properties only) | full (everything, at its bounds) | enums (everything,
        short strings). enum_pick >= 0 selects enum value (pick mod count). `top`: a property of the
        message itself."""
        if isinstance(t, sm.StructRef):
            return self.struct(self.model.structs[t.name], mode, enum_pick, top)
        if isinstance(t, sm.EnumRef):
            values = self.model.enums[t.name].values
            if enum_pick >= 0:
                return values[enum_pick % len(values)]
            return values[0] if mode == "minimal" else values[-1]
        if isinstance(t, sm.Array):
            # Full instances hold two items (to exercise separators) only at the top: nested arrays of
            # two would double the payload at every level.
            wanted = 0 if mode == "minimal" else (2 if top and mode == "full" else 1)
            count = max(t.min_items or 0, wanted)
            if t.max_items is not None:
                count = min(count, t.max_items)
            return [self.value(t.item, mode, enum_pick + i if enum_pick >= 0 else -1) for i in range(count)]
        return self.scalar(t, mode)

    def scalar(self, t: sm.Scalar, mode: str):
        k = t.kind
        if k == "string":
            if mode != "full":
                return "A1"
            return text_of_length(t.max_length if t.max_length else 40)
        if k == "uri":
            return "https://example.com/files/fw-1.2.bin"
        if k == "date_time":
            return "2024-05-01T12:34:56.000Z" if mode == "minimal" else "2024-05-01T12:34:56.789Z"
        if k == "boolean":
            return mode != "minimal"
        if k == "any":
            return "text" if mode == "minimal" else {"k": [1, 2.5, "s", True, None], "n": {}}
        if k == "integer":
            # Full instances sit on the bounds; the others at the low end; both inside them.
            if mode == "full":
                if t.maximum is not None:
                    return int(t.maximum)
                return int(t.minimum) + 7 if t.minimum is not None else 123456789012  # beyond 32 bits
            if t.minimum is not None:
                return int(t.minimum)
            return min(0, int(t.maximum)) if t.maximum is not None else 0
        if k == "number":
            if mode == "full":
                if t.maximum is not None:
                    return float(t.maximum)
                return float(t.minimum) + 12.5 if t.minimum is not None else 12.5
            if t.minimum is not None:
                return float(t.minimum)
            return min(0.5, float(t.maximum)) if t.maximum is not None else 0.5
        raise AssertionError(k)

    def struct(self, s: sm.Struct, mode: str, enum_pick: int = -1, top: bool = False) -> dict:
        obj = {}
        for p in s.properties:
            if p.required or mode != "minimal":
                obj[p.name] = self.value(p.type, mode, enum_pick, top=False) if not top else \
                    self.value(p.type, mode, enum_pick, top=isinstance(p.type, sm.Array))
        if s.open and mode == "full":
            obj["vendorExtension"] = {"list": [1, "two", None], "escaped\"key": True}
        return obj

    def enum_span(self, t: sm.TypeRef, seen: set) -> int:
        """The largest enum reachable from t (how many enum-N variants cover every value)."""
        if isinstance(t, sm.EnumRef):
            return len(self.model.enums[t.name].values)
        if isinstance(t, sm.Array):
            return self.enum_span(t.item, seen)
        if isinstance(t, sm.StructRef):
            if t.name in seen:
                return 0
            seen.add(t.name)
            return max((self.enum_span(p.type, seen) for p in self.model.structs[t.name].properties), default=0)
        return 0

    # ---- invalid instances --------------------------------------------------------------------------

    def mutations(self, t: sm.TypeRef, pointer: str):
        """Yields (invalid value, errc, pointer) for every constraint of `t` and of everything below it.
        Each invalid value is minimal except on the path to the one violation, so payloads stay small
        and the violation is the only one."""
        if isinstance(t, sm.StructRef):
            s = self.model.structs[t.name]
            base = self.struct(s, "minimal")
            yield [], "wrong_type", pointer
            for p in s.properties:
                if p.required:
                    yield ({k: v for k, v in base.items() if k != p.name}, "missing_property",
                           pointer_join(pointer, p.name))
            if not s.open:
                yield dict(base, unexpectedProperty=1), "unknown_property", pointer_join(pointer, "unexpectedProperty")
            for p in s.properties:
                for sub, errc, ptr in self.mutations(p.type, pointer_join(pointer, p.name)):
                    yield dict(base, **{p.name: sub}), errc, ptr
            return
        if isinstance(t, sm.Array):
            item = self.value(t.item, "minimal")
            yield {}, "wrong_type", pointer
            if t.min_items:
                yield [], "too_few_items", pointer
            if t.max_items is not None:
                yield [copy.deepcopy(item) for _ in range(t.max_items + 1)], "too_many_items", pointer
            padding = [copy.deepcopy(item) for _ in range(max((t.min_items or 0) - 1, 0))]
            for sub, errc, ptr in self.mutations(t.item, pointer_join(pointer, 0)):
                yield [sub] + padding, errc, ptr
            return
        if isinstance(t, sm.EnumRef):
            yield 5, "wrong_type", pointer
            yield "NotAValidValue", "invalid_enum_value", pointer
            return
        k = t.kind
        if k in ("string", "uri", "date_time"):
            yield 42, "wrong_type", pointer
            if t.max_length:
                yield "x" * (t.max_length + 1), "string_too_long", pointer
            if k == "uri":
                yield "not a uri", "invalid_uri", pointer
            if k == "date_time":
                yield "2024-13-01T00:00:00Z", "invalid_date_time", pointer
                yield "2024-05-01T12:34:56", "invalid_date_time", pointer  # no offset
                yield "yesterday", "invalid_date_time", pointer
        elif k == "boolean":
            yield "true", "wrong_type", pointer
        elif k == "integer":
            yield "1", "wrong_type", pointer
            yield 1.5, "wrong_type", pointer
            yield 1e30, "integer_out_of_range", pointer
            if t.minimum is not None:
                yield int(t.minimum) - 1, "below_minimum", pointer
            if t.maximum is not None:
                yield int(t.maximum) + 1, "above_maximum", pointer
        elif k == "number":
            yield "1", "wrong_type", pointer
            if t.minimum is not None:
                yield float(t.minimum) - 0.5, "below_minimum", pointer
            if t.maximum is not None:
                yield float(t.maximum) + 0.5, "above_maximum", pointer
            if t.multiple_of is not None:
                yield t.multiple_of * 1.5, "not_multiple_of", pointer


def build_cases(model: sm.Model) -> list[dict]:
    b = Builder(model)
    v16 = model.version == "1.6"
    cases = []
    for action in model.actions:
        for kind, struct_name in (("request", action.request), ("response", action.response)):
            if struct_name is None:
                continue
            ref = sm.StructRef(struct_name)
            valid = [("minimal", b.value(ref, "minimal")), ("full", b.value(ref, "full", top=True))]
            for n in range(b.enum_span(ref, set())):
                # Every optional property present, but short strings: these cover enum values only.
                valid.append((f"enum-{n}", b.value(ref, "enums", enum_pick=n)))
            for name, payload in valid:
                cases.append({"action": action.name, "kind": kind, "name": name, "payload": payload, "expect": "ok"})
            seen = set()
            for payload, errc, pointer in b.mutations(ref, ""):
                if pointer == "" and errc == "wrong_type":
                    continue  # a non-object payload is a frame-level matter, tested by hand
                key = json.dumps(payload, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                cases.append({"action": action.name, "kind": kind, "name": f"{errc} at {pointer}",
                              "payload": payload,
                              "expect": {"errc": errc, "pointer": pointer, "ocpp": OCPP_CODE[errc][0 if v16 else 1]}})
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schemas", required=True, help="the schema directory of one version")
    parser.add_argument("--version", required=True, choices=["1.6", "2.0.1", "2.1"])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    model = sm.load(args.schemas, args.version)
    cases = build_cases(model)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump({"version": args.version, "cases": cases}, fh, ensure_ascii=False, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
