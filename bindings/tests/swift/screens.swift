// The iOS kit's screen state holders (ios-shell/Sources/GridworkKit/*Model.swift) against the
// reference server, asserting what a user would see on each screen: sign-in (checks, a wrong
// password, the account taken), the catalogue search and a report with two photos, my cases
// and my area's cases paged, a supervisor's case screen with photos (thumbnail, then full
// size) and actions (one refused with the core's reason), a conflict between two tablets, a
// step the server refused, a patrol with check-in and live figures (taken up at "launch"),
// the map in both datums, sync with progress, a run cancelled in flight, sign-in required
// and back, and sign-out keeping unsynced work. One worker store is shared by the steps.
import Foundation
#if canImport(GridworkKit)
import GridworkKit
#endif
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The worker's transport: the kit's URLSessionTransport, which can be told to answer 401
/// (a revoked token) or to send the next pull to a server that never answers.
final class ScreenTransport: HttpTransport, @unchecked Sendable {
    let inner = URLSessionTransport()
    let server: String
    private let lock = NSLock()
    private var revoked = false
    private var hole: String?
    init(server: String) { self.server = server }
    func revoke(_ on: Bool) { lock.lock(); revoked = on; lock.unlock() }
    func divertNextPull(to url: String) { lock.lock(); hole = url; lock.unlock() }
    func send(request: HttpRequest) throws -> HttpResponse {
        lock.lock()
        let refuse = revoked
        var to: String? = nil
        if request.method == "GET" && request.url.contains("/v1/events?") { to = hole; hole = nil }
        lock.unlock()
        if refuse {
            return HttpResponse(status: 401, headers: [HttpHeader(name: "Content-Type", value: "application/json"),
                                                       HttpHeader(name: "Gridwork-Protocol", value: "1")],
                                body: Data(#"{"error":{"code":"unauthorized","message":"token revoked"}}"#.utf8))
        }
        guard let to else { return try inner.send(request: request) }
        var r = request
        r.url = to + request.url.dropFirst(server.count)
        return try inner.send(request: r)
    }
    func abort() { inner.abort() }
}

/// A real JPEG (tests/tests/data/photo.jpg) written to a camera-like temporary file, made a
/// different picture by `tag`: the first value of its quantisation table (DQT) changes, so the
/// pixels differ and two shots are two photos.
func cameraPhoto(_ tag: String) -> String {
    let real = data.deletingLastPathComponent().appendingPathComponent("tests/tests/data/photo.jpg")
    let url = dir.appendingPathComponent("camera-\(tag).jpg")
    var bytes = [UInt8](FileManager.default.contents(atPath: real.path) ?? Data())
    if let dqt = (0..<(bytes.count - 5)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDB }) {
        bytes[dqt + 5] = UInt8(2 + tag.utf8.reduce(0) { ($0 &+ Int($1)) % 60 })
    }
    _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
    return url.path
}

/// Waits (at most 60 s) until `condition` holds, letting the main actor run.
@MainActor
func until(_ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while !condition() {
        if Date() > deadline { return false }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
    return true
}

@MainActor
func signedIn(_ repo: GridworkRepository, _ server: String, _ user: String, _ password: String) async -> SignInModel {
    let model = SignInModel(repo: repo)
    await model.load()
    model.server = server
    model.user = user
    model.password = password
    await model.signIn()
    return model
}

@MainActor
func screens(_ server: String) async throws {
    let env = ProcessInfo.processInfo.environment
    let (li, liPw) = (env["GRIDWORK_WORKER_USER"]!, env["GRIDWORK_WORKER_PASSWORD"]!)
    let (wang, wangPw) = (env["GRIDWORK_SUPERVISOR_USER"]!, env["GRIDWORK_SUPERVISOR_PASSWORD"]!)
    let transport = ScreenTransport(server: server)
    let repo = try GridworkRepository(directory: dir.appendingPathComponent("screens-w").path, transport: transport)

    // --- Sign-in.
    let signIn = SignInModel(repo: repo)
    var redraws = 0
    signIn.onChange = { redraws += 1 }
    await signIn.load()
    check("sign-in: a fresh phone shows the form", signIn.state == .signedOut)
    signIn.server = "ftp://x"
    await signIn.signIn()
    check("sign-in: a bad address is marked before any call (\(String(describing: signIn.error)))",
          signIn.error?.code == "invalid_server" && signIn.error?.field == "server" && signIn.state == .signedOut)
    signIn.server = server
    signIn.user = li
    await signIn.signIn()
    check("sign-in: the missing password is marked", signIn.error?.field == "password")
    check("sign-in: the screen was told of each change", redraws >= 5)
    // A wrong password through the built-in client (Linux URLSession traps on that 401).
    let other = try GridworkRepository(directory: dir.appendingPathComponent("screens-wrong").path)
    let wrong = await signedIn(other, server, li, "not-the-password")
    check("sign-in: a wrong password is refused by code (\(String(describing: wrong.error)))",
          wrong.state == .signedOut && wrong.error?.code == "unauthorized")
    signIn.password = liPw
    check("sign-in: signed in as the account", await signIn.signIn() && signIn.state == .signedIn(user: li, role: .worker)
          && signIn.password.isEmpty)

    // --- First sync: progress, the city downloaded.
    let sync = SyncStatusModel(repo: repo)
    let observing = Task { await sync.observe() }
    await sync.load()
    await sync.syncNow()
    check("sync: the first run brings the catalogue (\(String(describing: sync.lastReport?.error)))",
          sync.lastReport?.state == .synced && sync.lastReport?.referenceUpdated == true && sync.phases.contains(.pull))

    // --- Report: search, checks, two photos, position.
    let report = ReportModel(repo: repo)
    await report.load()
    report.query = "exposed rub"
    check("report: the search finds by English name", report.matches.map(\.code).contains("06010"))
    report.query = "暴露垃圾"
    check("report: and by Chinese name", report.matches.first?.code == "06010")
    report.query = "0601"
    check("report: and by code", !report.matches.isEmpty && report.matches.allSatisfy { $0.code.hasPrefix("0601") })
    check("report: nothing sent without the checks", await report.submit() == nil &&
          report.issues.map { $0.field ?? "" } == ["category", "description", "position"])
    report.category = "06010"
    report.description = "bin overflowing by the lotus canal (screens)"
    report.position = ReportPosition(lat: 31.3005, lon: 120.6005, accuracyM: 80)
    check("report: a poor fix is flagged", report.accuracyWarning)
    report.addPhoto(dir.appendingPathComponent("x.heic").path)
    check("report: a HEIC photo is refused before sending", await report.submit() == nil &&
          report.issues.map(\.code) == ["photo_format"])
    report.removePhoto(at: 0)
    report.position = ReportPosition(lat: 31.3005, lon: 120.6005, accuracyM: 6)
    let shots = [cameraPhoto("a"), cameraPhoto("b")]
    for s in shots { report.addPhoto(s) }
    var settings = try await repo.photoSettings()
    settings.removeSources = true
    try await repo.setPhotoSettings(settings)
    let caseId = await report.submit()
    check("report: recorded, form cleared (\(String(describing: report.error)))", caseId != nil &&
          report.submitted == caseId && report.photos.isEmpty && report.category == nil && report.issues.isEmpty)
    check("report: the camera's files are removed", shots.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    let mineDetail = CaseDetailModel(repo: repo, caseId: caseId ?? "")
    await mineDetail.load()
    check("report: the case holds both photos, shown from the phone",
          mineDetail.photos.count == 2 && Set(mineDetail.photos.map(\.sha256)).count == 2 && mineDetail.photos.allSatisfy { if case .thumbnail = $0.display { return true }; return false })
    check("report: its steps wait to be sent", mineDetail.timeline.allSatisfy { $0.sync == .pending })

    // --- Sync with progress: push, upload, pull.
    await sync.syncNow()
    check("sync: phases shown in order \(sync.phases)", sync.phases == [.push, .upload, .pull])
    // Each photo goes with the thumbnail made at capture: 2 photos, 4 uploads.
    check("sync: the report and both photos went (\(String(describing: sync.lastReport)))",
          sync.lastReport?.pushed == 1 && sync.lastReport?.uploadedPhotos == 4 && sync.status?.pendingPhotos == 0)
    check("sync: idle, nothing waiting", { if case let .idle(s) = sync.ui { return s.pendingEvents == 0 }; return false }())
    for n in 0..<2 {
        _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "screens \(n)")
    }
    // A run started elsewhere (the push after a report, a background task) shows too.
    let heard = sync.runsHeard
    _ = try await repo.runSync()
    check("sync: a run started elsewhere is shown", await until { sync.runsHeard > heard })

    // --- My cases, my area's cases, paged.
    let mine = CaseListModel(repo: repo, source: .mine, pageSize: 2)
    await mine.reload()
    check("my cases: a first page of 2 and more", mine.items.count == 2 && mine.hasMore)
    while mine.hasMore { await mine.loadMore() }
    // Every report of the account, also those another of its phones made (pulled).
    let times = mine.items.map(\.reportedAtMs)
    check("my cases: the rest, newest first \(mine.items.map(\.description))", mine.items.count >= 3 &&
          Set(mine.items.map(\.id)).count == mine.items.count && times == times.sorted(by: >) &&
          mine.items.contains { $0.id == caseId } && mine.items.allSatisfy { $0.reporter == li })
    let area = CaseListModel(repo: repo, source: .area)
    // A word only this report has: the other languages' runs report as the same worker.
    area.search = "lotus"
    await area.reload()
    check("area: the search narrows the list", area.items.map(\.id) == [caseId ?? ""])

    // --- A supervisor's tablet: the case, its photos, actions.
    let tabletA = try GridworkRepository(directory: dir.appendingPathComponent("screens-sa").path)
    check("supervisor signed in", await signedIn(tabletA, server, wang, wangPw).state == .signedIn(user: wang, role: .supervisor))
    _ = try await tabletA.runSync()
    let onTablet = CaseDetailModel(repo: tabletA, caseId: caseId ?? "")
    await onTablet.load()
    check("case: the supervisor sees the report", onTablet.detail?.status == .reported &&
          onTablet.detail?.description == "bin overflowing by the lotus canal (screens)")
    check("case: photos arrive as thumbnails first (\(onTablet.photos.map(\.display)))", onTablet.photos.count == 2 &&
          onTablet.photos.allSatisfy { if case .thumbnail = $0.display { return $0.view.state == .thumbnailOnly }; return false })
    if let first = onTablet.photos.first {
        await onTablet.showFull(first.sha256)
        let full = onTablet.photos.first?.display
        let onPhone = try await repo.photoView(first.sha256)
        if case let .full(path)? = full, let original = onPhone.path {
            check("case: full size on demand, the bytes the worker's phone holds",
                  FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: original))
        } else {
            check("case: full size on demand (\(String(describing: full)))", false)
        }
    }
    // The cache budget: a synced photo shown at full size may be evicted, and comes back.
    if let first = onTablet.photos.first {
        var budget = try await tabletA.photoSettings()
        budget.cacheBudgetBytes = 1
        try await tabletA.setPhotoSettings(budget)
        _ = try await tabletA.evictPhotos()
        let evicted = try await tabletA.photoView(first.sha256)
        check("photos: evicted under the budget (\(evicted.state))", evicted.state != .local && evicted.path == nil)
        let again = try await tabletA.fetchPhoto(first.sha256)
        let back = try await tabletA.photoView(first.sha256)
        check("photos: downloaded again on demand", FileManager.default.fileExists(atPath: again) && back.state == .local)
    }
    check("case: the supervisor's buttons come from the core", onTablet.actions.map(\.kind).contains(.register))
    check("case: registered", await onTablet.take(ActionRequest(kind: .register)) && onTablet.detail?.status == .registered)
    let dispatch = onTablet.actions.first { $0.kind == .dispatch }
    check("case: dispatch is offered next, with its default department", dispatch?.defaultDepartment != nil)
    check("case: a refusal shows the core's reason", !(await onTablet.take(ActionRequest(kind: .dispatch, department: "no-such-dept"))) &&
          onTablet.refusal?.field == "department" && onTablet.detail?.status == .registered)

    // --- Conflict: a second tablet of the same supervisor; both dispatch offline.
    let tabletB = try GridworkRepository(directory: dir.appendingPathComponent("screens-sb").path)
    _ = await signedIn(tabletB, server, wang, wangPw)
    _ = try await tabletA.runSync()
    _ = try await tabletB.runSync()
    let departments = try tabletA.store.departments().map(\.id)
    let onB = CaseDetailModel(repo: tabletB, caseId: caseId ?? "")
    await onB.load()
    // A reason the action requires, left empty: refused by the kit with its field, before the core.
    if let needsReason = onTablet.actions.first(where: { $0.inputs.note == .required }) {
        let steps = onTablet.timeline.count
        let pending = try tabletA.syncStatus().pendingEvents
        await onTablet.begin(needsReason)
        let sent = await onTablet.submit()
        check("action form: a missing reason is refused by the kit with its field (\(String(describing: onTablet.refusal)))",
              !sent && onTablet.refusal?.code == "missing_input" && onTablet.refusal?.field == "note" && onTablet.form != nil)
        await onTablet.load()
        let pendingAfter = try tabletA.syncStatus().pendingEvents
        check("action form: nothing changed", onTablet.timeline.count == steps && onTablet.detail?.status == .registered &&
              pendingAfter == pending)
        onTablet.dismiss()
    } else {
        check("action form: an action requiring a reason is offered", false)
    }
    // Dispatch to a department picked in the form (not the category's default).
    let chosen = departments.first { $0 != dispatch?.defaultDepartment } ?? ""
    if let dispatch {
        await onTablet.begin(dispatch)
        check("action form: dispatch lists the departments, the default picked first",
              onTablet.form?.department == dispatch.defaultDepartment && (onTablet.form?.departments.count ?? 0) >= 2)
        onTablet.form?.department = chosen
        check("action form: dispatched to the picked department", await onTablet.submit() && onTablet.form == nil &&
              onTablet.detail?.status == .dispatched)
    }
    _ = await onB.take(ActionRequest(kind: .dispatch, department: departments.first { $0 != chosen }))
    _ = try await tabletA.runSync()
    let syncB = SyncStatusModel(repo: tabletB)
    await syncB.syncNow()
    check("conflict: the sync screen lists the case (\(String(describing: syncB.lastReport?.error)))",
          syncB.conflicts.map(\.id).contains(caseId ?? ""))
    await onB.load()
    check("action form: the picked department reached the server (tablet B's timeline)", onB.timeline.contains { e in
        if case let .dispatched(department, _, _) = e.event, case .synced = e.sync { return department == chosen }
        return false
    })
    check("conflict: the case shows it and offers to settle it", !onB.conflicts.isEmpty &&
          onB.actions.contains { $0.kind == .resolveConflict && !$0.openConflicts.isEmpty })
    // More time on tablet A (not synced since): an extension of zero is refused by the kit; 30
    // working days reach the core (the category's own limit is 2 working hours).
    if let postpone = onTablet.actions.first(where: { $0.kind == .postpone }) {
        await onTablet.begin(postpone)
        onTablet.form?.note = "the street is closed for works"
        onTablet.form?.extend = .workingDays(days: 0)
        let zero = await onTablet.submit()
        check("action form: an extension of zero days is refused by the kit", !zero && onTablet.refusal?.field == "extend" &&
              onTablet.detail?.status == .dispatched)
        onTablet.form?.extend = .workingDays(days: 30)
        let ok = await onTablet.submit()
        var dispatchedAt: Int64?, postponedTo: Int64?
        for e in onTablet.timeline {
            if case let .dispatched(_, deadline, _) = e.event, dispatchedAt == nil { dispatchedAt = deadline }
            if case let .postponed(_, deadline) = e.event { postponedTo = deadline }
        }
        check("action form: postponed by the 30 working days asked for", ok && (postponedTo ?? 0) - (dispatchedAt ?? Int64.max / 2) >= 20 * 86_400_000)
    } else {
        check("action form: postpone is offered on a dispatched case", false)
    }

    // --- A step the server refuses: the worker registers as a supervisor (a demo role).
    let refusedCase = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "refused step")
    try repo.act(id: refusedCase, .register, asRole: .supervisor)
    await sync.syncNow()
    check("rejected: the sync screen counts and lists it", sync.lastReport?.rejected == 1 &&
          sync.rejected.map(\.id) == [refusedCase] && (sync.status?.rejectedEvents ?? 0) >= 1)
    let refusedDetail = CaseDetailModel(repo: repo, caseId: refusedCase)
    await refusedDetail.load()
    check("rejected: the case shows the server's reason",
          refusedDetail.refusedSteps.count == 1 && !(refusedDetail.refusedSteps.first?.reason.isEmpty ?? true) &&
          refusedDetail.detail?.status == .reported)

