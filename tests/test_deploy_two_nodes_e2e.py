"""A class on a lab of two machines, on loopback: a real two-node Ray cluster (`ray start --head --num-cpus 1`
and a second `ray start --address ... --num-cpus 1 --resources {"lab_b": 1}`, its own raylet), two Streamlit
replicas on the Ray backend over one runs folder, Debian's nginx in front with deploy/'s sticky-cookie
config (tests/test_deploy_e2e.py's `deployed`). Four students train at once: one headless Chromium and three
protocol-level clients (bench/st_client.py: the websocket a tab speaks, through nginx), spread over both
replicas with nginx's own cookie (values found by asking nginx for a file only the browser's replica holds),
both replicas journaling their runs in the one shared journal.

* Two nodes of one CPU train two runs at once, one on each node, while the others wait.
* Then the whole second node is stopped mid-run (SIGKILL to its raylet and its workers, found as the
  processes under its own `ray start`: `ray stop` would stop the head too). Its run ends "Interrupted at
  step N" on its page; the waiting runs train on the head, one at a time now, and finish.
* Every run ends finished or "Interrupted at step N" with its weights kept: each page offers its
  .safetensors, Chromium downloads its file and it opens as a G that draws, and each tab's run is on the
  server's shelf (an interrupted one with its N steps).

Within two cores: one CPU per node, 30 s runs, every wait bounded, the whole test under DEADLINE seconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

pytest.importorskip("ray")

from e2e_support import ARTIFACTS, browser, wait_for, wait_idle  # noqa: E402, F401
from test_deploy_e2e import deployed  # noqa: E402
from test_e2e import DIGIT, VIEWPORT, click_button, no_exception, open_page  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
START = '[data-testid="stBaseButton-primary"]'
BUDGET = "30 s"
DEADLINE = 900.0  # seconds for the whole test, set-up included
ENDED = re.compile(r"Reached the time budget|Interrupted at step ([0-9,]+)")
DOWNLOAD = "Download .safetensors"


class ProtocolStudent:
    """One tab over the websocket (bench/st_client.Client), through nginx: Train page, the budget, Start at
    the go signal, then the run's end as its page words it."""

    def __init__(self, url: str, name: str, cookie: str):
        self.url, self.name, self.cookie = url, name, cookie
        self.ready, self.started = threading.Event(), threading.Event()
        self.end: str | None = None  # "Reached the time budget" or "Interrupted at step N"
        self.downloadable = False
        self.error: str | None = None
        self.exceptions: list[str] = []

    async def run(self, go: asyncio.Event, timeout: float) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        from bench.st_client import Client

        c = None
        try:
            c = await Client(self.url, self.name, headers={"Cookie": f"gc_route={self.cookie}"}).connect()
            await c.goto("train")
            budget = WidgetState(id=c.widget("button_group", "Budget").id)
            budget.string_array_value.data.append(BUDGET)
            c.keep(budget)
            await c.rerun()
            self.ready.set()
            await go.wait()
            await c.click(c.widget("button", "Start"))
            self.started.set()
            self.end = (await c.wait(lambda c: ENDED.search(c.texts()), timeout)).group(0)
            await c.wait(lambda c: any(w.label == DOWNLOAD for w in c.widgets("download_button")), 120)
            self.downloadable = True
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            if c is not None:
                self.exceptions = list(c.exceptions)
                await c.close()


def protocol_students(url: str, cookies: list[str], timeout: float):
    """A student per nginx cookie on their own event loop in a thread; returns (students, release, thread)."""
    students = [ProtocolStudent(url, f"student{i}", cookie) for i, cookie in enumerate(cookies, 1)]
    holder: dict = {}
    loop_ready = threading.Event()

    async def main():
        go = asyncio.Event()
        loop = asyncio.get_running_loop()
        holder["release"] = lambda: loop.call_soon_threadsafe(go.set)
        loop_ready.set()
        await asyncio.gather(*(s.run(go, timeout) for s in students))

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="protocol-students", daemon=True)
    thread.start()
    assert loop_ready.wait(30)
    return students, holder["release"], thread


