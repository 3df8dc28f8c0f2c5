"""``mqtt://HOST:PORT/ROOT?rsu=ID[&payload=uper|json][&topics=open|vendor][&qos=0|1][&edition=ID]`` — a device
or cloud platform reached through an MQTT broker (paho-mqtt).

Topic layout is a lab parameter with presets (read from open cloud-control stacks and a vendor's cloud; the
RSU–platform standard T/ITS 0117-2020 uses dotted topics such as ``V2X.RSU.INFO.UP``, clause numbers not verified):

* ``open`` (default) — open cloud-control stacks: ``V2X/RSU/{id}/{MAP|SPAT|RSI|RSM|BSM}/{UP|DOWN}``;
* ``vendor`` — a large vendor's cloud: ``v2x/v1/rsu/{esn}/{bsm,map,spat,rsi,rsm}/{up,down}``.

``ROOT`` (the URL path, may be empty) prefixes every topic. A custom layout is given in PIXIT as
``mqtt_topic_template`` (placeholders ``{root}``, ``{rsu}``, ``{message}``, ``{direction}``) with
``mqtt_topic_case`` ``upper`` or ``lower``. The toolkit subscribes to the device's ``UP`` topics and publishes
test frames on ``DOWN``; the upper tester uses message kind ``UT``. Payloads are UPER bytes or the project's JSON
form (``payload=json``; then :attr:`Received.encoding` is ``"json"``).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote

from ..errors import TargetUrlError, TransportError
from ..network.framing import Framing
from ..standards import messages
from .base import (
    UT_TIMEOUT,
    Capabilities,
    Received,
    TargetUrl,
    Transport,
    UrlParameter,
    framing_parameter,
    one_of,
    whole,
)
from .kerneltime import SendTime
from .payload import frame_kind, frame_to_json
from .uppertester import MqttUpperTester, UpperTester


@dataclass(frozen=True)
class TopicLayout:
    """A topic convention: template with ``{root}``, ``{rsu}``, ``{message}``, ``{direction}``, and letter case."""

    template: str
    case: str  # "upper" or "lower" for message kind and direction

    def topic(self, *, root: str, rsu: str, message: str, direction: str) -> str:
        """Render one topic (``root`` already ends with '/' when not empty)."""
        fix = str.upper if self.case == "upper" else str.lower
        return self.template.format(root=root, rsu=rsu, message=fix(message), direction=fix(direction))


TOPIC_PRESETS: dict[str, TopicLayout] = {
    "open": TopicLayout("{root}V2X/RSU/{rsu}/{message}/{direction}", "upper"),
    "vendor": TopicLayout("{root}v2x/v1/rsu/{rsu}/{message}/{direction}", "lower"),
}
PAYLOADS = ("uper", "json")
_DISCONNECTED = object()


class MqttTransport(Transport):
    """One paho-mqtt client; received messages are queued by paho's network thread."""

    SCHEMES: ClassVar[Mapping[str, str]] = {"mqtt": "mqtt://HOST[:PORT]/ROOT?rsu=ID"}
    PARAMETERS = (
        UrlParameter("rsu", "RSU id or ESN in the topics (required)"),
        UrlParameter("payload", "uper (default) or json", one_of(*PAYLOADS), "uper"),
        UrlParameter(
            "topics",
            "preset: open (V2X/RSU/{id}/{MSG}/{UP|DOWN}, default) or vendor (v2x/v1/rsu/{esn}/{msg}/{dir})",
            str,
            "open",
        ),
        UrlParameter("qos", "MQTT QoS 0 (default) or 1", whole(0, 1), "0"),
        UrlParameter(
            "edition", "edition used to convert JSON payloads (default csae53-2020)", str, "csae53-2020", "edition"
        ),
        framing_parameter(),
        UT_TIMEOUT,
    )

    @classmethod
    def from_url(cls, target: TargetUrl) -> MqttTransport:
        """``mqtt://HOST[:PORT]/ROOT?rsu=ID[&payload=...][&topics=...][&qos=...][&edition=...][&framing=...]``."""
        if not target.parts.hostname:
            raise target.error("the broker HOST is missing")
        if not target.params.get("rsu"):
            raise target.error("rsu=ID (the RSU id or ESN in the topics) is missing")
        return cls(
            target.url,
            host=target.parts.hostname,
            port=target.port or 1883,
            root=unquote(target.parts.path),
            rsu=target.params["rsu"],
            layout=layout_from(target.params["topics"], target.pixit),
            payload=target.params["payload"],
            qos=target.params["qos"],
            edition=target.params["edition"],
            framing=target.params["framing"],
            ut_timeout=target.params["ut_timeout"],
        )

    def __init__(
        self,
        url: str,
        *,
        host: str,
        port: int,
        root: str,
        rsu: str,
        layout: TopicLayout,
        payload: str = "uper",
        qos: int = 0,
        edition: str = "csae53-2020",
        framing: Framing = Framing.NONE,
        connect_timeout: float = 5.0,
        ut_timeout: float = 2.0,
    ) -> None:
        super().__init__(url, framing)
        self.host = host
        self.port = port
        self.root = f"{root.strip('/')}/" if root.strip("/") else ""
        self.rsu = rsu
        self.layout = layout
        self.payload = payload
        self.qos = qos
        self.edition = edition
        self.connect_timeout = connect_timeout
        self.capabilities = Capabilities(send=True, receive=True, live=True, upper_tester=True)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._client: Any = None
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._connect_error = ""
        self._closing = False
        #: The device's UP topic of each message kind that has a topic (message table) → that kind.
        self._up_topics = {self.topic(kind.topic, "up"): kind.name for kind in messages.mqtt_kinds() if kind.topic}
        self._ut = MqttUpperTester(
            self._publish, down_topic=self.topic("ut", "down"), up_topic=self.topic("ut", "up"), timeout=ut_timeout
        )

    def topic(self, message: str, direction: str) -> str:
        """The topic of ``message`` (BSM, MAP, ..., UT) in ``direction`` (up: device → toolkit, down)."""
        return self.layout.topic(root=self.root, rsu=self.rsu, message=message, direction=direction)

    # -- paho callbacks (paho's network thread) ----------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any = None) -> None:
        if getattr(reason_code, "is_failure", False):
            self._connect_error = str(reason_code)
            self._connected.set()
            return
        topics = [(topic, self.qos) for topic in (*self._up_topics, self._ut.up_topic)]
        client.subscribe(topics)
        self._connected.set()

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reason_codes: Any, properties: Any = None) -> None:
        self._subscribed.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any = None) -> None:
        if not self._closing:
            self._queue.put(_DISCONNECTED)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        topic = str(message.topic)
        payload = bytes(message.payload)
        if topic == self._ut.up_topic:
            self._ut.feed(payload)
            return
        self._queue.put(
            Received(
                raw=payload,
                wall_time=time.time(),
                monotonic=time.monotonic(),
                peer=f"mqtt:{topic}",
                channel=self._up_topics.get(topic, ""),
                encoding="json" if self.payload == "json" else "uper",
            )
        )

    # -- Transport ----------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Connect to the broker and subscribe to the device's UP topics (waits for the broker's answers)."""
        if self._client is not None:
            return
        import paho.mqtt.client as mqtt  # imported here: only MQTT users need paho-mqtt

        client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"v2xc-{os.getpid()}-{id(self):x}",
        )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise TransportError(
                f"Cannot connect to the MQTT broker at {self.host}:{self.port}: {exc.strerror or exc}.",
                hint="Check that the broker runs and the URL's host and port are right.",
            ) from None
        self._client = client
        client.loop_start()
        if not (self._connected.wait(self.connect_timeout) and self._subscribed.wait(self.connect_timeout)):
            self.close()
            raise TransportError(f"The MQTT broker at {self.host}:{self.port} did not accept the connection in time.")
        if self._connect_error:
            error = self._connect_error
            self.close()
            raise TransportError(f"The MQTT broker at {self.host}:{self.port} refused the connection: {error}.")

    def close(self) -> None:
        """Disconnect and stop paho's network thread."""
        client, self._client = self._client, None
        if client is None:
            return
        self._closing = True
        try:
            client.disconnect()
        finally:
            client.loop_stop()

    def _publish(self, topic: str, data: bytes) -> None:
        if self._client is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        info = self._client.publish(topic, data, qos=self.qos)
        if info.rc != 0:
            raise TransportError(f"Cannot publish on MQTT topic {topic} (paho error code {info.rc}).")

    def send(self, data: bytes, *, channel: str = "") -> SendTime:
        """Publish one frame on the DOWN topic of its message kind (from ``channel`` or the frame's first byte).

        The times bracket the hand-over to the client library; the broker's latency is part of any latency measured
        over MQTT (and receive times are read when the client delivers the message, not by the kernel)."""
        kind = (channel or frame_kind(bytes(data))).upper()
        entry = messages.get(kind)
        if entry is None or entry.topic is None:
            names = [known.name for known in messages.mqtt_kinds()]
            raise TransportError(
                f"Cannot choose an MQTT topic: message kind {kind or 'unknown'!r} is not one of {', '.join(names)}.",
                hint=f"Pass channel='{names[0]}' (or {', '.join(names[1:])}) to send().",
            )
        body = frame_to_json(bytes(data), edition=self.edition) if self.payload == "json" else bytes(data)
        before = time.time()
        self._publish(self.topic(entry.topic, "down"), body)
        return SendTime(before, time.time())

    def receive(self, timeout: float) -> Received | None:
        """Return the next message on the device's UP topics, or None after ``timeout``."""
        if self._client is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if item is _DISCONNECTED:
            raise TransportError(f"The MQTT broker at {self.host}:{self.port} closed the connection.")
        assert isinstance(item, Received)
        return item

    def upper_tester(self) -> UpperTester | None:
        """The upper tester on the ``.../UT/{UP|DOWN}`` topics."""
        return self._ut


def layout_from(preset: str, pixit: Mapping[str, Any]) -> TopicLayout:
    """Choose the topic layout: PIXIT ``mqtt_topic_template`` wins over the URL's preset."""
    template = pixit.get("mqtt_topic_template")
    if template:
        case = str(pixit.get("mqtt_topic_case", "upper"))
        if case not in ("upper", "lower"):
            raise TransportError(f"PIXIT mqtt_topic_case must be 'upper' or 'lower', not {case!r}.")
        try:
            TopicLayout(str(template), case).topic(root="", rsu="R", message="MAP", direction="UP")
        except (KeyError, IndexError, ValueError) as exc:
            raise TransportError(
                f"PIXIT mqtt_topic_template {template!r} is not a valid template ({exc}).",
                hint="Use the placeholders {root}, {rsu}, {message} and {direction}.",
            ) from None
        return TopicLayout(str(template), case)
    if preset not in TOPIC_PRESETS:
        raise TargetUrlError(
            f"Unknown MQTT topic preset {preset!r}.", hint=f"Valid presets: {', '.join(TOPIC_PRESETS)}."
        )
    return TOPIC_PRESETS[preset]
