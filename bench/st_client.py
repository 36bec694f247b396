"""A protocol-level Streamlit client for load tests: what a browser tab says over the websocket, without the browser.

A Streamlit tab is a websocket to `/_stcore/stream` carrying protobufs: the client sends `BackMsg`
(rerun the script with these widget values, on this page, or only this fragment) and the server
streams `ForwardMsg` (a new session, element deltas, "auto-rerun this fragment every n s",
script finished). This client keeps the latest element at every delta path, finds widgets by label,
sends widget changes, and, like a browser, re-runs fragments that asked for `run_every` polling
(the Train page's live panel), so the server does the same work as for a real open tab.

It does not render anything or fetch media files: a slider round trip is measured from sending
the new value to receiving the delta with the new digit image. It runs no component JavaScript either: for
Explore's scrub mode (gan_ui/scrub, G in the browser) it sends what the component sends when a slider is let
go, the trigger "release" with the new z (`scrub_release`).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


@dataclass
class Widget:
    kind: str  # proto field of the element: "slider", "button", "button_group", ...
    id: str
    label: str
    proto: object
    fragment: str = ""  # the fragment it was drawn in: a change reruns only that fragment, as in a browser


@dataclass
class Client:
    base: str  # http://127.0.0.1:PORT
    name: str = "client"
    elements: dict = field(default_factory=dict)  # delta path -> Element proto
    fragment_of: dict = field(default_factory=dict)  # delta path -> id of the fragment that drew it
    exceptions: list = field(default_factory=list)  # texts of exception elements the server sent
    pages: dict = field(default_factory=dict)  # url_pathname -> page_script_hash
    page_hash: str = ""
    widget_values: dict = field(default_factory=dict)  # id -> WidgetState we keep sending
    finished: int = 0  # script_finished messages (full runs and fragment runs)
    fragments: dict = field(default_factory=dict)  # fragment id -> polling interval (s)
    query: str = ""  # the page's query string (e.g. "tab=<token>"), sent with every rerun as a browser does
    fragment_runs: list = field(default_factory=list)  # seconds from a polling fragment's rerun to its end
    _auto_sent: float | None = None  # when the pending polling rerun was sent (None: none pending)
    headers: dict = field(default_factory=dict)  # sent with the websocket's opening request (e.g. a proxy's cookie)

    async def connect(self, timeout: float = 180.0) -> "Client":
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(
            url,
            subprotocols=["streamlit"],
            origin=self.base,
            max_size=64 * 1024 * 1024,
            open_timeout=60,
            ping_interval=None,
            additional_headers=self.headers or None,
        )
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self._poller = asyncio.create_task(self._poll())
        await self.rerun(timeout=timeout)
        return self

    async def close(self) -> None:
        for task in (self._poller, self._reader):
            task.cancel()
        await self.ws.close()

    # ------------------------------------------------------------------ receiving
    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    ns = msg.new_session
                    self.pages = {p.url_pathname: p.page_script_hash for p in ns.app_pages}
                    self.page_hash = ns.page_script_hash
                elif kind == "navigation":
                    nav = msg.navigation
                    self.pages.update({p.url_pathname: p.page_script_hash for p in nav.app_pages})
                    if nav.page_script_hash:
                        self.page_hash = nav.page_script_hash
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    path = tuple(msg.metadata.delta_path)
                    el = msg.delta.new_element
                    self.elements[path] = el
                    self.fragment_of[path] = msg.delta.fragment_id
                    if el.WhichOneof("type") == "exception":
                        self.exceptions.append(f"{el.exception.type}: {el.exception.message}")
                elif kind == "auto_rerun":
                    self.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
                elif kind == "stop_auto_rerun":
                    self.fragments.pop(getattr(msg.stop_auto_rerun, "fragment_id", ""), None)
                    if not getattr(msg.stop_auto_rerun, "fragment_id", ""):
                        self.fragments.clear()
                elif kind == "script_finished":
                    self.finished += 1
                    if self._auto_sent is not None:
                        self.fragment_runs.append(time.monotonic() - self._auto_sent)
                        self._auto_sent = None
                async with self._changed:
                    self._changed.notify_all()
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            pass

    async def _poll(self) -> None:
        """Re-run polling fragments at their interval, as the browser's timers do."""
        last: dict[str, float] = {}
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            for fid, interval in list(self.fragments.items()):
                if now - last.get(fid, 0.0) >= interval:
                    last[fid] = now
                    if self._auto_sent is None:  # time it only when no other run is in flight
                        self._auto_sent = time.monotonic()
                    await self._send(fragment_id=fid, auto=True)

    async def wait(self, predicate, timeout: float = 60.0):
        """Wait until predicate(self) is truthy (checked after every message)."""

        async def check():
            async with self._changed:
                while not (value := predicate(self)):
                    await self._changed.wait()
                return value

        return await asyncio.wait_for(check(), timeout)

    # ------------------------------------------------------------------ sending
    async def _send(self, fragment_id: str = "", auto: bool = False, triggers=(), once=()) -> None:
        """Rerun with the kept widget values, the button `triggers` (ids) and the one-shot WidgetStates `once`."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.page_script_hash = self.page_hash
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.query_string = self.query
        for ws in self.widget_values.values():
            cs.widget_states.widgets.add().CopyFrom(ws)
        for wid in triggers:
            cs.widget_states.widgets.add(id=wid, trigger_value=True)
        for ws in once:
            cs.widget_states.widgets.add().CopyFrom(ws)
        await self.ws.send(msg.SerializeToString())

    async def rerun(self, triggers=(), fragment_id: str = "", timeout: float = 180.0) -> None:
        done = self.finished
        await self._send(fragment_id=fragment_id, triggers=triggers)
        await self.wait(lambda c: c.finished > done, timeout)

    async def goto(self, page: str) -> None:
        self.page_hash = self.pages[page]
        self.elements.clear()
        self.widget_values.clear()
        await self.rerun()

    # ------------------------------------------------------------------ reading the page
    def widgets(self, kind: str | None = None) -> list[Widget]:
        out = []
        for path in sorted(self.elements):
            el = self.elements[path]
            k = el.WhichOneof("type")
            proto = getattr(el, k) if k else None
            if proto is not None and hasattr(proto, "id") and getattr(proto, "id", "") and (kind is None or k == kind):
                out.append(Widget(k, proto.id, getattr(proto, "label", ""), proto, self.fragment_of.get(path, "")))
        return out

    def widget(self, kind: str, label: str) -> Widget:
        for w in self.widgets(kind):
            if w.label == label:
                return w
        raise KeyError(f"{self.name}: no {kind} labelled {label!r}; have {[w.label for w in self.widgets(kind)]}")

    def scrub(self) -> tuple[str, str, dict] | None:
        """Explore's scrub-mode component, if the page shows it: (its id, the fragment that drew it, its data)."""
        for path in sorted(self.elements):
            el = self.elements[path]
            if el.WhichOneof("type") == "bidi_component" and el.bidi_component.component_name.endswith("gan_scrub"):
                bc = el.bidi_component
                data = json.loads(bc.mixed.json if bc.WhichOneof("data") == "mixed" else bc.json or "{}")
                return bc.id, self.fragment_of.get(path, ""), data
        return None

    def images(self, caption_prefix: str = "") -> list[str]:
        urls = []
        for el in self.elements.values():
            if el.WhichOneof("type") == "imgs":
                urls += [i.url for i in el.imgs.imgs if i.caption.startswith(caption_prefix)]
        return urls

    def texts(self) -> str:
        out = []
        for el in self.elements.values():
            k = el.WhichOneof("type")
            if k == "alert":
                out.append(el.alert.body)
            elif k == "markdown":
                out.append(el.markdown.body)
            elif k == "metric":
                out.append(f"{el.metric.label}={el.metric.body}")
        return "\n".join(out)

    def metric(self, label: str) -> str | None:
        for el in self.elements.values():
            if el.WhichOneof("type") == "metric" and el.metric.label == label:
                return el.metric.body
        return None

    # ------------------------------------------------------------------ acting
    async def set_slider(self, w: Widget, value: float) -> None:
        """Move a slider; like the browser, rerun only its fragment when it lives in one."""
        state = self.widget_values[w.id] = WidgetState(id=w.id)
        state.double_array_value.data.append(value)
        await self._send(fragment_id=w.fragment)

    async def scrub_release(self, z: list[float], label: int | None = None) -> None:
        """What scrub mode's component sends when a slider is let go (component.js, `ganRelease`): the trigger
        "release" with the browser's z, label and program digest; it reruns the component's fragment."""
        from streamlit.components.v2.bidi_component.main import _make_trigger_id

        cid, fragment, data = self.scrub()
        state = WidgetState(id=_make_trigger_id(cid, "events"))
        value = {"z": [round(v, 2) for v in z], "label": label, "digest": data["digest"]}
        state.json_trigger_value = json.dumps([{"event": "release", "value": value}])
        await self._send(fragment_id=fragment, once=[state])

    def keep(self, state: WidgetState) -> None:
        """Send this widget value with every later rerun (as a browser keeps its widgets' values)."""
        self.widget_values[state.id] = state

    async def click(self, w: Widget) -> None:
        await self.rerun(triggers=[w.id])
