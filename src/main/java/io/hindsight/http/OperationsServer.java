package io.hindsight.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP operations endpoint: {@code /metrics} (Prometheus text), {@code /health/live}, {@code
 * /health/ready}, plus the lookups the loops register. Thread-safe; {@link #close()} is idempotent.
 */
public final class OperationsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OperationsServer.class);

  /** A route's answer. */
  public record Response(int status, String contentType, String body) {
    public static Response json(int status, String body) {
      return new Response(status, "application/json", body);
    }
  }

  /** Answers one request; {@code query} is the raw query string, {@code body} the request body. */
  @FunctionalInterface
  public interface Route {
    Response handle(String method, String query, byte[] body) throws Exception;
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private boolean closed;

  private OperationsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  public static OperationsServer start(
      String host,
      int port,
      PrometheusMeterRegistry registry,
      BooleanSupplier live,
      BooleanSupplier ready) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
      ExecutorService executor =
          Executors.newFixedThreadPool(
              2,
              r -> {
                Thread thread = new Thread(r, "hindsight-http");
                thread.setDaemon(true);
                return thread;
              });
      server.setExecutor(executor);
      OperationsServer operations = new OperationsServer(server, executor);
      operations.route(
          "/metrics",
          (method, query, body) ->
              new Response(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
      operations.route("/health/live", (method, query, body) -> health(live.getAsBoolean()));
      operations.route("/health/ready", (method, query, body) -> health(ready.getAsBoolean()));
      server.start();
      return operations;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot bind the operations endpoint to " + host + ":" + port, e);
    }
  }

  private static Response health(boolean ok) {
    return Response.json(ok ? 200 : 503, ok ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
  }

  public void route(String path, Route route) {
    server.createContext(path, exchange -> answer(exchange, route));
  }

  private static void answer(HttpExchange exchange, Route route) throws IOException {
    Response response;
    try {
      byte[] body = exchange.getRequestBody().readAllBytes();
      response =
          route.handle(exchange.getRequestMethod(), exchange.getRequestURI().getRawQuery(), body);
    } catch (IllegalArgumentException e) {
      response = Response.json(400, "{\"error\":" + quote(e.getMessage()) + "}");
    } catch (Exception e) {
      log.warn("Operations request {} failed", exchange.getRequestURI(), e);
      response = Response.json(500, "{\"error\":" + quote(String.valueOf(e)) + "}");
    }
    byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String quote(String s) {
    return io.hindsight.events.EventCodec.JSON
        .getNodeFactory()
        .textNode(String.valueOf(s))
        .toString();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String address() {
    return server.getAddress().getHostString() + ":" + port();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    executor.shutdownNow();
  }
}