    // --- Patrol: cells, start/pause/resume, check-in, live figures, finish.
    let patrol = PatrolModel(repo: repo)
    await patrol.load()
    check("patrol: the picker lists the account's cells", !patrol.cells.isEmpty && patrol.cells.allSatisfy { $0.code.hasPrefix("320508002") })
    await patrol.start()
    check("patrol: not started without cells", patrol.phase == .idle && patrol.error?.field == "cells")
    patrol.selected = [cell]
    await patrol.start()
    check("patrol: recording", patrol.phase == .active && patrol.patrolId != nil)
    let t0 = nowMs() - 120_000
    for fix in walk(t0, 40) { patrol.offer(fix) }
    await patrol.flush()
    check("patrol: live distance and coverage (\(patrol.distanceM) m)", patrol.distanceM > 10 &&
          patrol.coverage.contains { $0.cellId == cell && $0.coveredShare > 0 })
    await patrol.pause()
    patrol.offer(walk(t0 + 50_000, 1)[0])
    check("patrol: paused, fixes not recorded", patrol.phase == .paused && patrol.fixesOffered == 40)
    // The app killed and started again: the open patrol is taken up.
    let relaunched = PatrolModel(repo: repo)
    await relaunched.load()
    check("patrol: taken up at launch, paused", relaunched.patrolId == patrol.patrolId && relaunched.phase == .paused &&
          relaunched.selected == [cell])
    await relaunched.resume()
    await relaunched.checkIn(lat: 31.2999, lon: 120.6005, note: "at the canal gate", photoPath: cameraPhoto("check-in"))
    check("patrol: checked in", relaunched.phase == .active && relaunched.detail?.checkIns.count == 1 &&
          relaunched.detail?.checkIns.first?.note == "at the canal gate")
    for fix in walk(t0 + 60_000, 20).map({ f -> GpsFix in var f = f; f.lat += 0.0004; return f }) { relaunched.offer(fix) }
    await relaunched.finish()
    check("patrol: finished with its figures", relaunched.phase == .finished && relaunched.detail?.status == .finished &&
          (relaunched.detail?.stats.fixCount ?? 0) == 60)

