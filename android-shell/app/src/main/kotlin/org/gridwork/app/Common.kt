// Shared bits of the screens: an error as the user reads it (translated by its stable code,
// the core's English text as a fallback), labels for statuses, actions and sync states.
package org.gridwork.app

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import org.gridwork.ffi.ActionKind
import org.gridwork.ffi.EngineState
import org.gridwork.ffi.Status
import org.gridwork.kit.ErrorInfo

/** The text for an error: a translated sentence for the codes the app knows, else the core's detail. */
@Composable
fun errorText(e: ErrorInfo): String = when (e.code) {
    "missing_input" -> stringResource(R.string.error_required, fieldLabel(e.field))
    "invalid_url" -> stringResource(R.string.error_invalid_url)
    "imprecise_position" -> stringResource(R.string.error_imprecise_position)
    "not_signed_in" -> stringResource(R.string.error_not_signed_in)
    "wrong_user" -> stringResource(R.string.error_wrong_user)
    "missing_photo" -> stringResource(R.string.error_missing_photo)
    "missing_reason" -> stringResource(R.string.error_missing_reason)
    "invalid_transition", "not_permitted" -> stringResource(R.string.error_not_now, e.detail)
    "patrol_not_open" -> stringResource(R.string.error_patrol_not_open)
    "network" -> stringResource(R.string.error_network)
    "unknown_department" -> stringResource(R.string.error_unknown_department)
    "invalid_input" -> if (e.field == "extend") stringResource(R.string.error_invalid_extend) else stringResource(R.string.error_other, e.detail)
    else -> stringResource(R.string.error_other, e.detail)
}

@Composable
private fun fieldLabel(field: String?): String = when (field) {
    "server" -> stringResource(R.string.field_server)
    "user" -> stringResource(R.string.field_user)
    "password" -> stringResource(R.string.field_password)
    "category" -> stringResource(R.string.field_category)
    "description" -> stringResource(R.string.field_description)
    "position" -> stringResource(R.string.field_position)
    "cells" -> stringResource(R.string.field_cells)
    "photos" -> stringResource(R.string.field_photos)
    "note" -> stringResource(R.string.field_note)
    "department" -> stringResource(R.string.field_department)
    "conflict" -> stringResource(R.string.field_conflict)
    "extend" -> stringResource(R.string.field_extend)
    else -> field.orEmpty()
}

/** An error line under a form. */
@Composable
fun ErrorLine(e: ErrorInfo?, modifier: Modifier = Modifier) {
    if (e != null) Text(errorText(e), color = MaterialTheme.colorScheme.error, modifier = modifier)
}

@Composable
fun statusLabel(s: Status): String = stringResource(
    when (s) {
        Status.REPORTED -> R.string.status_reported
        Status.REGISTERED -> R.string.status_registered
        Status.DISPATCHED -> R.string.status_dispatched
        Status.HANDLED -> R.string.status_handled
        Status.VERIFIED -> R.string.status_verified
        Status.SUSPENDED -> R.string.status_suspended
        Status.CLOSED -> R.string.status_closed
        Status.CANCELLED -> R.string.status_cancelled
    },
)

/** An action button's label; kinds without their own string show their name. */
@Composable
fun actionLabel(k: ActionKind): String = when (k) {
    ActionKind.REGISTER -> stringResource(R.string.action_register)
    ActionKind.CANCEL -> stringResource(R.string.action_cancel)
    ActionKind.DISPATCH -> stringResource(R.string.action_dispatch)
    ActionKind.HANDLE -> stringResource(R.string.action_handle)
    ActionKind.VERIFY_PASS -> stringResource(R.string.action_verify_pass)
    ActionKind.VERIFY_FAIL -> stringResource(R.string.action_verify_fail)
    ActionKind.CLOSE -> stringResource(R.string.action_close)
    ActionKind.SELF_RESOLVE -> stringResource(R.string.action_self_resolve)
    ActionKind.RESOLVE_CONFLICT -> stringResource(R.string.action_resolve_conflict)
    else -> stringResource(R.string.action_other, k.name.lowercase().replace('_', ' '))
}

@Composable
fun engineLabel(s: EngineState): String = stringResource(
    when (s) {
        EngineState.NOT_SIGNED_IN -> R.string.sync_not_signed_in
        EngineState.IDLE -> R.string.sync_idle
        EngineState.SYNCED -> R.string.sync_synced
        EngineState.RETRY_SCHEDULED -> R.string.sync_retry
        EngineState.SIGN_IN_REQUIRED -> R.string.sync_sign_in_required
        EngineState.INCOMPATIBLE_SERVER -> R.string.sync_incompatible
        EngineState.CANCELLED -> R.string.sync_cancelled
        EngineState.DEVICE_CONFLICT -> R.string.sync_device_conflict
        EngineState.WIPED -> R.string.sync_wiped
    },
)
