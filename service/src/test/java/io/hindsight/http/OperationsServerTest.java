package io.hindsight.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint's bounds and error shapes, on a real server with a test route. */
class OperationsServerTest {
  private static final int MAX_BYTES = 64 * 1024;
  private static final int MAX_QUEUED = 64;
  private static final int BACKLOG = 4096;

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient http = HttpClient.newHttpClient();
  private OperationsServer server;

  private OperationsServer start(int maxConcurrent) {
    server =
        OperationsServer.start(
            new OperationsServer.Settings(
                "127.0.0.1", 0, 8, 64, BACKLOG, maxConcurrent, MAX_BYTES, MAX_QUEUED, 2),
            registry,
            () -> true,
            () -> true);
    server.route(
        "/echo",
        (method, query, body) -> {
          if ("bad".equals(query)) {
            throw new IllegalArgumentException("query: not this");
          }
          return OperationsServer.Response.json(
              200, "{\"bytes\":" + body.length + ",\"method\":\"" + method + "\"}");
        });
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldAnswerJsonBodiesAndBodiesWithoutAType() throws Exception {
    start(4);
    assertThat(post("/echo", "application/json; charset=utf-8", "{\"a\":1}").body())
        .isEqualTo("{\"bytes\":7,\"method\":\"POST\"}");
    assertThat(post("/echo", null, "{}").statusCode()).isEqualTo(200);
    assertThat(get("/health/live").body()).isEqualTo("{\"status\":\"UP\"}");
  }

  @Test
  void shouldRefuseOtherContentTypesWith415() throws Exception {
    start(4);
    HttpResponse<String> response = post("/echo", "application/x-www-form-urlencoded", "a=1");
    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(response.body()).contains("\"reason\":\"unsupported-media-type\"");
  }

  @Test
  void shouldAnswerErrorsAsJsonNamingTheReason() throws Exception {
    start(4);
    HttpResponse<String> unknown = get("/nowhere");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(unknown.body()).contains("\"reason\":\"not-found\"");
    HttpResponse<String> bad = get("/echo?bad");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).isEqualTo("{\"error\":\"query: not this\",\"reason\":\"bad-request\"}");
  }