    // --- Patrol list and detail.
    let patrols = PatrolListModel(repo: repo, pageSize: 1)
    await patrols.reload()
    let firstPage = patrols.rows.count
    while !patrols.endReached && patrols.error == nil { await patrols.loadMore() }
    let row = patrols.rows.first { $0.id == relaunched.patrolId }
    check("patrol list: the finished patrol with its figures (\(String(describing: row)))", firstPage == 1 && row?.status == .finished &&
          row?.cells == [cell] && row?.finishedAtMs != nil && row?.distanceM == relaunched.detail?.stats.distanceM &&
          (row?.distanceM ?? 0) > 10 && (row?.durationS ?? 0) > 60 && (row?.coverage ?? 0) > 0 && row?.checkIns == 1)
    if let id = row?.id { await patrols.open(id) }
    check("patrol detail: its check-in", patrols.opened?.checkIns.first?.note == "at the canal gate")

    // --- Map: cells, cases, own track; the datum switch.
    let map = MapModel(repo: repo)
    await map.load()
    check("map: every cell, the account's marked", map.cells.count == 60 && map.cells.contains { $0.mine } &&
          map.cells.contains { !$0.mine })
    check("map: the cases as pins", map.cases.contains { $0.id == caseId })
    check("map: the own track", map.track.count == 60)
    let gcj = map.cases.first { $0.id == caseId }!.point
    map.datum = .wgs84
    let wgs = map.cases.first { $0.id == caseId }!.point
    check("map: GCJ-02 for MapKit in China, WGS-84 for a plain drawing", abs(wgs.lat - 31.3005) < 1e-9 &&
          abs(gcj.lon - wgs.lon) > 0.001 && abs(map.cells[0].rings[0][0].lon - MapDatum.fromGcj02(MapDatum.toGcj02(map.cells[0].rings[0][0])).lon) < 1e-6)
    map.datum = .gcj02
    let tapped = map.stored(gcj)
    check("map: a tap goes back to WGS-84", abs(tapped.lat - 31.3005) < 1e-6 && abs(tapped.lon - 120.6005) < 1e-6)

