"""End-to-end scenario through the generated Python bindings (the same one as the Kotlin
and Swift tests): a worker reports a case with a photo, it goes round the whole loop, and
refusals come back as typed errors. Run by .ci/run-binding-tests.sh with the generated
gridwork.py importable and GRIDWORK_DATA_DIR pointing at the repo's data/ folder."""

import math
import os
import shutil
import sys
import tempfile
import unittest

import gridwork as g

DATA = os.environ.get("GRIDWORK_DATA_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "data")
LAT, LON = 31.3005, 120.6005  # inside the K city sample grid


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


class Scenario(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="gridwork-py-")
        self.store = g.GridworkStore.open(os.path.join(self.dir, "store"))
        self.store.init("li", g.Role.WORKER, "phone-1")
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
        self.assertEqual((identity.user, identity.role, identity.device_id),
                         ("li", g.Role.WORKER, "phone-1"))
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
        with self.assertRaises(g.GridworkError.EncryptionUnavailable):
            g.GridworkStore.open(os.path.join(self.dir, "enc"), "secret")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"python: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or not result.wasSuccessful() else 0)