def routes(proxy: str, media: str) -> tuple[list[str], list[str]]:
    """nginx cookies (gc_route values) that route to the replica holding `media` (a file only that replica
    serves) and cookies that route to the other one: a GET of the file answers 200 or 404."""
    here, there = [], []
    for i in range(64):
        cookie = f"probe{i:02d}{uuid.uuid4().hex[:8]}"
        request = urllib.request.Request(
            urllib.parse.urljoin(proxy + "/", media), headers={"Cookie": f"gc_route={cookie}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                (here if r.status == 200 else there).append(cookie)
        except urllib.error.HTTPError as exc:
            (there if exc.code == 404 else []).append(cookie)
        if len(here) >= 1 and len(there) >= 2:
            return here, there
    raise AssertionError(f"64 cookies found {len(here)} routes to one replica and {len(there)} to the other")


def training_now(d) -> dict[str, tuple[str, int]]:
    """The runs whose Ray worker trains now: token -> (node: "head" | "b", step). A run Ray holds but has not
    placed (no CPU free) has no process yet and does not answer; nor does one whose node is gone. A worker that
    answers but does not train (its Trainer not started yet, or ended and about to be freed) is left out."""
    import ray

    from gan_core.ray_names import namespace

    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["namespace"] == namespace()]
    on_b, on_head = d.workers[0].descendants(), d.head.descendants()
    refs = {}
    for name in names:
        try:
            refs[name] = ray.get_actor(name, namespace=namespace()).poll.remote(10**9, 10**9, 10**9)
        except Exception:  # noqa: BLE001 - gone between the listing and the lookup
            continue
    # All polls at once, one bounded wait: an actor not placed yet never answers, and waiting for each in turn
    # (5 s apiece) made looks 11 s apart under load, longer than the window this test looks for.
    answered, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=5) if refs else ([], [])
    out = {}
    for name, ref in refs.items():
        if ref not in answered:
            continue
        try:
            reply = ray.get(ref, timeout=1)
        except Exception:  # noqa: BLE001 - its node went
            continue
        if reply["ended"] or reply["status"] != "running":
            continue
        node = "b" if reply["pid"] in on_b else "head" if reply["pid"] in on_head else f"pid {reply['pid']}?"
        out[name.removeprefix("run-")] = (node, reply["step"])
    return out