    // --- Cancel: the pull hangs; the sync screen's cancel stops it.
    await sync.syncNow()
    let hole = BlackHole()
    transport.divertNextPull(to: hole.url)
    let running = Task { await sync.syncNow() }
    check("cancel: the run is shown syncing", await until { if case .syncing = sync.ui { return repo.isSyncing }; return false })
    _ = hole.accepted.wait(timeout: .now() + 60)
    sync.cancel()
    await running.value
    check("cancel: the run stopped, shown as cancelled, not as a failure",
          sync.lastReport?.state == .cancelled && sync.status?.state == .cancelled && sync.status?.lastError == nil)

    // --- Sign-in required: the token is revoked.
    transport.revoke(true)
    await sync.syncNow()
    check("sign-in required: the distinct state", { if case .signInRequired = sync.ui { return true }; return false }())
    let again = SignInModel(repo: repo)
    await again.load()
    check("sign-in required: the form comes back filled in", again.state == .signInRequired(user: li) && again.server == server)
    transport.revoke(false)
    again.password = liPw
    check("sign-in required: signed in again", await again.signIn())
    await sync.syncNow()
    check("sign-in required: syncing again", sync.lastReport?.state == .synced)

    // --- Settings, sign-out: unsynced work is kept and shown, another user refused.
    let settingsModel = SettingsModel(repo: repo)
    await settingsModel.load()
    check("settings: who and where", settingsModel.identity?.user == li && settingsModel.server == server &&
          settingsModel.photo?.removeSources == true)
    var smaller = settingsModel.photo!
    smaller.maxEdge = 10
    await settingsModel.setPhoto(smaller)
    check("settings: an edge out of range is refused (\(String(describing: settingsModel.error)))",
          settingsModel.error?.code == "invalid_input" && settingsModel.photo?.maxEdge != 10)
    _ = try repo.report(category: "06010", lat: 31.3005, lon: 120.6005, description: "not synced yet")
    await settingsModel.requestSignOut()
    check("sign-out: asks first with unsynced work", settingsModel.signOut == .confirmUnsynced(events: 1, photos: 0) &&
          settingsModel.signedIn)
    await settingsModel.confirmSignOut()
    check("sign-out: signed out, the work kept and shown", settingsModel.signOut == .signedOut(keptEvents: 1, keptPhotos: 0) &&
          !settingsModel.signedIn)
    let intruder = await signedIn(repo, server, wang, wangPw)
    check("sign-out: another user is refused (\(String(describing: intruder.error)))",
          intruder.state == .signedOut && ["wrong_user", "device_conflict"].contains(intruder.error?.code ?? ""))
    await settingsModel.load()
    check("sign-out: the work is still there", settingsModel.pendingEvents == 1)
    let back = await signedIn(repo, server, li, liPw)
    await sync.syncNow()
    check("sign-out: the owner signs in again and it is sent", back.state == .signedIn(user: li, role: .worker) &&
          sync.lastReport?.pushed == 1)
    observing.cancel()
}
