"""Helpers for the APM tests: a minimal OTLP protobuf encoder (field numbers as in
opentelemetry-proto), OTLP/JSON and Zipkin builders, and a POST helper."""

import gzip
import http.client
import json
import struct

from vitals_testlib import Response

T0 = 1_700_000_000_000_000_000  # ns


def varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def f_varint(field, v):
    return varint(field << 3) + varint(v)


def f_len(field, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(field << 3 | 2) + varint(len(b)) + b


def f_fixed64(field, v):
    return varint(field << 3 | 1) + struct.pack("<Q", v)


def any_value(v):
    if isinstance(v, bool):
        return f_varint(2, int(v))
    if isinstance(v, int):
        return f_varint(3, v)
    if isinstance(v, float):
        return varint(4 << 3 | 1) + struct.pack("<d", v)
    return f_len(1, v)


def key_value(k, v):
    return f_len(1, k) + f_len(2, any_value(v))


class Span:
    def __init__(self, name, dur_ns, kind=2, status=0, trace=1, span=1, parent=None, attrs=None,
                 start=T0):
        self.name, self.dur_ns, self.kind, self.status = name, dur_ns, kind, status
        self.trace_id = trace.to_bytes(16, "big")
        self.span_id = span.to_bytes(8, "big")
        self.parent = parent.to_bytes(8, "big") if parent else b""
        self.attrs = attrs or {}
        self.start = start

    def proto(self):
        b = f_len(1, self.trace_id) + f_len(2, self.span_id)
        if self.parent:
            b += f_len(4, self.parent)
        b += f_len(5, self.name) + f_varint(6, self.kind)
        b += f_fixed64(7, self.start) + f_fixed64(8, self.start + self.dur_ns)
        for k, v in self.attrs.items():
            b += f_len(9, key_value(k, v))
        b += f_len(15, f_varint(3, self.status))
        return b

    def json(self):
        d = {"traceId": self.trace_id.hex(), "spanId": self.span_id.hex(), "name": self.name,
             "kind": self.kind, "startTimeUnixNano": str(self.start),
             "endTimeUnixNano": str(self.start + self.dur_ns), "status": {"code": self.status},
             "attributes": [{"key": k, "value": {"stringValue": v} if isinstance(v, str)
                             else {"intValue": str(v)}} for k, v in self.attrs.items()]}
        if self.parent:
            d["parentSpanId"] = self.parent.hex()
        return d

    def zipkin(self, service):
        d = {"traceId": self.trace_id.hex(), "id": self.span_id.hex(), "name": self.name,
             "timestamp": self.start // 1000, "duration": self.dur_ns // 1000,
             "localEndpoint": {"serviceName": service},
             "tags": {k: str(v) for k, v in self.attrs.items()}}
        kinds = {2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
        if self.kind in kinds:
            d["kind"] = kinds[self.kind]
        if self.status == 2:
            d["tags"]["error"] = "true"
        if self.parent:
            d["parentId"] = self.parent.hex()
        return d


def otlp_proto(resources):
    """resources: [(service, [Span])] -> ExportTraceServiceRequest bytes."""
    out = b""
    for service, spans in resources:
        res = f_len(1, key_value("service.name", service))
        scope = f_len(1, f_len(1, "test")) + b"".join(f_len(2, s.proto()) for s in spans)
        out += f_len(1, f_len(1, res) + f_len(2, scope))
    return out


def otlp_json(resources):
    return json.dumps({"resourceSpans": [
        {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
         "scopeSpans": [{"scope": {"name": "test"}, "spans": [s.json() for s in spans]}]}
        for svc, spans in resources]}).encode()


def zipkin_json(service, spans):
    return json.dumps([s.zipkin(service) for s in spans]).encode()


def post(port, path, body, content_type="application/x-protobuf", gzip_it=False, chunked=False,
         headers=None, timeout=30):
    h = {"Content-Type": content_type} if content_type else {}
    if gzip_it:
        body = gzip.compress(body)
        h["Content-Encoding"] = "gzip"
    h.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if chunked:
            def gen():
                for i in range(0, len(body), 1000):
                    yield body[i:i + 1000]
            conn.request("POST", path, body=gen(), headers=h, encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def read_fields(b):
    """Decodes one protobuf message level into {field: [values]} (varint ints, bytes)."""
    out, i = {}, 0
    while i < len(b):
        tag, i = _read_varint(b, i)
        field, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = _read_varint(b, i)
        elif wt == 2:
            n, i = _read_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(field, []).append(v)
    return out


def _read_varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def series(fams, name, **labels):
    """Value of the sample `name` whose labels are exactly `labels` (None when absent)."""
    base = name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and name[:-len(suf)] in fams:
            base = name[:-len(suf)]
    fam = fams.get(base)
    if fam is None:
        return None
    return fam.samples.get((name, frozenset(labels.items())))


def span_labels(service, name, kind="SPAN_KIND_SERVER", status="STATUS_CODE_UNSET", **extra):
    d = {"service_name": service, "span_name": name, "span_kind": kind, "status_code": status}
    d.update(extra)
    return d
