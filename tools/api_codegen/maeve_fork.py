#!/usr/bin/env python3
"""Adds the maintained MaEVe fork's operations that evbroker serves over its own model to
docs/openapi.json: the fork's paths, parameters, request bodies and response shapes (its schemas as
`Maeve<Name>`, the request bodies marked for generated decoders), evbroker's error answers, and in
each description what evbroker does (OPS below; docs/api.md's table says the same).

Run once after changing OPS or the fork's spec, then `python3 tools/api_codegen/generate.py`:

    python3 tools/api_codegen/maeve_fork.py [--spec ../shared/seed/maeve-fork/api-spec.bundled.yaml]

It reads YAML, so it needs PyYAML (Debian: python3-yaml); generate.py and the tests do not. Running it
again gives the same document (operations and schemas are replaced, not added twice).
"""

import argparse
import copy
import json
import os
from collections import OrderedDict

import yaml

OPS = [
 # method, fork path, operationId, theme, what evbroker does
 ("post", "/cs/{csId}/reset", "ResetChargeStation", "commands", "2.0.1 Reset {type: Immediate for Hard, OnIdle for Soft}; 1.6 Reset {type}"),
 ("post", "/cs/{csId}/unlock-connector", "UnlockConnector", "commands", "2.0.1 UnlockConnector {evseId: connectorId, connectorId: 1}; 1.6 UnlockConnector {connectorId}"),
 ("post", "/cs/{csId}/availability", "changeAvailability", "commands", "ChangeAvailability: 2.0.1 {operationalStatus: type, evse: {id: evseId or connectorId} unless 0}; 1.6 {connectorId, type}"),
 ("post", "/cs/{csId}/cache/clear", "clearAuthorizationCache", "commands", "ClearCache (both versions)"),
 ("post", "/cs/{csId}/data-transfer", "sendDataTransfer", "commands", "DataTransfer {vendorId, messageId, data} (both versions)"),
 ("post", "/cs/{csId}/start-transaction", "remoteStartTransaction", "commands", "2.0.1 RequestStartTransaction {idToken: {idToken: idTag, type: Central}, evseId: connectorId, remoteStartId}; 1.6 RemoteStartTransaction {idTag, connectorId, chargingProfile}"),
 ("post", "/cs/{csId}/stop-transaction", "remoteStopTransaction", "commands", "2.0.1 RequestStopTransaction {transactionId}; 1.6 RemoteStopTransaction {transactionId as an integer}"),
 ("delete", "/cs/{csId}/certificate", "deleteChargeStationCertificate", "commands", "DeleteCertificate {certificateHashData} (2.0.1; 1.6 security extension)"),
 ("get", "/cs/{csId}/configuration", "getChargeStationConfiguration", "configuration", "1.6 GetConfiguration {key: the comma-separated keys}"),
 ("patch", "/cs/{csId}/configuration", "changeChargeStationConfiguration", "configuration", "1.6 ChangeConfiguration, one call per key, in order"),
 ("get", "/cs/{csId}/variables", "getChargeStationVariables", "configuration", "2.0.1 GetVariables {getVariableData: [{component, variable}]} (component and variable required)"),
 ("patch", "/cs/{csId}/variables", "setChargeStationVariables", "configuration", "2.0.1 SetVariables {setVariableData: [{component, variable, attributeValue}]}"),
 ("post", "/cs/{csId}/display-message", "setDisplayMessage", "configuration", "2.0.1 SetDisplayMessage {message: the fork's DisplayMessage, transactionId and message content mapped}"),
 ("delete", "/cs/{csId}/display-message/{messageId}", "clearDisplayMessage", "configuration", "2.0.1 ClearDisplayMessage {id: messageId}"),
 ("get", "/cs/{csId}/display-messages", "getDisplayMessages", "configuration", "2.0.1 GetDisplayMessages {requestId, state, priority}; the messages come in NotifyDisplayMessages (events)"),
 ("post", "/cs/{csId}/monitoring", "setVariableMonitoring", "configuration", "2.0.1 SetVariableMonitoring {setMonitoringData: one per variableMonitoring entry}"),
 ("delete", "/cs/{csId}/monitoring/{monitorId}", "clearVariableMonitoring", "configuration", "2.0.1 ClearVariableMonitoring {id: [monitorId]}"),
 ("post", "/cs/{csId}/monitoring/base", "setMonitoringBase", "configuration", "2.0.1 SetMonitoringBase {monitoringBase}"),
 ("post", "/cs/{csId}/monitoring/level", "setMonitoringLevel", "configuration", "2.0.1 SetMonitoringLevel {severity}"),
 ("post", "/cs/{csId}/monitoring/report", "getMonitoringReport", "configuration", "2.0.1 GetMonitoringReport {requestId, componentVariable}"),
 ("post", "/cs/{csId}/charging-profile", "setChargingProfile", "smart charging", "SetChargingProfile: 1.6 {connectorId, csChargingProfiles}; 2.0.1 {evseId: connectorId, chargingProfile: id, stackLevel, purpose, kind, schedule as a list of one}"),
 ("get", "/cs/{csId}/charging-profile", "getChargingProfiles", "smart charging", "2.0.1 GetChargingProfiles {requestId, evseId: connectorId, chargingProfile: {chargingProfilePurpose, stackLevel}}; answered with the station status, the request id and the profiles the station reported so far in ReportChargingProfiles (kept as events), in the fork's shape. 1.6 has no such message: 400"),
 ("delete", "/cs/{csId}/charging-profile/{profileId}", "clearChargingProfile", "smart charging", "ClearChargingProfile: 1.6 {id, connectorId, chargingProfilePurpose, stackLevel}; 2.0.1 {chargingProfileId, chargingProfileCriteria}"),
 ("get", "/cs/{csId}/composite-schedule", "getCompositeSchedule", "smart charging", "GetCompositeSchedule: 1.6 {connectorId, duration, chargingRateUnit}; 2.0.1 {evseId: connectorId, duration, chargingRateUnit}; answered in the fork's CompositeSchedule"),
 ("post", "/cs/{csId}/local-list", "updateLocalAuthorizationList", "local list and reservations", "409 when tokens are assigned to the station (the node keeps its list, GET .../local-list); otherwise relayed as SendLocalList: 1.6 {listVersion, updateType, localAuthorizationList}; 2.0.1 {versionNumber, updateType, localAuthorizationList: [{idToken: {idToken, type: Central}, idTokenInfo}]}"),
 ("get", "/cs/{csId}/local-list/version", "getLocalListVersion", "local list and reservations", "GetLocalListVersion; answered {listVersion} (2.0.1 versionNumber)"),
 ("get", "/cs/{csId}/local-list", "getLocalAuthorizationList", "local list and reservations", "the list the node keeps on the station (what the station last accepted), with evbroker's state, detail, waiting, stationVersion, limits, updatedAt and syncedAt (LocalListState); 200 with listVersion 0 and state unmanaged when it never sent one"),
 ("post", "/cs/{csId}/reservation", "createReservation", "local list and reservations", "ReserveNow, stored first as a reservation the node keeps (GET .../reservations): 1.6 {connectorId, expiryDate, idTag, reservationId, parentIdTag}; 2.0.1 {id: reservationId, expiryDateTime, idToken: {idToken: idTag, type: ISO14443 for a registered RFID token, else Central}, evseId: connectorId unless 0, connectorType, groupIdToken: parentIdTag}; the station's answer becomes the reservation's status. A reservationId the station holds is replaced (as ReserveNow does). 400 an expiryDate not in the future, a connectorType for a 1.6 station; 409 when the station holds 1000 reservations that have not ended"),
 ("delete", "/cs/{csId}/reservation/{reservationId}", "cancelReservation", "local list and reservations", "CancelReservation {reservationId} (both versions) of a reservation the node made: Accepted makes it Cancelled, Rejected (the station holds none) Removed; 404 a reservation the node did not make; 409 one that ended"),
 ("get", "/cs/{csId}/reservations", "listReservations", "local list and reservations", "the reservations the node made on the station, by reservationId: active (Accepted, or sent without an answer, and not past expiryDate), expired (Expired, or Accepted and past expiryDate) or all; evbroker adds connectorType, transactionId (the transaction that used it), detail, updatedAt and the statuses Requested (no answer came), Removed and Used"),
 ("post", "/cs/{csId}/firmware/update", "updateChargeStationFirmware", "firmware, logs and diagnostics", "2.0.1 UpdateFirmware {requestId, firmware: {location, retrieveDateTime, signature, signingCertificate}}; 1.6 UpdateFirmware {location, retrieveDate}, or SignedUpdateFirmware when signature and signingCertificate are given"),
 ("get", "/cs/{csId}/firmware/status", "getChargeStationFirmwareStatus", "firmware, logs and diagnostics", "the last FirmwareStatusNotification stored (1.6 SignedFirmwareStatusNotification too) and the boot's firmwareVersion"),
 ("post", "/cs/{csId}/diagnostics", "requestChargeStationDiagnostics", "firmware, logs and diagnostics", "1.6 GetDiagnostics {location, startTime, stopTime, retries, retryInterval}; a 2.0.1 station: GetLog DiagnosticsLog"),
 ("get", "/cs/{csId}/diagnostics/status", "getChargeStationDiagnosticsStatus", "firmware, logs and diagnostics", "the last DiagnosticsStatusNotification stored"),
 ("post", "/cs/{csId}/logs", "requestChargeStationLogs", "firmware, logs and diagnostics", "GetLog {logType, requestId, log, retries, retryInterval} (2.0.1; 1.6 security extension)"),
 ("get", "/cs/{csId}/logs/status", "getChargeStationLogStatus", "firmware, logs and diagnostics", "the last LogStatusNotification stored"),
 ("get", "/cs/{csId}/status", "getChargeStationStatus", "status and records", "the station's stored view: connection, last seen, BootNotification fields"),
 ("get", "/cs/{csId}/connectors", "getConnectorStatuses", "status and records", "the stored StatusNotifications, one per connector, with the active transaction"),
 ("get", "/cs/{csId}/transactions", "listTransactions", "status and records", "the stored transactions of the station, newest first"),
 ("get", "/cs/{csId}/transaction/{transactionId}", "getTransactionDetails", "status and records", "the stored transaction and its meter values"),
 ("get", "/cs/{csId}/meter-values", "getMeterValues", "status and records", "the stored meter values of the station (all its transactions and outside them)"),
 ("get", "/cs/{csId}/reports", "getDeviceReports", "status and records", "the stored device model (NotifyReport data, latest per variable) as one report"),
]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--spec", default=os.path.join(ROOT, "..", "shared", "seed", "maeve-fork", "api-spec.bundled.yaml"))
parser.add_argument("--openapi", default=os.path.join(ROOT, "docs", "openapi.json"))
args = parser.parse_args()
fork = yaml.safe_load(open(args.spec, encoding="utf-8"))
FS = fork["components"]["schemas"]
path_doc = args.openapi
doc = json.load(open(path_doc, encoding="utf-8"), object_pairs_hook=OrderedDict)
schemas = doc["components"]["schemas"]

