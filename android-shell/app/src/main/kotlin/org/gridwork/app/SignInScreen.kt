// Sign-in: server, user, password; refusals by the kit's ErrorInfo (the field is marked);
// "sign in required" (the server refused the stored token) is said above the form.
package org.gridwork.app

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.gridwork.kit.SignInModel

/** Binds to [SignInModel] through [vm]; [onSignedIn] navigates on. */
@Composable
fun SignInScreen(vm: SignInViewModel, onSignedIn: () -> Unit) {
    val s by vm.state.collectAsStateWithLifecycle()
    var password by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(s.signedIn) { if (s.signedIn) onSignedIn() }
    Column(Modifier.padding(16.dp)) {
        Text(stringResource(R.string.sign_in_title), style = MaterialTheme.typography.headlineSmall)
        if (s.signInRequired) {
            Text(stringResource(R.string.sign_in_required_explained), color = MaterialTheme.colorScheme.error)
        }
        OutlinedTextField(s.server, { vm.edit(it, s.user) }, label = { Text(stringResource(R.string.field_server)) },
            isError = s.error?.field == "server", singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(s.user, { vm.edit(s.server, it) }, label = { Text(stringResource(R.string.field_user)) },
            isError = s.error?.field == "user", singleLine = true, modifier = Modifier.fillMaxWidth(),
            // Only the store's account may sign in on it: the field is fixed once there is one.
            readOnly = s.identity != null)
        OutlinedTextField(password, { password = it }, label = { Text(stringResource(R.string.field_password)) },
            isError = s.error?.field == "password", singleLine = true, visualTransformation = PasswordVisualTransformation(),
            modifier = Modifier.fillMaxWidth())
        ErrorLine(s.error, Modifier.padding(top = 8.dp))
        Button(onClick = { vm.signIn(password) }, enabled = !s.busy, modifier = Modifier.padding(top = 12.dp)) {
            Text(stringResource(if (s.busy) R.string.signing_in else R.string.sign_in))
        }
    }
}
