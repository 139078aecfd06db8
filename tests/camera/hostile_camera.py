#!/usr/bin/python3
"""A hostile RTSP camera for the recorder's tests: each path of its address
is one attack on the client reading it.

  endless-frame   answers DESCRIBE, SETUP and PLAY as a camera does, then
                  sends H.264 fragments of one frame that never ends (no
                  marker, one timestamp)
  no-video        the same handshake, then only sender reports (RTCP), a
                  second apart: a link that stays busy and records nothing
  endless-header  a response whose header line never ends
  many-headers    a response with header lines that never end
  huge-body       a description announced as a terabyte, then sent
  garbage         bytes that are not RTSP, from the first byte
  stall           reads the request and never answers
  too-many-bytes  a valid H.264 stream (720p, every frame a keyframe of
                  ~100 kB or more) sent as fast as the client reads it
  too-many-frames a valid H.264 stream of tiny frames, as fast
  unassigned-channel
                  the handshake, then interleaved data on a channel never
                  set up, as fast: the client drops it unread, and must
                  still count it

Each attack stops after --limit bytes (so that a client that fails to
bound it exhausts nothing but the test). It prints `ready URL` per path,
`serving`, then one JSON line per connection as it ends: the path, the bytes sent and
whether the client closed it ("cut") or the limit was reached ("limit").
"""

import argparse
import asyncio
import base64
import json
import os
import re
import struct
import subprocess
import sys
import time

PATHS = [
    "no-video",
    "endless-frame",
    "endless-header",
    "many-headers",
    "huge-body",
    "garbage",
    "stall",
    "too-many-bytes",
    "too-many-frames",
    "unassigned-channel",
]
# Payload of an RTP packet at most, as cameras send over TCP.
RTP_PAYLOAD = 1400
CHUNK = 60_000

# An H.264 stream with no parameter sets in its description: a client
# waits for them in the stream, which never delivers a whole frame.
SDP = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=hostile\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1\r\n"
    "a=control:track1\r\n"
)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The next request's first line and its CSeq."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    cseq = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("cseq:")), "0")
    return lines[0], cseq


def head(cseq: str) -> str:
    return f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n"


def response(cseq: str, headers: str = "", body: str = "") -> bytes:
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    return f"{head(cseq)}{headers}{length}\r\n{body}".encode()


class Stream:
    """A second of valid H.264 from ffmpeg: its access units (each a list
    of NAL units) and the description that carries its parameter sets."""

    def __init__(self, size: str, *encoder: str):
        annex_b = subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", "-frames:v", "25"]
            + ["-c:v", "libx264", "-bf", "0", *encoder, "-f", "h264", "-"],
            capture_output=True,
            check=True,
        ).stdout
        nals = [n for n in re.split(b"\x00\x00\x00\x01|\x00\x00\x01", annex_b) if n]
        sps = next(n for n in nals if n[0] & 0x1F == 7)
        pps = next(n for n in nals if n[0] & 0x1F == 8)
        self.units, unit = [], []
        for nal in nals:
            unit.append(nal)
            if nal[0] & 0x1F in (1, 5):  # a slice ends the frame (one slice each)
                self.units.append(unit)
                unit = []
        sets = ",".join(base64.b64encode(n).decode() for n in (sps, pps))
        self.sdp = SDP.replace(
            "packetization-mode=1", f"packetization-mode=1;profile-level-id={sps[1:4].hex()};sprop-parameter-sets={sets}"
        )

    def frames(self):
        """Interleaved RTP (channel 0), a frame at a time, 25 frames/s of
        media time, for ever."""
        seq, n = 0, 0
        while True:
            for unit in self.units:
                packets, payloads = [], []
                for nal in unit:
                    if len(nal) <= RTP_PAYLOAD:
                        payloads.append(nal)
                        continue
                    indicator, kind = (nal[0] & 0xE0) | 28, nal[0] & 0x1F
                    pieces = [nal[i : i + RTP_PAYLOAD] for i in range(1, len(nal), RTP_PAYLOAD)]
                    for i, piece in enumerate(pieces):
                        edge = (0x80 if i == 0 else 0) | (0x40 if i == len(pieces) - 1 else 0)
                        payloads.append(bytes([indicator, edge | kind]) + piece)
                for i, payload in enumerate(payloads):
                    marker = 0x80 if i == len(payloads) - 1 else 0
                    header = struct.pack("!BBHII", 0x80, marker | 96, seq & 0xFFFF, (n * 3600) & 0xFFFF_FFFF, 0x1234_5678)
                    packets.append(b"$\x00" + struct.pack("!H", len(header) + len(payload)) + header + payload)
                    seq += 1
                n += 1
                yield b"".join(packets)


