#!/usr/bin/env python3
"""Writes a libFuzzer seed corpus from the schema-derived test vectors, wrapped in a CALL (requests)
or a CALLRESULT (responses, with the action name as message id): the minimal and full valid payload
of every message and one invalid payload per kind of violation and message, plus hand-written
malformed frames.

Usage: make_seeds.py --out DIR vectors_16.json vectors_201.json ...
"""
import argparse
import hashlib
import json
import os

MALFORMED = [
    "", "[", "[]", "[2]", '[2,"1"]', '[2,"1","Heartbeat"]', '[2,"1","Heartbeat",{}', '[5,"1","x",{}]',
    '[2,1,"Heartbeat",{}]', '[4,"1","GenericError","",{}]', '[4,"1","GenericError",""]', '[3,"1",[]]',
    '{"a":1}', '[2,"1","BootNotification",{"reason":"PowerUp","reason":1}]',
    '[2,"1","DataTransfer",{"vendorId":"v","data":{"deep":[[[[[[1]]]]]]}}]',
    '[2,"1","Heartbeat",{"customData":{"vendorId":"v","x\\u0041":"\\ud83d\\ude00"}}]',
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("vectors", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    frames = list(MALFORMED)
    kinds_seen = set()
    for path in args.vectors:
        with open(path, encoding="utf-8") as fh:
            for case in json.load(fh)["cases"]:
                if case["expect"] == "ok":
                    if case["name"] not in ("minimal", "full"):
                        continue
                else:
                    kind = (path, case["action"], case["kind"], case["expect"]["errc"])
                    if kind in kinds_seen:
                        continue
                    kinds_seen.add(kind)
                payload = json.dumps(case["payload"], ensure_ascii=False, separators=(",", ":"))
                if case["kind"] == "request":
                    frames.append(f'[2,"s1","{case["action"]}",{payload}]')
                else:
                    frames.append(f'[3,"{case["action"]}",{payload}]')
    for frame in frames:
        data = frame.encode("utf-8")
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(args.out, name), "wb") as fh:
            fh.write(data)
    print(f"{len(frames)} seeds in {args.out}")


if __name__ == "__main__":
    main()
