// The form shown before an action is taken on a case, driven by the inputs the core declares
// for it (`AvailableAction.inputs`): a note or reason, a department picked from the catalogue's
// departments (dispatch starts on the category's default one; assist needs one), a deadline
// extension in working days or hours (postpone, an application for more time), photos from the
// camera or the gallery, the user's position (an on-site verification) and the conflicting step
// to settle. `problems` is what the kit refuses before calling the core: each required input
// missing, named by its field. CaseDetailModel holds it; tested in ScreensTest.kt.
package org.gridwork.kit

import org.gridwork.ffi.ActionRequest
import org.gridwork.ffi.AvailableAction
import org.gridwork.ffi.Department
import org.gridwork.ffi.GeoPoint
import org.gridwork.ffi.InputNeed
import org.gridwork.ffi.TimeLimit

/** Whether an action opens a form first (it takes at least one input). */
val AvailableAction.asksForInput: Boolean
    get() = with(inputs) {
        listOf(note, department, photos, position, extend, conflict).any { it != InputNeed.NO }
    }

/** The filled-in inputs of one action, before it is taken. */
data class ActionForm(
    /** The action, with the inputs it takes. */
    val action: AvailableAction,
    /** The departments to pick from (loaded when the action takes a department). */
    val departments: List<Department> = emptyList(),
    /** The note or reason typed. */
    val note: String = "",
    /** The picked department id (dispatch: the default one until another is picked). */
    val department: String? = action.defaultDepartment,
    /** More time asked for; null: the category's time limit again (postpone). */
    val extend: TimeLimit? = null,
    /** Photo files (camera or gallery copies): the core copies them into the store. */
    val photos: List<String> = emptyList(),
    /** Where the user stands (WGS-84), for an on-site verification. */
    val position: GeoPoint? = null,
    /** The flagged step to settle (one of `action.openConflicts`). */
    val conflict: String? = action.openConflicts.firstOrNull(),
) {
    /** What the kit refuses before calling the core, one per field (empty: ready). */
    val problems: List<ErrorInfo>
        get() = buildList {
            val i = action.inputs
            if (i.note == InputNeed.REQUIRED && note.isBlank()) add(fieldError("missing_input", "note", "a reason is required"))
            if (i.department == InputNeed.REQUIRED && department.isNullOrBlank()) {
                add(fieldError("missing_input", "department", "pick a department"))
            }
            val d = department
            if (i.department != InputNeed.NO && d != null && departments.isNotEmpty() && departments.none { it.id == d }) {
                add(fieldError("unknown_department", "department", "no department $d in the catalogue"))
            }
            if (i.photos == InputNeed.REQUIRED && photos.isEmpty()) add(fieldError("missing_input", "photos", "add a photo"))
            if (i.position == InputNeed.REQUIRED && position == null) add(fieldError("missing_input", "position", "no position yet"))
            if (i.conflict == InputNeed.REQUIRED && conflict.isNullOrBlank()) {
                add(fieldError("missing_input", "conflict", "pick the step to settle"))
            }
            val e = extend
            if (i.extend != InputNeed.NO && e != null && e.amount() == 0u) {
                add(fieldError("invalid_input", "extend", "the extension must be at least one day or hour"))
            }
        }

    /** The request the form makes, only what the action takes. */
    fun request(): ActionRequest {
        val i = action.inputs
        return ActionRequest(
            kind = action.kind,
            note = note.trim().ifEmpty { null }.takeIf { i.note != InputNeed.NO },
            department = department.takeIf { i.department != InputNeed.NO },
            photos = if (i.photos != InputNeed.NO) photos else emptyList(),
            extend = extend.takeIf { i.extend != InputNeed.NO },
            position = position.takeIf { i.position != InputNeed.NO },
            conflict = conflict.takeIf { i.conflict != InputNeed.NO },
        )
    }
}

/** The number of days or hours of a time limit. */
fun TimeLimit.amount(): UInt = when (this) {
    is TimeLimit.WorkingDays -> days
    is TimeLimit.WorkingHours -> hours
}