def endless_fragments():
    """Interleaved RTP packets (channel 0): an IDR frame's FU-A fragments,
    all of one timestamp, none with the marker bit."""
    seq = 0
    fragment = b"\x7c\x85" + os.urandom(CHUNK)  # FU-A, start, IDR
    while True:
        rtp = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, 90_000, 0x1234_5678) + fragment
        yield b"$\x00" + struct.pack("!H", len(rtp)) + rtp
        seq += 1
        fragment = b"\x7c\x05" + fragment[2:]  # FU-A, middle


class LimitReached(Exception):
    pass


class Connection:
    """One client's connection and the bytes sent on it."""

    def __init__(self, reader, writer, limit: int):
        self.reader, self.writer, self.limit, self.sent = reader, writer, limit, 0

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        self.sent += len(data)
        await self.writer.drain()

    async def flood(self, make_chunk) -> None:
        while True:
            if self.sent >= self.limit:
                raise LimitReached
            await self.send(make_chunk())


def sender_report() -> bytes:
    """An interleaved RTCP sender report (channel 1) for now."""
    now = time.time() + 2_208_988_800  # NTP's epoch is 1900
    seconds, fraction = int(now), int((now % 1) * (1 << 32))
    rtcp = struct.pack("!BBHIIIIII", 0x80, 200, 6, 0x1234_5678, seconds, fraction, 90_000, 0, 0)
    return b"$\x01" + struct.pack("!H", len(rtcp)) + rtcp


async def attack(path: str, first: tuple[str, str], conn: Connection, streams: dict) -> None:
    line, cseq = first
    if path == "garbage":
        await conn.flood(lambda: os.urandom(CHUNK))
    elif path == "stall":
        await conn.reader.read()  # until the client gives up
        raise ConnectionResetError
    elif path == "endless-header":
        await conn.send(f"{head(cseq)}X-Pad: ".encode())
        await conn.flood(lambda: b"a" * CHUNK)
    elif path == "many-headers":
        await conn.send(head(cseq).encode())
        await conn.flood(lambda: b"X-Pad: a\r\n" * (CHUNK // 10))
    elif path == "huge-body":
        await conn.send(
            f"{head(cseq)}Content-Type: application/sdp\r\nContent-Length: 1000000000000\r\n\r\n".encode()
        )
        await conn.flood(lambda: b"a=x\r\n" * (CHUNK // 5))
    elif path in ("endless-frame", "no-video", "unassigned-channel", *streams):
        # A camera's handshake: OPTIONS, DESCRIBE, SETUP, PLAY.
        sdp = streams[path].sdp if path in streams else SDP
        while not line.startswith("PLAY"):
            if line.startswith("DESCRIBE"):
                await conn.send(response(cseq, "Content-Type: application/sdp\r\n", sdp))
            elif line.startswith("SETUP"):
                transport = "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 4d2;timeout=60\r\n"
                await conn.send(response(cseq, transport))
            else:
                await conn.send(response(cseq, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n"))
            line, cseq = await read_request(conn.reader)
        await conn.send(response(cseq, "Session: 4d2\r\n"))
        if path in streams:
            frames = streams[path].frames()
            await conn.flood(lambda: next(frames))
        if path == "unassigned-channel":
            chunk = b"$\x07" + struct.pack("!H", CHUNK) + os.urandom(CHUNK)
            await conn.flood(lambda: chunk)
        if path == "no-video":
            while True:
                await conn.send(sender_report())
                await asyncio.sleep(1)
        fragments = endless_fragments()
        await conn.flood(lambda: next(fragments))


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--limit", type=int, default=256 << 20, help="bytes an attack sends at most")
    args = parser.parse_args()
    streams = {
        "too-many-bytes": Stream("1280x720", "-g", "1", "-qp", "8"),
        "too-many-frames": Stream("64x64", "-g", "25"),
    }

    async def serve(reader, writer) -> None:
        conn, path, ended = Connection(reader, writer, args.limit), "?", "cut"
        try:
            first = await read_request(reader)
            parts = first[0].split(" ")
            path = parts[1].rsplit("/", 1)[-1] if len(parts) > 1 else "?"
            await attack(path, first, conn, streams)
        except LimitReached:
            ended = "limit"
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            ended = "cut"
        finally:
            print(json.dumps({"path": path, "sent": conn.sent, "ended": ended}), flush=True)
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    for path in PATHS:
        print(f"ready rtsp://127.0.0.1:{port}/{path}", flush=True)
    print("serving", flush=True)
    async with server:
        await server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
