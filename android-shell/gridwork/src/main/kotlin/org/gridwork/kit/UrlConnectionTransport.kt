// The sync engine's HTTP exchanges through java.net.HttpURLConnection: the platform's own
// HTTP stack, so Android's proxy settings, network security config (cleartext policy, user
// CAs, pinning) and per-app network policy apply. Plain JVM API, also on desktop JVMs, so CI
// runs it against the reference server (bindings/tests/kotlin).
package org.gridwork.kit

import org.gridwork.ffi.HttpHeader
import org.gridwork.ffi.HttpRequest
import org.gridwork.ffi.HttpResponse
import org.gridwork.ffi.HttpTransport
import org.gridwork.ffi.TransportFailure
import java.io.IOException
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.Proxy
import java.net.SocketTimeoutException
import java.net.URI
import java.net.UnknownHostException
import javax.net.ssl.SSLException

/**
 * An [HttpTransport] for `GridworkSync`. Blocks until the whole response is read (the core
 * calls it on the thread running the sync); follows no redirects; any status code is a
 * response. [proxy] null uses the system's proxy selection.
 */
class UrlConnectionTransport(
    private val connectTimeoutMs: Int = 10_000,
    private val readTimeoutMs: Int = 60_000,
    private val proxy: Proxy? = null,
) : HttpTransport {

    override fun send(request: HttpRequest): HttpResponse {
        val url = try {
            URI(request.url).toURL()
        } catch (e: Exception) {
            throw TransportFailure.InvalidRequest("${request.url}: $e")
        }
        val conn = try {
            (if (proxy != null) url.openConnection(proxy) else url.openConnection()) as HttpURLConnection
        } catch (e: IOException) {
            throw TransportFailure.Connect(e.toString())
        }
        try {
            conn.instanceFollowRedirects = false
            conn.useCaches = false
            conn.connectTimeout = connectTimeoutMs
            conn.readTimeout = readTimeoutMs
            conn.requestMethod = request.method
            for (h in request.headers) conn.addRequestProperty(h.name, h.value)
            if (request.method == "POST" || request.method == "PUT") {
                conn.doOutput = true
                conn.setFixedLengthStreamingMode(request.body.size)
                conn.outputStream.use { it.write(request.body) }
            }
            val status = conn.responseCode
            val stream = when {
                request.method == "HEAD" -> null
                status >= 400 -> conn.errorStream
                else -> conn.inputStream
            }
            val body = stream?.use { it.readBytes() } ?: ByteArray(0)
            val headers = conn.headerFields.entries
                .filter { it.key != null }
                .flatMap { (name, values) -> values.map { HttpHeader(name, it) } }
            return HttpResponse(status.toUShort(), headers, body)
        } catch (e: SocketTimeoutException) {
            throw TransportFailure.Timeout(e.toString())
        } catch (e: ConnectException) {
            throw TransportFailure.Connect(e.toString())
        } catch (e: UnknownHostException) {
            throw TransportFailure.Connect(e.toString())
        } catch (e: SSLException) {
            throw TransportFailure.Connect(e.toString())
        } catch (e: IOException) {
            throw TransportFailure.Interrupted(e.toString())
        } finally {
            conn.disconnect()
        }
    }
}