  @Test
  void shouldAnswer413AtOnceWithoutReadingADeclaredOversizeBody() throws Exception {
    start(4);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      long started = System.nanoTime();
      // 100 MB announced, 1 KB sent: the answer must not wait for the rest.
      out.write(
          ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 104857600\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[1024]);
      out.flush();
      String response = readResponse(socket.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 413");
      assertThat(response).contains("\"reason\":\"request-too-large\"", "Connection: close");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void shouldAnswer413WhenAChunkedBodyPassesTheBound() throws Exception {
    start(4);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[16 * 1024];
      for (int i = 0; i < 5; i++) {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
      assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void shouldAnswer503WithRetryAfterWhenSaturatedWhileHealthStaysUp() throws Exception {
    start(1);
    try (Socket slow = new Socket("127.0.0.1", server.port())) {
      OutputStream out = holdTheOnlyPermit(slow);
      HttpResponse<String> refused =
          await()
              .atMost(Duration.ofSeconds(10))
              .until(() -> post("/echo", "application/json", "{}"), r -> r.statusCode() == 503);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("2");
      assertThat(refused.body()).contains("\"reason\":\"saturated\"");
      long started = System.nanoTime();
      assertThat(post("/echo", "application/json", "{}").statusCode()).isEqualTo(503);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
      assertThat(get("/health/live").statusCode()).isEqualTo(200);

      send(out, "  ");
      assertThat(readResponse(slow.getInputStream())).startsWith("HTTP/1.1 200");
    }
    awaitThePermitBack();
  }

  @Test
  void shouldReadARefusedBodyAndKeepItsConnection() throws Exception {
    start(1);
    try (Socket slow = new Socket("127.0.0.1", server.port());
        Socket refused = connect()) {
      OutputStream holder = holdTheOnlyPermit(slow);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> post("/echo", "application/json", "{}").statusCode() == 503);
      // Refused while the rest of its body is still on the way: the server reads it, answers 503
      // and keeps the connection, instead of closing it with the body unread (a reset, in which
      // the client may never see the 503).
      OutputStream out = refused.getOutputStream();
      send(out, POST_ECHO + "Content-Length: 2\r\n\r\n{");
      InputStream in = refused.getInputStream();
      await("no answer while the refused body is incomplete")
          .during(Duration.ofMillis(200))
          .atMost(Duration.ofSeconds(2))
          .until(() -> in.available() == 0);
      send(out, "}");
      assertThat(readResponse(in))
          .startsWith("HTTP/1.1 503")
          .contains("Retry-After: 2")
          .doesNotContain("Connection: close");

      send(holder, "  ");
      assertThat(readResponse(slow.getInputStream())).startsWith("HTTP/1.1 200");
      awaitThePermitBack();
      send(out, POST_ECHO + "Content-Length: 2\r\n\r\n{}");
      assertThat(readResponse(in))
          .as("the refused request's connection serves the next one")
          .startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void shouldAnswer503ToLookupsThatFindOthersWaitingForAThread() throws Exception {
    server =
        OperationsServer.start(
            new OperationsServer.Settings("127.0.0.1", 0, 8, 1024, BACKLOG, 1024, MAX_BYTES, 0, 2),
            registry,
            () -> true,
            () -> true);
    server.route("/echo", (method, query, body) -> OperationsServer.Response.json(200, "{}"));
    // A flood: requests on 200 connections at once; those that find others queued are refused.
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout(10_000);
        sockets.add(socket);
      }
      byte[] request = GET_ECHO.getBytes(StandardCharsets.US_ASCII);
      for (Socket socket : sockets) {
        socket.getOutputStream().write(request);
      }
      List<String> statuses = new ArrayList<>();
      for (Socket socket : sockets) {
        String response = readResponse(socket.getInputStream());
        statuses.add(response.substring(9, 12));
        if (response.startsWith("HTTP/1.1 503")) {
          assertThat(response).contains("Retry-After: 2", "\"reason\":\"saturated\"");
        }
      }
      assertThat(statuses).contains("503").containsOnly("200", "503");
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void shouldHoldABurstOfConnectionsInTheBacklogAndServeThemAll() throws Exception {
    server =
        OperationsServer.start(
            new OperationsServer.Settings(
                "127.0.0.1", 0, 8, 1, BACKLOG, 64, MAX_BYTES, MAX_QUEUED, 2),
            registry,
            () -> true,
            () -> true);
    server.route("/echo", (method, query, body) -> OperationsServer.Response.json(200, "{}"));
    byte[] closing =
        "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    List<Socket> burst = new ArrayList<>();
    try (Socket holder = connect()) {
      // The one connection the server takes: answered, so the server accepts no more meanwhile.
      send(holder.getOutputStream(), GET_ECHO);
      assertThat(readResponse(holder.getInputStream())).startsWith("HTTP/1.1 200");
      // Twice the JDK's default backlog of 50, and under the 128 older kernels cap it at. A
      // connection the backlog cannot hold has its SYN dropped: its connect would time out.
      for (int i = 0; i < 100; i++) {
        Socket socket = new Socket();
        burst.add(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 2_000);
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(closing);
      }
      holder.close();
      // One at a time, as the limit lets them in: each closes once answered.
      for (Socket socket : burst) {
        assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200");
        socket.close();
      }
    } finally {
      for (Socket socket : burst) {
        socket.close();
      }
    }
  }

  @Test
  void shouldLetARequestInFlightFinishWhenStopping() throws Exception {
    start(4);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    server.route(
        "/slow",
        (method, query, body) -> {
          entered.countDown();
          release.await(10, TimeUnit.SECONDS);
          return OperationsServer.Response.json(200, "{\"done\":true}");
        });
    int port = server.port();
    try (Socket idle = connect();
        Socket slow = connect()) {
      send(idle.getOutputStream(), GET_ECHO);
      assertThat(readResponse(idle.getInputStream())).startsWith("HTTP/1.1 200");
      send(slow.getOutputStream(), "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::close);
      await("the stop waits for the request in flight")
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(() -> !stopping.isDone());
      // Meanwhile: no new connection, and a request on an open one is turned away, in JSON.
      assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
          .isInstanceOf(ConnectException.class);
      send(idle.getOutputStream(), GET_ECHO);
      assertThat(readResponse(idle.getInputStream()))
          .startsWith("HTTP/1.1 503")
          .contains("Connection: close", "\"reason\":\"shutting-down\"");
      release.countDown();
      assertThat(readResponse(slow.getInputStream()))
          .startsWith("HTTP/1.1 200")
          .contains("{\"done\":true}");
      stopping.get(OperationsServer.STOP_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldCloseIdleConnectionsAtOnceWhenStopping() throws Exception {
    start(4);
    try (Socket idle = connect()) {
      send(idle.getOutputStream(), GET_ECHO);
      assertThat(readResponse(idle.getInputStream())).startsWith("HTTP/1.1 200");
      long started = System.nanoTime();
      server.close();
      // A client's pool keeps connections open: the stop waits for requests, not for them.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
      assertThat(idle.getInputStream().read()).as("closed by the server").isEqualTo(-1);
    }
  }

  @Test
  void shouldAnswerAMalformedRequestWithAJsonError() throws Exception {
    start(4);
    try (Socket socket = connect()) {
      send(socket.getOutputStream(), "GET /echo HTTP/1.1\r\nHost x\r\n\r\n");
      assertThat(readResponse(socket.getInputStream()))
          .startsWith("HTTP/1.1 400")
          .contains("Content-Type: application/json", "\"reason\":\"bad-request\"");
    }
  }

  @Test
  void shouldKeepTheConnectionAliveBetweenRequests() throws Exception {
    start(4);
    try (Socket socket = connect()) {
      for (int i = 0; i < 3; i++) {
        socket
            .getOutputStream()
            .write(
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 2\r\n\r\n{}")
                    .getBytes(StandardCharsets.US_ASCII));
        String response = readResponse(socket.getInputStream());
        assertThat(response).startsWith("HTTP/1.1 200").doesNotContain("Connection: close");
      }
    }
  }

  private static final String GET_ECHO = "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n";

  private static final String POST_ECHO =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

  /**
   * Starts a lookup whose body is still coming, which holds the only permit; returns its stream.
   */
  private static OutputStream holdTheOnlyPermit(Socket slow) throws Exception {
    slow.setSoTimeout(5_000);
    OutputStream out = slow.getOutputStream();
    send(out, POST_ECHO + "Content-Length: 4\r\n\r\n{}");
    return out;
  }

  /**
   * The holder's permit is released once its answer is written, which its client may read before
   * that: a lookup is served again soon after, not at once.
   */
  private void awaitThePermitBack() {
    await("the permit is back")
        .atMost(Duration.ofSeconds(10))
        .until(() -> post("/echo", "application/json", "{}").statusCode() == 200);
  }

  /** A connection to the server whose reads time out after 5 s. */
  private Socket connect() throws Exception {
    Socket socket = new Socket("127.0.0.1", server.port());
    socket.setSoTimeout(5_000);
    return socket;
  }

  private static void send(OutputStream out, String text) throws Exception {
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** One response: its head and a body of the Content-Length it states. */
  private static String readResponse(InputStream in) throws Exception {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
