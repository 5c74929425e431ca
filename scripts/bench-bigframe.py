#!/usr/bin/env python3
"""Sends a WebSocket frame that declares 1 GiB to a HostPulse server on loopback
and pushes up to 256 MiB of it, to check the server refuses it without
buffering it. Usage: scripts/bench-bigframe.py PORT (compare the server's
VmRSS/VmHWM in /proc/PID/status before and after)."""
import socket, time, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
s.sendall(bytes([0x81, 0xFF]) + (1 << 30).to_bytes(8, "big") + bytes([1, 2, 3, 4]))
s.settimeout(10)
sent = 0
chunk = b"U" * 65536
try:
    while sent < (256 << 20):
        s.sendall(chunk)
        sent += len(chunk)
except Exception as e:
    print("send stopped:", type(e).__name__, e)
print("sent", sent >> 20, "MiB")
