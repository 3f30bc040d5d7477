"""Reads the official OCPP JSON schemas of one version into a small typed model.

The model is what both the C++ generator (generate.py) and the test-vector generator
(make_test_vectors.py) work from, so the two cannot disagree about what a schema says.

Every schema keyword that occurs in the OCPP 1.6, 2.0.1 and 2.1 schemas is either modelled here or
explicitly ignored (descriptions, javaType, comment, default, $id, $schema, and additionalItems, which
draft-07 ignores when "items" is a single schema). An unknown keyword stops the generator, so a new
schema feature cannot be silently dropped.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Optional, Union

IGNORED_KEYWORDS = {"$schema", "$id", "description", "javaType", "comment", "$comment", "default",
                    "additionalItems"}


class SchemaError(Exception):
    pass


# ---- the model ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scalar:
    kind: str                      # string | uri | date_time | integer | number | boolean | any
    max_length: Optional[int] = None
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    multiple_of: Optional[float] = None


@dataclass(frozen=True)
class EnumRef:
    name: str


@dataclass(frozen=True)
class StructRef:
    name: str


@dataclass(frozen=True)
class Array:
    item: "TypeRef"
    min_items: Optional[int] = None
    max_items: Optional[int] = None


TypeRef = Union[Scalar, EnumRef, StructRef, Array]


@dataclass
class Property:
    name: str            # JSON name
    type: TypeRef
    required: bool
    doc: str = field(default="", compare=False)


@dataclass
class Struct:
    name: str
    properties: list[Property]
    open: bool           # additionalProperties is not false: extra members are allowed and kept
    doc: str = field(default="", compare=False)


@dataclass
class Enum:
    name: str
    values: list[str]
    doc: str = field(default="", compare=False)


@dataclass
class Action:
    name: str
    request: str             # struct name
    response: Optional[str]  # None for a message without a response (2.1 SEND)
    initiator: str           # ChargingStation | Csms | Both


@dataclass
class Model:
    version: str
    enums: dict[str, Enum] = field(default_factory=dict)
    structs: dict[str, Struct] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)

    def struct_order(self) -> list[Struct]:
        """Structs with every struct they contain defined before them."""
        order, state = [], {}

        def visit(name: str, chain: list[str]):
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise SchemaError("recursive types are not supported: " + " -> ".join(chain + [name]))
            state[name] = "visiting"
            for p in self.structs[name].properties:
                for dep in struct_deps(p.type):
                    visit(dep, chain + [name])
            state[name] = "done"
            order.append(self.structs[name])

        for name in sorted(self.structs):
            visit(name, [])
        return order


def struct_deps(t: TypeRef) -> list[str]:
    if isinstance(t, StructRef):
        return [t.name]
    if isinstance(t, Array):
        return struct_deps(t.item)
    return []


# ---- which side sends each action (OCPP 1.6 / 2.0.1 / 2.1 specifications, not in the schemas) -------

_CS_INITIATED = {
    "1.6": {
        "Authorize", "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
        "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification", "StopTransaction",
        # security extension (OCPP 1.6 Security Whitepaper)
        "LogStatusNotification", "SecurityEventNotification", "SignCertificate",
        "SignedFirmwareStatusNotification",
    },
    "2.0.1": {
        "Authorize", "BootNotification", "ClearedChargingLimit", "FirmwareStatusNotification",
        "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
        "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
        "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
        "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent",
    },
}
_CS_INITIATED["2.1"] = _CS_INITIATED["2.0.1"] | {
    "BatterySwap", "ClosePeriodicEventStream", "GetCertificateChainStatus", "NotifyDERAlarm",
    "NotifyDERStartStop", "NotifyPeriodicEventStream", "NotifyPriorityCharging", "NotifySettlement",
    "OpenPeriodicEventStream", "PullDynamicScheduleUpdate", "ReportDERControl", "VatNumberValidation",
}
_BOTH = {"DataTransfer"}


def initiator(version: str, action: str) -> str:
    if action in _BOTH:
        return "Both"
    return "ChargingStation" if action in _CS_INITIATED[version] else "Csms"


# ---- names for the anonymous nested types of OCPP 1.6 ---------------------------------------------
# 1.6 schemas define most nested objects and enums inline. Their names come from the OCPP 1.6
# specification (section 7, "Types"), keyed by message and JSON path ("[]" is an array item).
# Security-extension messages use named definitions and need no entry.

_NAMES_16 = {
    "AuthorizeResponse/idTagInfo": "IdTagInfo",
    "AuthorizeResponse/idTagInfo/status": "AuthorizationStatus",
    "BootNotificationResponse/status": "RegistrationStatus",
    "CancelReservationResponse/status": "CancelReservationStatus",
    "ChangeAvailabilityRequest/type": "AvailabilityType",
    "ChangeAvailabilityResponse/status": "AvailabilityStatus",
    "ChangeConfigurationResponse/status": "ConfigurationStatus",
    "ClearCacheResponse/status": "ClearCacheStatus",
    "ClearChargingProfileRequest/chargingProfilePurpose": "ChargingProfilePurposeType",
    "ClearChargingProfileResponse/status": "ClearChargingProfileStatus",
    "DataTransferResponse/status": "DataTransferStatus",
    "DiagnosticsStatusNotificationRequest/status": "DiagnosticsStatus",
    "FirmwareStatusNotificationRequest/status": "FirmwareStatus",
    "GetCompositeScheduleRequest/chargingRateUnit": "ChargingRateUnitType",
    "GetCompositeScheduleResponse/status": "GetCompositeScheduleStatus",
    "GetCompositeScheduleResponse/chargingSchedule": "ChargingSchedule",
    "GetCompositeScheduleResponse/chargingSchedule/chargingRateUnit": "ChargingRateUnitType",
    "GetCompositeScheduleResponse/chargingSchedule/chargingSchedulePeriod/[]": "ChargingSchedulePeriod",
    "GetConfigurationResponse/configurationKey/[]": "KeyValue",
    "MeterValuesRequest/meterValue/[]": "MeterValue",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]": "SampledValue",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]/context": "ReadingContext",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]/format": "ValueFormat",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]/measurand": "Measurand",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]/phase": "Phase",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]/location": "Location",
    "MeterValuesRequest/meterValue/[]/sampledValue/[]/unit": "UnitOfMeasure",
    "RemoteStartTransactionRequest/chargingProfile": "ChargingProfile",
    "RemoteStartTransactionRequest/chargingProfile/chargingProfilePurpose": "ChargingProfilePurposeType",
    "RemoteStartTransactionRequest/chargingProfile/chargingProfileKind": "ChargingProfileKindType",
    "RemoteStartTransactionRequest/chargingProfile/recurrencyKind": "RecurrencyKindType",
    "RemoteStartTransactionRequest/chargingProfile/chargingSchedule": "ChargingSchedule",
    "RemoteStartTransactionRequest/chargingProfile/chargingSchedule/chargingRateUnit": "ChargingRateUnitType",
    "RemoteStartTransactionRequest/chargingProfile/chargingSchedule/chargingSchedulePeriod/[]":
        "ChargingSchedulePeriod",
    "RemoteStartTransactionResponse/status": "RemoteStartStopStatus",
    "RemoteStopTransactionResponse/status": "RemoteStartStopStatus",
    "ReserveNowResponse/status": "ReservationStatus",
    "ResetRequest/type": "ResetType",
    "ResetResponse/status": "ResetStatus",
    "SendLocalListRequest/localAuthorizationList/[]": "AuthorizationData",
    "SendLocalListRequest/localAuthorizationList/[]/idTagInfo": "IdTagInfo",
    "SendLocalListRequest/localAuthorizationList/[]/idTagInfo/status": "AuthorizationStatus",
    "SendLocalListRequest/updateType": "UpdateType",
    "SendLocalListResponse/status": "UpdateStatus",
    "SetChargingProfileRequest/csChargingProfiles": "ChargingProfile",
    "SetChargingProfileRequest/csChargingProfiles/chargingProfilePurpose": "ChargingProfilePurposeType",
    "SetChargingProfileRequest/csChargingProfiles/chargingProfileKind": "ChargingProfileKindType",
    "SetChargingProfileRequest/csChargingProfiles/recurrencyKind": "RecurrencyKindType",
    "SetChargingProfileRequest/csChargingProfiles/chargingSchedule": "ChargingSchedule",
    "SetChargingProfileRequest/csChargingProfiles/chargingSchedule/chargingRateUnit": "ChargingRateUnitType",
    "SetChargingProfileRequest/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/[]":
        "ChargingSchedulePeriod",
    "SetChargingProfileResponse/status": "ChargingProfileStatus",
    "StartTransactionResponse/idTagInfo": "IdTagInfo",
    "StartTransactionResponse/idTagInfo/status": "AuthorizationStatus",
    "StatusNotificationRequest/errorCode": "ChargePointErrorCode",
    "StatusNotificationRequest/status": "ChargePointStatus",
    "StopTransactionRequest/reason": "Reason",
    "StopTransactionRequest/transactionData/[]": "MeterValue",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]": "SampledValue",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]/context": "ReadingContext",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]/format": "ValueFormat",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]/measurand": "Measurand",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]/phase": "Phase",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]/location": "Location",
    "StopTransactionRequest/transactionData/[]/sampledValue/[]/unit": "UnitOfMeasure",
    "StopTransactionResponse/idTagInfo": "IdTagInfo",
    "StopTransactionResponse/idTagInfo/status": "AuthorizationStatus",
    "TriggerMessageRequest/requestedMessage": "MessageTrigger",
    "TriggerMessageResponse/status": "TriggerMessageStatus",
    "UnlockConnectorResponse/status": "UnlockStatus",
}
_NAMES = {"1.6": _NAMES_16}


# ---- reading the schemas --------------------------------------------------------------------------

def _doc(node: dict) -> str:
    """The first lines of a schema description, without the urn:x-oca lines."""
    text = node.get("description", "")
    lines = [l.strip() for l in text.replace("\r", "").split("\n")]
    lines = [l for l in lines if l and not l.startswith("urn:x-")]
    return " ".join(lines)


class _Reader:
    def __init__(self, model: Model):
        self.model = model
        self.names = _NAMES.get(model.version, {})
        self.file = ""
        self.definitions: dict = {}

    def fail(self, path: str, message: str):
        raise SchemaError(f"{self.model.version}/{self.file}{path}: {message}")

    def check_keywords(self, node: dict, allowed: set[str], path: str):
        unknown = set(node) - allowed - IGNORED_KEYWORDS
        if unknown:
            self.fail(path, f"unsupported schema keywords {sorted(unknown)}")

    def add_enum(self, name: str, node: dict, path: str) -> EnumRef:
        # additionalProperties on a string (2.1 puts it on some enums) constrains nothing.
        self.check_keywords(node, {"type", "enum", "additionalProperties"}, path)
        if node.get("type") != "string":
            self.fail(path, "only string enums are supported")
        values = list(node["enum"])
        if len(set(values)) != len(values):
            self.fail(path, "duplicate enum values")
        new = Enum(name, values, _doc(node))
        old = self.model.enums.get(name)
        if old is not None:
            if old.values != new.values:
                self.fail(path, f"enum {name} is defined twice with different values")
        else:
            self.model.enums[name] = new
        return EnumRef(name)

    def add_struct(self, name: str, node: dict, path: str) -> StructRef:
        allowed = {"type", "properties", "required", "additionalProperties"} | ({"definitions"} if path == "" else set())
        self.check_keywords(node, allowed, path)
        if name in self.model.enums:
            self.fail(path, f"{name} names both an enum and a struct")
        required = set(node.get("required", []))
        props = []
        for prop_name, prop_node in node.get("properties", {}).items():
            props.append(Property(prop_name, self.type_of(prop_node, f"{path}/{prop_name}"),
                                  prop_name in required, _doc(prop_node)))
        missing = required - set(node.get("properties", {}))
        if missing:
            self.fail(path, f"required properties without a definition: {sorted(missing)}")
        if len(props) > 64:
            self.fail(path, "more than 64 properties (the decoder tracks them in a 64-bit mask)")
        new = Struct(name, props, node.get("additionalProperties", True) is not False, _doc(node))
        old = self.model.structs.get(name)
        if old is not None:
            if old != new:
                self.fail(path, f"struct {name} is defined twice with different contents")
        else:
            self.model.structs[name] = new
        return StructRef(name)

    def inline_name(self, path: str) -> str:
        key = self.file + path
        if key not in self.names:
            self.fail(path, f"anonymous type needs a name: add '{key}' to the names table in schema_model.py")
        return self.names[key]

    def type_of(self, node: dict, path: str) -> TypeRef:
        if "$ref" in node:
            self.check_keywords(node, {"$ref"}, path)
            ref = node["$ref"]
            m = re.fullmatch(r"#/definitions/(\w+)", ref)
            if not m or m.group(1) not in self.definitions:
                self.fail(path, f"unresolvable $ref {ref}")
            name = m.group(1)
            target = self.definitions[name]
            if "enum" in target:
                return self.add_enum(name, target, f"#/definitions/{name}")
            if target.get("type") == "object":
                return self.add_struct(name, target, f"#/definitions/{name}")
            self.fail(path, f"$ref to a definition that is neither an enum nor an object: {ref}")
        if "enum" in node:
            return self.add_enum(self.inline_name(path), node, path)
        kind = node.get("type")
        if kind is None:
            self.check_keywords(node, set(), path)
            return Scalar("any")
        if kind == "object":
            return self.add_struct(self.inline_name(path), node, path)
        if kind == "array":
            self.check_keywords(node, {"type", "items", "minItems", "maxItems"}, path)
            return Array(self.type_of(node["items"], path + "/[]"), node.get("minItems"), node.get("maxItems"))
        if kind == "string":
            self.check_keywords(node, {"type", "maxLength", "format"}, path)
            fmt = node.get("format")
            scalar_kind = {None: "string", "date-time": "date_time", "uri": "uri"}.get(fmt)
            if scalar_kind is None:
                self.fail(path, f"unsupported string format {fmt}")
            if scalar_kind == "date_time" and "maxLength" in node:
                self.fail(path, "maxLength on a date-time is not supported")
            return Scalar(scalar_kind, max_length=node.get("maxLength"))
        if kind in ("integer", "number"):
            self.check_keywords(node, {"type", "minimum", "maximum", "multipleOf"}, path)
            return Scalar(kind, minimum=node.get("minimum"), maximum=node.get("maximum"),
                          multiple_of=node.get("multipleOf"))
        if kind == "boolean":
            self.check_keywords(node, {"type"}, path)
            return Scalar("boolean")
        self.fail(path, f"unsupported type {kind}")

    def read_message(self, file_name: str, schema: dict, struct_name: str):
        self.file = struct_name
        self.definitions = schema.get("definitions", {})
        if schema.get("type") != "object":
            self.fail("", "a message schema must describe an object")
        self.add_struct(struct_name, schema, "")


def load(schema_dir: str, version: str) -> Model:
    """Reads every <Action>Request.json / <Action>Response.json (and 2.1's response-less
    <Action>.json) in `schema_dir`."""
    model = Model(version)
    reader = _Reader(model)
    files = sorted(f for f in os.listdir(schema_dir) if f.endswith(".json"))
    if not files:
        raise SchemaError(f"no schemas in {schema_dir}")
    actions: dict[str, dict[str, str]] = {}
    for f in files:
        stem = f[:-5]
        m = re.fullmatch(r"(\w+?)(Request|Response)", stem)
        action, part = (m.group(1), m.group(2)) if m else (stem, "Request")
        if part == "Request" and not m:
            struct_name = stem + "Request"  # a message without a response keeps the naming scheme
        else:
            struct_name = stem
        with open(os.path.join(schema_dir, f), encoding="utf-8") as fh:
            schema = json.load(fh)
        reader.read_message(f, schema, struct_name)
        actions.setdefault(action, {})[part] = struct_name
    for name in sorted(actions):
        parts = actions[name]
        if "Request" not in parts:
            raise SchemaError(f"{version}: {name} has a response schema but no request schema")
        model.actions.append(Action(name, parts["Request"], parts.get("Response"), initiator(version, name)))
    unknown = (_CS_INITIATED.get(version, set()) | _BOTH) - {a.name for a in model.actions}
    if unknown:
        raise SchemaError(f"{version}: initiator table names actions without schemas: {sorted(unknown)}")
    model.struct_order()  # rejects recursion early
    return model


def max_depth(model: Model) -> int:
    """The deepest JSON path any message can have (objects and arrays both count)."""
    memo: dict[str, int] = {}

    def type_depth(t: TypeRef) -> int:
        if isinstance(t, StructRef):
            return struct_depth(t.name)
        if isinstance(t, Array):
            return 1 + type_depth(t.item)
        return 0

    def struct_depth(name: str) -> int:
        if name not in memo:
            memo[name] = 1 + max((type_depth(p.type) for p in model.structs[name].properties), default=0)
        return memo[name]

    return max(struct_depth(a.request) for a in model.actions)
