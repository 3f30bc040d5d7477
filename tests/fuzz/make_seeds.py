#!/usr/bin/env python3
"""Writes the libFuzzer seed corpora and dictionaries of the fuzz targets (tests/fuzz/README.md).

From the schema-derived test vectors (cmake/TestVectors.cmake): the minimal and full valid payload
of every message and one invalid payload per kind of violation and message, wrapped
  - for fuzz_ocpp in a CALL (requests) or a CALLRESULT (responses, the action name as message id);
  - for fuzz_api_body as "<version>/<Action>\\n<payload>", requests of CSMS-initiated actions only;
  - for fuzz_mqtt_envelope in MaEVe envelopes on their topics;
plus hand-written seeds per target (malformed frames, MaEVe envelopes as a MaEVe gateway and manager
publish them, connection events and control commands, upgrade requests, the example configuration
with every setting uncommented). Also one dictionary per input language (property names, enum
values and action names of the schemas; HTTP tokens; the configuration's keys), and a copy of the
committed regression inputs (tests/fuzz/regressions/<target>/) so that the build tree has a
directory per target even where none is committed.

Usage: make_seeds.py --out DIR --example-config FILE --regressions DIR vectors_16.json ...
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "ocpp_codegen"))
import schema_model as sm  # noqa: E402  (initiator(): which side sends an action)

TARGETS = ["ocpp", "api_body", "api_bodies", "mqtt_envelope", "upgrade", "config"]

MALFORMED_FRAMES = [
    "", "[", "[]", "[2]", '[2,"1"]', '[2,"1","Heartbeat"]', '[2,"1","Heartbeat",{}', '[5,"1","x",{}]',
    '[2,1,"Heartbeat",{}]', '[4,"1","GenericError","",{}]', '[4,"1","GenericError",""]', '[3,"1",[]]',
    '{"a":1}', '[2,"1","BootNotification",{"reason":"PowerUp","reason":1}]',
    '[2,"1","DataTransfer",{"vendorId":"v","data":{"deep":[[[[[[1]]]]]]}}]',
    '[2,"1","Heartbeat",{"customData":{"vendorId":"v","x\\u0041":"\\ud83d\\ude00"}}]',
    '[4,"1","InternalError","boom",{"trace":[{"at":1},{"at":[2,[3]]}],"why":"db"}]',
    '[4,"1","FormationViolation","x",[]]', '[4,"1","GenericError","x"]',
    '[2,"1","DataTransfer",{"vendorId":"org.openchargealliance.iso15118pnc","messageId":"Authorize",'
    '"data":"{\\"idToken\\":{\\"idToken\\":\\"A\\",\\"type\\":\\"eMAID\\"}}"}]',
    '[2,"1","DataTransfer",{"vendorId":"org.openchargealliance.iso15118pnc","messageId":"SignCertificate",'
    '"data":"{\\"csr\\":\\"-----BEGIN CERTIFICATE REQUEST-----\\",\\"certificateType\\":\\"V2GCertificate\\"}"}]',
    '[2,"1","DataTransfer",{"vendorId":"v","data":"' + "x" * 1000 + '"}]',
    '[2, "1" , "Heartbeat" , { } ]', '\ufeff[2,"1","Heartbeat",{}]', '[2,"1","Heartbeat",{}] ',
    '[2,"1","Heartbeat",{}][]', '[2,"' + "9" * 37 + '","Heartbeat",{}]',
    '[2,"1","Heartbeat",{"customData":{"vendorId":"v","n":[1e400,-0,99999999999999999999]}}]',
]

MAEVE_ENVELOPES = [
    ("cs/in/ocpp2.0.1/cs001", '{"type":2,"action":"Heartbeat","id":"1","request":{}}'),
    ("cs/in/ocpp2.0.1/cs001", '{"type":2,"action":"BootNotification","id":"5f1c3b9e-7a7b-4a47-9a5e-0d0f5c0b2d41",'
                              '"request":{"reason":"PowerUp","chargingStation":{"model":"m","vendorName":"v"}}}'),
    ("cs/out/ocpp2.0.1/cs001", '{"type":3,"action":"SetVariables","id":"c0ffee",'
                               '"request":{"setVariableData":[{"attributeValue":"1"}]},'
                               '"response":{"setVariableResult":[{"attributeStatus":"Accepted"}]},'
                               '"state":{"step":2}}'),
    ("cs/out/ocpp1.6/cs002", '{"type":4,"action":"","id":"42","error_code":"NotImplemented",'
                             '"error_description":"unknown action"}'),
    ("cs/in/ocpp1.6/cs002", '{"type":2,"action":"StartTransaction","id":"7","request":{"connectorId":1,'
                            '"idTag":"TAG1","meterStart":0,"timestamp":"2026-11-25T10:00:00Z"}}'),
    ("cs/in/ocpp1.6/cs002", '{ "type" : 3 , "id" : "x" ,\n "response" :\t{ "a" : [ 1 , 2 ] }\n ,"state": 12.50 }'),
    ("cs/out/ocpp2.0.1/a%2Fb", '{"type":4,"action":"Authorize","id":"7","request":{"idToken":{"idToken":"A",'
                               '"type":"ISO14443"}},"response":{"x":1},"error_code":"InternalError",'
                               '"error_description":"boom","error_details":{"why":"db"},"state":[1,"two"]}'),
    ("cs/in/ocpp2.0.1/cs003", '{"x-trace":{"span":[1,2]},"type":2,"id":"1","future":null,"action":"Heartbeat",'
                              '"request":{},"context":"ignored"}'),
    ("cs/in/ocpp2.0.1/cs003", '{"type":2,"id":"\\u0041\\"1","action":"Boot\\u004eotification","request":{"s":"\\n"}}'),
    ("cs/event/ocpp2.0.1/cs001", '{"event":"connected","gateway":"gw-1","session":"gw-1/17",'
                                 '"remoteAddress":"10.0.0.7:51234","at":"2026-11-25T10:00:00.123Z"}'),
    ("cs/event/ocpp1.6/cs002", '{"event":"disconnected","gateway":"gw-1","session":"gw-1/18",'
                               '"at":"2026-11-25T11:00:00+01:00","reason":"ping timeout"}'),
    ("cs/control/cs001", '{"command":"close","code":1008,"reason":"station removed"}'),
    ("cs/control/cs001", '{"command":"close","code":4000,"reason":"","session":"gw-2/3"}'),
    ("cs/registry/cs001", '{"id":"cs001","securityProfile":1,"base64SHA256Password":"x"}'),
    ("cs/gateway/gw-1/status", '{"status":"online"}'),
    ("site1/cs/in/ocpp2.0.1/cs%25x", '{"type":2,"action":"Heartbeat","id":"1","request":{}}'),
    ("cs/in/ocpp2.1/cs001", '{"type":2,"action":"Heartbeat","id":"1","request":{}}'),
    ("", '{"type":3,"id":"x","response":{},"state":"s\\"q"}'),
    ("cs/in/ocpp2.0.1/", '{"type":5}'), ("cs/in/ocpp2.0.1/x/y", "[]"), ("cs/control/%", "{}"),
]

UPGRADE_REQUESTS = [
    "GET /ws/CS001 HTTP/1.1\r\nHost: localhost:9310\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: ocpp2.0.1, ocpp1.6\r\n\r\n",
    "GET /ws/CS%2F01?x=1&y HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
    "Authorization: Basic Q1MwMDE6c2VjcmV0LXBhc3N3b3JkLTEyMzQ=\r\n\r\n",
    "GET /ws/%E2%82%AC HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp2.1\r\n"
    "Sec-WebSocket-Protocol: ocpp2.0.1\r\nAuthorization: basic OnBhc3M\r\nX-Forwarded-Proto: https\r\n"
    "X-Client-Cert: -----BEGIN%20CERTIFICATE-----\r\n\r\n",
    "GET /ws/CS1 HTTP/1.0\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "POST /ws/CS1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    "GET /ws/CS1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET /ws/ HTTP/1.1\r\n\r\n", "GET /ws/a%zz HTTP/1.1\r\n\r\n", "GET /ws/a%00b HTTP/1.1\r\n\r\n",
    "GET http://host/ws/CS1 HTTP/1.1\r\nHost: host\r\n\r\n", "GET /ws/CS1 HTTP/1.1\nHost: h\n\n",
    "GET /ws/CS1 HTTP/1.1\r\nSec-WebSocket-Protocol:  , ,ocpp1.6 ,\t\r\n\r\n",
    "GET /ws/CS1 HTTP/1.1\r\nAuthorization: Basic\r\n\r\n", "GET /ws/CS1 HTTP/1.1\r\nAuthorization: Basic ====\r\n\r\n",
    "GET /ws/CS1 HTTP/1.1\r\nAuthorization: Basic QQ\r\n\r\n",
    "GET /ws/CS1 HTTP/1.1\r\nX-Long: " + "A" * 20000 + "\r\n\r\n",
    "GET /api/v0/cs?offset=0&limit=10&q=a%20b+c HTTP/1.1\r\nHost: h\r\n\r\n",
]

EXTRA_TOML = [
    "", "data_dir = \"/var/lib/evbroker\"\n", "ws_addr = \"[::1]:9310\"\napi_addr = \"0.0.0.0:9410\"\n",
    "server_names = [\"a\", \"b\"]\nmqtt_urls = []\n", "role = \"manager\"\npartition = \"1/3\"\n",
    "heartbeat_interval = 99999999999999999999\n", "unknown = 1\n[table]\nx = 1\n", "data-dir = 'x'\n",
    "#args: --role gateway --ws-addr 0.0.0.0:1\nnode_id = \"gw-1\"\n",
    "#args: --help\n", "#args: --version\n", "#args: --api-addr 10.0.0.1:9410\n",
    "max_frame_bytes = -1\n", "log_level = \"trace\"\nlog_format = \"json\"\n",
    "a = [[[[[[[[1]]]]]]]]\n", "a = {b = {c = {d = 1}}}\n", "ws_addr = \"\\ud800\"\n", b"x = \"\xff\"\n",
]


# fuzz_api_bodies: "<body>\n<json>", the management API's request bodies (docs/openapi.json), valid
# ones and one near miss each.
API_BODIES = [
    'auth\n{"securityProfile":0,"base64SHA256Password":"DMF1ucDxtqgxw5niaXcmYQ3UM+iZH4JCtNhzrrjVlGA="}',
    'auth\n{"securityProfile":2,"invalidUsernameAllowed":true,"tolerant":false}',
    'auth\n{"securityProfile":7}',
    'settings\n{"HeartbeatInterval":"300","OCPPCommCtrlr/HeartbeatInterval":"300"}',
    'settings\n{}',
    'trigger\n{"trigger":"BootNotification"}',
    'trigger\n{"trigger":"SignV2GCertificate"}',
    'trigger\n{"trigger":"Reboot"}',
    'token\n{"countryCode":"GB","partyId":"TWK","type":"RFID","uid":"DEADBEEF","contractId":"GBTWK012345678V",'
    '"issuer":"Example","valid":true,"cacheMode":"ALWAYS","groupId":"G1","languageCode":"en",'
    '"visualNumber":"1234","lastUpdated":"2025-11-24T15:00:00Z"}',
    'token\n{"countryCode":"GB","partyId":"TWK","type":"BARCODE","uid":"X","contractId":"","issuer":"",'
    '"valid":true,"cacheMode":"NEVER"}',
    'certificate\n{"certificate":"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"}',
    'install\n{"type":"V2GRootCertificate","certificate":"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END '
    'CERTIFICATE-----\\n"}',
    'installs\n{"certificates":[{"type":"CSMSRootCertificate","certificate":"-----BEGIN CERTIFICATE-----\\n'
    'MIIB\\n-----END CERTIFICATE-----\\n"}]}',
    'installs\n{"certificates":[]}',
]


def write_corpus(directory, inputs):
    os.makedirs(directory, exist_ok=True)
    for data in inputs:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(directory, name), "wb") as fh:
            fh.write(data)
    return len(inputs)


def dict_entry(token):
    out = []
    for b in token.encode("utf-8"):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= b < 0x7F:
            out.append(c)
        else:
            out.append(f"\\x{b:02X}")
    return '"' + "".join(out) + '"'


def write_dict(path, tokens):
    tokens = sorted({t for t in tokens if 0 < len(t.encode("utf-8")) <= 64})
    with open(path, "w", encoding="ascii") as fh:
        for t in tokens:
            fh.write(dict_entry(t) + "\n")
    return len(tokens)


def collect_tokens(value, tokens):
    if isinstance(value, dict):
        for k, v in value.items():
            tokens.add(f'"{k}":')
            collect_tokens(v, tokens)
    elif isinstance(value, list):
        for v in value:
            collect_tokens(v, tokens)
    elif isinstance(value, str) and len(value) <= 40 and value.isprintable():
        tokens.add(f'"{value}"')


def example_config(path):
    """The example file as shipped, and with every commented-out setting uncommented."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    setting = re.compile(r"^# ([a-z_0-9]+ = .*)$")
    uncommented = "\n".join(m.group(1) for m in map(setting.match, text.splitlines()) if m) + "\n"
    keys = sorted({line.split(" = ")[0] for line in uncommented.splitlines() if " = " in line})
    return [text, uncommented], keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--example-config", required=True)
    ap.add_argument("--regressions", required=True)
    ap.add_argument("vectors", nargs="+")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)

    frames, api_bodies, envelopes = list(MALFORMED_FRAMES), [], [f"{t}\n{p}" for t, p in MAEVE_ENVELOPES]
    json_tokens = {"org.openchargealliance.iso15118pnc", '"customData":', '"vendorId":', '"data":'}
    kinds_seen = set()
    for path in args.vectors:
        with open(path, encoding="utf-8") as fh:
            vectors = json.load(fh)
        version = vectors["version"]
        subprotocol = "ocpp" + version
        for case in vectors["cases"]:
            action = case["action"]
            json_tokens.add(f'"{action}"')
            collect_tokens(case["payload"], json_tokens)
            if case["expect"] == "ok":
                if case["name"] not in ("minimal", "full"):
                    continue
            else:
                kind = (version, action, case["kind"], case["expect"]["errc"])
                if kind in kinds_seen:
                    continue
                kinds_seen.add(kind)
            payload = json.dumps(case["payload"], ensure_ascii=False, separators=(",", ":"))
            request = case["kind"] == "request"
            csms_sends = sm.initiator(version, action) != "ChargingStation"
            if request:
                frames.append(f'[2,"s1","{action}",{payload}]')
                if csms_sends:
                    api_bodies.append(f"{version}/{action}\n{payload}")
            else:
                frames.append(f'[3,"{action}",{payload}]')
            # MaEVe envelopes: station CALLs on "in", CSMS CALLs and their answers on "out";
            # valid payloads only (the envelope does not look inside them), 2.1 has no MaEVe topic.
            if case["expect"] == "ok" and version != "2.1":
                direction = "out" if csms_sends else "in"
                body = {"type": 2 if request else 3, "action": action, "id": "m-1"}
                body["request" if request else "response"] = case["payload"]
                envelopes.append(f"cs/{direction}/{subprotocol}/CS1\n" +
                                 json.dumps(body, ensure_ascii=False, separators=(",", ":")))

    configs, config_keys = example_config(args.example_config)
    configs += EXTRA_TOML
    counts = {
        "ocpp": write_corpus(os.path.join(args.out, "seeds", "ocpp"), frames),
        "api_body": write_corpus(os.path.join(args.out, "seeds", "api_body"), api_bodies),
        "api_bodies": write_corpus(os.path.join(args.out, "seeds", "api_bodies"), API_BODIES),
        "mqtt_envelope": write_corpus(os.path.join(args.out, "seeds", "mqtt_envelope"), envelopes),
        "upgrade": write_corpus(os.path.join(args.out, "seeds", "upgrade"), UPGRADE_REQUESTS),
        "config": write_corpus(os.path.join(args.out, "seeds", "config"), configs),
    }
    dicts = os.path.join(args.out, "dict")
    os.makedirs(dicts, exist_ok=True)
    write_dict(os.path.join(dicts, "json.dict"),
               json_tokens | {"1e400", "-0", "99999999999999999999", "\\ud800", "\\u0000", "null", "true", "false",
                              "ocpp1.6", "ocpp2.0.1", "ocpp2.1", '"type":', '"id":', '"action":', '"request":',
                              '"response":', '"error_code":', '"error_description":', '"error_details":',
                              '"state":', '"event":', '"gateway":', '"session":', '"remoteAddress":', '"at":',
                              '"reason":', '"command":', '"code":', '"trigger":', "connected", "disconnected",
                              "close", "cs/in/", "cs/out/", "cs/event/", "cs/control/", "cs/registry/", "/status"})
    write_dict(os.path.join(dicts, "http.dict"),
               {"GET", "HTTP/1.1", "HTTP/1.0", "\r\n", "/ws/", "Upgrade", "websocket", "Connection", "Host",
                "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Authorization", "Basic ",
                "ocpp1.6", "ocpp2.0.1", "ocpp2.1", "Content-Length", "Transfer-Encoding", "chunked", "keep-alive",
                "close", "X-Forwarded-Proto", "X-Client-Cert", "X-Client-Cert-Hash", "%2F", "%00", "%", "?", "&",
                "=", "+", ": ", "13"})
    write_dict(os.path.join(dicts, "toml.dict"),
               {f"{k} = " for k in config_keys} | {"\n", "[", "]", "[[", "]]", "{", "}", "\"", "'", '"""', "'''",
                                                   "true", "false", "inf", "nan", "0x", "1979-05-27T07:32:00Z",
                                                   "#args: ", "--config", "--role", "gateway", "manager", "all",
                                                   "127.0.0.1:", "[::1]:", "0.0.0.0:", "mqtt://", "mqtts://",
                                                   "https://", "info", "debug", "json", "text"})
    for target in TARGETS:
        dest = os.path.join(args.out, "regressions", target)
        os.makedirs(dest, exist_ok=True)
        src = os.path.join(args.regressions, target)
        if os.path.isdir(src):
            for name in os.listdir(src):
                if os.path.isfile(os.path.join(src, name)):
                    shutil.copyfile(os.path.join(src, name), os.path.join(dest, name))
    print("fuzz seeds: " + ", ".join(f"{t} {n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