PREFIX = "Maeve"
def new_name(n): return n if n == "Status" else PREFIX + n

# Request bodies the node decodes with generated decoders: per schema, members held as JSON text
# (passed on to the station's schema validation) and date-times held as text.
DECODE = {
  "ResetRequest": {}, "UnlockConnectorRequest": {}, "ChangeAvailabilityRequest": {},
  "DataTransferRequest": {}, "RemoteStartTransactionRequest": {"chargingProfile": "json"},
  "RemoteStopTransactionRequest": {}, "ReservationRequest": {"expiryDate": "text"},
  "FirmwareUpdateRequest": {"retrieveDate": "text"}, "DiagnosticsRequest": {"startTime": "text", "stopTime": "text"},
  "LogRequest": {"log": "json"}, "SetMonitoringBaseRequest": {}, "SetMonitoringLevelRequest": {},
  "SetChargingProfileRequest": {"csChargingProfiles": "json"}, "SetDisplayMessageRequest": {"message": "json"},
  "SetVariableMonitoringRequest": {"monitoringData": "items-json"},
  "GetMonitoringReportRequest": {"componentVariable": "json"},
  "UpdateLocalListRequest": {"localAuthorizationList": "json"},
  "VariablesChangeRequest": {"variables": "items-json"}, "ConfigurationChangeRequest": {},
  "CertificateHashDataRequest": {"certificateHashData": "json"},
}

