#!/usr/bin/env python3
"""Writes the seed corpus under Fuzz/Corpus/<target>/ (small, valid inputs for each harness). Rerun after
changing an input layout; libFuzzer grows its own working corpus elsewhere (scripts/fuzz.sh)."""
import base64, hashlib, hmac, json, os, struct, zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")
SECRET = b"rally-fuzz-secret-at-least-32-bytes-long"  # the Token harness's HS256 secret


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def frame(opcode, payload, fin=True, rsv1=False, mask=b"\x37\xfa\x21\x3d"):
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def deflate_raw(data, bits=15):
    c = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


# FrameReader: session byte (bit 0 deflate, bit 1 no context takeover, bits 2-4 window - 8), split byte, stream.
text = b'["1","1","realtime:room","phx_join",{"config":{}}]'
write("FrameReader", "text", b"\x00\x00" + frame(1, text))
write("FrameReader", "fragmented", b"\x00\x03" + frame(1, b"hel", fin=False) + frame(9, b"p") + frame(0, "lo ☃".encode()))
write("FrameReader", "binary-close", b"\x00\x02" + frame(2, bytes(range(40))) + frame(8, struct.pack(">H", 1000) + b"bye"))
write("FrameReader", "deflate", b"\x1d\x05" + frame(1, deflate_raw(text * 3), rsv1=True) + frame(1, deflate_raw(b"again"), rsv1=True))
write("FrameReader", "deflate-fragmented", b"\x03\x00" + frame(1, deflate_raw(text)[:5], fin=False, rsv1=True)
      + frame(0, deflate_raw(text)[5:]) + frame(10, b""))
write("FrameReader", "length-126", b"\x00\x00" + frame(2, b"x" * 300))

# Deflate: window byte, split byte, a Sec-WebSocket-Extensions value, newline, compressed bytes.
write("Deflate", "plain", b"\x07\x01permessage-deflate; client_max_window_bits\n" + deflate_raw(text * 4))
write("Deflate", "window-9", b"\x01\x00permessage-deflate; server_max_window_bits=9; client_max_window_bits=9\n"
      + deflate_raw(b"abcabcabc" * 20, 9))
write("Deflate", "offers", b"\x87\x02x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover; "
      b'server_no_context_takeover; client_max_window_bits="10"\n' + deflate_raw(b"a" * 500))

# HTTPRequest: split byte, then what the client sends.
upgrade = (b"GET /realtime/v1/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
write("HTTPRequest", "upgrade", b"\x00" + upgrade + b"\r\n" + frame(1, text) + frame(9, b"hi") + frame(8, b"\x03\xe8"))
write("HTTPRequest", "upgrade-deflate", b"\x05" + upgrade
      + b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
      + frame(1, deflate_raw(text), rsv1=True))
write("HTTPRequest", "pipelined", b"\x02GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /api HTTP/1.1\r\nHost: x\r\n"
      b"Content-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
write("HTTPRequest", "chunked", b"\x01POST /api/broadcast HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      b"5\r\nhello\r\n0\r\n\r\n")
write("HTTPRequest", "rejected", b"\x00" + upgrade.replace(b"/realtime", b"/reject") + b"\r\n")

# JSON
for name, doc in {
    "object": b'{"a":1,"b":[true,false,null],"c":{"d":"e\\u00e9\\n"},"n":-1.5e+10}',
    "escapes": b'"\\ud83d\\ude00 \\" \\\\ \\/ \\b\\f\\n\\r\\t"',
    "nested": b"[[[[[[[[[[{}]]]]]]]]]]",
    "numbers": b"[0, -0, 1e5, 1E-5, 123456789012345678901234567890, 0.5]",
    "duplicate-keys": b'{"a":1,"a":2}',
}.items():
    write("JSON", name, doc)


# Decoder: a client frame (text or binary), decoded as every form.
def kind0(join_ref, ref, topic, event, payload):
    fields = [join_ref, ref, topic, event]
    return bytes([0] + [len(f) for f in fields]) + b"".join(fields) + payload


def kind3(join_ref, ref, topic, event, meta, encoding, payload):
    fields = [join_ref, ref, topic, event]
    return bytes([3] + [len(f) for f in fields] + [len(meta), encoding]) + b"".join(fields) + meta + payload


write("Decoder", "v1", b'{"topic":"realtime:room","event":"broadcast","payload":{"x":1},"ref":"2","join_ref":"1"}')
write("Decoder", "v2", text)
write("Decoder", "kind0", kind0(b"1", b"2", b"realtime:room", b"broadcast", b'{"type":"broadcast"}'))
write("Decoder", "kind3-json", kind3(b"1", b"2", b"realtime:room", b"move", b'{"a":1}', 1, b'{"x":3}'))
write("Decoder", "kind3-binary", kind3(b"", b"", b"realtime:room", b"bytes", b"", 0, bytes(range(16))))
write("Decoder", "kind4", bytes([4, 13, 4, 0, 1]) + b"realtime:room" + b"move" + b'{"y":2}')


# Token: the text a client sends.
def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwt(header, claims, key=SECRET):
    signing = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(claims).encode())
    return signing + b"." + b64(hmac.new(key, signing, hashlib.sha256).digest())


write("Token", "valid", jwt({"alg": "HS256", "typ": "JWT"}, {"exp": 1900000000, "role": "authenticated", "sub": "u1"}))
write("Token", "expired", jwt({"alg": "HS256"}, {"exp": 1700000000.5, "role": "anon"}))
write("Token", "wrong-key", jwt({"alg": "HS256", "kid": "k1"}, {"exp": 1900000000, "role": "anon"}, b"other"))
write("Token", "alg-none", b64(b'{"alg":"none"}') + b"." + b64(b'{"exp":1900000000,"role":"service_role"}') + b".")
write("Token", "percent-encoded", jwt({"alg": "HS384"}, {"exp": 1e99, "role": 1, "nbf": 0, "aud": ["a"]})
      .replace(b".", b"%2E", 1) + b" \t")


# Bus: what a node reads from a bus channel.
def short(text):
    return struct.pack(">H", len(text)) + text


def bus(kind, flags, topic, event, sender, meta, payload):
    return (bytes([0xB1, kind, flags]) + struct.pack(">QQQQ", 7, 42, 41, 1_700_000_000_000_000)
            + short(topic) + short(event) + short(sender) + struct.pack(">I", len(meta)) + meta + payload)


write("Bus", "broadcast", bus(1, 0, b"realtime:room", b"move", b"u1", b'{"id":"m1"}', b'{"x":1}'))
write("Bus", "binary", bus(1, 3, b"realtime:room", b"bytes", b"", b"", bytes(range(20))))
write("Bus", "heartbeat", bus(5, 0, b"", b"", b"", b"", b"{}"))
write("Bus", "service", b' {"topic":"realtime:room","event":"message","payload":{"text":"hi"},"id":"s1"}')
