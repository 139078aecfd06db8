#!/usr/bin/python3
"""A test camera for Custos: an RTSP server (GStreamer) with one stream per
`--stream NAME=KIND`, KIND being

  moving   a moving picture with a clock overlay (what a healthy camera sends)
  black    a black picture
  frozen   the same picture over and over (a stuck encoder)
  blurred  the moving picture as through a fogged lens
  stamped  a grey picture whose top row of 40 blocks (16 px each, black 0,
           white 1, most significant first) spells the capture time in ms
           since 1970 modulo 2^40, drawn as each frame is made

each H.264 at 640x360, 10 frames/s (`--size`, `--fps`), a keyframe every
second, `--kbps` 500; `--audio` adds an AAC tone. A stream is encoded once
however many clients read it, so 32 recorder cameras on one URL cost the
camera one encoder (the recording benchmark does that). It prints `ready rtsp://127.0.0.1:PORT/NAME` for each stream once
it listens, then serves until killed. Run it with Debian's Python, which has
the GStreamer bindings (python3-gi, gir1.2-gst-rtsp-server-1.0).
"""

import argparse
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

VIDEO = {
    # Colour bars scrolling sideways: bright and always changing, like a real scene.
    "moving": "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,{caps} "
    '! clockoverlay time-format="%Y-%m-%d %H:%M:%S" halignment=right valignment=top',
    "black": "videotestsrc is-live=true pattern=black ! video/x-raw,{caps}",
    # The moving picture through a fogged lens: scaled down to 32 px and back up.
    "blurred": "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,width=32,height=18,framerate={fps}/1 "
    "! videoscale ! video/x-raw,{size}",
    # A still checkerboard with no noise: every frame the same.
    "frozen": "videotestsrc is-live=true pattern=checkers-8 ! video/x-raw,{caps}",
}
# Stamped frames are drawn here and pushed into an appsrc at the frame rate.
STAMPED = "appsrc name=stamp is-live=true format=time do-timestamp=false caps=video/x-raw,format=I420,{caps} ! queue"
STAMP_BITS = 40
STAMP_BLOCK = 16
ENCODE = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bitrate={kbps} ! rtph264pay name=pay0 pt=96"
AUDIO = "audiotestsrc is-live=true wave=sine freq=440 volume=0.1 ! audioconvert ! avenc_aac ! rtpmp4gpay name=pay1 pt=97"


def stamped_frame(width: int, height: int, ms: int) -> bytes:
    """An I420 frame: mid grey, with the capture time in the top blocks."""
    y = bytearray(b"\x80" * (width * height))
    for bit in range(STAMP_BITS):
        on = (ms >> (STAMP_BITS - 1 - bit)) & 1
        value = 235 if on else 16
        x0 = bit * STAMP_BLOCK
        if x0 + STAMP_BLOCK > width:
            break
        row = bytes([value]) * STAMP_BLOCK
        for line in range(STAMP_BLOCK):
            at = line * width + x0
            y[at : at + STAMP_BLOCK] = row
    chroma = b"\x80" * (width * height // 2)
    return bytes(y) + chroma


def stamp_frames(_factory, media, size) -> None:
    """Pushes a stamped frame every frame interval while the media plays."""
    width, height, fps = size
    source = media.get_element().get_by_name("stamp")

    def push() -> bool:
        clock = source.get_clock()
        if clock is None:  # not playing yet: a live camera makes no frames
            return True
        # The frame's timestamp is the moment its stamp is read, not when
        # appsrc hands it on (do-timestamp does that, one frame later).
        running = clock.get_time() - source.get_base_time()
        ms = int(time.time() * 1000) % (1 << STAMP_BITS)
        buffer = Gst.Buffer.new_wrapped(stamped_frame(width, height, ms))
        buffer.pts = running
        buffer.duration = Gst.SECOND // fps
        return source.emit("push-buffer", buffer) == Gst.FlowReturn.OK

    GLib.timeout_add(1000 // fps, push)


def report_capture_times(_factory, media) -> None:
    """Makes the sender reports (RTCP) pair each RTP time with the wall-clock
    time its frame was captured, as a camera's do, not the time it was sent."""

    def prepared(media) -> None:
        def each(element) -> None:
            factory = element.get_factory()
            if factory is not None and factory.get_name() == "rtpbin":
                element.set_property("rtcp-sync-send-time", False)

        media.get_element().get_parent().iterate_recurse().foreach(each)

    media.connect("prepared", prepared)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8554, help="0 picks a free port")
    parser.add_argument("--stream", action="append", default=[], metavar="NAME=KIND")
    parser.add_argument("--audio", action="store_true")
    parser.add_argument("--kbps", type=int, default=500)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--size", default="640x360", metavar="WxH")
    args = parser.parse_args()
    streams = [s.split("=", 1) for s in (args.stream or ["cam-01=moving"])]
    for name, kind in streams:
        if kind not in VIDEO and kind != "stamped":
            parser.error(f"{name}: unknown kind {kind!r}; use one of {', '.join(VIDEO)}")

    Gst.init(None)
    # Media is built when a client connects; check now that every element
    # exists, so a missing package is reported here and not as a refused stream.
    needed = {
        "videotestsrc": "gstreamer1.0-plugins-base",
        "clockoverlay": "gstreamer1.0-x",
        "x264enc": "gstreamer1.0-plugins-ugly",
        "rtph264pay": "gstreamer1.0-plugins-good",
    }
    if args.audio:
        needed.update({"audiotestsrc": "gstreamer1.0-plugins-base", "avenc_aac": "gstreamer1.0-libav", "rtpmp4gpay": "gstreamer1.0-plugins-good"})
    missing = {name: pkg for name, pkg in needed.items() if Gst.ElementFactory.find(name) is None}
    if missing:
        print("missing GStreamer elements: " + ", ".join(f"{n} (apt-get install {p})" for n, p in missing.items()), file=sys.stderr)
        return 1
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for name, kind in streams:
        width, height = args.size.split("x")
        size = f"width={width},height={height}"
        caps = f"{size},framerate={args.fps}/1"
        video = (STAMPED if kind == "stamped" else VIDEO[kind]).format(caps=caps, size=size, fps=args.fps)
        launch = f"{video} ! {ENCODE.format(kbps=args.kbps, fps=args.fps)}"
        if args.audio:
            launch += f" {AUDIO}"
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(f"( {launch} )")
        factory.set_shared(True)
        factory.connect("media-configure", report_capture_times)
        if kind == "stamped":
            factory.connect("media-configure", stamp_frames, (int(width), int(height), args.fps))
        mounts.add_factory(f"/{name}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1
    port = server.get_bound_port()
    for name, _ in streams:
        print(f"ready rtsp://127.0.0.1:{port}/{name}", flush=True)
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    signal.signal(signal.SIGINT, lambda *_: loop.quit())
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