# What evbroker adds to the fork's bodies (a superset: every body the fork accepts is still accepted).
# The node serves firmware and receives uploads itself (actors/files/), so the URL may be left out.
NODE_FILES = " (evbroker: optional; without it the station uploads to the node's files listener, listed by GET /api/v0/cs/{csId}/uploads)"
# OCPP 2.0.1 ConnectorEnumType.
CONNECTOR_TYPES = ["cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A", "s309-3P-16A",
                   "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A", "Other1PhOver16A",
                   "Other3Ph", "Pan", "wInductive", "wResonant", "Undetermined", "Unknown"]
def extend(n, spec):
    if n == "FirmwareUpdateRequest":
        spec.pop("required", None)
        spec["properties"]["location"]["description"] += " (evbroker: or give firmware)"
        spec["properties"]["firmware"] = OrderedDict([
            ("type", "string"), ("maxLength", 128),
            ("description", "evbroker: the name of a firmware image uploaded to the node (PUT /api/v0/firmware/{name}); "
                            "the station is given the node's URL for it. One of location and firmware is needed.")])
    elif n == "DiagnosticsRequest":
        spec.pop("required", None)
        spec["properties"]["location"]["description"] += NODE_FILES
    elif n == "ReservationRequest":
        spec["properties"]["connectorId"].update(minimum=0, maximum=2147483647)
        spec["properties"]["connectorId"]["description"] += " (1.6: the connector, 0 any; 2.0.1: the EVSE, 0 any)"
        spec["properties"]["connectorType"] = OrderedDict([
            ("type", "string"), ("enum", CONNECTOR_TYPES),
            ("description", "evbroker, 2.0.1 only: reserve an EVSE with a connector of this type (ReserveNow connectorType)")])
    elif n == "ReservationResponse":
        spec["properties"]["status"]["enum"] += ["Requested", "Removed", "Used"]
        spec["properties"]["status"]["description"] += (" (evbroker: Requested when the station gave no answer, Removed when "
                                                         "the station removed it, Used when a transaction started on it)")
        spec["properties"]["connectorType"] = OrderedDict([("type", "string"), ("description", "evbroker: as asked (2.0.1)")])
        spec["properties"]["transactionId"] = OrderedDict([("type", "string"), ("description", "evbroker: the transaction that used it")])
        spec["properties"]["detail"] = OrderedDict([("type", "string"), ("description", "evbroker: what happened, in words")])
        spec["properties"]["updatedAt"] = OrderedDict([("type", "string"), ("format", "date-time"),
                                                       ("description", "evbroker: when its status last changed")])
    elif n == "LogRequest":
        spec["properties"]["log"].pop("required", None)
        spec["properties"]["log"]["properties"]["remoteLocation"]["description"] += NODE_FILES
    return spec