def test_a_class_on_two_ray_nodes_loses_one_node_mid_run_and_keeps_every_run(tmp_path, browser):
    t0 = time.monotonic()
    with deployed(tmp_path, head_cpus=1, worker_nodes=('{"lab_b": 1}',), name="two-nodes") as d:
        import ray

        from gan_core import load_checkpoint_bytes
        from gan_core.ray_cluster import connect
        from gan_core.ray_names import snapshot_path

        connect(d.proxy.ray_address)
        wait_for(lambda: ray.cluster_resources().get("CPU", 0) >= 2, 60, what="both nodes' CPUs")
        assert ray.cluster_resources().get("lab_b") == 1, "the second node is in the cluster"

        ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        thread = None
        try:
            page = open_page(ctx, d.proxy.url + "/", DIGIT)
            page.get_by_role("tab", name="Gallery", exact=True).click()  # its grid is a file of this replica only
            grid = page.locator('[data-testid="stImage"] img[src*="/media/"]').first  # (the digit rides inline)
            grid.wait_for(timeout=120_000)
            here, there = routes(d.proxy.url, grid.get_attribute("src"))
            # The protocol students over both replicas: one beside the browser, two on the other replica.
            students, release, thread = protocol_students(d.proxy.url, here[:1] + there[:2], DEADLINE / 2)
            page.goto(d.proxy.url + "/train")
            wait_idle(page, START, timeout=120)
            page.get_by_role("radio", name=BUDGET, exact=True).click()
            wait_idle(page)
            for s in students:
                assert s.ready.wait(240), f"{s.name} never reached the Train page: {s.error}"
            release()  # four students press Start at about the same moment
            click_button(page, "Start")
            for s in students:
                assert s.started.wait(120), f"{s.name} could not start: {s.error}"
            page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)

            def page_end() -> str | None:
                found = ENDED.search(page.locator('[data-testid="stMain"]').inner_text())
                return found.group(0) if found else None

            def unended() -> int:
                return sum(s.end is None and s.error is None for s in students) + (page_end() is None)

            # Two nodes: two runs at once, one on each, while the others wait. The second node's run is stopped
            # once it has kept a snapshot (its file) and its replica has had a few 1 s weight pulls since.
            kept_since: dict[str, float] = {}
            writers: set[int] = set()  # pids of the replicas that journaled a run (one journal, both replicas)

            def note_writers() -> None:
                try:
                    running = json.loads((d.runs / "journal.json").read_text())["running"]
                except (OSError, ValueError):
                    return
                writers.update(int(e["writer"].split("|")[1]) for e in running.values())

            samples: list = []  # what each look saw, for the message when it never holds

            def two_at_once():
                note_writers()
                now = training_now(d)
                samples.append(
                    (round(time.monotonic() - t0), now, unended(), sorted(p.name for p in d.runs.glob("ray-*")))
                )
                nodes = sorted(node for node, _step in now.values())
                b = [t for t, (node, step) in now.items() if node == "b" and step >= 10]
                if nodes != ["b", "head"] or not b or unended() < 3 or not snapshot_path(d.runs, b[0]).exists():
                    return None
                if time.monotonic() - kept_since.setdefault(b[0], time.monotonic()) < 3.0:
                    return None
                return now, b[0]

            try:
                before, lost = wait_for(two_at_once, 240, interval=1.0, what="two runs training, one on each node")
            except AssertionError as exc:
                (ARTIFACTS / "e2e-two-nodes-looks.txt").write_text(
                    "\n".join(map(repr, samples)) + f"\nends: {[(s.name, s.end, s.error) for s in students]}\n"
                )
                busy = [look for look in samples if look[1]]
                raise AssertionError(f"{exc}; looks with runs answering: {busy[:4]} ... {busy[-4:]}") from None
            page.screenshot(path=str(ARTIFACTS / "e2e-two-nodes-before.png"))

            d.workers[0].kill()  # the second machine leaves: its raylet and its workers, nothing of the head
            after = []  # (runs training, runs not ended, which) while the head alone trains

            def all_ended() -> bool:
                note_writers()
                now = training_now(d)
                after.append((len(now), unended(), sorted(now)))
                return unended() == 0 or any(s.error for s in students)

            wait_for(all_ended, DEADLINE / 2, interval=1.0, what="every run to end")
            assert time.monotonic() - t0 < DEADLINE, "within the test's deadline"
            assert not [s.error for s in students if s.error], [s.error for s in students]
            ends = [s.end for s in students] + [page_end()]

            # Every run finished or was interrupted with its step; the lost node's run is the interrupted one.
            assert all(e is not None and ENDED.fullmatch(e) for e in ends), ends
            interrupted = [int(m.group(1).replace(",", "")) for m in map(ENDED.fullmatch, ends) if m.group(1)]
            assert len(interrupted) >= 1, f"the run on the stopped node says where it stopped: {ends}"
            assert all(n >= 10 for n in interrupted), ends
            assert ends.count("Reached the time budget") >= 1, ends
            # ... and one node trains half as many at once: never the same two runs training in two looks in a row
            # after the loss (one look's polls wait up to 5 s, so a run that ends and the next one that starts can
            # both answer within one look: a hand-over, not two at once), one while others wait.
            together = [a for a, b in zip(after, after[1:]) if a[0] >= 2 and set(a[2]) & set(b[2]) == set(a[2])]
            assert not together, after
            assert any(n == 1 and waiting >= 2 for n, waiting, _ in after), after

            assert writers == {r.proc.pid for r in d.replicas}, "both replicas trained runs, in one journal"

            # Weights kept: every page offers its file; Chromium's opens as a G that draws digits.
            assert all(s.downloadable for s in students), [(s.name, s.end) for s in students]
            assert not [e for s in students for e in s.exceptions], [s.exceptions for s in students]
            no_exception(page)
            with page.expect_download(timeout=60_000) as dl:
                page.get_by_role("button", name=DOWNLOAD).first.click()
            ckpt = load_checkpoint_bytes(open(dl.value.path(), "rb").read(), source="download")
            _draws(ckpt)
            page.screenshot(path=str(ARTIFACTS / "e2e-two-nodes-after.png"), full_page=True)

            # ... and on the server's shelf, each tab's run (the interrupted one with its N steps).
            shelved = sorted((d.runs / "saved").glob("*/*.safetensors"))
            assert len({p.parent.name for p in shelved}) == len(students) + 1, shelved
            for n in interrupted:
                assert [p for p in shelved if p.name.endswith(f"-{n}steps.safetensors")], (n, shelved)
            for p in shelved:
                _draws(load_checkpoint_bytes(p.read_bytes(), source=p.name))
            assert not snapshot_path(d.runs, lost).exists(), "the lost run's fault file goes once it is shelved"
            print(f"\ntwo-node e2e: {time.monotonic() - t0:.0f} s; at the loss {before}; ends {ends}")
        finally:
            ctx.close()
            if thread is not None:
                thread.join(30)


def _draws(ckpt) -> None:
    """The checkpoint's G draws four digits (labels 0-3 when it is conditional): pixels, not all one value."""
    import torch

    from gan_core.sampling import generate, sample_z

    labels = torch.arange(4) if getattr(ckpt.G, "conditional", False) else None
    pixels = generate(ckpt.G, sample_z(4, ckpt.G.latent_dim, seed=0), labels)
    assert pixels.shape == (4, 28, 28)
    assert pixels.float().std() > 0
