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
import java.util.Collections
import javax.net.ssl.SSLException

/**
 * An [HttpTransport] for `GridworkSync`. Blocks until the whole response is read (the core
 * calls it on the thread running the sync); follows no redirects; any status code is a
 * response. [proxy] null uses the system's proxy selection.
 *
 * [abort] (called by the core when the sync run is cancelled) disconnects every exchange in
 * flight from the cancelling thread: `HttpURLConnection.disconnect()` closes the socket, so
 * a blocked connect, write or read fails at once and `send` throws `Interrupted`. Give each
 * `GridworkSync` its own transport (the repository does): an abort reaches all its exchanges.
 */
class UrlConnectionTransport(
    private val connectTimeoutMs: Int = 10_000,
    private val readTimeoutMs: Int = 60_000,
    private val proxy: Proxy? = null,
) : HttpTransport {

    private class Exchange(val conn: HttpURLConnection) {
        @Volatile var aborted = false
    }

    private val inFlight: MutableSet<Exchange> = Collections.synchronizedSet(mutableSetOf())

    /** How many exchanges are in flight now (diagnostics and tests). */
    fun inFlight(): Int = inFlight.size

    override fun abort() {
        val now = synchronized(inFlight) { inFlight.toList() }
        for (x in now) {
            x.aborted = true
            runCatching { x.conn.disconnect() }
        }
    }

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
        val exchange = Exchange(conn)
        inFlight += exchange
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
            if (exchange.aborted) throw TransportFailure.Interrupted("aborted: the sync was cancelled")
            return HttpResponse(status.toUShort(), headers, body)
        } catch (e: IOException) {
            if (exchange.aborted) throw TransportFailure.Interrupted("aborted: the sync was cancelled ($e)")
            throw failure(e)
        } finally {
            inFlight -= exchange
            conn.disconnect()
        }
    }

    private fun failure(e: IOException): TransportFailure = when (e) {
        is SocketTimeoutException -> TransportFailure.Timeout(e.toString())
        is ConnectException, is UnknownHostException, is SSLException -> TransportFailure.Connect(e.toString())
        else -> TransportFailure.Interrupted(e.toString())
    }
}