# Answers where evbroker gives more than the fork's shape: operationId -> its own schema for 200.
ANSWER_SCHEMA = {"getLocalAuthorizationList": "LocalListState"}

def rewrite_refs(x):
    if isinstance(x, dict):
        out = OrderedDict()
        for k, v in x.items():
            if k == "$ref" and v.startswith("#/components/schemas/"):
                out[k] = "#/components/schemas/" + new_name(v.rsplit("/", 1)[1])
            else:
                out[k] = rewrite_refs(v)
        return out
    if isinstance(x, list): return [rewrite_refs(v) for v in x]
    return x

def refs_in(x, acc):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "$ref" and v.startswith("#/components/schemas/"):
                n = v.rsplit("/", 1)[1]
                if n not in acc:
                    acc.add(n); refs_in(FS[n], acc)
            else: refs_in(v, acc)
    elif isinstance(x, list):
        for v in x: refs_in(v, acc)

fork_paths = fork["paths"]
needed = set()
for method, p, op_id, theme, what in OPS:
    refs_in(fork_paths[p][method], needed)

def strip_for_generator(spec):
    """The generator refuses keys it does not know; the fork's examples and nullable go."""
    if isinstance(spec, dict):
        return OrderedDict((k, strip_for_generator(v)) for k, v in spec.items() if k not in ("example", "nullable"))
    if isinstance(spec, list): return [strip_for_generator(v) for v in spec]
    return spec

