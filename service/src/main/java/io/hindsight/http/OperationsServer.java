package io.hindsight.http;

import io.hindsight.config.HindsightConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint: {@code /metrics} (Prometheus text), {@code /health/live}, {@code
 * /health/ready}, plus the lookups the loops register, on Jetty's core handler API (no servlets).
 * Lookups are bounded: a body over {@link Settings#maxRequestBytes()} gets 413 unread, a lookup
 * beyond {@link Settings#maxConcurrentRequests()} in flight, or one that finds over {@link
 * Settings#maxQueuedRequests()} requests waiting for a thread, gets 503 with {@code Retry-After} as
 * soon as its body has arrived, unprocessed; operations routes are never refused, so health stays
 * answerable under a flood. Every error is JSON {@code {error, reason}}. {@link #close()} stops
 * accepting and lets the requests in flight finish for up to {@link #STOP_TIMEOUT}. Thread-safe;
 * {@link #close()} is idempotent.
 */
public final class OperationsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OperationsServer.class);

  /** How long stopping waits for the requests in flight. */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

  /** A route's answer. */
  public record Response(int status, String contentType, byte[] body) {
    public Response(int status, String contentType, String body) {
      this(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public static Response json(int status, String body) {
      return new Response(status, "application/json", body);
    }

    /** A body already encoded as UTF-8 JSON. */
    public static Response json(int status, byte[] body) {
      return new Response(status, "application/json", body);
    }

    /**
     * The error shape of every endpoint: {@code reason} a stable code, {@code error} for people.
     */
    public static Response error(int status, String reason, String message) {
      return json(status, "{\"error\":" + quote(message) + ",\"reason\":" + quote(reason) + "}");
    }
  }

  /**
   * Answers one request; {@code query} is the raw query string (or null), {@code body} the request
   * body (empty without one; a body is JSON or has no declared type, checked before). An {@link
   * IllegalArgumentException} is answered 400.
   */
  @FunctionalInterface
  public interface Route {
    Response handle(String method, String query, byte[] body) throws Exception;
  }

  /** The server's bounds, from the {@code http.*} configuration keys. */
  public record Settings(
      String host,
      int port,
      int threads,
      int maxConnections,
      int acceptBacklog,
      int maxConcurrentRequests,
      int maxRequestBytes,
      int maxQueuedRequests,
      int retryAfterSeconds) {
    public static Settings from(HindsightConfig config) {
      return new Settings(
          config.getString(HindsightConfig.HTTP_HOST),
          config.getInt(HindsightConfig.HTTP_PORT),
          config.getInt(HindsightConfig.HTTP_THREADS),
          config.getInt(HindsightConfig.HTTP_MAX_CONNECTIONS),
          config.getInt(HindsightConfig.HTTP_ACCEPT_BACKLOG),
          config.getInt(HindsightConfig.HTTP_MAX_CONCURRENT_REQUESTS),
          config.getInt(HindsightConfig.HTTP_MAX_REQUEST_BYTES),
          config.getInt(HindsightConfig.HTTP_MAX_QUEUED_REQUESTS),
          config.getInt(HindsightConfig.HTTP_RETRY_AFTER_SECONDS));
    }
  }

  private record Entry(Route route, boolean limited) {}

  private final Settings settings;
  private final Server server;
  private final ServerConnector connector;
  private final Semaphore permits;
  private final QueuedThreadPool threads;
  private final HttpField retryAfter;
  private final Map<String, Entry> routes = new ConcurrentHashMap<>();

  /** Counts the requests in flight, and answers 503 to new ones once the server stops. */
  private final GracefulHandler graceful;

  private boolean closed;

  private OperationsServer(Settings settings) {
    this.settings = settings;
    this.permits = new Semaphore(settings.maxConcurrentRequests());
    this.retryAfter =
        new HttpField(HttpHeader.RETRY_AFTER, Integer.toString(settings.retryAfterSeconds()));
    // Jetty's job queue holds at most a job or two per connection, so the connection limit bounds
    // it (a bounded queue would make Jetty drop its own jobs); past the limit connections wait in
    // the kernel's accept backlog.
    this.threads = new QueuedThreadPool(settings.threads(), Math.min(4, settings.threads()));
    threads.setName("hindsight-http");
    threads.setDaemon(true);
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    this.connector = new ServerConnector(server, 1, -1, new HttpConnectionFactory(http));
    connector.setHost(settings.host());
    connector.setPort(settings.port());
    // Jetty's 0 leaves the JDK's backlog of 50: a burst of connections (a client pool starting, a
    // flood) overflowed it, and connections that had sent their request were reset.
    connector.setAcceptQueueSize(settings.acceptBacklog());
    // Responses go out in one write; without NODELAY a small write after another waits for the
    // peer's delayed ACK (the 40 ms stalls the JDK server showed). Jetty's default, stated.
    connector.setAcceptedTcpNoDelay(true);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(settings.maxConnections(), connector));
    this.graceful = new GracefulHandler(new Dispatch());
    server.setHandler(graceful);
    server.setErrorHandler(new JsonErrors());
  }

  /**
   * The errors Jetty answers itself, a malformed request or one that arrives while the server
   * stops, in the JSON shape of every other error; the reason is the status's name ({@code
   * bad-request}), or {@code shutting-down}.
   */
  private final class JsonErrors extends ErrorHandler {
    @Override
    public boolean handle(
        Request request, org.eclipse.jetty.server.Response response, Callback cb) {
      int status = response.getStatus();
      boolean stopping = status == 503 && graceful.isShutdown();
      Object message = request.getAttribute(ERROR_MESSAGE);
      return answer(
          response,
          cb,
          stopping
              ? Response.error(503, "shutting-down", "the server is stopping; retry elsewhere")
              : Response.error(
                  status,
                  reason(status),
                  message == null ? HttpStatus.getMessage(status) : message.toString()),
          stopping);
    }

    @Override
    public ByteBuffer badMessageError(int status, String message, HttpFields.Mutable fields) {
      Response answer = Response.error(status, reason(status), String.valueOf(message));
      fields.put(HttpHeader.CONTENT_TYPE, answer.contentType());
      return ByteBuffer.wrap(answer.body());
    }

    /** The status's name, {@code bad-request}; a code without one, its number. */
    private static String reason(int status) {
      return HttpStatus.getMessage(status).toLowerCase(Locale.ROOT).replace(' ', '-');
    }
  }

  public static OperationsServer start(
      Settings settings,
      PrometheusMeterRegistry registry,
      BooleanSupplier live,
      BooleanSupplier ready) {
    OperationsServer operations = new OperationsServer(settings);
    operations.operationsRoute(
        "/metrics",
        (method, query, body) ->
            new Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
    operations.operationsRoute(
        "/health/live", (method, query, body) -> health(live.getAsBoolean()));
    operations.operationsRoute(
        "/health/ready", (method, query, body) -> health(ready.getAsBoolean()));
    try {
      operations.server.start();
    } catch (Exception e) {
      operations.close();
      throw new IllegalStateException(
          "Cannot start the HTTP endpoint on " + settings.host() + ":" + settings.port(), e);
    }
    return operations;
  }

  private static Response health(boolean ok) {
    return Response.json(ok ? 200 : 503, ok ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
  }

  /** Registers a lookup: bounded in size and concurrency. */
  public void route(String path, Route route) {
    routes.put(path, new Entry(route, true));
  }

  private void operationsRoute(String path, Route route) {
    routes.put(path, new Entry(route, false));
  }

  /**
   * Routes by exact path, on the server's pool (a 100-candidate batch takes a millisecond of CPU:
   * run on the I/O thread it would hold up every other connection, measured). A body is read as it
   * arrives, without holding a thread while a slow sender sends it.
   */
  private final class Dispatch extends Handler.Abstract {

    @Override
    public boolean handle(
        Request request, org.eclipse.jetty.server.Response response, Callback cb) {
      Entry entry = routes.get(Request.getPathInContext(request));
      if (entry == null) {
        return answer(response, cb, Response.error(404, "not-found", "no such endpoint"), false);
      }
      if (!entry.limited()) {
        return serve(entry.route(), request, response, cb);
      }
      // Requests waiting for a thread are the sign of a saturated CPU (lookups compute, they do not
      // block): refusing at once drains the queue, where serving late would only lengthen it.
      if (threads.getQueueSize() > settings.maxQueuedRequests() || !permits.tryAcquire()) {
        return refuse(request, response, cb);
      }
      return serve(entry.route(), request, response, releasing(cb));
    }
  }

  /**
   * 503 with {@code Retry-After}, after reading and dropping a body of a declared length within the
   * bound, so the connection stays usable: answered with the body unread, the connection would have
   * to close with bytes unread, which resets it, and the client might never see the 503. A body of
   * unknown length is not waited for; the connection closes after the answer.
   */
  private boolean refuse(Request request, org.eclipse.jetty.server.Response response, Callback cb) {
    response.getHeaders().put(retryAfter);
    Response busy = Response.error(503, "saturated", "too many requests in flight; retry later");
    long length = request.getLength();
    if (length > 0 && length <= settings.maxRequestBytes()) {
      Content.Source.consumeAll(
          request, Callback.from(() -> answer(response, cb, busy, false), cb::failed));
      return true;
    }
    return answer(response, cb, busy, hasBody(request));
  }

  /** Whether the request has a body: a declared length above 0, or a chunked one. */
  private static boolean hasBody(Request request) {
    long length = request.getLength();
    return length > 0
        || (length < 0 && request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING));
  }

  private boolean serve(
      Route route, Request request, org.eclipse.jetty.server.Response response, Callback cb) {
    if (!hasBody(request)) {
      return run(route, request, response, cb, new byte[0]);
    }
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (type != null && !isJson(type)) {
      return answer(
          response,
          cb,
          Response.error(
              415, "unsupported-media-type", "Content-Type " + type + " is not application/json"),
          true);
    }
    long length = request.getLength();
    if (length > settings.maxRequestBytes()) {
      return tooLarge(response, cb, length);
    }
    new BodyReader(request, response, cb, route, length).run();
    return true;
  }

  private Callback releasing(Callback cb) {
    return new Callback.Nested(cb) {
      @Override
      public void succeeded() {
        permits.release();
        super.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        permits.release();
        super.failed(x);
      }
    };
  }

  /** Reads the body chunk by chunk as it arrives, stopping at the size bound. */
  private final class BodyReader implements Runnable {
    private final Request request;
    private final org.eclipse.jetty.server.Response response;
    private final Callback cb;
    private final Route route;
    private final ByteArrayOutputStream body;

    BodyReader(
        Request request,
        org.eclipse.jetty.server.Response response,
        Callback cb,
        Route route,
        long length) {
      this.request = request;
      this.response = response;
      this.cb = cb;
      this.route = route;
      this.body = new ByteArrayOutputStream(length > 0 ? (int) length : 1024);
    }

    @Override
    public void run() {
      while (true) {
        Content.Chunk chunk = request.read();
        if (chunk == null) {
          request.demand(this);
          return;
        }
        if (Content.Chunk.isFailure(chunk)) {
          cb.failed(chunk.getFailure());
          return;
        }
        ByteBuffer bytes = chunk.getByteBuffer();
        if (body.size() + (long) bytes.remaining() > settings.maxRequestBytes()) {
          chunk.release();
          tooLarge(response, cb, -1);
          return;
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        body.writeBytes(copy);
        boolean last = chunk.isLast();
        chunk.release();
        if (last) {
          OperationsServer.this.run(route, request, response, cb, body.toByteArray());
          return;
        }
      }
    }
  }

  private boolean tooLarge(org.eclipse.jetty.server.Response response, Callback cb, long length) {
    String size = length >= 0 ? length + " bytes" : "the body";
    return answer(
        response,
        cb,
        Response.error(
            413,
            "request-too-large",
            size + " exceeds http.max.request.bytes (" + settings.maxRequestBytes() + ")"),
        true);
  }

  private boolean run(
      Route route,
      Request request,
      org.eclipse.jetty.server.Response response,
      Callback cb,
      byte[] body) {
    Response answer;
    try {
      answer = route.handle(request.getMethod(), request.getHttpURI().getQuery(), body);
    } catch (IllegalArgumentException e) {
      answer = Response.error(400, "bad-request", String.valueOf(e.getMessage()));
    } catch (Exception e) {
      log.warn("HTTP request {} failed", request.getHttpURI(), e);
      answer = Response.error(500, "internal-error", String.valueOf(e));
    }
    return answer(response, cb, answer, false);
  }

  /**
   * Writes the whole response in one write. {@code close} ends the connection after it: the rest of
   * a refused body is not read.
   */
  private static boolean answer(
      org.eclipse.jetty.server.Response response, Callback cb, Response answer, boolean close) {
    byte[] bytes = answer.body();
    response.setStatus(answer.status());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    if (close) {
      response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
    }
    response.write(true, ByteBuffer.wrap(bytes), cb);
    return true;
  }

  private static boolean isJson(String contentType) {
    String mime = MimeTypes.getContentTypeWithoutCharset(contentType).trim().toLowerCase();
    return mime.equals("application/json") || mime.endsWith("+json");
  }

  private static String quote(String s) {
    return io.hindsight.events.EventCodec.JSON
        .getNodeFactory()
        .textNode(String.valueOf(s))
        .toString();
  }

  public int port() {
    return connector.getLocalPort();
  }

  public String address() {
    return settings.host() + ":" + port();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // No new connections; then the requests in flight finish (a new request on an open connection
    // is answered 503) before the connections close. Jetty's own graceful stop would also wait for
    // idle keep-alive connections, which a client's pool holds open: 1.8 s each stop, measured.
    connector.shutdown();
    try {
      graceful.shutdown().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn(
          "HTTP requests still in flight after {}; their connections are closed", STOP_TIMEOUT);
    } catch (ExecutionException e) {
      log.warn("Waiting for the HTTP requests in flight failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("Stopping the HTTP endpoint failed", e);
    }
  }
}
