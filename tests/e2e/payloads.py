"""Realistic hand-written station payloads for OCPP 2.0.1 and 1.6."""

from harness import now_iso

# Every message a station may send that the node issue covers (the PKI messages come later).
STATION_ACTIONS_201 = [
    "BootNotification", "Heartbeat", "StatusNotification", "Authorize", "TransactionEvent", "MeterValues",
    "NotifyReport", "NotifyEvent", "NotifyMonitoringReport", "SecurityEventNotification",
    "FirmwareStatusNotification", "LogStatusNotification", "PublishFirmwareStatusNotification", "DataTransfer",
    "NotifyChargingLimit", "ClearedChargingLimit", "NotifyEVChargingNeeds", "NotifyEVChargingSchedule",
    "ReportChargingProfiles", "ReservationStatusUpdate", "NotifyCustomerInformation", "NotifyDisplayMessages",
]
STATION_ACTIONS_16 = [
    "BootNotification", "Heartbeat", "StatusNotification", "Authorize", "StartTransaction", "StopTransaction",
    "MeterValues", "DataTransfer", "FirmwareStatusNotification", "DiagnosticsStatusNotification",
    "SecurityEventNotification", "SignedFirmwareStatusNotification", "LogStatusNotification",
]


# ---- OCPP 2.0.1 ------------------------------------------------------------------------------------

def sv(value, measurand="Energy.Active.Import.Register", unit="Wh", context=None, phase=None, location=None):
    """A 2.0.1 SampledValue."""
    sample = {"value": value, "measurand": measurand}
    if unit is not None:
        sample["unitOfMeasure"] = {"unit": unit}
    if context:
        sample["context"] = context
    if phase:
        sample["phase"] = phase
    if location:
        sample["location"] = location
    return sample


def meter_value(timestamp, *samples):
    return {"timestamp": timestamp, "sampledValue": list(samples)}


def tx_event(event_type, tx_id, seq_no, trigger, timestamp=None, meter=None, id_token=None, evse=(1, 1),
             offline=False, charging_state=None, stopped_reason=None):
    """A 2.0.1 TransactionEventRequest."""
    info = {"transactionId": tx_id}
    if charging_state:
        info["chargingState"] = charging_state
    if stopped_reason:
        info["stoppedReason"] = stopped_reason
    event = {"eventType": event_type, "timestamp": timestamp or now_iso(), "triggerReason": trigger,
             "seqNo": seq_no, "transactionInfo": info}
    if meter:
        event["meterValue"] = meter
    if id_token:
        event["idToken"] = {"idToken": id_token, "type": "ISO14443"}
    if evse:
        event["evse"] = {"id": evse[0], "connectorId": evse[1]}
    if offline:
        event["offline"] = True
    return event


def id_token_201(uid, kind="ISO14443"):
    return {"idToken": uid, "type": kind}


def status_201(evse_id, connector_id, status="Available"):
    return {"timestamp": now_iso(), "connectorStatus": status, "evseId": evse_id, "connectorId": connector_id}


def notify_event_201(seq_no=0):
    return {"generatedAt": now_iso(), "seqNo": seq_no, "eventData": [{
        "eventId": 17, "timestamp": now_iso(), "trigger": "Alerting", "actualValue": "true",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
        "variable": {"name": "Problem"}}]}


def security_event(kind="StartupOfTheDevice", tech_info=None):
    event = {"type": kind, "timestamp": now_iso()}
    if tech_info:
        event["techInfo"] = tech_info
    return event


def notify_report_201(request_id=1):
    return {"requestId": request_id, "generatedAt": now_iso(), "seqNo": 0, "tbc": False, "reportData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
         "variableAttribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
         "variableCharacteristics": {"unit": "s", "dataType": "integer", "supportsMonitoring": False}},
        {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"},
         "variableAttribute": [{"type": "Actual", "value": "Available", "mutability": "ReadOnly"}]}]}


# ---- OCPP 1.6 --------------------------------------------------------------------------------------

def sv16(value, measurand="Energy.Active.Import.Register", unit="Wh", context="Sample.Periodic", phase=None):
    sample = {"value": str(value), "measurand": measurand, "unit": unit, "context": context}
    if phase:
        sample["phase"] = phase
    return sample


def start_tx_16(connector_id, id_tag, meter_start, timestamp=None):
    return {"connectorId": connector_id, "idTag": id_tag, "meterStart": meter_start,
            "timestamp": timestamp or now_iso()}


def stop_tx_16(tx_id, meter_stop, id_tag=None, reason="Local", timestamp=None, data=None):
    stop = {"transactionId": tx_id, "meterStop": meter_stop, "timestamp": timestamp or now_iso(), "reason": reason}
    if id_tag:
        stop["idTag"] = id_tag
    if data:
        stop["transactionData"] = data
    return stop


def status_16(connector_id, status="Available", error_code="NoError"):
    return {"connectorId": connector_id, "errorCode": error_code, "status": status, "timestamp": now_iso()}