for n in sorted(needed):
    if n == "Status": continue  # ours is the same shape
    spec = rewrite_refs(copy.deepcopy(FS[n]))
    spec = OrderedDict(spec)
    desc = spec.get("description", "")
    spec["description"] = (desc.strip() + " " if desc else "") + "(The maintained MaEVe fork's " + n + ".)"
    spec.move_to_end("description", last=False)
    if n in DECODE:
        spec = strip_for_generator(spec)
        for member, how in DECODE[n].items():
            m = spec["properties"][member]
            if how == "json":
                m["x-cpp"] = "json"
            elif how == "text":
                m["x-cpp"] = "text"
            elif how == "items-json":
                m["x-cpp-items"] = "json"
        spec["x-generate"] = ["decoder"]
    schemas[new_name(n)] = extend(n, spec)

ERRORS = OrderedDict([
    ("400", {"$ref": "#/components/responses/BadRequest"}),
    ("401", {"$ref": "#/components/responses/Unauthorized"}),
    ("404", {"$ref": "#/components/responses/UnknownStation"}),
])
CALL_ERRORS = OrderedDict([
    ("409", {"$ref": "#/components/responses/NotConnected"}),
    ("502", {"$ref": "#/components/responses/StationError"}),
    ("503", {"$ref": "#/components/responses/QueueFull"}),
    ("504", {"$ref": "#/components/responses/CallTimeout"}),
])

def param(pp):
    pp = rewrite_refs(copy.deepcopy(pp))
    if pp["name"] == "csId": return OrderedDict([("$ref", "#/components/parameters/csId")])
    if pp["in"] == "path": pp["required"] = True
    return OrderedDict((k, pp[k]) for k in ("name", "in", "required", "description", "schema") if k in pp)

for method, p, op_id, theme, what in OPS:
    fop = fork_paths[p][method]
    full = "/api/v0" + p
    item = doc["paths"].setdefault(full, OrderedDict())
    params = fop.get("parameters", [])
    path_params = [param(x) for x in params if x["in"] == "path"]
    query_params = [param(x) for x in params if x["in"] == "query"]
    if "parameters" not in item:
        item["parameters"] = path_params
        item.move_to_end("parameters", last=False)
    op = OrderedDict()
    op["tags"] = ["charge stations", "maeve-fork"]
    op["summary"] = fop.get("summary", op_id)
    fdesc = (fop.get("description") or "").strip()
    op["description"] = ((fdesc + "\n\n") if fdesc else "") + "evbroker: " + what + "."
    op["operationId"] = op_id
    if query_params: op["parameters"] = query_params
    if "requestBody" in fop: op["requestBody"] = rewrite_refs(copy.deepcopy(fop["requestBody"]))
    responses = OrderedDict()
    commands = not what.startswith(("the ", "not served"))
    for code, resp in fop["responses"].items():
        code = str(code)
        if code == "default" or code in ("400", "404", "500"): continue
        r = OrderedDict()
        r["description"] = resp.get("description", "")
        if "content" in resp:
            r["content"] = rewrite_refs(copy.deepcopy(resp["content"]))
            if code != "200" and commands:
                r["description"] += ("; evbroker waits for the station's answer and adds its members "
                                     "(the station's response, as sent)")
        elif commands:
            r["description"] += ": evbroker waits for the station's answer and gives it, as sent"
            r["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/CallPayload"}}}
        if code == "200" and op_id in ANSWER_SCHEMA:
            r["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/" + ANSWER_SCHEMA[op_id]}}}
        responses[code] = r
    if what.startswith("not served"):
        responses = OrderedDict([("501", {"description": "Not served yet: " + what,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}})])
    for k, v in ERRORS.items(): responses.setdefault(k, v)
    if commands:
        for k, v in CALL_ERRORS.items(): responses.setdefault(k, v)
    responses["default"] = {"$ref": "#/components/responses/UnexpectedError"}
    op["responses"] = responses
    item[method] = op

if not any(t["name"] == "maeve-fork" for t in doc["tags"]):
    doc["tags"].append(OrderedDict([("name", "maeve-fork"), ("description",
        "Operations of the maintained MaEVe fork's API (github.com/evorada/maeve-csms), served over evbroker's own "
        "model: docs/api.md \"The maintained MaEVe fork's API\"")]))

open(path_doc, "w", encoding="utf-8").write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
print(f"{path_doc}: {len(OPS)} operations of the fork, {len(needed)} schemas")
