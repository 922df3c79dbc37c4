"""End-to-end scenario through the generated Python bindings (the same one as the Kotlin
and Swift tests): a worker reports a case with a photo, it goes round the whole loop, and
refusals come back as typed errors; a patrol is recorded; a worker and a supervisor sync
through the reference server (`gridwork serve` on loopback, started by
bindings/tests/foreign.rs), the worker through an HttpTransport written here on urllib.
Run by .ci/run-binding-tests.sh with the generated gridwork.py importable,
GRIDWORK_DATA_DIR pointing at the repo's data/ folder and GRIDWORK_SERVER_URL and the
GRIDWORK_{WORKER,SUPERVISOR}_{USER,PASSWORD,TOKEN_PYTHON} credentials set."""

import math
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

import gridwork as g

DATA = os.environ.get("GRIDWORK_DATA_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "data")
LAT, LON = 31.3005, 120.6005  # inside the K city sample grid
CELL = "32050800200401"       # the cell holding that point
SERVER = os.environ.get("GRIDWORK_SERVER_URL")


def read(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return f.read()


def jpeg(folder, tag):
    """A file the core accepts as a JPEG (it checks the magic bytes only)."""
    path = os.path.join(folder, tag + ".jpg")
    with open(path, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + tag.encode())
    return path


class Recorder(g.StoreObserver):
    """An observer implemented in Python, called from Rust after each write."""

    def __init__(self):
        self.calls = []

    def on_cases_changed(self, case_ids):
        self.calls.append(list(case_ids))


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is a response for the engine, never followed


class UrllibTransport(g.HttpTransport):
    """The sync engine's HTTP exchanges through Python's own urllib: what a shell does
    with OkHttp or URLSession. When `gate` is set, the next push waits for it to be
    released or aborted (to cancel a run from another thread while it is inside the
    transport: the engine then calls `abort`, which fails the waiting exchange as a
    dropped connection would)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirects)
        self.requests = []
        self.gate = None
        self.waiting = None
        self.aborts = 0

    def send(self, request):
        self.requests.append((request.method, request.url))
        if self.gate and request.method == "POST" and request.url.endswith("/v1/events"):
            entered, release = self.gate
            self.gate = None
            aborted = threading.Event()
            self.waiting = (release, aborted)
            entered.set()
            release.wait(30)
            self.waiting = None
            if aborted.is_set():
                raise g.TransportFailure.Interrupted(reason="aborted")
        body = bytes(request.body) if request.method in ("POST", "PUT") else None
        req = urllib.request.Request(request.url, data=body, method=request.method)
        for h in request.headers:
            req.add_header(h.name, h.value)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return self.response(resp.status, resp.getheaders(), resp.read())
        except urllib.error.HTTPError as e:  # 4xx/5xx are responses too
            return self.response(e.code, e.headers.items(), e.read())
        except (socket.timeout, TimeoutError) as e:
            raise g.TransportFailure.Timeout(reason=str(e))
        except urllib.error.URLError as e:
            raise g.TransportFailure.Connect(reason=str(e.reason))
        except (ConnectionError, OSError) as e:
            raise g.TransportFailure.Interrupted(reason=str(e))

    def abort(self):
        self.aborts += 1
        waiting = self.waiting
        if waiting:
            release, aborted = waiting
            aborted.set()
            release.set()

    @staticmethod
    def response(status, headers, body):
        return g.HttpResponse(status=status,
                              headers=[g.HttpHeader(name=k, value=v) for k, v in headers],
                              body=body)


class Progress(g.SyncProgressListener):
    """A progress listener implemented in Python, called from the Rust sync thread."""

    def __init__(self):
        self.updates = []

    def on_progress(self, progress):
        self.updates.append(progress)


def walk(t0_ms, n, lat0=31.2995):
    """n fixes one second apart walking north at about 1.1 m/s through CELL."""
    return [g.GpsFix(time_ms=t0_ms + i * 1000, lat=lat0 + i * 0.00001, lon=LON,
                     accuracy_m=5.0, speed_mps=1.1, bearing_deg=0.0,
                     provider=g.FixProvider.GPS)
            for i in range(n)]


class Scenario(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gridwork-py-")
        self.store = g.GridworkStore.open(os.path.join(self.dir, "store"))
        self.store.init("li", g.Role.WORKER)
        self.assertEqual(self.store.import_grid(read("kcity-grid.geojson")), 60)
        self.assertGreater(self.store.import_catalog(read("kcity-catalog.json")), 0)

    def tearDown(self):
        del self.store  # drops the Rust object (closes the database)
        shutil.rmtree(self.dir, ignore_errors=True)

    def draft(self, **kw):
        args = dict(category="06010", lat=LAT, lon=LON, description="暴露垃圾 by the canal",
                    urgency=g.Urgency.NORMAL)
        args.update(kw)
        return g.ReportDraft(**args)

    def test_a_case_goes_round_the_whole_loop(self):
        identity = self.store.identity()
        self.assertEqual((identity.user, identity.role), ("li", g.Role.WORKER))
        # The core made the device id: a random UUID v4, kept by a later init.
        self.assertEqual(uuid.UUID(identity.device_id).version, 4)
        self.assertEqual(self.store.init("li", g.Role.WORKER).device_id, identity.device_id)
        rubbish = [c for c in self.store.categories() if c.code == "06010"]
        self.assertEqual(len(rubbish), 1)
        department = rubbish[0].department
        self.assertIn(department, [d.id for d in self.store.departments()])

        observer = Recorder()
        token = self.store.add_observer(observer)

        case_id = self.store.report(self.draft(photos=[jpeg(self.dir, "before")]))
        self.assertEqual(observer.calls, [[case_id]])

        page = self.store.list(g.CaseFilter(), None, 50)
        self.assertEqual([c.id for c in page.items], [case_id])
        self.assertIsNone(page.next)
        row = page.items[0]
        self.assertEqual(row.status, g.Status.REPORTED)
        self.assertTrue(row.cell.startswith("320508"))
        self.assertFalse(row.overdue)

        # A worker may never register: a typed refusal, nothing written.
        with self.assertRaises(g.GridworkError.NotPermitted) as refused:
            self.store.act(case_id, g.ActionRequest(kind=g.ActionKind.REGISTER))
        self.assertIn("worker", str(refused.exception))

        act = self.store.act
        act(case_id, g.ActionRequest(kind=g.ActionKind.REGISTER, as_role=g.Role.SUPERVISOR))
        dispatched = act(case_id, g.ActionRequest(kind=g.ActionKind.DISPATCH,
                                                  department=department,
                                                  as_role=g.Role.SUPERVISOR))
        self.assertEqual(dispatched.status, g.Status.DISPATCHED)
        self.assertIsNotNone(dispatched.deadline_ms)
        act(case_id, g.ActionRequest(kind=g.ActionKind.HANDLE, note="cleared",
                                     photos=[jpeg(self.dir, "after")],
                                     as_role=g.Role.HANDLER))
        act(case_id, g.ActionRequest(kind=g.ActionKind.VERIFY_PASS))
        closed = act(case_id, g.ActionRequest(kind=g.ActionKind.CLOSE,
                                              as_role=g.Role.SUPERVISOR))

        self.assertEqual(closed.status, g.Status.CLOSED)
        self.assertEqual(closed.resolution, g.Resolution.CLOSED)
        self.assertEqual(closed.department, department)
        self.assertEqual([t.kind for t in closed.timeline], [
            "incident.reported", "incident.registered", "incident.dispatched",
            "incident.handled", "incident.verified", "incident.closed"])
        self.assertEqual([t.actor.role for t in closed.timeline], [
            g.Role.WORKER, g.Role.SUPERVISOR, g.Role.SUPERVISOR, g.Role.HANDLER,
            g.Role.WORKER, g.Role.SUPERVISOR])
        self.assertTrue(all(t.sync == g.SyncState.PENDING() for t in closed.timeline))
        self.assertEqual(len(closed.photos), 2)
        self.assertTrue(all(os.path.isfile(p.path) for p in closed.photos))
        self.assertEqual(self.store.show(case_id), closed)

        counts = {c.status: c.count for c in self.store.counts(g.CaseFilter())}
        self.assertEqual(counts[g.Status.CLOSED], 1)
        self.assertEqual(counts[g.Status.REPORTED], 0)
        self.assertTrue(self.store.verify_log().intact)

        self.assertEqual(observer.calls, [[case_id]] * 6)
        self.assertTrue(self.store.remove_observer(token))
        self.assertFalse(self.store.remove_observer(token))
        self.store.report(self.draft())
        self.assertEqual(len(observer.calls), 6)

    def test_bad_input_is_refused_with_a_typed_error_and_nothing_is_written(self):
        with self.assertRaises(g.GridworkError.InvalidInput) as bad:
            self.store.report(self.draft(lat=math.nan))
        self.assertIn("lat", str(bad.exception))
        with self.assertRaises(g.GridworkError.UnknownCategory):
            self.store.report(self.draft(category="99999"))
        with self.assertRaises(g.GridworkError.Photo):
            self.store.report(self.draft(photos=[os.path.join(self.dir, "missing.jpg")]))
        self.assertEqual(self.store.list(g.CaseFilter(), None, 50).items, [])
        with self.assertRaises(g.GridworkError.InvalidInput):
            self.store.show("not-a-case-id")
        with self.assertRaises(g.GridworkError.NotFound):
            self.store.show("0190a4e1-0000-7000-8000-000000000000")
        # An encrypted store: no readable header on disk, refused without or with a wrong key.
        enc = os.path.join(self.dir, "enc")
        g.GridworkStore.open(enc, "secret").init("li", g.Role.WORKER)
        with open(os.path.join(enc, "gridwork.db"), "rb") as f:
            self.assertNotEqual(f.read(15), b"SQLite format 3")
        for wrong in [None, "wrong"]:
            with self.assertRaises(g.GridworkError.StoreUnavailable):
                g.GridworkStore.open(enc, wrong)
        self.assertEqual(g.GridworkStore.open(enc, "secret").identity().user, "li")
        # A raw 256-bit key, as the shells keep in the Keystore / Keychain; a malformed
        # raw key is bad input, and the store folder is not created for it.
        raw = "x'" + os.urandom(32).hex() + "'"
        enc_raw = os.path.join(self.dir, "enc-raw")
        with self.assertRaises(g.GridworkError.InvalidInput):
            g.GridworkStore.open(enc_raw, raw[:-2] + "'")
        self.assertFalse(os.path.exists(enc_raw))
        g.GridworkStore.open(enc_raw, raw).init("li", g.Role.WORKER)
        with self.assertRaises(g.GridworkError.StoreUnavailable):
            g.GridworkStore.open(enc_raw, raw[2:-1])  # the same digits as a passphrase
        self.assertEqual(g.GridworkStore.open(enc_raw, raw).identity().user, "li")

    def test_a_patrol_is_recorded_in_batches_and_shows_its_figures(self):
        with self.assertRaises(g.GridworkError.InvalidInput):
            self.store.start_patrol(["nowhere"])
        patrol = self.store.start_patrol([CELL])
        self.assertEqual(self.store.open_patrol(), patrol)
        fixes = walk(int(time.time() * 1000) - 100_000, 100)
        reports = [self.store.add_fixes(patrol, fixes[i:i + 10]) for i in range(0, 100, 10)]
        self.assertEqual(sum(r.stored for r in reports), 100)
        with self.assertRaises(g.GridworkError.InvalidInput):
            self.store.add_fixes(patrol, [g.GpsFix(time_ms=fixes[-1].time_ms + 1000,
                                                   lat=91.0, lon=LON, accuracy_m=5.0,
                                                   provider=g.FixProvider.GPS)])
        self.store.check_in(patrol, 31.3, LON, "shop 12", jpeg(self.dir, "door"))
        case_id = self.store.report(self.draft(patrol_id=patrol))
        self.store.pause_patrol(patrol)
        with self.assertRaises(g.GridworkError.Workflow):
            self.store.add_fixes(patrol, walk(fixes[-1].time_ms + 1000, 1))
        self.store.resume_patrol(patrol)
        self.store.finish_patrol(patrol)
        self.assertIsNone(self.store.open_patrol())

        detail = self.store.patrol(patrol)
        self.assertEqual(detail.status, g.PatrolStatus.FINISHED)
        self.assertEqual(detail.cells, [CELL])
        self.assertEqual(detail.stats.fix_count, 100)
        self.assertTrue(100 <= detail.stats.distance_m < 120, detail.stats.distance_m)
        self.assertTrue(1.0 < detail.stats.mean_speed_mps < 1.3, detail.stats.mean_speed_mps)
        self.assertEqual(detail.integrity.verdict, g.Verdict.TRUSTED)
        self.assertEqual([c.cell_id for c in detail.coverage], [CELL])
        self.assertGreater(detail.coverage[0].covered_share, 0.0)
        self.assertEqual([c.note for c in detail.check_ins], ["shop 12"])
        self.assertTrue(os.path.isfile(detail.check_ins[0].photo.path))
        self.assertEqual(detail.incidents, [case_id])
        self.assertEqual([p.id for p in self.store.patrols()], [patrol])
        self.assertIn("<trkpt", self.store.export_patrol(patrol, g.PatrolExportFormat.GPX))


@unittest.skipUnless(SERVER, "GRIDWORK_SERVER_URL not set (run through bindings/tests/foreign.rs)")
class SyncAgainstTheReferenceServer(unittest.TestCase):
    """A worker (urllib transport, password sign-in) and a supervisor (built-in transport,
    token sign-in) on devices of their own sync through the real server."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gridwork-py-sync-")
        env = os.environ
        self.worker = self.device(env["GRIDWORK_WORKER_USER"], g.Role.WORKER)
        self.boss = self.device(env["GRIDWORK_SUPERVISOR_USER"], g.Role.SUPERVISOR)
        self.transport = UrllibTransport()
        self.worker_sync = g.GridworkSync(self.worker, self.transport)
        self.boss_sync = g.GridworkSync(self.boss)  # the built-in transport

    def tearDown(self):
        del self.worker_sync, self.boss_sync, self.worker, self.boss
        shutil.rmtree(self.dir, ignore_errors=True)

    def device(self, user, role):
        store = g.GridworkStore.open(os.path.join(self.dir, f"py-{user}-{uuid.uuid4().hex[:8]}"))
        store.init(user, role)
        store.import_grid(read("kcity-grid.geojson"))
        store.import_catalog(read("kcity-catalog.json"))
        return store

    def test_a_worker_report_reaches_the_supervisor_and_back(self):
        env = os.environ
        self.assertEqual(self.worker_sync.status().state, g.EngineState.NOT_SIGNED_IN)
        with self.assertRaises(g.GridworkError.SignInRequired):
            self.worker_sync.login_with_token(SERVER, "not-a-token")
        signed = self.worker_sync.login_with_password(SERVER, env["GRIDWORK_WORKER_USER"],
                                                      env["GRIDWORK_WORKER_PASSWORD"])
        self.assertEqual(signed.role, g.Role.WORKER)
        self.boss_sync.login_with_token(SERVER, env["GRIDWORK_SUPERVISOR_TOKEN_PYTHON"])

        # The worker patrols and reports with a photo, offline, then syncs.
        patrol = self.worker.start_patrol([CELL])
        self.worker.add_fixes(patrol, walk(int(time.time() * 1000) - 30_000, 30))
        case_id = self.worker.report(g.ReportDraft(
            category="06010", lat=LAT, lon=LON, description="bin overflowing (python)",
            urgency=g.Urgency.NORMAL, photos=[jpeg(self.dir, "bin")], patrol_id=patrol))
        self.worker.finish_patrol(patrol)
        status = self.worker_sync.status()
        self.assertTrue(status.due)
        self.assertGreaterEqual(status.pending_events, 3)
        self.assertEqual(status.pending_photos, 1)

        progress = Progress()
        report = self.worker_sync.run(progress)
        self.assertEqual(report.state, g.EngineState.SYNCED, report.error)
        self.assertEqual((report.pushed, report.rejected), (status.pending_events, 0))
        self.assertEqual(report.uploaded_photos, 1)
        phases = [p.phase for p in progress.updates]
        self.assertEqual(sorted(set(phases), key=phases.index),
                         [g.SyncPhase.PUSH, g.SyncPhase.UPLOAD, g.SyncPhase.PULL])
        self.assertEqual(progress.updates[0].total, status.pending_events)
        methods = {m for m, _ in self.transport.requests}
        self.assertTrue({"GET", "POST", "HEAD", "PUT"} <= methods, methods)
        self.assertEqual(self.worker_sync.status().pending_events, 0)
        self.assertTrue(all(t.sync == g.SyncState.SYNCED()
                            for t in self.worker.show(case_id).timeline))

        # The supervisor pulls it (its observer hears of it), registers it, pushes.
        seen = Recorder()
        self.boss.add_observer(seen)
        boss_progress = Progress()
        report = self.boss_sync.run(boss_progress)
        self.assertEqual(report.state, g.EngineState.SYNCED, report.error)
        self.assertIn(case_id, report.changed_cases)
        self.assertTrue(any(case_id in ids for ids in seen.calls))
        self.assertTrue(any(p.phase == g.SyncPhase.PULL for p in boss_progress.updates))
        self.assertEqual(self.boss.show(case_id).status, g.Status.REPORTED)
        self.boss.act(case_id, g.ActionRequest(kind=g.ActionKind.REGISTER))
        self.assertEqual(self.boss_sync.run(None).pushed, 1)

        # The worker pulls the registration.
        mine = Recorder()
        self.worker.add_observer(mine)
        report = self.worker_sync.run(None)
        self.assertEqual(report.changed_cases, [case_id])
        self.assertEqual(mine.calls, [[case_id]])
        self.assertEqual(self.worker.show(case_id).status, g.Status.REGISTERED)

        # A run blocked inside the transport is cancelled from this thread.
        self.worker.report(self.draft_text("cancelled mid-run"))
        entered, release = threading.Event(), threading.Event()
        self.transport.gate = (entered, release)
        result = {}
        runner = threading.Thread(target=lambda: result.update(r=self.worker_sync.run(None)))
        runner.start()
        self.assertTrue(entered.wait(30))
        self.worker_sync.cancel()
        runner.join(60)  # no release: the cancel aborts the exchange through the transport
        self.assertEqual(self.transport.aborts, 1)
        self.assertEqual(result["r"].state, g.EngineState.CANCELLED)
        self.assertEqual(result["r"].pushed, 0)
        self.worker_sync.cancel()  # idle: nothing to abort, the next run is not affected
        self.assertEqual(self.transport.aborts, 1)
        self.assertEqual(self.worker_sync.status().state, g.EngineState.CANCELLED)
        self.assertEqual(self.worker_sync.run(None).state, g.EngineState.SYNCED)

        self.worker_sync.logout()
        self.assertFalse(self.worker_sync.status().signed_in)

    @staticmethod
    def draft_text(text):
        return g.ReportDraft(category="06010", lat=LAT, lon=LON, description=text,
                             urgency=g.Urgency.NORMAL)


class PatrolLog(g.PatrolObserver):
    def __init__(self):
        self.calls = []

    def on_patrol_changed(self, patrol_id, change):
        self.calls.append((patrol_id, change))


class StatusLog(g.SyncStatusObserver):
    def __init__(self):
        self.calls = []

    def on_sync_status(self, status, running):
        self.calls.append((status.state, running))


class Refusing(UrllibTransport):
    """The real server, until `refuse` is set: then every request is answered 401, as a
    server answers a token that expired or was revoked."""

    def __init__(self):
        super().__init__()
        self.refuse = False

    def send(self, request):
        if self.refuse:
            body = b'{"error":{"code":"unauthorized","message":"token revoked"}}'
            return UrllibTransport.response(401, [("Content-Type", "application/json"),
                                                  ("Gridwork-Protocol", "1")], body)
        return super().send(request)


class PhoneApi(unittest.TestCase):
    """The phone API (docs/mobile.md, "Phone API"): actions from the workflow rules, typed
    timeline entries, the grid, datums, my cases, observers and errors with codes."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gridwork-py-phone-")
        self.store = g.GridworkStore.open(os.path.join(self.dir, "store"))
        self.store.init("li", g.Role.WORKER)
        self.store.import_grid(read("kcity-grid.geojson"))
        self.store.import_catalog(read("kcity-catalog.json"))

    def tearDown(self):
        del self.store
        shutil.rmtree(self.dir, ignore_errors=True)

    def report(self, text="暴露垃圾", **kw):
        return self.store.report(g.ReportDraft(category="06010", lat=LAT, lon=LON,
                                               description=text, urgency=g.Urgency.NORMAL, **kw))

    def test_available_actions_come_from_the_workflow_and_can_be_taken(self):
        case_id = self.report(photos=[jpeg(self.dir, "before")])
        actions = self.store.available_actions(case_id)
        # A worker may only fix a fresh report on the spot, with an after photo.
        self.assertEqual([a.kind for a in actions], [g.ActionKind.SELF_RESOLVE])
        self.assertEqual(actions[0].inputs.photos, g.InputNeed.REQUIRED)
        self.assertEqual(actions[0].inputs.department, g.InputNeed.NO)
        with self.assertRaises(g.GridworkError.Workflow) as missing:
            self.store.act(case_id, g.ActionRequest(kind=g.ActionKind.SELF_RESOLVE))
        self.assertEqual((missing.exception.code, missing.exception.field),
                         ("missing_photo", "photos"))
        done = self.store.act(case_id, g.ActionRequest(kind=g.ActionKind.SELF_RESOLVE,
                                                       note="swept",
                                                       photos=[jpeg(self.dir, "after")]))
        self.assertEqual(done.status, g.Status.CLOSED)
        self.assertEqual(self.store.available_actions(case_id), [])

        # Typed timeline entries: no JSON to read.
        reported, resolved = [t.event for t in done.timeline]
        self.assertIsInstance(reported, g.CaseEvent.REPORTED)
        self.assertEqual(reported.description, "暴露垃圾")
        self.assertEqual(reported.cell, CELL)
        self.assertTrue(os.path.isfile(reported.photos[0].path))
        self.assertIsInstance(resolved, g.CaseEvent.SELF_RESOLVED)
        self.assertEqual(resolved.note, "swept")
        self.assertEqual(len(resolved.photos), 1)

    def test_errors_carry_a_stable_code_and_the_field(self):
        with self.assertRaises(g.GridworkError.InvalidInput) as bad:
            self.report(text="  ")
        self.assertEqual((bad.exception.code, bad.exception.field), ("invalid_input", "description"))
        self.assertIn("description", bad.exception.detail)
        with self.assertRaises(g.GridworkError.InvalidInput) as nan:
            self.store.cell_at(math.nan, LON)
        self.assertEqual((nan.exception.code, nan.exception.field), ("invalid_coordinate", "lat"))
        case_id = self.report()
        with self.assertRaises(g.GridworkError.NotPermitted) as refused:
            self.store.act(case_id, g.ActionRequest(kind=g.ActionKind.REGISTER))
        self.assertEqual(refused.exception.code, "not_permitted")
        with self.assertRaises(g.GridworkError.Workflow) as reason:
            self.store.act(case_id, g.ActionRequest(kind=g.ActionKind.CANCEL,
                                                    as_role=g.Role.SUPERVISOR))
        self.assertEqual((reason.exception.code, reason.exception.field), ("missing_reason", "note"))
        with self.assertRaises(g.GridworkError.UnknownCategory) as unknown:
            self.store.report(g.ReportDraft(category="99999", lat=LAT, lon=LON,
                                            description="x", urgency=g.Urgency.NORMAL))
        self.assertEqual((unknown.exception.code, unknown.exception.field),
                         ("unknown_category", "category"))

    def test_the_grid_for_a_map_and_a_cell_picker(self):
        cells = self.store.cells()
        self.assertEqual(len(cells), 60)
        here = self.store.cell_at(LAT, LON)
        self.assertEqual(here.code, CELL)
        outer = here.rings[0]
        self.assertGreaterEqual(len(outer), 4)
        self.assertEqual(outer[0], outer[-1], "rings are closed")
        self.assertGreater(here.area_m2, 0)
        self.assertIsNone(self.store.cell_at(0.0, 0.0))
        # Before any sign-in the device knows no scope: no cells are "mine".
        self.assertIsNone(self.store.scope())
        self.assertEqual(self.store.my_cells(), [])
        self.assertEqual(self.store.verification_tasks(), [])

    def test_datums_for_chinese_base_maps(self):
        p = g.GeoPoint(lat=LAT, lon=LON)
        gcj = g.wgs84_to_gcj02(p)
        # GCJ-02 shifts Suzhou by a few hundred metres.
        self.assertGreater(abs(gcj.lat - LAT) + abs(gcj.lon - LON), 0.001)
        back = g.gcj02_to_wgs84(gcj)
        self.assertAlmostEqual(back.lat, LAT, places=6)
        self.assertAlmostEqual(back.lon, LON, places=6)
        bd = g.wgs84_to_bd09(p)
        self.assertNotEqual(bd, gcj)
        self.assertAlmostEqual(g.bd09_to_wgs84(bd).lat, LAT, places=6)
        self.assertAlmostEqual(g.bd09_to_gcj02(g.gcj02_to_bd09(gcj)).lon, gcj.lon, places=6)
        outside = g.GeoPoint(lat=48.85, lon=2.35)
        self.assertEqual(g.wgs84_to_gcj02(outside), outside)

    def test_my_cases_are_paged(self):
        ids = [self.report(f"case {n}") for n in range(5)]
        seen, after = [], None
        while True:
            page = self.store.my_cases(after, 2)
            self.assertLessEqual(len(page.items), 2)
            seen += [c.id for c in page.items]
            if page.next is None:
                break
            after = page.next
        self.assertEqual(sorted(seen), sorted(ids))
        self.assertEqual(len(seen), 5)

    def test_patrol_observers_hear_each_change(self):
        log = PatrolLog()
        token = self.store.add_patrol_observer(log)
        patrol = self.store.start_patrol([CELL])
        self.store.add_fixes(patrol, walk(int(time.time() * 1000) - 10_000, 10))
        self.store.pause_patrol(patrol)
        self.store.resume_patrol(patrol)
        self.store.check_in(patrol, LAT, LON, "gate", None)
        self.store.finish_patrol(patrol)
        self.assertEqual(log.calls, [(patrol, c) for c in [
            g.PatrolChange.STARTED, g.PatrolChange.FIXES_ADDED, g.PatrolChange.PAUSED,
            g.PatrolChange.RESUMED, g.PatrolChange.CHECKED_IN, g.PatrolChange.FINISHED]])
        self.assertTrue(self.store.remove_patrol_observer(token))

    @unittest.skipUnless(SERVER, "GRIDWORK_SERVER_URL not set")
    def test_sign_in_first_my_cells_and_sync_status_with_sign_in_required(self):
        env = os.environ
        store = g.GridworkStore.open(os.path.join(self.dir, "fresh"))
        transport = Refusing()
        sync = g.GridworkSync(store, transport)
        log = StatusLog()
        sync.add_status_observer(log)
        self.assertEqual(log.calls, [(g.EngineState.NOT_SIGNED_IN, False)])
        self.assertIsNone(store.identity())
        # Sign in first: the fresh store takes the account as its user.
        sync.login_with_password(SERVER, env["GRIDWORK_WORKER_USER"], env["GRIDWORK_WORKER_PASSWORD"])
        self.assertEqual(store.identity().user, env["GRIDWORK_WORKER_USER"])
        self.assertEqual(log.calls[-1], (g.EngineState.IDLE, False))
        self.assertEqual(store.scope(), ["320508002"])
        # The reference data comes with the first run: no bundled city.
        report = sync.run(None)
        self.assertEqual(report.state, g.EngineState.SYNCED, report.error)
        self.assertEqual(log.calls[-2:], [(g.EngineState.IDLE, True), (g.EngineState.SYNCED, False)])
        mine = store.my_cells()
        self.assertTrue(mine and all(c.code.startswith("320508002") for c in mine))
        self.assertLess(len(mine), len(store.cells()))
        # A push-only run (a report, nothing to pull) is heard too.
        store.report(g.ReportDraft(category="06010", lat=LAT, lon=LON, description="push only",
                                   urgency=g.Urgency.NORMAL))
        before = len(log.calls)
        self.assertEqual(sync.run(None).pushed, 1)
        self.assertEqual([r for _, r in log.calls[before:]], [True, False])
        # The token is revoked: a distinct state, not a network failure.
        transport.refuse = True
        report = sync.run(None)
        self.assertEqual(report.state, g.EngineState.SIGN_IN_REQUIRED)
        self.assertEqual(log.calls[-1], (g.EngineState.SIGN_IN_REQUIRED, False))
        self.assertEqual(sync.status().state, g.EngineState.SIGN_IN_REQUIRED)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"python: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or not result.wasSuccessful() else 0)
